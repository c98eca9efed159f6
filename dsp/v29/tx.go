package v29

import (
	"fmt"
	"math"

	"github.com/faxd/faxd/dsp"
)

// V.29 §1 and §2: 2400 baud, 1700 Hz carrier.
const (
	baudRate    = 2400
	carrierFreq = 1700.0
	// 1700/8000 = 17/80: the carrier repeats exactly every 80 samples.
	carrierPeriod = 80
)

// Training sequence lengths in symbols (V.29 §2, the synchronizing signals, as SpanDSP
// sends them): segment 1 silence, 2 alternations, 3 equaliser
// conditioning, 4 scrambled ones; and the ones sent after the data.
const (
	seg1Len     = 48
	seg2Len     = 128
	seg3Len     = 384
	seg4Len     = 48
	shutdownLen = 31
	seg2Start   = seg1Len
	seg3Start   = seg2Start + seg2Len
	seg4Start   = seg3Start + seg3Len
	trainEnd    = seg4Start + seg4Len
)

// Signal points (V.29 §2, the signal space diagram), indexed by
// amplitude bit * 8 + absolute phase / 45 degrees. Relative amplitudes 3
// and 5 on the axes, sqrt2 and 3*sqrt2 on the diagonals.
var points = [16]complex64{
	3, 1 + 1i, 3i, -1 + 1i, -3, -1 - 1i, -3i, 1 - 1i,
	5, 3 + 3i, 5i, -3 + 3i, -5, -3 - 3i, -5i, 3 - 3i,
}

// Phase changes in units of 45 degrees for the three phase bits Q2Q3Q4
// (V.29 §2, the table of phase changes) and for the two bits Q2Q3 at 4800 bit/s.
var (
	phaseStep8 = [8]uint8{1, 0, 2, 3, 6, 7, 5, 4}
	phaseStep4 = [4]uint8{0, 2, 6, 4}
)

// Training points per rate (V.29 §2, synchronizing signals): segment 2 alternates
// B and A (B first), segment 3 chooses C or D with the training generator.
type trainPoints struct{ a, b, c, d complex64 }

func trainingPoints(rate int) trainPoints {
	switch rate {
	case 9600:
		return trainPoints{a: 3 - 3i, b: -3, c: 3, d: -3 + 3i}
	case 7200:
		return trainPoints{a: 1 - 1i, b: -3, c: 3, d: -1 + 1i}
	default:
		return trainPoints{a: -3i, b: -3, c: 3, d: 3i}
	}
}

// trainingSeed is the initial state of segment 3's 1 + x^-6 + x^-7
// generator (V.29 §2: 0101010 loaded at the start of segment 3).
const trainingSeed = 0x2A

// Pulse shaper: a root raised cosine at 24 kHz (10 points per symbol, 3 per
// output sample) split into 10 polyphase branches of spanSyms taps.
const (
	rrcBeta  = 0.25
	spanSyms = 8
	phases   = 10
)

// meanSymbolPower is the mean |point|^2 of each rate's alphabet, used to
// give every rate the same line level.
func meanSymbolPower(rate int) float64 {
	switch rate {
	case 9600:
		return 13.5
	case 7200:
		return 5.5
	default:
		return 9
	}
}

// A Transmitter is a V.29 modulator. It sends the training sequence of
// V.29 §2, then the data from its source scrambled by 1 + x^-18 + x^-23
// (V.29 §5), then a few symbols of scrambled ones and stops.
type Transmitter struct {
	rate   int
	src    dsp.BitSource
	status dsp.StatusHandler

	bank [phases][spanSyms]float32 // bank[p][j]: tap (times gain) for the symbol j symbols back at phase p
	re   [2 * spanSyms]float32     // symbol history, doubled so a window is contiguous
	im   [2 * spanSyms]float32
	pos  int // index of the newest symbol in re/im (and pos+spanSyms)
	baud int // 24 kHz ticks since the newest symbol started (0..9)

	shape   [phases][spanSyms]float32 // unit-gain polyphase taps
	cosT    [carrierPeriod]float32    // carrier, exactly periodic at 8 kHz
	sinT    [carrierPeriod]float32
	carrier int // index into cosT/sinT

	scr      uint32 // scrambler register, newest line bit in bit 0
	trainReg uint8
	symbol   int   // symbols sent since the start of training
	absPhase uint8 // absolute phase, units of 45 degrees
	dataEnd  bool  // the source ran dry
	endSym   int   // symbols sent since then
	done     bool
	tp       trainPoints
}

// NewTransmitter makes a V.29 transmitter for rate 9600, 7200 or 4800 bit/s
// taking its data from src.
func NewTransmitter(rate int, src dsp.BitSource) (*Transmitter, error) {
	if rate != 9600 && rate != 7200 && rate != 4800 {
		return nil, fmt.Errorf("%w: %d", ErrRate, rate)
	}
	t := &Transmitter{rate: rate, src: src, tp: trainingPoints(rate)}
	h := dsp.RootRaisedCosine(rrcBeta, phases, spanSyms)
	for p := 0; p < phases; p++ {
		for j := 0; j < spanSyms; j++ {
			if k := p + phases*j; k < len(h) {
				t.shape[p][j] = h[k]
			}
		}
	}
	for i := range carrierPeriod {
		w := 2 * math.Pi * carrierFreq * float64(i) / dsp.SampleRate
		t.cosT[i], t.sinT[i] = float32(math.Cos(w)), float32(math.Sin(w))
	}
	t.SetLevel(-13)
	t.Reset()
	return t, nil
}

