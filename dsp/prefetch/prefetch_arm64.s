//go:build !purego

#include "textflag.h"

// func rangeLines(p unsafe.Pointer, n uintptr)
TEXT ·rangeLines(SB), NOSPLIT, $0-16
	MOVD p+0(FP), R0
	MOVD n+8(FP), R1
	ADD  R0, R1, R1 // the end
	AND  $~63, R0   // the first line
loop:
	PRFM (R0), PLDL1KEEP
	ADD  $64, R0
	CMP  R1, R0
	BLO  loop
	RET
