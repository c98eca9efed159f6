// Package v21 is the ITU-T V.21 300 bit/s frequency-shift-keyed modem, both
// channels, transmit and receive. Fax sends its T.30 control messages on
// channel 2 (T.30 §5: synchronous, 300 bit/s ±0.01%, HDLC frames after
// about 1 s of flags; receivers should accept 40% isochronous distortion).
//
// V.21 §2 gives the characteristic frequencies: channel 1 (the calling
// modem's, nominal mean 1080 Hz) sends binary 1 (mark, F_A) as 980 Hz and
// binary 0 (space, F_Z) as 1180 Hz; channel 2 (nominal mean 1750 Hz) sends
// 1650 Hz for 1 and 1850 Hz for 0. The modulation rate is 300 baud, one bit
// per baud, and V.21 §3 allows the transmitter ±6 Hz.
//
// The [Transmitter] is phase continuous: it switches frequency at the exact
// (fractional-sample) bit boundary without a phase jump. When its source
// returns [dsp.EndOfData] it sends nothing more (FSK has no shutdown
// sequence) and stops.
//
// The [Receiver] is a synchronous (HDLC) receiver:
//
//   - a non-coherent quadrature correlator against both tones over a sliding
//     32-sample window (1.2 bits: the tones leak less into each other than
//     over one bit, worth about 2 dB), kept as exact running sums and
//     stepped four samples at a time: sixteen multiplies per step and no
//     oscillator (the references are a table one tone period long). It
//     takes ±10 Hz of carrier offset without loss (V.21 §3 allows ±6 Hz);
//   - a digital PLL on the zero crossings of (mark energy − space energy),
//     interpolated within the step, that samples each bit where the window
//     covers it: it acquires on the first transition after a signal
//     arrives, then tracks with a proportional-plus-integral loop (tested to
//     ±400 ppm; T.30 asks ±100 ppm). Transitions may stray ±25% of a bit
//     (T.30 asks receivers to take 40% isochronous distortion, ±20%);
//   - carrier detection with hysteresis on two tests. The in-band level: on
//     at -44.5 dBm0, off at -49.5 dBm0 or 9 dB under the carrier's own level
//     (SpanDSP's fax front end uses a -45.5 dBm0 cutoff: on at -43, off at
//     -48). And the FSK shape: at each bit's sampling instant, the winning
//     tone's energy less the losing one's, as a share of the window's
//     energy, averaged over 4 bits (fast path, ≥ 0.75) or 16 bits (≥ 0.45
//     on, with both tones present and the DPLL's transitions regular;
//     < 0.25 off). White noise at any level, speech-like sounds, the fax
//     tones and V.29/V.27ter signals in the band do not pass it; V.21 does
//     down to about 0 dB SNR. No bit is delivered without carrier;
//   - when the input is quieter than the carrier threshold (silence, line
//     noise), only a running power sum is kept: the correlators are off.
//
// From the start of a transmission the receiver delivers every bit right
// but misses the first ones while it decides (T.30's preamble is 300 bits
// of flags): measured on flags, at most 6 bits at 8 dB SNR or better, 24
// at 2 to 4 dB, 30 on average at 0 dB.
//
// Cost on this project's reference machine (AMD EPYC Zen 3, 2.45 GHz): the
// receiver 4.8 ns a sample with a signal and 0.6 on silence or line noise
// (SpanDSP's: 15 and 14), the transmitter 0.65 (SpanDSP's: 4.4); see
// BenchmarkVsSpanDSP.
//
// V.21 has no training: the receiver reports [dsp.StatusCarrierUp] and then
// [dsp.StatusTrainingSucceeded] when carrier is detected, delivers bits until
// [dsp.StatusCarrierDown], and never reports [dsp.StatusTrainingFailed].
package v21

import (
	"errors"
	"fmt"
	"math"

	"github.com/faxd/faxd/dsp"
)

// A Channel is one of V.21's two channels.
type Channel int

