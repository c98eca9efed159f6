package qam

import (
	"math"
	"testing"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/line"
)

// TestLinkRestartsAfterDip: a signal acquisition started on ends, noise
// between the carrier's on and off levels (-46 dBm0: at -47 the level
// meter dips under the off level now and then, and the carrier drops in
// some gaps and not in others) keeps the carrier up, and another signal
// at the same level begins: acquisition starts again on it, whether still
// acquiring or parked after a failed training. (The rise was judged
// against the level acquisition started on, so the second signal went on
// being taken for the first.)
func TestLinkRestartsAfterDip(t *testing.T) {
	tone := func(hz, dBm0 float64, n int) []int16 {
		amp := dsp.PeakFromDBm0(dBm0)
		out := make([]int16, n)
		for i := range out {
			out[i] = int16(amp * math.Sin(2*math.Pi*hz*float64(i)/dsp.SampleRate))
		}
		return out
	}
	var sig []int16
	sig = append(sig, tone(1650, -14, 240)...) // a V.21 frame's last 30 ms
	sig = append(sig, make([]int16, 600)...)   // 75 ms to the next signal
	start := len(sig)
	sig = append(sig, tone(1800, -14, 800)...)
	sig = line.Apply(line.Config{NoiseDBm0: -45.5, Seed: 1}, sig)
	for _, park := range []bool{false, true} {
		var l Link
		fe := New(Config{CarrierHz: 1800, Baud: 2400, Rolloff: 0.25, SymbolPower: 40, EqLen: 8})
		var restarts []int
		pos := 0
		l.Init(fe, 16, func() { restarts = append(restarts, pos) }, func(complex64) { l.Count++ })
		l.Reset()
		restarts = restarts[:0]
		for pos = range sig {
			l.Process(sig[pos : pos+1])
			if park && pos == 200 {
				l.Fail()
			}
		}
		if l.Stage != Acquire || len(restarts) < 2 || restarts[len(restarts)-1] < start || restarts[len(restarts)-1] > start+40 {
			t.Errorf("parked %v: stage %v, acquisition (re)started at samples %v; the second signal starts at %d", park, l.Stage, restarts, start)
		}
	}
}
