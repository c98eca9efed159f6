//go:build amd64 && !purego

#include "textflag.h"

// viterbiStep: Decode's symbol in AVX2 (see viterbi_amd64.go). Every step
// is Decode's plain Go, lane by lane: the branch metrics are computed with
// the same float32 operations, each rounded, then truncated; the minima of
// integers carry their labels in the low bits, as in Go, so that the order
// in which lanes are compared does not matter.

// 0 to 7, the lane numbers: the labels of subsets and states.
DATA lanes<>+0(SB)/8, $0x0000000100000000
DATA lanes<>+8(SB)/8, $0x0000000300000002
DATA lanes<>+16(SB)/8, $0x0000000500000004
DATA lanes<>+24(SB)/8, $0x0000000700000006
GLOBL lanes<>(SB), RODATA|NOPTR, $32

// s>>1 for state s: the number of the branch leaving it, the label a
// stored metric carries.
DATA branch<>+0(SB)/8, $0x0000000000000000
DATA branch<>+8(SB)/8, $0x0000000100000001
DATA branch<>+16(SB)/8, $0x0000000200000002
DATA branch<>+24(SB)/8, $0x0000000300000003
GLOBL branch<>(SB), RODATA|NOPTR, $32

DATA seven<>+0(SB)/8, $0x0000000700000007
DATA seven<>+8(SB)/8, $0x0000000700000007
DATA seven<>+16(SB)/8, $0x0000000700000007
DATA seven<>+24(SB)/8, $0x0000000700000007
GLOBL seven<>(SB), RODATA|NOPTR, $32

DATA three<>+0(SB)/8, $0x0000000300000003
DATA three<>+8(SB)/8, $0x0000000300000003
DATA three<>+16(SB)/8, $0x0000000300000003
DATA three<>+24(SB)/8, $0x0000000300000003
GLOBL three<>(SB), RODATA|NOPTR, $32

// Branch j into state s leaves state 2j (s < 4) or 2j+1 (s >= 4).
DATA from0<>+0(SB)/8, $0x0000000000000000
DATA from0<>+8(SB)/8, $0x0000000000000000
DATA from0<>+16(SB)/8, $0x0000000100000001
DATA from0<>+24(SB)/8, $0x0000000100000001
GLOBL from0<>(SB), RODATA|NOPTR, $32
DATA from1<>+0(SB)/8, $0x0000000200000002
DATA from1<>+8(SB)/8, $0x0000000200000002
DATA from1<>+16(SB)/8, $0x0000000300000003
DATA from1<>+24(SB)/8, $0x0000000300000003
GLOBL from1<>(SB), RODATA|NOPTR, $32
DATA from2<>+0(SB)/8, $0x0000000400000004
DATA from2<>+8(SB)/8, $0x0000000400000004
DATA from2<>+16(SB)/8, $0x0000000500000005
DATA from2<>+24(SB)/8, $0x0000000500000005
GLOBL from2<>(SB), RODATA|NOPTR, $32
DATA from3<>+0(SB)/8, $0x0000000600000006
DATA from3<>+8(SB)/8, $0x0000000600000006
DATA from3<>+16(SB)/8, $0x0000000700000007
DATA from3<>+24(SB)/8, $0x0000000700000007
GLOBL from3<>(SB), RODATA|NOPTR, $32

// The subset branch j into state s sends: acsSubsets[s][j] (checked
// against it by TestViterbiVector).
DATA sub0<>+0(SB)/8, $0x0000000600000000
DATA sub0<>+8(SB)/8, $0x0000000400000002
DATA sub0<>+16(SB)/8, $0x0000000500000001
DATA sub0<>+24(SB)/8, $0x0000000300000007
GLOBL sub0<>(SB), RODATA|NOPTR, $32
DATA sub1<>+0(SB)/8, $0x0000000000000006
DATA sub1<>+8(SB)/8, $0x0000000200000004
DATA sub1<>+16(SB)/8, $0x0000000700000003
DATA sub1<>+24(SB)/8, $0x0000000100000005
GLOBL sub1<>(SB), RODATA|NOPTR, $32
DATA sub2<>+0(SB)/8, $0x0000000400000002
DATA sub2<>+8(SB)/8, $0x0000000600000000
DATA sub2<>+16(SB)/8, $0x0000000300000007
DATA sub2<>+24(SB)/8, $0x0000000500000001
GLOBL sub2<>(SB), RODATA|NOPTR, $32
DATA sub3<>+0(SB)/8, $0x0000000200000004
DATA sub3<>+8(SB)/8, $0x0000000000000006
DATA sub3<>+16(SB)/8, $0x0000000100000005
DATA sub3<>+24(SB)/8, $0x0000000700000003
GLOBL sub3<>(SB), RODATA|NOPTR, $32

