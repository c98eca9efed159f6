package v27ter

import (
	"errors"
	"testing"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/line"
)

func TestBadRate(t *testing.T) {
	for _, rate := range []int{0, 1200, 9600} {
		if _, err := NewTransmitter(rate, dsp.BitSourceFunc(func() int { return 1 })); !errors.Is(err, ErrRate) {
			t.Errorf("transmitter at %d: %v", rate, err)
		}
		if _, err := NewReceiver(rate, dsp.BitSinkFunc(func(int) {})); !errors.Is(err, ErrRate) {
			t.Errorf("receiver at %d: %v", rate, err)
		}
	}
}

// TestNoGarbage: what is not a V.27ter signal at the receiver's rate must
// yield no data bits.
func TestNoGarbage(t *testing.T) {
	noise := func(dBm0 float64) []int16 {
		return line.Apply(line.Config{NoiseDBm0: dBm0, Seed: int64(-dBm0)}, make([]int16, 5*dsp.SampleRate))
	}
	// A 1800 Hz carrier with no modulation, and V.29-like 1700 Hz tone.
	tone := make([]int16, 3*dsp.SampleRate)
	nco := dsp.NewNCO(1800)
	for i := range tone {
		tone[i] = dsp.SaturateInt16(5000 * nco.Sin())
	}
	cases := map[string]struct {
		rate int
		sig  []int16
	}{
		"silence":                {4800, make([]int16, 2*dsp.SampleRate)},
		"noise -40 dBm0":         {4800, noise(-40)},
		"noise -20 dBm0":         {2400, noise(-20)},
		"noise -10 dBm0":         {4800, noise(-10)},
		"unmodulated carrier":    {4800, tone},
		"4800 heard as 2400":     {2400, modulate(t, 4800, randomBits(4800, 3), -13)},
		"2400 heard as 4800":     {4800, modulate(t, 2400, randomBits(2400, 4), -13)},
		"4800 under heavy noise": {4800, line.Apply(line.Config{NoiseDBm0: -16, Seed: 7}, modulate(t, 4800, randomBits(4800, 5), -13))},
	}
	for name, c := range cases {
		res := demodulate(t, c.rate, c.sig)
		if len(res.bits) != 0 || res.trained {
			t.Errorf("%s: %d data bits, trained %v, statuses %v", name, len(res.bits), res.trained, res.statuses)
		}
	}
}

// TestRetrain: two transmissions in a row, and a receiver Reset between
// unrelated signals, both train.
func TestRetrain(t *testing.T) {
	for _, rate := range []int{4800, 2400} {
		a, b := randomBits(rate, 11), randomBits(rate, 12)
		sig := append(modulate(t, rate, a, -13), modulate(t, rate, b, -20)...)
		res := demodulate(t, rate, line.Apply(line.Config{NoiseDBm0: -50, Seed: 1}, sig))
		ups := 0
		for _, s := range res.statuses {
			if s == dsp.StatusTrainingSucceeded {
				ups++
			}
		}
		if ups != 2 {
			t.Errorf("%d bit/s: trained %d times on two transmissions (%v)", rate, ups, res.statuses)
		}
		if e := bitErrors(a, res.bits); e != 0 {
			t.Errorf("%d bit/s: first transmission %d errors", rate, e)
		}
	}
}

func TestTransmitterStatus(t *testing.T) {
	var st []dsp.Status
	bits := 30
	tx, _ := NewTransmitter(4800, dsp.BitSourceFunc(func() int {
		if bits == 0 {
			return dsp.EndOfData
		}
		bits--
		return 1
	}))
	tx.SetStatusHandler(func(s dsp.Status) { st = append(st, s) })
	buf := make([]int16, 160)
	total := 0
	for i := 0; i < 1000; i++ {
		n := tx.Process(buf)
		total += n
		if n < len(buf) {
			break
		}
	}
	if len(st) != 2 || st[0] != dsp.StatusEndOfData || st[1] != dsp.StatusShutdownComplete {
		t.Errorf("statuses %v", st)
	}
	if n := tx.Process(buf); n != 0 {
		t.Errorf("%d samples after shutdown", n)
	}
	// Training (32+50+1074+8 symbols) + 10 data symbols + 32 + 8 at 5 samples.
	if want := 5 * (segSilence + segReversals + segTraining + segOnes + 10 + shutdownOnes + txSpan); total < want-10 || total > want+10 {
		t.Errorf("%d samples, want about %d", total, want)
	}
	// Reset starts over.
	tx.Reset()
	if n := tx.Process(buf); n != len(buf) {
		t.Errorf("after Reset: %d samples", n)
	}
}

