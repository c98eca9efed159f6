package v21

import (
	"fmt"
	"math"
	"sync"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/prefetch"
)

// A Transmitter makes V.21 audio from a bit source: one bit per 1/300 s, as
// the channel's mark (1) or space (0) frequency (V.21 §2), phase continuous.
// Bit boundaries fall every 26⅔ samples; the frequency switches at the exact
// fractional boundary, so the signal's phase is continuous and its timing
// exact. There is no training and no shutdown: the first sample already
// carries the first bit, and when the source returns [dsp.EndOfData] the
// transmitter reports [dsp.StatusEndOfData] and [dsp.StatusShutdownComplete]
// and sends nothing more.
type Transmitter struct {
	ch       Channel
	src      dsp.BitSource
	status   dsp.StatusHandler
	steps    [2]uint32 // phase steps per sample for 0 (space) and 1 (mark)
	level    float64
	sine     *[sineSize]int16 // one cycle at the transmit level (shared: see sineAt)
	phase    uint32           // carrier phase, 2^32 per cycle
	step     uint32           // phase step of the bit being sent
	acc      int              // time into the current bit, in 1/BitRate samples (0..SampleRate-1)
	started  bool             // the first bit has been fetched
	shutdown bool
}

// The transmitter reads its sine from a table of sineSize entries scaled to
// the level: the phase truncation leaves spurs under -65 dBc.
const (
	sineBits = 12
	sineSize = 1 << sineBits
)

// NewTransmitter returns a transmitter for channel ch that sends the bits of
// src at [DefaultLevel]. A nil src sends nothing.
func NewTransmitter(ch Channel, src dsp.BitSource) (*Transmitter, error) {
	mark, space, err := ch.Frequencies()
	if err != nil {
		return nil, err
	}
	t := &Transmitter{ch: ch, src: src}
	t.steps[0] = dsp.PhaseStep(space)
	t.steps[1] = dsp.PhaseStep(mark)
	t.SetLevel(DefaultLevel)
	t.Reset()
	return t, nil
}

// Channel returns the transmitter's channel.
func (t *Transmitter) Channel() Channel { return t.ch }

// SetLevel sets the transmit level in dBm0 (default [DefaultLevel]). Levels
// above +3 dBm0 clip.
func (t *Transmitter) SetLevel(dBm0 float64) {
	if t.sine != nil && dBm0 == t.level {
		return
	}
	t.level = dBm0
	t.sine = sineAt(dBm0)
}

// Sine tables by level, shared by every transmitter at that level: a
// server keeps one 8 KB table in cache, not one per channel, and a
// transmitter at a level seen before makes none.
var sines struct {
	sync.Mutex
	m map[float64]*[sineSize]int16
}

// maxSines bounds the shared tables; past it a transmitter makes its own.
const maxSines = 64

// sineAt returns a cycle at dBm0, shared.
func sineAt(dBm0 float64) *[sineSize]int16 {
	sines.Lock()
	defer sines.Unlock()
	if s := sines.m[dBm0]; s != nil {
		return s
	}
	s := new([sineSize]int16)
	amp := dsp.PeakFromDBm0(dBm0)
	for i := range s {
		// Sample each entry at the middle of its phase interval, so the
		// truncated phase is unbiased.
		v := amp * math.Sin(2*math.Pi*(float64(i)+0.5)/sineSize)
		s[i] = dsp.SaturateInt16(float32(math.Round(v)))
	}
	if len(sines.m) < maxSines {
		if sines.m == nil {
			sines.m = map[float64]*[sineSize]int16{}
		}
		sines.m[dBm0] = s
	}
	return s
}

// Level returns the transmit level in dBm0.
func (t *Transmitter) Level() float64 { return t.level }

// SetStatusHandler sets the function told of [dsp.StatusEndOfData] and
// [dsp.StatusShutdownComplete]; nil for none.
func (t *Transmitter) SetStatusHandler(h dsp.StatusHandler) { t.status = h }

// Reset starts a new transmission: the next Process fetches a first bit.
func (t *Transmitter) Reset() {
	t.phase, t.acc, t.started, t.shutdown = 0, 0, false, false
	t.step = t.steps[1]
}

// SetSource makes src the source of the next transmission's bits and
// restarts the transmission, as Reset (the level and the status handler
// are kept): a terminal keeps one transmitter for every transmission of
// its calls instead of making one each time. A nil src sends nothing.
func (t *Transmitter) SetSource(src dsp.BitSource) {
	t.src = src
	t.Reset()
}

// String describes the transmitter.
func (t *Transmitter) String() string {
	return fmt.Sprintf("%v transmitter at %.1f dBm0", t.ch, t.level)
}

// nextBit fetches a bit; ok is false at the end of the data.
func (t *Transmitter) nextBit() (step uint32, ok bool) {
	bit := dsp.EndOfData
	if t.src != nil {
		bit = t.src.GetBit()
	}
	if bit == dsp.EndOfData {
		t.shutdown = true
		if t.status != nil {
			t.status(dsp.StatusEndOfData)
			t.status(dsp.StatusShutdownComplete)
		}
		return 0, false
	}
	return t.steps[bit&1], true
}

// Process fills out with audio and returns how many samples it wrote: fewer
// than len(out) once the source has ended (the last bit is sent whole), and
// 0 after that.
func (t *Transmitter) Process(out []int16) int {
	if t.shutdown {
		return 0
	}
	if !t.started {
		s, ok := t.nextBit()
		if !ok {
			return 0
		}
		t.step, t.started = s, true
	}
	phase, step, acc := t.phase, t.step, t.acc
	sine := t.sine
	for i := range out {
		out[i] = sine[phase>>(32-sineBits)]
		acc += BitRate
		if acc < dsp.SampleRate {
			phase += step
			continue
		}
		// A bit boundary falls inside this sample interval, (SampleRate-acc
		// before the increment)/BitRate of the way along: advance the phase
		// by the old frequency up to the boundary and the new one after it.
		acc -= dsp.SampleRate
		next, ok := t.nextBit()
		if !ok {
			t.phase, t.acc = phase, acc
			return i + 1
		}
		before := uint64(BitRate - acc)
		phase += uint32((uint64(step)*before + uint64(next)*uint64(acc)) / BitRate)
		step = next
	}
	t.phase, t.step, t.acc = phase, step, acc
	return len(out)
}

// Prefetch asks the CPU to fetch the transmitter's state into its caches
// ahead of the next Process: a server calls it for the next channel while
// it runs this one (see package dsp/prefetch).
func (t *Transmitter) Prefetch() { prefetch.Object(t) }
