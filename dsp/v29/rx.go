package v29

import (
	"fmt"
	"math"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/prefetch"
	"github.com/faxd/faxd/dsp/qam"
)

// Receiver parameters.
const (
	eqLen    = 24 // equaliser taps, half a symbol apart (12 symbols)
	eqCentre = 11 // the tap that starts as a pure delay

	minAlternations = 16 // symbols of segment 2 that must precede segment 3
	// Segment 2 lasts 128 symbols; give up a little after that.
	maxAcquire = seg2Len + 24
	// Segment 4 (scrambled ones, known to the receiver) judges training.
	judgeSymbols = seg4Len
)

// A Receiver demodulates V.29 line audio into data bits. It finds the
// training sequence of V.29 §2 in what it hears, trains its equaliser on
// segment 3, checks the training against the known segment 4 and only then
// hands data bits to its sink. The signal processing up to the equalised
// symbols is package qam's front end.
type Receiver struct {
	rate  int
	bits  int     // data bits per symbol
	power float64 // mean symbol power of the rate's alphabet
	sink  dsp.BitSink
	tp    trainPoints
	link  qam.Link
	fe    *qam.Frontend // link.Fe, &front
	front qam.Frontend  // held here: one object, not two, for a server's blocks to fetch

	alt      qam.Alternation
	trainReg uint8  // segment 3's generator, replicated
	scr      uint32 // the line bits (descrambler register), newest in bit 0
	phase    uint8  // the last absolute phase, units of 45 degrees
	errSum   float64
	errN     int
	mismatch int
}

// NewReceiver returns a receiver at rate bit/s (9600, 7200 or 4800) that
// hands its data bits to sink.
func NewReceiver(rate int, sink dsp.BitSink) (*Receiver, error) {
	r := &Receiver{rate: rate, sink: sink, tp: trainingPoints(rate)}
	switch rate {
	case 9600:
		r.bits = 4
	case 7200:
		r.bits = 3
	case 4800:
		r.bits = 2
	default:
		return nil, fmt.Errorf("%w: %d", ErrRate, rate)
	}
	r.power = meanSymbolPower(rate)
	r.fe = &r.front
	r.fe.Init(qam.Config{
		CarrierHz: carrierFreq, Baud: baudRate, Rolloff: rrcBeta,
		SymbolPower: r.power, EqLen: eqLen, EqCentre: eqCentre,
	})
	r.alt = qam.Alternation{Power: r.power, MinRun: minAlternations}
	r.link.Init(r.fe, 16, r.restart, r.symbol)
	return r, nil
}

// SetStatusHandler sets the handler told of carrier and training events.
func (r *Receiver) SetStatusHandler(h dsp.StatusHandler) { r.link.SetStatusHandler(h) }

// Reset forgets the signal and waits for a new one.
func (r *Receiver) Reset() { r.link.Reset() }

// restart clears the receiver's own state for a new signal, after the
// front end's.
func (r *Receiver) restart() {
	r.alt.Reset()
	r.errSum, r.errN, r.mismatch = 0, 0, 0
	r.scr, r.phase = 0, 0
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
		r.train(zr, rot)
	case qam.Test:
		r.test(zr, rot)
	case qam.Data:
		r.data(zr, rot)
	}
}

// acquire waits for timing to settle on segment 2's alternations, refines
// the gain, estimates the carrier frequency, and finds the start of
// segment 3 (V.29 §2), whose first two symbols, C and D, each differ by
// 180 degrees from the symbol two before (qam.Alternation).
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

