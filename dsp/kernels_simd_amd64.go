//go:build goexperiment.simd && amd64

package dsp

import "simd/archsimd"

// The kernels with simd/archsimd's 256-bit vectors. Dot, Dot2, CAxpyConj,
// Axpy2 and ScaleToInt16 repeat their generic twins' order of operations,
// lane by lane, so the two give the same bits; CDot sums in eight lanes
// with fused multiply-adds (see kernels.go).
//
// Each clears the upper halves of the vector registers
// (archsimd.ClearAVXUpperBits, VZEROUPPER) once its 256-bit values are
// dead: the compiler does not yet do so itself, and the scalar SSE code
// that follows, here or in the caller, otherwise ran a kernel of 28 taps
// at 160 ns rather than a few.

// useSIMD is whether the CPU has what the vector kernels use: AVX2 and
// FMA. It is read once: a feature test inside each call made a kernel of
// this size slower.
var useSIMD = archsimd.X86.AVX2() && archsimd.X86.FMA()

// kernelPath names the implementation the kernels use, for tests and
// benchmarks.
var kernelPath = func() string {
	if useSIMD {
		return "avx2"
	}
	return "generic"
}()

func dot(a, b []float32) float32 {
	if useSIMD {
		return dotAVX2(a, b)
	}
	return dotGeneric(a, b)
}

func dot2(taps, a, b []float32) (float32, float32) {
	if useSIMD {
		return dot2AVX2(taps, a, b)
	}
	return dot2Generic(taps, a, b)
}

func cdot(wr, wi, ur, ui []float32) (float32, float32) {
	if useSIMD {
		return cdotAVX2(wr, wi, ur, ui)
	}
	return cdotGeneric(wr, wi, ur, ui)
}

func caxpyConj(wr, wi, ur, ui []float32, er, ei float32) {
	if useSIMD {
		caxpyConjAVX2(wr, wi, ur, ui, er, ei)
		return
	}
	caxpyConjGeneric(wr, wi, ur, ui, er, ei)
}

func axpy2(dst, x, y []float32, a, b float32) {
	if useSIMD {
		axpy2AVX2(dst, x, y, a, b)
		return
	}
	axpy2Generic(dst, x, y, a, b)
}

func scaleToInt16(dst []int16, src []float32, g float32) {
	if useSIMD {
		scaleToInt16AVX2(dst, src, g)
		return
	}
	scaleToInt16Generic(dst, src, g)
}

// dotAVX2 is Dot with the four partial sums in the lanes of one 128-bit
// accumulator; eight products at a time go in as two halves, in order.
func dotAVX2(a, b []float32) float32 {
	b = b[:len(a)]
	var s archsimd.Float32x4
	for len(a) >= 8 && len(b) >= 8 {
		p := archsimd.LoadFloat32x8Slice(a).Mul(archsimd.LoadFloat32x8Slice(b))
		s = s.Add(p.GetLo()).Add(p.GetHi())
		a, b = a[8:], b[8:]
	}
	archsimd.ClearAVXUpperBits()
	if len(a) >= 4 && len(b) >= 4 {
		s = s.Add(archsimd.LoadFloat32x4Slice(a).Mul(archsimd.LoadFloat32x4Slice(b)))
		a, b = a[4:], b[4:]
	}
	if len(a) > 0 {
		// The last one to three products go to the first sum.
		b = b[:len(a)]
		s0 := s.GetElem(0)
		for i := range a {
			s0 += float32(a[i] * b[i])
		}
		s = s.SetElem(0, s0)
	}
	// [s0+s1, s2+s3, …], then [(s0+s1)+(s2+s3), …].
	h := s.AddPairs(s)
	return h.AddPairs(h).GetElem(0)
}

// dot2AVX2 is Dot2: dotAVX2 twice over with the taps loaded once.
func dot2AVX2(taps, a, b []float32) (float32, float32) {
	a = a[:len(taps)]
	b = b[:len(taps)]
	var sa, sb archsimd.Float32x4
	for len(taps) >= 8 && len(a) >= 8 && len(b) >= 8 {
		t := archsimd.LoadFloat32x8Slice(taps)
		pa := t.Mul(archsimd.LoadFloat32x8Slice(a))
		pb := t.Mul(archsimd.LoadFloat32x8Slice(b))
		sa = sa.Add(pa.GetLo()).Add(pa.GetHi())
		sb = sb.Add(pb.GetLo()).Add(pb.GetHi())
		taps, a, b = taps[8:], a[8:], b[8:]
	}
	archsimd.ClearAVXUpperBits()
	if len(taps) >= 4 && len(a) >= 4 && len(b) >= 4 {
		t := archsimd.LoadFloat32x4Slice(taps)
		sa = sa.Add(t.Mul(archsimd.LoadFloat32x4Slice(a)))
		sb = sb.Add(t.Mul(archsimd.LoadFloat32x4Slice(b)))
		taps, a, b = taps[4:], a[4:], b[4:]
	}
	if len(taps) > 0 {
		a = a[:len(taps)]
		b = b[:len(taps)]
		a0, b0 := sa.GetElem(0), sb.GetElem(0)
		for i := range taps {
			a0 += float32(taps[i] * a[i])
			b0 += float32(taps[i] * b[i])
		}
		sa, sb = sa.SetElem(0, a0), sb.SetElem(0, b0)
	}
	// [a0+a1, a2+a3, b0+b1, b2+b3], then [(a0+a1)+(a2+a3), (b0+b1)+(b2+b3), …].
	h := sa.AddPairs(sb)
	h = h.AddPairs(h)
	return h.GetElem(0), h.GetElem(1)
}

