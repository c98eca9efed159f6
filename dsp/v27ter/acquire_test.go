package v27ter

import (
	"testing"

	"github.com/faxd/faxd/dsp/line"
)

// TestTrainsEveryTime: training must not depend on luck. Over many noise
// seeds and start times, every transmission trains and decodes cleanly.
// (An acquisition that restarted on each step of the level meter's rise,
// or a timing integrator that wandered on early noisy errors, once lost
// about one transmission in twenty here.)
func TestTrainsEveryTime(t *testing.T) {
	for _, rate := range []int{4800, 2400} {
		fails := 0
		for seed := int64(0); seed < 24; seed++ {
			bits := randomBits(rate/2, uint64(seed))
			sig := append(make([]int16, 3200+int(seed)*7), modulate(t, rate, bits, -20)...)
			cfg := line.Config{FreqOffsetHz: -7, ClockOffsetPPM: -100, Law: line.ULaw, NoiseDBm0: -50, Seed: seed}
			res := demodulate(t, rate, line.Apply(cfg, sig))
			if e := bitErrors(bits, res.bits); e != 0 || !res.trained {
				fails++
				t.Logf("%d bit/s, seed %d: %d errors, statuses %v", rate, seed, e, res.statuses)
			}
		}
		if fails > 0 {
			t.Errorf("%d bit/s: %d of 24 transmissions lost", rate, fails)
		}
	}
}
