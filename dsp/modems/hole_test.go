package modems

import (
	"fmt"
	"testing"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/qam"
)

// bitClock records, for a transmission, how many data bits the
// transmitter had taken by each sample: the line time of every bit.
type bitClock struct {
	src   countSource
	taken int
	bits  []int // the bits, as sent
	at    []int // at[k]: the sample being made when bit k was taken
	now   int
}

func (c *bitClock) GetBit() int {
	b := c.src.GetBit()
	if b != dsp.EndOfData {
		c.bits = append(c.bits, b)
		c.at = append(c.at, c.now)
	}
	return b
}

// sendClocked runs tx to its end a few samples at a time, so that each
// bit's time is known to within a few samples.
func sendClocked(t *testing.T, tx Transmitter, c *bitClock) []int16 {
	t.Helper()
	var out []int16
	buf := make([]int16, 8)
	for len(out) < 60*dsp.SampleRate {
		c.now = len(out)
		n := tx.Process(buf)
		out = append(out, buf[:n]...)
		if n < len(buf) {
			return out
		}
	}
	t.Fatal("the transmission does not end")
	return nil
}

// holeRun is what a receiver made of a transmission with a hole in it.
type holeRun struct {
	downs, ups, trained int
	downAt              int // the sample at which the carrier went down
	errs                int // bit errors among the bits sent
	firstErr, lastErr   int // their line times (samples), -1 if none
	got                 int // bits delivered
}

// receiveWithHole clears sig[at:at+n] (a lost packet: digital silence) and
// runs the receiver over it and 200 ms of silence after, a block at a time.
func receiveWithHole(t *testing.T, m *Modem, rate int, sig []int16, c *bitClock, at, n int) holeRun {
	t.Helper()
	sig = append([]int16(nil), sig...)
	clear(sig[at : at+n])
	sig = append(sig, make([]int16, 1600)...)
	var got []int
	run := holeRun{downAt: -1, firstErr: -1, lastErr: -1}
	rx, err := m.NewReceiver(rate, 2, dsp.BitSinkFunc(func(b int) { got = append(got, b) }))
	if err != nil {
		t.Fatal(err)
	}
	pos := 0
	rx.SetStatusHandler(func(s dsp.Status) {
		switch s {
		case dsp.StatusCarrierDown:
			run.downs++
			run.downAt = pos
		case dsp.StatusCarrierUp:
			run.ups++
		case dsp.StatusTrainingSucceeded:
			run.trained++
		}
	})
	// Blocks of 4 samples: pos, the block's end, times the events
	// closely enough.
	for pos < len(sig) {
		k := min(4, len(sig)-pos)
		pos += k
		rx.Process(sig[pos-k : pos])
	}
	run.got = len(got)
	for k, b := range c.bits {
		if k >= len(got) || got[k] != b {
			run.errs++
			if run.firstErr < 0 {
				run.firstErr = c.at[k]
			}
			run.lastErr = c.at[k]
		}
	}
	return run
}

// TestHole: a hole of silence of 5 to 30 ms in the middle of the data (a
// lost RTP packet, a late block) does not end the carrier of any fast
// modem at any rate: one training, one carrier up and one carrier down,
// at the real end; the bits in error all lie around the hole, and the
// receiver goes on without retraining once the signal is back. The real
// end of the carrier is still reported within the hang-over of the
// signal's last sample.
func TestHole(t *testing.T) {
	const (
		seconds = 2
		// Errors may start this long before the hole (the bits whose
		// symbols the filters were still holding) and end this long
		// after it (the filters, the equaliser's delay line, V.17's
		// Viterbi traceback and the descrambler's 23 bits).
		before = 10 * dsp.SampleRate / 1000
		after  = 40 * dsp.SampleRate / 1000
	)
	for _, m := range All {
		if !m.Trained {
			continue
		}
		for _, rate := range m.Rates {
			c := &bitClock{src: countSource{n: uint32(rate * seconds), x: uint32(rate)}}
			tx, err := m.NewTransmitter(rate, 2, c)
			if err != nil {
				t.Fatal(err)
			}
			tx.SetLevel(-13)
			sig := sendClocked(t, tx, c)
			end := len(sig)
			for end > 0 && sig[end-1] == 0 {
				end--
			}
			// The hole a second into the data (mid-page), at a few
			// phases against the symbol clock and the blocks.
			start := c.at[len(c.at)/2]
			for _, ms := range []int{0, 5, 10, 20, 30} {
				for _, shift := range []int{0, 3, 77} {
					n := ms * dsp.SampleRate / 1000
					at := start + shift
					name := fmt.Sprintf("%s %d, %d ms at %d", m.Name, rate, ms, at)
					r := receiveWithHole(t, &m, rate, sig, c, at, n)
					if r.trained != 1 || r.ups != 1 || r.downs != 1 {
						t.Errorf("%s: %d trainings, %d carriers up, %d down; want one of each", name, r.trained, r.ups, r.downs)
						continue
					}
					if r.got < len(c.bits) {
						t.Errorf("%s: %d bits delivered of %d", name, r.got, len(c.bits))
					}
					if r.downAt < end {
						t.Errorf("%s: carrier down at %d, before the signal's end at %d", name, r.downAt, end)
					}
					// The meter's fall (under 14 ms from -13 dBm0) and
					// the hang-over, and the block that reports it.
					if late := r.downAt - end; late > 14*dsp.SampleRate/1000+qam.HangOver {
						t.Errorf("%s: carrier down %.1f ms after the signal ended", name, float64(late)/8)
					}
					if ms == 0 {
						if r.errs != 0 {
							t.Errorf("%s: %d bit errors without a hole", name, r.errs)
						}
						continue
					}
					if r.errs > 0 && (r.firstErr < at-before || r.lastErr > at+n+after) {
						t.Errorf("%s: %d bit errors from %+.1f to %+.1f ms of the hole's start, want within -%d and %d+%d ms",
							name, r.errs, float64(r.firstErr-at)/8, float64(r.lastErr-at)/8, before/8, ms, after/8)
					}
					t.Logf("%s: %d bit errors from %+.1f to %+.1f ms, carrier down %.1f ms after the end",
						name, r.errs, float64(r.firstErr-at)/8, float64(r.lastErr-at)/8, float64(r.downAt-end)/8)
				}
			}
		}
	}
}
