package v29

import (
	"fmt"
	"math"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/qam"
)

// Receiver parameters.
const (
	eqLen    = 24 // equaliser taps, half a symbol apart (12 symbols)
	eqCentre = 11 // the tap that starts as a pure delay

	// Carrier detect (dBm0), with hysteresis, as SpanDSP's default cutoff
	// of -45.5 dBm0 ± 2.5 dB.
	carrierOnDBm0  = -45.0
	carrierOffDBm0 = -48.5

	minAlternations = 16 // symbols of segment 2 that must precede segment 3
	// Segment 2 lasts 128 symbols; give up a little after that.
	maxAcquire = seg2Len + 24
	// Segment 4 (scrambled ones, known to the receiver) judges training.
	judgeSymbols = seg4Len
)

type rxStage int

const (
	rxIdle    rxStage = iota // no carrier
	rxAcquire                // settling timing and gain on segment 2, looking for segment 3
	rxTrain                  // equaliser training on segment 3
	rxTest                   // segment 4: known symbols judge the training
	rxData                   // delivering data
	rxParked                 // training failed: wait for the carrier to drop
)

// A Receiver demodulates V.29 line audio into data bits. It finds the
// training sequence of V.29 §2 in what it hears, trains its equaliser on
// segment 3, checks the training against the known segment 4 and only then
// hands data bits to its sink. The signal processing up to the equalised
// symbols is package qam's front end.
type Receiver struct {
	rate   int
	bits   int     // data bits per symbol
	power  float64 // mean symbol power of the rate's alphabet
	sink   dsp.BitSink
	status dsp.StatusHandler
	tp     trainPoints
	fe     *qam.Frontend

	onPow, offPow float32
	acqPower      float32 // the level when acquisition last started
	dropPow       float32 // in data: 12 dB under the trained level means the carrier is gone
	levelSum      float64
	levelN        int

	stage     rxStage
	count     int
	altRun    int
	candidate bool      // the last symbol turned: segment 3 may have begun
	z1, z2    complex64 // the last two equaliser outputs in acquisition
	dsum      complex128
	agcSum    float64
	agcN      int
	trainReg  uint8  // segment 3's generator, replicated
	scr       uint32 // the line bits (descrambler register), newest in bit 0
	phase     uint8  // the last absolute phase, units of 45 degrees
	errSum    float64
	errN      int
	mismatch  int
	mse       float64 // decision error power, for the quality figure
	winSum    float64 // error power summed over the current 32-symbol window
	winN      int
	winPrev   float64 // the last complete window's mean
	trained   bool
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
	r.fe = qam.New(qam.Config{
		CarrierHz: carrierFreq, Baud: baudRate, Rolloff: rrcBeta,
		SymbolPower: r.power, EqLen: eqLen, EqCentre: eqCentre,
	})
	r.onPow = float32(dsp.PowerFromDBm0(carrierOnDBm0))
	r.offPow = float32(dsp.PowerFromDBm0(carrierOffDBm0))
	r.Reset()
	return r, nil
}

// SetStatusHandler sets the handler told of carrier and training events.
func (r *Receiver) SetStatusHandler(h dsp.StatusHandler) { r.status = h }

func (r *Receiver) report(s dsp.Status) {
	if r.status != nil {
		r.status(s)
	}
}

// Reset forgets the signal and waits for a new one.
func (r *Receiver) Reset() {
	r.fe.Meter = 0
	r.stage = rxIdle
	r.trained = false
	r.restart()
}

// restart clears the demodulator for a new signal.
func (r *Receiver) restart() {
	r.fe.Restart()
	r.count, r.altRun = 0, 0
	r.candidate = false
	r.z1, r.z2, r.dsum = 0, 0, 0
	r.agcSum, r.agcN = 0, 0
	r.errSum, r.errN, r.mismatch = 0, 0, 0
	r.mse, r.winSum, r.winN, r.winPrev = 0, 0, 0, 0
	r.levelSum, r.levelN = 0, 0
	r.scr, r.phase = 0, 0
}

