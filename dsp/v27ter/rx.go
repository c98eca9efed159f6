package v27ter

import (
	"fmt"
	"math"

	"github.com/faxd/faxd/dsp"
)

// Receiver parameters.
const (
	mfPhases = 32 // matched-filter interpolation phases per sample
	rxSpan   = 8  // matched filter length in symbols
	eqLen    = 16 // equaliser taps, half a symbol apart (8 symbols)
	eqCentre = 7  // the tap that starts as a pure delay

	// Carrier detect (dBm0), with hysteresis; the meter's time constant in
	// samples.
	carrierOnDBm0  = -45.0
	carrierOffDBm0 = -48.5
	meterSamples   = 40

	minReversals = 16  // reversals that must precede the hop
	maxAcquire   = 120 // symbols to find the hop in before giving up
	judgeSymbols = 200 // conditioning symbols whose error judges training

	// symbolScale maps the AGC'd matched-filter output to the
	// constellation's amplitude (√2); fixed below by calibration against the
	// transmitter's shaping.
	targetPower = 2.0
)

type rxStage int

const (
	rxIdle     rxStage = iota // no carrier
	rxAcquire                 // settling timing, looking for the end of the reversals
	rxTrain                   // equaliser training on the conditioning segment
	rxTestOnes                // the eight known symbols that judge the training
	rxData                    // delivering data
	rxParked                  // training failed: wait for the carrier to drop
)

// A Receiver demodulates V.27ter line audio into data bits.
type Receiver struct {
	rate   int
	tm     timing
	sps    float64 // samples per symbol
	sink   dsp.BitSink
	status dsp.StatusHandler

	// carrier detect and level
	meter        float32
	meterAlpha   float32
	onPow, offPw float32
	acqPower     float32 // the level when acquisition last started
	dropPw       float32 // in data: 12 dB under the trained level means the carrier is gone
	levelSum     float64
	levelN       int

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

	// equaliser
	ure, uim [2 * eqLen]float32
	upos     int
	upow     float32 // the power in the delay line's window, kept as it moves
	wre, wim [eqLen]float32

	// carrier phase
	theta, omega float64

	// training and data
	stage    rxStage
	count    int
	revRun   int
	prevZ    complex64
	dsum     complex128
	agcSum   float64
	agcN     int
	replica  scrambler
	desc     scrambler
	state    uint8 // the last decided (or known) constellation index
	errSum   float64
	errN     int
	mismatch int
	mse      float64 // decision error power, for the quality figure
	winSum   float64 // error power summed over the current 32-symbol window
	winN     int
	winPrev  float64 // the last complete window's mean
	trained  bool
}

