// Package v27ter is the ITU-T V.27ter modem: 4800 bit/s (1600 baud, 8-phase
// differential PSK, three bits per symbol) and 2400 bit/s (1200 baud,
// 4-phase, two bits per symbol) on an 1800 Hz carrier, as T.30 uses it for
// fax image data and TCF.
//
// The transmitter follows V.27ter §2: Gray-coded phase changes (§2.3,
// tables 1 and 2), the self-synchronising scrambler 1 + x^-6 + x^-7 with its
// guard against repetitive patterns (§2.4), 50% roll-off raised-cosine
// shaping split as a root-raised-cosine pair between transmitter and
// receiver (§2.2), and the long training sequence of §2.5 (table 3):
// 20 ms of silence, 50 symbols of 180° phase reversals, 1074 symbols of
// reversals keyed by the scrambler (equaliser conditioning), and 8 symbols
// of scrambled ones before the data. Like SpanDSP, whose transmitter is our
// interop peer, the talker-echo-protection tone of segment 1 is left out
// (T.30 fax does not use it) and a transmission ends with 32 symbols of
// scrambled ones.
//
// The receiver mixes the line signal to baseband, matched-filters it with a
// polyphase root-raised-cosine bank that also interpolates to any sampling
// instant, recovers symbol timing with a Gardner detector, equalises with a
// half-symbol-spaced complex LMS equaliser trained on the known conditioning
// segment (it replicates the transmitter's scrambler), and tracks the carrier
// with a second-order decision-directed loop. Training is judged on the last
// stretch of the conditioning segment and on the eight test symbols, whose
// values are known: a receiver that cannot train reports
// dsp.StatusTrainingFailed and delivers nothing.
package v27ter

import "errors"

// ErrRate reports an unsupported bit rate.
var ErrRate = errors.New("v27ter: unsupported bit rate (want 4800 or 2400)")

// Training sequence lengths in symbols (V.27ter §2.5, long train).
const (
	segSilence   = 32   // segment 2: 20 ms of no signal at 1600 baud
	segReversals = 50   // segment 3: continuous 180° reversals
	segTraining  = 1074 // segment 4: scrambler-keyed reversals
	segOnes      = 8    // segment 5: scrambled binary ones
	shutdownOnes = 32   // ones after the data, before the carrier stops

	carrierHz = 1800.0

	// scramblerSeed is the register the transmitter starts from, so the
	// receiver can replicate the conditioning segment (the value SpanDSP
	// uses; any value works as long as both ends agree).
	scramblerSeed = 0x3C
)

// constellation holds the eight phases, 45° apart, at amplitude √2
// (2400 bit/s uses the even ones).
var constellation [8]complex64

func init() {
	for i := range constellation {
		// cos/sin of i·45°, exact enough in float32.
		c := [8]complex64{complex(1.41421356, 0), complex(1, 1), complex(0, 1.41421356), complex(-1, 1),
			complex(-1.41421356, 0), complex(-1, -1), complex(0, -1.41421356), complex(1, -1)}
		constellation[i] = c[i]
	}
}

// Phase changes in 45° steps for each tribit (4800, V.27ter table 1:
// 001→0°, 000→45°, 010→90°, 011→135°, 111→180°, 110→225°, 100→270°,
// 101→315°, the first bit of the tribit the most significant) and dibit
// (2400, table 2: 00→0°, 01→90°, 11→180°, 10→270°).
var (
	stepFor4800 = [8]uint8{1, 0, 2, 3, 6, 7, 5, 4}
	stepFor2400 = [4]uint8{0, 2, 6, 4}
	bitsFor4800 [8]uint8 // inverse: phase step → tribit
	bitsFor2400 [8]uint8 // phase step (even) → dibit
)

func init() {
	for b, s := range stepFor4800 {
		bitsFor4800[s] = uint8(b)
	}
	for b, s := range stepFor2400 {
		bitsFor2400[s] = uint8(b)
	}
}

// scrambler is V.27ter's 1 + x^-6 + x^-7 scrambler with the §2.4 guard:
// when the line bit has matched one of the bits 8, 9 or 12 places earlier
// for 33 bits running (a short repetitive pattern), the next line bit is
// inverted. The same struct descrambles.
type scrambler struct {
	reg   uint32 // line bits, newest in bit 0
	count int
}

// scramble returns the line bit for data bit in.
func (s *scrambler) scramble(in int) int {
	out := (in ^ int(s.reg>>5) ^ int(s.reg>>6)) & 1
	if s.count >= 33 {
		out ^= 1
		s.count = 0
	} else if s.differs(out) {
		s.count = 0
	} else {
		s.count++
	}
	s.reg = s.reg<<1 | uint32(out)
	return out
}

// descramble returns the data bit for line bit in.
func (s *scrambler) descramble(in int) int {
	out := (in ^ int(s.reg>>5) ^ int(s.reg>>6)) & 1
	if s.count >= 33 {
		out ^= 1
		s.count = 0
	} else if s.differs(in) {
		s.count = 0
	} else {
		s.count++
	}
	s.reg = s.reg<<1 | uint32(in&1)
	return out
}

// differs reports whether line bit b differs from each of the bits 8, 9 and
// 12 places before it: no short period is repeating.
func (s *scrambler) differs(b int) bool {
	r := int(s.reg)
	return ((r>>7)^b)&((r>>8)^b)&((r>>11)^b)&1 != 0
}
