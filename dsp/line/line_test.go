package line

import (
	"math"
	"math/cmplx"
	"testing"

	"github.com/faxd/faxd/dsp"
)

func tone(freq, dBm0 float64, n int) []int16 {
	out := make([]int16, n)
	nco := dsp.NewNCO(freq)
	a := float32(dsp.PeakFromDBm0(dBm0))
	for i := range out {
		out[i] = dsp.SaturateInt16(a * nco.Sin())
	}
	return out
}

// measureFreq estimates the frequency of a tone near guess from the phase
// drift of its mixed-down 50 ms block averages.
func measureFreq(sig []int16, guess float64) float64 {
	const blk = 400
	var prev complex128
	var sum complex128
	for b := 0; b+blk <= len(sig); b += blk {
		var z complex128
		for i := b; i < b+blk; i++ {
			w := -2 * math.Pi * guess * float64(i) / dsp.SampleRate
			z += complex(float64(sig[i]), 0) * cmplx.Exp(complex(0, w))
		}
		if b > 0 {
			sum += z * cmplx.Conj(prev)
		}
		prev = z
	}
	return guess + cmplx.Phase(sum)/(2*math.Pi*blk/dsp.SampleRate)
}

// powerAt is the mean square of the component at freq over the whole
// signal, measured through a Hann window so that a strong tone a few hertz
// away does not leak into the measurement.
func powerAt(sig []int16, freq float64) float64 {
	var z complex128
	n := float64(len(sig))
	for i, s := range sig {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/n)
		z += complex(w*float64(s), 0) * cmplx.Exp(complex(0, -2*math.Pi*freq*float64(i)/dsp.SampleRate))
	}
	a := cmplx.Abs(z) * 2 / (n / 2) // the Hann window's coherent gain is 1/2
	return a * a / 2
}

// toneSNR fits a sine of the given frequency to sig by least squares and
// returns the power of the fit over the power of what is left, in dB.
func toneSNR(sig []int16, freq float64) float64 {
	var sc, ss, cc, sn, cs float64
	for i, v := range sig {
		ph := 2 * math.Pi * freq * float64(i) / dsp.SampleRate
		c, s := math.Cos(ph), math.Sin(ph)
		x := float64(v)
		sc += x * c
		sn += x * s
		cc += c * c
		ss += s * s
		cs += c * s
	}
	det := cc*ss - cs*cs
	a := (sc*ss - sn*cs) / det
	b := (sn*cc - sc*cs) / det
	var fit, res float64
	for i, v := range sig {
		ph := 2 * math.Pi * freq * float64(i) / dsp.SampleRate
		f := a*math.Cos(ph) + b*math.Sin(ph)
		fit += f * f
		res += (float64(v) - f) * (float64(v) - f)
	}
	return 10 * math.Log10(fit/res)
}

func meanSquare(sig []int16) float64 {
	var p float64
	for _, s := range sig {
		p += float64(s) * float64(s)
	}
	return p / float64(len(sig))
}

func TestPerfectLine(t *testing.T) {
	in := tone(1000, -13, 4000)
	out := Apply(Config{}, in)
	if len(out) != len(in) {
		t.Fatalf("%d samples out for %d in", len(out), len(in))
	}
	for i := range in {
		if in[i] != out[i] {
			t.Fatalf("sample %d changed: %d -> %d", i, in[i], out[i])
		}
	}
}

func TestFrequencyOffset(t *testing.T) {
	for _, off := range []float64{-10, -7, 7, 10} {
		for _, f := range []float64{400, 1000, 1700, 3000} {
			out := Apply(Config{FreqOffsetHz: off}, tone(f, -13, 16000))
			out = out[200 : len(out)-200]
			if got := measureFreq(out, f+off); math.Abs(got-(f+off)) > 0.05 {
				t.Errorf("%g Hz shifted by %+g: measured %.3f Hz", f, off, got)
			}
			want, image := powerAt(out, f+off), powerAt(out, f-off)
			if r := 10 * math.Log10(want/image); r < 40 {
				t.Errorf("%g Hz shifted by %+g: image only %.1f dB down", f, off, r)
			}
			if lv := dsp.DBm0FromPower(want); math.Abs(lv+13) > 0.2 {
				t.Errorf("%g Hz shifted by %+g: level %.2f dBm0, want -13", f, off, lv)
			}
		}
	}
}

func TestClockOffset(t *testing.T) {
	for _, ppm := range []float64{-1000, -200, -100, 100, 200, 1000} {
		const n = 80000
		l := New(Config{ClockOffsetPPM: ppm})
		in := tone(1800, -13, n)
		out := make([]int16, n+100)
		k := 0
		for i := 0; i < n; i += 160 {
			k += l.Process(out[k:], in[i:i+160])
		}
		// N samples of a clock ppm fast last N/(1+ppm) of ours; the
		// resampler holds back 16.
		want := float64(n)/(1+ppm*1e-6) - rsTaps/2
		if math.Abs(float64(k)-want) > 1.5 {
			t.Errorf("%+g ppm: %d samples out, want %.1f", ppm, k, want)
		}
		got := measureFreq(out[100:k-100], 1800)
		if wantF := 1800 * (1 + ppm*1e-6); math.Abs(got-wantF) > 0.01 {
			t.Errorf("%+g ppm: tone at %.4f Hz, want %.4f", ppm, got, wantF)
		}
		// Interpolation error (everything but the tone) at least 60 dB down.
		if r := toneSNR(out[100:k-100], 1800*(1+ppm*1e-6)); r < 60 {
			t.Errorf("%+g ppm: resampling noise only %.1f dB below the tone", ppm, r)
		}
	}
}

