//go:build spandsp

package v17

import (
	"fmt"
	"testing"
	"time"

	"github.com/faxd/faxd/dsp/line"
	"github.com/faxd/faxd/dsp/spandsp"
)

// lineCond is one line condition of the interop tests.
type lineCond struct {
	level, snr, hz, ppm float64
	law                 line.Law
}

var interopConds = []lineCond{
	{level: -13},
	{level: -13, snr: 30},
	{level: -16, snr: 30},
	{level: -40, snr: 30},
	{level: -16, snr: 30, hz: 5},
	{level: -16, snr: 30, ppm: 100},
	{level: -16, snr: 30, law: line.ALaw},
}

func (c lineCond) apply(audio []int16, seed int64) []int16 {
	audio = append(audio, make([]int16, 800)...)
	cfg := line.Config{FreqOffsetHz: c.hz, ClockOffsetPPM: c.ppm, Law: c.law, Seed: seed}
	if c.snr > 0 {
		cfg.NoiseDBm0 = line.NoiseForSNR(c.level, c.snr)
	}
	return line.Apply(cfg, audio)
}

// countErrors compares got[off:] with bits (-1 if too few bits came).
func countErrors(got []byte, off int, bits []byte) int {
	if len(got) < off+len(bits) {
		return -1
	}
	errs := 0
	for k := range bits {
		if got[off+k] != bits[k] {
			errs++
		}
	}
	return errs
}

// matchesAt reports whether got[off:] starts with bits.
func matchesAt(got []byte, off int, bits []byte) bool {
	if off+len(bits) > len(got) {
		return false
	}
	for k, b := range bits {
		if got[off+k] != b {
			return false
		}
	}
	return true
}

// TestWaveformMatchesSpanDSP: for the same data our long-train
// transmission and SpanDSP's carry the same symbols, window by window,
// training, data and shutdown, at every rate (the short train is compared
// with recordings in TestShortTrainMatchesSpanDSP).
func TestWaveformMatchesSpanDSP(t *testing.T) {
	for _, rate := range rates {
		bits := randomBits(uint64(rate)+1, 4801)
		compareWaveforms(t, fmt.Sprint(rate, " long"), modulate(t, rate, bits, -13, false),
			spandsp.Modulate(spandsp.V17, rate, bits, -13))
	}
}

// TestOursToSpanDSP sends our long train and data through the line model
// to SpanDSP's receiver and counts bit errors at offset 0. SpanDSP's own
// signal goes through the same line (same noise) as the yardstick: ours
// must train and be error-free wherever SpanDSP's own signal is.
func TestOursToSpanDSP(t *testing.T) {
	const nbits = 9600
	for _, rate := range rates {
		for i, c := range interopConds {
			t.Run(fmt.Sprintf("%d/%d", rate, i), func(t *testing.T) {
				bits := randomBits(uint64(rate+i), nbits)
				seed := int64(i + 1)
				got, res := spandsp.Demodulate(spandsp.V17, rate, c.apply(modulate(t, rate, bits, c.level, false), seed))
				ours := countErrors(got, 0, bits)
				theirsGot, _ := spandsp.Demodulate(spandsp.V17, rate, c.apply(spandsp.Modulate(spandsp.V17, rate, bits, c.level), seed))
				theirs := countErrors(theirsGot, 0, bits)
				t.Logf("%+v: errors ours->SpanDSP %d, SpanDSP->SpanDSP %d", c, ours, theirs)
				switch {
				case !res.Trained || ours < 0:
					t.Errorf("%+v: SpanDSP did not train on ours (%v)", c, res.Status)
				case ours != 0:
					t.Errorf("%+v: %d bit errors in %d (SpanDSP's own signal: %d)", c, ours, nbits, theirs)
				}
			})
		}
	}
}

