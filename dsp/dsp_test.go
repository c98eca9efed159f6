package dsp

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestG711CodePoints(t *testing.T) {
	// G.711 tables 2a/2b: decoder outputs at these code points (16-bit scale).
	cases := []struct {
		law  string
		code uint8
		want int16
		dec  func(uint8) int16
	}{
		{"mu", 0xFF, 0, ULawToLinear},
		{"mu", 0x7F, 0, ULawToLinear},
		{"mu", 0x80, 32124, ULawToLinear},
		{"mu", 0x00, -32124, ULawToLinear},
		{"mu", 0xFE, 8, ULawToLinear},
		{"A", 0xD5, 8, ALawToLinear},
		{"A", 0x55, -8, ALawToLinear},
		{"A", 0xAA, 32256, ALawToLinear},
		{"A", 0x2A, -32256, ALawToLinear},
	}
	for _, c := range cases {
		if got := c.dec(c.code); got != c.want {
			t.Errorf("%s-law %#02x decodes to %d, want %d", c.law, c.code, got, c.want)
		}
	}
	if LinearToULaw(0) != 0xFF || LinearToALaw(0) != 0xD5 {
		t.Errorf("zero encodes to mu %#02x, A %#02x", LinearToULaw(0), LinearToALaw(0))
	}
	if LinearToULaw(32767) != 0x80 || LinearToULaw(-32768) != 0x00 {
		t.Errorf("full scale encodes to mu %#02x / %#02x", LinearToULaw(32767), LinearToULaw(-32768))
	}
	if LinearToALaw(32767) != 0xAA || LinearToALaw(-32768) != 0x2A {
		t.Errorf("full scale encodes to A %#02x / %#02x", LinearToALaw(32767), LinearToALaw(-32768))
	}
}

func TestG711RoundTripAndMonotonic(t *testing.T) {
	for c := 0; c < 256; c++ {
		u := ULawToLinear(uint8(c))
		if ULawToLinear(LinearToULaw(u)) != u {
			t.Errorf("mu-law code %#02x: %d does not re-encode to itself", c, u)
		}
		a := ALawToLinear(uint8(c))
		if LinearToALaw(a) != uint8(c) {
			t.Errorf("A-law code %#02x: %d re-encodes to %#02x", c, a, LinearToALaw(a))
		}
	}
	// Decoding is monotonic in the input: encoding a rising ramp never steps back.
	prevU, prevA := int16(math.MinInt16), int16(math.MinInt16)
	for x := -32768; x <= 32767; x += 3 {
		u := ULawToLinear(LinearToULaw(int16(x)))
		a := ALawToLinear(LinearToALaw(int16(x)))
		if u < prevU || a < prevA {
			t.Fatalf("not monotonic at %d", x)
		}
		// Quantisation error within half a step of the segment (at most 1/32 of |x| + 16).
		if e := math.Abs(float64(u) - float64(x)); e > math.Abs(float64(x))/32+132 {
			t.Fatalf("mu-law error %g at %d", e, x)
		}
		if e := math.Abs(float64(a) - float64(x)); e > math.Abs(float64(x))/32+16 {
			t.Fatalf("A-law error %g at %d", e, x)
		}
		prevU, prevA = u, a
	}
}

func TestG711SNR(t *testing.T) {
	for _, lv := range []float64{-13, -30} {
		amp := PeakFromDBm0(lv)
		var sp, nu, na float64
		for i := 0; i < 8000; i++ {
			x := amp * math.Sin(2*math.Pi*1013*float64(i)/SampleRate)
			s := SaturateInt16(float32(x))
			sp += float64(s) * float64(s)
			du := float64(ULawToLinear(LinearToULaw(s)) - s)
			da := float64(ALawToLinear(LinearToALaw(s)) - s)
			nu += du * du
			na += da * da
		}
		for law, n := range map[string]float64{"mu": nu, "A": na} {
			if snr := 10 * math.Log10(sp/n); snr < 35 || snr > 41 {
				t.Errorf("%s-law at %g dBm0: SNR %.1f dB, want about 38", law, lv, snr)
			}
		}
	}
}

func TestLevels(t *testing.T) {
	if got := DBm0FromRMS(32767 / math.Sqrt2); math.Abs(got-3.14) > 0.01 {
		t.Errorf("full-scale sine is %.3f dBm0, want +3.14", got)
	}
	for _, d := range []float64{-43, -13, 0, 3} {
		if got := DBm0FromRMS(RMSFromDBm0(d)); math.Abs(got-d) > 1e-9 {
			t.Errorf("RMS round trip %g -> %g", d, got)
		}
		if got := DBm0FromPower(PowerFromDBm0(d)); math.Abs(got-d) > 1e-9 {
			t.Errorf("power round trip %g -> %g", d, got)
		}
	}
	p := NewPowerMeter(64)
	amp := PeakFromDBm0(-20)
	for i := 0; i < 2000; i++ {
		p.Update(float32(amp * math.Sin(2*math.Pi*1000*float64(i)/SampleRate)))
	}
	if got := p.DBm0(); math.Abs(got+20) > 0.3 {
		t.Errorf("power meter reads %.2f dBm0, want -20", got)
	}
}