// startTraining begins segment 3 training; z is its second symbol, D.
func (r *Receiver) startTraining(z complex64, omega float64) {
	offHz := omega * baudRate / (2 * math.Pi)
	if math.Abs(offHz) > 20 {
		r.link.Fail() // no fax modem is that far off (SpanDSP allows ±20 Hz too)
		return
	}
	// Move the mixer onto the far carrier, so the equaliser sees a signal
	// that does not rotate; the phase loop keeps what is left.
	r.fe.RetuneCarrier(offHz)
	r.fe.Omega = 0
	r.fe.SetPhase(math.Atan2(float64(imag(z)), float64(real(z))) - math.Atan2(float64(imag(r.tp.d)), float64(real(r.tp.d))))
	r.fe.Acquiring = false
	// Those two symbols used the generator's first two bits (0, 1: C, D).
	r.trainReg = trainingSeed
	r.trainingBit()
	r.trainingBit()
	r.link.Stage = qam.Train
	r.link.Count = 2
	r.errSum, r.errN = 0, 0
}

// trainingBit steps segment 3's 1 + x^-6 + x^-7 generator (V.29 §2).
func (r *Receiver) trainingBit() uint8 {
	b := r.trainReg & 1
	r.trainReg = r.trainReg>>1 | ((b^(r.trainReg>>1))&1)<<6
	return b
}

// train adapts the equaliser and carrier loop on segment 3's known
// symbols.
func (r *Receiver) train(zr complex64, rot qam.Rotation) {
	target := r.tp.c
	if r.trainingBit() == 1 {
		target = r.tp.d
	}
	// Loops start wide and narrow as the segment goes on.
	f := 1 - float64(r.link.Count)/seg3Len
	r.fe.TrackCarrier(zr, target, 0.05+0.2*f, 0.001+0.01*f)
	r.fe.Adapt(zr, target, rot, float32(0.005+0.02*f))
	r.link.Count++
	if r.link.Count == seg3Len {
		r.link.Stage = qam.Test
		r.link.Count = 0
		r.mismatch = 0
		r.errSum, r.errN = 0, 0
		r.scr, r.phase = 0, 0
	}
}

// scramble passes one bit through the 1 + x^-18 + x^-23 scrambler (V.29
// §5), whose register holds the line bits; the transmitter's starts at
// zero at segment 4.
func (r *Receiver) scramble(b uint32) uint32 {
	out := (b ^ r.scr>>17 ^ r.scr>>22) & 1
	r.scr = r.scr<<1 | out
	return out
}

// descramble recovers a data bit from a line bit.
func (r *Receiver) descramble(in uint32) int {
	out := (in ^ r.scr>>17 ^ r.scr>>22) & 1
	r.scr = r.scr<<1 | in
	return int(out)
}

// test decides segment 4's symbols (scrambled ones) and checks them against
// what the transmitter must have sent.
func (r *Receiver) test(zr complex64, rot qam.Rotation) {
	amp := uint8(0)
	if r.rate == 9600 && r.scramble(1) == 1 {
		amp = 8
	}
	q := r.scramble(1)<<1 | r.scramble(1)
	if r.rate == 4800 {
		r.phase = (r.phase + phaseStep4[q]) & 7
	} else {
		q = q<<1 | r.scramble(1)
		r.phase = (r.phase + phaseStep8[q]) & 7
	}
	want := amp | r.phase
	if r.decide(zr) != want {
		r.mismatch++
	}
	target := points[want]
	e := zr - target
	r.errSum += float64(real(e)*real(e) + imag(e)*imag(e))
	r.errN++
	r.fe.TrackCarrier(zr, target, 0.05, 0.001)
	r.fe.Adapt(zr, target, rot, 0.005)
	r.link.Count++
	if r.link.Count < judgeSymbols {
		return
	}
	mse := r.errSum / float64(r.errN)
	// SpanDSP's bound: a mean error power under 1, in units where the
	// nearest points are 2 apart. Noise may flip a symbol or two near a
	// threshold; a signal that is not the expected one gets most wrong.
	if r.mismatch > 2 || mse > 1 {
		r.link.Fail()
		return
	}
	r.link.Succeed(mse)
}

