// Package qam is the receiver front end that faxd's phase and
// quadrature-amplitude modems share (V.27ter, V.29, V.17): level meter and
// carrier detect with hysteresis, gain, mixing to baseband, a polyphase
// root-raised-cosine matched filter that interpolates at the symbol
// timing, Gardner's timing-error detector, a T/2 fractionally spaced
// equaliser adapted by normalised LMS, and a second-order carrier phase
// loop. Each modem's receiver drives it through its own training sequence
// and decides its own constellation.
//
// It is written by hand: no Go library offers a sample-rate modem front
// end (liquid-dsp's symsync and eqlms are the nearest, in C).
package qam

import (
	"math"

	"github.com/faxd/faxd/dsp"
)

// Fixed design figures.
const (
	mfPhases = 32 // matched-filter interpolation phases per sample
	mfSpan   = 8  // matched filter length in symbols, unless Config.Span says

	// MaxEqLen bounds the equaliser's length in T/2 taps.
	MaxEqLen = 32

	meterSamples = 40 // the level meter's time constant
)

// Config describes a modem's signal.
type Config struct {
	CarrierHz   float64 // nominal carrier frequency
	Baud        float64 // symbols a second
	Rolloff     float64 // root-raised-cosine roll-off of the transmitter's shaping
	SymbolPower float64 // mean square of the constellation points, in the units decisions use
	EqLen       int     // equaliser taps, half a symbol apart (at most MaxEqLen)
	EqCentre    int     // the tap that starts as a pure delay
	// Span is the matched filter's length in symbols, 8 if zero. A 50%
	// roll-off pulse has decayed in 6; a 25% one needs 8.
	Span int
	// KeepPrevious keeps the previous symbol's delay-line window and
	// power beside the current one, for AdaptPrevious.
	KeepPrevious bool
}

// A Frontend turns line samples into equalised symbols. Make one with
// [New] or [Frontend.Init]; it allocates only then.
type Frontend struct {
	cfg      Config
	sps      float64 // samples per symbol
	invPower float64 // 1/SymbolPower
	alpha    float32 // level meter coefficient

	// Meter is the level meter: mean square of the input samples.
	Meter float32

	// The carrier: a 32-bit phase accumulator (2^32 a cycle), the phase
	// of the next sample to arrive, and its step a sample.
	ph, step uint32
	ntaps    int
	// The matched filter moved up to the carrier (a complex band-pass
	// filter, shared: see mfBank). Filtering the real line signal and
	// mixing the one output to baseband costs less than mixing every
	// sample first.
	bank  *mfBank
	banks *bankSet  // the banks for every carrier this signal may be retuned to
	bankI int       // bank's index in banks, -1 before the first
	bx    []float32 // line samples (times the gain), doubled so a window is contiguous
	// bxBuf holds bx when the filter fits (every modem's does): in the
	// Frontend itself, not an allocation of its own that a server's
	// ticks would each fetch from memory separately.
	bxBuf  [2 * (maxInlineTaps + 1)]float32
	bpos   int
	frac   float64 // next output instant relative to the newest sample
	period float64 // half a symbol, nominal, in samples
	tfreq  float64 // timing loop integrator, samples per half symbol
	onTime bool
	gain   float32
	yMid   complex64
	yPrev  complex64

	// Acquiring widens the timing loop's proportional path and stops its
	// integrator (see Sample).
	Acquiring bool
	// Hold is set by the Link in the Data stage while the signal is
	// missing (a hole shorter than HangOver so far) and until the filters
	// are full of signal again: the timing loop stops (phase and
	// frequency: the far end's clock runs on), and the modem still decides
	// and delivers bits but must not adapt anything (equaliser, carrier
	// loop, quality) on what it hears.
	Hold bool

	// equaliser: a T/2 delay line of ring entries (EqLen, or two more
	// with KeepPrevious, so that the previous symbol's window is still
	// whole), doubled so a window is contiguous
	ure, uim [2 * (MaxEqLen + 2)]float32
	upos     int
	ring     int
	upow     float32 // the power in the delay line's window, kept as it moves
	prevPow  float32 // upow at the previous on-time symbol (KeepPrevious)
	curPow   float32 // upow at this one
	wre, wim [MaxEqLen]float32

	// The carrier phase estimate (radians, -π to π), removed after the
	// equaliser.
	theta float64
	// Omega is the carrier phase's change a symbol (radians).
	Omega float64
}

