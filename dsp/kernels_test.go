package dsp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// kernelTol bounds the kernels' rounding: a result lies within
// kernelTol·Σ|terms| of the exact value, and Dot's, Dot2's and CDot's paths
// within kernelTol·Σ|terms| of each other. For the lengths here, at most 70
// terms, a sum in order is within 70·2⁻²⁴·Σ|terms| (4.2e-6) of the exact
// value, Dot's four partial sums within 20·2⁻²⁴·Σ|terms| (1.2e-6), and the
// vector paths' eight lanes with fused multiply-adds, then three levels of
// pairwise sums, within 12·2⁻²⁴·Σ|terms| (7e-7). CAxpyConj and Axpy2 must
// moreover agree with their plain Go twins exactly: every path performs the
// same operations in the same order.
const kernelTol = 1e-5

// same reports whether two results agree exactly (as values, so +0 and -0
// agree, as a vector lane may add +0 where the plain loop adds nothing).
func same(got, want float32) bool { return got == want }

// near reports whether got is within kernelTol·mag of the exact value.
func near(got float32, exact, mag float64) bool {
	return math.Abs(float64(got)-exact) <= kernelTol*mag
}

// kernelInputs returns four slices of n random values, each starting at a
// different offset into a longer one, so loads meet every alignment, and
// each longer than n, as the receivers pass them.
func kernelInputs(rng *rand.Rand, n int) (a, b, c, d []float32) {
	s := make([][]float32, 4)
	for i := range s {
		off := rng.IntN(8)
		s[i] = randomFloats(rng, off+n+rng.IntN(9))[off:]
	}
	return s[0], s[1], s[2], s[3]
}