func TestNCO(t *testing.T) {
	for _, f := range []float64{1, 1100, 1700, 2100, 3999} {
		n := NewNCO(f)
		if math.Abs(n.Frequency()-f) > 1e-5 {
			t.Errorf("frequency %g reads back as %g", f, n.Frequency())
		}
		// Spurs: fit the ideal sine and measure what is left.
		var res, sig float64
		for i := 0; i < 8000; i++ {
			c, s := n.Next()
			ph := 2 * math.Pi * float64(PhaseStep(f)) * float64(i) / (1 << 32)
			dc, ds := float64(c)-math.Cos(ph), float64(s)-math.Sin(ph)
			res += dc*dc + ds*ds
			sig += 1
		}
		if r := 10 * math.Log10(sig/res); r < 90 {
			t.Errorf("%g Hz: oscillator error only %.1f dB down", f, r)
		}
	}
	n := NewNCO(1000)
	n.AdjustFrequency(7)
	if math.Abs(n.Frequency()-1007) > 1e-5 {
		t.Errorf("AdjustFrequency: %g", n.Frequency())
	}
	n.SetPhase(0)
	n.AdjustPhase(math.Pi / 2)
	if c, s := n.Next(); math.Abs(float64(c)) > 1e-6 || math.Abs(float64(s)-1) > 1e-6 {
		t.Errorf("phase π/2 gives cos %g sin %g", c, s)
	}
}

func TestFIRMatchesConvolution(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	h := make([]float32, 37)
	for i := range h {
		h[i] = float32(rng.NormFloat64())
	}
	x := make([]float32, 500)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	f := NewFIR(h)
	y := make([]float32, len(x))
	f.Process(y, x)
	for n := range x {
		var want float64
		for k := range h {
			if n-k >= 0 {
				want += float64(h[k]) * float64(x[n-k])
			}
		}
		if math.Abs(float64(y[n])-want) > 1e-4 {
			t.Fatalf("sample %d: %g, want %g", n, y[n], want)
		}
	}
}

func TestRootRaisedCosineNyquist(t *testing.T) {
	// The RRC pair convolved is a Nyquist pulse: 1 at its centre, ~0 at
	// every other symbol instant.
	for _, c := range []struct {
		beta float64
		sps  int
	}{{0.5, 5}, {0.5, 4}, {0.125, 10}, {0.25, 8}} {
		h := RootRaisedCosine(c.beta, float64(c.sps), 16)
		p := make([]float64, 2*len(h)-1)
		for i := range h {
			for j := range h {
				p[i+j] += float64(h[i]) * float64(h[j])
			}
		}
		mid := len(h) - 1
		if math.Abs(p[mid]-1) > 0.01 {
			t.Errorf("beta %g sps %d: peak %g, want 1", c.beta, c.sps, p[mid])
		}
		for k := c.sps; mid+k < len(p) && k < 8*c.sps; k += c.sps {
			if math.Abs(p[mid+k]) > 0.01 {
				t.Errorf("beta %g sps %d: ISI %g at %d symbols", c.beta, c.sps, p[mid+k], k/c.sps)
			}
		}
	}
	rc := RaisedCosine(0.5, 5, 8)
	mid := len(rc) / 2
	for k := 5; k < mid; k += 5 {
		if math.Abs(float64(rc[mid+k])) > 1e-6 {
			t.Errorf("raised cosine not zero at %d symbols: %g", k/5, rc[mid+k])
		}
	}
}

