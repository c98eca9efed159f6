//go:build spandsp

package v21

import (
	"testing"
	"time"

	"github.com/faxd/faxd/dsp/line"
	"github.com/faxd/faxd/dsp/spandsp"
)

func spandspModem(ch Channel) spandsp.Modem {
	if ch == Channel1 {
		return spandsp.V21Ch1
	}
	return spandsp.V21Ch2
}

// interopCases are the conditions both directions must pass error-free
// (30 dB SNR at the received level unless the case says otherwise).
var interopCases = []struct {
	name  string
	level float64
	cfg   line.Config
}{
	{"-13 dBm0", -13, line.Config{}},
	{"-10 dBm0", -10, line.Config{}},
	{"-40 dBm0", -40, line.Config{}},
	{"-43 dBm0", -43, line.Config{}},
	{"carrier +7 Hz", -13, line.Config{FreqOffsetHz: 7}},
	{"carrier -7 Hz", -13, line.Config{FreqOffsetHz: -7}},
	{"clock +100 ppm", -13, line.Config{ClockOffsetPPM: 100}},
	{"clock -100 ppm", -13, line.Config{ClockOffsetPPM: -100}},
	{"+7 Hz, -100 ppm, mu-law, echo", -20, line.Config{FreqOffsetHz: 7, ClockOffsetPPM: -100, Law: line.ULaw,
		EchoDelay: 200, EchoDB: -20}},
}

// TestInteropToSpanDSP: our transmitter, SpanDSP's receiver (sync framing,
// -45.5 dBm0 cutoff). SpanDSP's V.21 receiver in sync mode hands up an
// extra bit before the data (one bit early, offset -1), so the comparison
// searches for the best alignment within a few bits.
//
// The signal starts at the first sample: SpanDSP's carrier detector (a
// power threshold at -43 dBm0) takes the line's noise before a signal at
// -13 dBm0 and 30 dB SNR for carrier, hands up noise bits, and its slow
// bit clock (1/213 of a bit per transition) can then miss the signal's
// first bits (measured: 1 error in 30000 bits with 800 samples of noise
// first, none without). SpanDSP's channel 1 detector does not see its own
// signal at -43 dBm0 (it works down to -42), so channel 1 stops at -42.
func TestInteropToSpanDSP(t *testing.T) {
	for _, ch := range []Channel{Channel1, Channel2} {
		for i, c := range interopCases {
			level := c.level
			if ch == Channel1 && level < -42 {
				level = -42
			}
			bits := randomBits(3000, uint64(100+i))
			a := impair(c.cfg, level, modulate(t, ch, bits, level, 0, 960), int64(i))
			got, _ := spandsp.Demodulate(spandspModem(ch), BitRate, a)
			off, errs, n := compareBits(bits, got, -4, 4, 100)
			if errs != 0 || n < len(bits)-4 {
				t.Errorf("%v, %s: SpanDSP got %d errors in %d bits (offset %d)", ch, c.name, errs, n, off)
			}
		}
	}
}

// TestInteropFromSpanDSP: SpanDSP's transmitter, our receiver.
func TestInteropFromSpanDSP(t *testing.T) {
	for _, ch := range []Channel{Channel1, Channel2} {
		for i, c := range interopCases {
			bits := randomBits(3000, uint64(200+i))
			sig := spandsp.Modulate(spandspModem(ch), BitRate, bits, c.level)
			a := append(make([]int16, 800), sig...)
			a = impair(c.cfg, c.level, append(a, make([]int16, 800)...), int64(i))
			res := demodulate(t, ch, a, 160)
			off, errs, n := compareBits(bits, res.bits, -4, 30, 100)
			if errs != 0 || off > 12 || n != len(bits)-off {
				t.Errorf("%v, %s: %d errors in %d bits, %d lost at the start", ch, c.name, errs, n, off)
			}
		}
	}
}

