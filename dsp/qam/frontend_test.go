package qam

import (
	"math"
	"testing"
)

func TestPhaseErrorAccuracy(t *testing.T) {
	worst := 0.0
	for i := -100000; i <= 100000; i++ {
		a := float64(i) / 100000 * math.Pi
		im, re := math.Sin(a)*3.7, math.Cos(a)*3.7
		d := math.Abs(phaseError(im, re) - math.Atan2(im, re))
		worst = math.Max(worst, d)
	}
	if worst > 2e-5 {
		t.Errorf("worst error %g rad", worst)
	}
}
