package v17

// This file keeps the transmitter as it was before the carrier and the
// pulse shaper became a table of symbol waveforms (origTransmitter,
// test-only, with the hashes of its output) and checks that the
// transmitter gives the same samples to within rounding, the same length,
// the same status events and the same bits taken.

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"testing"

	"github.com/faxd/faxd/dsp"
)

// 1800/8000 = 9/40: the carrier repeats exactly every 40 samples.
const origCarrierPeriod = 40

// Training sequence lengths in symbols (V.17 §2.5), as SpanDSP sends and
// expects them. The long train is segments 1 to 4; the short train
// (resync) has a short segment 2 and no segment 3.
const (
	origSeg1Len      = 256  // ABAB alternation
	origSeg2Len      = 2976 // CDBA equaliser conditioning
	origSeg2ShortLen = 38
	origSeg3Len      = 64 // TCM bridge
	origSeg4Len      = 48 // scrambled ones through the trellis encoder
)

// Shutdown (as SpanDSP): after the symbol in which the source runs dry,
// 31 more symbols of scrambled ones, then 48 of silence.
const (
	origShutdownOnes    = 31
	origShutdownSilence = 48
)

// origBridgeWord is the 16-bit pattern segment 3 sends, two bits a symbol,
// low bits first, through the scrambler and the differential code of the
// training points (V.17 §2.5).
const origBridgeWord = 0x8880

// origScramblerSeed is the scrambler's state at the start of segment 2; the
// receiver's copy of the scrambler generates the same conditioning
// pattern from it.
const origScramblerSeed = 0x2ECDD5

// Segment 2 maps the scrambler's two bits (the first the high one) to C,
// D, B or A; segment 3 turns the last training point by 90 degrees times
// origBridgeStep of the scrambled bridge bits.
var (
	origCdba       = [4]uint8{pointC, pointD, pointB, pointA}
	origBridgeStep = [4]uint8{1, 0, 2, 3}
)

// Pulse shaper: a root raised cosine at 24 kHz (10 points per symbol, 3 per
// output sample) split into 10 polyphase branches of origSpanSyms taps: 91
// taps, of which branch p takes taps p+1, p+11, ... (tap 0, at the far
// edge, is left out), which puts each symbol's peak where SpanDSP's does.
const (
	origRrcBeta  = 0.25
	origSpanSyms = 9
	origPhases   = 10
)

// origMeanSymbolPower is the mean |point|² of each rate's alphabet, used to
// put the data of every rate at the requested level.
func origMeanSymbolPower(rate int) float64 {
	switch rate {
	case 14400:
		return 41
	case 12000:
		return 42
	}
	return 40
}

// An origTransmitter is the V.17 modulator as it was before the carrier
// and shaper became a table of symbol waveforms, kept as the reference for
// TestTxMatchesOriginal. It sends the long or the short
// training sequence of V.17 §2.5, then the data from its source, scrambled
// by 1 + x^-18 + x^-23 and trellis coded (V.17 §2.4), then 32 symbols of
// scrambled ones and 48 of silence, and stops.
type origTransmitter struct {
	rate   int
	nbits  int
	src    dsp.BitSource
	status dsp.StatusHandler
	short  bool

	// mod[18c:18c+18] holds, for the output sample at carrier phase c,
	// the taps for the symbols 0 to 8 back, times the gain, times cos(c)
	// (for the real parts, the first nine) and -sin(c) (for the imaginary
	// parts, the last nine). The shaper's phase is a function of c: both
	// start at 0 and 40 samples are 12 whole symbols. (A flat array: Go
	// addresses it better than a two-dimensional one.)
	mod  [origCarrierPeriod * 2 * origSpanSyms]float32
	re   [2 * origSpanSyms]float32 // symbol history, doubled so a window is contiguous
	im   [2 * origSpanSyms]float32
	pos  int // index of the newest symbol in re/im (and pos+origSpanSyms)
	baud int // 24 kHz ticks since the newest symbol started (0..9)

	shape   [origPhases][origSpanSyms]float32 // unit-gain polyphase taps
	carrier int                               // carrier phase, 0..39 (1800 Hz at 8 kHz is exactly periodic)

	enc Encoder

	// Segment boundaries in symbols from the start, for this train.
	seg2End, seg3End, trainEnd int

	scr     uint32 // scrambler register, newest line bit in bit 0
	symbol  int    // symbols sent since the start of training
	train   uint8  // the last training point, 0..3 for A..D
	dataEnd bool   // the source ran dry
	endSym  int    // symbols begun since then
	done    bool
}

