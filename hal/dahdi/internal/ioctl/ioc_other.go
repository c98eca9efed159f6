//go:build mips || mipsle || mips64 || mips64le || ppc || ppc64 || ppc64le || sparc || sparc64

package ioctl

// MIPS, PowerPC and SPARC: 13 size bits, dir none 1, read 2, write 4.
const (
	sizeBits = 13
	DirNone  = 1
	DirRead  = 2
	DirWrite = 4
)

// Generic reports whether this architecture uses the asm-generic encoding.
const Generic = false
