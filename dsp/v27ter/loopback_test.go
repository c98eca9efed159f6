package v27ter

import (
	"math/rand/v2"
	"testing"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/line"
)

// modulate sends bits through a transmitter at level dBm0, with silence
// before and after, and returns the audio.
func modulate(t testing.TB, rate int, bits []byte, level float64) []int16 {
	pos := 0
	tx, err := NewTransmitter(rate, dsp.BitSourceFunc(func() int {
		if pos == len(bits) {
			return dsp.EndOfData
		}
		pos++
		return int(bits[pos-1])
	}))
	if err != nil {
		t.Fatal(err)
	}
	tx.SetLevel(level)
	sig := make([]int16, 800)
	buf := make([]int16, 160)
	for {
		n := tx.Process(buf)
		sig = append(sig, buf[:n]...)
		if n < len(buf) {
			break
		}
	}
	return append(sig, make([]int16, 800)...)
}

// rxResult is what a receiver made of a signal.
type rxResult struct {
	bits     []byte
	statuses []dsp.Status
	report   dsp.RxReport
	trained  bool
}

func demodulate(t testing.TB, rate int, sig []int16) rxResult {
	var res rxResult
	rx, err := NewReceiver(rate, dsp.BitSinkFunc(func(b int) { res.bits = append(res.bits, byte(b)) }))
	if err != nil {
		t.Fatal(err)
	}
	rx.SetStatusHandler(func(s dsp.Status) {
		res.statuses = append(res.statuses, s)
		if s == dsp.StatusTrainingSucceeded {
			res.trained = true
			res.report = rx.Report()
		}
	})
	for i := 0; i < len(sig); i += 160 {
		rx.Process(sig[i:min(i+160, len(sig))])
		if rep := rx.Report(); rep.Trained {
			res.report = rep
		}
	}
	return res
}

func randomBits(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 27))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.IntN(2))
	}
	return b
}

// bitErrors counts differences between sent and got[:len(sent)], counting
// missing bits as errors.
func bitErrors(sent, got []byte) int {
	e := 0
	for i, b := range sent {
		if i >= len(got) || got[i] != b {
			e++
		}
	}
	return e
}

func TestLoopback(t *testing.T) {
	type cond struct {
		name  string
		level float64
		snr   float64
		cfg   line.Config
	}
	conds := []cond{
		{name: "clean", level: -13},
		{name: "30 dB", level: -13, snr: 30},
		{name: "-6 dBm0", level: -6, snr: 30},
		{name: "-10 dBm0", level: -10, snr: 30},
		{name: "-40 dBm0", level: -40, snr: 30},
		{name: "-43 dBm0", level: -43, snr: 30},
		{name: "+7 Hz", level: -13, snr: 30, cfg: line.Config{FreqOffsetHz: 7}},
		{name: "-7 Hz", level: -13, snr: 30, cfg: line.Config{FreqOffsetHz: -7}},
		{name: "+10 Hz", level: -13, snr: 30, cfg: line.Config{FreqOffsetHz: 10}},
		{name: "+100 ppm", level: -13, snr: 30, cfg: line.Config{ClockOffsetPPM: 100}},
		{name: "-100 ppm", level: -13, snr: 30, cfg: line.Config{ClockOffsetPPM: -100}},
		{name: "+200 ppm", level: -13, snr: 30, cfg: line.Config{ClockOffsetPPM: 200}},
		{name: "-200 ppm", level: -13, snr: 30, cfg: line.Config{ClockOffsetPPM: -200}},
		{name: "echo -20 dB", level: -13, snr: 30, cfg: line.Config{EchoDelay: 240, EchoDB: -20}},
		{name: "mu-law", level: -13, snr: 30, cfg: line.Config{Law: line.ULaw}},
		{name: "A-law", level: -20, snr: 30, cfg: line.Config{Law: line.ALaw}},
		{name: "all at once", level: -30, snr: 30, cfg: line.Config{FreqOffsetHz: -7, ClockOffsetPPM: 100, EchoDelay: 160, EchoDB: -20, Law: line.ALaw}},
	}
	for _, rate := range []int{4800, 2400} {
		for i, c := range conds {
			bits := randomBits(rate*3/2, uint64(rate+i))
			sig := modulate(t, rate, bits, c.level)
			cfg := c.cfg
			cfg.Seed = int64(i + 1)
			if c.snr > 0 {
				cfg.NoiseDBm0 = line.NoiseForSNR(c.level, c.snr)
			}
			res := demodulate(t, rate, line.Apply(cfg, sig))
			errs := bitErrors(bits, res.bits)
			if !res.trained || errs != 0 {
				t.Errorf("%d bit/s, %s: trained %v, %d of %d bits wrong (got %d bits), statuses %v",
					rate, c.name, res.trained, errs, len(bits), len(res.bits), res.statuses)
				continue
			}
			t.Logf("%d bit/s, %-12s: level %6.1f dBm0, offset %+5.1f Hz, clock %+6.0f ppm, quality %4.1f dB, %d extra bits",
				rate, c.name, res.report.LevelDBm0, res.report.CarrierOffsetHz, res.report.SymbolOffsetPPM, res.report.QualityDB, len(res.bits)-len(bits))
		}
	}
}
