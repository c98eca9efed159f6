//go:build !(amd64 || arm64) || purego

package prefetch

import "unsafe"

func rangeLines(p unsafe.Pointer, n uintptr) {}
