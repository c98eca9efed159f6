package tone

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/line"
)

// collect runs a detector over sig in 160-sample blocks and returns its events.
func collect(sig []int16) []Event {
	var ev []Event
	d := NewDetector(func(e Event) { ev = append(ev, e) })
	for i := 0; i < len(sig); i += 160 {
		d.Process(sig[i:min(i+160, len(sig))])
	}
	return ev
}

func generate(p interface{ Process([]int16) int }, n int) []int16 {
	out := make([]int16, n)
	k := p.Process(out)
	return out[:k]
}

// noisy adds white noise at snr dB below the given signal level.
func noisy(sig []int16, levelDBm0, snr float64, seed int64) []int16 {
	return line.Apply(line.Config{NoiseDBm0: line.NoiseForSNR(levelDBm0, snr), Seed: seed}, sig)
}

func TestCNGDetected(t *testing.T) {
	for _, level := range []float64{-6, -20, -43} {
		for _, off := range []float64{-38, 0, 38} {
			g := NewCNGGenerator(level)
			g.nco.SetFrequency(cngFrequency + off)
			sig := generate(g, 8*dsp.SampleRate) // three bursts: at 0, 3.5 and 7 s
			sig = noisy(sig, level, 20, int64(level*100+off))
			ev := collect(sig)
			var cng []Event
			for _, e := range ev {
				if e.Tone != ToneCNG {
					t.Errorf("level %g, offset %g: unexpected %v", level, off, e.Tone)
				}
				cng = append(cng, e)
			}
			if len(cng) != 3 {
				t.Errorf("level %g, offset %g: %d CNG bursts, want 3", level, off, len(cng))
				continue
			}
			for i, e := range cng {
				if e.Burst != i+1 || e.CadenceOK != (i > 0) {
					t.Errorf("level %g, offset %g: burst %d reported as %d (cadence %v)", level, off, i+1, e.Burst, e.CadenceOK)
				}
				if math.Abs(e.DurationSec-0.5) > 0.05 || math.Abs(e.LevelDBm0-level) > 1.5 || math.Abs(e.OffsetHz-off) > 5 {
					t.Errorf("level %g, offset %g: burst %+v", level, off, e)
				}
			}
		}
	}
}

func TestCNGWrongCadence(t *testing.T) {
	// A 1100 Hz tone of 1.5 s is not CNG; neither is one of 0.2 s.
	for _, secs := range []float64{0.2, 1.5} {
		g := NewCNGGenerator(-13)
		sig := make([]int16, 3*dsp.SampleRate)
		n := int(secs * dsp.SampleRate)
		for i := 0; i < n; i++ {
			sig[i] = dsp.SaturateInt16(float32(dsp.PeakFromDBm0(-13)) * g.nco.Sin())
		}
		if ev := collect(sig); len(ev) != 0 {
			t.Errorf("%g s of 1100 Hz reported as %+v", secs, ev)
		}
	}
}

func TestAnswerDetected(t *testing.T) {
	for kind := ANS; kind < ansKinds; kind++ {
		for _, level := range []float64{-6, -25, -43} {
			for _, off := range []float64{-15, 0, 15} {
				g := NewAnswerGenerator(kind, level)
				g.carrier.SetFrequency(ansFrequency + off)
				sig := generate(g, 10*dsp.SampleRate)
				sig = append(sig, make([]int16, dsp.SampleRate/2)...)
				sig = noisy(sig, level, 20, int64(kind)*1000+int64(level*10+off))
				ev := collect(sig)
				if len(ev) != 2 || ev[0].Tone != ToneAnswer || ev[1].Tone != ToneEnd {
					t.Errorf("%v at %g dBm0, %+g Hz: events %+v", kind, level, off, ev)
					continue
				}
				e := ev[0]
				if e.Answer != kind {
					t.Errorf("%v at %g dBm0, %+g Hz: classified as %v", kind, level, off, e.Answer)
				}
				// Reported 0.7 s into the tone, which starts after 0.2 s of silence.
				if at := float64(e.At) / dsp.SampleRate; at < 0.85 || at > 1.0 {
					t.Errorf("%v: reported at %.3f s", kind, at)
				}
				if math.Abs(e.OffsetHz-off) > 3 || math.Abs(e.LevelDBm0-level) > 1.5 {
					t.Errorf("%v at %g dBm0, %+g Hz: measured %+v", kind, level, off, e)
				}
				want := float64(g.length) / dsp.SampleRate
				if math.Abs(ev[1].DurationSec-want) > 0.05 {
					t.Errorf("%v: duration %.3f s, want %.3f", kind, ev[1].DurationSec, want)
				}
			}
		}
	}
}