// Fill accounts for n lost samples by feeding silence.
func (r *Receiver) Fill(n int) {
	var zero [160]int16
	for n > 0 {
		k := min(n, len(zero))
		r.Process(zero[:k])
		n -= k
	}
}

// Report describes the signal heard.
func (r *Receiver) Report() dsp.RxReport {
	rep := dsp.RxReport{Trained: r.trained}
	if r.levelN > 0 {
		rep.LevelDBm0 = dsp.DBm0FromPower(r.levelSum / float64(r.levelN))
	} else {
		rep.LevelDBm0 = dsp.DBm0FromPower(float64(r.fe.Meter))
	}
	rep.CarrierOffsetHz = r.fe.CarrierOffsetHz()
	rep.SymbolOffsetPPM = r.fe.SymbolOffsetPPM()
	if r.mse > 0 {
		rep.QualityDB = 10 * math.Log10(r.power/r.mse)
	}
	return rep
}

// Process demodulates in and returns len(in).
func (r *Receiver) Process(in []int16) int {
	fe := r.fe
	for _, s := range in {
		x := float32(s)
		fe.Measure(x)
		if r.stage == rxIdle {
			if fe.Meter < r.onPow {
				continue
			}
			r.acquireAgain()
			r.report(dsp.StatusCarrierUp)
		} else if fe.Meter < r.offPow || (r.stage == rxData && fe.Meter < r.dropPow) {
			r.stage = rxIdle
			r.trained = false
			r.report(dsp.StatusCarrierDown)
			continue
		}
		if r.stage == rxAcquire && r.count < 16 && fe.Meter > r.acqPower {
			// The level is still rising at the start of a signal (the
			// meter takes a few symbols): let the gain follow it.
			r.acqPower = fe.Meter
			fe.SetGainFromMeter()
		} else if (r.stage == rxAcquire || r.stage == rxParked) && fe.Meter > 4*r.acqPower {
			// The level jumped by 6 dB: a signal began over the noise we
			// were listening to. Start again on it.
			r.acquireAgain()
		}
		if r.stage == rxParked {
			continue
		}
		if r.stage == rxData && r.levelN < 1<<30 {
			r.levelSum += float64(fe.Meter)
			r.levelN++
		}
		if fe.Sample(x) {
			r.symbol()
		}
	}
	return len(in)
}

// acquireAgain starts looking for a training sequence in what is heard now.
func (r *Receiver) acquireAgain() {
	r.restart()
	r.acqPower = r.fe.Meter
	r.stage = rxAcquire
}

// symbol handles one on-time symbol.
func (r *Receiver) symbol() {
	z := r.fe.Equalise()
	if r.stage == rxAcquire {
		r.acquire(z)
		return
	}
	zr, rot := r.fe.Derotate(z)
	switch r.stage {
	case rxTrain:
		r.train(zr, rot)
	case rxTest:
		r.test(zr, rot)
	case rxData:
		r.data(zr, rot)
	}
}

