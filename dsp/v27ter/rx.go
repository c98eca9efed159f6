package v27ter

import (
	"fmt"
	"math"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/prefetch"
	"github.com/faxd/faxd/dsp/qam"
)

// Receiver parameters.
const (
	eqLen    = 16 // equaliser taps, half a symbol apart (8 symbols)
	eqCentre = 7  // the tap that starts as a pure delay

	minReversals = 16  // reversals that must precede the hop
	maxAcquire   = 120 // symbols to find the hop in before giving up
	judgeSymbols = 200 // conditioning symbols whose error judges training

	// targetPower is the mean square of the constellation (points on the
	// circle of radius √2).
	targetPower = 2.0
)

// A Receiver demodulates V.27ter line audio into data bits. The signal
// processing up to the equalised symbols is package qam's front end.
type Receiver struct {
	rate  int
	tm    timing
	sink  dsp.BitSink
	link  qam.Link
	fe    *qam.Frontend // link.Fe, &front
	front qam.Frontend  // held here: one object, not two, for a server's blocks to fetch

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
}

// NewReceiver returns a receiver at rate bit/s (4800 or 2400) that hands
// its data bits to sink.
func NewReceiver(rate int, sink dsp.BitSink) (*Receiver, error) {
	tm, ok := timings[rate]
	if !ok {
		return nil, fmt.Errorf("%w: %d", ErrRate, rate)
	}
	r := &Receiver{rate: rate, tm: tm, sink: sink}
	r.fe = &r.front
	r.fe.Init(qam.Config{
		CarrierHz: carrierHz, Baud: float64(tm.baud), Rolloff: rolloff,
		SymbolPower: targetPower, EqLen: eqLen, EqCentre: eqCentre, Span: 6,
	})
	r.link.Init(r.fe, 12, r.restart, r.symbol)
	return r, nil
}

// SetStatusHandler sets the handler told of carrier and training events.
func (r *Receiver) SetStatusHandler(h dsp.StatusHandler) { r.link.SetStatusHandler(h) }

// Reset forgets the signal and waits for a new one.
func (r *Receiver) Reset() { r.link.Reset() }

// restart clears the receiver's own state for a new signal, after the
// front end's.
func (r *Receiver) restart() {
	r.revRun = 0
	r.prevZ, r.dsum = 0, 0
	r.agcSum, r.agcN = 0, 0
	r.errSum, r.errN, r.mismatch = 0, 0, 0
	r.state = 0
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
		r.testOnes(zr, rot)
	case qam.Data:
		r.data(zr, rot)
	}
}

