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

// carrierPeriod is the carrier's period in samples: 1800/8000 = 9/40, so
// the carrier repeats exactly every 40 samples. That is 8 whole symbols at
// 1600 baud and 6 at 1200, so the shaper's phase is a function of the
// carrier's.
const carrierPeriod = 40

// A Transmitter modulates data bits into V.27ter line audio.
//
// The carrier is folded into the pulse shaper: for each of the 40 carrier
// phases mod holds the taps times the gain times cos and -sin of the
// carrier, so each line sample is one dot product over the symbol history,
// Re{x·e^(jωn)} without a separate mixer.
type Transmitter struct {
	rate   int
	tm     timing
	src    dsp.BitSource
	status dsp.StatusHandler
	level  float64

	// mod[2*txSpan*c:][:2*txSpan] holds, for the output sample at carrier
	// phase c, the taps for the symbols 0 to txSpan-1 back, times the
	// gain, times cos(c) (for the real parts, the first half) and -sin(c)
	// (for the imaginary parts, the second half). A flat array: Go
	// addresses it better than a two-dimensional one.
	mod     [carrierPeriod * 2 * txSpan]float32
	symRe   [2 * txSpan]float32
	symIm   [2 * txSpan]float32
	pos     int // ring position of the newest symbol
	phase   int // fine units since the newest symbol began
	carrier int // carrier phase, 0..39

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
	t.SetLevel(t.level)
	t.Reset()
	return t, nil
}

// SetLevel sets the transmit level in dBm0 (default -13).
func (t *Transmitter) SetLevel(dBm0 float64) {
	t.level = dBm0
	fine, step := t.tm.fine, t.tm.step
	h := dsp.RootRaisedCosine(rolloff, float64(fine), txSpan)
	// Mean power per sample of the shaped, modulated signal for symbols of
	// mean square 2 (the constellation's): half of 2·Σ taps² per phase,
	// averaged over the phases the sample clock visits (all of them).
	var sum float64
	for ph := 0; ph < fine; ph++ {
		for j := 0; j < txSpan; j++ {
			if k := ph + fine*j; k < len(h) {
				sum += float64(h[k]) * float64(h[k])
			}
		}
	}
	meanPower := sum / float64(fine) // × E|a|²=2 × ½ for the carrier
	scale := dsp.RMSFromDBm0(dBm0) / math.Sqrt(meanPower)
	for c := range carrierPeriod {
		// Sample c (from the start) is made after the shaper's phase
		// has advanced step·(c+1) fine units.
		ph := step * (c + 1) % fine
		w := 2 * math.Pi * carrierHz * float64(c) / dsp.SampleRate
		cos, sin := math.Cos(w), math.Sin(w)
		m := t.mod[2*txSpan*c:][:2*txSpan]
		for j := range txSpan {
			v := 0.0
			if k := ph + fine*j; k < len(h) {
				v = float64(h[k]) * scale
			}
			m[j] = float32(v * cos)
			m[txSpan+j] = float32(-v * sin)
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
	t.pos, t.phase, t.carrier = 0, 0, 0
	t.stage, t.count, t.state = txSilence, 0, 0
	t.scr = scrambler{reg: scramblerSeed}
}

// Process fills out with line audio and returns how many samples it wrote;
// fewer than len(out) once the transmission is over.
func (t *Transmitter) Process(out []int16) int {
	if t.stage == txDone {
		return 0
	}
	fine, step := t.tm.fine, t.tm.step
	phase, c := t.phase, t.carrier
	re := (*[txSpan]float32)(t.symRe[t.pos:])
	im := (*[txSpan]float32)(t.symIm[t.pos:])
	for i := range out {
		if phase += step; phase >= fine {
			phase -= fine
			t.nextSymbol()
			if t.stage == txDone {
				t.phase, t.carrier = phase, c
				return i
			}
			re = (*[txSpan]float32)(t.symRe[t.pos:])
			im = (*[txSpan]float32)(t.symIm[t.pos:])
		}
		// The passband sample Re{x·e^(jωn)} of the shaped baseband x,
		// as one dot product, summed as trees to keep the chains short.
		m := (*[2 * txSpan]float32)(t.mod[2*txSpan*c:])
		y := ((m[0]*re[0] + m[1]*re[1]) + (m[2]*re[2] + m[3]*re[3])) +
			((m[4]*re[4] + m[5]*re[5]) + (m[6]*re[6] + m[7]*re[7])) +
			(((m[8]*im[0] + m[9]*im[1]) + (m[10]*im[2] + m[11]*im[3])) +
				((m[12]*im[4] + m[13]*im[5]) + (m[14]*im[6] + m[15]*im[7])))
		// Round and saturate, in integers (Go's float min and max must
		// handle NaN and cost more); int64 keeps any level in range.
		v := int64(y+32768.5) - 32768
		out[i] = int16(min(max(v, -32768), 32767))
		if c++; c == carrierPeriod {
			c = 0
		}
	}
	t.phase, t.carrier = phase, c
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
	case txData:
		t.state = (t.state + t.dataStep(false)) & 7
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
		b := t.scramble(1)
		t.scramble(1)
		t.scramble(1)
		t.state = (t.state + 4*uint8(b)) & 7
		if t.count == segTraining {
			t.stage, t.count = txOnes, 0
		}
	case txOnes:
		t.state = (t.state + t.dataStep(true)) & 7
		if t.count == segOnes {
			t.stage, t.count = txData, 0
		}
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

// scramble is scrambler.scramble without branches on the data: the line
// bit for data bit in by 1 + x^-6 + x^-7, inverted after 33 bits that
// each matched one of the bits 8, 9 or 12 places earlier (V.27ter §2.4).
func (t *Transmitter) scramble(in uint32) uint32 {
	reg, count := t.scr.reg, t.scr.count
	out := (in ^ reg>>5 ^ reg>>6) & 1
	guard := uint32(32-count) >> 31 & 1 // count >= 33 (count never exceeds 33)
	out ^= guard
	differs := (reg>>7 ^ out) & (reg>>8 ^ out) & (reg>>11 ^ out) & 1
	// The run restarts on the guard's inversion or a differing bit.
	t.scr.count = (count + 1) & (int(guard|differs) - 1)
	t.scr.reg = reg<<1 | out
	return out
}

// dataStep takes one symbol's bits (ones when ones is set, else from the
// source), scrambles them and returns the phase change. When the source
// runs dry the rest of the symbol is ones and the shutdown begins.
func (t *Transmitter) dataStep(ones bool) uint8 {
	var v uint32
	for range t.tm.bits {
		b := uint32(1)
		if !ones {
			if g := t.src.GetBit(); g != dsp.EndOfData {
				b = uint32(g) & 1
			} else {
				ones = true
				t.stage, t.count = txShutdown, 0
				if t.status != nil {
					t.status(dsp.StatusEndOfData)
				}
			}
		}
		v = v<<1 | t.scramble(b)
	}
	if t.tm.bits == 3 {
		return stepFor4800[v]
	}
	return stepFor2400[v]
}
