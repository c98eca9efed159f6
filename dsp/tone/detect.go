package tone

import (
	"math"

	"github.com/faxd/faxd/dsp"
)

// Detection parameters.
const (
	blockLen = 80 // 10 ms: a 100 Hz wide bin, flat enough over ±38 Hz

	// A block holds a tone when the tone carries at least this share of
	// the block's energy (1 for a pure tone, 2/blockLen on average for white
	// noise; a tone 38 Hz off centre still gives about 0.6).
	minRatio = 0.45
	// ... and is no weaker than this (fax tones run from -6 to -43 dBm0).
	minLevelDBm0 = -46

	cngTolHz = 45 // T.30: 1100 ±38 Hz, with margin for measurement noise
	ansTolHz = 25 // T.30: 2100 ±15 Hz

	cngMinBlocks = 40 // 0.5 s -15% = 425 ms, less a block lost at each edge
	cngMaxBlocks = 65 // 0.5 s +15% = 575 ms, plus margin
	cngMinGap    = 200
	cngMaxGap    = 400 // 3 s ±15%, with margin: 2.0 to 4.0 s

	ansReportBlocks = 70 // classify an answer tone after 0.7 s of it
	maxGapBlocks    = 2  // a reversal or a noise hit may spoil a block or two
)

// Tone names what the Detector reports.
type Tone int

// The tones the Detector reports.
const (
	ToneCNG    Tone = iota + 1 // a CNG burst of the right length
	ToneAnswer                 // an answer tone (CED, ANS, ANSam, ...)
	ToneEnd                    // the answer tone reported before has stopped
)

func (t Tone) String() string {
	switch t {
	case ToneCNG:
		return "CNG"
	case ToneAnswer:
		return "answer tone"
	case ToneEnd:
		return "answer tone ended"
	}
	return "unknown tone"
}

// An Event is what the Detector reports.
type Event struct {
	Tone        Tone
	At          int64      // sample count at which it was decided
	Answer      AnswerKind // for ToneAnswer: the kind heard
	LevelDBm0   float64    // the tone's level
	OffsetHz    float64    // its frequency minus nominal
	Burst       int        // for CNG: which burst in an unbroken cadence (1, 2, ...)
	CadenceOK   bool       // for CNG: this burst came 3 s ±15% after the last one
	DurationSec float64    // for CNG: the burst's length; for ToneEnd: the tone's
}

// A correlator is a block DFT at one frequency with a phase-continuous
// reference, so consecutive blocks' phases can be compared.
type correlator struct {
	ref    dsp.NCO
	re, im float32
	// previous block
	pre, pim float32
}

// tracker follows one frequency's presence from block to block.
type tracker struct {
	run, gap  int     // blocks present in the current run; blocks missing since
	sumOff    float64 // frequency offsets summed over the run
	sumLevel  float64 // levels (mean square) summed over the run
	nOff      int
	started   int64 // sample count where the run began
	lastEnded int64 // where the last qualifying CNG burst ended
}

// A Detector finds CNG and answer tones in 8 kHz audio and reports them to
// its handler.
type Detector struct {
	handler func(Event)
	cng     correlator
	ans     correlator
	energy  float32
	n       int   // samples in the current block
	samples int64 // samples processed

	cngT  tracker
	burst int

	ansT     tracker
	reported bool
	// answer-tone classification over its first 0.7 s
	env       [ansReportBlocks]float32 // per-block amplitude
	spoilt    [ansReportBlocks]bool
	reversals int
	lastDPhi  float64 // the last block-to-block phase advance of the run
	haveDPhi  bool    // lastDPhi is valid
	minPower  float32
}

// NewDetector returns a detector that calls handler for every event.
func NewDetector(handler func(Event)) *Detector {
	d := &Detector{handler: handler}
	d.cng.ref.SetFrequency(cngFrequency)
	d.ans.ref.SetFrequency(ansFrequency)
	d.minPower = float32(dsp.PowerFromDBm0(minLevelDBm0))
	return d
}

// Reset forgets everything heard.
func (d *Detector) Reset() {
	h := d.handler
	*d = Detector{}
	*d = *NewDetector(h)
}

