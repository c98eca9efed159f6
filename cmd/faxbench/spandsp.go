//go:build spandsp

package main

import (
	"slices"

	"github.com/faxd/faxd/bench"
	"github.com/faxd/faxd/dsp/spandsp"
)

// With the spandsp tag, faxbench times Debian's SpanDSP beside ours. This
// build needs cgo and libspandsp-dev; the default build has no cgo.
func init() {
	peers = append(peers, peer{impl: spandspImpl(), version: "SpanDSP " + spandsp.Version})
}

var spandspModems = map[string]spandsp.Modem{
	"v21":    spandsp.V21Ch2,
	"v27ter": spandsp.V27ter,
	"v29":    spandsp.V29,
	"v17":    spandsp.V17,
}

func spandspImpl() bench.Impl {
	supports := func(name string, rate int) bool {
		m, ok := spandspModems[name]
		return ok && slices.Contains(spandsp.Rates[m], rate)
	}
	return bench.Impl{
		Name:     "spandsp",
		Supports: supports,
		NewTx: func(name string, rate int, bits []byte, level float64) (bench.BlockTx, error) {
			if !supports(name, rate) {
				return nil, bench.ErrUnsupported
			}
			return spandsp.NewTx(spandspModems[name], rate, bits, level), nil
		},
		NewRx: func(name string, rate int) (bench.BlockRx, error) {
			if !supports(name, rate) {
				return nil, bench.ErrUnsupported
			}
			return spandsp.NewRx(spandspModems[name], rate), nil
		},
	}
}