// TestKernels checks every kernel against its plain Go twin (CAxpyConj and
// Axpy2 exactly, the sums within kernelTol) and against float64 arithmetic
// within kernelTol, over lengths 0 to 70 (every tail of the eight-lane
// loops, several times over), that Dot2 gives the bits of two Dots, and
// that Axpy2 writes nothing past len(dst).
func TestKernels(t *testing.T) {
	t.Logf("kernels: %s", kernelPath)
	rng := rand.New(rand.NewPCG(3, 4))
	// The largest differences between paths, over Σ|terms|.
	var worstDot, worstCDot float64
	defer func() {
		t.Logf("paths differ by up to %.2g of Σ|terms| (Dot, Dot2), %.2g (CDot)", worstDot, worstCDot)
	}()
	for n := 0; n <= 70; n++ {
		for trial := 0; trial < 4; trial++ {
			a, b, c, d := kernelInputs(rng, n)

			// Dot and Dot2.
			var exA, exB, magA, magB float64
			for i := range n {
				exA += float64(a[i]) * float64(b[i])
				exB += float64(a[i]) * float64(c[i])
				magA += math.Abs(float64(a[i]) * float64(b[i]))
				magB += math.Abs(float64(a[i]) * float64(c[i]))
			}
			got := Dot(a[:n], b)
			want := dotGeneric(a[:n], b)
			if n > 0 {
				worstDot = max(worstDot, math.Abs(float64(got-want))/magA)
			}
			if !near(got, float64(want), magA) {
				t.Errorf("n=%d: Dot = %v, generic %v (Σ|terms| %v)", n, got, want, magA)
			}
			if !near(got, exA, magA) {
				t.Errorf("n=%d: Dot = %v, exact %v (Σ|terms| %v)", n, got, exA, magA)
			}
			ga, gb := Dot2(a[:n], b, c)
			if da, db := Dot(a[:n], b), Dot(a[:n], c); math.Float32bits(ga) != math.Float32bits(da) || math.Float32bits(gb) != math.Float32bits(db) {
				t.Errorf("n=%d: Dot2 = %v, %v, two Dots %v, %v", n, ga, gb, da, db)
			}
			wa, wb := dot2Generic(a[:n], b, c)
			if n > 0 {
				worstDot = max(worstDot, math.Abs(float64(gb-wb))/magB)
			}
			if !near(ga, float64(wa), magA) || !near(gb, float64(wb), magB) {
				t.Errorf("n=%d: Dot2 = %v, %v, generic %v, %v", n, ga, gb, wa, wb)
			}
			if !near(ga, exA, magA) || !near(gb, exB, magB) {
				t.Errorf("n=%d: Dot2 = %v, %v, exact %v, %v", n, ga, gb, exA, exB)
			}

			// CDot.
			var exR, exI, magR, magI float64
			for i := range n {
				wr, wi, ur, ui := float64(a[i]), float64(b[i]), float64(c[i]), float64(d[i])
				exR += wr*ur - wi*ui
				exI += wr*ui + wi*ur
				magR += math.Abs(wr*ur) + math.Abs(wi*ui)
				magI += math.Abs(wr*ui) + math.Abs(wi*ur)
			}
			gr, gi := CDot(a[:n], b, c, d)
			wr, wi := cdotGeneric(a[:n], b, c, d)
			if n > 0 {
				worstCDot = max(worstCDot, math.Abs(float64(gr-wr))/magR, math.Abs(float64(gi-wi))/magI)
			}
			if !near(gr, float64(wr), magR) || !near(gi, float64(wi), magI) {
				t.Errorf("n=%d: CDot = %v, %v, generic %v, %v (Σ|terms| %v, %v)", n, gr, gi, wr, wi, magR, magI)
			}
			if !near(wr, exR, magR) || !near(wi, exI, magI) {
				t.Errorf("n=%d: generic CDot = %v, %v, exact %v, %v", n, wr, wi, exR, exI)
			}
			if !near(gr, exR, magR) || !near(gi, exI, magI) {
				t.Errorf("n=%d: CDot = %v, %v, exact %v, %v", n, gr, gi, exR, exI)
			}

			// CAxpyConj, on copies of a and b as the taps.
			er, ei := float32(rng.NormFloat64()), float32(rng.NormFloat64())
			wr1, wi1 := append([]float32(nil), a[:n]...), append([]float32(nil), b[:n]...)
			wr2, wi2 := append([]float32(nil), a[:n]...), append([]float32(nil), b[:n]...)
			CAxpyConj(wr1, wi1, c, d, er, ei)
			caxpyConjGeneric(wr2, wi2, c, d, er, ei)
			for i := range n {
				if !same(wr1[i], wr2[i]) || !same(wi1[i], wi2[i]) {
					t.Errorf("n=%d: CAxpyConj[%d] = %v, %v, generic %v, %v", n, i, wr1[i], wi1[i], wr2[i], wi2[i])
					break
				}
				ur, ui := float64(c[i]), float64(d[i])
				xr := float64(a[i]) + float64(er)*ur + float64(ei)*ui
				xi := float64(b[i]) + float64(ei)*ur - float64(er)*ui
				mr := math.Abs(float64(a[i])) + math.Abs(float64(er)*ur) + math.Abs(float64(ei)*ui)
				mi := math.Abs(float64(b[i])) + math.Abs(float64(ei)*ur) + math.Abs(float64(er)*ui)
				if !near(wr1[i], xr, mr) || !near(wi1[i], xi, mi) {
					t.Errorf("n=%d: CAxpyConj[%d] = %v, %v, exact %v, %v", n, i, wr1[i], wi1[i], xr, xi)
					break
				}
			}

			// Axpy2, on a copy of a with the elements past n in place.
			xa, xb := float32(rng.NormFloat64()), float32(rng.NormFloat64())
			d1, d2 := append([]float32(nil), a[:cap(a)]...), append([]float32(nil), a[:cap(a)]...)
			Axpy2(d1[:n], b, c, xa, xb)
			axpy2Generic(d2[:n], b, c, xa, xb)
			for i := range n {
				if !same(d1[i], d2[i]) {
					t.Errorf("n=%d: Axpy2[%d] = %v, generic %v", n, i, d1[i], d2[i])
					break
				}
				x := float64(a[i]) + float64(xa)*float64(b[i]) + float64(xb)*float64(c[i])
				m := math.Abs(float64(a[i])) + math.Abs(float64(xa)*float64(b[i])) + math.Abs(float64(xb)*float64(c[i]))
				if !near(d1[i], x, m) {
					t.Errorf("n=%d: Axpy2[%d] = %v, exact %v", n, i, d1[i], x)
					break
				}
			}
			for i := n; i < len(d1); i++ {
				if math.Float32bits(d1[i]) != math.Float32bits(a[:cap(a)][i]) {
					t.Errorf("n=%d: Axpy2 wrote element %d, past len(dst)", n, i)
					break
				}
			}
		}
	}
}