// newOrigTransmitter makes a V.17 transmitter for rate 14400, 12000, 9600 or
// 7200 bit/s taking its data from src. It sends the long train; see
// SetShortTrain.
func newOrigTransmitter(rate int, src dsp.BitSource) (*origTransmitter, error) {
	t := &origTransmitter{rate: rate, src: src}
	if err := t.enc.init(rate); err != nil {
		return nil, err
	}
	t.nbits = t.enc.BitsPerSymbol()
	h := dsp.RootRaisedCosine(origRrcBeta, origPhases, origSpanSyms)
	for p := range origPhases {
		for j := range origSpanSyms {
			t.shape[p][j] = h[p+1+origPhases*j]
		}
	}
	t.SetLevel(-13)
	t.Reset()
	return t, nil
}

// SetLevel sets the transmitted level of the data in dBm0 (default -13).
// The training points have power 40, like the 9600 and 7200 bit/s
// alphabets; at 14400 and 12000 bit/s the training is 0.1 or 0.2 dB below
// the data. The highest peaks reach full scale at about -3 dBm0; levels
// above that clip, and levels above +40 dBm0 are taken
// as +40, which keeps every sample's arithmetic in range.
func (t *origTransmitter) SetLevel(dBm0 float64) {
	dBm0 = min(dBm0, 40)
	// Passband power is E|x|²/2 and the unit-energy shaper at 10 points
	// per symbol gives E|x|² = E|a|²/10.
	g := math.Sqrt(20 * dsp.PowerFromDBm0(dBm0) / origMeanSymbolPower(t.rate))
	for c := range origCarrierPeriod {
		// Sample c (from the start) is made after the shaper's phase
		// has advanced 3(c+1) ticks of 10 per symbol.
		p := 3 * (c + 1) % origPhases
		w := 2 * math.Pi * CarrierFreq * float64(c) / dsp.SampleRate
		for j := range origSpanSyms {
			t.mod[2*origSpanSyms*c+j] = float32(g * float64(t.shape[p][j]) * math.Cos(w))
			t.mod[2*origSpanSyms*c+origSpanSyms+j] = float32(-g * float64(t.shape[p][j]) * math.Sin(w))
		}
	}
}

// SetStatusHandler sets the function told of StatusEndOfData and
// StatusShutdownComplete.
func (t *origTransmitter) SetStatusHandler(h dsp.StatusHandler) { t.status = h }

// SetShortTrain chooses the short training sequence (true) or the long one
// (false, the default) and restarts the transmission, as Reset. T.30 sends
// the long train before TCF and the short one before later pages, once
// the far receiver has trained on the long one.
func (t *origTransmitter) SetShortTrain(short bool) {
	t.short = short
	t.Reset()
}

// Reset starts a new transmission with the training chosen by
// SetShortTrain.
func (t *origTransmitter) Reset() {
	t.re = [2 * origSpanSyms]float32{}
	t.im = [2 * origSpanSyms]float32{}
	t.pos, t.baud, t.carrier = 0, 0, 0
	t.seg2End = origSeg1Len + origSeg2Len
	t.seg3End = t.seg2End + origSeg3Len
	// The differential encoder starts from Y2 Y1 = 01 after a long train
	// and 00 after a short one, as SpanDSP's receiver expects.
	y := uint8(1)
	if t.short {
		t.seg2End = origSeg1Len + origSeg2ShortLen
		t.seg3End = t.seg2End
		y = 0
	}
	t.trainEnd = t.seg3End + origSeg4Len
	t.enc.Reset(y)
	t.scr = origScramblerSeed
	t.symbol, t.train, t.endSym = 0, 0, 0
	t.dataEnd, t.done = false, false
}

// scramble returns the line bit for data bit b: V.17's scrambler,
// 1 + x^-18 + x^-23, with the taps written out (dsp.PolyV29).
func (t *origTransmitter) scramble(b uint32) uint32 {
	out := (b ^ t.scr>>17 ^ t.scr>>22) & 1
	t.scr = t.scr<<1 | out
	return out
}