// maxInlineTaps is the longest matched filter held in the Frontend
// itself: V.27ter at 1200 baud takes 48 taps.
const maxInlineTaps = 48

// New returns a front end for cfg.
func New(cfg Config) *Frontend {
	f := new(Frontend)
	f.Init(cfg)
	return f
}

// Init makes f a front end for cfg, as New does, for a Frontend held in a
// modem's receiver rather than allocated apart: one object for the
// receiver's state, which a server running thousands fetches from memory
// on every 20 ms block.
func (f *Frontend) Init(cfg Config) {
	cfg.EqLen = min(max(cfg.EqLen, 1), MaxEqLen)
	cfg.EqCentre = min(max(cfg.EqCentre, 0), cfg.EqLen-1)
	*f = Frontend{cfg: cfg}
	f.ring = cfg.EqLen
	if cfg.KeepPrevious {
		f.ring += 2
	}
	f.sps = dsp.SampleRate / cfg.Baud
	f.invPower = 1 / cfg.SymbolPower
	f.period = f.sps / 2
	span := cfg.Span
	if span <= 0 {
		span = mfSpan
	}
	// Rounded up to whole vectors of eight (zero taps at the old end), so
	// the vector kernels run without a scalar tail.
	f.ntaps = (int(math.Ceil(float64(span)*f.sps)) + 1 + 7) &^ 7
	f.banks = bankSetFor(setKey{rolloff: cfg.Rolloff, sps: f.sps, span: span, ntaps: f.ntaps, carrierHz: cfg.CarrierHz})
	f.bankI = -1
	// One more than the filter spans, so the window ending one sample back
	// is still whole.
	if n := 2 * (f.ntaps + 1); n <= len(f.bxBuf) {
		f.bx = f.bxBuf[:n]
	} else {
		f.bx = make([]float32, n)
	}
	f.alpha = 1.0 / meterSamples
	f.Restart()
}

// Restart clears the demodulator for a new signal (but not the level
// meter), with the gain set from the meter.
func (f *Frontend) Restart() {
	f.ph = 0
	f.setCarrier(dsp.PhaseStep(f.cfg.CarrierHz))
	clear(f.bx)
	f.bpos = 0
	f.frac = f.period
	f.tfreq = 0
	f.onTime = false
	f.yMid, f.yPrev = 0, 0
	clear(f.ure[:])
	clear(f.uim[:])
	f.upos = 0
	f.upow = 0
	f.prevPow, f.curPow = 0, 0
	clear(f.wre[:])
	clear(f.wim[:])
	f.wre[f.cfg.EqCentre] = 1
	f.SetPhase(0)
	f.Omega = 0
	f.Acquiring = true
	f.Hold = false
	f.SetGainFromMeter()
}

// SettleSamples is how long, in samples, a change of the signal takes to
// pass through the matched filter and the equaliser's delay line.
func (f *Frontend) SettleSamples() int {
	return f.ntaps + int(math.Ceil(float64(f.cfg.EqLen)*f.period))
}

// Measure updates the level meter with sample x.
func (f *Frontend) Measure(x float32) {
	f.Meter += f.alpha * (x*x - f.Meter)
}

// SetGainFromMeter sets the gain that brings a signal at the meter's level
// to symbols of the configured mean power at the equaliser. A
// unit-energy shaper at sps samples a symbol makes the line power
// p = G²·SymbolPower/(2·sps) for an amplitude G; mixing halves the
// amplitude and the matched filter (√mfPhases times a unit-energy pulse)
// gives back G·√mfPhases/2 a unit of symbol.
func (f *Frontend) SetGainFromMeter() {
	if f.Meter <= 0 {
		f.gain = 1
		return
	}
	f.gain = float32(math.Sqrt(2 * f.cfg.SymbolPower / (mfPhases * f.sps * float64(f.Meter))))
}

// TimingRate returns the timing loop's frequency estimate, to be given
// back to SetTimingRate for a later short train from the same transmitter.
func (f *Frontend) TimingRate() float64 { return f.tfreq }

