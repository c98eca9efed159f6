package v27ter

import (
	"fmt"
	"math"

	"github.com/faxd/faxd/dsp"
)

// Pulse shaping: a root-raised-cosine with 50% roll-off (V.27ter §2.2
// specifies a raised-cosine spectrum with 50% roll-off, shared between
// transmitter and receiver) spanning txSpan symbols.
const (
	rolloff = 0.5
	txSpan  = 8
)

// timing describes a rate's symbol clock against the 8000 Hz sample clock
// on a "fine" grid: a symbol lasts fine units, a sample step units.
type timing struct {
	baud int
	fine int // fine units per symbol
	step int // fine units per sample
	bits int // bits per symbol
}

var timings = map[int]timing{
	4800: {baud: 1600, fine: 5, step: 1, bits: 3},  // 5 samples per symbol
	2400: {baud: 1200, fine: 20, step: 3, bits: 2}, // 20/3 samples per symbol
}

// txStage is where the transmitter is in its sequence.
type txStage int

const (
	txSilence txStage = iota
	txReversals
	txConditioning
	txOnes
	txData
	txShutdown
	txFlush
	txDone
)

// A Transmitter modulates data bits into V.27ter line audio.
type Transmitter struct {
	rate   int
	tm     timing
	src    dsp.BitSource
	status dsp.StatusHandler
	level  float64

	taps  [][txSpan]float32 // per fine phase, pre-scaled
	symRe [2 * txSpan]float32
	symIm [2 * txSpan]float32
	pos   int // ring position of the newest symbol
	phase int // fine units since the newest symbol began
	nco   dsp.NCO

	stage txStage
	count int // symbols sent in the current stage
	state uint8
	scr   scrambler
}

// NewTransmitter returns a transmitter at rate bit/s (4800 or 2400) that
// takes its data from src.
func NewTransmitter(rate int, src dsp.BitSource) (*Transmitter, error) {
	tm, ok := timings[rate]
	if !ok {
		return nil, fmt.Errorf("%w: %d", ErrRate, rate)
	}
	t := &Transmitter{rate: rate, tm: tm, src: src, level: -13}
	t.taps = make([][txSpan]float32, tm.fine)
	t.SetLevel(t.level)
	t.Reset()
	return t, nil
}

// SetLevel sets the transmit level in dBm0 (default -13).
func (t *Transmitter) SetLevel(dBm0 float64) {
	t.level = dBm0
	h := dsp.RootRaisedCosine(rolloff, float64(t.tm.fine), txSpan)
	// Mean power per sample of the shaped, modulated signal for symbols of
	// mean square 2 (the constellation's): half of 2·Σ taps² per phase,
	// averaged over the phases the sample clock visits (all of them).
	var sum float64
	for ph := 0; ph < t.tm.fine; ph++ {
		for j := 0; j < txSpan; j++ {
			if k := ph + t.tm.fine*j; k < len(h) {
				sum += float64(h[k]) * float64(h[k])
			}
		}
	}
	meanPower := sum / float64(t.tm.fine) // × E|a|²=2 × ½ for the carrier
	scale := dsp.RMSFromDBm0(dBm0) / math.Sqrt(meanPower)
	for ph := 0; ph < t.tm.fine; ph++ {
		for j := 0; j < txSpan; j++ {
			k := ph + t.tm.fine*j
			v := 0.0
			if k < len(h) {
				v = float64(h[k]) * scale
			}
			t.taps[ph][j] = float32(v)
		}
	}
}

// SetStatusHandler sets the handler told of dsp.StatusEndOfData and
// dsp.StatusShutdownComplete.
func (t *Transmitter) SetStatusHandler(h dsp.StatusHandler) { t.status = h }

// Reset starts a new transmission from the training sequence.
func (t *Transmitter) Reset() {
	clear(t.symRe[:])
	clear(t.symIm[:])
	t.pos, t.phase = 0, 0
	t.nco = dsp.NCO{}
	t.nco.SetFrequency(carrierHz)
	t.stage, t.count, t.state = txSilence, 0, 0
	t.scr = scrambler{reg: scramblerSeed}
}

// Process fills out with line audio and returns how many samples it wrote;
// fewer than len(out) once the transmission is over.
func (t *Transmitter) Process(out []int16) int {
	fine, step := t.tm.fine, t.tm.step
	for i := range out {
		if t.stage == txDone {
			return i
		}
		t.phase += step
		if t.phase >= fine {
			t.phase -= fine
			t.nextSymbol()
			if t.stage == txDone {
				return i
			}
		}
		taps := &t.taps[t.phase]
		re := t.symRe[t.pos : t.pos+txSpan]
		im := t.symIm[t.pos : t.pos+txSpan]
		var xr, xi float32
		for j := 0; j < txSpan; j++ {
			xr += taps[j] * re[j]
			xi += taps[j] * im[j]
		}
		c, s := t.nco.Next()
		out[i] = dsp.SaturateInt16(xr*c - xi*s)
	}
	return len(out)
}

// pushSymbol makes z the newest symbol; the ring holds the newest first.
func (t *Transmitter) pushSymbol(z complex64) {
	t.pos--
	if t.pos < 0 {
		t.pos = txSpan - 1
	}
	t.symRe[t.pos], t.symRe[t.pos+txSpan] = real(z), real(z)
	t.symIm[t.pos], t.symIm[t.pos+txSpan] = imag(z), imag(z)
}

// nextSymbol works out the next symbol of the sequence and pushes it.
func (t *Transmitter) nextSymbol() {
	t.count++
	switch t.stage {
	case txSilence:
		t.pushSymbol(0)
		if t.count == segSilence {
			t.stage, t.count = txReversals, 0
		}
		return
	case txReversals:
		t.state = (t.state + 4) & 7
		if t.count == segReversals {
			t.stage, t.count = txConditioning, 0
		}
	case txConditioning:
		// One reversal or none, keyed by every third scrambled one.
		b := t.scr.scramble(1)
		t.scr.scramble(1)
		t.scr.scramble(1)
		t.state = (t.state + 4*uint8(b)) & 7
		if t.count == segTraining {
			t.stage, t.count = txOnes, 0
		}
	case txOnes:
		t.state = (t.state + t.dataStep(true)) & 7
		if t.count == segOnes {
			t.stage, t.count = txData, 0
		}
	case txData:
		t.state = (t.state + t.dataStep(false)) & 7
	case txShutdown:
		t.state = (t.state + t.dataStep(true)) & 7
		if t.count == shutdownOnes {
			t.stage, t.count = txFlush, 0
		}
	case txFlush:
		// Let the pulse shaper's tail die away, then stop.
		t.pushSymbol(0)
		if t.count == txSpan {
			t.stage = txDone
			if t.status != nil {
				t.status(dsp.StatusShutdownComplete)
			}
		}
		return
	}
	t.pushSymbol(constellation[t.state])
}

// dataStep takes one symbol's bits (ones when ones is set, else from the
// source), scrambles them and returns the phase change. When the source
// runs dry the rest of the symbol is ones and the shutdown begins.
func (t *Transmitter) dataStep(ones bool) uint8 {
	v := 0
	for k := 0; k < t.tm.bits; k++ {
		b := 1
		if !ones {
			if b = t.src.GetBit(); b == dsp.EndOfData {
				ones = true
				b = 1
				t.stage, t.count = txShutdown, 0
				if t.status != nil {
					t.status(dsp.StatusEndOfData)
				}
			}
		}
		v = v<<1 | t.scr.scramble(b&1)
	}
	if t.tm.bits == 3 {
		return stepFor4800[v]
	}
	return stepFor2400[v]
}
