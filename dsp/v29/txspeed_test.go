package v29

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

// An origTransmitter is the V.29 modulator as it was before the carrier
// was folded into the shaper, kept as the reference for TestTxMatchesOriginal. It sends the training sequence of
// V.29 §2, then the data from its source scrambled by 1 + x^-18 + x^-23
// (V.29 §5), then a few symbols of scrambled ones and stops.
type origTransmitter struct {
	rate   int
	src    dsp.BitSource
	status dsp.StatusHandler

	bank [phases][spanSyms]float32 // bank[p][j]: tap (times gain) for the symbol j symbols back at phase p
	re   [2 * spanSyms]float32     // symbol history, doubled so a window is contiguous
	im   [2 * spanSyms]float32
	pos  int // index of the newest symbol in re/im (and pos+spanSyms)
	baud int // 24 kHz ticks since the newest symbol started (0..9)

	shape   [phases][spanSyms]float32 // unit-gain polyphase taps
	cosT    [carrierPeriod]float32    // carrier, exactly periodic at 8 kHz
	sinT    [carrierPeriod]float32
	carrier int // index into cosT/sinT

	scr      uint32 // scrambler register, newest line bit in bit 0
	trainReg uint8
	symbol   int   // symbols sent since the start of training
	absPhase uint8 // absolute phase, units of 45 degrees
	dataEnd  bool  // the source ran dry
	endSym   int   // symbols sent since then
	done     bool
	tp       trainPoints
}

// newOrigTransmitter makes a V.29 transmitter for rate 9600, 7200 or 4800 bit/s
// taking its data from src.
func newOrigTransmitter(rate int, src dsp.BitSource) (*origTransmitter, error) {
	if rate != 9600 && rate != 7200 && rate != 4800 {
		return nil, fmt.Errorf("%w: %d", ErrRate, rate)
	}
	t := &origTransmitter{rate: rate, src: src, tp: trainingPoints(rate)}
	h := dsp.RootRaisedCosine(rrcBeta, phases, spanSyms)
	for p := 0; p < phases; p++ {
		for j := 0; j < spanSyms; j++ {
			if k := p + phases*j; k < len(h) {
				t.shape[p][j] = h[k]
			}
		}
	}
	for i := range carrierPeriod {
		w := 2 * math.Pi * carrierFreq * float64(i) / dsp.SampleRate
		t.cosT[i], t.sinT[i] = float32(math.Cos(w)), float32(math.Sin(w))
	}
	t.SetLevel(-13)
	t.Reset()
	return t, nil
}

// SetLevel sets the transmitted level in dBm0 (default -13).
func (t *origTransmitter) SetLevel(dBm0 float64) {
	// Passband power is E|x|^2/2 and the unit-energy shaper at 10 points
	// per symbol gives E|x|^2 = E|a|^2/10.
	g := float32(math.Sqrt(20 * dsp.PowerFromDBm0(dBm0) / meanSymbolPower(t.rate)))
	for p := range t.shape {
		for j := range t.shape[p] {
			t.bank[p][j] = t.shape[p][j] * g
		}
	}
}

// SetStatusHandler sets the function told of StatusEndOfData and
// StatusShutdownComplete.
func (t *origTransmitter) SetStatusHandler(h dsp.StatusHandler) { t.status = h }

// Reset starts a new transmission, training again.
func (t *origTransmitter) Reset() {
	t.re = [2 * spanSyms]float32{}
	t.im = [2 * spanSyms]float32{}
	t.pos, t.baud, t.carrier = 0, 0, 0
	t.scr = 0
	t.trainReg = trainingSeed
	t.symbol, t.absPhase, t.endSym = 0, 0, 0
	t.dataEnd, t.done = false, false
}

func (t *origTransmitter) bit() int {
	b := 1
	if t.symbol > trainEnd && !t.dataEnd { // symbol was already counted
		b = t.src.GetBit()
		if b == dsp.EndOfData {
			t.dataEnd = true
			if t.status != nil {
				t.status(dsp.StatusEndOfData)
			}
			b = 1
		}
	}
	// V.29 §5: 1 + x^-18 + x^-23, taps written out for speed; the same
	// polynomial as dsp.PolyV29.
	out := (uint32(b) ^ t.scr>>17 ^ t.scr>>22) & 1
	t.scr = t.scr<<1 | out
	return int(out)
}