// Byte 0 of each dword of a 128-bit lane into its low four bytes.
DATA packBytes<>+0(SB)/8, $0x808080800c080400
DATA packBytes<>+8(SB)/8, $0x8080808080808080
DATA packBytes<>+16(SB)/8, $0x808080800c080400
DATA packBytes<>+24(SB)/8, $0x8080808080808080
GLOBL packBytes<>(SB), RODATA|NOPTR, $32

// For branch j (byte 0 of a qword) and j+4 (byte 4), the dwords of the
// slot that state 2j, or 2j+1, has in its half of the histories
// (vecOrder): 2q and 2q+1 for slot q.
DATA slotPair<>+0(SB)/8, $0x0703050106020400
DATA slotPair<>+8(SB)/8, $0x0000000000000000
DATA slotPair<>+16(SB)/8, $0x0703050106020400
DATA slotPair<>+24(SB)/8, $0x0000000000000000
GLOBL slotPair<>(SB), RODATA|NOPTR, $32

DATA fourHigh<>+0(SB)/8, $0x0000000400000000
DATA fourHigh<>+8(SB)/8, $0x0000000400000000
DATA fourHigh<>+16(SB)/8, $0x0000000400000000
DATA fourHigh<>+24(SB)/8, $0x0000000400000000
GLOBL fourHigh<>(SB), RODATA|NOPTR, $32

// The states of the slots, vecOrder.
DATA evenStates<>+0(SB)/8, $0
DATA evenStates<>+8(SB)/8, $4
DATA evenStates<>+16(SB)/8, $2
DATA evenStates<>+24(SB)/8, $6
GLOBL evenStates<>(SB), RODATA|NOPTR, $32
DATA oddStates<>+0(SB)/8, $1
DATA oddStates<>+8(SB)/8, $5
DATA oddStates<>+16(SB)/8, $3
DATA oddStates<>+24(SB)/8, $7
GLOBL oddStates<>(SB), RODATA|NOPTR, $32

// The least of the eight lanes of v into every lane, with t for scratch.
#define HMIN(v, t) \
	VPERM2I128 $1, v, v, t \
	VPMINSD    t, v, v \
	VPSHUFD    $0x4e, v, t \
	VPMINSD    t, v, v \
	VPSHUFD    $0xb1, v, t \
	VPMINSD    t, v, v