func TestNoise(t *testing.T) {
	for _, lv := range []float64{-60, -43, -30, -20} {
		out := Apply(Config{NoiseDBm0: lv, Seed: 5}, make([]int16, dsp.SampleRate))
		if got := dsp.DBm0FromPower(meanSquare(out)); math.Abs(got-lv) > 0.2 {
			t.Errorf("noise at %g dBm0 measures %.2f", lv, got)
		}
	}
	// The SNR NoiseForSNR promises, against a -13 dBm0 tone.
	sig := tone(1000, -13, 2*dsp.SampleRate)
	out := Apply(Config{NoiseDBm0: NoiseForSNR(-13, 25), Seed: 9}, sig)
	var np float64
	for i := range sig {
		d := float64(out[i]) - float64(sig[i])
		np += d * d
	}
	if snr := 10 * math.Log10(meanSquare(sig)*float64(len(sig))/np); math.Abs(snr-25) > 0.2 {
		t.Errorf("SNR %.2f dB, want 25", snr)
	}
	// Deterministic by seed, and different seeds differ.
	a := Apply(Config{NoiseDBm0: -30, Seed: 1}, make([]int16, 1000))
	b := Apply(Config{NoiseDBm0: -30, Seed: 1}, make([]int16, 1000))
	c := Apply(Config{NoiseDBm0: -30, Seed: 2}, make([]int16, 1000))
	same, diff := true, false
	for i := range a {
		same = same && a[i] == b[i]
		diff = diff || a[i] != c[i]
	}
	if !same || !diff {
		t.Errorf("noise not deterministic by seed (same seed equal: %v, other seed differs: %v)", same, diff)
	}
}

func TestEchoAndAttenuation(t *testing.T) {
	// An impulse comes out attenuated, with its echo EchoDelay later.
	in := make([]int16, 1000)
	in[100] = 10000
	out := Apply(Config{EchoDelay: 237, EchoDB: -20, AttenuationDB: 6}, in)
	g := math.Pow(10, -6.0/20)
	if math.Abs(float64(out[100])-10000*g) > 1 || math.Abs(float64(out[337])-1000*g) > 1 {
		t.Errorf("impulse %d, echo %d; want %.0f and %.0f", out[100], out[337], 10000*g, 1000*g)
	}
	for i, s := range out {
		if i != 100 && i != 337 && s != 0 {
			t.Errorf("stray sample %d at %d", s, i)
		}
	}
	// On a noise-like signal the echo is found by cross-correlation.
	src := Apply(Config{NoiseDBm0: -20, Seed: 3}, make([]int16, 8000))
	out = Apply(Config{EchoDelay: 150, EchoDB: -20}, src)
	best, bestLag := 0.0, 0
	for lag := 1; lag < 400; lag++ {
		var c float64
		for i := lag; i < len(src); i++ {
			c += float64(out[i]-src[i]) * float64(src[i-lag])
		}
		if c > best {
			best, bestLag = c, lag
		}
	}
	if bestLag != 150 {
		t.Errorf("echo found at lag %d, want 150", bestLag)
	}
}

func TestG711RoundTrip(t *testing.T) {
	for _, law := range []Law{ULaw, ALaw} {
		for _, lv := range []float64{-13, -30} {
			sig := tone(1013, lv, 8000)
			out := Apply(Config{Law: law}, sig)
			var np float64
			for i := range sig {
				d := float64(out[i]) - float64(sig[i])
				np += d * d
			}
			snr := 10 * math.Log10(meanSquare(sig)*float64(len(sig))/np)
			// G.711's signal to quantisation noise is about 38 dB over a wide range of levels.
			if snr < 35 || snr > 41 {
				t.Errorf("law %d at %g dBm0: SNR %.1f dB", law, lv, snr)
			}
		}
	}
}

func TestProcessAllocs(t *testing.T) {
	l := New(Config{NoiseDBm0: -40, FreqOffsetHz: 7, ClockOffsetPPM: 100, EchoDelay: 100, EchoDB: -20, Law: ALaw})
	in := tone(1000, -13, 160)
	out := make([]int16, 170)
	if a := testing.AllocsPerRun(100, func() { l.Process(out, in) }); a != 0 {
		t.Errorf("%v allocations per block", a)
	}
}

func BenchmarkLine(b *testing.B) {
	l := New(Config{NoiseDBm0: -40, FreqOffsetHz: 7, ClockOffsetPPM: 100, EchoDelay: 100, EchoDB: -20, Law: ULaw})
	in := tone(1000, -13, 160)
	out := make([]int16, 170)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l.Process(out, in)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(in)), "ns/sample")
}
