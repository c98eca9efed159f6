package dsp

// A DCBlocker removes the DC offset of a signal with the one-pole, one-zero
// high-pass y[n] = x[n] - x[n-1] + a·y[n-1]. With a = 0.995 the corner is
// about 6 Hz at 8 kHz, far below any fax signal.
type DCBlocker struct {
	a      float32
	x1, y1 float32
}

// NewDCBlocker returns a blocker with pole a (0 < a < 1).
func NewDCBlocker(a float32) *DCBlocker { return &DCBlocker{a: a} }

// Filter feeds one sample and returns one output.
func (d *DCBlocker) Filter(x float32) float32 {
	y := x - d.x1 + d.a*d.y1
	d.x1, d.y1 = x, y
	return y
}

// Process filters in into out (len(out) >= len(in)) and returns len(in).
func (d *DCBlocker) Process(out []int16, in []int16) int {
	out = out[:len(in)]
	for i, s := range in {
		out[i] = SaturateInt16(d.Filter(float32(s)))
	}
	return len(in)
}

// Reset clears the filter state.
func (d *DCBlocker) Reset() { d.x1, d.y1 = 0, 0 }

// SaturateInt16 rounds x to the nearest int16, clipping at the limits.
func SaturateInt16(x float32) int16 {
	switch {
	case x >= 32767:
		return 32767
	case x <= -32768:
		return -32768
	case x >= 0:
		return int16(x + 0.5)
	default:
		return int16(x - 0.5)
	}
}