// cdotAVX2 is CDot in eight lanes with fused multiply-adds, the four
// products of each element in four sums so that no two fused operations
// wait on each other.
func cdotAVX2(wr, wi, ur, ui []float32) (float32, float32) {
	n := len(wr)
	wi, ur, ui = wi[:n], ur[:n], ui[:n]
	var rr, ii, ri, ir archsimd.Float32x8 // Σ wr·ur, wi·ui, wr·ui, wi·ur
	for len(wr) >= 8 && len(wi) >= 8 && len(ur) >= 8 && len(ui) >= 8 {
		a, b := archsimd.LoadFloat32x8Slice(wr), archsimd.LoadFloat32x8Slice(wi)
		c, d := archsimd.LoadFloat32x8Slice(ur), archsimd.LoadFloat32x8Slice(ui)
		rr, ii = a.MulAdd(c, rr), b.MulAdd(d, ii)
		ri, ir = a.MulAdd(d, ri), b.MulAdd(c, ir)
		wr, wi, ur, ui = wr[8:], wi[8:], ur[8:], ui[8:]
	}
	// The eight real and eight imaginary lanes, then
	// [r0+r1, r2+r3, i0+i1, i2+i3 | r4+r5, r6+r7, i4+i5, i6+i7], the halves
	// added, then the pairs.
	h := rr.Sub(ii).AddPairsGrouped(ri.Add(ir))
	q := h.GetLo().Add(h.GetHi())
	q = q.AddPairs(q)
	// Through memory, which orders the sums before the clearing: the
	// compiler would otherwise schedule the pure vector operations after
	// it, keeping 256-bit values live across it.
	var out [4]float32
	q.Store(&out)
	archsimd.ClearAVXUpperBits()
	// The last one to seven elements, in order. (LoadFloat32x8SlicePart
	// would take them as a vector padded with zeros, but its pointer
	// conversion trips -race's checkptr.)
	re, im := cdotGeneric(wr, wi, ur, ui)
	return out[0] + re, out[1] + im
}

// caxpyConjAVX2 is CAxpyConj eight elements at a time.
func caxpyConjAVX2(wr, wi, ur, ui []float32, er, ei float32) {
	n := len(wr)
	wi, ur, ui = wi[:n], ur[:n], ui[:n]
	vr, vi := archsimd.BroadcastFloat32x8(er), archsimd.BroadcastFloat32x8(ei)
	for len(wr) >= 8 && len(wi) >= 8 && len(ur) >= 8 && len(ui) >= 8 {
		c, d := archsimd.LoadFloat32x8Slice(ur), archsimd.LoadFloat32x8Slice(ui)
		a := archsimd.LoadFloat32x8Slice(wr).Add(vr.Mul(c).Add(vi.Mul(d)))
		b := archsimd.LoadFloat32x8Slice(wi).Add(vi.Mul(c).Sub(vr.Mul(d)))
		a.StoreSlice(wr)
		b.StoreSlice(wi)
		wr, wi, ur, ui = wr[8:], wi[8:], ur[8:], ui[8:]
	}
	archsimd.ClearAVXUpperBits()
	if len(wr) > 0 {
		caxpyConjGeneric(wr, wi, ur, ui, er, ei)
	}
}

// axpy2AVX2 is Axpy2 eight elements at a time.
func axpy2AVX2(dst, x, y []float32, a, b float32) {
	n := len(dst)
	x, y = x[:n], y[:n]
	va, vb := archsimd.BroadcastFloat32x8(a), archsimd.BroadcastFloat32x8(b)
	for len(dst) >= 8 && len(x) >= 8 && len(y) >= 8 {
		p := va.Mul(archsimd.LoadFloat32x8Slice(x)).Add(vb.Mul(archsimd.LoadFloat32x8Slice(y)))
		archsimd.LoadFloat32x8Slice(dst).Add(p).StoreSlice(dst)
		dst, x, y = dst[8:], x[8:], y[8:]
	}
	archsimd.ClearAVXUpperBits()
	if len(dst) > 0 {
		axpy2Generic(dst, x, y, a, b)
	}
}

// scaleToInt16AVX2 is ScaleToInt16 eight samples at a time: clamped to
// [0, 65535] in floats, as the assembly does, then VCVTTPS2DQ and
// VPACKSSDW. The compiler takes archsimd's Max and Min as commutative and
// may swap their operands, and with them the one VMAXPS returns when
// either is NaN (the assembly relies on the order), so NaN lanes, where
// x == x fails, are set to 0 first.
func scaleToInt16AVX2(dst []int16, src []float32, g float32) {
	src = src[:len(dst)]
	vg, half := archsimd.BroadcastFloat32x8(g), archsimd.BroadcastFloat32x8(32768.5)
	var zero archsimd.Float32x8
	top, bias := archsimd.BroadcastFloat32x8(65535), archsimd.BroadcastInt32x8(32768)
	for len(dst) >= 8 && len(src) >= 8 {
		x := archsimd.LoadFloat32x8Slice(src).Mul(vg).Add(half)
		x = x.Masked(x.Equal(x)).Max(zero).Min(top)
		v := x.ConvertToInt32().Sub(bias)
		v.GetLo().SaturateToInt16Concat(v.GetHi()).StoreSlice(dst)
		dst, src = dst[8:], src[8:]
	}
	archsimd.ClearAVXUpperBits()
	if len(dst) > 0 {
		scaleToInt16Generic(dst, src, g)
	}
}