// nextSymbol returns the next point to send (V.17 §2.5, then §2.4).
func (t *origTransmitter) nextSymbol() complex64 {
	n := t.symbol
	t.symbol++
	if t.dataEnd {
		t.endSym++
	}
	switch {
	case n < origSeg1Len:
		// Segment 1: ABAB..., A first.
		return abcd[n&1]
	case n < t.seg2End:
		// Segment 2: C, D, B or A by the scrambler fed with ones.
		t.train = origCdba[t.scramble(1)<<1|t.scramble(1)]
		return abcd[t.train]
	case n < t.seg3End:
		// Segment 3: the bridge word, scrambled, as turns of the last
		// training point.
		shift := uint((n-t.seg2End)&7) * 2
		b := t.scramble(origBridgeWord>>shift&1)<<1 | t.scramble(origBridgeWord>>(shift+1)&1)
		t.train = (t.train + origBridgeStep[b]) & 3
		return abcd[t.train]
	case t.endSym > origShutdownOnes:
		return 0
	}
	// Segment 4 (scrambled ones), the data, the ones of the shutdown: all
	// trellis coded, the first bit in time as Q1. The scrambler (as
	// scramble) is written out here for speed.
	data := n >= t.trainEnd && !t.dataEnd
	reg := t.scr
	var q uint32
	for i := range t.nbits {
		b := uint32(1)
		if data {
			if v := t.src.GetBit(); v != dsp.EndOfData {
				b = uint32(v) & 1
			} else {
				data = false
				t.endOfData()
			}
		}
		out := (b ^ reg>>17 ^ reg>>22) & 1
		reg = reg<<1 | out
		q |= out << i
	}
	t.scr = reg
	return t.enc.Encode(uint8(q))
}

// endOfData notes that the source has run dry.
func (t *origTransmitter) endOfData() {
	t.dataEnd = true
	if t.status != nil {
		t.status(dsp.StatusEndOfData)
	}
}

// Process fills out with line samples and returns how many it wrote: len(out)
// while sending, fewer once the shutdown is over, then 0.
func (t *origTransmitter) Process(out []int16) int {
	if t.done {
		return 0
	}
	baud, c := t.baud, t.carrier
	re := (*[origSpanSyms]float32)(t.re[t.pos:])
	im := (*[origSpanSyms]float32)(t.im[t.pos:])
	for i := range out {
		if baud += 3; baud >= origPhases {
			baud -= origPhases
			if !t.push() {
				t.baud, t.carrier = baud, c
				return i
			}
			re = (*[origSpanSyms]float32)(t.re[t.pos:])
			im = (*[origSpanSyms]float32)(t.im[t.pos:])
		}
		// The passband sample Re{x·e^(jωn)} of the shaped baseband x,
		// as one dot product, summed as trees to keep the chains short.
		m := (*[2 * origSpanSyms]float32)(t.mod[2*origSpanSyms*c:])
		y := (((m[0]*re[0] + m[1]*re[1]) + (m[2]*re[2] + m[3]*re[3])) +
			((m[4]*re[4] + m[5]*re[5]) + (m[6]*re[6] + m[7]*re[7]))) +
			(((m[9]*im[0] + m[10]*im[1]) + (m[11]*im[2] + m[12]*im[3])) +
				((m[13]*im[4] + m[14]*im[5]) + (m[15]*im[6] + m[16]*im[7]))) +
			(m[8]*re[8] + m[17]*im[8])
		// Round and saturate, in integers: Go's float min and max must
		// handle NaN and cost more.
		v := int32(y+32768.5) - 32768
		out[i] = int16(min(max(v, -32768), 32767))
		if c++; c == origCarrierPeriod {
			c = 0
		}
	}
	t.baud, t.carrier = baud, c
	return len(out)
}

// push enters the next symbol into the shaper's history, or reports false
// once the shutdown symbols have all been sent.
func (t *origTransmitter) push() bool {
	if t.dataEnd && t.endSym == origShutdownOnes+origShutdownSilence {
		t.done = true
		if t.status != nil {
			t.status(dsp.StatusShutdownComplete)
		}
		return false
	}
	s := t.nextSymbol()
	t.pos--
	if t.pos < 0 {
		t.pos = origSpanSyms - 1
	}
	t.re[t.pos], t.re[t.pos+origSpanSyms] = real(s), real(s)
	t.im[t.pos], t.im[t.pos+origSpanSyms] = imag(s), imag(s)
	return true
}