// scaleValues returns values for ScaleToInt16's edges: halves (as src·1)
// about 0 and about int16's limits and the float32s either side of them,
// zeros, the smallest float32, values far beyond int16 and int32, ±Inf and
// NaN.
func scaleValues() []float32 {
	inf := float32(math.Inf(1))
	var v []float32
	for _, k := range []float32{0, 1, 2, 100, 32766, 32767, 32768, 32769, 65535} {
		for _, x := range []float32{k - 0.5, k + 0.5, -k - 0.5, -k + 0.5} {
			v = append(v, x, math.Nextafter32(x, inf), math.Nextafter32(x, -inf))
		}
	}
	return append(v, 0, float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32,
		3e9, -3e9, 1e30, -1e30, math.MaxFloat32, -math.MaxFloat32, inf, -inf, float32(math.NaN()))
}

// scaleWant is ScaleToInt16's element as the transmitters computed their
// samples before the kernel (an int64 conversion, then saturation), with
// the values that conversion leaves to the architecture, NaN and those
// beyond int64, as ScaleToInt16 defines them.
func scaleWant(s, g float32) int16 {
	x := float32(float32(s*g) + 32768.5)
	switch {
	case x != x || x < -1e18:
		return -32768
	case x > 1e18:
		return 32767
	}
	v := int64(x) - 32768
	return int16(min(max(v, -32768), 32767))
}

// TestScaleToInt16 checks ScaleToInt16 against its plain Go twin and
// scaleWant, exactly, over lengths 0 to 70 (every tail of the 16-sample
// loop, several times over) at every alignment of dst and src, for values
// at and beside the rounding and saturation edges, huge, infinite and NaN,
// at several gains (one taking products to ±Inf); and that it writes
// nothing past len(dst).
func TestScaleToInt16(t *testing.T) {
	t.Logf("kernels: %s", kernelPath)
	rng := rand.New(rand.NewPCG(9, 10))
	edges := scaleValues()
	const mark = 0x5a5a
	for n := 0; n <= 70; n++ {
		for trial := range 8 {
			g := []float32{1, 1, 0.75, 2.5, -1, 1e-3, 1e35, 0}[trial]
			src := make([]float32, rng.IntN(8)+n)
			for i := range src {
				if rng.IntN(2) == 0 {
					src[i] = edges[rng.IntN(len(edges))]
				} else {
					src[i] = float32(rng.NormFloat64() * 30000)
				}
			}
			src = src[len(src)-n:]
			off := rng.IntN(8)
			got, want := make([]int16, off+n+8), make([]int16, n)
			for i := range got {
				got[i] = mark
			}
			ScaleToInt16(got[off:off+n], src, g)
			scaleToInt16Generic(want, src, g)
			for i := range n {
				if w := scaleWant(src[i], g); want[i] != w {
					t.Errorf("n=%d: generic [%d] = %d for %v·%v, want %d", n, i, want[i], src[i], g, w)
					break
				}
				if got[off+i] != want[i] {
					t.Errorf("n=%d: ScaleToInt16[%d] = %d for %v·%v, generic %d", n, i, got[off+i], src[i], g, want[i])
					break
				}
			}
			for i := off + n; i < len(got); i++ {
				if got[i] != mark {
					t.Errorf("n=%d: ScaleToInt16 wrote element %d, past len(dst)", n, i-off)
					break
				}
			}
		}
	}
}

