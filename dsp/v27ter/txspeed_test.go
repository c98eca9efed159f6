package v27ter

// This file keeps the transmitter as it was before it folded the carrier
// into the pulse shaper (origTransmitter, test-only, with the hashes of its
// output) and checks that the transmitter gives the same samples to
// within rounding, the same length and the same status events.

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"testing"

	"github.com/faxd/faxd/dsp"
)

// Pulse shaping: a root-raised-cosine with 50% roll-off (V.27ter §2.2
// specifies a raised-cosine spectrum with 50% roll-off, shared between
// transmitter and receiver) spanning origTxSpan symbols.
const (
	origRolloff = 0.5
	origTxSpan  = 8
)

// origTiming describes a rate's symbol clock against the 8000 Hz sample clock
// on a "fine" grid: a symbol lasts fine units, a sample step units.
type origTiming struct {
	baud int
	fine int // fine units per symbol
	step int // fine units per sample
	bits int // bits per symbol
}

var origTimings = map[int]origTiming{
	4800: {baud: 1600, fine: 5, step: 1, bits: 3},  // 5 samples per symbol
	2400: {baud: 1200, fine: 20, step: 3, bits: 2}, // 20/3 samples per symbol
}

// origTxStage is where the transmitter is in its sequence.
type origTxStage int

const (
	origTxSilence origTxStage = iota
	origTxReversals
	origTxConditioning
	origTxOnes
	origTxData
	origTxShutdown
	origTxFlush
	origTxDone
)

// An origTransmitter is the V.27ter modulator as it was before the carrier
// was folded into the shaper, kept as the reference for TestTxMatchesOriginal.
type origTransmitter struct {
	rate   int
	tm     origTiming
	src    dsp.BitSource
	status dsp.StatusHandler
	level  float64

	taps  [][origTxSpan]float32 // per fine phase, pre-scaled
	symRe [2 * origTxSpan]float32
	symIm [2 * origTxSpan]float32
	pos   int // ring position of the newest symbol
	phase int // fine units since the newest symbol began
	nco   dsp.NCO

	stage origTxStage
	count int // symbols sent in the current stage
	state uint8
	scr   scrambler
}

// newOrigTransmitter returns a transmitter at rate bit/s (4800 or 2400) that
// takes its data from src.
func newOrigTransmitter(rate int, src dsp.BitSource) (*origTransmitter, error) {
	tm, ok := origTimings[rate]
	if !ok {
		return nil, fmt.Errorf("%w: %d", ErrRate, rate)
	}
	t := &origTransmitter{rate: rate, tm: tm, src: src, level: -13}
	t.taps = make([][origTxSpan]float32, tm.fine)
	t.SetLevel(t.level)
	t.Reset()
	return t, nil
}