// SetTimingRate sets the timing loop's frequency estimate.
func (f *Frontend) SetTimingRate(r float64) { f.tfreq = r }

// Gain returns the gain applied to line samples.
func (f *Frontend) Gain() float32 { return f.gain }

// ScaleGain multiplies the gain by g, rescaling what is already in the
// pipeline so that nothing jumps.
func (f *Frontend) ScaleGain(g float32) {
	f.gain *= g
	for i := range f.bx {
		f.bx[i] *= g
	}
	for i := range f.ure {
		f.ure[i] *= g
		f.uim[i] *= g
	}
	f.upow *= g * g
	f.prevPow *= g * g
	f.curPow *= g * g
	gc := complex(g, 0)
	f.yPrev *= gc
	f.yMid *= gc
}

// setCarrier sets the carrier's phase step a sample and moves the
// band-pass matched filter to that frequency (on the bank grid; done on a
// retune, once a training).
func (f *Frontend) setCarrier(step uint32) {
	f.step = step
	i := f.banks.index(float64(int32(step)) * dsp.SampleRate / (1 << 32))
	if i != f.bankI {
		f.bankI, f.bank = i, f.banks.bank(i)
	}
}

// Sample takes one line sample and, at each half-symbol instant, runs the
// matched filter, mixes its output to baseband and runs the timing loop.
// It reports true when an on-time symbol has entered the equaliser: then
// call Equalise.
func (f *Frontend) Sample(x float32) bool {
	f.ph += f.step
	x *= f.gain
	ring := f.ntaps + 1
	f.bx[f.bpos], f.bx[f.bpos+ring] = x, x
	f.bpos++
	if f.bpos == ring {
		f.bpos = 0
	}
	f.frac--
	if f.frac >= 0 {
		return false
	}
	// The output instant lies between the previous sample and the newest:
	// interpolate through the matched filter.
	mu := f.frac + 1
	p := int(mu*mfPhases + 0.5)
	// The carrier phase at the output instant: the previous sample's plus
	// p/mfPhases of a step (f.ph is already two steps past it).
	phase := f.ph - 2*f.step + uint32(uint64(f.step)*uint64(p)/mfPhases)
	start := f.bpos // the window ending one sample back
	if p >= mfPhases {
		p, start = 0, f.bpos+1 // the window ending with the newest sample
	}
	w := f.bx[start : start+f.ntaps]
	yr, yi := dsp.Dot2(w, f.bank.re[p*f.ntaps:(p+1)*f.ntaps], f.bank.im[p*f.ntaps:(p+1)*f.ntaps])
	// To baseband: times e^(-j·phase).
	c, s := dsp.CosSin(phase)
	f.frac += f.period + f.tfreq
	return f.halfSymbol(complex(yr*c+yi*s, yi*c-yr*s))
}

// halfSymbol takes one matched-filter output, half a symbol after the
// last, into the equaliser's delay line, and runs the timing loop on the
// on-time ones.
func (f *Frontend) halfSymbol(y complex64) bool {
	n, ring := f.cfg.EqLen, f.ring
	f.upos--
	if f.upos < 0 {
		f.upos = ring - 1
	}
	// The sample leaving the window is the one EqLen entries back (the
	// slot the new one takes, when the ring is just the window).
	or, oi := f.ure[f.upos+n], f.uim[f.upos+n]
	f.ure[f.upos], f.ure[f.upos+ring] = real(y), real(y)
	f.uim[f.upos], f.uim[f.upos+ring] = imag(y), imag(y)
	if f.upos == 0 {
		// Once a round, afresh, so rounding cannot build up.
		ur, ui := f.window()
		f.upow = dsp.Dot(ur, ur) + dsp.Dot(ui, ui)
	} else {
		f.upow += real(y)*real(y) + imag(y)*imag(y) - (or*or + oi*oi)
	}
	f.onTime = !f.onTime
	if !f.onTime {
		f.yMid = y
		return false
	}
	// Gardner timing error: the mid-point sample against the slope between
	// the symbols either side, normalised by the symbol power.
	d := f.yPrev - y
	e := float64(real(d)*real(f.yMid)+imag(d)*imag(f.yMid)) * f.invPower
	f.yPrev = y
	if f.Hold {
		return true
	}
	// A wide proportional path pulls the phase in during acquisition; the
	// frequency integrator waits, as over a hundred-odd symbols even 200
	// ppm moves the timing by less than a tenth of a sample, while an
	// integrator fed by noisy early errors wanders by far more. Once
	// trained the loop is narrow: Gardner's detector is noisy on dense
	// constellations with little excess bandwidth, and a wider loop let
	// V.17 at 14400 bit/s slip into bursts of errors at 22-24 dB SNR
	// (3237 bit errors in 346k against 28 with these gains).
	kp, ki := 0.005, 0.00001
	if f.Acquiring {
		kp, ki = 0.15, 0
	}
	// Clipped with plain comparisons: the builtin min and max handle NaN
	// and cost more.
	if e > 1 {
		e = 1
	} else if e < -1 {
		e = -1
	}
	f.tfreq -= ki * e
	f.frac -= kp * e
	return true
}