// Process consumes in and returns len(in).
func (d *Detector) Process(in []int16) int {
	for _, s := range in {
		x := float32(s)
		c, sn := d.cng.ref.Next()
		d.cng.re += x * c
		d.cng.im -= x * sn
		c, sn = d.ans.ref.Next()
		d.ans.re += x * c
		d.ans.im -= x * sn
		d.energy += x * x
		d.n++
		d.samples++
		if d.n == blockLen {
			d.block()
		}
	}
	return len(in)
}

// Fill accounts for n lost samples (treated as silence).
func (d *Detector) Fill(n int) {
	for ; n > 0; n-- {
		d.cng.ref.Advance(1)
		d.ans.ref.Advance(1)
		d.n++
		d.samples++
		if d.n == blockLen {
			d.block()
		}
	}
}

// measure returns a correlator's block: whether the tone is present, its
// mean square, and its frequency offset in Hz (from the phase advance since
// the previous block; valid only when the previous block held it too).
func (d *Detector) measure(c *correlator, tolHz float64) (present bool, power float32, offHz float64, dphi float64) {
	// A sine of amplitude A over the block gives |sum| = A·N/2, so its mean
	// square A²/2 is 2|sum|²/N².
	mag2 := c.re*c.re + c.im*c.im
	power = 2 * mag2 / (blockLen * blockLen)
	ms := d.energy / blockLen
	// Phase advance since the previous block: arg(c · conj(prev)).
	re := float64(c.re*c.pre + c.im*c.pim)
	im := float64(c.im*c.pre - c.re*c.pim)
	dphi = math.Atan2(im, re)
	offHz = dphi / (2 * math.Pi) * dsp.SampleRate / blockLen
	present = power >= d.minPower && ms > 0 && power >= minRatio*ms && math.Abs(offHz) <= tolHz
	return
}

func (d *Detector) block() {
	cngOn, cngPow, cngOff, _ := d.measure(&d.cng, cngTolHz)
	ansOn, ansPow, ansOff, ansDPhi := d.measure(&d.ans, 1e9) // judged below, reversals jump the phase
	ansAmp := float32(math.Sqrt(float64(ansPow)))
	d.trackCNG(cngOn, cngPow, cngOff)
	d.trackAnswer(ansOn, ansPow, ansAmp, ansOff, ansDPhi)
	d.cng.pre, d.cng.pim, d.cng.re, d.cng.im = d.cng.re, d.cng.im, 0, 0
	d.ans.pre, d.ans.pim, d.ans.re, d.ans.im = d.ans.re, d.ans.im, 0, 0
	d.energy, d.n = 0, 0
}

func (d *Detector) trackCNG(on bool, power float32, off float64) {
	t := &d.cngT
	if on {
		if t.run == 0 {
			t.started = d.samples - blockLen
			t.sumOff, t.sumLevel, t.nOff = 0, 0, 0
		}
		t.run += 1 + t.gap
		t.gap = 0
		t.sumOff += off
		t.sumLevel += float64(power)
		t.nOff++
		return
	}
	if t.run == 0 {
		return
	}
	t.gap++
	if t.gap <= maxGapBlocks {
		return
	}
	// The burst is over: judge its length.
	run := t.run
	t.run, t.gap = 0, 0
	if run < cngMinBlocks || run > cngMaxBlocks {
		d.burst = 0
		return
	}
	end := d.samples - int64(maxGapBlocks+1)*blockLen
	gapBlocks := (t.started - t.lastEnded) / blockLen
	cadence := d.burst > 0 && gapBlocks >= cngMinGap && gapBlocks <= cngMaxGap
	if cadence {
		d.burst++
	} else {
		d.burst = 1
	}
	t.lastEnded = end
	if d.handler != nil {
		d.handler(Event{
			Tone: ToneCNG, At: d.samples, Burst: d.burst, CadenceOK: cadence,
			LevelDBm0:   levelDBm0(t.sumLevel/float64(t.nOff), t.sumOff/float64(t.nOff)),
			OffsetHz:    t.sumOff / float64(t.nOff),
			DurationSec: float64(run*blockLen) / dsp.SampleRate,
		})
	}
}

