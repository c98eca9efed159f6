package dsp

import (
	"math"
	"testing"
)

// TestRootRaisedCosineFractionalSPS checks the RRC pair for the
// non-integer oversampling ratios the modems use (V.29 at 2400 baud gives
// 10/3 samples a symbol, V.27ter at 1200 baud 20/3). With a non-integer
// sps the taps are sampled symmetrically about a centre that may fall
// between two samples; the cascade of two such filters is centred on a
// whole sample, and every third symbol instant (a whole number of samples
// away) must show no ISI.
func TestRootRaisedCosineFractionalSPS(t *testing.T) {
	for _, c := range []struct {
		beta     float64
		num, den int // sps = num/den
		span     int
	}{{0.5, 20, 3, 16}, {0.5, 10, 3, 16}, {0.5, 5, 1, 16}, {0.125, 10, 3, 40}} {
		sps := float64(c.num) / float64(c.den)
		h := RootRaisedCosine(c.beta, sps, c.span)
		for i := range h { // symmetric
			if math.Abs(float64(h[i]-h[len(h)-1-i])) > 1e-7 {
				t.Fatalf("beta %g sps %.3f: taps not symmetric at %d", c.beta, sps, i)
			}
		}
		p := make([]float64, 2*len(h)-1)
		for i := range h {
			for j := range h {
				p[i+j] += float64(h[i]) * float64(h[j])
			}
		}
		mid := len(h) - 1
		if math.Abs(p[mid]-1) > 1e-3 {
			t.Errorf("beta %g sps %.3f: peak %g, want 1", c.beta, sps, p[mid])
		}
		worst := 0.0
		for k := c.num; mid+k < len(p) && k <= c.num*c.span/(2*c.den); k += c.num {
			worst = max(worst, math.Abs(p[mid+k]), math.Abs(p[mid-k]))
		}
		t.Logf("beta %g sps %.3f span %d: peak %.6f, worst ISI %.2g", c.beta, sps, c.span, p[mid], worst)
		if worst > 1e-3 {
			t.Errorf("beta %g sps %.3f: ISI %g at multiples of %d symbols", c.beta, sps, worst, c.den)
		}
	}
}

// TestGoertzelOffBin: Power of a sine equals A²/2 within 1% also when the
// tone is not on a DFT bin of the block, and is ~0 for a far tone.
func TestGoertzelOffBin(t *testing.T) {
	for _, f := range []float64{462, 1300, 2100, 2225} {
		g := NewGoertzel(f, 400)
		var far = NewGoertzel(f+400, 400)
		amp := 5000.0
		for i := 0; i < 400; i++ {
			x := float32(amp * math.Cos(2*math.Pi*f*float64(i)/SampleRate+0.3))
			g.Update(x)
			far.Update(x)
		}
		if p := float64(g.Power()); math.Abs(p/(amp*amp/2)-1) > 0.01 {
			t.Errorf("%g Hz: power %g, want %g", f, p, amp*amp/2)
		}
		if r := far.Ratio(); r > 0.01 {
			t.Errorf("%g Hz: detector 400 Hz away sees ratio %g", f, r)
		}
	}
}

func BenchmarkFIR32(b *testing.B) {
	f := NewFIR(RootRaisedCosine(0.5, 4, 8)[:32])
	in := make([]float32, 160)
	out := make([]float32, 160)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		f.Process(out, in)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(in)), "ns/sample")
}

func BenchmarkGoertzel(b *testing.B) {
	g := NewGoertzel(1100, 160)
	in := make([]float32, 160)
	for i := range in {
		in[i] = float32(math.Sin(float64(i)))
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, x := range in {
			g.Update(x)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(in)), "ns/sample")
}
