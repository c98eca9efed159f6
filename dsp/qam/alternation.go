package qam

import (
	"math"
)

// An Alternation finds where a training segment that repeats every two
// symbols (V.29's segment 2, B A B A..., V.17's segment 1, A B A B...)
// gives way to the next, whose first two symbols each turn by 180 degrees
// against the symbol two before (V.29 C after B and D after A; V.17 C after
// A and D after B). On the way it refines the front end's gain from the
// mean power of the alternation's points and measures the carrier offset
// from the phase drift between symbols two apart.
//
// One turn is not enough: noise can turn a symbol, and only the first two
// symbols of the next segment turn, so a receiver that took a later turn
// for the start would train out of step. The second turn confirms.
//
// Symbols two apart agree on any steady tone near the carrier too, such as
// the tail of a V.21 frame (1650 or 1850 Hz against V.17's and V.29's 1800)
// that a fast receiver hears when it starts listening, and the tone's end
// into noise turns them. What only an alternation does is turn from one
// symbol to the next by a quarter turn or more, one way and then back (V.17
// A to B and B to A by ±90 degrees, V.29 by ±135 at 9600 and 7200 bit/s and
// ±90 at 4800), where a tone turns the same way every symbol, by the
// carrier offset's 2π·Δf/baud (at most 22.5 degrees for V.21's tones): a
// symbol counts towards the run only if it does.
type Alternation struct {
	// Power is the mean square of the alternation's points, in the
	// units the receiver decides in.
	Power float64
	// MinRun is how many symbols of alternation must precede the turns.
	MinRun int
	// Gain, if set, may replace the gain correction g measured at the
	// end of the settling time, given the mean level (mean square of the
	// line samples) over the measurement; V.17's short train uses it to
	// keep its saved equaliser's gain.
	Gain func(g float32, level float64) float32

	z1, z2    complex64 // the last two symbols
	turn      float32   // the imaginary part of z1·conj(z2): the last turn's sign
	run       int
	candidate bool
	dsum      complex128
	agcSum    float64
	levelSum  float64
	agcN      int
}

// Settling and measuring times, in symbols from the start of acquisition.
const (
	altFill     = 6  // the equaliser's delay line fills
	altAGCStart = 16 // the timing loop has settled: measure the power
	altAGCEnd   = 28 // and correct the gain
)

// Reset forgets the symbols seen.
func (a *Alternation) Reset() {
	a.z1, a.z2 = 0, 0
	a.turn = 0
	a.run = 0
	a.candidate = false
	a.dsum = 0
	a.agcSum, a.levelSum, a.agcN = 0, 0, 0
}

// Symbol takes the count-th symbol of the acquisition (from 1), before
// derotation. It reports true when z is the second symbol of the next
// segment, with the carrier offset measured, in radians a symbol.
func (a *Alternation) Symbol(fe *Frontend, z complex64, count int) (found bool, omega float64) {
	prev1, prev2 := a.z1, a.z2
	a.z2, a.z1 = a.z1, z
	if count <= altFill {
		return false, 0
	}
	if count > altAGCStart && count <= altAGCEnd {
		a.agcSum += float64(real(z)*real(z) + imag(z)*imag(z))
		a.levelSum += float64(fe.Meter)
		a.agcN++
		if count == altAGCEnd && a.agcSum > 0 {
			// The first gain came from the power meter, so the
			// correction is small on a real signal; bound it so that
			// silence cannot blow it up.
			g := float32(math.Sqrt(a.Power * float64(a.agcN) / a.agcSum))
			if a.Gain != nil {
				g = a.Gain(g, a.levelSum/float64(a.agcN))
			}
			g = min(max(g, 1.0/32), 32)
			fe.ScaleGain(g)
			gc := complex(g, 0)
			z *= gc
			a.z1, a.z2 = a.z1*gc, a.z2*gc
			prev2 *= gc
		}
	}
	// d = z·conj(z two symbols back): about +|z|² in the alternation,
	// where the phase moves only by the carrier offset, about -|z|² at
	// the next segment's first two symbols.
	dr := real(z)*real(prev2) + imag(z)*imag(prev2)
	di := imag(z)*real(prev2) - real(z)*imag(prev2)
	// t = z·conj(the symbol before): in the alternation a turn by more
	// than 45 degrees (tr < |ti|), the other way from the last one. The
	// gain correction above scales z and not prev1, which changes neither
	// the signs of tr and ti nor their ratio.
	tr := real(z)*real(prev1) + imag(z)*imag(prev1)
	ti := imag(z)*real(prev1) - real(z)*imag(prev1)
	alternates := ti*a.turn < 0 && tr < max(ti, -ti)
	a.turn = ti
	if a.candidate {
		a.candidate = false
		if dr < 0 {
			// The second turn confirms the first.
			if a.dsum != 0 {
				omega = math.Atan2(imag(a.dsum), real(a.dsum)) / 2
			}
			return true, omega
		}
		// A lone turn was noise within the alternation.
	}
	if dr >= 0 {
		if !alternates {
			// A tone, noise or timing still settling: no alternation.
			a.run = 0
			a.dsum = 0
			return false, 0
		}
		a.run++
		if count > altAGCEnd {
			a.dsum += complex(float64(dr), float64(di))
		}
		return false, 0
	}
	if a.run < a.MinRun {
		// Not (yet) a credible alternation.
		a.run = 0
		a.dsum = 0
		return false, 0
	}
	a.candidate = true
	return false, 0
}
