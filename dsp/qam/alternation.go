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
	a.run = 0
	a.candidate = false
	a.dsum = 0
	a.agcSum, a.levelSum, a.agcN = 0, 0, 0
}

// Symbol takes the count-th symbol of the acquisition (from 1), before
// derotation. It reports true when z is the second symbol of the next
// segment, with the carrier offset measured, in radians a symbol.
func (a *Alternation) Symbol(fe *Frontend, z complex64, count int) (found bool, omega float64) {
	prev2 := a.z2
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
