package v17

import (
	"math"

	"github.com/faxd/faxd/dsp"
)

// 1800/8000 = 9/40: the carrier repeats exactly every 40 samples.
const carrierPeriod = 40

// Training sequence lengths in symbols (V.17 §2.5), as SpanDSP sends and
// expects them. The long train is segments 1 to 4; the short train
// (resync) has a short segment 2 and no segment 3.
const (
	seg1Len      = 256  // ABAB alternation
	seg2Len      = 2976 // CDBA equaliser conditioning
	seg2ShortLen = 38
	seg3Len      = 64 // TCM bridge
	seg4Len      = 48 // scrambled ones through the trellis encoder
)

// Shutdown (as SpanDSP): after the symbol in which the source runs dry,
// 31 more symbols of scrambled ones, then 48 of silence.
const (
	shutdownOnes    = 31
	shutdownSilence = 48
)

// bridgeWord is the 16-bit pattern segment 3 sends, two bits a symbol,
// low bits first, through the scrambler and the differential code of the
// training points (V.17 §2.5).
const bridgeWord = 0x8880

// scramblerSeed is the scrambler's state at the start of segment 2; the
// receiver's copy of the scrambler generates the same conditioning
// pattern from it.
const scramblerSeed = 0x2ECDD5

// Segment 2 maps the scrambler's two bits (the first the high one) to C,
// D, B or A; segment 3 turns the last training point by 90 degrees times
// bridgeStep of the scrambled bridge bits.
var (
	cdba       = [4]uint8{pointC, pointD, pointB, pointA}
	bridgeStep = [4]uint8{1, 0, 2, 3}
)

// Pulse shaper: a root raised cosine at 24 kHz (10 points per symbol, 3 per
// output sample) split into 10 polyphase branches of spanSyms taps: 91
// taps, of which branch p takes taps p+1, p+11, ... (tap 0, at the far
// edge, is left out), which puts each symbol's peak where SpanDSP's does.
const (
	rrcBeta  = 0.25
	spanSyms = 9
	phases   = 10
)

// meanSymbolPower is the mean |point|² of each rate's alphabet, used to
// put the data of every rate at the requested level.
func meanSymbolPower(rate int) float64 {
	switch rate {
	case 14400:
		return 41
	case 12000:
		return 42
	}
	return 40
}