// TestKernelsShortPanics checks that a kernel given a second operand
// shorter than its first panics, as an index out of range would, rather
// than reading past it.
func TestKernelsShortPanics(t *testing.T) {
	long, short := make([]float32, 24), make([]float32, 23)
	for name, f := range map[string]func(){
		"Dot":          func() { Dot(long, short) },
		"Dot2":         func() { Dot2(long, long, short) },
		"CDot":         func() { CDot(long, long, long, short) },
		"CAxpyConj":    func() { CAxpyConj(long, long, short, long, 1, 1) },
		"Axpy2":        func() { Axpy2(long, long, short, 1, 1) },
		"ScaleToInt16": func() { ScaleToInt16(make([]int16, 24), short, 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestKernelsNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{5, 16, 24, 28, 41} {
		a, b, c, d := kernelInputs(rng, n)
		a = a[:n]
		pcm := make([]int16, n)
		allocs := testing.AllocsPerRun(100, func() {
			dotSink += Dot(a, b)
			p, q := Dot2(a, b, c)
			r, s := CDot(a, b, c, d)
			dotSink += p + q + r + s
			CAxpyConj(a, b, c, d, 1e-3, -1e-3)
			Axpy2(a, b, c, 1e-3, -1e-3)
			ScaleToInt16(pcm, b, 1e3)
		})
		if allocs != 0 {
			t.Errorf("n=%d: %v allocations", n, allocs)
		}
	}
}

// BenchmarkKernels times each kernel, as built and in plain Go, at the
// lengths the receivers use: the V.29 matched filter (28 taps) and
// equaliser (24), V.27ter's equaliser (16) and 4800 bit/s matched filter
// (41); Axpy2 at the lengths of the transmitters' symbol waveforms:
// V.29's 27 samples, V.17's 30, either padded to 32, V.27ter's 40 and 56;
// and ScaleToInt16 at the lengths the transmitters convert at once in
// blocks of 160 samples (32 and 64: up to their accumulators' wrap) and at
// one with every tail (63).
func BenchmarkKernels(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{16, 24, 28, 41} {
		w, x, y, z := kernelInputs(rng, n)
		w = w[:n]
		b.Run(fmt.Sprintf("Dot2/%d/%s", n, kernelPath), func(b *testing.B) {
			for range b.N {
				p, q := Dot2(w, x, y)
				dotSink += p + q
			}
		})
		b.Run(fmt.Sprintf("Dot2/%d/generic", n), func(b *testing.B) {
			for range b.N {
				p, q := dot2Generic(w, x, y)
				dotSink += p + q
			}
		})
		b.Run(fmt.Sprintf("CDot/%d/%s", n, kernelPath), func(b *testing.B) {
			for range b.N {
				p, q := CDot(w, x, y, z)
				dotSink += p + q
			}
		})
		b.Run(fmt.Sprintf("CDot/%d/generic", n), func(b *testing.B) {
			for range b.N {
				p, q := cdotGeneric(w, x, y, z)
				dotSink += p + q
			}
		})
		wr, wi := append([]float32(nil), w...), append([]float32(nil), x[:n]...)
		b.Run(fmt.Sprintf("CAxpyConj/%d/%s", n, kernelPath), func(b *testing.B) {
			for range b.N {
				CAxpyConj(wr, wi, y, z, 1e-9, -1e-9)
			}
		})
		b.Run(fmt.Sprintf("CAxpyConj/%d/generic", n), func(b *testing.B) {
			for range b.N {
				caxpyConjGeneric(wr, wi, y, z, 1e-9, -1e-9)
			}
		})
		b.Run(fmt.Sprintf("Dot/%d/%s", n, kernelPath), func(b *testing.B) {
			for range b.N {
				dotSink += Dot(w, x)
			}
		})
		b.Run(fmt.Sprintf("Dot/%d/generic", n), func(b *testing.B) {
			for range b.N {
				dotSink += dotGeneric(w, x)
			}
		})
	}
	for _, n := range []int{27, 30, 32, 40, 56} {
		d, x, y, _ := kernelInputs(rng, n)
		d = d[:n]
		b.Run(fmt.Sprintf("Axpy2/%d/%s", n, kernelPath), func(b *testing.B) {
			for range b.N {
				Axpy2(d, x, y, 1e-9, -1e-9)
			}
		})
		b.Run(fmt.Sprintf("Axpy2/%d/generic", n), func(b *testing.B) {
			for range b.N {
				axpy2Generic(d, x, y, 1e-9, -1e-9)
			}
		})
	}
	for _, n := range []int{32, 63, 64} {
		_, x, _, _ := kernelInputs(rng, n)
		d := make([]int16, n)
		b.Run(fmt.Sprintf("ScaleToInt16/%d/%s", n, kernelPath), func(b *testing.B) {
			for range b.N {
				ScaleToInt16(d, x, 1e4)
			}
		})
		b.Run(fmt.Sprintf("ScaleToInt16/%d/generic", n), func(b *testing.B) {
			for range b.N {
				scaleToInt16Generic(d, x, 1e4)
			}
		})
	}
}
