package qam

import (
	"math"
	"math/cmplx"

	"github.com/faxd/faxd/dsp"
	"testing"
)

func TestPhaseErrorAccuracy(t *testing.T) {
	worst, worstNear := 0.0, 0.0
	for i := -100000; i <= 100000; i++ {
		a := float64(i) / 100000 * math.Pi
		im, re := math.Sin(a)*3.7, math.Cos(a)*3.7
		d := math.Abs(phaseError(im, re) - math.Atan2(im, re))
		worst = math.Max(worst, d)
		if math.Abs(a) < 0.1 {
			worstNear = math.Max(worstNear, d)
		}
	}
	// Coarse far out, where the loop only needs the sign and rough size;
	// fine near lock.
	if worst > 1.2e-3 || worstNear > 1e-7 {
		t.Errorf("worst error %g rad, near lock %g", worst, worstNear)
	}
}

func TestSincos(t *testing.T) {
	worst := 0.0
	for i := -110000; i <= 110000; i++ {
		x := float64(i) / 100000 * math.Pi
		c, s := sincos(x)
		ws, wc := math.Sincos(x)
		worst = math.Max(worst, math.Max(math.Abs(float64(c)-wc), math.Abs(float64(s)-ws)))
	}
	if worst > 1e-6 {
		t.Errorf("worst error %g", worst)
	}
}

// TestBankShared: receivers of one signal share one matched-filter bank;
// a carrier retuned by a few hertz takes the bank of its grid point,
// shared again, and within bankGrid/2 of the exact carrier the taps
// differ by no more than the phase slope allows.
func TestBankShared(t *testing.T) {
	cfg := Config{CarrierHz: 1800, Baud: 2400, Rolloff: 0.5, SymbolPower: 1, EqLen: 8}
	a, b := New(cfg), New(cfg)
	if a.bank != b.bank {
		t.Fatal("two front ends of one signal have their own banks")
	}
	a.RetuneCarrier(3.3)
	b.RetuneCarrier(3.31)
	if a.bank == New(cfg).bank || a.bank != b.bank {
		t.Fatalf("retuned: %p %p (nominal %p)", a.bank, b.bank, New(cfg).bank)
	}
	h := dsp.RootRaisedCosine(cfg.Rolloff, a.sps*mfPhases, mfSpan)
	for i := range h {
		h[i] *= mfPhases
	}
	exact := mfBank{re: make([]float32, mfPhases*a.ntaps), im: make([]float32, mfPhases*a.ntaps)}
	fillBank(&exact, h, a.ntaps, 1803.3)
	var worst, peak float64
	for i := range exact.re {
		d := complex(float64(exact.re[i]-a.bank.re[i]), float64(exact.im[i]-a.bank.im[i]))
		worst = max(worst, cmplx.Abs(d))
		peak = max(peak, cmplx.Abs(complex(float64(exact.re[i]), float64(exact.im[i]))))
	}
	if worst > 0.01*peak {
		t.Errorf("grid bank off the exact one by %.3g of the peak tap %.3g", worst/peak, peak)
	}
}

// TestRetuneAllocates: once a front end is made, retuning its carrier
// anywhere, to a bank no receiver has used yet or past the banks' reach,
// allocates nothing (it runs in a call's real-time processing), and
// carriers past the reach take the outermost banks.
func TestRetuneAllocates(t *testing.T) {
	cfg := Config{CarrierHz: 1700, Baud: 2400, Rolloff: 0.3, SymbolPower: 1, EqLen: 8}
	f := New(cfg)
	hz := -30.0
	if a := testing.AllocsPerRun(200, func() {
		f.Restart()
		f.RetuneCarrier(hz)
		hz += 0.3
	}); a != 0 {
		t.Errorf("%v allocations a retune", a)
	}
	for _, c := range []struct {
		hz   float64
		want int
	}{{-100, 0}, {-maxRetuneHz, 0}, {0, setSize / 2}, {0.2, setSize / 2}, {0.3, setSize/2 + 1}, {maxRetuneHz, setSize - 1}, {2000, setSize - 1}} {
		f.Restart()
		f.RetuneCarrier(c.hz)
		if f.bankI != c.want || f.bank != &f.banks.banks[c.want] {
			t.Errorf("retuned by %g Hz: bank %d, want %d", c.hz, f.bankI, c.want)
		}
	}
}

// TestAdaptPrevious: an update made one symbol late with AdaptPrevious
// leaves the taps exactly as Adapt made at once would have, at every
// position of the delay line's ring (the previous symbol's window and its
// power are the ones used).
func TestAdaptPrevious(t *testing.T) {
	for _, n := range []int{20, 7} {
		cfg := Config{CarrierHz: 1800, Baud: 2400, Rolloff: 0.2, SymbolPower: 2, EqLen: n, EqCentre: n / 2, KeepPrevious: true}
		now, late := New(cfg), New(cfg)
		var pend struct {
			zr, target complex64
			rot        Rotation
		}
		have := false
		seed := uint32(1)
		symbols := 0
		for range 8000 {
			seed = seed*1664525 + 1013904223
			x := float32(int32(seed)>>20) + 300*float32(math.Sin(float64(symbols)))
			a, b := now.Sample(x), late.Sample(x)
			if a != b {
				t.Fatalf("EqLen %d: the two front ends' timing parted", n)
			}
			if !a {
				continue
			}
			symbols++
			zr, rot := now.Derotate(now.Equalise())
			late.Derotate(late.Equalise())
			if have {
				late.AdaptPrevious(pend.zr, pend.target, pend.rot, 0.01)
				if now.wre != late.wre || now.wim != late.wim {
					t.Fatalf("EqLen %d, symbol %d: taps differ:\n%v %v\n%v %v", n, symbols, now.wre[:n], now.wim[:n], late.wre[:n], late.wim[:n])
				}
			}
			target := complex(float32(math.Copysign(1, float64(real(zr)))), float32(math.Copysign(1, float64(imag(zr)))))
			now.Adapt(zr, target, rot, 0.01)
			pend.zr, pend.target, pend.rot, have = zr, target, rot, true
		}
		if symbols < 2*(n+2) {
			t.Fatalf("EqLen %d: only %d symbols", n, symbols)
		}
	}
}
