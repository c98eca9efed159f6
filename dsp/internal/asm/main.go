// Command asm generates dsp's kernels in amd64 assembly with AVX2 and FMA
// (dsp/kernels_amd64.s and their declarations, dsp/kernels_stub_amd64.go).
// Run it through go generate in dsp (see kernels.go):
//
//	cd internal/asm && go run . -out ../../kernels_amd64.s -stubs ../../kernels_stub_amd64.go -pkg dsp
//
// It is a module of its own so that avo is not a dependency of faxd.
//
// Dot, Dot2 and CDot sum in eight lanes with fused multiply-adds, the
// last one to seven elements taken with masked loads (the other lanes
// zero), then add the lanes in one fixed order: Dot2's two results have the
// bits of two Dots. They differ from the plain Go sums by rounding only
// (see kernels.go). CAxpyConj, Axpy2 and ScaleToInt16 multiply and add
// separately, in Go's order, so they give the same bits as the plain Go;
// they take their last elements four (ScaleToInt16 eight, then four) and
// then one at a time. A masked load never touches the elements masked out.
//
// The Go wrappers (kernels_asm_amd64.go) re-slice the operands to the
// length of the first, so a short one panics there; the assembly reads the
// first's length only.
package main

import (
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// tailMask is eight all-ones words then eight zeros: the eight words at
// word 8−n are a mask of the first n lanes.
var tailMask Mem

// scaleConsts is ScaleToInt16's constants: 32768.5 and 65535 as float32
// and 32768 as an int32.
var scaleConsts Mem

func main() {
	ConstraintExpr("amd64,!goexperiment.simd,!purego")

	tailMask = GLOBL("kernelsTailMask", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		v := uint32(0)
		if i < 8 {
			v = 0xffffffff
		}
		DATA(4*i, U32(v))
	}
	scaleConsts = GLOBL("kernelsScaleConsts", RODATA|NOPTR)
	// As bits: avo writes F32(65535) as $(65535), which the assembler
	// takes for an integer.
	DATA(0, U32(math.Float32bits(32768.5)))
	DATA(4, U32(math.Float32bits(65535)))
	DATA(8, U32(32768))

	dot()
	dot2()
	cdot()
	caxpyConj()
	axpy2()
	scaleToInt16()
	Generate()
}

// addr is the address of the parameter name, a float32.
func addr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// mask loads the mask of the first n (1 to 7) lanes.
func mask(n Register) VecVirtual {
	base, k := GP64(), GP64()
	LEAQ(tailMask, base)
	MOVQ(U32(8), k)
	SUBQ(n, k)
	m := YMM()
	VMOVDQU(Mem{Base: base, Index: k, Scale: 4}, m)
	return m
}

func dot() {
	TEXT("dotAsm", NOSPLIT, "func(a, b []float32) float32")
	Pragma("noescape")
	Doc("dotAsm is Dot with AVX2 and FMA: len(b) must be at least len(a).")
	a := Mem{Base: Load(Param("a").Base(), GP64())}
	b := Mem{Base: Load(Param("b").Base(), GP64())}
	n := Load(Param("a").Len(), GP64())

	s := YMM()
	VXORPS(s, s, s)

	Label("loop8")
	CMPQ(n, U8(8))
	JL(LabelRef("tail"))
	x := YMM()
	VMOVUPS(a, x)
	VFMADD231PS(b, x, s)
	ADDQ(U8(32), a.Base)
	ADDQ(U8(32), b.Base)
	SUBQ(U8(8), n)
	JMP(LabelRef("loop8"))

	Comment("The last one to seven products, the other lanes zero.")
	Label("tail")
	TESTQ(n, n)
	JE(LabelRef("reduce"))
	m := mask(n)
	ta, tb := YMM(), YMM()
	VMASKMOVPS(a, m, ta)
	VMASKMOVPS(b, m, tb)
	VFMADD231PS(tb, ta, s)

	Label("reduce")
	reduce(s, s)
	RET()
}

// reduce adds the eight lanes of a and of b and stores the sums as the
// function's first and second results (the second only when a and b
// differ), both in the same order, so that Dot2's two results have the
// bits of two Dots: [a0+a1, a2+a3, b0+b1, b2+b3 | a4+a5, a6+a7, b4+b5,
// b6+b7], the halves added, then the pairs.
func reduce(a, b VecVirtual) {
	VHADDPS(b, a, a)
	hi := XMM()
	VEXTRACTF128(U8(1), a, hi)
	q := a.AsX()
	VADDPS(hi, q, q)
	VHADDPS(q, q, q)
	VZEROUPPER()
	Store(q, ReturnIndex(0))
	if a != b {
		VMOVSHDUP(q, hi)
		Store(hi, ReturnIndex(1))
	}
}

func dot2() {
	TEXT("dot2Asm", NOSPLIT, "func(taps, a, b []float32) (float32, float32)")
	Pragma("noescape")
	Doc("dot2Asm is Dot2 with AVX2 and FMA: len(a) and len(b) must be at least len(taps).")
	t := Mem{Base: Load(Param("taps").Base(), GP64())}
	a := Mem{Base: Load(Param("a").Base(), GP64())}
	b := Mem{Base: Load(Param("b").Base(), GP64())}
	n := Load(Param("taps").Len(), GP64())

	sa, sb := YMM(), YMM()
	VXORPS(sa, sa, sa)
	VXORPS(sb, sb, sb)

	Label("loop8")
	CMPQ(n, U8(8))
	JL(LabelRef("tail"))
	tv := YMM()
	VMOVUPS(t, tv)
	VFMADD231PS(a, tv, sa)
	VFMADD231PS(b, tv, sb)
	ADDQ(U8(32), t.Base)
	ADDQ(U8(32), a.Base)
	ADDQ(U8(32), b.Base)
	SUBQ(U8(8), n)
	JMP(LabelRef("loop8"))

	Comment("The last one to seven products, the other lanes zero.")
	Label("tail")
	TESTQ(n, n)
	JE(LabelRef("reduce"))
	m := mask(n)
	x, y, z := YMM(), YMM(), YMM()
	VMASKMOVPS(t, m, x)
	VMASKMOVPS(a, m, y)
	VMASKMOVPS(b, m, z)
	VFMADD231PS(y, x, sa)
	VFMADD231PS(z, x, sb)

	Label("reduce")
	reduce(sa, sb)
	RET()
}

func cdot() {
	TEXT("cdotAsm", NOSPLIT, "func(wr, wi, ur, ui []float32) (float32, float32)")
	Pragma("noescape")
	Doc("cdotAsm is CDot with AVX2 and FMA: len(wi), len(ur) and len(ui) must be at least len(wr).")
	wr := Mem{Base: Load(Param("wr").Base(), GP64())}
	wi := Mem{Base: Load(Param("wi").Base(), GP64())}
	ur := Mem{Base: Load(Param("ur").Base(), GP64())}
	ui := Mem{Base: Load(Param("ui").Base(), GP64())}
	n := Load(Param("wr").Len(), GP64())

	Comment("Σ wr·ur, wi·ui, wr·ui, wi·ur in eight lanes each: four chains of fused multiply-adds.")
	rr, ii, ri, ir := YMM(), YMM(), YMM(), YMM()
	for _, r := range []VecVirtual{rr, ii, ri, ir} {
		VXORPS(r, r, r)
	}

	Label("loop8")
	CMPQ(n, U8(8))
	JL(LabelRef("tail"))
	a, b := YMM(), YMM()
	VMOVUPS(wr, a)
	VMOVUPS(wi, b)
	VFMADD231PS(ur, a, rr)
	VFMADD231PS(ui, b, ii)
	VFMADD231PS(ui, a, ri)
	VFMADD231PS(ur, b, ir)
	ADDQ(U8(32), wr.Base)
	ADDQ(U8(32), wi.Base)
	ADDQ(U8(32), ur.Base)
	ADDQ(U8(32), ui.Base)
	SUBQ(U8(8), n)
	JMP(LabelRef("loop8"))

	Comment("The last one to seven elements, the other lanes zero.")
	Label("tail")
	TESTQ(n, n)
	JE(LabelRef("reduce"))
	m := mask(n)
	ta, tb, tc, td := YMM(), YMM(), YMM(), YMM()
	VMASKMOVPS(wr, m, ta)
	VMASKMOVPS(wi, m, tb)
	VMASKMOVPS(ur, m, tc)
	VMASKMOVPS(ui, m, td)
	VFMADD231PS(tc, ta, rr)
	VFMADD231PS(td, tb, ii)
	VFMADD231PS(td, ta, ri)
	VFMADD231PS(tc, tb, ir)

	Label("reduce")
	VSUBPS(ii, rr, rr)
	VADDPS(ir, ri, ri)
	reduce(rr, ri)
	RET()
}

func caxpyConj() {
	TEXT("caxpyConjAsm", NOSPLIT, "func(wr, wi, ur, ui []float32, er, ei float32)")
	Pragma("noescape")
	Doc("caxpyConjAsm is caxpyConjGeneric with AVX2: len(wi), len(ur) and len(ui) must be at least len(wr).")
	wr := Mem{Base: Load(Param("wr").Base(), GP64())}
	wi := Mem{Base: Load(Param("wi").Base(), GP64())}
	ur := Mem{Base: Load(Param("ur").Base(), GP64())}
	ui := Mem{Base: Load(Param("ui").Base(), GP64())}
	n := Load(Param("wr").Len(), GP64())
	vr, vi := YMM(), YMM()
	VBROADCASTSS(addr("er"), vr)
	VBROADCASTSS(addr("ei"), vi)

	// step computes wr + (er·ur + ei·ui) into x and wi + (ei·ur − er·ui)
	// into y, from c = ur, d = ui and a = wr, b = wi: separate
	// multiplications and additions, as in Go, with the packed or scalar
	// instructions given (the scalar and 128-bit ones read er and ei from
	// the low lanes of the broadcasts).
	step := func(a, b, c, d, x, y Register, mul, add, sub func(...Op)) {
		p := YMM().AsX()
		if a.Size() == 32 {
			p = YMM()
		}
		rr, ri := Register(vr), Register(vi)
		if a.Size() != 32 {
			rr, ri = vr.AsX(), vi.AsX()
		}
		mul(c, rr, x)
		mul(d, ri, p)
		add(p, x, x)
		add(a, x, x)
		mul(c, ri, y)
		mul(d, rr, p)
		sub(p, y, y)
		add(b, y, y)
	}

	Label("loop8")
	CMPQ(n, U8(8))
	JL(LabelRef("tail"))
	a, b, c, d, x, y := YMM(), YMM(), YMM(), YMM(), YMM(), YMM()
	VMOVUPS(wr, a)
	VMOVUPS(wi, b)
	VMOVUPS(ur, c)
	VMOVUPS(ui, d)
	step(a, b, c, d, x, y, VMULPS, VADDPS, VSUBPS)
	VMOVUPS(x, wr)
	VMOVUPS(y, wi)
	ADDQ(U8(32), wr.Base)
	ADDQ(U8(32), wi.Base)
	ADDQ(U8(32), ur.Base)
	ADDQ(U8(32), ui.Base)
	SUBQ(U8(8), n)
	JMP(LabelRef("loop8"))

	Comment("Four elements, then the last one to three one at a time. (A masked store")
	Comment("here, then a load of what it stored, stalled the next call by 8 ns.)")
	Label("tail")
	CMPQ(n, U8(4))
	JL(LabelRef("tail1"))
	xa, xb, xc, xd, xx, xy := XMM(), XMM(), XMM(), XMM(), XMM(), XMM()
	VMOVUPS(wr, xa)
	VMOVUPS(wi, xb)
	VMOVUPS(ur, xc)
	VMOVUPS(ui, xd)
	step(xa, xb, xc, xd, xx, xy, VMULPS, VADDPS, VSUBPS)
	VMOVUPS(xx, wr)
	VMOVUPS(xy, wi)
	ADDQ(U8(16), wr.Base)
	ADDQ(U8(16), wi.Base)
	ADDQ(U8(16), ur.Base)
	ADDQ(U8(16), ui.Base)
	SUBQ(U8(4), n)

	Label("tail1")
	TESTQ(n, n)
	JE(LabelRef("done"))
	sa, sb, sc, sd, sx, sy := XMM(), XMM(), XMM(), XMM(), XMM(), XMM()
	VMOVSS(wr, sa)
	VMOVSS(wi, sb)
	VMOVSS(ur, sc)
	VMOVSS(ui, sd)
	step(sa, sb, sc, sd, sx, sy, VMULSS, VADDSS, VSUBSS)
	VMOVSS(sx, wr)
	VMOVSS(sy, wi)
	ADDQ(U8(4), wr.Base)
	ADDQ(U8(4), wi.Base)
	ADDQ(U8(4), ur.Base)
	ADDQ(U8(4), ui.Base)
	DECQ(n)
	JMP(LabelRef("tail1"))

	Label("done")
	VZEROUPPER()
	RET()
}

func axpy2() {
	TEXT("axpy2Asm", NOSPLIT, "func(dst, x, y []float32, a, b float32)")
	Pragma("noescape")
	Doc("axpy2Asm is axpy2Generic with AVX2: len(x) and len(y) must be at least len(dst).")
	dst := Mem{Base: Load(Param("dst").Base(), GP64())}
	x := Mem{Base: Load(Param("x").Base(), GP64())}
	y := Mem{Base: Load(Param("y").Base(), GP64())}
	n := Load(Param("dst").Len(), GP64())
	va, vb := YMM(), YMM()
	VBROADCASTSS(addr("a"), va)
	VBROADCASTSS(addr("b"), vb)

	// step computes d + (a·x + b·y) into d, from x and y in registers or
	// memory: separate multiplications and additions, as in Go, with the
	// packed or scalar instructions given (the scalar and 128-bit ones read
	// a and b from the low lanes of the broadcasts).
	step := func(d, x, y Op, mul, add func(...Op)) {
		var p, q, ra, rb Register = YMM(), YMM(), va, vb
		if d.(Register).Size() != 32 {
			p, q = YMM().AsX(), YMM().AsX()
			ra, rb = va.AsX(), vb.AsX()
		}
		mul(x, ra, p)
		mul(y, rb, q)
		add(q, p, p)
		add(p, d, d)
	}

	Label("loop8")
	CMPQ(n, U8(8))
	JL(LabelRef("tail"))
	d := YMM()
	VMOVUPS(dst, d)
	step(d, x, y, VMULPS, VADDPS)
	VMOVUPS(d, dst)
	ADDQ(U8(32), dst.Base)
	ADDQ(U8(32), x.Base)
	ADDQ(U8(32), y.Base)
	SUBQ(U8(8), n)
	JMP(LabelRef("loop8"))

	Comment("Four elements, then the last one to three one at a time (as CAxpyConj).")
	Label("tail")
	CMPQ(n, U8(4))
	JL(LabelRef("tail1"))
	xd := XMM()
	VMOVUPS(dst, xd)
	step(xd, x, y, VMULPS, VADDPS)
	VMOVUPS(xd, dst)
	ADDQ(U8(16), dst.Base)
	ADDQ(U8(16), x.Base)
	ADDQ(U8(16), y.Base)
	SUBQ(U8(4), n)

	Label("tail1")
	TESTQ(n, n)
	JE(LabelRef("done"))
	sd := XMM()
	VMOVSS(dst, sd)
	step(sd, x, y, VMULSS, VADDSS)
	VMOVSS(sd, dst)
	ADDQ(U8(4), dst.Base)
	ADDQ(U8(4), x.Base)
	ADDQ(U8(4), y.Base)
	DECQ(n)
	JMP(LabelRef("tail1"))

	Label("done")
	VZEROUPPER()
	RET()
}

func scaleToInt16() {
	TEXT("scaleToInt16Asm", NOSPLIT, "func(dst []int16, src []float32, gain float32)")
	Pragma("noescape")
	Doc("scaleToInt16Asm is scaleToInt16Generic with AVX2: len(src) must be at least len(dst).")
	dst := Mem{Base: Load(Param("dst").Base(), GP64())}
	src := Mem{Base: Load(Param("src").Base(), GP64())}
	n := Load(Param("dst").Len(), GP64())
	vg, half, top, bias, zero := YMM(), YMM(), YMM(), YMM(), YMM()
	VBROADCASTSS(addr("gain"), vg)
	VBROADCASTSS(scaleConsts, half)
	VBROADCASTSS(scaleConsts.Offset(4), top)
	VPBROADCASTD(scaleConsts.Offset(8), bias)
	VXORPS(zero, zero, zero)

	// step converts the floats at s to samples, as int32s, in x: eight or
	// four as x is 256 or 128 bits. The clamp to [0, 65535] comes before
	// VCVTTPS2DQ, which turns NaN and values beyond int32 to 0x80000000.
	// When either value is NaN, VMAXPS returns its second source, the
	// first operand in Go's order: zero, so NaN becomes 0, as in Go.
	step := func(s Mem, x Register) {
		g, h, t, b, z := Register(vg), Register(half), Register(top), Register(bias), Register(zero)
		if x.Size() != 32 {
			g, h, t, b, z = vg.AsX(), half.AsX(), top.AsX(), bias.AsX(), zero.AsX()
		}
		VMULPS(s, g, x)
		VADDPS(h, x, x)
		VMAXPS(z, x, x)
		VMINPS(t, x, x)
		VCVTTPS2DQ(x, x)
		VPSUBD(b, x, x)
	}

	Comment("Sixteen samples at a time: VPACKSSDW packs within 128-bit lanes,")
	Comment("[a0-a3, b0-b3 | a4-a7, b4-b7], and VPERMQ puts the quarters in order.")
	Label("loop16")
	CMPQ(n, U8(16))
	JL(LabelRef("tail8"))
	a, b := YMM(), YMM()
	step(src, a)
	step(src.Offset(32), b)
	VPACKSSDW(b, a, a)
	VPERMQ(U8(0xd8), a, a)
	VMOVDQU(a, dst)
	ADDQ(U8(32), dst.Base)
	ADDQ(U8(64), src.Base)
	SUBQ(U8(16), n)
	JMP(LabelRef("loop16"))

	Comment("Eight, four, then the last one to three one at a time.")
	Label("tail8")
	CMPQ(n, U8(8))
	JL(LabelRef("tail4"))
	c := YMM()
	step(src, c)
	hi := XMM()
	VEXTRACTI128(U8(1), c, hi)
	VPACKSSDW(hi, c.AsX(), hi)
	VMOVDQU(hi, dst)
	ADDQ(U8(16), dst.Base)
	ADDQ(U8(32), src.Base)
	SUBQ(U8(8), n)

	Label("tail4")
	CMPQ(n, U8(4))
	JL(LabelRef("tail1"))
	d := XMM()
	step(src, d)
	VPACKSSDW(d, d, d) // the four samples, twice: the first store
	VMOVQ(d, dst)
	ADDQ(U8(8), dst.Base)
	ADDQ(U8(16), src.Base)
	SUBQ(U8(4), n)

	Label("tail1")
	TESTQ(n, n)
	JE(LabelRef("done"))
	// step's operations on one sample, converted into a general register.
	x, v := XMM(), GP32()
	VMULSS(src, vg.AsX(), x)
	VADDSS(half.AsX(), x, x)
	VMAXSS(zero.AsX(), x, x)
	VMINSS(top.AsX(), x, x)
	VCVTTSS2SI(x, v)
	SUBL(U32(32768), v)
	MOVW(v.As16(), dst)
	ADDQ(U8(2), dst.Base)
	ADDQ(U8(4), src.Base)
	DECQ(n)
	JMP(LabelRef("tail1"))

	Label("done")
	VZEROUPPER()
	RET()
}
