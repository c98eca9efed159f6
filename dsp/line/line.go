// Package line models a telephone line for tests, benchmarks and the
// simulated telephone network: the impairments a fax signal meets between
// two modems, applied in the order they occur on a real connection.
//
//  1. Sample-clock offset: the far end's clock runs ClockOffsetPPM fast (+)
//     or slow (-). A windowed-sinc polyphase interpolator (48 taps, 256
//     phases with linear interpolation between them, Kaiser window) resamples
//     the signal, so N samples in become about N/(1+ppm·1e-6) samples out
//     and every frequency rises by the same ratio.
//  2. Frequency offset (as from an FDM carrier system): every frequency is
//     shifted by FreqOffsetHz with a single-sideband mixer, the analytic
//     signal coming from a 127-tap Hilbert transformer.
//  3. Echo: a copy of the signal EchoDelay samples later at EchoDB.
//  4. Flat attenuation of AttenuationDB.
//  5. White Gaussian noise at NoiseDBm0, deterministic from Seed.
//  6. An optional G.711 round trip (mu-law or A-law).
//  7. Saturation to 16 bits.
//
// The Hilbert transformer delays the signal by 63 samples; the resampler
// keeps its timing (output sample k is the input at instant k·(1+ppm·1e-6))
// but holds back 24 samples until it has the inputs it interpolates from. Levels are in dBm0 as package dsp
// defines them; a full-band SNR is total signal power over total noise
// power across 0-4 kHz.
//
// Written by hand: no Go library offers a streaming, allocation-free
// telephone channel model.
package line

import (
	"math"
	"math/rand/v2"

	"github.com/faxd/faxd/dsp"
)

// Law selects the G.711 round trip at the end of the line.
type Law int

// The companding laws.
const (
	Linear Law = iota // no companding
	ULaw              // G.711 mu-law
	ALaw              // G.711 A-law
)

// Config describes a line. The zero value is a perfect line.
type Config struct {
	AttenuationDB  float64 // flat loss, dB (>= 0)
	NoiseDBm0      float64 // white Gaussian noise added at this level; 0 means no noise
	FreqOffsetHz   float64 // every frequency shifted by this much
	ClockOffsetPPM float64 // the far sample clock runs this many ppm fast (+) or slow (-)
	EchoDelay      int     // samples; 0 = no echo
	EchoDB         float64 // echo level relative to the signal (e.g. -20)
	Law            Law     // G.711 round trip at the end
	Seed           int64   // makes the noise deterministic
}

// NoiseForSNR returns the noise level that gives a full-band SNR of snrDB
// against a signal at signalDBm0.
func NoiseForSNR(signalDBm0, snrDB float64) float64 { return signalDBm0 - snrDB }

// Resampler and Hilbert transformer sizes.
const (
	rsTaps     = 48
	rsRing     = 2 * rsTaps // inputs kept: more than the taps, so an output never waits on a wrapped ring
	rsPhases   = 256
	hilbertLen = 127
	hilbertMid = hilbertLen / 2
)

// A Line applies a Config to a stream of samples.
type Line struct {
	cfg Config

	// resampler
	rsOn   bool
	rsStep float64 // input samples per output sample

	rsHist [2 * rsRing]float32
	rsPos  int   // ring write position
	rsIn   int64 // input samples taken
	rsOut  float64

	// frequency shifter
	fsOn   bool
	fsHist [2 * hilbertLen]float32
	fsPos  int
	fsNCO  dsp.NCO

	// echo
	echo     []float32
	echoPos  int
	echoGain float32

	gain     float32
	noiseRMS float64
	rng      *rand.Rand
}

var (
	rsTable [rsPhases + 1][rsTaps]float32 // polyphase sinc, one extra phase for interpolation
	hilbert [hilbertLen]float32
)

func init() {
	// Kaiser-windowed sinc, cutoff at 0.43 of the sample rate (3.44 kHz),
	// each phase normalised to unit DC gain.
	const beta = 8.0
	i0b := besselI0(beta)
	for p := 0; p <= rsPhases; p++ {
		frac := float64(p) / rsPhases
		var sum float64
		var row [rsTaps]float64
		for k := 0; k < rsTaps; k++ {
			// Tap k meets input sample (base - rsTaps/2 + 1 + k); the output
			// instant lies frac after base.
			t := float64(k-rsTaps/2+1) - frac
			x := t / (rsTaps / 2)
			w := 0.0
			if x > -1 && x < 1 {
				w = besselI0(beta*math.Sqrt(1-x*x)) / i0b
			}
			row[k] = 0.86 * sinc(0.86*t) * w
			sum += row[k]
		}
		for k := range row {
			rsTable[p][k] = float32(row[k] / sum)
		}
	}
	// Hilbert transformer: h[n] = 2/(πn) for odd n, Blackman-windowed.
	for i := range hilbert {
		n := i - hilbertMid
		if n%2 == 0 {
			continue
		}
		w := 0.42 - 0.5*math.Cos(2*math.Pi*float64(i)/(hilbertLen-1)) + 0.08*math.Cos(4*math.Pi*float64(i)/(hilbertLen-1))
		hilbert[i] = float32(2 / (math.Pi * float64(n)) * w)
	}
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / (2 * float64(k))) * (x / (2 * float64(k)))
		sum += term
		if term < 1e-12*sum {
			break
		}
	}
	return sum
}