// acquire waits for timing to settle on the reversals, refines the gain,
// estimates the carrier frequency, and finds the first symbol without a
// reversal: the start of the conditioning segment.
func (r *Receiver) acquire(z complex64) {
	r.link.Count++
	prev := r.prevZ
	r.prevZ = z
	if r.link.Count > maxAcquire {
		// No training sequence here (noise, or a signal of another kind):
		// keep listening.
		r.link.Reacquire()
		return
	}
	if r.link.Count <= 6 { // the equaliser's delay line is still filling
		return
	}
	if r.link.Count > 16 && r.link.Count <= 28 {
		r.agcSum += float64(real(z)*real(z) + imag(z)*imag(z))
		r.agcN++
		if r.link.Count == 28 && r.agcSum > 0 {
			// The first gain came from the power meter, so the correction is
			// small on a real signal; bound it so silence cannot blow it up.
			g := float32(math.Sqrt(targetPower * float64(r.agcN) / r.agcSum))
			g = min(max(g, 1.0/32), 32)
			r.fe.ScaleGain(g)
			z *= complex(g, 0)
			r.prevZ = z
			prev *= complex(g, 0)
		}
	}
	// d = z·conj(prev): about -|z|² on a reversal, +|z|² on the hop.
	dr := real(z)*real(prev) + imag(z)*imag(prev)
	di := imag(z)*real(prev) - real(z)*imag(prev)
	if -dr > max(di, -di) {
		// A reversal: a half turn give or take 45 degrees (the carrier
		// offset turns a symbol by 2π·Δf/baud, 6 degrees at 20 Hz and
		// 1200 baud). Noise turns a symbol by more than a quarter turn
		// half the time, and sixteen such turns in a row, taken for the
		// reversals, came about once in 50 000 symbols of noise (each a
		// failed training: modems.TestNoTrainingOnNoise); within 45
		// degrees of a half turn a quarter of the time, sixteen in a row
		// once in billions.
		r.revRun++
		if r.link.Count > 28 {
			r.dsum += complex(float64(-dr), float64(-di))
		}
		return
	}
	if dr < 0 || r.revRun < minReversals {
		// Not (yet) a credible reversal segment.
		r.revRun = 0
		r.dsum = 0
		return
	}
	// The hop: this symbol is the first of the conditioning segment and
	// carries no reversal. Its phase defines constellation point 0.
	omega := 0.0
	if r.dsum != 0 {
		omega = math.Atan2(imag(r.dsum), real(r.dsum))
	}
	offHz := omega * float64(r.tm.baud) / (2 * math.Pi)
	if math.Abs(offHz) > 20 {
		r.link.Fail() // no fax modem is that far off (SpanDSP allows ±20 Hz too)
		return
	}
	// Move the mixer onto the far carrier, so the equaliser sees a signal
	// that does not rotate; the phase loop keeps what is left.
	r.fe.RetuneCarrier(offHz)
	r.fe.Omega = 0
	r.fe.SetPhase(math.Atan2(float64(imag(z)), float64(real(z))))
	r.fe.Acquiring = false
	r.replica = scrambler{reg: scramblerSeed}
	b := r.replica.scramble(1)
	r.replica.scramble(1)
	r.replica.scramble(1)
	if b != 0 {
		// A transmitter that starts its scrambler elsewhere would not hop
		// here; we cannot follow it.
		r.link.Fail()
		return
	}
	r.state = 0
	r.link.Stage = qam.Train
	r.link.Count = 1
	r.errSum, r.errN = 0, 0
}

// train adapts the equaliser and carrier loop on the known conditioning
// symbols.
func (r *Receiver) train(zr complex64, rot qam.Rotation) {
	b := r.replica.scramble(1)
	r.replica.scramble(1)
	r.replica.scramble(1)
	r.state = (r.state + 4*uint8(b)) & 7
	target := constellation[r.state]
	// Loops start wide and narrow as the segment goes on.
	f := 1 - float64(r.link.Count)/segTraining
	r.fe.TrackCarrier(zr, target, 0.05+0.2*f, 0.001+0.01*f)
	r.fe.Adapt(zr, target, rot, float32(0.005+0.02*f))
	r.link.Count++
	if r.link.Count > segTraining-judgeSymbols {
		e := zr - target
		r.errSum += float64(real(e)*real(e) + imag(e)*imag(e))
		r.errN++
	}
	if r.link.Count == segTraining {
		r.link.Stage = qam.Test
		r.link.Count = 0
		r.mismatch = 0
	}
}

// testOnes decides the eight symbols of scrambled ones and checks them
// against what the transmitter must have sent.
func (r *Receiver) testOnes(zr complex64, rot qam.Rotation) {
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
	r.fe.TrackCarrier(zr, target, 0.05, 0.001)
	r.link.Count++
	if r.link.Count < segOnes {
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
		r.link.Fail()
		return
	}
	// The descrambler continues from the line bits the replica made.
	r.desc = r.replica
	r.link.Succeed(mse)
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
func (r *Receiver) data(zr complex64, rot qam.Rotation) {
	got := r.decide(zr)
	step := (got - r.state) & 7
	r.state = got
	if !r.fe.Hold { // nothing to learn from a hole in the signal
		target := constellation[got]
		r.link.Quality(zr - target)
		r.fe.TrackCarrier(zr, target, 0.05, 0.0005)
		r.fe.Adapt(zr, target, rot, 0.002)
	}
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

// Prefetch asks the CPU to fetch the receiver's state into its caches
// ahead of the next Process: a server calls it for the next channel while
// it runs this one (see package dsp/prefetch).
func (r *Receiver) Prefetch() { prefetch.Object(r) }