// txUnderTest is what the comparison needs of either transmitter.
type txUnderTest interface {
	SetLevel(dBm0 float64)
	SetStatusHandler(h dsp.StatusHandler)
	SetShortTrain(short bool)
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

// The long train is 3344 symbols (11147 samples) and the short one 342
// (1140); the level changes and the Reset come during the data of the
// short train, and during the long train's segment 2.
var txScripts = []txScript{
	{name: "160", blocks: []int{160}},
	{name: "odd", blocks: []int{1, 7, 333, 2, 80, 159, 13}},
	{name: "level+reset", blocks: []int{160, 41}, newLevel: -20, levelAt: 2500, resetAt: 4001},
}

// runTx drives a transmitter made by mk to the end of its shutdown.
func runTx(t testing.TB, mk func(dsp.BitSource) txUnderTest, bits []byte, level float64, short bool, sc txScript) txRecord {
	t.Helper()
	src := &countingSource{bits: bits}
	tx := mk(src)
	var rec txRecord
	tx.SetStatusHandler(func(s dsp.Status) { rec.events = append(rec.events, txEvent{s, len(rec.out)}) })
	tx.SetLevel(level)
	tx.SetShortTrain(short)
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
// before the carrier and shaper became a table, for 4000 pseudo-random
// bits (randomBits(99, 4000)) in 160-sample blocks.
var txGolden = map[string]struct {
	n    int
	hash uint64
}{
	"14400/long/-13":  {13636, 0xb4a78060e8333b88},
	"14400/long/-40":  {13636, 0xbb047443429c1bc3},
	"14400/short/-13": {3629, 0x1bc8d53c51ef821e},
	"14400/short/-40": {3629, 0xbd1bd7066a8a144b},
	"12000/long/-13":  {14083, 0xd0f90040b21f77db},
	"12000/long/-40":  {14083, 0x7b66a13d7d46a6c5},
	"12000/short/-13": {4076, 0x3fea2b5ef0c9bfe},
	"12000/short/-40": {4076, 0xcba03bddc90e36ea},
	"9600/long/-13":   {14749, 0xf56d217d255c10ee},
	"9600/long/-40":   {14749, 0x6ac1cd01d1d53409},
	"9600/short/-13":  {4743, 0xfe0c92262df6ed40},
	"9600/short/-40":  {4743, 0x47b0f6517aa66281},
	"7200/long/-13":   {15859, 0x275c5635b9698c52},
	"7200/long/-40":   {15859, 0xc34cf5a8a0d292c2},
	"7200/short/-13":  {5853, 0x57c98f6848eeed92},
	"7200/short/-40":  {5853, 0xa0dac3599a007e58},
}

// TestTxOriginalGolden checks that origTransmitter is the transmitter the
// golden hashes were taken from.
func TestTxOriginalGolden(t *testing.T) {
	bits := randomBits(99, 4000)
	for _, rate := range rates {
		for _, short := range []bool{false, true} {
			for _, level := range []float64{-13, -40} {
				key := fmt.Sprintf("%d/%s/%g", rate, trainName(short), level)
				rec := runTx(t, newOrig(rate), bits, level, short, txScripts[0])
				g, ok := txGolden[key]
				if !ok || len(rec.out) != g.n || hashSamples(rec.out) != g.hash {
					t.Errorf("%s: %d samples, hash %#x; want %d, %#x", key, len(rec.out), hashSamples(rec.out), g.n, g.hash)
					t.Logf("\t%q: {%d, %#x},", key, len(rec.out), hashSamples(rec.out))
				}
			}
		}
	}
}

// TestTxMatchesOriginal requires the transmitter to give the original's
// output to within ±1 (rounding), of the same length, with the same status
// events at the same samples and the same bits taken, at every rate, after
// either train, however Process is called, across SetLevel and Reset, and
// at a clipping level too.
func TestTxMatchesOriginal(t *testing.T) {
	bits := randomBits(99, 4000)
	for _, rate := range rates {
		for _, short := range []bool{false, true} {
			for _, level := range []float64{-13, -40, 6} {
				for _, sc := range txScripts {
					name := fmt.Sprintf("%d/%s/%g/%s", rate, trainName(short), level, sc.name)
					want := runTx(t, newOrig(rate), bits, level, short, sc)
					got := runTx(t, newTx(rate), bits, level, short, sc)
					compareTx(t, name, got, want)
				}
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
// data, 160-sample blocks, long train to the end of the shutdown.
func BenchmarkTxVsOriginal(b *testing.B) {
	for _, rate := range rates {
		bits := randomBits(7, rate*5)
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