func (d *Detector) trackAnswer(on bool, power, amp float32, off, dphi float64) {
	t := &d.ansT
	measured := false // off and dphi compare this block with the run's last
	if on && t.run > 0 && t.gap == 0 {
		switch {
		case d.haveDPhi && math.Abs(wrap(dphi-d.lastDPhi)) > 2*math.Pi/3:
			// A phase reversal: a jump of about π in the block-to-block
			// phase advance. The tone's own advance stays the reference.
			if t.run < ansReportBlocks {
				d.reversals++
				d.spoilt[t.run] = true
				d.spoilt[t.run-1] = true
			}
			dphi = d.lastDPhi
		case math.Abs(off) > ansTolHz:
			// Not 2100 Hz ±15 Hz: whatever ran so far ends here, and this
			// block may start a run of its own.
			d.endAnswer()
		default:
			measured = true
		}
	}
	if !on {
		if t.run == 0 {
			return
		}
		t.gap++
		d.haveDPhi = false
		if t.gap > maxGapBlocks {
			d.endAnswer()
		}
		return
	}
	if t.run == 0 {
		t.started = d.samples - blockLen
		t.sumOff, t.sumLevel, t.nOff = 0, 0, 0
		d.reversals = 0
		clear(d.spoilt[:])
	}
	// Blocks lost in a gap count towards the run but not the envelope.
	for g := 0; g < t.gap; g++ {
		if k := t.run + g; k < ansReportBlocks {
			d.spoilt[k] = true
		}
	}
	t.run += t.gap
	t.gap = 0
	if t.run < ansReportBlocks {
		d.env[t.run] = amp
	}
	t.run++
	if measured {
		t.sumOff += off
		t.nOff++
		d.lastDPhi = dphi
		d.haveDPhi = true
	}
	t.sumLevel += float64(power)
	if !d.reported && t.run >= ansReportBlocks {
		d.reportAnswer()
	}
}

// endAnswer closes the answer tone's run, reporting its end if its start
// was reported.
func (d *Detector) endAnswer() {
	t := &d.ansT
	if d.reported && d.handler != nil {
		d.handler(Event{Tone: ToneEnd, At: d.samples, DurationSec: float64(t.run*blockLen) / dsp.SampleRate})
	}
	t.run, t.gap = 0, 0
	d.reported = false
	d.haveDPhi = false
}

// reportAnswer classifies the answer tone from its first 0.7 s: phase
// reversals (V.25 ANS/, V.8 ANSam/) and the 15 Hz envelope (V.8 ANSam).
func (d *Detector) reportAnswer() {
	d.reported = true
	// The envelope's 15 Hz component, over the unspoilt blocks (a block
	// holding a phase reversal has a dip that is not AM).
	var sum float64
	n := 0
	for i, a := range d.env {
		if !d.spoilt[i] && i > 0 {
			sum += float64(a)
			n++
		}
	}
	depth := 0.0
	if n > 10 {
		mean := sum / float64(n)
		var re, im float64
		for i, a := range d.env {
			if d.spoilt[i] || i == 0 {
				continue
			}
			w := 2 * math.Pi * amFrequency * float64(i) * blockLen / dsp.SampleRate
			re += (float64(a) - mean) * math.Cos(w)
			im += (float64(a) - mean) * math.Sin(w)
		}
		depth = 2 * math.Hypot(re, im) / float64(n) / mean
	}
	kind := ANS
	am := depth >= 0.1 && depth <= 0.35
	switch {
	case am && d.reversals > 0:
		kind = ANSamPR
	case am:
		kind = ANSam
	case d.reversals > 0:
		kind = ANSPR
	}
	if d.handler != nil {
		t := &d.ansT
		d.handler(Event{
			Tone: ToneAnswer, At: d.samples, Answer: kind,
			LevelDBm0: levelDBm0(t.sumLevel/float64(t.run), t.sumOff/float64(max(t.nOff, 1))),
			OffsetHz:  t.sumOff / float64(max(t.nOff, 1)),
		})
	}
}

// levelDBm0 turns a tone's mean square as one block DFT bin measured it
// into its level, undoing the bin's sinc roll-off at the tone's offset.
func levelDBm0(power, offHz float64) float64 {
	x := math.Pi * offHz * blockLen / dsp.SampleRate
	g := 1.0
	if x != 0 {
		g = math.Sin(x) / x
	}
	return dsp.DBm0FromPower(power / (g * g))
}

// wrap brings an angle into (-π, π].
func wrap(a float64) float64 {
	for a > math.Pi {
		a -= 2 * math.Pi
	}
	for a <= -math.Pi {
		a += 2 * math.Pi
	}
	return a
}
