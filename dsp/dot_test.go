package dsp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// dotRef is Dot written plainly: four partial sums over elements 0, 4, 8,
// … (the first also taking the tail), added as (s0+s1)+(s2+s3).
func dotRef(a, b []float32) float32 {
	var s [4]float32
	n := len(a) / 4 * 4
	for i := range n {
		s[i%4] += a[i] * b[i]
	}
	for i := n; i < len(a); i++ {
		s[0] += a[i] * b[i]
	}
	return (s[0] + s[1]) + (s[2] + s[3])
}

func randomFloats(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// TestDot checks Dot and Dot2 against the plain reference over every
// length to 64 (all four tails of the plain Go loop, all eight of the
// vector ones), with b longer than a as the receivers pass it: within
// kernelTol·Σ|terms| (the vector paths may sum in other lanes and fuse, see
// kernels.go), and Dot2 bit for bit as two Dots.
func TestDot(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n <= 64; n++ {
		taps := randomFloats(rng, n)
		a := randomFloats(rng, n+3)
		b := randomFloats(rng, n+5)
		var magA, magB float64
		for i := range n {
			magA += math.Abs(float64(taps[i] * a[i]))
			magB += math.Abs(float64(taps[i] * b[i]))
		}
		wa, wb := dotRef(taps, a), dotRef(taps, b)
		da := Dot(taps, a)
		if !near(da, float64(wa), magA) {
			t.Errorf("n=%d: Dot = %v, want %v (Σ|terms| %v)", n, da, wa, magA)
		}
		db := Dot(taps, b)
		ga, gb := Dot2(taps, a, b)
		if !near(ga, float64(wa), magA) || !near(gb, float64(wb), magB) {
			t.Errorf("n=%d: Dot2 = %v, %v, want %v, %v", n, ga, gb, wa, wb)
		}
		if math.Float32bits(ga) != math.Float32bits(da) || math.Float32bits(gb) != math.Float32bits(db) {
			t.Errorf("n=%d: Dot2 = %v, %v, two Dots %v, %v", n, ga, gb, da, db)
		}
	}
}

func TestDotNoAllocs(t *testing.T) {
	a, b := make([]float32, 28), make([]float32, 28)
	if n := testing.AllocsPerRun(10, func() { Dot(a, b); Dot2(a, a, b) }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

var dotSink float32

func BenchmarkDot(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	taps, x, y := randomFloats(rng, 28), randomFloats(rng, 28), randomFloats(rng, 28)
	b.Run("Dot×2", func(b *testing.B) {
		for range b.N {
			dotSink += Dot(taps, x) + Dot(taps, y)
		}
	})
	b.Run("Dot2", func(b *testing.B) {
		for range b.N {
			p, q := Dot2(taps, x, y)
			dotSink += p + q
		}
	})
}