func TestAnswerWrongFrequency(t *testing.T) {
	// 2150 Hz is 50 Hz off: not an answer tone. 1100 Hz tones are not either.
	sig := make([]int16, 4*dsp.SampleRate)
	nco := dsp.NewNCO(2150)
	for i := range sig {
		sig[i] = dsp.SaturateInt16(5000 * nco.Sin())
	}
	if ev := collect(sig); len(ev) != 0 {
		t.Errorf("2150 Hz reported: %+v", ev)
	}
}

// fsk makes a phase-continuous FSK signal with random bits.
func fsk(n int, mark, space float64, baud float64, amp float32, rng *rand.Rand) []int16 {
	out := make([]int16, n)
	var nco dsp.NCO
	perBit := dsp.SampleRate / baud
	next := 0.0
	for i := range out {
		if float64(i) >= next {
			next += perBit
			if rng.IntN(2) == 1 {
				nco.SetFrequency(mark)
			} else {
				nco.SetFrequency(space)
			}
		}
		out[i] = dsp.SaturateInt16(amp * nco.Sin())
	}
	return out
}

// psk makes a PSK-like signal: random phases per symbol on a carrier, with
// a crude raised-cosine shaping between symbols.
func psk(n int, carrier, baud float64, amp float32, rng *rand.Rand) []int16 {
	out := make([]int16, n)
	var nco dsp.NCO
	nco.SetFrequency(carrier)
	perSym := dsp.SampleRate / baud
	next := 0.0
	phase, prev := 0.0, 0.0
	for i := range out {
		if float64(i) >= next {
			next += perSym
			prev = phase
			phase = float64(rng.IntN(8)) * math.Pi / 4
		}
		frac := 1 - (next-float64(i))/perSym
		w := 0.5 - 0.5*math.Cos(math.Pi*math.Min(1, 2*frac))
		p := prev + (phase-prev)*w
		c, s := nco.Next()
		out[i] = dsp.SaturateInt16(amp * float32(float64(c)*math.Cos(p)-float64(s)*math.Sin(p)))
	}
	return out
}

// speech makes a speech-like signal: a glottal pulse train whose pitch
// wanders between 80 and 250 Hz, through three formant resonators whose
// frequencies change every syllable, with a syllabic on/off envelope.
func speech(n int, amp float64, rng *rand.Rand) []int16 {
	out := make([]int16, n)
	type reson struct{ a1, a2, y1, y2 float64 }
	var f [3]reson
	set := func(r *reson, freq, bw float64) {
		rad := math.Exp(-math.Pi * bw / dsp.SampleRate)
		r.a1 = 2 * rad * math.Cos(2*math.Pi*freq/dsp.SampleRate)
		r.a2 = -rad * rad
	}
	pitch := 120.0
	nextPulse, sylEnd := 0.0, 0
	voiced := true
	for i := range out {
		if i >= sylEnd {
			sylEnd = i + 800 + rng.IntN(1600) // 100-300 ms syllables
			voiced = rng.IntN(4) != 0
			set(&f[0], 300+500*rng.Float64(), 80)
			set(&f[1], 900+1400*rng.Float64(), 100)
			set(&f[2], 2300+700*rng.Float64(), 150)
			pitch = 80 + 170*rng.Float64()
		}
		pitch *= 1 + 0.002*(rng.Float64()-0.5)
		pitch = math.Min(250, math.Max(80, pitch))
		x := 0.0
		if voiced && float64(i) >= nextPulse {
			nextPulse = float64(i) + dsp.SampleRate/pitch
			x = 1
		}
		if !voiced {
			x = 0.05 * rng.NormFloat64()
		}
		for k := range f {
			y := x + f[k].a1*f[k].y1 + f[k].a2*f[k].y2
			f[k].y2, f[k].y1 = f[k].y1, y
			x = y
		}
		out[i] = dsp.SaturateInt16(float32(amp * x))
	}
	// Normalise to a speech-like level (about -20 dBm0 long-term).
	var p float64
	for _, s := range out {
		p += float64(s) * float64(s)
	}
	g := dsp.RMSFromDBm0(-20) / math.Sqrt(p/float64(len(out))+1e-9)
	for i, s := range out {
		out[i] = dsp.SaturateInt16(float32(float64(s) * g))
	}
	return out
}

