package dsp

//go:generate sh -c "cd internal/asm && go run . -out ../../kernels_amd64.s -stubs ../../kernels_stub_amd64.go -pkg dsp"

// The kernels the modems spend their time in: the receivers' matched
// filter (Dot2), equaliser output (CDot) and update (CAxpyConj), the plain
// dot product (Dot), the transmitters' symbol waveform (Axpy2) and their
// conversion of it to line samples (ScaleToInt16).
//
// Each has a pure-Go implementation here, built and callable everywhere
// (dotGeneric and so on), and on amd64 a vector one, chosen once at
// start-up when the CPU has AVX2 and FMA:
//
//   - by default, assembly generated with avo by internal/asm (a module of
//     its own), kernels_amd64.s behind kernels_asm_amd64.go;
//   - under GOEXPERIMENT=simd, simd/archsimd's 256-bit vectors
//     (kernels_simd_amd64.go);
//   - the plain Go ones off amd64, on a CPU without AVX2 or FMA, and with
//     the build tag purego (kernels_generic.go; under GOEXPERIMENT=simd the
//     tag keeps archsimd, which is not assembly).
//
// CAxpyConj, Axpy2 and ScaleToInt16 are elementwise and every path
// multiplies and adds separately, in the same order: all give the same
// results bit for bit. The sums are another matter. The plain Go Dot and
// Dot2 keep four partial sums, CDot one sum in order (which Go compiles
// better than any split into partial sums). The archsimd Dot and Dot2
// repeat the plain Go order lane by lane and give the same bits; its CDot,
// and the assembly's Dot, Dot2 and CDot, sum in eight lanes with fused
// multiply-adds (an assembly Dot2 of 28 taps took 6.3 ns so, 8.5 in the
// plain Go order) and differ from the plain Go by rounding: within 1e-5 of
// the sum of the magnitudes of the terms (kernelTol in kernels_test.go; at
// these lengths both are within 2e-6 of it of the exact value). Within any
// one path, Dot2's two results have the bits of two Dots.
//
// The generic code converts each product to float32 explicitly, which
// stops the compiler fusing it into an addition when GOAMD64=v3 allows it
// to: the results are then the same at every GOAMD64 level.
//
// The complex kernels take structure-of-arrays float32 slices: real parts
// in one, imaginary parts in the other.

// Dot returns the dot product of a and b[:len(a)].
//
// The plain Go path keeps four partial sums (s0 takes elements 0, 4, 8, …
// and the tail) and adds them as (s0+s1)+(s2+s3); the assembly sums in
// eight lanes with fused multiply-adds: the two differ by rounding, within
// 1e-5 of the sum of the magnitudes of the products.
func Dot(a, b []float32) float32 { return dot(a, b) }

// Dot2 returns Dot(taps, a) and Dot(taps, b) (the same bits as two calls,
// on every path)
// in one pass over taps: the real and imaginary parts of a complex signal
// through one real filter. a and b must be at least as long as taps.
func Dot2(taps, a, b []float32) (float32, float32) { return dot2(taps, a, b) }

// CDot returns the real and imaginary parts of Σ (wr[k] + j·wi[k])·(ur[k] +
// j·ui[k]) over k < len(wr): a complex filter's output, as an equaliser's
// taps w meet its delay line u. wi, ur and ui must be at least as long as
// wr.
//
// The plain Go path adds the terms in order; the vector paths keep partial
// sums and fuse, so the two differ by rounding: within 1e-5 of the sum of
// the magnitudes of the products.
func CDot(wr, wi, ur, ui []float32) (float32, float32) { return cdot(wr, wi, ur, ui) }

// CAxpyConj adds (er + j·ei)·conj(ur[k] + j·ui[k]) to wr[k] + j·wi[k] for
// every k < len(wr): the least-mean-squares step of an equaliser with taps
// w and delay line u, for an error e already scaled by the step size. wi,
// ur and ui must be at least as long as wr.
//
// Each element becomes wr + (er·ur + ei·ui) and wi + (ei·ur − er·ui), the
// products rounded before they are added, on every path: all give the same
// bits.
func CAxpyConj(wr, wi, ur, ui []float32, er, ei float32) { caxpyConj(wr, wi, ur, ui, er, ei) }

// Axpy2 adds a·x[k] + b·y[k] to dst[k] for every k < len(dst): in a
// transmitter, the waveform of symbol I + jQ entering the accumulator dst,
// Re{(I + jQ)·h} = I·Re{h} − Q·Im{h}, with x and y the real and imaginary
// parts of the modulated pulse h, a = I and b = −Q. x and y must be at
// least as long as dst.
//
// Each element becomes dst + (a·x + b·y), the products rounded before they
// are added, on every path: all give the same bits.
func Axpy2(dst, x, y []float32, a, b float32) { axpy2(dst, x, y, a, b) }

