// Package prefetch asks the CPU to bring memory into its caches before it
// is used: a media server that runs thousands of channels in turn, each
// once every 20 ms, finds each channel's state gone cold by its next turn,
// and the loads that fetch it one pointer after another stall the worker
// for a memory latency each. Prefetching the next channel's state while
// the current one runs overlaps those fetches with work.
//
// A prefetch is a hint: it never faults, whatever the address, and changes
// no value a program can see. On amd64 it is PREFETCHT0, on arm64 PRFM
// PLDL1KEEP; elsewhere (and with the build tag purego) it does nothing.
//
// Written by hand: Go's runtime has a prefetch of its own, but keeps it
// internal.
package prefetch

import "unsafe"

// MaxRange bounds how much one call prefetches: enough for any one
// object's hot state, and little enough that a wrong length cannot
// flood the caches.
const MaxRange = 16 << 10

// Range prefetches the n bytes from p (at most MaxRange), a 64-byte
// cache line at a time.
func Range(p unsafe.Pointer, n uintptr) {
	if p == nil || n == 0 {
		return
	}
	rangeLines(p, min(n, MaxRange))
}

// Object prefetches the value p points to (nothing for nil): the struct
// itself, not what its pointers and slices lead to.
func Object[T any](p *T) {
	if p != nil {
		rangeLines(unsafe.Pointer(p), min(unsafe.Sizeof(*p), MaxRange))
	}
}

// Slice prefetches the elements of s (up to MaxRange bytes of them).
func Slice[T any](s []T) {
	if len(s) == 0 {
		return
	}
	var z T
	n := uintptr(len(s)) * unsafe.Sizeof(z)
	if n == 0 {
		return
	}
	rangeLines(unsafe.Pointer(unsafe.SliceData(s)), min(n, MaxRange))
}

// A Prefetcher can prefetch the state its next use will touch.
type Prefetcher interface {
	Prefetch()
}
