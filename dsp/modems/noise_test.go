package modems

import (
	"testing"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/line"
)

// TestNoTrainingOnNoise: two minutes of noise at -40 dBm0, over the
// carrier-on level, make no receiver report a training, failed or not.
// (Noise turns a symbol by more than a quarter turn half the time: the
// V.27ter receiver took sixteen such turns in a row for its reversals,
// V.29's sixteen symbols in a row each within a quarter turn of the one
// two before for its alternation, and each then failed
// the training for the implausible carrier offset it measured, 4 and 6
// times in these two minutes.)
func TestNoTrainingOnNoise(t *testing.T) {
	noise := line.Apply(line.Config{NoiseDBm0: -40, Seed: 3}, make([]int16, 120*dsp.SampleRate))
	for _, m := range All {
		if !m.Trained {
			continue
		}
		rate := m.Rates[0]
		var got sessions
		rx, err := m.NewReceiver(rate, 2, &got)
		if err != nil {
			t.Fatal(err)
		}
		rx.SetStatusHandler(func(s dsp.Status) {
			got.status(s)
			if s == dsp.StatusTrainingFailed {
				rx.Reset() // listen again, not parked
			}
		})
		for i := 0; i < len(noise); i += 160 {
			rx.Process(noise[i : i+160])
		}
		if got.failed != 0 || len(got.bits) != 0 {
			t.Errorf("%s %d: %d trainings on noise, %d failed", m.Title, rate, len(got.bits), got.failed)
		}
	}
}
