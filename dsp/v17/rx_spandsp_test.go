//go:build spandsp

package v17

import (
	"encoding/binary"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/line"
	"github.com/faxd/faxd/dsp/spandsp"
)

// rxConds: SpanDSP's transmitter to ours under the V.29 interop conditions
// (±7 Hz, ±100 ppm, echo, G.711), at 30 dB SNR. Our receiver copes with
// continuous noise, so unlike the tests into SpanDSP's receiver these may
// use -13 dBm0 with noise at -43.
var rxConds = []struct {
	name  string
	level float64
	cfg   line.Config
}{
	{"clean", -13, line.Config{}},
	{"30 dB", -13, line.Config{}},
	{"-40 dBm0", -40, line.Config{}},
	{"+7 Hz", -13, line.Config{FreqOffsetHz: 7}},
	{"-7 Hz +100 ppm", -20, line.Config{FreqOffsetHz: -7, ClockOffsetPPM: 100}},
	{"-100 ppm", -13, line.Config{ClockOffsetPPM: -100}},
	{"echo", -13, line.Config{EchoDelay: 200, EchoDB: -25}},
	{"mu-law", -13, line.Config{Law: line.ULaw}},
	{"A-law", -20, line.Config{Law: line.ALaw}},
}

func TestSpanDSPToOurs(t *testing.T) {
	for _, rate := range rates {
		for i, c := range rxConds {
			bits := randomBits(uint64(rate+i+300), rate)
			cfg := c.cfg
			cfg.Seed = int64(i + 40)
			if i > 0 {
				cfg.NoiseDBm0 = line.NoiseForSNR(c.level, 30)
			}
			res := demodulate(t, rate, line.Apply(cfg, padded(spandsp.Modulate(spandsp.V17, rate, bits, c.level))))
			if e := bitErrorsAt(bits, res.bits); e != 0 || !res.trained {
				t.Errorf("%d bit/s, %s: trained %v, %d of %d bits wrong (statuses %v)", rate, c.name, res.trained, e, len(bits), res.statuses)
			}
		}
	}
}

