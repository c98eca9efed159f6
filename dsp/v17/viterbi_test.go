package v17

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

var rates = []int{14400, 12000, 9600, 7200}

// randomSymbols returns n symbols' worth of random data bits for rate.
func randomSymbols(rng *rand.Rand, rate, n int) []uint8 {
	q := make([]uint8, n)
	for i := range q {
		q[i] = uint8(rng.IntN(1 << BitsPerSymbol(rate)))
	}
	return q
}

// encodeAll codes qs from a fresh encoder whose differential encoder
// starts at y.
func encodeAll(t testing.TB, rate int, qs []uint8, y uint8) []complex64 {
	t.Helper()
	e, err := NewEncoder(rate)
	if err != nil {
		t.Fatal(err)
	}
	e.Reset(y)
	z := make([]complex64, len(qs))
	for i, q := range qs {
		z[i] = e.Encode(q)
	}
	return z
}

// decodeAll runs a fresh decoder over z followed by enough padding to flush
// it, and returns one decision per point of z.
func decodeAll(t testing.TB, rate int, z []complex64, y uint8) []uint8 {
	t.Helper()
	v, err := NewViterbi(rate)
	if err != nil {
		t.Fatal(err)
	}
	v.SetDiff(y)
	v.Reset()
	var out []uint8
	for i := 0; len(out) < len(z); i++ {
		p := complex64(0)
		if i < len(z) {
			p = z[i]
		}
		if b, ok := v.Decode(p); ok {
			out = append(out, b)
		} else if i >= TracebackDepth {
			t.Fatalf("no decision after %d points", i+1)
		}
	}
	return out
}

// symbolErrors counts the symbols whose bits differ.
func symbolErrors(a, b []uint8) (n int, first int) {
	first = -1
	for i := range a {
		if a[i] != b[i] {
			if first < 0 {
				first = i
			}
			n++
		}
	}
	return n, first
}

func bitErrors(a, b []uint8) int {
	n := 0
	for i := range a {
		x := a[i] ^ b[i]
		for ; x != 0; x &= x - 1 {
			n++
		}
	}
	return n
}

func TestBadRate(t *testing.T) {
	for _, r := range []int{4800, 2400, 0, 14401} {
		if _, err := NewEncoder(r); !errors.Is(err, ErrRate) {
			t.Errorf("NewEncoder(%d): %v", r, err)
		}
		if _, err := NewViterbi(r); !errors.Is(err, ErrRate) {
			t.Errorf("NewViterbi(%d): %v", r, err)
		}
	}
}

// TestConstellations checks the tables: distinct points, the alphabet sizes,
// and the structure the code relies on: turning a point through 180
// degrees flips Y2 and nothing else, and turning through 90 degrees keeps
// the uncoded bits.
func TestConstellations(t *testing.T) {
	for _, rate := range rates {
		pts := constellation(rate)
		if len(pts) != 2<<BitsPerSymbol(rate) {
			t.Fatalf("%d: %d points", rate, len(pts))
		}
		index := map[complex64]int{}
		var power float64
		for i, p := range pts {
			if j, dup := index[p]; dup {
				t.Fatalf("%d: points %d and %d are both %v", rate, j, i, p)
			}
			index[p] = i
			power += float64(real(p)*real(p) + imag(p)*imag(p))
		}
		power /= float64(len(pts))
		if power < 39.9 || power > 42.1 {
			t.Errorf("%d: mean power %.2f", rate, power)
		}
		for i, p := range pts {
			if j, ok := index[-p]; !ok || j != i^4 {
				t.Errorf("%d: -point %d is %d, want %d", rate, i, j, i^4)
			}
			if j, ok := index[p*1i]; !ok || j>>3 != i>>3 {
				t.Errorf("%d: point %d turned 90 degrees is %d (%v)", rate, i, j, ok)
			}
		}
	}
	for i, p := range abcd {
		if abcd[(i+1)%4] != p*1i {
			t.Errorf("training point %d turned 90 degrees is not the next", i)
		}
	}
}

// TestTrellisShape: every state has four branches out and four in, and the
// branches out of one state send four different subsets that share Y0.
func TestTrellisShape(t *testing.T) {
	var in [8]int
	for s := range uint8(8) {
		var seen [8]bool
		for y := range uint8(4) {
			sub := y<<1 | convY0(s)
			if seen[sub] {
				t.Errorf("state %d sends subset %d twice", s, sub)
			}
			seen[sub] = true
			in[convNext(s, y)]++
		}
	}
	for s, n := range in {
		if n != 4 {
			t.Errorf("state %d is entered by %d branches", s, n)
		}
	}
}

