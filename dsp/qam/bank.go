package qam

import (
	"math"
	"sync"

	"github.com/faxd/faxd/dsp"
)

// A matched-filter bank is the matched filter moved up to a carrier:
// mfPhases × ntaps taps each, real and imaginary parts apart, every
// phase's taps oldest first. A bank never changes once made, so every
// receiver with the same signal and carrier shares one: a server running
// thousands of receivers keeps one copy in cache, not thousands that each
// come back from memory on every 20 ms block.
type mfBank struct {
	re, im []float32
}

// bankKey names a bank: the pulse (roll-off, samples per symbol, span),
// the taps per phase, and the carrier in steps of bankGrid hertz.
type bankKey struct {
	rolloff, sps float64
	span, ntaps  int
	carrier      int64 // carrier frequency / bankGrid, rounded
}

// bankGrid is the grid, in hertz, the banks' carriers are rounded to. A
// bank built for a carrier up to bankGrid/2 away from the mixer's passes
// the signal shifted by that much, a phase slope of under 0.01 rad
// across the filter's span: nothing next to the noise of any line, and it
// keeps the number of banks small when every call's carrier is off by its
// own few hertz.
const bankGrid = 1.0 / 16

// maxBanks bounds the shared banks (a few kilobytes each); past it a
// receiver builds its own.
const maxBanks = 1024

var banks struct {
	sync.Mutex
	m      map[bankKey]*mfBank
	pulses map[bankKey][]float32 // the pulses, by key without carrier
}

// bankFor returns the bank for key, shared when it can be.
func bankFor(k bankKey) *mfBank {
	banks.Lock()
	defer banks.Unlock()
	if b := banks.m[k]; b != nil {
		return b
	}
	pk := k
	pk.carrier = 0
	h := banks.pulses[pk]
	if h == nil {
		// The matched filter sampled every 1/mfPhases of a sample.
		h = dsp.RootRaisedCosine(k.rolloff, k.sps*mfPhases, k.span)
		for i := range h {
			h[i] *= mfPhases
		}
		if banks.pulses == nil {
			banks.pulses = map[bankKey][]float32{}
		}
		banks.pulses[pk] = h
	}
	b := buildBank(h, k.ntaps, float64(k.carrier)*bankGrid)
	if len(banks.m) < maxBanks {
		if banks.m == nil {
			banks.m = map[bankKey]*mfBank{}
		}
		banks.m[k] = b
	}
	return b
}

// buildBank moves the pulse h up to carrierHz: tap j of phase p meets the
// sample τ = j + p/mfPhases samples before the output instant, and takes
// h(τ)·e^(jωτ).
func buildBank(h []float32, ntaps int, carrierHz float64) *mfBank {
	b := &mfBank{re: make([]float32, mfPhases*ntaps), im: make([]float32, mfPhases*ntaps)}
	w := 2 * math.Pi * carrierHz / dsp.SampleRate // radians a sample
	for p := 0; p < mfPhases; p++ {
		for j := 0; j < ntaps; j++ {
			var vr, vi float32
			if k := j*mfPhases + p; k < len(h) {
				s, c := math.Sincos(w * (float64(j) + float64(p)/mfPhases))
				vr, vi = h[k]*float32(c), h[k]*float32(s)
			}
			// Stored oldest first.
			b.re[p*ntaps+ntaps-1-j] = vr
			b.im[p*ntaps+ntaps-1-j] = vi
		}
	}
	return b
}