// window returns the equaliser's delay line, newest first.
func (f *Frontend) window() (ur, ui []float32) {
	n := f.cfg.EqLen
	return f.ure[f.upos : f.upos+n], f.uim[f.upos : f.upos+n]
}

// Equalise returns the equaliser's output for the symbol that just entered,
// and advances the carrier phase by a symbol.
func (f *Frontend) Equalise() complex64 {
	ur, ui := f.window()
	zr, zi := dsp.CDot(f.wre[:len(ur)], f.wim[:len(ur)], ur, ui)
	f.rotate(f.Omega)
	if f.cfg.KeepPrevious {
		f.prevPow, f.curPow = f.curPow, f.upow
	}
	return complex(zr, zi)
}

// A Rotation is the carrier phase's cosine and sine at one symbol.
type Rotation struct{ C, S float32 }

// Derotate removes the carrier phase from an equaliser output, returning
// the point to decide and the rotation used (for Adapt).
func (f *Frontend) Derotate(z complex64) (complex64, Rotation) {
	c, s := sincos(f.theta)
	return complex(real(z)*c+imag(z)*s, imag(z)*c-real(z)*s), Rotation{c, s}
}

// Phase returns the carrier phase estimate in radians (-π to π).
func (f *Frontend) Phase() float64 { return f.theta }

// SetPhase sets the carrier phase estimate to theta radians.
func (f *Frontend) SetPhase(theta float64) { f.theta = math.Remainder(theta, 2*math.Pi) }

// rotate advances the carrier phase by a radians.
func (f *Frontend) rotate(a float64) {
	f.theta += a
	if f.theta > math.Pi {
		f.theta -= 2 * math.Pi
	} else if f.theta < -math.Pi {
		f.theta += 2 * math.Pi
	}
}

// sincos returns the cosine and sine of x (-π to π, a little beyond is
// fine) to float32 precision: the quadrant is taken out and short Taylor
// series cover the rest (error under 4e-7 within π/4). The carrier loop is
// a chain from one symbol to the next, and math.Sincos, built for float64
// and any argument, is a long link in it.
func sincos(x float64) (c, s float32) {
	q := int(x*(2/math.Pi)+4.5) - 4 // nearest quarter turn, -2 to 2
	r := float32(x - float64(q)*(math.Pi/2))
	r2 := r * r
	sr := r * (1 + r2*(-1.0/6+r2*(1.0/120+r2*(-1.0/5040))))
	cr := 1 + r2*(-0.5+r2*(1.0/24+r2*(-1.0/720+r2*(1.0/40320))))
	switch q & 3 {
	case 0:
		return cr, sr
	case 1:
		return -sr, cr
	case 2:
		return -cr, -sr
	}
	return sr, -cr
}

// Adapt moves the equaliser by normalised LMS so that its derotated output
// zr comes nearer target; rot is what Derotate used.
func (f *Frontend) Adapt(zr, target complex64, rot Rotation, mu float32) {
	// The error, rotated back into the equaliser's frame.
	er := real(target) - real(zr)
	ei := imag(target) - imag(zr)
	er, ei = er*rot.C-ei*rot.S, er*rot.S+ei*rot.C
	ur, ui := f.window()
	f.adapt(ur, ui, f.upow, er, ei, mu)
}

