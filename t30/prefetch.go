package t30

import (
	"unsafe"

	"github.com/faxd/faxd/dsp/prefetch"
)

// engineHot is how much of an Engine a block may touch: all of it up to
// the ECM receiver's table of frames, which only arriving frames do.
const engineHot = unsafe.Offsetof(Engine{}.ecmRx) + unsafe.Offsetof(ecmRx{}.frames)

// Prefetch asks the CPU to fetch what the engine's next block touches
// into its caches: a server calls it for the next channel while it runs
// this one, so that fetching a cold call's state overlaps other work
// (see package dsp/prefetch).
func (e *Engine) Prefetch() {
	prefetch.Range(unsafe.Pointer(e), engineHot)
	if d := e.pageRx.dec; d != nil && e.pageRx.busy {
		d.Prefetch()
	}
	// Where the page's next octets go.
	if n := len(e.rxData); n < cap(e.rxData) {
		prefetch.Slice(e.rxData[n:min(cap(e.rxData), n+256)])
	}
}
