package v21

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/prefetch"
)

// Receiver design constants.
const (
	// winLen is the correlation window, 32 samples (1.2 bits). Over it the
	// two tones are 0.8 of a cycle apart, so a pure mark leaks only 5.5% of
	// its energy into the space correlator; a window of exactly one bit
	// (26⅔ samples, as SpanDSP uses) leaks 17% and costs about 2 dB of
	// noise margin, while the 2⅔ samples of each neighbour bit the longer
	// window takes in cost less (measured: 32 to 34 samples is the
	// optimum). The receiver works on groups of four samples, so the
	// window is winGroups groups.
	winGroups = 8
	winLen    = group * winGroups

	// blockGroups is the level detector's block: it decides every 2.5 ms.
	blockGroups = 5
	// onBlocks is how many blocks (120 samples) the level's on-decision
	// looks at (at least minBlocks, right after the correlators start),
	// offBlocks how many its off-decision looks at.
	onBlocks  = 6
	minBlocks = 3
	offBlocks = 2

	// shareBits is how many bits the FSK shape test averages over;
	// fastBits how many its quick path needs.
	shareBits = 16
	fastBits  = 4
	minEach   = 2 // of each tone in shareBits bits, for the slow path
	// maxJitter is the largest smoothed DPLL error (in bits) the slow path
	// accepts: V.21 at 2 dB SNR shows under 0.2 once locked, speech and
	// noise 0.25 or more.
	maxJitter = 0.21

	// bitPhase is one bit of DPLL phase.
	bitPhase = 1 << 32
)

// Carrier detection thresholds (see the package comment).
const (
	// onLevel and offLevel are the in-band carrier thresholds, dBm0.
	onLevel  = -44.5
	offLevel = -49.5

	// The FSK shape test: at each bit's sampling instant, the winning
	// tone's energy less the losing tone's, as a share of all the energy
	// in the window. A clean V.21 signal gives 0.95, V.21 at 2 dB SNR 0.56
	// on average, white noise 0.06, V.29- and V.27ter-like signals in the
	// band 0.1 to 0.22 (averaged over 16 bits, the highest seen in seconds
	// of each: noise 0.12, V.29 0.22, V.27ter at 1600 baud 0.28, at 1200
	// baud 0.37; V.21 at 2 dB SNR never under 0.47).
	onShare   = 0.45 // over shareBits bits
	fastShare = 0.75 // over fastBits bits
	offShare  = 0.25 // over shareBits bits
)

// slot is one group of samples in the correlation window.
type slot struct {
	q0r, q0i, q1r, q1i float64      // the group's products with the space and mark references
	x                  [group]int16 // the samples
	e                  int64        // their energy (kept while idle only)
}

// xx returns the group's energy.
func (s *slot) xx() int64 {
	var e int64
	for _, v := range s.x {
		e += int64(v) * int64(v)
	}
	return e
}

// A Receiver demodulates one V.21 channel and delivers its bits
// synchronously (one per 1/300 s while carrier is present) to a sink.
type Receiver struct {
	ch     Channel
	sink   dsp.BitSink
	status dsp.StatusHandler

	ref  []refGroup // correlator references, one period
	gram [][2]gram  // their inverse Gram matrices, for the least-squares fits
	ti   int        // reference index of the next group

	// Samples left over from the last Process call (fewer than a group).
	pend  [group]int16
	npend int

	// Sliding correlation window, kept as exact sums.
	ring               [winGroups]slot
	pos                int     // next slot to overwrite (the oldest)
	s0r, s0i, s1r, s1i float64 // Σ x·ref over the window (exact integers)
	w                  int64   // Σ x² over the window (kept while idle)
	active             bool    // the correlators are running
	gate               int64   // window energy that starts the correlators

	// Level detector, evaluated every blockGroups groups while active.
	blockN    int
	blockE    float64 // this block's Σ(E0+E1), one term per group
	histE     [onBlocks]float64
	hist      int // next history entry
	valid     int // blocks evaluated since activation or carrier down
	onE, offE float64
	carrierE  float64 // the carrier's smoothed block energy
	mute      int     // blocks to skip after a gap

	// FSK shape test, one term per bit.
	shares     [shareBits]float64
	share      int    // next entry
	shareCount int    // entries since activation or carrier down
	decisions  uint16 // the last 16 bits decided (delivered or not), newest lowest
	carrier    bool

	// Bit timing DPLL: phase in 1/2^32 of a bit, advanced once per group.
	p       int64
	step    int64 // nominal phase step per sample
	adj     int64 // frequency correction (integral path), per sample
	maxAdj  int64
	prevD   float64
	crosses int     // transitions seen since the DPLL last started acquiring
	jitter  float64 // smoothed |phase error| at transitions, in bits

	// Statistics for Report, over the bits since carrier came up.
	nstat      int     // bits that fed them
	nfreq      int     // offset estimates made
	sigE, errE float64 // smoothed tone and residual energies in the window
	offset     float64 // smoothed carrier offset, Hz
	adjAvg     float64 // smoothed adj
	lastMark   bool    // the last bit delivered
	lastMark2  bool    // the one before
	pend1      toneFit // the last bit's statistics
	lastPure   toneFit // the last bit they came from
	clock      int64   // groups of samples processed
	bitClock   int64   // clock at the current sampling instant
}