// The channels of V.21 §2.
const (
	Channel1 Channel = 1 // 980 Hz = 1, 1180 Hz = 0 (the calling modem's)
	Channel2 Channel = 2 // 1650 Hz = 1, 1850 Hz = 0 (the answering modem's; T.30's control channel)
)

// ErrChannel is returned for a channel other than [Channel1] and [Channel2].
var ErrChannel = errors.New("v21: unsupported channel")

// BitRate is V.21's modulation rate: 300 baud, one bit per baud.
const BitRate = 300

// DefaultLevel is the transmit level, dBm0, unless SetLevel says otherwise.
const DefaultLevel = -13.0

// String names the channel.
func (c Channel) String() string {
	switch c {
	case Channel1:
		return "V.21 channel 1"
	case Channel2:
		return "V.21 channel 2"
	}
	return fmt.Sprintf("V.21 channel %d", int(c))
}

// Frequencies returns the channel's mark (binary 1) and space (binary 0)
// frequencies in Hz (V.21 §2).
func (c Channel) Frequencies() (mark, space float64, err error) {
	switch c {
	case Channel1:
		return 980, 1180, nil
	case Channel2:
		return 1650, 1850, nil
	}
	return 0, 0, fmt.Errorf("%w: %d", ErrChannel, int(c))
}

// Correlator reference tables. Both tones' phases repeat after
// 8000/gcd(8000, mark, space) samples (400 for channel 1, 160 for channel
// 2), so one table per channel holds the exact references and the receiver
// needs no oscillator. The references are Q14 integers held in float64:
// every product and every running sum of them is an integer below 2^53, so
// the receiver's float64 sliding sums are exact and never drift. The
// receiver works on groups of four samples, so the table is kept in groups.
const refScale = 1 << 14

// group is how many samples the receiver takes at a time.
const group = 4

// refGroup holds the references for a group of samples: cos and sin of the
// space (0) and mark (1) tones.
type refGroup struct{ c0, s0, c1, s1 [group]float64 }

var tables [3][]refGroup // indexed by Channel

// gram is the inverse of the Gram matrix [Σc², Σcs; Σcs, Σs²] of one tone's
// cos and sin references over a correlation window: over 32 samples the two
// are not quite orthogonal, and the least-squares fit of a tone to the
// window, c·G⁻¹·c, needs it. Indexed like the references, by the group
// that follows the window.
type gram struct{ a, b, d float64 } // G⁻¹ = [a b; b d]

var grams [3][][2]gram // indexed by Channel, then group index, then tone (0 space, 1 mark)

func init() {
	for _, c := range []Channel{Channel1, Channel2} {
		mark, space, _ := c.Frequencies()
		period := dsp.SampleRate / gcd(dsp.SampleRate, gcd(int(mark), int(space)))
		ref := func(f float64, i int) (cos, sin float64) {
			w := 2 * math.Pi * f * float64(i) / dsp.SampleRate
			return math.Round(refScale * math.Cos(w)), math.Round(refScale * math.Sin(w))
		}
		t := make([]refGroup, period/group)
		for i := range t {
			e := &t[i]
			for j := range group {
				e.c0[j], e.s0[j] = ref(space, group*i+j)
				e.c1[j], e.s1[j] = ref(mark, group*i+j)
			}
		}
		tables[c] = t
		g := make([][2]gram, period/group)
		for i := range g {
			for tone, f := range []float64{space, mark} {
				var cc, cs, ss float64
				for n := group*i - winLen; n < group*i; n++ {
					co, si := ref(f, (n+period)%period)
					co, si = co/refScale, si/refScale
					cc, cs, ss = cc+co*co, cs+co*si, ss+si*si
				}
				det := cc*ss - cs*cs
				g[i][tone] = gram{a: ss / det, b: -cs / det, d: cc / det}
			}
		}
		grams[c] = g
	}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Both ends satisfy the shared modem interfaces.
var (
	_ dsp.Transmitter = (*Transmitter)(nil)
	_ dsp.Receiver    = (*Receiver)(nil)
)
