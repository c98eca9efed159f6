package v29

import (
	"fmt"
	"math"

	"github.com/faxd/faxd/dsp"
)

// Receiver parameters.
const (
	mfPhases = 32 // matched-filter interpolation phases per sample
	rxSpan   = 8  // matched filter length in symbols
	eqLen    = 24 // equaliser taps, half a symbol apart (12 symbols)
	eqCentre = 11 // the tap that starts as a pure delay

	// Carrier detect (dBm0), with hysteresis, as SpanDSP's default cutoff
	// of -45.5 dBm0 ± 2.5 dB; the meter's time constant in samples.
	carrierOnDBm0  = -45.0
	carrierOffDBm0 = -48.5
	meterSamples   = 40

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
// hands data bits to its sink.
type Receiver struct {
	rate   int
	bits   int     // data bits per symbol
	power  float64 // mean symbol power of the rate's alphabet
	sink   dsp.BitSink
	status dsp.StatusHandler
	tp     trainPoints

	// carrier detect and level
	meter      float32
	meterAlpha float32
	onPow      float32
	offPow     float32
	acqPower   float32 // the level when acquisition last started
	dropPow    float32 // in data: 12 dB under the trained level means the carrier is gone
	levelSum   float64
	levelN     int

	// mixer and matched filter
	nco    dsp.NCO
	ntaps  int
	mf     []float32 // mfPhases × ntaps, each phase's taps oldest first
	bre    []float32 // baseband ring, doubled
	bim    []float32
	bpos   int
	frac   float64 // next output instant relative to the newest sample
	period float64 // half a symbol, nominal, in samples
	tfreq  float64 // timing loop integrator, samples per half symbol
	onTime bool
	gain   float32
	yMid   complex64
	yPrev  complex64

	// equaliser, a T/2 delay line doubled so a window is contiguous
	ure, uim [2 * eqLen]float32
	upos     int
	upow     float32 // the power in the delay line's window, kept as it moves
	wre, wim [eqLen]float32

	// carrier phase (radians) and its rate (radians a symbol)
	theta, omega float64

	// training and data
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
	sps := float64(dsp.SampleRate) / baudRate
	r.period = sps / 2
	r.ntaps = int(math.Ceil(rxSpan*sps)) + 1
	// The matched filter sampled every 1/mfPhases of a sample; the same
	// root-raised-cosine as the transmitter's.
	h := dsp.RootRaisedCosine(rrcBeta, sps*mfPhases, rxSpan)
	r.mf = make([]float32, mfPhases*r.ntaps)
	for p := 0; p < mfPhases; p++ {
		for j := 0; j < r.ntaps; j++ {
			// Tap j meets the sample j places before the newest one used;
			// stored oldest first.
			v := float32(0)
			if k := j*mfPhases + p; k < len(h) {
				v = h[k] * mfPhases
			}
			r.mf[p*r.ntaps+r.ntaps-1-j] = v
		}
	}
	// One more than the filter spans, so the window ending one sample back
	// is still whole.
	r.bre = make([]float32, 2*(r.ntaps+1))
	r.bim = make([]float32, 2*(r.ntaps+1))
	r.meterAlpha = 1.0 / meterSamples
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
	r.meter = 0
	r.stage = rxIdle
	r.trained = false
	r.restartDemod()
}

// restartDemod clears the demodulator for a new signal.
func (r *Receiver) restartDemod() {
	r.nco = dsp.NCO{}
	r.nco.SetFrequency(carrierFreq)
	clear(r.bre)
	clear(r.bim)
	r.bpos = 0
	r.frac = r.period
	r.tfreq = 0
	r.onTime = false
	r.yMid, r.yPrev = 0, 0
	clear(r.ure[:])
	clear(r.uim[:])
	r.upos = 0
	r.upow = 0
	clear(r.wre[:])
	clear(r.wim[:])
	r.wre[eqCentre] = 1
	r.theta, r.omega = 0, 0
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
		rep.LevelDBm0 = dsp.DBm0FromPower(float64(r.meter))
	}
	rep.CarrierOffsetHz = r.nco.Frequency() - carrierFreq + r.omega*baudRate/(2*math.Pi)
	rep.SymbolOffsetPPM = (r.period/(r.period+r.tfreq) - 1) * 1e6
	if r.mse > 0 {
		rep.QualityDB = 10 * math.Log10(r.power/r.mse)
	}
	return rep
}

