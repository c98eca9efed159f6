//go:build spandsp

package v27ter

import (
	"fmt"
	"testing"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/line"
	"github.com/faxd/faxd/dsp/spandsp"
)

type interopCond struct {
	name  string
	level float64
	cfg   line.Config
}

var interopConds = []interopCond{
	{"-10 dBm0", -10, line.Config{}},
	{"-40 dBm0", -40, line.Config{}},
	{"+7 Hz", -13, line.Config{FreqOffsetHz: 7}},
	{"-7 Hz", -13, line.Config{FreqOffsetHz: -7}},
	{"+100 ppm", -13, line.Config{ClockOffsetPPM: 100}},
	{"-100 ppm", -13, line.Config{ClockOffsetPPM: -100}},
	{"echo -20 dB", -13, line.Config{EchoDelay: 200, EchoDB: -20}},
	{"A-law", -20, line.Config{Law: line.ALaw}},
	{"mu-law, -7 Hz, +100 ppm", -25, line.Config{Law: line.ULaw, FreqOffsetHz: -7, ClockOffsetPPM: 100}},
}

// at30dB adds noise 30 dB under the signal to a condition's line.
func at30dB(c interopCond, seed int64) line.Config {
	cfg := c.cfg
	cfg.NoiseDBm0 = line.NoiseForSNR(c.level, 30)
	cfg.Seed = seed
	return cfg
}

// onSignalOnly passes sig through the line, but adds the noise only where
// the signal is (from its first sample that is not silence to its last).
// SpanDSP's V.27ter receiver takes line noise above its carrier cutoff
// (about -45 dBm0; 30 dB under a -13 dBm0 signal is -43) for a carrier,
// fails to train on it and then misses the real signal (see
// shared/notes/spandsp.md, section 3); gating the noise tests its
// demodulator rather than that weakness. Our receiver copes with
// continuous noise (TestLoopback, TestSpanDSPToOurs).
func onSignalOnly(cfg line.Config, sig []int16) []int16 {
	first, last := 0, len(sig)
	for first < len(sig) && sig[first] == 0 {
		first++
	}
	for last > first && sig[last-1] == 0 {
		last--
	}
	noise := cfg.NoiseDBm0
	cfg.NoiseDBm0 = 0
	out := line.Apply(cfg, sig)
	n := line.Apply(line.Config{NoiseDBm0: noise, Seed: cfg.Seed}, make([]int16, last-first))
	for i, v := range n {
		if k := first + i; k < len(out) {
			out[k] = dsp.SaturateInt16(float32(out[k]) + float32(v))
		}
	}
	return out
}

func TestOursToSpanDSP(t *testing.T) {
	for _, rate := range []int{4800, 2400} {
		for i, c := range interopConds {
			bits := randomBits(rate, uint64(100+i))
			sig := onSignalOnly(at30dB(c, int64(i+1)), modulate(t, rate, bits, c.level))
			got, res := spandsp.Demodulate(spandsp.V27ter, rate, sig)
			if e := bitErrors(bits, got); e != 0 || !res.Trained {
				t.Errorf("%d bit/s, %s: SpanDSP trained %v, %d of %d bits wrong (statuses %v)", rate, c.name, res.Trained, e, len(bits), res.Status)
			}
		}
	}
}

func TestSpanDSPToOurs(t *testing.T) {
	for _, rate := range []int{4800, 2400} {
		for i, c := range interopConds {
			bits := randomBits(rate, uint64(200+i))
			sig := append(make([]int16, 800), spandsp.Modulate(spandsp.V27ter, rate, bits, c.level)...)
			sig = append(sig, make([]int16, 800)...)
			res := demodulate(t, rate, line.Apply(at30dB(c, int64(i+50)), sig))
			if e := bitErrors(bits, res.bits); e != 0 || !res.trained {
				t.Errorf("%d bit/s, %s: trained %v, %d of %d bits wrong (statuses %v)", rate, c.name, res.trained, e, len(bits), res.statuses)
			}
		}
	}
}

