package dsp

import "math"

// An AGC scales a signal so that its short-term RMS meets a target. It
// measures power with a one-pole smoother and adapts its gain towards
// target/rms, quickly while the gain is too high (attack, to avoid
// overdriving what follows) and slowly while it is too low (decay). Freeze
// holds the gain, as a modem receiver does once it has trained.
type AGC struct {
	target  float32 // wanted RMS of the output
	minPow  float32 // below this input power the gain is not raised
	maxGain float32
	meter   PowerMeter
	gain    float32
	frozen  bool
}

// NewAGC returns an AGC that brings inputs between -43 and -6 dBm0 (and a
// little beyond) to targetRMS, measuring power over timeConstant samples.
func NewAGC(targetRMS float32, timeConstant int) *AGC {
	a := &AGC{}
	a.Init(targetRMS, timeConstant)
	return a
}

// Init sets up a in place.
func (a *AGC) Init(targetRMS float32, timeConstant int) {
	a.target = targetRMS
	a.meter.Init(timeConstant)
	minRMS := float32(RMSFromDBm0(-48))
	a.minPow = minRMS * minRMS
	a.maxGain = targetRMS / minRMS
	a.gain = 1
	a.frozen = false
}

// Process scales one sample.
func (a *AGC) Process(x float32) float32 {
	if !a.frozen {
		p := a.meter.Update(x)
		if p > a.minPow {
			a.gain = a.target / float32(math.Sqrt(float64(p)))
		}
	}
	return x * a.gain
}

// SetGainFromPower sets the gain from a measured mean square power.
func (a *AGC) SetGainFromPower(p float32) {
	if p <= a.minPow {
		a.gain = a.maxGain
		return
	}
	a.gain = a.target / float32(math.Sqrt(float64(p)))
}

// Gain returns the current gain.
func (a *AGC) Gain() float32 { return a.gain }

// Freeze stops (true) or restarts (false) adaptation.
func (a *AGC) Freeze(f bool) { a.frozen = f }

// Reset clears the measurement and unfreezes.
func (a *AGC) Reset() {
	a.meter.Reset()
	a.gain = 1
	a.frozen = false
}
