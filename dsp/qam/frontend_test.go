package qam

import (
	"math"
	"testing"
)

func TestPhaseErrorAccuracy(t *testing.T) {
	worst, worstNear := 0.0, 0.0
	for i := -100000; i <= 100000; i++ {
		a := float64(i) / 100000 * math.Pi
		im, re := math.Sin(a)*3.7, math.Cos(a)*3.7
		d := math.Abs(phaseError(im, re) - math.Atan2(im, re))
		worst = math.Max(worst, d)
		if math.Abs(a) < 0.1 {
			worstNear = math.Max(worstNear, d)
		}
	}
	// Coarse far out, where the loop only needs the sign and rough size;
	// fine near lock.
	if worst > 1.2e-3 || worstNear > 1e-7 {
		t.Errorf("worst error %g rad, near lock %g", worst, worstNear)
	}
}

func TestSincos(t *testing.T) {
	worst := 0.0
	for i := -110000; i <= 110000; i++ {
		x := float64(i) / 100000 * math.Pi
		c, s := sincos(x)
		ws, wc := math.Sincos(x)
		worst = math.Max(worst, math.Max(math.Abs(float64(c)-wc), math.Abs(float64(s)-ws)))
	}
	if worst > 1e-6 {
		t.Errorf("worst error %g", worst)
	}
}
