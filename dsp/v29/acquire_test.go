package v29

import (
	"testing"

	"github.com/faxd/faxd/dsp/line"
)

// TestTrainsEveryTime: training must not depend on luck. Over many noise
// seeds and start times, every transmission trains and decodes cleanly.
func TestTrainsEveryTime(t *testing.T) {
	for _, rate := range []int{9600, 7200, 4800} {
		fails := 0
		for seed := int64(0); seed < 16; seed++ {
			bits := randomBits(seed, rate/2)
			sig := append(make([]int16, 3200+int(seed)*7), modulate(t, rate, bits, -20)...)
			sig = append(sig, make([]int16, 800)...)
			cfg := line.Config{FreqOffsetHz: -7, ClockOffsetPPM: -100, Law: line.ULaw, NoiseDBm0: -50, Seed: seed}
			res := demodulate(t, rate, line.Apply(cfg, sig))
			if e := bitErrors(bits, res.bits); e != 0 || !res.trained {
				fails++
				t.Logf("%d bit/s, seed %d: %d errors, statuses %v", rate, seed, e, res.statuses)
			}
		}
		if fails > 0 {
			t.Errorf("%d bit/s: %d of 16 transmissions lost", rate, fails)
		}
	}
}
