//go:build (amd64 || arm64) && !purego

package prefetch

import "unsafe"

// rangeLines prefetches every cache line of the n bytes from p (n > 0).
//
//go:noescape
func rangeLines(p unsafe.Pointer, n uintptr)