// SetLevel sets the transmitted level in dBm0 (default -13).
func (t *Transmitter) SetLevel(dBm0 float64) {
	// Passband power is E|x|^2/2 and the unit-energy shaper at 10 points
	// per symbol gives E|x|^2 = E|a|^2/10.
	g := float32(math.Sqrt(20 * dsp.PowerFromDBm0(dBm0) / meanSymbolPower(t.rate)))
	for p := range t.shape {
		for j := range t.shape[p] {
			t.bank[p][j] = t.shape[p][j] * g
		}
	}
}

// SetStatusHandler sets the function told of StatusEndOfData and
// StatusShutdownComplete.
func (t *Transmitter) SetStatusHandler(h dsp.StatusHandler) { t.status = h }

// Reset starts a new transmission, training again.
func (t *Transmitter) Reset() {
	t.re = [2 * spanSyms]float32{}
	t.im = [2 * spanSyms]float32{}
	t.pos, t.baud, t.carrier = 0, 0, 0
	t.scr = 0
	t.trainReg = trainingSeed
	t.symbol, t.absPhase, t.endSym = 0, 0, 0
	t.dataEnd, t.done = false, false
}

func (t *Transmitter) bit() int {
	b := 1
	if t.symbol > trainEnd && !t.dataEnd { // symbol was already counted
		b = t.src.GetBit()
		if b == dsp.EndOfData {
			t.dataEnd = true
			if t.status != nil {
				t.status(dsp.StatusEndOfData)
			}
			b = 1
		}
	}
	// V.29 §5: 1 + x^-18 + x^-23, taps written out for speed; the same
	// polynomial as dsp.PolyV29.
	out := (uint32(b) ^ t.scr>>17 ^ t.scr>>22) & 1
	t.scr = t.scr<<1 | out
	return int(out)
}

// nextSymbol returns the next point to send (V.29 §2).
func (t *Transmitter) nextSymbol() complex64 {
	n := t.symbol
	t.symbol++
	switch {
	case n < seg2Start:
		return 0
	case n < seg3Start:
		if (n-seg2Start)&1 == 0 {
			return t.tp.b
		}
		return t.tp.a
	case n < seg4Start:
		b := t.trainReg & 1
		t.trainReg = t.trainReg>>1 | ((b^(t.trainReg>>1))&1)<<6
		if b == 0 {
			return t.tp.c
		}
		return t.tp.d
	}
	amp := 0
	if t.rate == 9600 && t.bit() == 1 {
		amp = 8
	}
	q := t.bit()<<1 | t.bit()
	if t.rate == 4800 {
		t.absPhase = (t.absPhase + phaseStep4[q]) & 7
	} else {
		q = q<<1 | t.bit()
		t.absPhase = (t.absPhase + phaseStep8[q]) & 7
	}
	return points[amp|int(t.absPhase)]
}

// Process fills out with line samples and returns how many it wrote: len(out)
// while sending, fewer once the shutdown is over, then 0.
func (t *Transmitter) Process(out []int16) int {
	if t.done {
		return 0
	}
	baud, c := t.baud, t.carrier
	for i := range out {
		if baud += 3; baud >= phases {
			baud -= phases
			if !t.push() {
				return i
			}
		}
		h := &t.bank[baud%phases]
		re := (*[spanSyms]float32)(t.re[t.pos%spanSyms:])
		im := (*[spanSyms]float32)(t.im[t.pos%spanSyms:])
		xr := h[0]*re[0] + h[1]*re[1] + h[2]*re[2] + h[3]*re[3] +
			h[4]*re[4] + h[5]*re[5] + h[6]*re[6] + h[7]*re[7]
		xi := h[0]*im[0] + h[1]*im[1] + h[2]*im[2] + h[3]*im[3] +
			h[4]*im[4] + h[5]*im[5] + h[6]*im[6] + h[7]*im[7]
		c %= carrierPeriod
		// Saturate and round (as dsp.SaturateInt16, which does not inline).
		y := min(max(xr*t.cosT[c]-xi*t.sinT[c], -32768), 32767)
		out[i] = int16(int32(y+32768.5) - 32768)
		c++
	}
	t.baud, t.carrier = baud, c
	return len(out)
}

// push enters the next symbol into the shaper's history, or reports false
// once the shutdown symbols have all been sent.
func (t *Transmitter) push() bool {
	if t.dataEnd {
		if t.endSym == shutdownLen {
			t.done = true
			if t.status != nil {
				t.status(dsp.StatusShutdownComplete)
			}
			return false
		}
		t.endSym++
	}
	s := t.nextSymbol()
	t.pos--
	if t.pos < 0 {
		t.pos = spanSyms - 1
	}
	t.re[t.pos], t.re[t.pos+spanSyms] = real(s), real(s)
	t.im[t.pos], t.im[t.pos+spanSyms] = imag(s), imag(s)
	return true
}
