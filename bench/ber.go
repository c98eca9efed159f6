package bench

import (
	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/line"
)

// A BERPoint is one receiver's bit error count at one SNR.
type BERPoint struct {
	ModemRate
	Impl   string  `json:"impl"`
	SNR    float64 `json:"snr_db"` // full band, signal to noise power
	Bits   int     `json:"bits"`
	Errors int     `json:"errors"`
	// Delivered counts the transmissions whose data mostly (more than
	// half the bits) came through: the others failed to train or lost
	// the signal.
	Delivered int `json:"delivered"`
	Trials    int `json:"trials"`
}

// BER is the bit error rate (missing bits count as errors).
func (p BERPoint) BER() float64 {
	if p.Bits == 0 {
		return 0
	}
	return float64(p.Errors) / float64(p.Bits)
}

// SweepConfig says how to sweep a modem's bit error rate over SNR.
type SweepConfig struct {
	SNRs    []float64 // dB
	Trials  int       // transmissions per SNR
	Seconds float64   // of data per transmission
	Seed    uint64
}

// BERSweep sends trials transmissions of our transmitter per SNR, adds
// white noise over the signal's span (not the silences around it, as
// SpanDSP's carrier detect holds on continuous noise above -45 dBm0 and
// would never train), and feeds the very same noisy samples to every
// implementation's receiver that supports m.
func BERSweep(impls []Impl, m ModemRate, cfg SweepConfig) ([]BERPoint, error) {
	var users []Impl
	for _, im := range impls {
		if im.Supports(m.Modem, m.Rate) {
			users = append(users, im)
		}
	}
	ours := Ours()
	var out []BERPoint
	for si, snr := range cfg.SNRs {
		pts := make([]BERPoint, len(users))
		for i, im := range users {
			pts[i] = BERPoint{ModemRate: m, Impl: im.Name, SNR: snr, Trials: cfg.Trials}
		}
		for trial := range cfg.Trials {
			seed := cfg.Seed + uint64(si)*1000 + uint64(trial)
			bits := RandomBits(int(cfg.Seconds*float64(m.Rate)), seed)
			sig, err := Modulate(ours, m, withPreamble(m.Modem, bits), -13)
			if err != nil {
				return nil, err
			}
			noisy := NoiseOverSignal(sig, line.NoiseForSNR(-13, snr), int64(seed))
			for i, im := range users {
				got, err := Demodulate(im, m, noisy)
				if err != nil {
					return nil, err
				}
				_, errs, n := CountErrors(bits, got, m.Modem == "v21")
				pts[i].Bits += n
				pts[i].Errors += errs
				if errs < n/2 {
					pts[i].Delivered++
				}
			}
		}
		out = append(out, pts...)
	}
	return out, nil
}

// NoiseOverSignal adds white noise at noiseDBm0 from sig's first non-zero
// sample to its last.
func NoiseOverSignal(sig []int16, noiseDBm0 float64, seed int64) []int16 {
	first, last := -1, -1
	for i, s := range sig {
		if s != 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	out := append([]int16(nil), sig...)
	if first < 0 {
		return out
	}
	n := line.Apply(line.Config{NoiseDBm0: noiseDBm0, Seed: seed}, make([]int16, last+1-first))
	for i, v := range n {
		out[first+i] = dsp.SaturateInt16(float32(out[first+i]) + float32(v))
	}
	return out
}