// toneFit describes the least-squares fit of the winning tone to the
// window at a sampling instant: x ≈ a·cos(ωn) + b·sin(ωn).
type toneFit struct {
	sig, res float64 // the fit's energy and what it leaves
	a, b     float64
	mark     bool
	clock    int64 // the window's end, in groups
	ok       bool
}

// NewReceiver returns a receiver for channel ch that delivers its bits to
// sink (nil discards them).
func NewReceiver(ch Channel, sink dsp.BitSink) (*Receiver, error) {
	if _, _, err := ch.Frequencies(); err != nil {
		return nil, err
	}
	r := &Receiver{ch: ch, sink: sink, ref: tables[ch], gram: grams[ch]}
	r.step = int64(math.Round(bitPhase * BitRate / dsp.SampleRate))
	r.maxAdj = r.step / 1000 // ±1000 ppm
	// E0+E1 for a V.21 signal of power P is about P·(refScale·winLen)²/2.
	k := float64(refScale) * winLen
	r.onE = dsp.PowerFromDBm0(onLevel) * k * k / 2
	r.offE = dsp.PowerFromDBm0(offLevel) * k * k / 2
	// Start the correlators when the window's broadband power comes within
	// 2 dB of the on level: below that no in-band level can turn the
	// carrier on (in-band power is at most the broadband power, and a
	// 32-sample window of a steady signal varies far less than 2 dB).
	r.gate = int64(dsp.PowerFromDBm0(onLevel-2) * winLen)
	r.Reset()
	return r, nil
}

// Channel returns the receiver's channel.
func (r *Receiver) Channel() Channel { return r.ch }

// String describes the receiver.
func (r *Receiver) String() string { return fmt.Sprintf("%v receiver", r.ch) }

// SetStatusHandler sets the function told of carrier up (followed by
// training succeeded: V.21 has no training) and carrier down; nil for none.
func (r *Receiver) SetStatusHandler(h dsp.StatusHandler) { r.status = h }

// Reset forgets everything heard and waits for a new signal.
func (r *Receiver) Reset() {
	r.ring = [winGroups]slot{}
	r.pos, r.ti, r.npend = 0, 0, 0
	r.s0r, r.s0i, r.s1r, r.s1i, r.w = 0, 0, 0, 0, 0
	r.active, r.carrier = false, false
	r.blockN, r.blockE, r.hist, r.mute = 0, 0, 0, 0
	r.forget()
	r.p, r.prevD = 0, 0
	r.nstat = 0
}

// forget clears the detectors' history (a new carrier must show itself in
// blocks and bits of its own) and restarts the DPLL's acquisition.
func (r *Receiver) forget() {
	r.histE, r.valid = [onBlocks]float64{}, 0
	r.shares, r.shareCount, r.decisions = [shareBits]float64{}, 0, 0
	r.crosses, r.adj = 0, 0
	r.jitter = 0.25 // what crossings at random places give
}

func (r *Receiver) report(s dsp.Status) {
	if r.status != nil {
		r.status(s)
	}
}

// Process demodulates in and returns len(in).
func (r *Receiver) Process(in []int16) int {
	n := len(in)
	if r.npend > 0 {
		k := copy(r.pend[r.npend:], in)
		r.npend += k
		in = in[k:]
		if r.npend < group {
			return n
		}
		r.npend = 0
		r.groups(r.pend[:])
	}
	whole := len(in) &^ (group - 1)
	r.npend = copy(r.pend[:], in[whole:])
	r.groups(in[:whole])
	return n
}

