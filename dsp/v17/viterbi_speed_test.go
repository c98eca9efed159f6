package v17

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"testing"
)

// goldenPoints returns n received points for rate: trellis-coded symbols
// in Gaussian noise of several strengths (down to far below any useful
// signal to noise ratio), uniform points over and beyond the grid, points
// on the integer and half-integer lattice (where metrics tie), and not-a-
// number, infinite and huge values sprinkled through.
func goldenPoints(rate, n int) []complex64 {
	rng := rand.New(rand.NewPCG(uint64(rate), 17))
	e, _ := NewEncoder(rate)
	e.Reset(1)
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	special := []float32{nan, inf, -inf, 1e30, -1e30, 1e9, -1e9, 0, -0.0,
		11, -11, 22, -22, 10.999999, -11.000001, 21.5, -21.5, 1e-30, math.MaxFloat32}
	sigmas := []float64{0, 0.1, 0.3, 0.6, 1, 1.5, 2.5, 4, 8}
	z := make([]complex64, n)
	for i := range z {
		seg := i / 500
		var p complex64
		switch mode := seg % 12; {
		case mode < len(sigmas):
			s := sigmas[mode] / math.Sqrt2
			p = e.Encode(uint8(rng.IntN(64))) +
				complex(float32(rng.NormFloat64()*s), float32(rng.NormFloat64()*s))
		case mode == 9:
			p = complex(float32(rng.Float64()*40-20), float32(rng.Float64()*40-20))
		case mode == 10:
			// The lattice of halves: ties between elements and cell edges.
			p = complex(float32(rng.IntN(49)-24)/2, float32(rng.IntN(49)-24)/2)
		default:
			p = e.Encode(uint8(rng.IntN(64))) +
				complex(float32(rng.Float64()*2-1), float32(rng.Float64()*2-1))
		}
		if rng.IntN(40) == 0 {
			if rng.IntN(2) == 0 {
				p = complex(special[rng.IntN(len(special))], imag(p))
			} else {
				p = complex(real(p), special[rng.IntN(len(special))])
			}
		}
		z[i] = p
	}
	return z
}

// goldenHash runs a decoder over goldenPoints and hashes every output:
// bits, ok and the tentative decision, with a Reset and SetDiff on the way.
func goldenHash(t testing.TB, rate int) uint64 {
	v, err := NewViterbi(rate)
	if err != nil {
		t.Fatal(err)
	}
	h := fnv.New64a()
	var buf [10]byte
	for i, z := range goldenPoints(rate, 20000) {
		switch i {
		case 7000:
			v.Reset()
		case 13000:
			v.SetDiff(0)
			v.Reset()
		case 16000:
			v.SetDiff(3)
		}
		bits, ok := v.Decode(z)
		tn := v.Tentative()
		buf[0] = bits
		buf[1] = 0
		if ok {
			buf[1] = 1
		}
		r, q := math.Float32bits(real(tn)), math.Float32bits(imag(tn))
		buf[2], buf[3], buf[4], buf[5] = byte(r), byte(r>>8), byte(r>>16), byte(r>>24)
		buf[6], buf[7], buf[8], buf[9] = byte(q), byte(q>>8), byte(q>>16), byte(q>>24)
		h.Write(buf[:])
	}
	return h.Sum64()
}

// TestViterbiGolden pins the decoder's every output, measured with the
// straightforward decoder before it was tuned for speed: any change of a
// decision, tie-break or tentative element shows here.
func TestViterbiGolden(t *testing.T) {
	want := map[int]uint64{
		14400: 0x49c782229cbe0d4,
		12000: 0x54887abe68f5cec,
		9600:  0x9d5011a74c5b833f,
		7200:  0x72b159cf3a536670,
	}
	for _, rate := range rates {
		if got := goldenHash(t, rate); got != want[rate] {
			t.Errorf("%d: hash %#x, want %#x", rate, got, want[rate])
		}
	}
}

// BenchmarkViterbiDecode feeds noisy points (signal to noise ratios from
// clean to hopeless) to the decoder at each rate.
func BenchmarkViterbiDecode(b *testing.B) {
	for _, rate := range rates {
		b.Run(fmt.Sprint(rate), func(b *testing.B) {
			z := goldenPoints(rate, 4096)
			v, _ := NewViterbi(rate)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				v.Decode(z[i&4095])
				v.Tentative()
				i++
			}
		})
	}
}

// TestViterbiDecodeAllocs: no rate allocates per symbol, whatever the point.
func TestViterbiDecodeAllocs(t *testing.T) {
	for _, rate := range rates {
		v, _ := NewViterbi(rate)
		z := goldenPoints(rate, 1024)
		i := 0
		if a := testing.AllocsPerRun(2000, func() { v.Decode(z[i&1023]); i++ }); a != 0 {
			t.Errorf("%d: Decode allocates %.1f times per symbol", rate, a)
		}
	}
}

// TestViterbiVector holds the vector decoder (viterbi_amd64.s) and the
// plain Go one to the same outputs and the same state, bit for bit, after
// every point of goldenPoints at every rate, and both to the golden
// hashes.
func TestViterbiVector(t *testing.T) {
	if !vectorOK {
		t.Skip("no vector decoder here")
	}
	defer func(u bool) { useVector = u }(useVector)
	for _, rate := range rates {
		useVector = false
		plain := goldenHash(t, rate)
		useVector = true
		if vec := goldenHash(t, rate); vec != plain {
			t.Errorf("%d: vector hash %#x, plain %#x", rate, vec, plain)
		}

		useVector = false
		g, _ := NewViterbi(rate)
		useVector = true
		v, _ := NewViterbi(rate)
		for i, z := range goldenPoints(rate, 6000) {
			useVector = false
			gb, gok := g.Decode(z)
			useVector = true
			vb, vok := v.Decode(z)
			if gb != vb || gok != vok || g.near != v.near || g.metric != v.metric {
				t.Fatalf("%d: point %d (%v): vector %d %v near %d metrics %v, plain %d %v near %d metrics %v",
					rate, i, z, vb, vok, v.near, v.metric, gb, gok, g.near, g.metric)
			}
			if g.elems != v.elems {
				t.Fatalf("%d: point %d (%v): nearest elements differ", rate, i, z)
			}
			gp := &g.paths[g.n&1]
			for s := range 8 {
				if gp[s] != v.paths[0][vecSlot[s]] {
					t.Fatalf("%d: point %d (%v): state %d's history %#x, plain %#x", rate, i, z, s, v.paths[0][vecSlot[s]], gp[s])
				}
			}
		}
	}
}