// Process demodulates in and returns len(in).
func (r *Receiver) Process(in []int16) int {
	for _, s := range in {
		x := float32(s)
		r.meter += r.meterAlpha * (x*x - r.meter)
		if r.stage == rxIdle {
			if r.meter < r.onPow {
				continue
			}
			r.carrierUp()
		} else if r.meter < r.offPow || (r.stage == rxData && r.meter < r.dropPow) {
			r.carrierDown()
			continue
		}
		if r.stage == rxAcquire && r.count < 16 && r.meter > r.acqPower {
			// The level is still rising at the start of a signal (the
			// meter takes a few symbols): let the gain follow it.
			r.acqPower = r.meter
			r.gain = float32(gainFromPower(float64(r.meter), r.power))
		} else if (r.stage == rxAcquire || r.stage == rxParked) && r.meter > 4*r.acqPower {
			// The level jumped by 6 dB: a signal began over the noise we
			// were listening to. Start again on it.
			r.acquireAgain()
		}
		if r.stage == rxParked {
			continue
		}
		if r.stage == rxData && r.levelN < 1<<30 {
			r.levelSum += float64(r.meter)
			r.levelN++
		}
		// Mix to baseband and keep the result in the doubled ring.
		c, sn := r.nco.Next()
		x *= r.gain
		ring := r.ntaps + 1
		r.bre[r.bpos], r.bre[r.bpos+ring] = x*c, x*c
		r.bim[r.bpos], r.bim[r.bpos+ring] = -x*sn, -x*sn
		r.bpos++
		if r.bpos == ring {
			r.bpos = 0
		}
		r.frac--
		if r.frac >= 0 {
			continue
		}
		// The output instant lies between the previous sample and the
		// newest: interpolate through the matched filter.
		mu := r.frac + 1
		p := int(mu*mfPhases + 0.5)
		var yr, yi float32
		if p >= mfPhases {
			yr, yi = r.filter(0, r.bpos+1) // the window ending with the newest sample
		} else {
			yr, yi = r.filter(p, r.bpos) // the window ending one sample back
		}
		r.frac += r.period + r.tfreq
		r.halfSymbol(complex(yr, yi))
	}
	return len(in)
}

// filter runs matched-filter phase p over the ntaps samples starting at
// position start of the doubled ring (oldest first).
func (r *Receiver) filter(p, start int) (float32, float32) {
	return dsp.Dot2(r.mf[p*r.ntaps:(p+1)*r.ntaps], r.bre[start:], r.bim[start:])
}

func (r *Receiver) carrierUp() {
	r.acquireAgain()
	r.report(dsp.StatusCarrierUp)
}

// acquireAgain starts looking for a training sequence in what is heard now.
func (r *Receiver) acquireAgain() {
	r.restartDemod()
	// First gain from the passband power; refined on the first symbols.
	r.gain = float32(gainFromPower(float64(r.meter), r.power))
	r.acqPower = r.meter
	r.stage = rxAcquire
}

func (r *Receiver) carrierDown() {
	r.stage = rxIdle
	r.trained = false
	r.report(dsp.StatusCarrierDown)
}

// gainFromPower returns the gain that brings a signal of mean square
// power p (int16 units) to symbols of mean square power symPower at the
// equaliser's input. The transmitter's unit-energy shaper at sps samples a
// symbol makes p = G²·symPower/(2·sps) for an amplitude G; mixing halves
// the amplitude and the matched filter (mfPhases times a unit-energy pulse
// sampled every mfPhases points, so √mfPhases times a unit-energy one)
// gives back G·√mfPhases/2 per unit of symbol.
func gainFromPower(p, symPower float64) float64 {
	if p <= 0 {
		return 1
	}
	sps := float64(dsp.SampleRate) / baudRate
	return math.Sqrt(2 * symPower / (mfPhases * sps * p))
}

// halfSymbol takes one matched-filter output, half a symbol after the last.
func (r *Receiver) halfSymbol(y complex64) {
	// Into the equaliser's half-symbol delay line.
	r.upos--
	if r.upos < 0 {
		r.upos = eqLen - 1
	}
	// The sample leaving the window had the slot the new one takes.
	or, oi := r.ure[r.upos], r.uim[r.upos]
	r.ure[r.upos], r.ure[r.upos+eqLen] = real(y), real(y)
	r.uim[r.upos], r.uim[r.upos+eqLen] = imag(y), imag(y)
	if r.upos == 0 {
		// Once a round, afresh, so rounding cannot build up.
		r.upow = r.linePower()
	} else {
		r.upow += real(y)*real(y) + imag(y)*imag(y) - (or*or + oi*oi)
	}

	r.onTime = !r.onTime
	if !r.onTime {
		r.yMid = y
		return
	}
	// Gardner timing error: the mid-point sample against the slope between
	// the symbols either side, normalised by the symbol power.
	d := r.yPrev - y
	e := float64(real(d)*real(r.yMid)+imag(d)*imag(r.yMid)) / r.power
	r.yPrev = y
	// A wide proportional path pulls the phase in during acquisition;
	// the frequency integrator waits for the equaliser, as over the
	// hundred-odd symbols of segment 2 even 200 ppm moves the timing by
	// less than a tenth of a sample, while an integrator fed by noisy
	// early errors wanders by far more.
	kp, ki := 0.02, 0.00005
	if r.stage == rxAcquire {
		kp, ki = 0.15, 0
	}
	e = max(-1, min(1, e)) // the builtins: math.Max and math.Min are calls
	r.tfreq -= ki * e
	r.frac -= kp * e
	r.symbol()
}

