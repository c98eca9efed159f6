//go:build spandsp

package modems

import (
	"fmt"
	"slices"
	"testing"

	"github.com/faxd/faxd/dsp/line"
	"github.com/faxd/faxd/dsp/spandsp"
)

// TestSpanDSPAfterV21Tail is TestTrainingAfterV21Tail with SpanDSP's
// transmitters: the tail of its V.21 channel 2 sending flags, the gap to
// the TCF, then its V.17, V.29 or V.27ter long train and data, into our
// receivers across the offsets and noise that made ours fail (before the
// Alternation and Link changes every V.17 and V.29 case here did).
func TestSpanDSPAfterV21Tail(t *testing.T) {
	flags := make([]byte, 240)
	for i := range flags {
		flags[i] = byte(0x7e >> (i & 7) & 1)
	}
	v21 := spandsp.Modulate(spandsp.V21Ch2, 300, flags, -14)
	for _, c := range []struct {
		m    spandsp.Modem
		name string
	}{{spandsp.V17, "v17"}, {spandsp.V29, "v29"}, {spandsp.V27ter, "v27ter"}} {
		rate := spandsp.Rates[c.m][0]
		m, err := Find(c.name, rate, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, noise := range []float64{-47, -43} {
			for _, off := range []float64{4, -4, 7, -7, 10, -10} {
				for seed := uint32(1); seed <= 2; seed++ {
					name := fmt.Sprintf("SpanDSP's %v %d, noise %v dBm0, %+g Hz, seed %d", c.m, rate, noise, off, seed)
					bits := sourceBits(3000, seed)
					tail := 8 * (10 + 13*int(seed)) // 23 or 36 ms
					// SpanDSP's V.21 ends with its shutdown; the tail is the
					// last of the flags before it.
					sig := slices.Clone(v21[len(v21)-800-tail : len(v21)-800])
					sig = append(sig, make([]int16, 600)...)
					sig = append(sig, spandsp.Modulate(c.m, rate, bits, -14)...)
					sig = append(sig, make([]int16, 1600)...)
					sig = line.Apply(line.Config{NoiseDBm0: noise, FreqOffsetHz: off, Seed: int64(seed)}, sig)

					var got sessions
					rx, err := m.NewReceiver(rate, 2, &got)
					if err != nil {
						t.Fatal(err)
					}
					rx.SetStatusHandler(got.status)
					for i := 0; i < len(sig); i += 160 {
						rx.Process(sig[i:min(i+160, len(sig))])
					}
					if got.failed != 0 || len(got.bits) != 1 {
						t.Errorf("%s: %d trainings, %d failed; want one, none failed", name, len(got.bits), got.failed)
						continue
					}
					if len(got.bits[0]) < len(bits) || !slices.Equal(got.bits[0][:len(bits)], bits) {
						t.Errorf("%s: the data differs (%d bits for %d)", name, len(got.bits[0]), len(bits))
					}
				}
			}
		}
	}
}