// groups demodulates a whole number of groups of samples.
func (r *Receiver) groups(in []int16) {
	for len(in) > 0 {
		var k int
		if r.active {
			k = r.processActive(in)
		} else {
			k = r.processIdle(in)
		}
		in = in[k:]
	}
}

// processIdle keeps the window's raw samples and broadband energy only,
// until that energy could hold a carrier; then it starts the correlators
// and returns how many samples it used.
func (r *Receiver) processIdle(in []int16) int {
	pos, w, gate := r.pos&(winGroups-1), r.w, r.gate
	ring := &r.ring
	for k := group - 1; k < len(in); k += group {
		x := (*[group]int16)(in[k-(group-1) : k+1])
		sl := &ring[pos]
		x0, x1, x2, x3 := int64(x[0]), int64(x[1]), int64(x[2]), int64(x[3])
		e := x0*x0 + x1*x1 + x2*x2 + x3*x3
		w += e - sl.e
		sl.x, sl.e = *x, e
		pos = (pos + 1) & (winGroups - 1)
		if w >= gate {
			r.pos, r.w = pos, w
			r.ti = (r.ti + k/group + 1) % len(r.ref)
			r.clock += int64(k/group + 1)
			r.activate()
			return k + 1
		}
	}
	r.pos, r.w = pos, w
	r.ti = (r.ti + len(in)/group) % len(r.ref)
	r.clock += int64(len(in) / group)
	return len(in)
}

// activate recomputes the correlator products and sums over the window from
// its raw samples and starts the correlators.
func (r *Receiver) activate() {
	r.s0r, r.s0i, r.s1r, r.s1i = 0, 0, 0, 0
	ti := r.ti
	for k := 0; k < winGroups; k++ {
		// Walk back from the newest group.
		if ti--; ti < 0 {
			ti = len(r.ref) - 1
		}
		s := &r.ring[(r.pos-1-k)&(winGroups-1)]
		f := &r.ref[ti]
		s.q0r, s.q0i, s.q1r, s.q1i = 0, 0, 0, 0
		for j, v := range s.x {
			x := float64(v)
			s.q0r += x * f.c0[j]
			s.q0i += x * f.s0[j]
			s.q1r += x * f.c1[j]
			s.q1i += x * f.s1[j]
		}
		r.s0r += s.q0r
		r.s0i += s.q0i
		r.s1r += s.q1r
		r.s1i += s.q1i
	}
	r.active = true
	r.blockN, r.blockE = 0, 0
	r.forget()
	r.prevD = 0
}

