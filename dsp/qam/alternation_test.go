package qam

import (
	"math"
	"math/cmplx"
	"testing"
)

// runAlternation feeds syms to a fresh Alternation (over a front end of
// 2400 baud) and returns the symbol, counted from 1, it reported found
// at (0 for none) and the carrier offset it measured, in hertz.
func runAlternation(power float64, syms []complex64) (at int, offHz float64) {
	fe := New(Config{CarrierHz: 1800, Baud: 2400, Rolloff: 0.25, SymbolPower: power, EqLen: 8})
	fe.Meter = 1
	a := Alternation{Power: power, MinRun: 16}
	for i, z := range syms {
		if found, omega := a.Symbol(fe, z, i+1); found {
			return i + 1, omega * 2400 / (2 * math.Pi)
		}
	}
	return 0, 0
}

// turning returns z turned by n·hz/2400 of a turn: the n-th symbol of a
// carrier hz off.
func turning(z complex64, n int, hz float64) complex64 {
	return z * complex64(cmplx.Rect(1, 2*math.Pi*hz/2400*float64(n)))
}

// TestAlternationFound: V.17's segment 1 (A B A B..., then C D) and V.29's
// segment 2 (B A B A..., then C D, at every rate's points) are found at D,
// with the carrier offset, across the offsets a fax line has.
func TestAlternationFound(t *testing.T) {
	for _, c := range []struct {
		name       string
		a, b, c, d complex64
		power      float64
	}{
		{"V.17", -6 - 2i, 2 - 6i, 6 + 2i, -2 + 6i, 40},
		{"V.29 9600", -3, 3 - 3i, 3, -3 + 3i, 13.5},
		{"V.29 7200", -3, 1 - 1i, 3, -1 + 1i, 5.5},
		{"V.29 4800", -3, -3i, 3, 3i, 9},
	} {
		for _, hz := range []float64{0, 2, -4, 7, -10, 19} {
			var syms []complex64
			for n := range 60 {
				p := c.a
				if n&1 == 1 {
					p = c.b
				}
				syms = append(syms, turning(p, n, hz))
			}
			syms = append(syms, turning(c.c, 60, hz), turning(c.d, 61, hz), turning(c.a, 62, hz))
			at, off := runAlternation(c.power, syms)
			if at != 62 || math.Abs(off-hz) > 0.1 {
				t.Errorf("%s at %+g Hz: found at symbol %d (want 62), offset %.2f Hz", c.name, hz, at, off)
			}
		}
	}
}

// TestAlternationNotTone: a steady tone near the carrier (the tail of a
// V.21 frame, 1650 or 1850 Hz and a line's offset, which a fast receiver
// hears as it starts to listen) agrees with itself two symbols back as an
// alternation does, and its end turns the last symbols as segment 2's
// first two do; it is not taken for an alternation. (It was: V.17 and V.29
// receivers then failed a training that had not begun, T.30 answered FTT
// to a TCF still to come, and with noise between the carrier's on and off
// levels the receiver stayed parked through it.)
func TestAlternationNotTone(t *testing.T) {
	for _, hz := range []float64{-154, -150, -146, -100, -10, 0, 10, 46, 50, 54, 100} {
		var syms []complex64
		for n := range 60 {
			syms = append(syms, turning(5+2i, n, hz))
		}
		// The tone stops: two symbols turned against those two back.
		syms = append(syms, -turning(5+2i, 60, hz), -turning(5+2i, 61, hz), 0.1, 0.1i)
		if at, off := runAlternation(40, syms); at != 0 {
			t.Errorf("a tone %+g Hz from the carrier: found at symbol %d, offset %.1f Hz", hz, at, off)
		}
	}
}
