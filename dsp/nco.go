package dsp

import "math"

// An NCO is a numerically controlled oscillator: a 32-bit phase accumulator
// read through a 1024-entry sine table with linear interpolation (spurs below
// -100 dBc). The zero value is an oscillator at 0 Hz; set its frequency with
// SetFrequency.
type NCO struct {
	phase uint32 // 2^32 = one cycle
	step  uint32 // phase advance per sample
}

const (
	ncoTableBits = 10
	ncoTableSize = 1 << ncoTableBits
	ncoFracBits  = 32 - ncoTableBits
)

// sinTable holds one cycle of sine plus one guard entry for interpolation.
var sinTable [ncoTableSize + 1]float32

func init() {
	for i := range sinTable {
		sinTable[i] = float32(math.Sin(2 * math.Pi * float64(i) / ncoTableSize))
	}
}

// NewNCO returns an oscillator at freq Hz (8000 samples per second).
func NewNCO(freq float64) *NCO {
	n := &NCO{}
	n.SetFrequency(freq)
	return n
}

// PhaseStep returns the per-sample phase increment for freq Hz.
func PhaseStep(freq float64) uint32 {
	return uint32(int64(math.Round(freq / SampleRate * (1 << 32))))
}

// SetFrequency sets the frequency in Hz, keeping the phase.
func (n *NCO) SetFrequency(freq float64) { n.step = PhaseStep(freq) }

// Frequency returns the frequency in Hz.
func (n *NCO) Frequency() float64 {
	return float64(int32(n.step)) * SampleRate / (1 << 32)
}

// AdjustFrequency adds df Hz to the frequency.
func (n *NCO) AdjustFrequency(df float64) {
	n.step += uint32(int32(math.Round(df / SampleRate * (1 << 32))))
}

// SetPhase sets the phase in radians.
func (n *NCO) SetPhase(rad float64) { n.phase = radToPhase(rad) }

// AdjustPhase adds rad radians to the phase.
func (n *NCO) AdjustPhase(rad float64) { n.phase += radToPhase(rad) }

// Phase returns the phase in radians, in [0, 2π).
func (n *NCO) Phase() float64 { return float64(n.phase) * (2 * math.Pi / (1 << 32)) }

func radToPhase(rad float64) uint32 {
	return uint32(int64(math.Round(rad / (2 * math.Pi) * (1 << 32))))
}

// Next returns the cosine and sine of the current phase, then advances it
// by one sample.
func (n *NCO) Next() (cos, sin float32) {
	cos, sin = CosSin(n.phase)
	n.phase += n.step
	return
}

// Sin returns the sine of the current phase, then advances by one sample.
func (n *NCO) Sin() float32 {
	s := SinPhase(n.phase)
	n.phase += n.step
	return s
}

// Advance moves the phase on by k samples without producing output.
func (n *NCO) Advance(k int) { n.phase += n.step * uint32(k) }

// SinPhase returns the sine of a 32-bit phase (2^32 = one cycle).
func SinPhase(phase uint32) float32 {
	i := phase >> ncoFracBits
	f := float32(phase&(1<<ncoFracBits-1)) * (1.0 / (1 << ncoFracBits))
	a := sinTable[i]
	return a + f*(sinTable[i+1]-a)
}

// CosSin returns the cosine and sine of a 32-bit phase.
func CosSin(phase uint32) (cos, sin float32) {
	return SinPhase(phase + 1<<30), SinPhase(phase)
}