func TestNoFalseDetection(t *testing.T) {
	const n = 30 * dsp.SampleRate
	rng := rand.New(rand.NewPCG(1, 2))
	cases := map[string][]int16{
		"noise -15 dBm0":     line.Apply(line.Config{NoiseDBm0: -15, Seed: 1}, make([]int16, n)),
		"noise -35 dBm0":     line.Apply(line.Config{NoiseDBm0: -35, Seed: 2}, make([]int16, n)),
		"noise -50 dBm0":     line.Apply(line.Config{NoiseDBm0: -50, Seed: 3}, make([]int16, n)),
		"V.21 channel 2":     fsk(n, 1650, 1850, 300, float32(dsp.PeakFromDBm0(-13)), rng),
		"V.21 channel 1":     fsk(n, 980, 1180, 300, float32(dsp.PeakFromDBm0(-13)), rng),
		"V.29-like 1700 Hz":  psk(n, 1700, 2400, float32(dsp.PeakFromDBm0(-13)), rng),
		"V.27ter-like 1800":  psk(n, 1800, 1600, float32(dsp.PeakFromDBm0(-13)), rng),
		"speech-like signal": speech(n, 1000, rng),
	}
	for name, sig := range cases {
		if ev := collect(sig); len(ev) != 0 {
			t.Errorf("%s: false detections %+v", name, ev)
		}
	}
}

func TestDetectorAllocs(t *testing.T) {
	sig := generate(NewAnswerGenerator(ANSamPR, -13), 2*dsp.SampleRate)
	d := NewDetector(func(Event) {})
	g := NewCNGGenerator(-13)
	buf := make([]int16, 160)
	pos := 0
	if a := testing.AllocsPerRun(200, func() {
		d.Process(sig[pos : pos+160])
		pos = (pos + 160) % (len(sig) - 160)
		g.Process(buf)
	}); a != 0 {
		t.Errorf("%v allocations per block", a)
	}
}

func FuzzDetector(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3})
	sig := generate(NewAnswerGenerator(ANSPR, -10), 8000)
	seed := make([]byte, 2*len(sig))
	for i, s := range sig {
		seed[2*i], seed[2*i+1] = byte(s), byte(s>>8)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, b []byte) {
		in := make([]int16, len(b)/2)
		for i := range in {
			in[i] = int16(uint16(b[2*i]) | uint16(b[2*i+1])<<8)
		}
		d := NewDetector(func(Event) {})
		// Loop the input so state machines see long runs.
		for rep := 0; rep < 4; rep++ {
			d.Process(in)
			d.Fill(len(in) % 97)
		}
	})
}

func BenchmarkDetector(b *testing.B) {
	sig := speech(8000, 1000, rand.New(rand.NewPCG(3, 4)))
	d := NewDetector(nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Process(sig)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(sig)), "ns/sample")
}

// TestGeneratorReset: a generator Reset (and set to another level and
// back) part way through makes the very samples of a new one.
func TestGeneratorReset(t *testing.T) {
	gen := func(n int, p func([]int16) int) []int16 {
		out := make([]int16, n)
		out = out[:p(out)]
		return out
	}
	for _, kind := range []AnswerKind{ANS, ANSPR, ANSam, ANSamPR} {
		used := NewAnswerGenerator(kind, -10)
		gen(12345, used.Process)
		used.SetLevel(-20)
		used.SetLevel(-10)
		used.Reset()
		got := gen(50000, used.Process)
		want := gen(50000, NewAnswerGenerator(kind, -10).Process)
		if !slices.Equal(got, want) {
			t.Errorf("%v: reset generator differs from a new one (%d, %d samples)", kind, len(got), len(want))
		}
	}
	used := NewCNGGenerator(-10)
	gen(12345, used.Process)
	used.SetLevel(-20)
	used.SetLevel(-10)
	used.Reset()
	if got, want := gen(30000, used.Process), gen(30000, NewCNGGenerator(-10).Process); !slices.Equal(got, want) {
		t.Error("reset CNG generator differs from a new one")
	}
}