// subsetDistances returns the least squared distance between a point of
// subset a and a point of subset b (a != b), and within each subset.
func subsetDistances(pts []complex64) (between [8][8]float64, within float64, dmin float64) {
	within, dmin = math.Inf(1), math.Inf(1)
	for a := range 8 {
		for b := range 8 {
			between[a][b] = math.Inf(1)
		}
	}
	for i, p := range pts {
		for j, q := range pts {
			if i == j {
				continue
			}
			d := float64(real(p-q)*real(p-q) + imag(p-q)*imag(p-q))
			dmin = min(dmin, d)
			if i&7 == j&7 {
				within = min(within, d)
			} else {
				between[i&7][j&7] = min(between[i&7][j&7], d)
			}
		}
	}
	return
}

// TestFreeDistance measures the code: the least squared distance between
// two coded sequences that part and meet again (a search over pairs of
// states), against the least distance between neighbouring points. For
// the 8-state code this is 5 times d0² (about 4 dB over the uncoded
// alphabet of half the size), and points of one subset are 8 times d0²
// apart, so the uncoded bits are better protected still.
func TestFreeDistance(t *testing.T) {
	for _, rate := range rates {
		between, within, d0 := subsetDistances(constellation(rate))
		// Dijkstra over state pairs, from the split (both paths leave
		// the same state with different subsets) to the merge.
		const inf = math.MaxFloat64
		var dist [8][8]float64
		for a := range dist {
			for b := range dist[a] {
				dist[a][b] = inf
			}
		}
		free := inf
		relax := func(a, b uint8, d float64) {
			if a == b {
				free = min(free, d)
			} else if d < dist[a][b] {
				dist[a][b] = d
			}
		}
		for s := range uint8(8) {
			for y1 := range uint8(4) {
				for y2 := range uint8(4) {
					if y1 != y2 {
						relax(convNext(s, y1), convNext(s, y2), between[y1<<1|convY0(s)][y2<<1|convY0(s)])
					}
				}
			}
		}
		var done [8][8]bool
		for {
			a, b, best := -1, -1, inf
			for i := range 8 {
				for j := range 8 {
					if !done[i][j] && dist[i][j] < best {
						a, b, best = i, j, dist[i][j]
					}
				}
			}
			if a < 0 || best >= free {
				break
			}
			done[a][b] = true
			for y1 := range uint8(4) {
				for y2 := range uint8(4) {
					s1, s2 := y1<<1|convY0(uint8(a)), y2<<1|convY0(uint8(b))
					d := 0.0
					if s1 != s2 {
						d = between[s1][s2]
					}
					relax(convNext(uint8(a), y1), convNext(uint8(b), y2), best+d)
				}
			}
		}
		t.Logf("%d: d0² %.0f, free distance² %.0f (%.1f d0²), within a subset %.0f (%.1f d0²)",
			rate, d0, free, free/d0, within, within/d0)
		if math.Abs(free-5*d0) > 1e-9 || within < 8*d0-1e-9 {
			t.Errorf("%d: free distance² %.1f d0², within subsets %.1f d0²; want 5 and at least 8", rate, free/d0, within/d0)
		}
	}
}

// TestEncodeDecode: encoder → ideal points → decoder gives back every
// symbol exactly, at every rate and from both starting values of the
// differential code.
func TestEncodeDecode(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, rate := range rates {
		for _, y := range []uint8{0, 1} {
			qs := randomSymbols(rng, rate, 3000)
			got := decodeAll(t, rate, encodeAll(t, rate, qs, y), y)
			if n, first := symbolErrors(qs, got); n != 0 {
				t.Errorf("%d, y %d: %d symbols wrong, first %d", rate, y, n, first)
			}
		}
	}
}