// processActive runs the correlators, the DPLL and the carrier detector on
// in, one group of samples at a time; it returns early (with how many
// samples it used) when the input falls quiet enough to stop the
// correlators.
func (r *Receiver) processActive(in []int16) int {
	ring := &r.ring
	ref := r.ref
	pos, ti := r.pos&(winGroups-1), r.ti
	s0r, s0i, s1r, s1i := r.s0r, r.s0i, r.s1r, r.s1i
	p, step4, prevD := r.p, group*(r.step+r.adj), r.prevD
	blockN, blockE := r.blockN, r.blockE
	for k := group - 1; k < len(in); k += group {
		// Correlate: slide the window on by one group.
		x := (*[group]int16)(in[k-(group-1) : k+1])
		x0, x1, x2, x3 := float64(x[0]), float64(x[1]), float64(x[2]), float64(x[3])
		f := &ref[ti]
		sl := &ring[pos]
		q0r := x0*f.c0[0] + x1*f.c0[1] + x2*f.c0[2] + x3*f.c0[3]
		q0i := x0*f.s0[0] + x1*f.s0[1] + x2*f.s0[2] + x3*f.s0[3]
		q1r := x0*f.c1[0] + x1*f.c1[1] + x2*f.c1[2] + x3*f.c1[3]
		q1i := x0*f.s1[0] + x1*f.s1[1] + x2*f.s1[2] + x3*f.s1[3]
		s0r += q0r - sl.q0r
		s0i += q0i - sl.q0i
		s1r += q1r - sl.q1r
		s1i += q1i - sl.q1i
		sl.q0r, sl.q0i, sl.q1r, sl.q1i = q0r, q0i, q1r, q1i
		sl.x = *x
		pos = (pos + 1) & (winGroups - 1)
		if ti++; ti == len(ref) {
			ti = 0
		}
		e0 := s0r*s0r + s0i*s0i
		e1 := s1r*s1r + s1i*s1i
		d := e1 - e0 // > 0: mark (1)

		// Bit timing: a sign change of d is a transition between bits,
		// expected half a bit from the sampling instants.
		p += step4
		if (d > 0) != (prevD > 0) {
			// Interpolate the crossing's position within the group.
			back := d / (d - prevD) // 0..1 of a group before now
			r.p = p
			p = r.transition(p - int64(back*float64(step4)))
			step4 = group * (r.step + r.adj)
		}
		if p >= bitPhase {
			p -= bitPhase
			// The sampling instant fell p/step4 of a group ago:
			// interpolate the decision variable to it.
			frac := min(1, float64(p)/float64(step4))
			r.pos, r.ti = pos, ti
			r.s0r, r.s0i, r.s1r, r.s1i = s0r, s0i, s1r, s1i
			r.bitClock = r.clock + int64(k/group+1)
			r.bit(d-frac*(d-prevD) > 0, e0, e1)
		}
		prevD = d

		// The level detector, per block.
		blockE += e0 + e1
		if blockN++; blockN == blockGroups {
			blockN = 0
			r.pos, r.ti = pos, ti
			r.s0r, r.s0i, r.s1r, r.s1i = s0r, s0i, s1r, s1i
			r.p, r.prevD = p, prevD
			stop := r.evaluate(blockE)
			blockE = 0
			if stop {
				r.blockN, r.blockE = 0, 0
				r.clock += int64(k/group + 1)
				return k + 1
			}
			step4 = group * (r.step + r.adj)
		}
	}
	r.pos, r.ti = pos, ti
	r.s0r, r.s0i, r.s1r, r.s1i = s0r, s0i, s1r, s1i
	r.p, r.prevD = p, prevD
	r.blockN, r.blockE = blockN, blockE
	r.clock += int64(len(in) / group)
	return len(in)
}

// DPLL gains: the first transition sets the phase, the next few pull hard,
// then it tracks gently; the integral path follows a clock offset.
var acquireShift = [...]uint{0, 1, 1, 2, 2, 3, 3}

const (
	trackShift = 4 // proportional gain 1/16
	// integralShift sets the integral gain, 2^-10 of the error per
	// transition: about Kp²/4, critically damped.
	integralShift = 10
	// transitionAt is where in the bit (DPLL phase) the crossing of the
	// two tones' energies falls when the sampling instants are centred on
	// the bits: half a bit from them (the window is symmetric).
	transitionAt = bitPhase / 2
)

// transition takes a crossing at DPLL phase x (relative to the current
// bit) and returns the corrected phase.
func (r *Receiver) transition(x int64) int64 {
	if r.mute > 0 {
		return r.p
	}
	e := x - transitionAt
	// Wrap to ±half a bit.
	e = (e+bitPhase/2)&(bitPhase-1) - bitPhase/2
	r.jitter += (math.Abs(float64(e))/bitPhase - r.jitter) * (1.0 / 8)
	if r.crosses < len(acquireShift) {
		r.p -= e >> acquireShift[r.crosses]
		r.crosses++
		return r.p
	}
	r.p -= e >> trackShift
	// e is the error accumulated over the bits since the last correction;
	// the integral path turns it into a step correction.
	r.adj -= (e >> integralShift) * BitRate / dsp.SampleRate
	r.adj = max(-r.maxAdj, min(r.maxAdj, r.adj))
	return r.p
}