func TestTransmitLevel(t *testing.T) {
	for _, rate := range []int{4800, 2400} {
		for _, lv := range []float64{-6, -13, -43} {
			sig := modulate(t, rate, randomBits(rate*2, 1), lv)
			// Measure over the data, away from the silences.
			body := sig[800+dsp.SampleRate : len(sig)-800-dsp.SampleRate/4]
			var p float64
			for _, s := range body {
				p += float64(s) * float64(s)
			}
			if got := dsp.DBm0FromPower(p / float64(len(body))); got < lv-0.3 || got > lv+0.3 {
				t.Errorf("%d bit/s at %g dBm0 measures %.2f dBm0", rate, lv, got)
			}
		}
	}
}

func TestNoAllocs(t *testing.T) {
	for _, rate := range []int{4800, 2400} {
		tx, _ := NewTransmitter(rate, dsp.BitSourceFunc(func() int { return 1 }))
		rx, _ := NewReceiver(rate, dsp.BitSinkFunc(func(int) {}))
		buf := make([]int16, 160)
		// Across carrier up, training and data.
		if a := testing.AllocsPerRun(400, func() {
			tx.Process(buf)
			rx.Process(buf)
		}); a != 0 {
			t.Errorf("%d bit/s: %v allocations per block", rate, a)
		}
		if !rx.Report().Trained {
			t.Errorf("%d bit/s: did not train during the allocation test", rate)
		}
	}
}

func FuzzReceiver(f *testing.F) {
	sig := modulate(f, 4800, randomBits(600, 1), -13)
	seed := make([]byte, 2*len(sig))
	for i, s := range sig {
		seed[2*i], seed[2*i+1] = byte(s), byte(s>>8)
	}
	f.Add(seed, false)
	f.Add([]byte{0x00, 0x80, 0xff, 0x7f}, true)
	f.Fuzz(func(t *testing.T, b []byte, slow bool) {
		in := make([]int16, len(b)/2)
		for i := range in {
			in[i] = int16(uint16(b[2*i]) | uint16(b[2*i+1])<<8)
		}
		rate := 4800
		if slow {
			rate = 2400
		}
		rx, _ := NewReceiver(rate, dsp.BitSinkFunc(func(int) {}))
		for rep := 0; rep < 3; rep++ {
			rx.Process(in)
			rx.Fill(len(in) % 321)
		}
		if a := testing.AllocsPerRun(2, func() { rx.Process(in) }); a != 0 {
			t.Errorf("%v allocations", a)
		}
		_ = rx.Report()
	})
}

func BenchmarkTransmitter(b *testing.B) {
	for _, rate := range []int{4800, 2400} {
		b.Run(map[int]string{4800: "4800", 2400: "2400"}[rate], func(b *testing.B) {
			tx, _ := NewTransmitter(rate, dsp.BitSourceFunc(func() int { return 1 }))
			buf := make([]int16, 160)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				tx.Process(buf)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(buf)), "ns/sample")
		})
	}
}

func BenchmarkReceiver(b *testing.B) {
	for _, rate := range []int{4800, 2400} {
		b.Run(map[int]string{4800: "4800", 2400: "2400"}[rate], func(b *testing.B) {
			sig := modulate(b, rate, randomBits(rate*20, 1), -13)
			sig = line.Apply(line.Config{NoiseDBm0: -45, Seed: 1}, sig)
			rx, _ := NewReceiver(rate, dsp.BitSinkFunc(func(int) {}))
			b.ReportAllocs()
			b.ResetTimer()
			n := 0
			for i := 0; i < b.N; i++ {
				for j := 0; j+160 <= len(sig); j += 160 {
					rx.Process(sig[j : j+160])
					n += 160
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/sample")
		})
	}
}
