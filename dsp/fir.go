package dsp

import "math"

// A FIR is a real finite impulse response filter on float32 samples. Its
// delay line is stored twice over so that every output is one straight dot
// product with no wrap-around.
type FIR struct {
	taps []float32 // reversed, so taps[0] meets the oldest sample
	hist []float32 // 2*len(taps)
	pos  int
}

// NewFIR returns a filter with the given impulse response (copied).
func NewFIR(impulse []float32) *FIR {
	n := len(impulse)
	f := &FIR{taps: make([]float32, n), hist: make([]float32, 2*n)}
	for i, c := range impulse {
		f.taps[n-1-i] = c
	}
	return f
}

// Filter feeds one sample and returns one output.
func (f *FIR) Filter(x float32) float32 {
	n := len(f.taps)
	f.hist[f.pos] = x
	f.hist[f.pos+n] = x
	f.pos++
	if f.pos == n {
		f.pos = 0
	}
	return Dot(f.taps, f.hist[f.pos:f.pos+n])
}

// Process filters in into out (len(out) >= len(in)) and returns len(in).
func (f *FIR) Process(out, in []float32) int {
	out = out[:len(in)]
	for i, x := range in {
		out[i] = f.Filter(x)
	}
	return len(in)
}

// Reset clears the delay line.
func (f *FIR) Reset() {
	clear(f.hist)
	f.pos = 0
}

// RootRaisedCosine returns the impulse response of a root-raised-cosine
// filter with roll-off beta, sampled sps times per symbol over span symbols
// (span*sps+1 taps, centred), scaled to unit energy (the sum of the squared
// taps is 1), so that a pair of them, transmitter's and receiver's, passes a
// symbol impulse with a gain of 1 at its instant and none at the others.
//
// It is the square root of the raised-cosine spectrum that V.27ter (50%
// roll-off), V.29 and V.17 (both 12.5% at the transmitter's output, though
// a square-root split is the common choice) define for their line signals.
func RootRaisedCosine(beta, sps float64, span int) []float32 {
	n := int(math.Round(float64(span)*sps)) + 1
	h := make([]float32, n)
	mid := float64(n-1) / 2
	var energy float64
	vals := make([]float64, n)
	for i := range vals {
		t := (float64(i) - mid) / sps // in symbols
		vals[i] = rrc(t, beta)
		energy += vals[i] * vals[i]
	}
	scale := 1 / math.Sqrt(energy)
	for i, v := range vals {
		h[i] = float32(v * scale)
	}
	return h
}

// rrc is the root-raised-cosine pulse at time t symbols.
func rrc(t, beta float64) float64 {
	switch {
	case t == 0:
		return 1 - beta + 4*beta/math.Pi
	case beta != 0 && math.Abs(math.Abs(4*beta*t)-1) < 1e-9:
		return beta / math.Sqrt2 * ((1+2/math.Pi)*math.Sin(math.Pi/(4*beta)) + (1-2/math.Pi)*math.Cos(math.Pi/(4*beta)))
	}
	num := math.Sin(math.Pi*t*(1-beta)) + 4*beta*t*math.Cos(math.Pi*t*(1+beta))
	den := math.Pi * t * (1 - (4*beta*t)*(4*beta*t))
	return num / den
}

// RaisedCosine returns the impulse response of a raised-cosine (Nyquist)
// filter with roll-off beta, sps samples per symbol, over span symbols,
// with a gain of 1 at t = 0.
func RaisedCosine(beta, sps float64, span int) []float32 {
	n := int(math.Round(float64(span)*sps)) + 1
	h := make([]float32, n)
	mid := float64(n-1) / 2
	for i := range h {
		t := (float64(i) - mid) / sps
		var v float64
		switch {
		case t == 0:
			v = 1
		case beta != 0 && math.Abs(math.Abs(2*beta*t)-1) < 1e-9:
			v = math.Pi / 4 * sinc(1/(2*beta))
		default:
			v = sinc(t) * math.Cos(math.Pi*beta*t) / (1 - (2*beta*t)*(2*beta*t))
		}
		h[i] = float32(v)
	}
	return h
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}