// SetLevel sets the transmit level in dBm0 (default -13).
func (t *origTransmitter) SetLevel(dBm0 float64) {
	t.level = dBm0
	h := dsp.RootRaisedCosine(origRolloff, float64(t.tm.fine), origTxSpan)
	// Mean power per sample of the shaped, modulated signal for symbols of
	// mean square 2 (the constellation's): half of 2·Σ taps² per phase,
	// averaged over the phases the sample clock visits (all of them).
	var sum float64
	for ph := 0; ph < t.tm.fine; ph++ {
		for j := 0; j < origTxSpan; j++ {
			if k := ph + t.tm.fine*j; k < len(h) {
				sum += float64(h[k]) * float64(h[k])
			}
		}
	}
	meanPower := sum / float64(t.tm.fine) // × E|a|²=2 × ½ for the carrier
	scale := dsp.RMSFromDBm0(dBm0) / math.Sqrt(meanPower)
	for ph := 0; ph < t.tm.fine; ph++ {
		for j := 0; j < origTxSpan; j++ {
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
func (t *origTransmitter) SetStatusHandler(h dsp.StatusHandler) { t.status = h }

// Reset starts a new transmission from the training sequence.
func (t *origTransmitter) Reset() {
	clear(t.symRe[:])
	clear(t.symIm[:])
	t.pos, t.phase = 0, 0
	t.nco = dsp.NCO{}
	t.nco.SetFrequency(carrierHz)
	t.stage, t.count, t.state = origTxSilence, 0, 0
	t.scr = scrambler{reg: scramblerSeed}
}

// Process fills out with line audio and returns how many samples it wrote;
// fewer than len(out) once the transmission is over.
func (t *origTransmitter) Process(out []int16) int {
	fine, step := t.tm.fine, t.tm.step
	for i := range out {
		if t.stage == origTxDone {
			return i
		}
		t.phase += step
		if t.phase >= fine {
			t.phase -= fine
			t.nextSymbol()
			if t.stage == origTxDone {
				return i
			}
		}
		taps := &t.taps[t.phase]
		re := t.symRe[t.pos : t.pos+origTxSpan]
		im := t.symIm[t.pos : t.pos+origTxSpan]
		var xr, xi float32
		for j := 0; j < origTxSpan; j++ {
			xr += taps[j] * re[j]
			xi += taps[j] * im[j]
		}
		c, s := t.nco.Next()
		out[i] = dsp.SaturateInt16(xr*c - xi*s)
	}
	return len(out)
}

// pushSymbol makes z the newest symbol; the ring holds the newest first.
func (t *origTransmitter) pushSymbol(z complex64) {
	t.pos--
	if t.pos < 0 {
		t.pos = origTxSpan - 1
	}
	t.symRe[t.pos], t.symRe[t.pos+origTxSpan] = real(z), real(z)
	t.symIm[t.pos], t.symIm[t.pos+origTxSpan] = imag(z), imag(z)
}

// nextSymbol works out the next symbol of the sequence and pushes it.
func (t *origTransmitter) nextSymbol() {
	t.count++
	switch t.stage {
	case origTxSilence:
		t.pushSymbol(0)
		if t.count == segSilence {
			t.stage, t.count = origTxReversals, 0
		}
		return
	case origTxReversals:
		t.state = (t.state + 4) & 7
		if t.count == segReversals {
			t.stage, t.count = origTxConditioning, 0
		}
	case origTxConditioning:
		// One reversal or none, keyed by every third scrambled one.
		b := t.scr.scramble(1)
		t.scr.scramble(1)
		t.scr.scramble(1)
		t.state = (t.state + 4*uint8(b)) & 7
		if t.count == segTraining {
			t.stage, t.count = origTxOnes, 0
		}
	case origTxOnes:
		t.state = (t.state + t.dataStep(true)) & 7
		if t.count == segOnes {
			t.stage, t.count = origTxData, 0
		}
	case origTxData:
		t.state = (t.state + t.dataStep(false)) & 7
	case origTxShutdown:
		t.state = (t.state + t.dataStep(true)) & 7
		if t.count == shutdownOnes {
			t.stage, t.count = origTxFlush, 0
		}
	case origTxFlush:
		// Let the pulse shaper's tail die away, then stop.
		t.pushSymbol(0)
		if t.count == origTxSpan {
			t.stage = origTxDone
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
func (t *origTransmitter) dataStep(ones bool) uint8 {
	v := 0
	for k := 0; k < t.tm.bits; k++ {
		b := 1
		if !ones {
			if b = t.src.GetBit(); b == dsp.EndOfData {
				ones = true
				b = 1
				t.stage, t.count = origTxShutdown, 0
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

// txUnderTest is what the comparison needs of either transmitter.
type txUnderTest interface {
	SetLevel(dBm0 float64)
	SetStatusHandler(h dsp.StatusHandler)
	Reset()
	Process(out []int16) int
}

// countingSource hands out bits and counts the calls.
type countingSource struct {
	bits  []byte
	calls int
}

func (s *countingSource) GetBit() int {
	s.calls++
	if s.calls > len(s.bits) {
		return dsp.EndOfData
	}
	return int(s.bits[s.calls-1])
}

// txEvent is a status and the number of samples written before it.
type txEvent struct {
	status dsp.Status
	at     int
}

// txRecord is everything a run produced.
type txRecord struct {
	out    []int16
	events []txEvent
	calls  int // GetBit calls
}

// txScript is one way of driving a transmitter: block sizes used in turn,
// and optionally a level change and a Reset after some samples.
type txScript struct {
	name     string
	blocks   []int
	newLevel float64 // applied once levelAt samples are out (0: never)
	levelAt  int
	resetAt  int // Reset once this many samples are out (0: never)
}

var txScripts = []txScript{
	{name: "160", blocks: []int{160}},
	{name: "odd", blocks: []int{1, 7, 333, 2, 80, 159, 13}},
	{name: "level+reset", blocks: []int{160, 41}, newLevel: -20, levelAt: 5000, resetAt: 9000},
}

// runTx drives a transmitter made by mk to the end of its shutdown.
func runTx(t testing.TB, mk func(dsp.BitSource) txUnderTest, bits []byte, level float64, sc txScript) txRecord {
	t.Helper()
	src := &countingSource{bits: bits}
	tx := mk(src)
	var rec txRecord
	tx.SetStatusHandler(func(s dsp.Status) { rec.events = append(rec.events, txEvent{s, len(rec.out)}) })
	tx.SetLevel(level)
	buf := make([]int16, 400)
	levelDone, resetDone := sc.newLevel == 0, sc.resetAt == 0
	for k := 0; ; k++ {
		if !levelDone && len(rec.out) >= sc.levelAt {
			tx.SetLevel(sc.newLevel)
			levelDone = true
		}
		if !resetDone && len(rec.out) >= sc.resetAt {
			tx.Reset()
			src.calls = 0
			resetDone = true
		}
		want := sc.blocks[k%len(sc.blocks)]
		n := tx.Process(buf[:want])
		rec.out = append(rec.out, buf[:n]...)
		if n < want {
			break
		}
		if len(rec.out) > 10*dsp.SampleRate*10 {
			t.Fatal("transmitter does not stop")
		}
	}
	if n := tx.Process(buf[:160]); n != 0 {
		t.Errorf("%d samples after the shutdown", n)
	}
	rec.calls = src.calls
	return rec
}

// hashSamples is FNV-1a over the samples, little-endian.
func hashSamples(s []int16) uint64 {
	h := fnv.New64a()
	var b [2]byte
	for _, v := range s {
		binary.LittleEndian.PutUint16(b[:], uint16(v))
		h.Write(b[:])
	}
	return h.Sum64()
}

func newOrig(rate int) func(dsp.BitSource) txUnderTest {
	return func(src dsp.BitSource) txUnderTest {
		tx, err := newOrigTransmitter(rate, src)
		if err != nil {
			panic(err)
		}
		return tx
	}
}

func newTx(rate int) func(dsp.BitSource) txUnderTest {
	return func(src dsp.BitSource) txUnderTest {
		tx, err := NewTransmitter(rate, src)
		if err != nil {
			panic(err)
		}
		return tx
	}
}

// txGolden is the length and hash of the transmitter's output, recorded
// before the carrier was folded into the shaper, for 4000 pseudo-random
// bits (randomBits(4000, 99)) in 160-sample blocks.
var txGolden = map[string]struct {
	n    int
	hash uint64
}{
	"4800/-13": {12689, 0xa18a7b8897496181},
	"4800/-40": {12689, 0xd3d1a0d84a33e1c0},
	"2400/-13": {21366, 0x3d0af628760a29b4},
	"2400/-40": {21366, 0xa0d3d6b3f0958228},
}

// TestTxOriginalGolden checks that origTransmitter is the transmitter the
// golden hashes were taken from.
func TestTxOriginalGolden(t *testing.T) {
	bits := randomBits(4000, 99)
	for _, rate := range []int{4800, 2400} {
		for _, level := range []float64{-13, -40} {
			key := fmt.Sprintf("%d/%g", rate, level)
			rec := runTx(t, newOrig(rate), bits, level, txScripts[0])
			g, ok := txGolden[key]
			if !ok || len(rec.out) != g.n || hashSamples(rec.out) != g.hash {
				t.Errorf("%s: %d samples, hash %#x; want %d, %#x", key, len(rec.out), hashSamples(rec.out), g.n, g.hash)
			}
		}
	}
}

// TestTxMatchesOriginal requires the transmitter to give the original's
// output to within ±1 (rounding), of the same length, with the same status
// events at the same samples and the same bits taken, however Process is
// called, across SetLevel and Reset, and at a clipping level too.
func TestTxMatchesOriginal(t *testing.T) {
	bits := randomBits(4000, 99)
	for _, rate := range []int{4800, 2400} {
		for _, level := range []float64{-13, -40, 6} {
			for _, sc := range txScripts {
				name := fmt.Sprintf("%d/%g/%s", rate, level, sc.name)
				want := runTx(t, newOrig(rate), bits, level, sc)
				got := runTx(t, newTx(rate), bits, level, sc)
				compareTx(t, name, got, want)
			}
		}
	}
}

func compareTx(t *testing.T, name string, got, want txRecord) {
	t.Helper()
	if len(got.out) != len(want.out) {
		t.Errorf("%s: %d samples, want %d", name, len(got.out), len(want.out))
	}
	bad, off := 0, 0
	for i := range min(len(got.out), len(want.out)) {
		d := int(got.out[i]) - int(want.out[i])
		if d != 0 {
			off++
		}
		if d < -1 || d > 1 {
			if bad < 5 {
				t.Errorf("%s: sample %d is %d, want %d±1", name, i, got.out[i], want.out[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d samples differ by more than 1", name, bad)
	}
	if fmt.Sprint(got.events) != fmt.Sprint(want.events) {
		t.Errorf("%s: status events %v, want %v", name, got.events, want.events)
	}
	if got.calls != want.calls {
		t.Errorf("%s: %d GetBit calls, want %d", name, got.calls, want.calls)
	}
	t.Logf("%s: %d samples, %d differ by 1", name, len(want.out), off)
}

// BenchmarkTxVsOriginal times the transmitter and the original on the same
// data, 160-sample blocks, to the end of the shutdown.
func BenchmarkTxVsOriginal(b *testing.B) {
	bits := randomBits(4800*5, 7)
	for _, rate := range []int{4800, 2400} {
		for _, v := range []struct {
			name string
			mk   func(int) func(dsp.BitSource) txUnderTest
		}{{"orig", newOrig}, {"new", newTx}} {
			b.Run(fmt.Sprintf("%d/%s", rate, v.name), func(b *testing.B) {
				buf := make([]int16, 160)
				n := 0
				for range b.N {
					tx := v.mk(rate)(&countingSource{bits: bits})
					for tx.Process(buf) == len(buf) {
						n += len(buf)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/sample")
			})
		}
	}
}
