package v29

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/prefetch"
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

// The modulator of V.29 §1 and §2, 2400 baud on a 1700 Hz carrier, with
// the carrier folded into the pulse shaper: a symbol a = I + jQ adds
// Re{a·h(t)·e^(jωt)} to the line. 1700 Hz at 8000 samples/s repeats every
// 80 samples, and 80 samples are 24 whole symbols at 2400 baud, so a
// symbol starts at one of 24 (carrier, shaper) phases, its slot. The
// waveform is linear in the point: in slot s it is I·hc_s − Q·hs_s, with
// hc_s and hs_s the cosine and sine parts of the modulated pulse over the
// waveLen samples from the one at which the symbol enters. The transmitter
// adds that (dsp.Axpy2) into an accumulator a symbol instead of filtering
// and mixing every sample.
//
// The linear form keeps the table to two rows a slot, 6 KB, where a row a
// point (24 slots × 16 points, 41 KB), one read at random each symbol,
// went cold in the caches between one transmitter's steps when thousands
// take turns.
const (
	slots   = carrierPeriod * baudRate / dsp.SampleRate // 24
	waveLen = (phases*spanSyms + 2) / 3                 // 27 samples at 3 ticks of 10 a symbol
	// pulseLen is waveLen padded with zeros to whole vectors of 8 for
	// dsp.Axpy2 (whose tail loop costs more than the zeros).
	pulseLen = 32
	// accWrap is where the accumulator's read position goes back to 0,
	// taking the pending waveLen samples along.
	accWrap = 64
	noPoint = len(points) // the symbol index of silence
)

// pulseTable holds, for each slot s, hc_s (row 0) and hs_s (row 1) at unit
// gain, waveLen samples and zeros to pulseLen, the same for every rate.
type pulseTable [slots][2][pulseLen]float32

// pulses makes, once, the table of the modulated pulse.
var pulses = sync.OnceValue(func() *pulseTable {
	var p pulseTable
	h := dsp.RootRaisedCosine(rrcBeta, phases, spanSyms)
	// Follow Process: sample c (from the start) advances the shaper 3
	// ticks first, and a new symbol enters when the ticks pass 10.
	slot, baud := 0, 0
	for c := range carrierPeriod {
		if baud += 3; baud < phases {
			continue
		}
		baud -= phases
		for m := range waveLen {
			// Sample c+m takes tap baud+3m of the 24 kHz pulse.
			k := baud + 3*m
			if k >= phases*spanSyms {
				break
			}
			wt := 2 * math.Pi * carrierFreq * float64(c+m) / dsp.SampleRate
			p[slot][0][m] = float32(float64(h[k]) * math.Cos(wt))
			p[slot][1][m] = float32(float64(h[k]) * math.Sin(wt))
		}
		slot++
	}
	return &p
})

// A Transmitter is a V.29 modulator. It sends the training sequence of
// V.29 §2, then the data from its source scrambled by 1 + x^-18 + x^-23
// (V.29 §5), then a few symbols of scrambled ones and stops.
type Transmitter struct {
	rate   int
	nbits  int // bits per data symbol
	src    dsp.BitSource
	status dsp.StatusHandler

	pulses *pulseTable
	gain   float32
	// acc holds the line samples from the next one on (at head), as far
	// as the symbols entered so far make them, at unit gain.
	acc  [accWrap + pulseLen]float32
	head int
	slot int // the slot of the next symbol, 0..23
	baud int // 24 kHz ticks since the newest symbol started (0..9)

	scr      uint32 // scrambler register, newest line bit in bit 0
	trainReg uint8
	symbol   int   // symbols sent since the start of training
	absPhase uint8 // absolute phase, units of 45 degrees
	dataEnd  bool  // the source ran dry
	endSym   int   // symbols sent since then
	done     bool
	tp       trainPoints
	tpIndex  [4]uint8 // tp's A, B, C, D as indices into points
}

// NewTransmitter makes a V.29 transmitter for rate 9600, 7200 or 4800 bit/s
// taking its data from src.
func NewTransmitter(rate int, src dsp.BitSource) (*Transmitter, error) {
	if rate != 9600 && rate != 7200 && rate != 4800 {
		return nil, fmt.Errorf("%w: %d", ErrRate, rate)
	}
	t := &Transmitter{rate: rate, nbits: rate / baudRate, src: src, pulses: pulses(), tp: trainingPoints(rate)}
	for i, z := range [4]complex64{t.tp.a, t.tp.b, t.tp.c, t.tp.d} {
		t.tpIndex[i] = uint8(slices.Index(points[:], z))
	}
	t.SetLevel(-13)
	t.Reset()
	return t, nil
}

// SetLevel sets the transmitted level in dBm0 (default -13).
func (t *Transmitter) SetLevel(dBm0 float64) {
	// Passband power is E|x|^2/2 and the unit-energy shaper at 10 points
	// per symbol gives E|x|^2 = E|a|^2/10.
	t.gain = float32(math.Sqrt(20 * dsp.PowerFromDBm0(dBm0) / meanSymbolPower(t.rate)))
}

// SetStatusHandler sets the function told of StatusEndOfData and
// StatusShutdownComplete.
func (t *Transmitter) SetStatusHandler(h dsp.StatusHandler) { t.status = h }