// TestBERVersusSpanDSP feeds the same noisy SpanDSP-modulated samples to
// both receivers at SNRs around SpanDSP's threshold (error-free from about
// 4 dB full-band SNR) and compares bit errors. Each receiver's output is
// aligned to the sent bits at its own best offset (SpanDSP hands up noise
// bits before the signal: its carrier detector fires on the line noise, so
// its offset is about -30). The assertion allows ours one error more than
// SpanDSP's per point plus 10%, for the luck of the noise.
//
// At -2 dB SNR (logged, not asserted) our receiver, by design, mostly
// declines the signal (its FSK shape test fails, so it drops the carrier
// and delivers few bits) where SpanDSP delivers bits at 2% BER, useless to
// HDLC (a 30-octet frame would get through 1 time in 100).
func TestBERVersusSpanDSP(t *testing.T) {
	const trials, nbits = 3, 3000
	for _, ch := range []Channel{Channel1, Channel2} {
		for _, snr := range []float64{-2, 0, 2, 4, 6} {
			var ours, theirs, nOurs, nTheirs int
			for trial := range trials {
				bits := randomBits(nbits, uint64(1000+trial))
				sig := spandsp.Modulate(spandspModem(ch), BitRate, bits, -13)
				a := append(append(make([]int16, 800), sig...), make([]int16, 800)...)
				a = line.Apply(line.Config{NoiseDBm0: line.NoiseForSNR(-13, snr), Seed: int64(trial)}, a)
				res := demodulate(t, ch, a, 160)
				_, e, n := compareBits(bits, res.bits, -4, 300, 100)
				ours, nOurs = ours+e, nOurs+n
				got, _ := spandsp.Demodulate(spandspModem(ch), BitRate, a)
				_, e, n = compareBits(bits, got, -60, 300, 100)
				theirs, nTheirs = theirs+e, nTheirs+n
			}
			berO := float64(ours) / float64(max(nOurs, 1))
			berT := float64(theirs) / float64(max(nTheirs, 1))
			t.Logf("%v SNR %+3.0f dB: ours %4d errors in %5d bits (BER %.1e), SpanDSP %4d in %5d (BER %.1e)",
				ch, snr, ours, nOurs, berO, theirs, nTheirs, berT)
			if snr >= 0 && float64(ours) > float64(theirs)*1.1+1 {
				t.Errorf("%v SNR %v dB: ours %d errors, SpanDSP %d", ch, snr, ours, theirs)
			}
		}
	}
}

// BenchmarkVsSpanDSP times both receivers and both transmitters on the
// same audio (V.21 channel 2, 10 s of random data), alternately, and both
// receivers on 10 s of silence.
func BenchmarkVsSpanDSP(b *testing.B) {
	bits := randomBits(3000, 9)
	audio := modulate(b, Channel2, bits, -13, 0, 0)
	audio = audio[:len(audio)/160*160]
	sp := spandsp.NewRx(spandsp.V21Ch2, BitRate)
	defer sp.Close()
	rx, _ := NewReceiver(Channel2, nil)
	src := &sliceSource{bits: bits}
	tx, _ := NewTransmitter(Channel2, src)
	silence := make([]int16, len(audio))
	var ourRx, spRx, ourTx, spTx, ourIdle, spIdle time.Duration
	buf := make([]int16, 160)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		rx.Reset()
		for i := 0; i < len(audio); i += 160 {
			rx.Process(audio[i : i+160])
		}
		t1 := time.Now()
		sp.Reset()
		for i := 0; i < len(audio); i += 160 {
			sp.Process(audio[i : i+160])
		}
		t2 := time.Now()
		src.pos = 0
		tx.Reset()
		for tx.Process(buf) == len(buf) {
		}
		t3 := time.Now()
		stx := spandsp.NewTx(spandsp.V21Ch2, BitRate, bits, -13)
		for stx.Process(buf) == len(buf) {
		}
		t4 := time.Now()
		stx.Close()
		for i := 0; i < len(silence); i += 160 {
			rx.Process(silence[i : i+160])
		}
		t5 := time.Now()
		for i := 0; i < len(silence); i += 160 {
			sp.Process(silence[i : i+160])
		}
		t6 := time.Now()
		ourRx += t1.Sub(t0)
		spRx += t2.Sub(t1)
		ourTx += t3.Sub(t2)
		spTx += t4.Sub(t3)
		ourIdle += t5.Sub(t4)
		spIdle += t6.Sub(t5)
	}
	n := float64(b.N) * float64(len(audio))
	b.ReportMetric(float64(ourRx.Nanoseconds())/n, "ours-rx-ns/sample")
	b.ReportMetric(float64(spRx.Nanoseconds())/n, "spandsp-rx-ns/sample")
	b.ReportMetric(float64(spRx)/float64(ourRx), "rx-speedup")
	b.ReportMetric(float64(ourTx.Nanoseconds())/n, "ours-tx-ns/sample")
	b.ReportMetric(float64(spTx.Nanoseconds())/n, "spandsp-tx-ns/sample")
	b.ReportMetric(float64(spTx)/float64(ourTx), "tx-speedup")
	b.ReportMetric(float64(ourIdle.Nanoseconds())/n, "ours-silence-ns/sample")
	b.ReportMetric(float64(spIdle.Nanoseconds())/n, "spandsp-silence-ns/sample")
}