// New returns a line with the given impairments.
func New(cfg Config) *Line {
	l := &Line{cfg: cfg}
	l.rsOn = cfg.ClockOffsetPPM != 0
	l.rsStep = 1 + cfg.ClockOffsetPPM*1e-6

	l.fsOn = cfg.FreqOffsetHz != 0
	l.fsNCO.SetFrequency(cfg.FreqOffsetHz)
	if cfg.EchoDelay > 0 {
		l.echo = make([]float32, cfg.EchoDelay)
		l.echoGain = float32(math.Pow(10, cfg.EchoDB/20))
	}
	l.gain = float32(math.Pow(10, -cfg.AttenuationDB/20))
	if cfg.NoiseDBm0 != 0 {
		l.noiseRMS = dsp.RMSFromDBm0(cfg.NoiseDBm0)
	}
	l.rng = rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6c696e65))
	return l
}

// Process passes in through the line into out and returns how many samples
// it wrote. With a clock offset that can differ from len(in) by one or two,
// so out must hold at least len(in)+4 samples.
func (l *Line) Process(out, in []int16) int {
	n := 0
	for _, s := range in {
		x := float32(s)
		if !l.rsOn {
			out[n] = l.after(x)
			n++
			continue
		}
		// Push the sample into the resampler's doubled ring.
		l.rsHist[l.rsPos] = x
		l.rsHist[l.rsPos+rsRing] = x
		l.rsPos++
		if l.rsPos == rsRing {
			l.rsPos = 0
		}
		l.rsIn++
		// Emit every output whose instant lies where the filter has the
		// samples it needs: the newest input is index rsIn-1, and an output
		// at time t needs inputs up to floor(t) + rsTaps/2.
		for {
			base := math.Floor(l.rsOut)
			if int64(base)+rsTaps/2 > l.rsIn-1 {
				break
			}
			frac := l.rsOut - base
			pf := frac * rsPhases
			p := int(pf)
			mu := float32(pf - float64(p))
			// The oldest sample the taps need is base - rsTaps/2 + 1; the
			// ring holds the last rsRing inputs starting at rsPos (zeros
			// before the first input).
			start := l.rsPos + int(int64(base)-rsTaps/2+1-(l.rsIn-rsRing))
			h := l.rsHist[start : start+rsTaps]
			a := dsp.Dot(rsTable[p][:], h)
			b := dsp.Dot(rsTable[p+1][:], h)
			out[n] = l.after(a + mu*(b-a))
			n++
			l.rsOut += l.rsStep
		}
	}
	return n
}

// after applies the stages that follow the resampler to one sample.
func (l *Line) after(x float32) int16 {
	if l.fsOn {
		l.fsHist[l.fsPos] = x
		l.fsHist[l.fsPos+hilbertLen] = x
		l.fsPos++
		if l.fsPos == hilbertLen {
			l.fsPos = 0
		}
		h := l.fsHist[l.fsPos : l.fsPos+hilbertLen]
		q := dsp.Dot(hilbert[:], h)
		i := h[hilbertMid]
		c, s := l.fsNCO.Next()
		// Re{(i + jq)·e^{jωt}}: every component moves up by the offset.
		x = i*c + q*s
	}
	if l.echo != nil {
		d := l.echo[l.echoPos]
		l.echo[l.echoPos] = x
		l.echoPos++
		if l.echoPos == len(l.echo) {
			l.echoPos = 0
		}
		x += l.echoGain * d
	}
	x *= l.gain
	if l.noiseRMS != 0 {
		x += float32(l.noiseRMS * l.rng.NormFloat64())
	}
	y := dsp.SaturateInt16(x)
	switch l.cfg.Law {
	case ULaw:
		y = dsp.ULawToLinear(dsp.LinearToULaw(y))
	case ALaw:
		y = dsp.ALawToLinear(dsp.LinearToALaw(y))
	}
	return y
}

// Delay returns how many samples the line holds back: the resampler's
// look-ahead and the frequency shifter's group delay.
func (l *Line) Delay() int {
	d := 0
	if l.rsOn {
		d += rsTaps / 2
	}
	if l.fsOn {
		d += hilbertMid
	}
	return d
}

// Apply passes a whole signal through a new line made from cfg, followed by
// enough silence to flush the filters, and returns what comes out.
func Apply(cfg Config, in []int16) []int16 {
	l := New(cfg)
	padded := make([]int16, len(in)+l.Delay())
	copy(padded, in)
	out := make([]int16, len(padded)+len(padded)/1000+8)
	n := 0
	for i := 0; i < len(padded); i += 160 {
		n += l.Process(out[n:], padded[i:min(i+160, len(padded))])
	}
	return out[:n]
}
