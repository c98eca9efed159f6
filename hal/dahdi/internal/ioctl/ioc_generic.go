//go:build !(mips || mipsle || mips64 || mips64le || ppc || ppc64 || ppc64le || sparc || sparc64)

package ioctl

// The asm-generic encoding (x86, arm, arm64, riscv64, s390x, loong64):
// 14 size bits, dir none 0, write 1, read 2.
const (
	sizeBits = 14
	DirNone  = 0
	DirWrite = 1
	DirRead  = 2
)

// Generic reports whether this architecture uses the asm-generic encoding
// (the one the numbers in the project notes are written in).
const Generic = true
