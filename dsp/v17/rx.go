package v17

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/prefetch"
	"github.com/faxd/faxd/dsp/qam"
)

// Receiver parameters.
const (
	eqLen    = 20 // equaliser taps, half a symbol apart (10 symbols)
	eqCentre = 9  // the tap that starts as a pure delay

	minAlternations = 16 // symbols of segment 1 that must precede segment 2
	// Segment 1 lasts 256 symbols; give up a little after that.
	maxAcquire = seg1Len + 24
	// How many segment 4 symbols may be decided wrongly (each on its own,
	// before the trellis code's help) for the training to pass: a third,
	// where a signal that is not the one expected gets nearly all wrong.
	maxMismatch = 16
	// probeSymbols of a short train's segment 4 tell it from a long
	// train's segment 2.
	probeSymbols = 8
)

// A Receiver demodulates V.17 line audio into data bits. It finds the
// training sequence of V.17 §2.5 in what it hears, trains its equaliser on
// segments 2 and 3 (whose symbols it replicates from the scrambler),
// checks the training against the known segment 4 and only then hands
// data bits, decoded by the Viterbi decoder, to its sink.
//
// After a long train it can take a short one (SetShortTrain): it then keeps
// the equaliser and carrier frequency it trained, as T.30 expects for the
// pages after the first.
type Receiver struct {
	rate  int
	nbits int
	sink  dsp.BitSink
	bsink dsp.BitsSink // sink, when it takes a symbol's bits at once
	link  qam.Link
	fe    *qam.Frontend // link.Fe, &front
	vit   *Viterbi      // &viterbi
	// The front end and the decoder are held here, not allocated apart:
	// a server running thousands of receivers fetches one object from
	// memory for each on every 20 ms block, not three.
	front   qam.Frontend
	viterbi Viterbi
	enc     Encoder // replica of the transmitter's, for segment 4
	points  []complex64
	// mseLimit bounds the mean error power on segment 4: a sixth of the
	// squared smallest distance between the rate's points, about where
	// the Viterbi decoder stops correcting (signal to error 21, 18, 15
	// and 12 dB at 14400, 12000, 9600 and 7200 bit/s; below, at 14400
	// bit/s, it makes more symbol errors than it mends).
	mseLimit float64

	short      bool // expect the short train (or, failing that, the long one)
	probe      bool // in a short train's segment 4, still checking it is not a long train's segment 2
	altScr     uint32
	altTrain   uint8
	altErr     float64
	haveEq     bool // an equaliser from a successful long train is saved
	saveWr     [qam.MaxEqLen]float32
	saveWi     [qam.MaxEqLen]float32
	saveFreq   float64 // the carrier offset found then
	saveGain   float32 // the front end's gain then
	saveTiming float64 // the timing loop's frequency then
	saveLevel  float64 // and the mean level over segment 1's alternation then
	abLevel    float64 // the mean level over this train's alternation

	alt      qam.Alternation
	seg2Len  int    // this train's segment 2
	scr      uint32 // the replica scrambler's register (line bits)
	desc     uint32 // the descrambler's register, TracebackDepth symbols behind
	train    uint8  // the last training point, A to D
	errSum   float64
	errN     int
	mismatch int
	decoded  int // symbols the Viterbi decoder has delivered since segment 4 began

	// The previous data symbol, its decision and rotation, whose equaliser
	// update waits for the next symbol (see data).
	late       bool
	lateZr     complex64
	lateTarget complex64
	lateRot    qam.Rotation
}

// NewReceiver returns a receiver at rate bit/s (14400, 12000, 9600 or 7200)
// that hands its data bits to sink. It expects the long train.
func NewReceiver(rate int, sink dsp.BitSink) (*Receiver, error) {
	r := &Receiver{rate: rate, nbits: BitsPerSymbol(rate), sink: sink}
	r.vit = &r.viterbi
	if err := r.vit.init(rate); err != nil {
		return nil, err
	}
	r.bsink, _ = sink.(dsp.BitsSink)
	if err := r.enc.init(rate); err != nil {
		return nil, err
	}
	r.points = constellation(rate)
	dmin := math.Inf(1)
	for i, a := range r.points {
		for _, b := range r.points[i+1:] {
			d := a - b
			dmin = math.Min(dmin, float64(real(d)*real(d)+imag(d)*imag(d)))
		}
	}
	r.mseLimit = dmin / 6
	r.fe = &r.front
	r.fe.Init(qam.Config{
		CarrierHz: CarrierFreq, Baud: BaudRate, Rolloff: rrcBeta,
		SymbolPower: 40, EqLen: eqLen, EqCentre: eqCentre,
		KeepPrevious: true, // for data's delayed update
	})
	r.alt = qam.Alternation{Power: 40, MinRun: minAlternations, Gain: r.shortTrainGain}
	r.link.Init(r.fe, 16, r.restart, r.symbol)
	return r, nil
}

