package tone

import (
	"math"

	"github.com/faxd/faxd/dsp"
)

// Durations in samples, from T.30 §4.1 and V.8 §7.3.
const (
	ms = dsp.SampleRate / 1000

	cngOn        = 500 * ms
	cngOff       = 3000 * ms
	cedSilence   = 200 * ms  // T.30 §4.1.2: CED follows 0.2 s of silence
	cedLength    = 3300 * ms // 3.3 s ±0.7 s
	ansamLength  = 5000 * ms // V.8: ANSam lasts up to 5 s
	reversalStep = 450 * ms  // V.25 §5.2.2: a reversal every 450 ms ±25 ms
	amFrequency  = 15.0      // V.8 §7.3: 15 Hz ±0.1 Hz
	amDepth      = 0.2       // 20% ±1%
	cngFrequency = 1100.0
	ansFrequency = 2100.0
)

// A CNGGenerator makes the calling tone: 0.5 s of 1100 Hz, 3 s of silence,
// repeating for as long as it is asked.
type CNGGenerator struct {
	nco   dsp.NCO
	amp   float32
	phase int // samples into the current 3.5 s cycle
}

// NewCNGGenerator returns a CNG generator at level dBm0 (T.30 asks for the
// same level as the modem signals: about -13 dBm0).
func NewCNGGenerator(dBm0 float64) *CNGGenerator {
	g := &CNGGenerator{amp: float32(dsp.PeakFromDBm0(dBm0))}
	g.nco.SetFrequency(cngFrequency)
	return g
}

// Reset starts the tone again from the beginning of its first cycle (the
// level kept), so that a terminal can keep its generator from call to call.
func (g *CNGGenerator) Reset() {
	g.phase = 0
	g.nco.SetPhase(0)
}

// SetLevel sets the level in dBm0.
func (g *CNGGenerator) SetLevel(dBm0 float64) { g.amp = float32(dsp.PeakFromDBm0(dBm0)) }

// Process fills out and returns len(out): CNG repeats until the caller stops.
func (g *CNGGenerator) Process(out []int16) int {
	for i := range out {
		if g.phase < cngOn {
			out[i] = dsp.SaturateInt16(g.amp * g.nco.Sin())
		} else {
			out[i] = 0
		}
		g.phase++
		if g.phase == cngOn+cngOff {
			g.phase = 0
			g.nco.SetPhase(0)
		}
	}
	return len(out)
}

// AnswerKind is one of the answer tones on 2100 Hz.
type AnswerKind int

// The answer tones.
const (
	ANS     AnswerKind = iota + 1 // plain 2100 Hz (CED in T.30)
	ANSPR                         // with phase reversals (V.25 "ANS/")
	ANSam                         // 15 Hz amplitude modulation (V.8)
	ANSamPR                       // both (V.8 "ANSam/")
	ansKinds
)

func (k AnswerKind) String() string {
	switch k {
	case ANS:
		return "ANS"
	case ANSPR:
		return "ANS/"
	case ANSam:
		return "ANSam"
	case ANSamPR:
		return "ANSam/"
	}
	return "unknown answer tone"
}

func (k AnswerKind) reversals() bool { return k == ANSPR || k == ANSamPR }
func (k AnswerKind) am() bool        { return k == ANSam || k == ANSamPR }

// An AnswerGenerator makes an answer tone: T.30's CED (0.2 s silence, then
// 3.3 s of 2100 Hz) or one of the V.25/V.8 variants (5 s for ANSam).
type AnswerGenerator struct {
	kind     AnswerKind
	carrier  dsp.NCO
	envelope dsp.NCO
	amp      float32
	pos      int // samples generated
	silence  int // leading silence
	length   int // tone length
	hop      int // samples to the next phase reversal
}

// NewAnswerGenerator returns a generator of kind at level dBm0 (for ANSam
// the level of the unmodulated carrier). It returns nil for an unknown kind.
func NewAnswerGenerator(kind AnswerKind, dBm0 float64) *AnswerGenerator {
	if kind < ANS || kind >= ansKinds {
		return nil
	}
	g := &AnswerGenerator{kind: kind, amp: float32(dsp.PeakFromDBm0(dBm0)), silence: cedSilence, length: cedLength, hop: reversalStep}
	if kind.am() {
		g.length = ansamLength
	}
	g.carrier.SetFrequency(ansFrequency)
	g.envelope.SetFrequency(amFrequency)
	return g
}

// SetLength changes the tone's length (not counting the leading silence).
func (g *AnswerGenerator) SetLength(samples int) { g.length = samples }

// Reset starts the tone again from its leading silence (kind, level and
// length kept), so that a terminal can keep its generator from call to
// call.
func (g *AnswerGenerator) Reset() {
	g.pos, g.hop = 0, reversalStep
	g.carrier.SetPhase(0)
	g.envelope.SetPhase(0)
}

// SetLevel sets the level in dBm0 (for ANSam, the unmodulated carrier's).
func (g *AnswerGenerator) SetLevel(dBm0 float64) { g.amp = float32(dsp.PeakFromDBm0(dBm0)) }

// Process fills out; it returns fewer than len(out) once the tone is over.
func (g *AnswerGenerator) Process(out []int16) int {
	for i := range out {
		switch {
		case g.pos < g.silence:
			out[i] = 0
		case g.pos < g.silence+g.length:
			a := g.amp
			if g.kind.am() {
				a *= 1 + amDepth*g.envelope.Sin()
			}
			if g.kind.reversals() {
				if g.hop == 0 {
					g.carrier.AdjustPhase(math.Pi)
					g.hop = reversalStep
				}
				g.hop--
			}
			out[i] = dsp.SaturateInt16(a * g.carrier.Sin())
		default:
			return i
		}
		g.pos++
	}
	return len(out)
}
