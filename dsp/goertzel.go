package dsp

import "math"

// A Goertzel measures the power of one frequency over blocks of a fixed
// number of samples (the Goertzel algorithm: a second-order resonator
// evaluated once per block). It is the tone detector's front end.
type Goertzel struct {
	coeff  float32 // 2·cos(2πf/fs)
	v1, v2 float32
	n, len int
	power  float32 // of the last finished block
	energy float32 // total energy of the samples in the current block
	total  float32 // of the last finished block
}

// NewGoertzel returns a detector for freq Hz over blocks of blockLen samples.
func NewGoertzel(freq float64, blockLen int) *Goertzel {
	g := &Goertzel{}
	g.Init(freq, blockLen)
	return g
}

// Init sets up g in place.
func (g *Goertzel) Init(freq float64, blockLen int) {
	*g = Goertzel{coeff: float32(2 * math.Cos(2*math.Pi*freq/SampleRate)), len: blockLen}
}

// Update feeds one sample; it returns true when it completes a block, after
// which Power and Ratio describe that block.
func (g *Goertzel) Update(x float32) bool {
	v0 := g.coeff*g.v1 - g.v2 + x
	g.v2, g.v1 = g.v1, v0
	g.energy += x * x
	g.n++
	if g.n < g.len {
		return false
	}
	g.power = g.v1*g.v1 + g.v2*g.v2 - g.coeff*g.v1*g.v2
	g.total = g.energy
	g.v1, g.v2, g.n, g.energy = 0, 0, 0, 0
	return true
}

// Power returns the last block's power at the frequency, scaled so that a
// sine of amplitude A filling the block gives A²/2 (its mean square).
func (g *Goertzel) Power() float32 {
	l := float32(g.len)
	return 2 * g.power / (l * l)
}

// Ratio returns the share of the last block's energy that lay at the
// frequency: near 1 for a pure tone, near 2/len for white noise.
func (g *Goertzel) Ratio() float32 {
	if g.total <= 0 {
		return 0
	}
	return g.Power() * float32(g.len) / g.total
}

// MeanSquare returns the last block's mean square power (all frequencies).
func (g *Goertzel) MeanSquare() float32 { return g.total / float32(g.len) }

// Reset clears the block in progress.
func (g *Goertzel) Reset() { g.v1, g.v2, g.n, g.energy, g.power, g.total = 0, 0, 0, 0, 0, 0 }