// NewReceiver returns a receiver at rate bit/s (4800 or 2400) that hands
// its data bits to sink.
func NewReceiver(rate int, sink dsp.BitSink) (*Receiver, error) {
	tm, ok := timings[rate]
	if !ok {
		return nil, fmt.Errorf("%w: %d", ErrRate, rate)
	}
	r := &Receiver{rate: rate, tm: tm, sink: sink}
	r.sps = float64(dsp.SampleRate) / float64(tm.baud)
	r.period = r.sps / 2
	r.ntaps = int(math.Ceil(rxSpan*r.sps)) + 1
	// The matched filter sampled every 1/mfPhases of a sample.
	h := dsp.RootRaisedCosine(rolloff, r.sps*mfPhases, rxSpan)
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
	// One more than the filter spans, so the window ending one sample
	// back is still whole.
	r.bre = make([]float32, 2*(r.ntaps+1))
	r.bim = make([]float32, 2*(r.ntaps+1))
	r.meterAlpha = 1.0 / meterSamples
	r.onPow = float32(dsp.PowerFromDBm0(carrierOnDBm0))
	r.offPw = float32(dsp.PowerFromDBm0(carrierOffDBm0))
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
	r.nco.SetFrequency(carrierHz)
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
	r.count, r.revRun = 0, 0
	r.prevZ, r.dsum = 0, 0
	r.agcSum, r.agcN = 0, 0
	r.errSum, r.errN, r.mismatch = 0, 0, 0
	r.mse, r.winSum, r.winN, r.winPrev = 0, 0, 0, 0
	r.levelSum, r.levelN = 0, 0
	r.state = 0
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
	rep.CarrierOffsetHz = r.nco.Frequency() - carrierHz + r.omega*float64(r.tm.baud)/(2*math.Pi)
	rep.SymbolOffsetPPM = (r.period/(r.period+r.tfreq) - 1) * 1e6
	if r.mse > 0 {
		rep.QualityDB = 10 * math.Log10(targetPower/r.mse)
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
		} else if r.meter < r.offPw || (r.stage == rxData && r.meter < r.dropPw) {
			r.carrierDown()
			continue
		}
		if r.stage == rxAcquire && r.count < 12 && r.meter > r.acqPower {
			// The level is still rising at the start of a signal (the
			// meter takes a few symbols): let the gain follow it rather
			// than restart on every step of the rise.
			r.acqPower = r.meter
			r.gain = float32(gainFromPower(float64(r.meter), r.sps))
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
		// p == mfPhases means the newest sample itself.
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
	r.gain = float32(gainFromPower(float64(r.meter), r.sps))
	r.acqPower = r.meter
	r.stage = rxAcquire
}

func (r *Receiver) carrierDown() {
	r.stage = rxIdle
	r.trained = false
	r.report(dsp.StatusCarrierDown)
}

// gainFromPower returns the gain that brings a V.27ter signal of mean
// square power p (measured during the unmodulated-carrier segment) to
// symbols of mean square targetPower at the equaliser input. The gain
// scales as 1/sqrt(p*sps) (matched filter of unit energy per symbol); the
// constant factor, calibration, was fixed empirically by the loopback
// tests rather than derived, and the equaliser absorbs any residual error.
func gainFromPower(p, sps float64) float64 {
	if p <= 0 {
		return 1
	}
	return math.Sqrt(2*targetPower/(p*sps)) * calibration
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
	e := float64(real(d)*real(r.yMid)+imag(d)*imag(r.yMid)) / targetPower
	r.yPrev = y
	// A wide proportional path pulls the phase in during acquisition;
	// the frequency integrator waits for the equaliser, as over the
	// reversals even 200 ppm moves the timing by a fraction of a sample,
	// while an integrator fed by noisy early errors wanders by far more.
	kp, ki := 0.02, 0.00005
	if r.stage == rxAcquire {
		kp, ki = 0.15, 0
	}
	e = max(-1, min(1, e)) // the builtins: math.Max and math.Min are calls
	r.tfreq += ki * e * gardnerSign
	r.frac += kp * e * gardnerSign
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

// adapt moves the equaliser by LMS so that its derotated output zr comes
// nearer target.
func (r *Receiver) adapt(zr, target complex64, mu float32) {
	// The error, rotated back into the equaliser's frame (by the phase as
	// trackCarrier has just moved it).
	sn, cs := math.Sincos(r.theta) // the same bits as math.Sin and math.Cos
	c, s := float32(cs), float32(sn)
	er := real(target) - real(zr)
	ei := imag(target) - imag(zr)
	er, ei = er*c-ei*s, er*s+ei*c
	ur, ui := r.window()
	// Normalised LMS: the step shrinks with the power in the delay line,
	// so a gain that is still off cannot make the equaliser diverge.
	mu *= eqLen * targetPower / 2 / max(r.upow, 1e-3)
	// w += mu·e·conj(u)
	dsp.CAxpyConj(r.wre[:], r.wim[:], ur[:], ui[:], er*mu, ei*mu)
}

// derotate removes the carrier phase estimate from an equaliser output.
func (r *Receiver) derotate(z complex64) complex64 {
	sn, cs := math.Sincos(r.theta)
	c, s := float32(cs), float32(sn)
	return complex(real(z)*c+imag(z)*s, imag(z)*c-real(z)*s)
}

// trackCarrier runs the second-order phase loop against a decision.
func (r *Receiver) trackCarrier(zr, target complex64, kp, ki float64) {
	// Phase error: arg(zr · conj(target)).
	re := float64(real(zr)*real(target) + imag(zr)*imag(target))
	im := float64(imag(zr)*real(target) - real(zr)*imag(target))
	pe := math.Atan2(im, re)
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
	switch r.stage {
	case rxAcquire:
		r.acquire(z)
	case rxTrain:
		r.train(z)
	case rxTestOnes:
		r.testOnes(z)
	case rxData:
		r.data(z)
	}
}

// acquire waits for timing to settle on the reversals, refines the gain,
// estimates the carrier frequency, and finds the first symbol without a
// reversal: the start of the conditioning segment.
func (r *Receiver) acquire(z complex64) {
	r.count++
	prev := r.prevZ
	r.prevZ = z
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
			g := float32(math.Sqrt(targetPower * float64(r.agcN) / r.agcSum))
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
			r.yPrev *= complex(g, 0)
			r.yMid *= complex(g, 0)
			z *= complex(g, 0)
			r.prevZ = z
			prev *= complex(g, 0)
		}
	}
	// d = z·conj(prev): about -|z|² on a reversal, +|z|² on the hop.
	dr := real(z)*real(prev) + imag(z)*imag(prev)
	di := imag(z)*real(prev) - real(z)*imag(prev)
	if dr < 0 {
		r.revRun++
		if r.count > 28 {
			r.dsum += complex(float64(-dr), float64(-di))
		}
		return
	}
	if r.revRun < minReversals {
		// Not (yet) a credible reversal segment.
		r.revRun = 0
		r.dsum = 0
		return
	}
	// The hop: this symbol is the first of the conditioning segment and
	// carries no reversal. Its phase defines constellation point 0.
	if r.dsum != 0 {
		r.omega = math.Atan2(imag(r.dsum), real(r.dsum))
	}
	offHz := r.omega * float64(r.tm.baud) / (2 * math.Pi)
	if math.Abs(offHz) > 20 {
		r.fail() // no fax modem is that far off (SpanDSP allows ±20 Hz too)
		return
	}
	// Move the mixer onto the far carrier, so the equaliser sees a signal
	// that does not rotate; the phase loop keeps what is left.
	r.nco.AdjustFrequency(offHz)
	r.omega = 0
	r.theta = math.Atan2(float64(imag(z)), float64(real(z)))
	r.replica = scrambler{reg: scramblerSeed}
	b := r.replica.scramble(1)
	r.replica.scramble(1)
	r.replica.scramble(1)
	if b != 0 {
		// A transmitter that starts its scrambler elsewhere would not hop
		// here; we cannot follow it.
		r.fail()
		return
	}
	r.state = 0
	r.stage = rxTrain
	r.count = 1
	r.errSum, r.errN = 0, 0
}

