//go:build !purego

#include "textflag.h"

// func rangeLines(p unsafe.Pointer, n uintptr)
TEXT ·rangeLines(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), AX
	MOVQ n+8(FP), CX
	ADDQ AX, CX  // the end
	ANDQ $-64, AX // the first line
loop:
	PREFETCHT0 (AX)
	ADDQ $64, AX
	CMPQ AX, CX
	JB   loop
	RET