// A Transmitter is a V.17 modulator. It sends the long or the short
// training sequence of V.17 §2.5, then the data from its source, scrambled
// by 1 + x^-18 + x^-23 and trellis coded (V.17 §2.4), then 32 symbols of
// scrambled ones and 48 of silence, and stops.
type Transmitter struct {
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
	mod  [carrierPeriod * 2 * spanSyms]float32
	re   [2 * spanSyms]float32 // symbol history, doubled so a window is contiguous
	im   [2 * spanSyms]float32
	pos  int // index of the newest symbol in re/im (and pos+spanSyms)
	baud int // 24 kHz ticks since the newest symbol started (0..9)

	shape   [phases][spanSyms]float32 // unit-gain polyphase taps
	carrier int                       // carrier phase, 0..39 (1800 Hz at 8 kHz is exactly periodic)

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

// NewTransmitter makes a V.17 transmitter for rate 14400, 12000, 9600 or
// 7200 bit/s taking its data from src. It sends the long train; see
// SetShortTrain.
func NewTransmitter(rate int, src dsp.BitSource) (*Transmitter, error) {
	t := &Transmitter{rate: rate, src: src}
	if err := t.enc.init(rate); err != nil {
		return nil, err
	}
	t.nbits = t.enc.BitsPerSymbol()
	h := dsp.RootRaisedCosine(rrcBeta, phases, spanSyms)
	for p := range phases {
		for j := range spanSyms {
			t.shape[p][j] = h[p+1+phases*j]
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
func (t *Transmitter) SetLevel(dBm0 float64) {
	dBm0 = min(dBm0, 40)
	// Passband power is E|x|²/2 and the unit-energy shaper at 10 points
	// per symbol gives E|x|² = E|a|²/10.
	g := math.Sqrt(20 * dsp.PowerFromDBm0(dBm0) / meanSymbolPower(t.rate))
	for c := range carrierPeriod {
		// Sample c (from the start) is made after the shaper's phase
		// has advanced 3(c+1) ticks of 10 per symbol.
		p := 3 * (c + 1) % phases
		w := 2 * math.Pi * CarrierFreq * float64(c) / dsp.SampleRate
		for j := range spanSyms {
			t.mod[2*spanSyms*c+j] = float32(g * float64(t.shape[p][j]) * math.Cos(w))
			t.mod[2*spanSyms*c+spanSyms+j] = float32(-g * float64(t.shape[p][j]) * math.Sin(w))
		}
	}
}

// SetStatusHandler sets the function told of StatusEndOfData and
// StatusShutdownComplete.
func (t *Transmitter) SetStatusHandler(h dsp.StatusHandler) { t.status = h }

// SetShortTrain chooses the short training sequence (true) or the long one
// (false, the default) and restarts the transmission, as Reset. T.30 sends
// the long train before TCF and the short one before later pages, once
// the far receiver has trained on the long one.
func (t *Transmitter) SetShortTrain(short bool) {
	t.short = short
	t.Reset()
}

// Reset starts a new transmission with the training chosen by
// SetShortTrain.
func (t *Transmitter) Reset() {
	t.re = [2 * spanSyms]float32{}
	t.im = [2 * spanSyms]float32{}
	t.pos, t.baud, t.carrier = 0, 0, 0
	t.seg2End = seg1Len + seg2Len
	t.seg3End = t.seg2End + seg3Len
	// The differential encoder starts from Y2 Y1 = 01 after a long train
	// and 00 after a short one, as SpanDSP's receiver expects.
	y := uint8(1)
	if t.short {
		t.seg2End = seg1Len + seg2ShortLen
		t.seg3End = t.seg2End
		y = 0
	}
	t.trainEnd = t.seg3End + seg4Len
	t.enc.Reset(y)
	t.scr = scramblerSeed
	t.symbol, t.train, t.endSym = 0, 0, 0
	t.dataEnd, t.done = false, false
}

// scramble returns the line bit for data bit b: V.17's scrambler,
// 1 + x^-18 + x^-23, with the taps written out (dsp.PolyV29).
func (t *Transmitter) scramble(b uint32) uint32 {
	out := (b ^ t.scr>>17 ^ t.scr>>22) & 1
	t.scr = t.scr<<1 | out
	return out
}

// nextSymbol returns the next point to send (V.17 §2.5, then §2.4).
func (t *Transmitter) nextSymbol() complex64 {
	n := t.symbol
	t.symbol++
	if t.dataEnd {
		t.endSym++
	}
	switch {
	case n < seg1Len:
		// Segment 1: ABAB..., A first.
		return abcd[n&1]
	case n < t.seg2End:
		// Segment 2: C, D, B or A by the scrambler fed with ones.
		t.train = cdba[t.scramble(1)<<1|t.scramble(1)]
		return abcd[t.train]
	case n < t.seg3End:
		// Segment 3: the bridge word, scrambled, as turns of the last
		// training point.
		shift := uint((n-t.seg2End)&7) * 2
		b := t.scramble(bridgeWord>>shift&1)<<1 | t.scramble(bridgeWord>>(shift+1)&1)
		t.train = (t.train + bridgeStep[b]) & 3
		return abcd[t.train]
	case t.endSym > shutdownOnes:
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
func (t *Transmitter) endOfData() {
	t.dataEnd = true
	if t.status != nil {
		t.status(dsp.StatusEndOfData)
	}
}

// Process fills out with line samples and returns how many it wrote: len(out)
// while sending, fewer once the shutdown is over, then 0.
func (t *Transmitter) Process(out []int16) int {
	if t.done {
		return 0
	}
	baud, c := t.baud, t.carrier
	re := (*[spanSyms]float32)(t.re[t.pos:])
	im := (*[spanSyms]float32)(t.im[t.pos:])
	for i := range out {
		if baud += 3; baud >= phases {
			baud -= phases
			if !t.push() {
				t.baud, t.carrier = baud, c
				return i
			}
			re = (*[spanSyms]float32)(t.re[t.pos:])
			im = (*[spanSyms]float32)(t.im[t.pos:])
		}
		// The passband sample Re{x·e^(jωn)} of the shaped baseband x,
		// as one dot product, summed as trees to keep the chains short.
		m := (*[2 * spanSyms]float32)(t.mod[2*spanSyms*c:])
		y := (((m[0]*re[0] + m[1]*re[1]) + (m[2]*re[2] + m[3]*re[3])) +
			((m[4]*re[4] + m[5]*re[5]) + (m[6]*re[6] + m[7]*re[7]))) +
			(((m[9]*im[0] + m[10]*im[1]) + (m[11]*im[2] + m[12]*im[3])) +
				((m[13]*im[4] + m[14]*im[5]) + (m[15]*im[6] + m[16]*im[7]))) +
			(m[8]*re[8] + m[17]*im[8])
		// Round and saturate, in integers: Go's float min and max must
		// handle NaN and cost more.
		v := int32(y+32768.5) - 32768
		out[i] = int16(min(max(v, -32768), 32767))
		if c++; c == carrierPeriod {
			c = 0
		}
	}
	t.baud, t.carrier = baud, c
	return len(out)
}

// push enters the next symbol into the shaper's history, or reports false
// once the shutdown symbols have all been sent.
func (t *Transmitter) push() bool {
	if t.dataEnd && t.endSym == shutdownOnes+shutdownSilence {
		t.done = true
		if t.status != nil {
			t.status(dsp.StatusShutdownComplete)
		}
		return false
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