// func viterbiStep(metric *[8]int32, paths *[8]uint64, elems *uint64, c *vecCell, zr, zi float32) (near, best uint32)
TEXT ·viterbiStep(SB), NOSPLIT, $0-48
	MOVQ         c+24(FP), SI
	VBROADCASTSS zr+32(FP), Y0
	VBROADCASTSS zi+36(FP), Y1

	// The branch metrics times 4 against the first candidates (Y2) and
	// the second (Y4): int32((zr-x)² + (zi-y)²) << 2.
	VSUBPS     0(SI), Y0, Y2
	VSUBPS     32(SI), Y1, Y3
	VMULPS     Y2, Y2, Y2
	VMULPS     Y3, Y3, Y3
	VADDPS     Y3, Y2, Y2
	VCVTTPS2DQ Y2, Y2
	VPSLLD     $2, Y2, Y2
	VSUBPS     64(SI), Y0, Y4
	VSUBPS     96(SI), Y1, Y5
	VMULPS     Y4, Y4, Y4
	VMULPS     Y5, Y5, Y5
	VADDPS     Y5, Y4, Y4
	VCVTTPS2DQ Y4, Y4
	VPSLLD     $2, Y4, Y4

	// The second wins where it is strictly nearer (Y5 all ones): the
	// metric is the lesser, the element the first's index xor the
	// difference (Y6, a subset a dword).
	VPCMPGTD  Y4, Y2, Y5
	VPMINSD   Y4, Y2, Y2
	VPMOVZXBD 128(SI), Y6
	VPMOVZXBD 136(SI), Y7
	VPAND     Y5, Y7, Y7
	VPXOR     Y7, Y6, Y6

	// The elements, a byte each, into the ring.
	MOVQ         elems+16(FP), DI
	VPSHUFB      packBytes<>(SB), Y6, Y7
	VEXTRACTI128 $1, Y7, X8
	VPUNPCKLDQ   X8, X7, X7
	VMOVQ        X7, (DI)

	// The nearest element: that of the least (metric<<1 | subset).
	VMOVDQU lanes<>(SB), Y15
	VPSLLD  $1, Y2, Y8
	VPOR    Y15, Y8, Y8
	HMIN(Y8, Y9)
	VPAND   seven<>(SB), Y8, Y8
	VPERMD  Y6, Y8, Y9
	VMOVD   X9, AX
	MOVL    AX, near+40(FP)

	// Add, compare, select: K = min over j of metric[from_j] + bm4[sub_j].
	MOVQ    metric+0(FP), DI
	VMOVDQU (DI), Y10
	VMOVDQU from0<>(SB), Y11
	VPERMD  Y10, Y11, Y11
	VMOVDQU sub0<>(SB), Y12
	VPERMD  Y2, Y12, Y12
	VPADDD  Y12, Y11, Y3
	VMOVDQU from1<>(SB), Y11
	VPERMD  Y10, Y11, Y11
	VMOVDQU sub1<>(SB), Y12
	VPERMD  Y2, Y12, Y12
	VPADDD  Y12, Y11, Y11
	VPMINSD Y11, Y3, Y3
	VMOVDQU from2<>(SB), Y11
	VPERMD  Y10, Y11, Y11
	VMOVDQU sub2<>(SB), Y12
	VPERMD  Y2, Y12, Y12
	VPADDD  Y12, Y11, Y11
	VMOVDQU from3<>(SB), Y13
	VPERMD  Y10, Y13, Y13
	VMOVDQU sub3<>(SB), Y14
	VPERMD  Y2, Y14, Y14
	VPADDD  Y14, Y13, Y13
	VPMINSD Y13, Y11, Y11
	VPMINSD Y11, Y3, Y3

	// The best state: the least ((K &^ 3)<<1 | state); the metrics less
	// the least, labelled with the branch that leaves each state.
	VMOVDQU three<>(SB), Y14
	VPANDN Y3, Y14, Y4
	VPSLLD $1, Y4, Y5
	VPOR   Y15, Y5, Y5
	HMIN(Y5, Y9)
	VMOVD  X5, AX
	ANDL   $7, AX
	MOVL   AX, best+44(FP)
	VPSRLD $1, Y5, Y5
	VPANDN Y5, Y14, Y5
	VPSUBD Y5, Y4, Y4
	VPOR   branch<>(SB), Y4, Y4
	VMOVDQU Y4, (DI)

	// The survivors: state s takes the history of the state its branch
	// K&3 leaves, shifted, with s below. The index of that history's
	// dwords in its half (Y7 for states 0 to 3, Y8 for 4 to 7)...
	MOVQ         paths+8(FP), BX
	VPAND        Y14, Y3, Y6
	VPMOVZXDQ    X6, Y7
	VEXTRACTI128 $1, Y6, X8
	VPMOVZXDQ    X8, Y8
	VMOVDQU      fourHigh<>(SB), Y9
	VMOVDQU      slotPair<>(SB), Y10
	VPSLLQ       $32, Y7, Y11
	VPOR         Y11, Y7, Y7
	VPADDQ       Y9, Y7, Y7
	VPSHUFB      Y7, Y10, Y7
	VPSLLQ       $32, Y8, Y11
	VPOR         Y11, Y8, Y8
	VPADDQ       Y9, Y8, Y8
	VPSHUFB      Y8, Y10, Y8

	// ...the histories, and the new states 0 to 3 (Y7) and 4 to 7 (Y8)
	// interleaved into vecOrder.
	VPERMD      (BX), Y7, Y7
	VPERMD      32(BX), Y8, Y8
	VPSLLQ      $3, Y7, Y7
	VPSLLQ      $3, Y8, Y8
	VPUNPCKLQDQ Y8, Y7, Y11
	VPUNPCKHQDQ Y8, Y7, Y12
	VPOR        evenStates<>(SB), Y11, Y11
	VPOR        oddStates<>(SB), Y12, Y12
	VMOVDQU     Y11, (BX)
	VMOVDQU     Y12, 32(BX)
	VZEROUPPER
	RET