// SetStatusHandler sets the handler told of carrier and training events.
func (r *Receiver) SetStatusHandler(h dsp.StatusHandler) { r.link.SetStatusHandler(h) }

// SetShortTrain says whether the next transmission may start with the short
// train (true), which reuses the equaliser of the last successful long
// train, or must start with the long one (false). A receiver expecting the
// short train still takes a long one: the first symbols after the short
// train's segment 2 tell the two apart. After a successful long train the
// receiver expects the short one, as SpanDSP's does; T.30 sends the long
// train before TCF and, at the transmitter's choice, short ones after.
func (r *Receiver) SetShortTrain(short bool) { r.short = short }

// Reset forgets the signal and waits for a new one (a saved equaliser is
// kept for a short train).
func (r *Receiver) Reset() { r.link.Reset() }

// Forget resets the receiver as Reset does and also drops the equaliser,
// carrier, gain and timing saved from the last long train, and expects the
// long train again: the receiver is as NewReceiver made it (its sink and
// status handler kept). A terminal reusing the receiver for a new call
// calls it, as a short train there must never start from another call's
// line.
func (r *Receiver) Forget() {
	r.short, r.haveEq = false, false
	clear(r.saveWr[:])
	clear(r.saveWi[:])
	r.saveFreq, r.saveGain, r.saveTiming, r.saveLevel = 0, 0, 0, 0
	r.link.Reset()
}

// restart clears the receiver's own state for a new signal, after the
// front end's.
func (r *Receiver) restart() {
	if r.short && r.haveEq {
		r.fe.SetTaps(r.saveWr[:], r.saveWi[:])
		r.fe.RetuneCarrier(r.saveFreq)
		r.fe.SetTimingRate(r.saveTiming)
	}
	r.alt.Reset()
	r.errSum, r.errN, r.mismatch = 0, 0, 0
	r.decoded = 0
	r.late = false
}

// Fill accounts for n lost samples by feeding silence.
func (r *Receiver) Fill(n int) { r.link.Fill(n) }

// Report describes the signal heard.
func (r *Receiver) Report() dsp.RxReport { return r.link.Report() }

// Process demodulates in and returns len(in).
func (r *Receiver) Process(in []int16) int { return r.link.Process(in) }

// symbol handles one on-time symbol.
func (r *Receiver) symbol(z complex64) {
	if r.link.Stage == qam.Acquire {
		r.acquire(z)
		return
	}
	zr, rot := r.fe.Derotate(z)
	switch r.link.Stage {
	case qam.Train:
		r.trainSymbol(zr, rot)
	case qam.Test:
		r.test(zr, rot)
	case qam.Data:
		r.data(zr, rot)
	}
}

// acquire waits for timing to settle on segment 1's alternation of A and
// B, refines the gain, estimates the carrier frequency, and finds the start
// of segment 2 (V.17 §2.5): its first two symbols, C and D, each differ by
// 180 degrees from the symbol two before, where segment 1 repeats every
// two symbols.
func (r *Receiver) acquire(z complex64) {
	r.link.Count++
	if r.link.Count > maxAcquire {
		// No training sequence here (noise, or a signal of another kind):
		// keep listening.
		r.link.Reacquire()
		return
	}
	if found, omega := r.alt.Symbol(r.fe, z, r.link.Count); found {
		r.startTraining(z, omega)
	}
}

// shortTrainGain keeps, for a short train, the gain the saved equaliser
// was trained with, moved by the change of level: the saved equaliser's
// gain on the alternation is not its gain on data. The levels compared are
// both means over the same symbols of segment 1's alternation (whose line
// power, two tones at the band edges, is not that of data). A long train
// keeps the measured correction g and notes the level.
func (r *Receiver) shortTrainGain(g float32, level float64) float32 {
	if r.short && r.haveEq && level > 0 && r.saveLevel > 0 {
		return r.saveGain * float32(math.Sqrt(r.saveLevel/level)) / r.fe.Gain()
	}
	r.abLevel = level
	return g
}