// train adapts the equaliser and carrier loop on the known conditioning
// symbols.
func (r *Receiver) train(z complex64) {
	b := r.replica.scramble(1)
	r.replica.scramble(1)
	r.replica.scramble(1)
	r.state = (r.state + 4*uint8(b)) & 7
	target := constellation[r.state]
	zr := r.derotate(z)
	// Loops start wide and narrow as the segment goes on.
	f := 1 - float64(r.count)/segTraining
	r.trackCarrier(zr, target, 0.05+0.2*f, 0.001+0.01*f)
	r.adapt(zr, target, float32(0.005+0.02*f))
	r.count++
	if r.count > segTraining-judgeSymbols {
		e := zr - target
		r.errSum += float64(real(e)*real(e) + imag(e)*imag(e))
		r.errN++
	}
	if r.count == segTraining {
		r.stage = rxTestOnes
		r.count = 0
		r.mismatch = 0
	}
}

// testOnes decides the eight symbols of scrambled ones and checks them
// against what the transmitter must have sent.
func (r *Receiver) testOnes(z complex64) {
	zr := r.derotate(z)
	v := 0
	for k := 0; k < r.tm.bits; k++ {
		v = v<<1 | r.replica.scramble(1)
	}
	var step uint8
	if r.tm.bits == 3 {
		step = stepFor4800[v]
	} else {
		step = stepFor2400[v]
	}
	want := (r.state + step) & 7
	got := r.decide(zr)
	if got != want {
		r.mismatch++
	}
	r.state = want
	target := constellation[want]
	e := zr - target
	r.errSum += float64(real(e)*real(e) + imag(e)*imag(e))
	r.errN++
	r.trackCarrier(zr, target, 0.05, 0.001)
	r.count++
	if r.count < segOnes {
		return
	}
	mse := r.errSum / float64(r.errN)
	// SpanDSP's bounds: a quarter of the constellation's power at 4800 bit/s
	// (eight phases), a half at 2400 (four).
	limit := 0.25
	if r.tm.bits == 2 {
		limit = 0.5
	}
	// Noise may flip a symbol of eight near the threshold; a signal that
	// is not the expected one gets most of them wrong.
	if r.mismatch > 2 || mse > limit {
		r.fail()
		return
	}
	r.mse = mse
	// Line noise can lie above the absolute carrier-off level; the signal
	// has gone when the level falls 12 dB below what it trained on.
	r.dropPw = r.meter / 16
	// The descrambler continues from the line bits the replica made.
	r.desc = r.replica
	r.stage = rxData
	r.trained = true
	r.report(dsp.StatusTrainingSucceeded)
}