func TestGoertzel(t *testing.T) {
	g := NewGoertzel(1100, 160)
	amp := 1000.0
	for i := 0; i < 160; i++ {
		g.Update(float32(amp * math.Sin(2*math.Pi*1100*float64(i)/SampleRate)))
	}
	if p := float64(g.Power()); math.Abs(p/(amp*amp/2)-1) > 0.01 {
		t.Errorf("power %g, want %g", p, amp*amp/2)
	}
	if r := g.Ratio(); r < 0.98 {
		t.Errorf("ratio for a pure tone %g", r)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	var sum float32
	for b := 0; b < 100; b++ {
		for i := 0; i < 160; i++ {
			g.Update(float32(1000 * rng.NormFloat64()))
		}
		sum += g.Ratio()
	}
	if m := sum / 100; m > 0.05 {
		t.Errorf("mean ratio on white noise %g", m)
	}
}

func TestScrambler(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, p := range []ScramblerPoly{PolyV27ter, PolyV29} {
		s := Scrambler{Poly: p, Reg: rng.Uint32()}
		d := Descrambler{Poly: p, Reg: rng.Uint32()} // out of step: it syncs itself
		bits := make([]int, 2000)
		line := make([]int, len(bits))
		for i := range bits {
			bits[i] = rng.IntN(2)
			line[i] = s.Scramble(bits[i])
		}
		for i := range bits {
			if got := d.Descramble(line[i]); i >= int(p.B) && got != bits[i] {
				t.Fatalf("poly %v: bit %d wrong after sync", p, i)
			}
		}
		// One line error gives exactly three data errors (1 + x^-A + x^-B).
		line[1000] ^= 1
		d = Descrambler{Poly: p}
		errs := 0
		for i := range bits {
			if got := d.Descramble(line[i]); i >= int(p.B) && got != bits[i] {
				errs++
			}
		}
		if errs != 3 {
			t.Errorf("poly %v: one line error made %d data errors, want 3", p, errs)
		}
	}
	// All ones through the V.29 scrambler from zero is not all ones: it whitens.
	s := Scrambler{Poly: PolyV29}
	ones := 0
	for i := 0; i < 1000; i++ {
		ones += s.Scramble(1)
	}
	if ones < 400 || ones > 600 {
		t.Errorf("scrambled ones: %d of 1000 are ones", ones)
	}
}

func TestDCBlocker(t *testing.T) {
	d := NewDCBlocker(0.995)
	var y float32
	for i := 0; i < 8000; i++ {
		y = d.Filter(1000)
	}
	if math.Abs(float64(y)) > 10 {
		t.Errorf("DC left: %g of 1000", y)
	}
	d.Reset()
	var pin, pout float64
	for i := 0; i < 16000; i++ {
		x := 1000 * math.Sin(2*math.Pi*300*float64(i)/SampleRate)
		o := d.Filter(float32(x))
		if i > 8000 {
			pin += x * x
			pout += float64(o) * float64(o)
		}
	}
	if g := 10 * math.Log10(pout/pin); math.Abs(g) > 0.5 {
		t.Errorf("300 Hz gain %.2f dB", g)
	}
}

func TestAGC(t *testing.T) {
	target := float32(RMSFromDBm0(-10))
	for _, lv := range []float64{-43, -20, -6} {
		a := NewAGC(target, 200)
		amp := PeakFromDBm0(lv)
		var p float64
		for i := 0; i < 8000; i++ {
			y := a.Process(float32(amp * math.Sin(2*math.Pi*1700*float64(i)/SampleRate)))
			if i >= 4000 {
				p += float64(y) * float64(y)
			}
		}
		if got := DBm0FromPower(p / 4000); math.Abs(got+10) > 1 {
			t.Errorf("AGC from %g dBm0 gives %.2f dBm0, want -10", lv, got)
		}
		a.Freeze(true)
		g := a.Gain()
		for i := 0; i < 100; i++ {
			a.Process(30000)
		}
		if a.Gain() != g {
			t.Errorf("frozen AGC moved its gain")
		}
	}
}

func TestNoAllocs(t *testing.T) {
	in := make([]int16, 160)
	fin := make([]float32, 160)
	fout := make([]float32, 160)
	u := make([]uint8, 160)
	f := NewFIR(RootRaisedCosine(0.5, 5, 8))
	n := NewNCO(1800)
	g := NewGoertzel(2100, 80)
	p := NewPowerMeter(100)
	d := NewDCBlocker(0.995)
	a := NewAGC(1000, 100)
	s := Scrambler{Poly: PolyV29}
	allocs := testing.AllocsPerRun(100, func() {
		f.Process(fout, fin)
		for i := range fin {
			n.Next()
			g.Update(fin[i])
			a.Process(fin[i])
			s.Scramble(i & 1)
		}
		p.Process(in)
		d.Process(in, in)
		ULawEncode(u, in)
		ULawDecode(in, u)
		ALawEncode(u, in)
		ALawDecode(in, u)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per block", allocs)
	}
}

func BenchmarkFIR64(b *testing.B) {
	f := NewFIR(RootRaisedCosine(0.5, 8, 8)[:64])
	in := make([]float32, 160)
	out := make([]float32, 160)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		f.Process(out, in)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(in)), "ns/sample")
}

func BenchmarkNCO(b *testing.B) {
	n := NewNCO(1800)
	var acc float32
	for i := 0; i < b.N; i++ {
		c, s := n.Next()
		acc += c + s
	}
	_ = acc
}

func BenchmarkG711(b *testing.B) {
	in := make([]int16, 160)
	for i := range in {
		in[i] = int16(i * 200)
	}
	u := make([]uint8, 160)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ULawEncode(u, in)
		ULawDecode(in, u)
	}
}
