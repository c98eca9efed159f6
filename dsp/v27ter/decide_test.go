package v27ter

import (
	"math"
	"math/rand/v2"
	"testing"
)

// decideByAngle is the decision by the angle of zr, the plain way.
func decideByAngle(bits int, zr complex64) uint8 {
	a := math.Atan2(float64(imag(zr)), float64(real(zr)))
	if bits == 3 {
		return uint8(int(math.Round(a/(math.Pi/4)))&7) & 7
	}
	return uint8(2*(int(math.Round(a/(math.Pi/2)))&3)) & 7
}

// TestDecide checks the decision without angles against the one by the
// angle, on random points and on points near the boundaries.
func TestDecide(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, rate := range []int{4800, 2400} {
		r, err := NewReceiver(rate, nil)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < 200000; n++ {
			mag := rng.Float64() * 3
			a := rng.Float64() * 2 * math.Pi
			if n%2 == 1 {
				// Within a millionth of a radian of a boundary.
				a = (float64(rng.IntN(16))+0.5)*math.Pi/8 + (rng.Float64()-0.5)*2e-6
			}
			z := complex(float32(mag*math.Cos(a)), float32(mag*math.Sin(a)))
			if got, want := r.decide(z), decideByAngle(r.tm.bits, z); got != want {
				t.Fatalf("%d bit/s: decide(%v) = %d, by angle %d", rate, z, got, want)
			}
		}
	}
}