// bit takes one sampling instant: it feeds the FSK shape test and, while
// carrier is present, delivers the bit and updates the statistics.
func (r *Receiver) bit(mark bool, e0, e1 float64) {
	var w int64
	for k := range r.ring {
		w += r.ring[k].xx()
	}
	// The FSK shape test.
	const wScale = float64(refScale) * refScale * winLen / 2
	if w > 0 {
		r.shares[r.share] = (max(e0, e1) - min(e0, e1)) / (float64(w) * wScale)
	} else {
		r.shares[r.share] = 0
	}
	r.share = (r.share + 1) % shareBits
	r.shareCount++
	r.decisions <<= 1
	if mark {
		r.decisions |= 1
	}
	if !r.carrier {
		return
	}

	// The statistics are taken on a bit whose neighbours are the same bit,
	// so the window (which reaches 2⅔ samples into each neighbour) holds a
	// pure tone: the previous bit, now that this one is known.
	if mark == r.lastMark && mark == r.lastMark2 {
		k := 1.0 / 16
		if r.nstat == 0 {
			k = 1
		}
		r.nstat++
		r.adjAvg += (float64(r.adj) - r.adjAvg) * k / 2
		r.sigE += (r.pend1.sig - r.sigE) * k
		r.errE += (r.pend1.res - r.errE) * k
		// Carrier offset: the fitted tone's phase turns at the offset
		// (x = R·cos(ωn − φ) with φ = atan2(b, a) falling at 2π·Δf/fs per
		// sample), measured between two consecutive pure bits (so within
		// one run of the same tone).
		if q, p := &r.lastPure, &r.pend1; q.ok && q.mark == p.mark && p.clock-q.clock <= 8 {
			re := p.a*q.a + p.b*q.b
			im := p.b*q.a - p.a*q.b
			hz := -math.Atan2(im, re) * dsp.SampleRate / (2 * math.Pi * float64(group*(p.clock-q.clock)))
			if r.nfreq == 0 {
				r.offset = hz
			} else {
				r.offset += (hz - r.offset) * (1.0 / 16)
			}
			r.nfreq++
		}
		r.lastPure = r.pend1
	}
	r.lastMark2, r.lastMark = r.lastMark, mark

	// This bit's statistics. Signal quality: the energy of the winning
	// tone's least-squares fit to the window against what the window holds
	// besides it.
	g := &r.gram[r.ti][0]
	cr, ci := r.s0r, r.s0i
	if mark {
		g = &r.gram[r.ti][1]
		cr, ci = r.s1r, r.s1i
	}
	// [a b] = G⁻¹·[Σx·cos Σx·sin]; the fit's energy is their product.
	a := (g.a*cr + g.b*ci) * (1.0 / refScale)
	b := (g.b*cr + g.d*ci) * (1.0 / refScale)
	fit := (a*cr + b*ci) * (1.0 / refScale)
	r.pend1 = toneFit{sig: fit, res: max(0, float64(w)-fit), a: a, b: b, mark: mark, clock: r.bitClock, ok: true}

	if r.sink != nil {
		b := 0
		if mark {
			b = 1
		}
		r.sink.PutBit(b)
	}
}

// shareAvg returns the FSK shape test's average over the last n bits.
func (r *Receiver) shareAvg(n int) float64 {
	var s float64
	for k := 1; k <= n; k++ {
		s += r.shares[(r.share-k+shareBits)%shareBits]
	}
	return s / float64(n)
}

// evaluate runs the carrier detector at the end of a block; it returns true
// when the correlators should stop.
func (r *Receiver) evaluate(blockE float64) bool {
	// Energy rising by more than 6 dB in-band, without carrier, is a new
	// signal arriving (over noise, or over silence within the window's
	// length): the DPLL starts acquiring afresh on it.
	var prevE float64
	for k := range r.histE {
		prevE += r.histE[k]
	}
	if !r.carrier && r.valid > 0 && blockE*float64(min(r.valid, onBlocks)) > 4*prevE {
		r.crosses, r.adj = 0, 0
		r.shareCount = 0
	}
	r.histE[r.hist] = blockE
	last := r.hist
	r.hist = (r.hist + 1) % onBlocks
	r.valid++
	if r.mute > 0 {
		r.mute--
		return false
	}
	if !r.carrier {
		// The block's broadband energy: its groups are the newest in the
		// window. Stop the correlators when it is below the gate.
		var bx int64
		for k := 1; k <= blockGroups; k++ {
			bx += r.ring[(r.pos-k)&(winGroups-1)].xx()
		}
		if bx*winGroups < r.gate*blockGroups {
			r.w = 0
			for k := range r.ring {
				r.ring[k].e = r.ring[k].xx()
				r.w += r.ring[k].e
			}
			r.active = false
			return true
		}
		// The in-band level, over the blocks since activation (up to
		// onBlocks of them, at least minBlocks).
		nb := min(r.valid, onBlocks)
		if nb < minBlocks || r.shareCount < fastBits {
			return false
		}
		var e float64
		for k := range r.histE {
			e += r.histE[k]
		}
		if e < r.onE*float64(nb*blockGroups) {
			return false
		}
		// T.30 sends flags or HDLC data, whose zero-bit insertion keeps
		// both tones coming: at least minEach of each in 16 bits (a speech
		// harmonic on one tone does not).
		ones := bits.OnesCount16(r.decisions)
		mixed := r.shareCount >= shareBits && ones >= minEach && ones <= shareBits-minEach
		if r.shareAvg(fastBits) >= fastShare ||
			mixed && r.jitter < maxJitter && r.shareAvg(shareBits) >= onShare {
			r.carrierUp()
		}
		return false
	}
	// Carrier off: the in-band level falls under the off threshold or 9 dB
	// under the carrier's own level (the end of a transmission, even over
	// noise), or the signal stops looking like FSK.
	prev := (last + onBlocks - 1) % onBlocks
	e2 := r.histE[last] + r.histE[prev]
	if e2 < r.offE*offBlocks*blockGroups || e2 < r.carrierE*offBlocks/8 ||
		r.shareCount >= shareBits && r.shareAvg(shareBits) < offShare {
		r.carrierDown()
		return false
	}
	r.carrierE += (blockE - r.carrierE) * (1.0 / 16)
	return false
}