// acquire waits for timing to settle on segment 2's alternations, refines
// the gain, estimates the carrier frequency, and finds the first symbol of
// segment 3 (V.29 §2): the first that differs by about 180 degrees from
// the symbol two before it, where segment 2 repeats every two symbols.
func (r *Receiver) acquire(z complex64) {
	r.count++
	prev2 := r.z2
	r.z2, r.z1 = r.z1, z
	if r.count > maxAcquire {
		// No training sequence here (noise, or a signal of another kind):
		// keep listening.
		r.acquireAgain()
		return
	}
	if r.count <= 6 { // the equaliser's delay line is still filling
		return
	}
	if r.count > 16 && r.count <= 28 {
		r.agcSum += float64(real(z)*real(z) + imag(z)*imag(z))
		r.agcN++
		if r.count == 28 && r.agcSum > 0 {
			// The first gain came from the power meter, so the correction is
			// small on a real signal; bound it so silence cannot blow it up.
			g := float32(math.Sqrt(r.power * float64(r.agcN) / r.agcSum))
			g = min(max(g, 1.0/32), 32)
			r.fe.ScaleGain(g)
			gc := complex(g, 0)
			z *= gc
			r.z1 *= gc
			r.z2 *= gc
			prev2 *= gc
		}
	}
	// d = z·conj(z two symbols back): about +|z|² in segment 2, where the
	// phase moves only by the carrier offset, and about -|z|² at segment
	// 3's first two symbols, C after B and D after A.
	dr := real(z)*real(prev2) + imag(z)*imag(prev2)
	di := imag(z)*real(prev2) - real(z)*imag(prev2)
	if r.candidate {
		r.candidate = false
		if dr < 0 {
			// The second turn confirms the first: the last symbol was C
			// and this one is D.
			r.startTraining(z)
			return
		}
		// A lone turn was noise within segment 2.
	}
	if dr >= 0 {
		r.altRun++
		if r.count > 28 {
			r.dsum += complex(float64(dr), float64(di))
		}
		return
	}
	if r.altRun < minAlternations {
		// Not (yet) a credible segment 2.
		r.altRun = 0
		r.dsum = 0
		return
	}
	// Perhaps segment 3's first symbol; the next must turn too. (Only
	// the first two symbols of segment 3 turn by 180 degrees from two
	// symbols before; a receiver that took a later turn for the start
	// would train one or more symbols out of step.)
	r.candidate = true
}

// startTraining begins segment 3 training; z is its second symbol, D.
func (r *Receiver) startTraining(z complex64) {
	// The phase moved by twice a symbol's carrier offset between symbols
	// two apart.
	omega := 0.0
	if r.dsum != 0 {
		omega = math.Atan2(imag(r.dsum), real(r.dsum)) / 2
	}
	offHz := omega * baudRate / (2 * math.Pi)
	if math.Abs(offHz) > 20 {
		r.fail() // no fax modem is that far off (SpanDSP allows ±20 Hz too)
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
	r.stage = rxTrain
	r.count = 2
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
	f := 1 - float64(r.count)/seg3Len
	r.fe.TrackCarrier(zr, target, 0.05+0.2*f, 0.001+0.01*f)
	r.fe.Adapt(zr, target, rot, float32(0.005+0.02*f))
	r.count++
	if r.count == seg3Len {
		r.stage = rxTest
		r.count = 0
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
	r.count++
	if r.count < judgeSymbols {
		return
	}
	mse := r.errSum / float64(r.errN)
	// SpanDSP's bound: a mean error power under 1, in units where the
	// nearest points are 2 apart. Noise may flip a symbol or two near a
	// threshold; a signal that is not the expected one gets most wrong.
	if r.mismatch > 2 || mse > 1 {
		r.fail()
		return
	}
	r.mse = mse
	// Line noise can lie above the absolute carrier-off level; the signal
	// has gone when the level falls 12 dB below what it trained on.
	r.dropPow = r.fe.Meter / 16
	r.stage = rxData
	r.trained = true
	r.report(dsp.StatusTrainingSucceeded)
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
	target := points[k]
	e := zr - target
	// Quality comes from the last complete 32-symbol window but one, so
	// the fading tail of a transmission does not spoil the figure.
	r.winSum += float64(real(e)*real(e) + imag(e)*imag(e))
	if r.winN++; r.winN == 32 {
		if r.winPrev > 0 {
			r.mse = r.winPrev
		}
		r.winPrev = r.winSum / 32
		r.winSum, r.winN = 0, 0
	}
	r.fe.TrackCarrier(zr, target, 0.05, 0.0005)
	r.fe.Adapt(zr, target, rot, 0.002)
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

func (r *Receiver) fail() {
	r.stage = rxParked
	r.report(dsp.StatusTrainingFailed)
}