// decide returns the constellation index nearest zr (even ones only at
// 2400 bit/s): the one whose phase, a multiple of 45 degrees, is nearest
// zr's.
//
// Rather than take the angle, zr is turned back (exactly: swaps and
// negations) by q quarter turns into the quarter within 45 degrees of the
// positive real axis, which settles the answer at 2400 bit/s. At 4800 the
// answer is phase 1 or 7 there if zr lies more than 22.5 degrees off the
// axis, a comparison of |im| with tan(22.5°)·re. Signs come from bits, so
// random data meets no branches to mispredict.
func (r *Receiver) decide(zr complex64) uint8 {
	x, y := real(zr), imag(zr)
	u := ^math.Float32bits(x+y) >> 31 << 1 // x+y >= 0
	v := ^math.Float32bits(x-y) >> 31      // x-y >= 0
	q := quarterOf[(u|v)&3]
	if r.tm.bits == 2 {
		return 2 * q
	}
	t := unturn[q&3]
	x, y = x*t[0]+y*t[1], y*t[0]-x*t[1]
	// In float64, so that only a sliver of the boundary as thin as
	// math.Atan2's own error can fall on the other side.
	off := float64(x)*tan22 - math.Abs(float64(y))
	ph := uint8(math.Float64bits(off) >> 63)     // 1 when |y| > tan(22.5°)·x
	m := uint8(int32(math.Float32bits(y)) >> 31) // all ones below the axis
	ph = (ph ^ m - m) & 7                        // there phase 1 is phase 7
	return (ph + 2*q) & 7
}

// tan22 is tan(22.5°), √2-1.
const tan22 = 0.41421356237309504880

var (
	// quarterOf maps (x+y >= 0)·2 + (x-y >= 0) to the quarter turns that
	// bring x+yi nearest the positive real axis.
	quarterOf = [4]uint8{2, 3, 1, 0}
	// unturn holds the cosine and sine that turn back by q quarters.
	unturn = [4][2]float32{{1, 0}, {0, 1}, {-1, 0}, {0, -1}}
)

// data decides a symbol, tracks, and hands the descrambled bits on.
func (r *Receiver) data(z complex64) {
	zr := r.derotate(z)
	got := r.decide(zr)
	step := (got - r.state) & 7
	r.state = got
	target := constellation[got]
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
	r.adapt(zr, target, 0.002)
	var v uint8
	if r.tm.bits == 3 {
		v = bitsFor4800[step]
	} else {
		v = bitsFor2400[step]
	}
	for k := r.tm.bits - 1; k >= 0; k-- {
		r.sink.PutBit(r.desc.descramble(int(v>>k) & 1))
	}
}

func (r *Receiver) fail() {
	r.stage = rxParked
	r.report(dsp.StatusTrainingFailed)
}
