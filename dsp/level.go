package dsp

import "math"

// DBm0Offset is the difference between dBm0 and dB relative to a full-scale
// (32768) RMS value: 3.14 dB for the G.711 reference level plus 3.01 dB for
// the crest factor of a sine.
const DBm0Offset = 6.16

// SampleRate is the rate of all faxd audio, in samples per second.
const SampleRate = 8000

// RMSFromDBm0 returns the RMS amplitude, in linear 16-bit units, of a signal
// at level dBm0.
func RMSFromDBm0(dBm0 float64) float64 {
	return 32768 * math.Pow(10, (dBm0-DBm0Offset)/20)
}

// PeakFromDBm0 returns the peak amplitude of a sine at level dBm0.
func PeakFromDBm0(dBm0 float64) float64 {
	return RMSFromDBm0(dBm0) * math.Sqrt2
}

// DBm0FromRMS returns the level in dBm0 of a signal with the given RMS
// amplitude; -inf for silence.
func DBm0FromRMS(rms float64) float64 {
	return 20*math.Log10(rms/32768) + DBm0Offset
}

// DBm0FromPower returns the level in dBm0 of a mean square power (in squared
// linear 16-bit units).
func DBm0FromPower(power float64) float64 {
	return 10*math.Log10(power/(32768*32768)) + DBm0Offset
}

// PowerFromDBm0 returns the mean square power of a signal at level dBm0.
func PowerFromDBm0(dBm0 float64) float64 {
	r := RMSFromDBm0(dBm0)
	return r * r
}

// A PowerMeter tracks the short-term mean square power of a signal with a
// single-pole smoother. The zero value is not usable: make one with
// NewPowerMeter.
type PowerMeter struct {
	alpha float32 // smoothing coefficient per sample
	power float32 // current mean square estimate
}

// NewPowerMeter returns a meter whose smoother has the given time constant in
// samples (1/alpha).
func NewPowerMeter(timeConstant int) *PowerMeter {
	p := &PowerMeter{}
	p.Init(timeConstant)
	return p
}

// Init sets up p in place, for embedding in another block.
func (p *PowerMeter) Init(timeConstant int) {
	if timeConstant < 1 {
		timeConstant = 1
	}
	p.alpha = 1 / float32(timeConstant)
	p.power = 0
}

// Update feeds one sample and returns the new power estimate.
func (p *PowerMeter) Update(x float32) float32 {
	p.power += p.alpha * (x*x - p.power)
	return p.power
}

// Process feeds a block of samples and returns the power estimate after it.
func (p *PowerMeter) Process(in []int16) float32 {
	pw, a := p.power, p.alpha
	for _, s := range in {
		x := float32(s)
		pw += a * (x*x - pw)
	}
	p.power = pw
	return pw
}

// Power returns the current mean square estimate.
func (p *PowerMeter) Power() float32 { return p.power }

// DBm0 returns the current level in dBm0.
func (p *PowerMeter) DBm0() float64 { return DBm0FromPower(float64(p.power)) }

// Reset clears the estimate.
func (p *PowerMeter) Reset() { p.power = 0 }