// startTraining begins training on segment 2; z is its second symbol, D.
func (r *Receiver) startTraining(z complex64, omega float64) {
	fe := r.fe
	offHz := omega * BaudRate / (2 * math.Pi)
	if math.Abs(offHz) > 20 {
		r.link.Fail() // no fax modem is that far off (SpanDSP allows ±20 Hz too)
		return
	}
	fe.RetuneCarrier(offHz)
	fe.Omega = 0
	d := abcd[pointD]
	fe.SetPhase(math.Atan2(float64(imag(z)), float64(real(z))) - math.Atan2(float64(imag(d)), float64(real(d))))
	// Those two symbols used the scrambler's first four bits.
	r.scr = scramblerSeed
	for range 4 {
		r.scramble(1)
	}
	r.train = pointD
	r.seg2Len = seg2Len
	if r.short && r.haveEq {
		r.seg2Len = seg2ShortLen
	}
	fe.Acquiring = false
	r.link.Stage = qam.Train
	r.link.Count = 2
	r.errSum, r.errN = 0, 0
}

// scramble passes one bit through the 1 + x^-18 + x^-23 scrambler, whose
// register holds the line bits.
func (r *Receiver) scramble(b uint32) uint32 { return scrambleReg(&r.scr, b) }

// scrambleReg is the scrambler on register reg.
func scrambleReg(reg *uint32, b uint32) uint32 {
	out := (b ^ *reg>>17 ^ *reg>>22) & 1
	*reg = *reg<<1 | out
	return out
}

// trainSymbol adapts the equaliser and carrier loop on the known symbols
// of segment 2 (C, D, B or A by the scrambler) and segment 3 (the bridge).
func (r *Receiver) trainSymbol(zr complex64, rot qam.Rotation) {
	n := r.link.Count
	if n < r.seg2Len {
		r.train = cdba[r.scramble(1)<<1|r.scramble(1)]
	} else {
		shift := uint((n-r.seg2Len)&7) * 2
		b := r.scramble(bridgeWord>>shift&1)<<1 | r.scramble(bridgeWord>>(shift+1)&1)
		r.train = (r.train + bridgeStep[b]) & 3
	}
	target := abcd[r.train]
	// Loops start wide and narrow as the long segment goes on; the short
	// train starts from a trained equaliser.
	f := max(0, 1-float64(n)/600)
	if r.seg2Len == seg2ShortLen {
		f = 0.2
	}
	r.fe.TrackCarrier(zr, target, 0.05+0.2*f, 0.001+0.01*f)
	r.fe.Adapt(zr, target, rot, float32(0.003+0.02*f))
	r.link.Count++
	end := r.seg2Len + seg3Len
	if r.seg2Len == seg2ShortLen {
		end = r.seg2Len // no bridge in the short train
	}
	if r.link.Count < end {
		return
	}
	// Segment 4 begins: the transmitter's trellis encoder starts from
	// state 0, its differential code from Y2 Y1 = 1 (long) or 0 (short).
	y := uint8(1)
	if r.seg2Len == seg2ShortLen {
		y = 0
	}
	r.enc.Reset(y)
	r.vit.SetDiff(y)
	r.vit.Reset()
	r.desc = r.scr
	// A short train's segment 4 might be a long train's segment 2 going
	// on: a transmitter is free to send the long one again. Check its
	// first symbols against both.
	r.probe = r.seg2Len == seg2ShortLen
	r.altScr, r.altTrain, r.altErr = r.scr, r.train, 0
	r.link.Stage = qam.Test
	r.link.Count = 0
	r.mismatch = 0
	r.errSum, r.errN = 0, 0
	r.decoded = 0
}

// onesSymbol returns the index of segment 4's next point: scrambled ones
// through the trellis encoder.
func (r *Receiver) onesSymbol() uint8 {
	var q uint32
	for i := range r.nbits {
		q |= r.scramble(1) << i
	}
	return r.enc.Index(uint8(q))
}