// TestRotationTransparent: the constellation turned through 90, 180 or 270
// degrees (a receiver locked to the wrong quadrant) still decodes to the
// same data after the first few symbols: the code is transparent to
// rotations and the differential code of Q1 Q2 absorbs them (V.17 §2.4).
func TestRotationTransparent(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, rate := range rates {
		qs := randomSymbols(rng, rate, 2000)
		z := encodeAll(t, rate, qs, 1)
		for _, rot := range []complex64{1i, -1, -1i} {
			r := make([]complex64, len(z))
			for i := range z {
				r[i] = z[i] * rot
			}
			got := decodeAll(t, rate, r, 1)
			// The decoder assumes state 0 at the start; the turned
			// sequence need not begin there, nor at the same Y2 Y1.
			const settle = 8
			if n, first := symbolErrors(qs[settle:], got[settle:]); n != 0 {
				t.Errorf("%d turned by %v: %d symbols wrong after the first %d, first at %d", rate, rot, n, settle, first+settle)
			}
		}
	}
}

// nearestOther returns the point nearest to pts[i] in another subset.
func nearestOther(pts []complex64, i int) complex64 {
	best, bd := complex64(0), float32(math.MaxFloat32)
	for j, q := range pts {
		d := real(pts[i]-q)*real(pts[i]-q) + imag(pts[i]-q)*imag(pts[i]-q)
		if j&7 != i&7 && d < bd {
			best, bd = q, d
		}
	}
	return best
}

// TestCorrectsIsolatedErrors: symbols replaced by, or pushed most of the
// way towards, the nearest point of another subset, each further from
// the next than the traceback depth, are all corrected: one wrong symbol
// costs d0² at most, any other path at least 4 d0² more.
func TestCorrectsIsolatedErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, rate := range rates {
		pts := constellation(rate)
		e, _ := NewEncoder(rate)
		e.Reset(1)
		for _, frac := range []float32{0.6, 0.9, 1} {
			qs := randomSymbols(rng, rate, 4000)
			z := make([]complex64, len(qs))
			hits := 0
			for i, q := range qs {
				k := e.Index(q)
				z[i] = pts[k]
				if i%(TracebackDepth+7) == 5 {
					z[i] += complex(frac, 0) * (nearestOther(pts, int(k)) - pts[k])
					hits++
				}
			}
			e.Reset(1)
			got := decodeAll(t, rate, z, 1)
			if n, first := symbolErrors(qs, got); n != 0 {
				t.Errorf("%d, %d symbols moved %.0f%% of the way to a neighbour subset: %d wrong, first %d",
					rate, hits, frac*100, n, first)
			}
		}
	}
}

// hardDecode decides each point alone: the nearest signal element, its bits
// with Y0 dropped and Q1 Q2 differentially decoded.
func hardDecode(rate int, z []complex64, y uint8) []uint8 {
	pts := constellation(rate)
	out := make([]uint8, len(z))
	for i, p := range z {
		k, bd := 0, float32(math.MaxFloat32)
		for j, q := range pts {
			if d := real(p-q)*real(p-q) + imag(p-q)*imag(p-q); d < bd {
				k, bd = j, d
			}
		}
		yy := uint8(k) >> 1 & 3
		out[i] = (yy-y)&3 | uint8(k)>>3<<2
		y = yy
	}
	return out
}

// gaussian returns complex white Gaussian noise of the given total power.
func gaussian(rng *rand.Rand, power float64) complex64 {
	s := math.Sqrt(power / 2)
	return complex(float32(rng.NormFloat64()*s), float32(rng.NormFloat64()*s))
}

// TestCodingGain compares the decoder with symbol-by-symbol decisions on the
// same noisy points (signal to noise ratio per symbol, Es/N0, over complex
// white Gaussian noise). At the ratio where deciding alone makes about one
// bit error in 100, the decoder must make at least 20 times fewer; and it
// must reach the hard decisions' error rate with a few dB less.
func TestCodingGain(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range []struct {
		rate int
		snr  float64 // dB, Es/N0
	}{{14400, 24}, {12000, 21}, {9600, 18}, {7200, 15}} {
		t.Run(fmt.Sprint(c.rate), func(t *testing.T) {
			const nsym = 20000
			qs := randomSymbols(rng, c.rate, nsym)
			z := encodeAll(t, c.rate, qs, 1)
			es := 0.0
			for _, p := range z {
				es += float64(real(p)*real(p) + imag(p)*imag(p))
			}
			es /= nsym
			ber := func(snr float64) (soft, hard float64) {
				n := make([]complex64, nsym)
				for i := range z {
					n[i] = z[i] + gaussian(rng, es/math.Pow(10, snr/10))
				}
				bits := float64(nsym * BitsPerSymbol(c.rate))
				return float64(bitErrors(qs, decodeAll(t, c.rate, n, 1))) / bits,
					float64(bitErrors(qs, hardDecode(c.rate, n, 1))) / bits
			}
			soft, hard := ber(c.snr)
			soft3, _ := ber(c.snr - 3)
			t.Logf("Es/N0 %.0f dB: Viterbi BER %.2g, hard decisions %.2g; Viterbi at %.0f dB %.2g",
				c.snr, soft, hard, c.snr-3, soft3)
			if hard < 2e-3 || hard > 5e-2 {
				t.Errorf("hard-decision BER %.2g: the test point is off", hard)
			}
			if soft > hard/20 {
				t.Errorf("Viterbi BER %.2g is not well below hard decisions' %.2g", soft, hard)
			}
			if soft3 > hard {
				t.Errorf("Viterbi 3 dB lower: BER %.2g, worse than hard decisions' %.2g", soft3, hard)
			}
		})
	}
}