func (r *Receiver) carrierUp() {
	r.carrier = true
	r.shareCount = 0 // the off test waits for shareBits bits of carrier
	r.carrierE = 0
	for k := range r.histE {
		r.carrierE += r.histE[k] / onBlocks
	}
	r.nstat = 0
	r.lastMark, r.lastMark2 = false, true // no statistics until three bits are known
	r.report(dsp.StatusCarrierUp)
	r.report(dsp.StatusTrainingSucceeded)
}

func (r *Receiver) carrierDown() {
	r.carrier = false
	r.forget()
	r.report(dsp.StatusCarrierDown)
}

// Fill tells the receiver that n samples of audio were lost. The bit clock
// runs on through the gap but the bits it would have sampled are lost (not
// delivered); the carrier state is kept, and the window refills from the
// samples that follow.
func (r *Receiver) Fill(n int) {
	if n <= 0 {
		return
	}
	var zeros [winLen + 2*group]int16
	sink := r.sink
	r.sink = nil
	defer func() { r.sink = sink }()
	// Skip the detectors' decisions and the DPLL's corrections until the
	// window holds real samples again.
	r.mute = (winLen+blockGroups*group-1)/(blockGroups*group) + 1
	// Fill the window with zeros, ending on a group boundary.
	k := winLen + (group-(r.npend+winLen)%group)%group
	if n <= k+group {
		r.Process(zeros[:n])
		return
	}
	r.Process(zeros[:k])
	n -= k
	// The window is all zeros now: move the clocks on by whole groups,
	// and feed the rest as zeros.
	skip := min(n, 1<<30) &^ (group - 1)
	r.ti = (r.ti + skip/group) % len(r.ref)
	r.clock += int64(skip / group)
	r.p = (r.p + int64(skip)*(r.step+r.adj)) % bitPhase
	r.Process(zeros[:n&(group-1)])
}

// Report describes the signal: while carrier is present, the level of the
// V.21 tones (in-band), the carrier offset (from the phase of least-squares
// tone fits in consecutive bits of one tone: within 0.2 Hz at 20 dB SNR),
// the bit clock offset (the DPLL's integral path) and an SNR estimate (the
// fitted tone's energy against the rest of the window, on bits whose
// neighbours are the same bit); otherwise only the broadband level of the
// last 32 samples.
func (r *Receiver) Report() dsp.RxReport {
	var w int64
	for k := range r.ring {
		w += r.ring[k].xx()
	}
	level := max(-99, dsp.DBm0FromPower(float64(w)/winLen))
	if !r.carrier {
		return dsp.RxReport{LevelDBm0: level}
	}
	if r.nstat == 0 {
		return dsp.RxReport{LevelDBm0: level, Trained: true}
	}
	q := 99.0
	if r.errE > 0 {
		q = min(99, 10*math.Log10(r.sigE/r.errE))
	}
	return dsp.RxReport{
		LevelDBm0:       dsp.DBm0FromPower(r.sigE / winLen),
		CarrierOffsetHz: r.offset,
		SymbolOffsetPPM: r.adjAvg / float64(r.step) * 1e6,
		QualityDB:       q,
		Trained:         true,
	}
}

// Prefetch asks the CPU to fetch the receiver's state into its caches
// ahead of the next Process: a server calls it for the next channel while
// it runs this one (see package dsp/prefetch).
func (r *Receiver) Prefetch() { prefetch.Object(r) }
