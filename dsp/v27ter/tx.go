package v27ter

import (
	"fmt"
	"math"
	"sync"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/prefetch"
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

// The modulator of V.27ter §2 (1600 or 1200 baud on an 1800 Hz carrier,
// shaped as §2.2), with the carrier folded into the pulse shaper: a symbol
// a = I + jQ adds Re{a·h(t)·e^(jωt)} to the line. A symbol starts at one
// of carrierPeriod·baud/8000 (carrier, shaper) phases, its slot: 8 at
// 1600 baud, 6 at 1200. The waveform is linear in the point: in slot s it
// is I·hc_s − Q·hs_s, with hc_s and hs_s the cosine and sine parts of the
// modulated pulse over the waveLen samples from the one at which the
// symbol enters, the most any symbol reaches (40 at 1600 baud, 54 at
// 1200), padded with zeros to whole vectors of 8 for dsp.Axpy2. The
// transmitter adds that into an accumulator a symbol instead of a dot
// product over the symbol history every sample.
//
// The linear form keeps a rate's table to two rows a slot, 2.5 KB and
// 2.6 KB, where a row a point (10 KB a rate), one read at random each
// symbol, went cold in the caches between one transmitter's steps when
// thousands take turns.
const (
	maxWaveLen = 56
	// accWrap is where the accumulator's read position goes back to 0,
	// taking the pending samples along.
	accWrap = 64
	noPoint = len(constellation) // the symbol index of silence
)

// A pulseTable is one rate's table: hc_s at p[2·s·waveLen:] and hs_s at
// p[(2·s+1)·waveLen:], waveLen samples each, at unit gain.
type pulseTable struct {
	waveLen int
	slots   int
	p       []float32
}

// pulseTables makes, once, each rate's table.
var pulseTables = map[int]func() *pulseTable{
	4800: sync.OnceValue(func() *pulseTable { return makePulses(timings[4800]) }),
	2400: sync.OnceValue(func() *pulseTable { return makePulses(timings[2400]) }),
}

func makePulses(tm timing) *pulseTable {
	span := tm.fine * txSpan // fine units a symbol stays in the shaper
	tab := &pulseTable{
		waveLen: ((span+tm.step-1)/tm.step + 7) &^ 7,
		slots:   carrierPeriod * tm.baud / dsp.SampleRate,
	}
	n := tab.waveLen
	tab.p = make([]float32, tab.slots*2*n)
	h := dsp.RootRaisedCosine(rolloff, float64(tm.fine), txSpan)
	// Follow Process: sample c (from the start) advances the shaper step
	// fine units first, and a new symbol enters when they pass fine.
	slot, phase := 0, 0
	for c := range carrierPeriod {
		if phase += tm.step; phase < tm.fine {
			continue
		}
		phase -= tm.fine
		hc, hs := tab.p[2*slot*n:][:n], tab.p[(2*slot+1)*n:][:n]
		for m := range n {
			// Sample c+m takes tap phase+step·m of the pulse.
			k := phase + tm.step*m
			if k >= span || k >= len(h) {
				break
			}
			w := 2 * math.Pi * carrierHz * float64(c+m) / dsp.SampleRate
			hc[m] = float32(float64(h[k]) * math.Cos(w))
			hs[m] = float32(float64(h[k]) * math.Sin(w))
		}
		slot++
	}
	return tab
}

// A Transmitter modulates data bits into V.27ter line audio.
type Transmitter struct {
	rate   int
	tm     timing
	src    dsp.BitSource
	status dsp.StatusHandler
	level  float64

	pulses *pulseTable
	gain   float32
	// acc holds the line samples from the next one on (at head), as far
	// as the symbols entered so far make them, at unit gain.
	acc   [accWrap + maxWaveLen]float32
	head  int
	slot  int // the slot of the next symbol
	phase int // fine units since the newest symbol began

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
	t := &Transmitter{rate: rate, tm: tm, src: src, level: -13, pulses: pulseTables[rate]()}
	t.SetLevel(t.level)
	t.Reset()
	return t, nil
}

// SetLevel sets the transmit level in dBm0 (default -13).
func (t *Transmitter) SetLevel(dBm0 float64) {
	if t.gain != 0 && dBm0 == t.level {
		return // the shaping filter made to work the gain out allocates
	}
	t.level = dBm0
	fine := t.tm.fine
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
	t.gain = float32(scale)
}

// SetStatusHandler sets the handler told of dsp.StatusEndOfData and
// dsp.StatusShutdownComplete.
func (t *Transmitter) SetStatusHandler(h dsp.StatusHandler) { t.status = h }

// Reset starts a new transmission from the training sequence.
func (t *Transmitter) Reset() {
	clear(t.acc[:])
	t.head, t.slot, t.phase = 0, 0, 0
	t.stage, t.count, t.state = txSilence, 0, 0
	t.scr = scrambler{reg: scramblerSeed}
}

// SetSource makes src the source of the next transmission's data and
// restarts the transmission, as Reset (the level and the status handler
// are kept): a terminal keeps one transmitter for every transmission of
// its calls instead of making one each time.
func (t *Transmitter) SetSource(src dsp.BitSource) {
	t.src = src
	t.Reset()
}

// Process fills out with line audio and returns how many samples it wrote;
// fewer than len(out) once the transmission is over.
//
// It takes the accumulator a stretch at a time, up to accWrap: first it
// enters every symbol that begins within the stretch, then converts the
// stretch to samples and clears it, in vectors (dsp.ScaleToInt16). A
// symbol adds nothing before the sample at which it enters, so each sample
// sums the same symbols in the same order as it would sample by sample.
// (Converting a sample at a time between the symbols took 9 to 12% longer
// in BenchmarkTransmitter.)
func (t *Transmitter) Process(out []int16) int {
	if t.stage == txDone {
		return 0
	}
	fine, step := t.tm.fine, t.tm.step
	phase, head, g := t.phase, t.head, t.gain
	acc := &t.acc
	n := 0
	for n < len(out) && t.stage != txDone {
		end := min(accWrap, head+len(out)-n)
		// A symbol enters at the sample whose step takes phase to fine;
		// phase counts the fine units before sample h.
		for h := head; ; {
			s := h + (fine-1-phase)/step
			if s >= end {
				phase += step * (end - h)
				break
			}
			phase += step*(s-h+1) - fine
			h = s + 1
			pt := t.nextSymbol()
			if t.stage == txDone {
				end = s // the shutdown is over: the output ends before s
				break
			}
			t.add(s, pt)
		}
		dsp.ScaleToInt16(out[n:n+end-head], acc[head:end], g)
		clear(acc[head:end])
		n += end - head
		if head = end; head == accWrap {
			// Samples from accWrap on are pending; from maxWaveLen to
			// accWrap were sent and cleared.
			copy(acc[:maxWaveLen], acc[accWrap:])
			clear(acc[accWrap:])
			head = 0
		}
	}
	t.phase, t.head = phase, head
	return n
}

// add adds the waveform of point pt (or nothing, for noPoint) entering at
// the next slot into the accumulator from head on.
func (t *Transmitter) add(head, pt int) {
	pl := t.pulses
	slot := t.slot
	if t.slot++; t.slot == pl.slots {
		t.slot = 0
	}
	if pt == noPoint {
		return
	}
	a, n := constellation[pt], pl.waveLen
	dsp.Axpy2(t.acc[head:head+n], pl.p[2*slot*n:][:n], pl.p[(2*slot+1)*n:][:n], real(a), -imag(a))
}

// nextSymbol works out the next symbol of the sequence and returns it as
// an index into constellation, or noPoint for silence.
func (t *Transmitter) nextSymbol() int {
	t.count++
	switch t.stage {
	case txData:
		t.state = (t.state + t.dataStep(false)) & 7
	case txSilence:
		if t.count == segSilence {
			t.stage, t.count = txReversals, 0
		}
		return noPoint
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
		if t.count == txSpan {
			t.stage = txDone
			if t.status != nil {
				t.status(dsp.StatusShutdownComplete)
			}
		}
		return noPoint
	}
	return int(t.state)
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

// Prefetch asks the CPU to fetch the transmitter's state into its caches
// ahead of the next Process: a server calls it for the next channel while
// it runs this one (see package dsp/prefetch).
func (t *Transmitter) Prefetch() { prefetch.Object(t) }