// ScaleToInt16 sets dst[k] to src[k]·g rounded to the nearest integer and
// saturated to int16, for every k < len(dst): in a transmitter, the line
// samples from its accumulator at unit gain. src must be at least as long
// as dst.
//
// Each element is the integer part of (src·g) + 32768.5, the product and
// the sum rounded to float32 (as the transmitters rounded before this
// kernel), clamped to [0, 65535], less 32768: halves round up, and values
// beyond int16's range, ±Inf among them, saturate. NaN gives −32768, as a
// value below the range does (and as the transmitters' int64 conversion
// gave on amd64 and arm64 alike). Every path gives the same bits.
func ScaleToInt16(dst []int16, src []float32, g float32) { scaleToInt16(dst, src, g) }

// dotGeneric is Dot in plain Go.
func dotGeneric(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	// Re-slicing by four each time lets the compiler drop the bounds checks
	// inside the loop.
	for len(a) >= 4 && len(b) >= 4 {
		s0 += float32(a[0] * b[0])
		s1 += float32(a[1] * b[1])
		s2 += float32(a[2] * b[2])
		s3 += float32(a[3] * b[3])
		a, b = a[4:], b[4:]
	}
	b = b[:len(a)]
	for i := range a {
		s0 += float32(a[i] * b[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// dot2Generic is Dot2 in plain Go.
func dot2Generic(taps, a, b []float32) (float32, float32) {
	a = a[:len(taps)]
	b = b[:len(taps)]
	var a0, a1, a2, a3, b0, b1, b2, b3 float32
	for len(taps) >= 4 && len(a) >= 4 && len(b) >= 4 {
		t0, t1, t2, t3 := taps[0], taps[1], taps[2], taps[3]
		a0 += float32(t0 * a[0])
		a1 += float32(t1 * a[1])
		a2 += float32(t2 * a[2])
		a3 += float32(t3 * a[3])
		b0 += float32(t0 * b[0])
		b1 += float32(t1 * b[1])
		b2 += float32(t2 * b[2])
		b3 += float32(t3 * b[3])
		taps, a, b = taps[4:], a[4:], b[4:]
	}
	a = a[:len(taps)]
	b = b[:len(taps)]
	for i := range taps {
		a0 += float32(taps[i] * a[i])
		b0 += float32(taps[i] * b[i])
	}
	return (a0 + a1) + (a2 + a3), (b0 + b1) + (b2 + b3)
}

// cdotGeneric is CDot in plain Go: one sum for each part, in order (the
// receivers' loop before the kernels; as fast as Go makes any split of it).
func cdotGeneric(wr, wi, ur, ui []float32) (float32, float32) {
	n := len(wr)
	wi, ur, ui = wi[:n], ur[:n], ui[:n]
	var re, im float32
	for i := range wr {
		re += float32(wr[i]*ur[i]) - float32(wi[i]*ui[i])
		im += float32(wr[i]*ui[i]) + float32(wi[i]*ur[i])
	}
	return re, im
}

// caxpyConjGeneric is CAxpyConj in plain Go.
func caxpyConjGeneric(wr, wi, ur, ui []float32, er, ei float32) {
	n := len(wr)
	wi, ur, ui = wi[:n], ur[:n], ui[:n]
	for i := range wr {
		wr[i] += float32(er*ur[i]) + float32(ei*ui[i])
		wi[i] += float32(ei*ur[i]) - float32(er*ui[i])
	}
}

// axpy2Generic is Axpy2 in plain Go.
func axpy2Generic(dst, x, y []float32, a, b float32) {
	n := len(dst)
	x, y = x[:n], y[:n]
	for i := range dst {
		dst[i] += float32(a*x[i]) + float32(b*y[i])
	}
}

// scaleToInt16Generic is ScaleToInt16 in plain Go. It clamps before it
// converts, as Go leaves the conversion of NaN and of values beyond int32
// to the architecture. (Clamping x so took 1.05 ns a sample, choosing the
// int32 by the same comparisons 1.25, the builtin min and max, which must
// handle NaN, 1.9.)
func scaleToInt16Generic(dst []int16, src []float32, g float32) {
	src = src[:len(dst)]
	for i, s := range src {
		x := float32(float32(s*g) + 32768.5)
		if !(x > 0) { // NaN too
			x = 0
		}
		if x > 65535 {
			x = 65535
		}
		dst[i] = int16(int32(x) - 32768)
	}
}
