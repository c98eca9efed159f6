//go:build !amd64 || (purego && !goexperiment.simd)

package dsp

// Off amd64, and on amd64 with the build tag purego (no assembly) unless
// GOEXPERIMENT=simd, the kernels are the plain Go ones. Exactly one of
// this file, kernels_asm_amd64.go and kernels_simd_amd64.go builds.

// kernelPath names the implementation the kernels use, for tests and
// benchmarks.
const kernelPath = "generic"

func dot(a, b []float32) float32 { return dotGeneric(a, b) }

func dot2(taps, a, b []float32) (float32, float32) { return dot2Generic(taps, a, b) }

func cdot(wr, wi, ur, ui []float32) (float32, float32) { return cdotGeneric(wr, wi, ur, ui) }

func caxpyConj(wr, wi, ur, ui []float32, er, ei float32) {
	caxpyConjGeneric(wr, wi, ur, ui, er, ei)
}

func axpy2(dst, x, y []float32, a, b float32) { axpy2Generic(dst, x, y, a, b) }

func scaleToInt16(dst []int16, src []float32, g float32) { scaleToInt16Generic(dst, src, g) }
