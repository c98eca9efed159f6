package qam

import (
	"math"
	"sync"
	"sync/atomic"

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

// Retuning moves a receiver's mixer, and its matched filter with it, onto
// the far carrier (Frontend.RetuneCarrier), in the middle of a call's
// real-time processing. The banks for every carrier a receiver can retune
// to are therefore laid out when the first front end of a signal is made
// (Init may allocate): a bankSet, one bank every bankGrid hertz from
// maxRetuneHz below the nominal carrier to maxRetuneHz above. Each bank is
// computed the first time a receiver needs it, into memory the set
// already holds: a retune takes no lock once its bank is made, and
// allocates nothing. (Until this layout a missing bank was made and
// cached on the spot, with an allocation the fuzzer caught in Process.)
const (
	// bankGrid is the grid, in hertz, the banks' carriers lie on. A bank
	// built for a carrier up to bankGrid/2 away from the mixer's passes
	// the signal shifted by that much, a phase slope across the filter's
	// span of 2π·(bankGrid/2)·ntaps/8000 rad: under 0.01 rad for every
	// modem's filter (0.0063 at V.17's 32 taps), nothing next to the noise
	// of any line; the phase loop takes the offset that remains.
	bankGrid = 0.5
	// maxRetuneHz is how far from the nominal carrier the banks reach:
	// the receivers give up training past ±20 Hz (SpanDSP's limit), and a
	// short train's retune to the last carrier found adds the phase
	// loop's share to that. A carrier further off takes the last bank.
	maxRetuneHz = 24
	setSize     = int(2*maxRetuneHz/bankGrid) + 1
)

// setKey names a bankSet: the pulse (roll-off, samples per symbol, span),
// the taps per phase, and the nominal carrier.
type setKey struct {
	rolloff, sps float64
	span, ntaps  int
	carrierHz    float64
}

// A bankSet holds the banks of one pulse around one nominal carrier.
type bankSet struct {
	key   setKey
	h     []float32 // the matched filter sampled every 1/mfPhases of a sample
	banks [setSize]mfBank
	made  [setSize]atomic.Bool
	mu    sync.Mutex // held while a bank is made
}

var sets struct {
	sync.Mutex
	m map[setKey]*bankSet
}

// bankSetFor returns the set for k, made (but its banks not yet computed)
// on first use.
func bankSetFor(k setKey) *bankSet {
	sets.Lock()
	defer sets.Unlock()
	if s := sets.m[k]; s != nil {
		return s
	}
	s := &bankSet{key: k}
	s.h = dsp.RootRaisedCosine(k.rolloff, k.sps*mfPhases, k.span)
	for i := range s.h {
		s.h[i] *= mfPhases
	}
	n := mfPhases * k.ntaps
	re, im := make([]float32, setSize*n), make([]float32, setSize*n)
	for i := range s.banks {
		s.banks[i] = mfBank{re: re[i*n : (i+1)*n : (i+1)*n], im: im[i*n : (i+1)*n : (i+1)*n]}
	}
	if sets.m == nil {
		sets.m = map[setKey]*bankSet{}
	}
	sets.m[k] = s
	return s
}

// index returns the grid point nearest carrierHz, within the set.
func (s *bankSet) index(carrierHz float64) int {
	i := int(math.Round((carrierHz-s.key.carrierHz)/bankGrid)) + setSize/2
	return min(max(i, 0), setSize-1)
}

// bank returns bank i, computing it if no receiver has needed it yet.
func (s *bankSet) bank(i int) *mfBank {
	if !s.made[i].Load() {
		s.mu.Lock()
		if !s.made[i].Load() {
			fillBank(&s.banks[i], s.h, s.key.ntaps, s.key.carrierHz+float64(i-setSize/2)*bankGrid)
			s.made[i].Store(true)
		}
		s.mu.Unlock()
	}
	return &s.banks[i]
}

// fillBank fills b (mfPhases·ntaps taps) with the pulse h moved up to
// carrierHz: tap j of phase p meets the sample τ = j + p/mfPhases samples
// before the output instant, and takes h(τ)·e^(jωτ).
func fillBank(b *mfBank, h []float32, ntaps int, carrierHz float64) {
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
}
