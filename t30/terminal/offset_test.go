package terminal

import (
	"fmt"
	"strings"
	"testing"

	"github.com/faxd/faxd/dsp/line"
	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
)

// TestCallOffsetNoise: calls through a line with a few hertz of carrier
// offset (the line model's frequency shifter, whose delay of 63 samples
// moves the end of the DCS against the blocks; a delay alone did as much)
// and noise between the carrier's on and off levels or over them: the
// receiving terminal trains on the first TCF and never answers FTT. Its
// fast receiver, listening from the moment V.21 loses its flags, took
// the tail of the DCS for the training's start. Of 54 calls a modem at
// 0, ±2, ±4, ±7 and ±10 Hz with six seeds and -47 dBm0 of noise, 25
// (V.17) and 32 (V.29) failed and 42 and 48 had a failed training; with
// -46, -45 or -43 dBm0 every call off 0 Hz failed. Every case here failed
// for V.17 and V.29.
func TestCallOffsetNoise(t *testing.T) {
	for _, m := range []struct {
		name   string
		modems t30.ModemSet
	}{{"V.17", t30.AllModems}, {"V.29", t30.ModemV27ter | t30.ModemV29}, {"V.27ter", t30.ModemV27ter}} {
		for _, c := range []struct{ off, noise float64 }{{4, -47}, {-7, -43}} {
			for seed := int64(2); seed <= 3; seed++ {
				name := fmt.Sprintf("%s, %+g Hz, noise %v dBm0, seed %d", m.name, c.off, c.noise, seed)
				pages := []*document.Page{testPage(document.Standard, uint64(seed))}
				tune := func(cfg *t30.Config) { cfg.Modems = m.modems }
				tx, rx, got := call(t, pages, tune, &line.Config{NoiseDBm0: c.noise, FreqOffsetHz: c.off, Seed: seed})
				trace := t30.FormatTrace(rx.Trace)
				if !tx.OK() || !rx.OK() || rx.FTT != 0 || strings.Contains(trace, "training failed") || len(got) != 1 {
					t.Errorf("%s: sender %v (%s), receiver %v (%s), %d FTT, %d pages\n%s", name, tx.Code, tx.Cause, rx.Code, rx.Cause, rx.FTT, len(got), trace)
				}
			}
		}
	}
}