// TestBERAgainstSpanDSP feeds the same noisy SpanDSP signal to both
// receivers at SNRs around the threshold. Ours must do no worse: the
// comparison allows for counting noise by accepting ours up to 10% (plus
// two bits) above SpanDSP's count.
func TestBERAgainstSpanDSP(t *testing.T) {
	sweeps := map[int][]float64{4800: {11, 13, 15}, 2400: {7, 9, 11}}
	for _, rate := range []int{4800, 2400} {
		t.Logf("V.27ter %d: SNR dB, our BER, SpanDSP BER", rate)
		for _, snr := range sweeps[rate] {
			var oursErr, theirsErr, total int
			for trial := 0; trial < 3; trial++ {
				bits := randomBits(rate*4, uint64(rate)+uint64(snr*10)+uint64(trial))
				sig := append(spandsp.Modulate(spandsp.V27ter, rate, bits, -13), make([]int16, 800)...)
				noisy := onSignalOnly(line.Config{NoiseDBm0: line.NoiseForSNR(-13, snr), Seed: int64(trial) + int64(snr*100)}, sig)
				res := demodulate(t, rate, noisy)
				theirs, _ := spandsp.Demodulate(spandsp.V27ter, rate, noisy)
				oursErr += bitErrors(bits, res.bits)
				theirsErr += bitErrors(bits, theirs)
				total += len(bits)
			}
			t.Logf("  %4.1f  %.2e  %.2e", snr, float64(oursErr)/float64(total), float64(theirsErr)/float64(total))
			if float64(oursErr) > 1.1*float64(theirsErr)+2 {
				t.Errorf("%d bit/s at %g dB: our receiver %d errors, SpanDSP's %d, of %d bits", rate, snr, oursErr, theirsErr, total)
			}
		}
	}
}

// BenchmarkVsSpanDSP times both receivers and transmitters on the same
// audio, alternately, and reports the ratio.
func BenchmarkVsSpanDSP(b *testing.B) {
	for _, rate := range []int{4800, 2400} {
		b.Run(fmt.Sprint(rate), func(b *testing.B) {
			bits := randomBits(rate*10, 5)
			sig := spandsp.Modulate(spandsp.V27ter, rate, bits, -13)
			sig = line.Apply(line.Config{NoiseDBm0: -50, Seed: 1}, sig)
			var oursNs, theirsNs, oursTx, theirsTx int64
			samples := 0
			buf := make([]int16, 160)
			for i := 0; i < b.N; i++ {
				start := nowNs()
				rx, _ := NewReceiver(rate, dsp.BitSinkFunc(func(int) {}))
				for j := 0; j+160 <= len(sig); j += 160 {
					rx.Process(sig[j : j+160])
				}
				mid := nowNs()
				srx := spandsp.NewRx(spandsp.V27ter, rate)
				for j := 0; j+160 <= len(sig); j += 160 {
					srx.Process(sig[j : j+160])
				}
				srx.Close()
				end := nowNs()
				oursNs += mid - start
				theirsNs += end - mid
				samples += len(sig) / 160 * 160

				pos := 0
				tx, _ := NewTransmitter(rate, dsp.BitSourceFunc(func() int {
					if pos == len(bits) {
						return dsp.EndOfData
					}
					pos++
					return int(bits[pos-1])
				}))
				t0 := nowNs()
				n1 := 0
				for {
					n := tx.Process(buf)
					n1 += n
					if n < len(buf) {
						break
					}
				}
				t1 := nowNs()
				stx := spandsp.NewTx(spandsp.V27ter, rate, bits, -13)
				n2 := 0
				for {
					n := stx.Process(buf)
					n2 += n
					if n < len(buf) {
						break
					}
				}
				stx.Close()
				t2 := nowNs()
				oursTx += (t1 - t0) * int64(len(sig)) / int64(max(n1, 1))
				theirsTx += (t2 - t1) * int64(len(sig)) / int64(max(n2, 1))
			}
			b.ReportMetric(float64(oursNs)/float64(samples), "rx-ns/sample")
			b.ReportMetric(float64(theirsNs)/float64(samples), "spandsp-rx-ns/sample")
			b.ReportMetric(float64(theirsNs)/float64(oursNs), "rx-speedup")
			b.ReportMetric(float64(oursTx)/float64(samples), "tx-ns/sample")
			b.ReportMetric(float64(theirsTx)/float64(samples), "spandsp-tx-ns/sample")
			b.ReportMetric(float64(theirsTx)/float64(oursTx), "tx-speedup")
		})
	}
}
