package v29

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDecide checks the quarter-turn decision against a search of the
// whole alphabet, on random points and on points near the decision
// boundaries and the sector edges.
func TestDecide(t *testing.T) {
	alphabets := map[int][]uint8{
		9600: {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
		7200: {0, 1, 2, 3, 4, 5, 6, 7},
		4800: {0, 2, 4, 6},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for rate, alphabet := range alphabets {
		r, err := NewReceiver(rate, nil)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < 200000; n++ {
			var z complex64
			if n%2 == 0 {
				z = complex(float32(rng.Float64()*14-7), float32(rng.Float64()*14-7))
			} else {
				// Close to a sector edge (|re| = |im|) or an axis.
				a := float32(rng.Float64()*14 - 7)
				d := float32(rng.NormFloat64() * 1e-3)
				switch n % 8 {
				case 1:
					z = complex(a, a+d)
				case 3:
					z = complex(a, -a+d)
				case 5:
					z = complex(a, d)
				default:
					z = complex(d, a)
				}
			}
			want, wantD := uint8(0), float32(math.MaxFloat32)
			for _, k := range alphabet {
				d := z - points[k]
				if e := dist2(d); e < wantD {
					want, wantD = k, e
				}
			}
			got := r.decide(z)
			d := z - points[got]
			if e := dist2(d); got != want && e != wantD {
				t.Fatalf("%d bit/s: decide(%v) = %d, nearest is %d", rate, z, got, want)
			}
		}
	}
}

// dist2 returns |d|², each square rounded on its own (the conversions stop
// the compiler fusing one into the sum under GOAMD64=v3), so that a point
// on a decision boundary is found equally far from its two neighbours.
func dist2(d complex64) float32 {
	return float32(real(d)*real(d)) + float32(imag(d)*imag(d))
}
