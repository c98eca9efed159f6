package v17

import (
	"math"
	"math/bits"
	"sync"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/prefetch"
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

// The modulator of V.17 §2, 2400 baud on an 1800 Hz carrier, with the
// carrier folded into the pulse shaper: a symbol a = I + jQ adds
// Re{a·h(t)·e^(jωt)} to the line. 1800 Hz at 8000 samples/s repeats every
// 40 samples, and 40 samples are 12 whole symbols at 2400 baud, so a
// symbol starts at one of 12 (carrier, shaper) phases, its slot. The
// waveform is linear in the point: in slot s it is I·hc_s − Q·hs_s, with
// hc_s and hs_s the cosine and sine parts of the modulated pulse over the
// waveLen samples from the one at which the symbol enters. The transmitter
// adds that (dsp.Axpy2) into an accumulator a symbol instead of a dot
// product over the symbol history every sample.
//
// The linear form keeps the table to two rows a slot, 3 KB for every rate
// and the training points alike. A row a point (12 slots × 132 points at
// 14400 bit/s, 190 KB; 360 KB for the four rates), one read at random each
// symbol, went cold in the caches between one transmitter's steps when
// thousands take turns.
const (
	slots   = carrierPeriod * BaudRate / dsp.SampleRate // 12
	waveLen = (phases*spanSyms + 2) / 3                 // 30 samples at 3 ticks of 10 a symbol
	// pulseLen is waveLen padded with zeros to whole vectors of 8 for
	// dsp.Axpy2 (whose tail loop costs more than the two zeros).
	pulseLen = 32
	// accWrap is where the accumulator's read position goes back to 0,
	// taking the pending waveLen samples along.
	accWrap = 64
	noPoint = -1 // the symbol index of silence
)

// pulseTable holds, for each slot s, hc_s (row 0) and hs_s (row 1) at unit
// gain, waveLen samples and zeros to pulseLen.
type pulseTable [slots][2][pulseLen]float32

// pulses makes, once, the table of the modulated pulse.
var pulses = sync.OnceValue(func() *pulseTable {
	var p pulseTable
	h := dsp.RootRaisedCosine(rrcBeta, phases, spanSyms)
	// Follow Process: sample c (from the start) advances the shaper 3
	// ticks first, and a new symbol enters when the ticks pass 10.
	slot, baud := 0, 0
	for c := range carrierPeriod {
		if baud += 3; baud < phases {
			continue
		}
		baud -= phases
		for m := range waveLen {
			// Sample c+m takes tap baud+3m+1 of the 24 kHz pulse (tap 0,
			// at the far edge, is left out) while the symbol is one of
			// the spanSyms in the shaper.
			k := baud + 3*m
			if k >= phases*spanSyms {
				break
			}
			wt := 2 * math.Pi * CarrierFreq * float64(c+m) / dsp.SampleRate
			p[slot][0][m] = float32(float64(h[k+1]) * math.Cos(wt))
			p[slot][1][m] = float32(float64(h[k+1]) * math.Sin(wt))
		}
		slot++
	}
	return &p
})

// A Transmitter is a V.17 modulator. It sends the long or the short
// training sequence of V.17 §2.5, then the data from its source, scrambled
// by 1 + x^-18 + x^-23 and trellis coded (V.17 §2.4), then 32 symbols of
// scrambled ones and 48 of silence, and stops.
type Transmitter struct {
	rate   int
	nbits  int
	src    dsp.BitSource
	bsrc   dsp.BitsSource // src, when it gives a symbol's bits at once
	status dsp.StatusHandler
	short  bool

	pulses *pulseTable
	npts   int // points in the rate's alphabet (nextPoint's training points follow)
	gain   float32
	// acc holds the line samples from the next one on (at head), as far
	// as the symbols entered so far make them, at unit gain.
	acc  [accWrap + pulseLen]float32
	head int
	slot int // the slot of the next symbol, 0..11
	baud int // 24 kHz ticks since the newest symbol started (0..9)

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
	t.bsrc, _ = src.(dsp.BitsSource)
	if err := t.enc.init(rate); err != nil {
		return nil, err
	}
	t.nbits = t.enc.BitsPerSymbol()
	t.npts = len(t.enc.points)
	t.pulses = pulses()
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
	t.gain = float32(math.Sqrt(20 * dsp.PowerFromDBm0(dBm0) / meanSymbolPower(t.rate)))
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
	clear(t.acc[:])
	t.head, t.slot, t.baud = 0, 0, 0
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

// SetSource makes src the source of the next transmission's data and
// restarts the transmission, as Reset (the level, the status handler and
// the training chosen by SetShortTrain are kept): a terminal keeps one
// transmitter for every transmission of its calls instead of making one
// each time.
func (t *Transmitter) SetSource(src dsp.BitSource) {
	t.src = src
	t.bsrc, _ = src.(dsp.BitsSource)
	t.Reset()
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
	switch pt := t.nextPoint(); {
	case pt == noPoint:
		return 0
	case pt >= t.npts:
		return abcd[pt-t.npts]
	default:
		return t.enc.points[pt]
	}
}

// nextPoint returns the next point to send (V.17 §2.5, then §2.4) as an
// index: a point of the rate's alphabet, npts and up for the training
// points A to D, or noPoint for silence.
func (t *Transmitter) nextPoint() int {
	n := t.symbol
	t.symbol++
	if t.dataEnd {
		t.endSym++
	}
	switch {
	case n < seg1Len:
		// Segment 1: ABAB..., A first.
		return t.npts + n&1
	case n < t.seg2End:
		// Segment 2: C, D, B or A by the scrambler fed with ones.
		t.train = cdba[t.scramble(1)<<1|t.scramble(1)]
		return t.npts + int(t.train)
	case n < t.seg3End:
		// Segment 3: the bridge word, scrambled, as turns of the last
		// training point.
		shift := uint((n-t.seg2End)&7) * 2
		b := t.scramble(bridgeWord>>shift&1)<<1 | t.scramble(bridgeWord>>(shift+1)&1)
		t.train = (t.train + bridgeStep[b]) & 3
		return t.npts + int(t.train)
	case t.endSym > shutdownOnes:
		return noPoint
	}
	// Segment 4 (scrambled ones), the data, the ones of the shutdown: all
	// trellis coded. The first bit in time is the most significant of d
	// and becomes Q1. When the source runs dry the rest of the symbol is
	// ones.
	nb := t.nbits
	d := uint32(1)<<nb - 1
	if n >= t.trainEnd && !t.dataEnd && t.bsrc != nil {
		v, k := t.bsrc.GetBits(nb)
		d = v
		if k < nb {
			t.endOfData()
			d = (v+1)<<(nb-k) - 1 // and ones
		}
	} else if n >= t.trainEnd && !t.dataEnd {
		d = 0
		for k := range nb {
			v := t.src.GetBit()
			if v == dsp.EndOfData {
				t.endOfData()
				d = (d+1)<<(nb-k) - 1 // and ones
				break
			}
			d = d<<1 | uint32(v)&1
		}
	}
	// The scrambler (as scramble) on all the symbol's bits at once: each
	// line bit depends only on those 18 and 23 before it, all in the
	// register already.
	o := (d ^ t.scr>>(18-nb) ^ t.scr>>(23-nb)) & (1<<nb - 1)
	t.scr = t.scr<<nb | o
	return int(t.enc.Index(bits.Reverse8(uint8(o)) >> (8 - nb)))
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
//
// It takes the accumulator a stretch at a time, up to accWrap: first it
// enters every symbol that begins within the stretch, then converts the
// stretch to samples and clears it, in vectors (dsp.ScaleToInt16). A
// symbol adds nothing before the sample at which it enters, so each sample
// sums the same symbols in the same order as it would sample by sample.
// (Converting a sample at a time between the symbols took 8 to 9% longer
// in BenchmarkTransmitterCold; BenchmarkTransmitter, held up by its
// source's GetBit calls, six a symbol at 14400 bit/s, hardly changed.)
func (t *Transmitter) Process(out []int16) int {
	if t.done {
		return 0
	}
	baud, head, g := t.baud, t.head, t.gain
	acc := &t.acc
	n := 0
	for n < len(out) && !t.done {
		end := min(accWrap, head+len(out)-n)
		// A symbol enters at the sample whose 3 ticks take baud to phases;
		// baud counts the ticks before sample h.
		for h := head; ; {
			s := h + (phases-1-baud)/3
			if s >= end {
				baud += 3 * (end - h)
				break
			}
			baud += 3*(s-h+1) - phases
			h = s + 1
			if !t.push(s) {
				end = s // the shutdown is over: the output ends before s
				break
			}
		}
		dsp.ScaleToInt16(out[n:n+end-head], acc[head:end], g)
		clear(acc[head:end])
		n += end - head
		if head = end; head == accWrap {
			// Samples from accWrap on are pending (the pulse's padding
			// added nothing past waveLen); from waveLen to accWrap were
			// sent and cleared.
			copy(acc[:waveLen], acc[accWrap:])
			clear(acc[accWrap:])
			head = 0
		}
	}
	t.baud, t.head = baud, head
	return n
}

// push adds the next symbol's waveform into the accumulator from head on,
// or reports false once the shutdown symbols have all been sent.
func (t *Transmitter) push(head int) bool {
	if t.dataEnd && t.endSym == shutdownOnes+shutdownSilence {
		t.done = true
		if t.status != nil {
			t.status(dsp.StatusShutdownComplete)
		}
		return false
	}
	a := t.nextSymbol()
	slot := t.slot
	if t.slot++; t.slot == slots {
		t.slot = 0
	}
	if a == 0 { // silence
		return true
	}
	p := &t.pulses[slot]
	dsp.Axpy2(t.acc[head:head+pulseLen], p[0][:], p[1][:], real(a), -imag(a))
	return true
}

// Prefetch asks the CPU to fetch the transmitter's state into its caches
// ahead of the next Process: a server calls it for the next channel while
// it runs this one (see package dsp/prefetch).
func (t *Transmitter) Prefetch() { prefetch.Object(t) }