// noiseOverSignal adds white noise at noiseDBm0 from sig's first non-zero
// sample to its last, so that SpanDSP's carrier detect is not held up by
// noise in the silences around it.
func noiseOverSignal(sig []int16, noiseDBm0 float64, seed int64) []int16 {
	first, last := -1, -1
	for i, s := range sig {
		if s != 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	out := append([]int16(nil), sig...)
	if first < 0 {
		return out
	}
	n := line.Apply(line.Config{NoiseDBm0: noiseDBm0, Seed: seed}, make([]int16, last+1-first))
	for i, v := range n {
		out[first+i] = dsp.SaturateInt16(float32(out[first+i]) + float32(v))
	}
	return out
}

// TestBERAgainstSpanDSP feeds the same noisy SpanDSP signal to both
// receivers at SNRs around the threshold. Ours must do no worse over each
// rate's sweep (up to 10% plus two bits more, for counting noise), where
// SpanDSP's receiver is usable (bit error rate at most 1e-2): a
// single burst of a few symbols, which either receiver may suffer once in
// a while near its threshold, would make a point-by-point comparison a
// lottery.
func TestBERAgainstSpanDSP(t *testing.T) {
	sweeps := map[int][]float64{14400: {20, 21, 22, 24}, 12000: {18, 20, 22}, 9600: {15, 17, 19}, 7200: {12, 14, 16}}
	for _, rate := range rates {
		t.Logf("V.17 %d: SNR dB, our BER, SpanDSP BER", rate)
		var sumOurs, sumTheirs, sumBits int
		for _, snr := range sweeps[rate] {
			var ours, theirs, total int
			for trial := 0; trial < 2; trial++ {
				bits := randomBits(uint64(rate)+uint64(snr*10)+uint64(trial), rate*3)
				sig := append(spandsp.Modulate(spandsp.V17, rate, bits, -13), make([]int16, 800)...)
				noisy := noiseOverSignal(sig, line.NoiseForSNR(-13, snr), int64(trial)+int64(snr*100))
				ours += bitErrorsAt(bits, demodulate(t, rate, noisy).bits)
				got, _ := spandsp.Demodulate(spandsp.V17, rate, noisy)
				theirs += bitErrorsAt(bits, got)
				total += len(bits)
			}
			t.Logf("  %4.1f  %.2e  %.2e", snr, float64(ours)/float64(total), float64(theirs)/float64(total))
			if float64(theirs) > 1e-2*float64(total) {
				continue // unusable for both: no fax gets through at 1e-2
			}
			sumOurs, sumTheirs, sumBits = sumOurs+ours, sumTheirs+theirs, sumBits+total
		}
		if float64(sumOurs) > 1.1*float64(sumTheirs)+2 {
			t.Errorf("%d bit/s: our receiver %d errors, SpanDSP's %d, of %d bits", rate, sumOurs, sumTheirs, sumBits)
		}
	}
}

// BenchmarkRxVsSpanDSP times our receiver and SpanDSP's, alternately, on
// the same audio and reports the ratio.
func BenchmarkRxVsSpanDSP(b *testing.B) {
	for _, rate := range rates {
		b.Run(fmt.Sprint(rate), func(b *testing.B) {
			bits := randomBits(5, rate*10)
			sig := line.Apply(line.Config{NoiseDBm0: -50, Seed: 1}, spandsp.Modulate(spandsp.V17, rate, bits, -13))
			sig = sig[:len(sig)/160*160]
			var ours, theirs time.Duration
			n := 0
			for range b.N {
				rx, _ := NewReceiver(rate, dsp.BitSinkFunc(func(int) {}))
				start := time.Now()
				for j := 0; j < len(sig); j += 160 {
					rx.Process(sig[j : j+160])
				}
				ours += time.Since(start)
				srx := spandsp.NewRx(spandsp.V17, rate)
				start = time.Now()
				for j := 0; j < len(sig); j += 160 {
					srx.Process(sig[j : j+160])
				}
				theirs += time.Since(start)
				srx.Close()
				n += len(sig)
			}
			o := float64(ours.Nanoseconds()) / float64(n)
			s := float64(theirs.Nanoseconds()) / float64(n)
			b.ReportMetric(o, "ours-rx-ns/sample")
			b.ReportMetric(s, "spandsp-rx-ns/sample")
			b.ReportMetric(s/o, "rx-speedup")
		})
	}
}

// TestSpanDSPShortTrainToOurs: SpanDSP's long train, then its short train
// (recorded in testdata, as the binding cannot restart its transmitter
// with a short train), into one of our receivers told to expect the short
// train after the first: both decode without error.
func TestSpanDSPShortTrainToOurs(t *testing.T) {
	for _, rate := range rates {
		raw, err := os.ReadFile(fmt.Sprintf("testdata/spandsp_short_%d.raw", rate))
		if err != nil {
			t.Fatal(err)
		}
		short := make([]int16, len(raw)/2)
		for i := range short {
			short[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
		}
		long := randomBits(uint64(rate+77), rate/2)
		cfg := line.Config{NoiseDBm0: -50, Seed: 3}
		rx, _ := NewReceiver(rate, nil)
		r1 := demodulateWith(rx, line.Apply(cfg, padded(spandsp.Modulate(spandsp.V17, rate, long, -13))))
		rx.SetShortTrain(true)
		r2 := demodulateWith(rx, line.Apply(cfg, padded(short)))
		if e := bitErrorsAt(long, r1.bits); e != 0 || !r1.trained {
			t.Errorf("%d bit/s long train: trained %v, %d errors", rate, r1.trained, e)
		}
		if e := bitErrorsAt(goldenBits(480), r2.bits); e != 0 || !r2.trained {
			t.Errorf("%d bit/s short train: trained %v, %d errors, statuses %v", rate, r2.trained, e, r2.statuses)
		}
	}
}