// Reset starts a new transmission, training again.
func (t *Transmitter) Reset() {
	clear(t.acc[:])
	t.head, t.slot, t.baud = 0, 0, 0
	t.scr = 0
	t.trainReg = trainingSeed
	t.symbol, t.absPhase, t.endSym = 0, 0, 0
	t.dataEnd, t.done = false, false
}

// SetSource makes src the source of the next transmission's data and
// restarts the transmission, as Reset (the level and the status handler
// are kept): a terminal keeps one transmitter for every transmission of
// its calls instead of making one each time.
func (t *Transmitter) SetSource(src dsp.BitSource) {
	t.src = src
	t.Reset()
}

// nextSymbol returns the next point to send (V.29 §2).
func (t *Transmitter) nextSymbol() complex64 {
	if pt := t.nextPoint(); pt != noPoint {
		return points[pt]
	}
	return 0
}

// nextPoint returns the next point to send (V.29 §2) as an index into
// points, or noPoint for silence.
func (t *Transmitter) nextPoint() int {
	n := t.symbol
	t.symbol++
	switch {
	case n < seg2Start:
		return noPoint
	case n < seg3Start:
		// B first, then A.
		return int(t.tpIndex[1-(n-seg2Start)&1])
	case n < seg4Start:
		b := t.trainReg & 1
		t.trainReg = t.trainReg>>1 | ((b^(t.trainReg>>1))&1)<<6
		return int(t.tpIndex[2+b]) // C for 0, D for 1
	}
	// Segment 4 (scrambled ones), the data and the ones of the shutdown,
	// the first bit in time the most significant of d. When the source
	// runs dry the rest of the symbol is ones.
	nb := t.nbits
	d := uint32(1)<<nb - 1
	if n >= trainEnd && !t.dataEnd {
		d = 0
		for k := range nb {
			v := t.src.GetBit()
			if v == dsp.EndOfData {
				t.endOfData()
				d = (d+1)<<(nb-k) - 1 // and ones
				break
			}
			d = d<<1 | uint32(v)&1
		}
	}
	// The scrambler of V.29 §5, 1 + x^-18 + x^-23 (dsp.PolyV29), on all
	// the symbol's bits at once: each line bit depends only on those 18
	// and 23 before it, all in the register already.
	q := (d ^ t.scr>>(18-nb) ^ t.scr>>(23-nb)) & (1<<nb - 1)
	t.scr = t.scr<<nb | q
	// Q1 chooses the amplitude at 9600 bit/s; the rest the phase change.
	amp := 0
	switch t.rate {
	case 9600:
		amp = int(q>>3) * 8
		t.absPhase = (t.absPhase + phaseStep8[q&7]) & 7
	case 7200:
		t.absPhase = (t.absPhase + phaseStep8[q&7]) & 7
	default:
		t.absPhase = (t.absPhase + phaseStep4[q&3]) & 7
	}
	return amp | int(t.absPhase)
}

// endOfData notes that the source has run dry.
func (t *Transmitter) endOfData() {
	t.dataEnd = true
	if t.status != nil {
		t.status(dsp.StatusEndOfData)
	}
}

// Process fills out with line samples and returns how many it wrote: len(out)
// while sending, fewer once the shutdown is over, then 0.
//
// It takes the accumulator a stretch at a time, up to accWrap: first it
// enters every symbol that begins within the stretch, then converts the
// stretch to samples and clears it, in vectors (dsp.ScaleToInt16). A
// symbol adds nothing before the sample at which it enters, so each sample
// sums the same symbols in the same order as it would sample by sample.
// (Converting a sample at a time between the symbols took 10 to 16% longer
// in BenchmarkTransmitter.)
func (t *Transmitter) Process(out []int16) int {
	if t.done {
		return 0
	}
	baud, head, g := t.baud, t.head, t.gain
	acc := &t.acc
	n := 0
	for n < len(out) && !t.done {
		end := min(accWrap, head+len(out)-n)
		// A symbol enters at the sample whose 3 ticks take baud to phases;
		// baud counts the ticks before sample h.
		for h := head; ; {
			s := h + (phases-1-baud)/3
			if s >= end {
				baud += 3 * (end - h)
				break
			}
			baud += 3*(s-h+1) - phases
			h = s + 1
			if !t.push(s) {
				end = s // the shutdown is over: the output ends before s
				break
			}
		}
		dsp.ScaleToInt16(out[n:n+end-head], acc[head:end], g)
		clear(acc[head:end])
		n += end - head
		if head = end; head == accWrap {
			// Samples from accWrap on are pending (the pulse's padding
			// added nothing past waveLen); from waveLen to accWrap were
			// sent and cleared.
			copy(acc[:waveLen], acc[accWrap:])
			clear(acc[accWrap:])
			head = 0
		}
	}
	t.baud, t.head = baud, head
	return n
}

// push adds the next symbol's waveform into the accumulator from head on,
// or reports false once the shutdown symbols have all been sent.
func (t *Transmitter) push(head int) bool {
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
	pt := t.nextPoint()
	slot := t.slot
	if t.slot++; t.slot == slots {
		t.slot = 0
	}
	if pt == noPoint {
		return true
	}
	a, p := points[pt], &t.pulses[slot]
	dsp.Axpy2(t.acc[head:head+pulseLen], p[0][:], p[1][:], real(a), -imag(a))
	return true
}

// Prefetch asks the CPU to fetch the transmitter's state into its caches
// ahead of the next Process: a server calls it for the next channel while
// it runs this one (see package dsp/prefetch).
func (t *Transmitter) Prefetch() { prefetch.Object(t) }