// AdaptPrevious is Adapt for the previous on-time symbol, called once the
// current one has been equalised: zr, target and rot are that symbol's, and
// the update uses its delay-line window and power (the front end must have
// been made with KeepPrevious). This is the delayed LMS of Long, Ling and
// Proakis ("The LMS algorithm with delayed coefficient adaptation", IEEE
// Trans. ASSP 37(9), 1989) with a delay of one symbol: the next output no
// longer waits for this symbol's decision, which the CPU can then overlap
// with the equaliser's next dot product, and a step this small converges
// as without the delay.
func (f *Frontend) AdaptPrevious(zr, target complex64, rot Rotation, mu float32) {
	er := real(target) - real(zr)
	ei := imag(target) - imag(zr)
	er, ei = er*rot.C-ei*rot.S, er*rot.S+ei*rot.C
	// Two T/2 entries have come in since: the previous window is the
	// current one two entries further back in the ring.
	n := f.cfg.EqLen
	ur, ui := f.ure[f.upos+2:f.upos+2+n], f.uim[f.upos+2:f.upos+2+n]
	f.adapt(ur, ui, f.prevPow, er, ei, mu)
}

// adapt adds mu·e·conj(u) to the taps, the step normalised by the window's
// power pow.
func (f *Frontend) adapt(ur, ui []float32, pow, er, ei, mu float32) {
	// The step shrinks with the power in the delay line, so a gain that is
	// still off cannot make the equaliser diverge.
	mu *= float32(len(ur)) / max(pow, 1e-3*float32(f.cfg.SymbolPower))
	// w += mu·e·conj(u)
	dsp.CAxpyConj(f.wre[:len(ur)], f.wim[:len(ur)], ur, ui, er*mu, ei*mu)
}

// TrackCarrier runs the second-order phase loop against a decision.
func (f *Frontend) TrackCarrier(zr, target complex64, kp, ki float64) {
	re := real(zr)*real(target) + imag(zr)*imag(target)
	im := imag(zr)*real(target) - real(zr)*imag(target)
	pe := phaseError(float64(im), float64(re))
	f.Omega += ki * pe
	f.rotate(kp * pe)
}

// RetuneCarrier moves the mixer by hz (the far carrier's offset found in
// training), so the equaliser sees a signal that does not rotate.
func (f *Frontend) RetuneCarrier(hz float64) {
	f.setCarrier(f.step + uint32(int32(math.Round(hz/dsp.SampleRate*(1<<32)))))
}

// CarrierOffsetHz is the far carrier's frequency minus the nominal one, as
// the mixer and the phase loop track it.
func (f *Frontend) CarrierOffsetHz() float64 {
	return float64(int32(f.step))*dsp.SampleRate/(1<<32) - f.cfg.CarrierHz + f.Omega*f.cfg.Baud/(2*math.Pi)
}

// SymbolOffsetPPM is the far symbol clock's offset from nominal.
func (f *Frontend) SymbolOffsetPPM() float64 {
	return (f.period/(f.period+f.tfreq) - 1) * 1e6
}

// Taps copies the equaliser's taps into wr and wi (MaxEqLen long), to be
// given back to SetTaps for a later short train.
func (f *Frontend) Taps(wr, wi []float32) {
	copy(wr, f.wre[:])
	copy(wi, f.wim[:])
}

// SetTaps sets the equaliser's taps from wr and wi, as Taps gave them.
func (f *Frontend) SetTaps(wr, wi []float32) {
	copy(f.wre[:], wr)
	copy(f.wim[:], wi)
}

// phaseError returns atan2(im, re), the angle of a decision error. Within
// about 27 degrees of the decided point (|im| < re/2), the usual case once
// locked, a short series serves (error under 1.2e-3 rad there, far below
// the loop's noise); elsewhere math.Atan2.
func phaseError(im, re float64) float64 {
	if re > 0 && 2*im < re && 2*im > -re {
		t := im / re
		t2 := t * t
		return t * (1 + t2*(-1.0/3+t2*(1.0/5)))
	}
	return math.Atan2(im, re)
}