// decide returns the index into points of the rate's point nearest zr.
//
// Every alphabet is symmetric under quarter turns and under reflection in
// the real axis, and both are exact in floating point (swaps and
// negations). So zr is turned back by q quarters into the sector within 45
// degrees of the positive real axis, and folded into its upper half. There
// the nearest point is 3 or 1+1i, or at 9600 bit/s also 5 or 3+3i (the
// points of the neighbouring quarters are never nearer: on the sector's
// edges they lose to the diagonal ones). The distances measured are, bit
// for bit, those a search of the whole alphabet would compare, and there
// are no data-dependent branches to mispredict. The answer is then
// unfolded and turned forward again.
func (r *Receiver) decide(zr complex64) uint8 {
	x, y := real(zr), imag(zr)
	// Signs as bits, and distances compared as keys made of their bit
	// patterns (non-negative floats order as their bits do) with the
	// point's index below, so the compiler selects with conditional moves
	// rather than branches that random data would mispredict.
	u := ^math.Float32bits(x+y) >> 31 << 1 // x+y >= 0
	v := ^math.Float32bits(x-y) >> 31      // x-y >= 0
	q := quarterOf[(u|v)&3]
	t := unturn[q&3]
	x, y = x*t[0]+y*t[1], y*t[0]-x*t[1]
	if r.rate == 4800 {
		return 2 * q // the axis points only
	}
	ay := float32(math.Abs(float64(y)))
	k := min(distKey(x-3, ay, 0), distKey(x-1, ay-1, 1))
	if r.rate == 9600 {
		k = min(k, distKey(x-5, ay, 8), distKey(x-3, ay-3, 9))
	}
	best := uint8(k)
	m := uint8(int32(math.Float32bits(y)) >> 31) // all ones below the axis
	ph := (best&7 ^ m - m) & 7                   // there phase 1 is phase 7
	return best&8 | (ph+2*q)&7
}

// distKey returns a key that orders as dx²+dy² does, with point index k in
// its low byte.
func distKey(dx, dy float32, k uint8) uint64 {
	return uint64(math.Float32bits(dx*dx+dy*dy))<<8 | uint64(k)
}

var (
	// quarterOf maps (x+y >= 0)·2 + (x-y >= 0) to the quarter turns that
	// bring x+yi nearest the positive real axis.
	quarterOf = [4]uint8{2, 3, 1, 0}
	// unturn holds the cosine and sine that turn back by q quarters.
	unturn = [4][2]float32{{1, 0}, {0, 1}, {-1, 0}, {0, -1}}
)

// Inverse phase-change tables: the bits for a phase step of k·45°.
var (
	bitsForStep8 = [8]uint8{1, 0, 2, 3, 7, 6, 4, 5}
	bitsForStep4 = [8]uint8{0, 0, 1, 0, 3, 0, 2, 0}
)

// data decides a symbol, tracks, and hands the descrambled bits on.
func (r *Receiver) data(zr complex64, rot qam.Rotation) {
	k := r.decide(zr)
	ph := k & 7
	step := (ph - r.phase) & 7
	r.phase = ph
	if !r.fe.Hold { // nothing to learn from a hole in the signal
		target := points[k]
		r.link.Quality(zr - target)
		r.fe.TrackCarrier(zr, target, 0.05, 0.0005)
		r.fe.Adapt(zr, target, rot, 0.002)
	}
	if r.rate == 9600 {
		r.sink.PutBit(r.descramble(uint32(k >> 3)))
	}
	if r.rate == 4800 {
		q := bitsForStep4[step]
		r.sink.PutBit(r.descramble(uint32(q>>1) & 1))
		r.sink.PutBit(r.descramble(uint32(q) & 1))
		return
	}
	q := bitsForStep8[step]
	r.sink.PutBit(r.descramble(uint32(q>>2) & 1))
	r.sink.PutBit(r.descramble(uint32(q>>1) & 1))
	r.sink.PutBit(r.descramble(uint32(q) & 1))
}

// Prefetch asks the CPU to fetch the receiver's state into its caches
// ahead of the next Process: a server calls it for the next channel while
// it runs this one (see package dsp/prefetch).
func (r *Receiver) Prefetch() { prefetch.Object(r) }