// nextSymbol returns the next point to send (V.29 §2).
func (t *origTransmitter) nextSymbol() complex64 {
	n := t.symbol
	t.symbol++
	switch {
	case n < seg2Start:
		return 0
	case n < seg3Start:
		if (n-seg2Start)&1 == 0 {
			return t.tp.b
		}
		return t.tp.a
	case n < seg4Start:
		b := t.trainReg & 1
		t.trainReg = t.trainReg>>1 | ((b^(t.trainReg>>1))&1)<<6
		if b == 0 {
			return t.tp.c
		}
		return t.tp.d
	}
	amp := 0
	if t.rate == 9600 && t.bit() == 1 {
		amp = 8
	}
	q := t.bit()<<1 | t.bit()
	if t.rate == 4800 {
		t.absPhase = (t.absPhase + phaseStep4[q]) & 7
	} else {
		q = q<<1 | t.bit()
		t.absPhase = (t.absPhase + phaseStep8[q]) & 7
	}
	return points[amp|int(t.absPhase)]
}

// Process fills out with line samples and returns how many it wrote: len(out)
// while sending, fewer once the shutdown is over, then 0.
func (t *origTransmitter) Process(out []int16) int {
	if t.done {
		return 0
	}
	baud, c := t.baud, t.carrier
	for i := range out {
		if baud += 3; baud >= phases {
			baud -= phases
			if !t.push() {
				return i
			}
		}
		h := &t.bank[baud%phases]
		re := (*[spanSyms]float32)(t.re[t.pos%spanSyms:])
		im := (*[spanSyms]float32)(t.im[t.pos%spanSyms:])
		xr := h[0]*re[0] + h[1]*re[1] + h[2]*re[2] + h[3]*re[3] +
			h[4]*re[4] + h[5]*re[5] + h[6]*re[6] + h[7]*re[7]
		xi := h[0]*im[0] + h[1]*im[1] + h[2]*im[2] + h[3]*im[3] +
			h[4]*im[4] + h[5]*im[5] + h[6]*im[6] + h[7]*im[7]
		c %= carrierPeriod
		// Saturate and round (as dsp.SaturateInt16, which does not inline).
		y := min(max(xr*t.cosT[c]-xi*t.sinT[c], -32768), 32767)
		out[i] = int16(int32(y+32768.5) - 32768)
		c++
	}
	t.baud, t.carrier = baud, c
	return len(out)
}

// push enters the next symbol into the shaper's history, or reports false
// once the shutdown symbols have all been sent.
func (t *origTransmitter) push() bool {
	if t.dataEnd {
		if t.endSym == shutdownLen {
			t.done = true
			if t.status != nil {
				t.status(dsp.StatusShutdownComplete)
			}
			return false
		}
		t.endSym++
	}
	s := t.nextSymbol()
	t.pos--
	if t.pos < 0 {
		t.pos = spanSyms - 1
	}
	t.re[t.pos], t.re[t.pos+spanSyms] = real(s), real(s)
	t.im[t.pos], t.im[t.pos+spanSyms] = imag(s), imag(s)
	return true
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
	{name: "level+reset", blocks: []int{160, 41}, newLevel: -20, levelAt: 2500, resetAt: 4000},
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
// bits (randomBits(99, 4000)) in 160-sample blocks.
var txGolden = map[string]struct {
	n    int
	hash uint64
}{
	"9600/-13": {5469, 0xdc20f0fcc95fa636},
	"9600/-40": {5469, 0x77ba558b7602e499},
	"7200/-13": {6579, 0x732cb448ddfd146c},
	"7200/-40": {6579, 0x20062d23bd8e7326},
	"4800/-13": {8803, 0xca187db9721ef2e2},
	"4800/-40": {8803, 0xf2228d818ef75e11},
}

// TestTxOriginalGolden checks that origTransmitter is the transmitter the
// golden hashes were taken from.
func TestTxOriginalGolden(t *testing.T) {
	bits := randomBits(99, 4000)
	for _, rate := range []int{9600, 7200, 4800} {
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
	bits := randomBits(99, 4000)
	for _, rate := range []int{9600, 7200, 4800} {
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
	bits := randomBits(7, 9600*5)
	for _, rate := range []int{9600, 7200, 4800} {
		for _, v := range []struct {
			name string
			mk   func(int) func(dsp.BitSource) txUnderTest
		}{{"orig", newOrig}, {"new", newTx}} {
			b.Run(fmt.Sprintf("%d/%s", rate, v.name), func(b *testing.B) {
				buf := make([]int16, 160)
				n := 0
				for range b.N {
					tx := v.mk(rate)(&sliceSource{bits: bits})
					for tx.Process(buf) == len(buf) {
						n += len(buf)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/sample")
			})
		}
	}
}
