package dsp

// Self-synchronising scramblers (ITU-T V.27ter §2.4 and V.29 §5 / V.17 §5):
// the transmitter sends D(s) = D(i) ⊕ D(s)·x^-a ⊕ D(s)·x^-b and the
// receiver recovers D(i) from the received stream alone, so a bit error
// spreads to at most three bits and no synchronisation is needed.
//
// V.27ter uses 1 + x^-6 + x^-7 (with an extra guard against repetitive
// patterns, which lives in package v27ter); V.29 and V.17 use
// 1 + x^-18 + x^-23.

// Scrambler polynomials as their two tap positions.
var (
	PolyV27ter = ScramblerPoly{6, 7}
	PolyV29    = ScramblerPoly{18, 23}
)

// ScramblerPoly names the taps of 1 + x^-A + x^-B (A < B ≤ 32).
type ScramblerPoly struct{ A, B uint }

// A Scrambler scrambles transmitted bits; a Descrambler undoes it. The zero
// register is the all-zero state; both are values, copy them to restart.
type Scrambler struct {
	Poly ScramblerPoly
	Reg  uint32 // the last 32 line bits, newest in bit 0
}

// Scramble returns the line bit for data bit in.
func (s *Scrambler) Scramble(in int) int {
	out := (uint32(in) ^ (s.Reg >> (s.Poly.A - 1)) ^ (s.Reg >> (s.Poly.B - 1))) & 1
	s.Reg = s.Reg<<1 | out
	return int(out)
}

// A Descrambler recovers data bits from line bits.
type Descrambler struct {
	Poly ScramblerPoly
	Reg  uint32 // the last 32 line bits received, newest in bit 0
}

// Descramble returns the data bit for line bit in.
func (d *Descrambler) Descramble(in int) int {
	out := (uint32(in) ^ (d.Reg >> (d.Poly.A - 1)) ^ (d.Reg >> (d.Poly.B - 1))) & 1
	d.Reg = d.Reg<<1 | uint32(in&1)
	return int(out)
}
