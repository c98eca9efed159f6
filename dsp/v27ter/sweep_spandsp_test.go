//go:build spandsp

package v27ter

import (
	"fmt"
	"testing"

	"github.com/faxd/faxd/dsp/line"
	"github.com/faxd/faxd/dsp/spandsp"
)

// BenchmarkErrorFreeSNR finds, for our receiver and SpanDSP's on the very
// same noisy samples of SpanDSP's signal, the lowest SNR (1 dB steps down
// from 30 dB) above which every step decodes five transmissions of four
// seconds without a bit error. It is a measurement, not a timing: run it
// with -benchtime 1x. The README's table quotes it.
func BenchmarkErrorFreeSNR(b *testing.B) {
	for _, rate := range []int{4800, 2400} {
		b.Run(fmt.Sprint(rate), func(b *testing.B) {
			for range b.N {
				ours, theirs := 99.0, 99.0
				oursOK, theirsOK := true, true
				for snr := 30.0; snr >= 0 && (oursOK || theirsOK); snr-- {
					var o, th int
					for trial := 0; trial < 5; trial++ {
						bits := randomBits(rate*4, uint64(rate)*1000+uint64(snr*10)+uint64(trial))
						sig := append(spandsp.Modulate(spandsp.V27ter, rate, bits, -13), make([]int16, 800)...)
						noisy := onSignalOnly(line.Config{NoiseDBm0: line.NoiseForSNR(-13, snr), Seed: int64(trial) + int64(snr*100)}, sig)
						o += bitErrors(bits, demodulate(b, rate, noisy).bits)
						got, _ := spandsp.Demodulate(spandsp.V27ter, rate, noisy)
						th += bitErrors(bits, got)
					}
					if oursOK = oursOK && o == 0; oursOK {
						ours = snr
					}
					if theirsOK = theirsOK && th == 0; theirsOK {
						theirs = snr
					}
				}
				b.ReportMetric(ours, "ours-errorfree-dB")
				b.ReportMetric(theirs, "spandsp-errorfree-dB")
			}
		})
	}
}