// window returns the equaliser's delay line, newest first, as arrays (so
// the loops over it need no bounds checks).
func (r *Receiver) window() (ur, ui *[eqLen]float32) {
	return (*[eqLen]float32)(r.ure[r.upos:]), (*[eqLen]float32)(r.uim[r.upos:])
}

// linePower returns the power in the equaliser's delay line.
func (r *Receiver) linePower() float32 {
	ur, ui := r.window()
	return dsp.Dot(ur[:], ur[:]) + dsp.Dot(ui[:], ui[:])
}

// equalise runs the equaliser over its delay line.
func (r *Receiver) equalise() complex64 {
	ur, ui := r.window()
	zr, zi := dsp.CDot(r.wre[:], r.wim[:], ur[:], ui[:])
	return complex(zr, zi)
}

// adapt moves the equaliser by normalised LMS so that its derotated output
// zr comes nearer target; c and s are the cosine and sine of the carrier
// phase.
func (r *Receiver) adapt(zr, target complex64, c, s, mu float32) {
	// The error, rotated back into the equaliser's frame.
	er := real(target) - real(zr)
	ei := imag(target) - imag(zr)
	er, ei = er*c-ei*s, er*s+ei*c
	ur, ui := r.window()
	// The step shrinks with the power in the delay line, so a gain that is
	// still off cannot make the equaliser diverge.
	mu *= eqLen / max(r.upow, 1e-3*float32(r.power))
	// w += mu·e·conj(u)
	dsp.CAxpyConj(r.wre[:], r.wim[:], ur[:], ui[:], er*mu, ei*mu)
}

// trackCarrier runs the second-order phase loop against a decision.
func (r *Receiver) trackCarrier(zr, target complex64, kp, ki float64) {
	// Phase error: arg(zr · conj(target)), small, so the imaginary part
	// over the magnitudes serves.
	re := real(zr)*real(target) + imag(zr)*imag(target)
	im := imag(zr)*real(target) - real(zr)*imag(target)
	pe := math.Atan2(float64(im), float64(re))
	r.omega += ki * pe
	r.theta += kp * pe
}

// symbol handles one on-time symbol.
func (r *Receiver) symbol() {
	z := r.equalise()
	r.theta += r.omega
	if r.theta > math.Pi {
		r.theta -= 2 * math.Pi
	} else if r.theta < -math.Pi {
		r.theta += 2 * math.Pi
	}
	if r.stage == rxAcquire {
		r.acquire(z)
		return
	}
	sn, cs := math.Sincos(r.theta)
	c, s := float32(cs), float32(sn)
	zr := complex(real(z)*c+imag(z)*s, imag(z)*c-real(z)*s)
	switch r.stage {
	case rxTrain:
		r.train(zr, c, s)
	case rxTest:
		r.test(zr, c, s)
	case rxData:
		r.data(zr, c, s)
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
			r.gain *= g
			// Rescale what is already in the pipeline.
			for i := range r.bre {
				r.bre[i] *= g
				r.bim[i] *= g
			}
			for i := range r.ure {
				r.ure[i] *= g
				r.uim[i] *= g
			}
			r.upow = r.linePower()
			gc := complex(g, 0)
			r.yPrev *= gc
			r.yMid *= gc
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
	if r.dsum != 0 {
		r.omega = math.Atan2(imag(r.dsum), real(r.dsum)) / 2
	}
	offHz := r.omega * baudRate / (2 * math.Pi)
	if math.Abs(offHz) > 20 {
		r.fail() // no fax modem is that far off (SpanDSP allows ±20 Hz too)
		return
	}
	// Move the mixer onto the far carrier, so the equaliser sees a signal
	// that does not rotate; the phase loop keeps what is left.
	r.nco.AdjustFrequency(offHz)
	r.omega = 0
	r.theta = math.Atan2(float64(imag(z)), float64(real(z))) - math.Atan2(float64(imag(r.tp.d)), float64(real(r.tp.d)))
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
func (r *Receiver) train(zr complex64, c, s float32) {
	target := r.tp.c
	if r.trainingBit() == 1 {
		target = r.tp.d
	}
	// Loops start wide and narrow as the segment goes on.
	f := 1 - float64(r.count)/seg3Len
	r.trackCarrier(zr, target, 0.05+0.2*f, 0.001+0.01*f)
	r.adapt(zr, target, c, s, float32(0.005+0.02*f))
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
func (r *Receiver) test(zr complex64, c, s float32) {
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
	r.trackCarrier(zr, target, 0.05, 0.001)
	r.adapt(zr, target, c, s, 0.005)
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
	r.dropPow = r.meter / 16
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
func (r *Receiver) data(zr complex64, c, s float32) {
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
	r.trackCarrier(zr, target, 0.05, 0.0005)
	r.adapt(zr, target, c, s, 0.002)
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