// TestViterbiFarPoints: points far off the constellation, infinities and
// not-a-number give decisions, and elements of the constellation as
// tentative decisions, without panicking; afterwards clean points decode
// exactly again.
func TestViterbiFarPoints(t *testing.T) {
	v, _ := NewViterbi(14400)
	in := map[complex64]bool{}
	for _, p := range constellation(14400) {
		in[p] = true
	}
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	n := 0
	for _, z := range []complex64{1e9, -1e9i, complex(1e30, -1e30), complex(nan, 0), complex(0, nan), complex(inf, -inf), 40 + 40i, -12 - 12i} {
		for range TracebackDepth + 1 {
			if _, ok := v.Decode(z); ok != (n >= TracebackDepth) {
				t.Fatalf("%v: ok %v after %d points", z, ok, n)
			}
			n++
		}
		if p := v.Tentative(); !in[p] {
			t.Errorf("%v: tentative %v is not a signal element", z, p)
		}
	}
	qs := randomSymbols(rand.New(rand.NewPCG(1, 3)), 14400, 200)
	e, _ := NewEncoder(14400)
	var got []uint8
	for i := range len(qs) + TracebackDepth {
		z := complex64(0)
		if i < len(qs) {
			z = e.Encode(qs[i])
		}
		if b, _ := v.Decode(z); i >= 2*TracebackDepth {
			got = append(got, b)
		}
	}
	// The first few decisions after the garbage may be wrong (the
	// differential decoder's reference among them); then all are right.
	if n, first := symbolErrors(qs[TracebackDepth:], got); n != 0 {
		t.Errorf("after far points: %d of %d symbols wrong, first %d", n, len(got), first)
	}
}

// TestTentative: the immediate decision is the nearest element.
func TestTentative(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, rate := range rates {
		v, _ := NewViterbi(rate)
		pts := constellation(rate)
		for range 20000 {
			z := complex(float32(rng.Float64()*24-12), float32(rng.Float64()*24-12))
			v.Decode(z)
			best, bd := complex64(0), float32(math.MaxFloat32)
			for _, q := range pts {
				if d := real(z-q)*real(z-q) + imag(z-q)*imag(z-q); d < bd {
					best, bd = q, d
				}
			}
			got := v.Tentative()
			if gd := real(z-got)*real(z-got) + imag(z-got)*imag(z-got); gd > bd+2.0/metricScale {
				t.Fatalf("%d: %v: tentative %v (d² %g), nearest %v (d² %g)", rate, z, got, gd, best, bd)
			}
		}
	}
}

func TestViterbiAllocs(t *testing.T) {
	v, _ := NewViterbi(14400)
	z := encodeAll(t, 14400, randomSymbols(rand.New(rand.NewPCG(1, 1)), 14400, 64), 1)
	i := 0
	if a := testing.AllocsPerRun(1000, func() { v.Decode(z[i&63] + 0.3); i++ }); a != 0 {
		t.Errorf("Decode allocates %.1f times per symbol", a)
	}
}

func BenchmarkViterbi(b *testing.B) {
	for _, rate := range rates {
		b.Run(fmt.Sprint(rate), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			z := encodeAll(b, rate, randomSymbols(rng, rate, 1024), 1)
			for i := range z {
				z[i] += gaussian(rng, 0.5)
			}
			v, _ := NewViterbi(rate)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				v.Decode(z[i&1023])
				i++
			}
			// 10/3 samples per symbol at 8 kHz.
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)*3/10, "ns/sample")
		})
	}
}