// test checks segment 4's known symbols against what is heard, and starts
// the Viterbi decoder on them.
func (r *Receiver) test(zr complex64, rot qam.Rotation) {
	want := r.onesSymbol()
	target := r.points[want]
	r.decode(zr)
	if r.vit.Tentative() != target {
		r.mismatch++
	}
	e := zr - target
	r.errSum += float64(real(e)*real(e) + imag(e)*imag(e))
	r.errN++
	if r.probe {
		b := scrambleReg(&r.altScr, 1)<<1 | scrambleReg(&r.altScr, 1)
		r.altTrain = cdba[b]
		d := zr - abcd[r.altTrain]
		r.altErr += float64(real(d)*real(d) + imag(d)*imag(d))
		r.link.Count++
		if r.link.Count < probeSymbols {
			return // neither target is sure yet: no tracking on a guess
		}
		r.probe = false
		if r.altErr*4 < r.errSum {
			// It is segment 2 of a long train: train on it to the end.
			r.seg2Len = seg2Len
			r.scr, r.train = r.altScr, r.altTrain
			r.link.Stage = qam.Train
			r.link.Count += seg2ShortLen
			r.errSum, r.errN = 0, 0
			return
		}
		// A short train: judge it on the rest of segment 4, once the
		// loops have settled from the short segment 2.
		r.errSum, r.errN, r.mismatch = 0, 0, 0
	}
	r.fe.TrackCarrier(zr, target, 0.05, 0.001)
	r.fe.Adapt(zr, target, rot, 0.003)
	r.link.Count++
	if r.link.Count < seg4Len {
		return
	}
	mse := r.errSum / float64(r.errN)
	if r.mismatch > maxMismatch || mse > r.mseLimit {
		r.link.Fail()
		return
	}
	if r.seg2Len != seg2ShortLen {
		// A long train: keep what it trained for the short trains to
		// come, and expect one next, as SpanDSP's receiver does.
		r.short = true
		r.fe.Taps(r.saveWr[:], r.saveWi[:])
		r.saveFreq = r.fe.CarrierOffsetHz()
		r.saveGain = r.fe.Gain()
		r.saveTiming = r.fe.TimingRate()
		r.saveLevel = r.abLevel
		r.haveEq = true
	}
	r.late = false
	r.link.Succeed(mse)
}

// decode runs the Viterbi decoder on zr and hands on the data bits it
// delivers: those of segment 4's symbols (scrambled ones) only advance the
// descrambler. Bits come out TracebackDepth symbols late.
func (r *Receiver) decode(zr complex64) {
	q, ok := r.vit.Decode(zr)
	if !ok {
		return
	}
	r.decoded++
	// The descrambler takes the symbol's bits, Q1 first, all at once: the
	// register holds the line bits with the newest in bit 0, and no tap
	// (bits 17 and 22) reaches a bit of the same symbol (at most six), so
	// bit i of the output is Q(i+1) ^ d(17-i) ^ d(22-i) of the register d
	// before the symbol. In register order (the first bit highest):
	n := uint(r.nbits)
	d := r.desc
	in := uint32(bits.Reverse8(q) >> (8 - n))
	out := (in ^ d>>(18-n) ^ d>>(23-n)) & (1<<n - 1)
	r.desc = d<<n | in
	if r.decoded <= seg4Len {
		return
	}
	if r.bsink != nil {
		r.bsink.PutBits(out, int(n))
		return
	}
	for i := int(n) - 1; i >= 0; i-- {
		r.sink.PutBit(int(out>>uint(i)) & 1)
	}
}

// data decodes a symbol and tracks on its tentative decision: the carrier
// loop at once, the equaliser one symbol late (delayed LMS, see
// qam.Frontend.AdaptPrevious), once this symbol has been equalised. Updated
// at once, every symbol's equaliser output waited on a chain from the last
// one's dot product through the Viterbi decoder's tentative decision and
// the update; late, consecutive symbols' work overlaps: about 6% less time
// a sample at 14400 bit/s (48.1 against 51.2 ns, medians of alternated
// runs), with bit error rates near each rate's threshold no worse
// (faxbench modems' BER sweep, 400 transmissions of 10 s a point: at 14400
// bit/s 1.24M errors in all against 1.47M at 20.5 dB, 117k against 205k
// at 21 dB; no difference at 12000, 9600 and 7200). A build that delayed
// the carrier loop too (not kept) saved a little more but lost reception
// at 14400 bit/s and 20.5 dB: the loop's phase error is the symbol's own,
// and a symbol's delay weakens the loop. Training keeps the immediate
// updates: there the steps are wide.
func (r *Receiver) data(zr complex64, rot qam.Rotation) {
	if r.late {
		r.fe.AdaptPrevious(r.lateZr, r.lateTarget, r.lateRot, 0.002)
	}
	r.decode(zr)
	if r.fe.Hold {
		// Nothing to learn from a hole in the signal: decode only.
		r.late = false
		return
	}
	target := r.vit.Tentative()
	r.link.Quality(zr - target)
	r.fe.TrackCarrier(zr, target, 0.05, 0.0005)
	r.late, r.lateZr, r.lateTarget, r.lateRot = true, zr, target, rot
}

// String names the receiver, for logs.
func (r *Receiver) String() string { return fmt.Sprintf("V.17 %d bit/s receiver", r.rate) }

// Prefetch asks the CPU to fetch the receiver's state into its caches
// ahead of the next Process: a server calls it for the next channel while
// it runs this one (see package dsp/prefetch).
func (r *Receiver) Prefetch() { prefetch.Object(r) }