// TestShortTrainToSpanDSP: after a long-train transmission, SpanDSP's
// receiver expects the next one to start with the short train (it keeps
// its equaliser and restarts in short-train mode when the carrier drops).
// Our short train must train it and bring every bit through, clean and at
// 30 dB SNR. (With the noise on the line between the transmissions, at
// -46 dBm0, SpanDSP's carrier detector, which cuts off at -45.5 dBm0, may
// raise and drop the carrier on the noise alone; a false start fails its
// training and delivers nothing.)
func TestShortTrainToSpanDSP(t *testing.T) {
	for _, rate := range rates {
		for i, c := range []lineCond{{level: -13}, {level: -16, snr: 30}} {
			t.Run(fmt.Sprintf("%d/%d", rate, i), func(t *testing.T) {
				first := randomBits(uint64(rate)+5, 4800)
				second := randomBits(uint64(rate)+6, 9600)
				rx := spandsp.NewRx(spandsp.V17, rate)
				defer rx.Close()
				feed := func(sig []int16) {
					sig = append(sig, make([]int16, 800)...)
					for k := 0; k < len(sig); k += 160 {
						rx.Process(sig[k:min(k+160, len(sig))])
					}
				}
				feed(c.apply(modulate(t, rate, first, c.level, false), int64(2*i+1)))
				if e := countErrors(rx.Bits(), 0, first); e != 0 {
					t.Fatalf("%+v: long train: %d errors (%v)", c, e, rx.Result().Status)
				}
				n1 := rx.NumBits()
				feed(c.apply(modulate(t, rate, second, c.level, true), int64(2*i+2)))
				// The second transmission's bits follow the first's (and,
				// if its carrier had not dropped yet, a few hundred bits
				// of its shutdown).
				got := rx.Bits()
				for off := n1; off <= n1+400; off++ {
					if matchesAt(got, off, second) {
						t.Logf("%+v: short train: %d bits error-free", c, len(second))
						return
					}
				}
				t.Errorf("%+v: short-train data not found error-free in %d bits after the first %d (statuses %v)",
					c, len(got)-n1, n1, rx.Result().Status)
			})
		}
	}
}

// BenchmarkVsSpanDSP times our transmitter and SpanDSP's, alternately, on
// the same data (10 s with training and shutdown); set-up is not timed.
func BenchmarkVsSpanDSP(b *testing.B) {
	for _, rate := range rates {
		bits := randomBits(7, rate*10)
		b.Run(fmt.Sprint(rate), func(b *testing.B) {
			buf := make([]int16, 160)
			var ours, theirs time.Duration
			var n, m int
			for range b.N {
				tx, _ := NewTransmitter(rate, &sliceSource{bits: bits})
				st := spandsp.NewTx(spandsp.V17, rate, bits, -13)
				start := time.Now()
				for tx.Process(buf) == len(buf) {
					n += len(buf)
				}
				ours += time.Since(start)
				start = time.Now()
				for st.Process(buf) == len(buf) {
					m += len(buf)
				}
				theirs += time.Since(start)
				st.Close()
			}
			o := float64(ours.Nanoseconds()) / float64(n)
			s := float64(theirs.Nanoseconds()) / float64(m)
			b.ReportMetric(o, "ours-tx-ns/sample")
			b.ReportMetric(s, "spandsp-tx-ns/sample")
			b.ReportMetric(s/o, "tx-speedup")
		})
	}
}

// TestSpanDSPExpectsShortTrain is the control for TestShortTrainToSpanDSP:
// after a long train, SpanDSP's receiver takes the next transmission to
// start with the short train. Sent a second long train, it trains on the
// first 38 symbols of segment 2 and delivers the rest of the training as
// data, so the data come thousands of bits late. The short train is what
// brings them in right behind the first transmission's.
func TestSpanDSPExpectsShortTrain(t *testing.T) {
	first := randomBits(1, 4800)
	second := randomBits(2, 9600)
	rx := spandsp.NewRx(spandsp.V17, 14400)
	defer rx.Close()
	n1 := 0
	for i, sig := range [][]int16{modulate(t, 14400, first, -13, false), modulate(t, 14400, second, -13, false)} {
		sig = append(sig, make([]int16, 800)...)
		for k := 0; k < len(sig); k += 160 {
			rx.Process(sig[k:min(k+160, len(sig))])
		}
		if i == 0 {
			n1 = rx.NumBits()
		}
	}
	got := rx.Bits()
	late := -1
	for off := n1; off <= len(got)-len(second); off++ {
		if matchesAt(got, off, second) {
			late = off - n1
			break
		}
	}
	t.Logf("a second long train: %d bits delivered after the first transmission, its data error-free from bit %d (-1: never)", len(got)-n1, late)
	if late >= 0 && late <= 400 {
		t.Errorf("SpanDSP took a second long train as a short one")
	}
}
