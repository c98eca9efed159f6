package qam

import (
	"math"

	"github.com/faxd/faxd/dsp"
)

// Stage is where a receiver is with the signal it hears.
type Stage int

// The stages every receiver goes through.
const (
	Idle    Stage = iota // no carrier
	Acquire              // settling timing and gain, looking for the training sequence
	Train                // training the equaliser on known symbols
	Test                 // known symbols judge the training
	Data                 // delivering data
	Parked               // training failed: wait for the carrier to drop
)

// Carrier detect thresholds (dBm0), with hysteresis: SpanDSP's default
// cutoff of -45.5 dBm0 ± 2.5 dB.
const (
	carrierOnDBm0  = -45.0
	carrierOffDBm0 = -48.5
)

// A Link is the part of a receiver every modem shares around the Frontend:
// carrier detect with hysteresis, restarting on a signal that begins over
// noise, the level and quality figures and the status reports. The modem
// supplies its training and decisions as two functions.
type Link struct {
	Fe      *Frontend
	Stage   Stage
	Count   int  // symbols into the current stage, for the modem's use
	Trained bool // training succeeded and the carrier is still there

	restart func()          // the modem clears its own state (the front end is done)
	symbol  func(complex64) // the modem takes an equalised symbol
	status  dsp.StatusHandler
	follow  int // symbols of acquisition during which the gain follows a rising level

	onPow, offPow float32
	// acqPower is the level acquisition started on, or the lowest since
	// (see Process).
	acqPower float32
	// In data the carrier is gone under offPow or 12 dB under the
	// trained level, whichever is higher.
	dataOffPow float32
	levelSum   float64
	levelN     int

	mse     float64 // decision error power, for the quality figure
	winSum  float64 // error power summed over the current window
	winN    int
	winPrev float64 // the last complete window's mean
}

// Init sets the link up around fe. follow is how many symbols into an
// acquisition the gain keeps following a rising level; restart clears the
// modem's own state for a new signal; symbol takes each equalised symbol
// (in the Acquire stage not yet derotated, see Frontend.Derotate).
func (l *Link) Init(fe *Frontend, follow int, restart func(), symbol func(complex64)) {
	l.Fe, l.follow, l.restart, l.symbol = fe, follow, restart, symbol
	l.onPow = float32(dsp.PowerFromDBm0(carrierOnDBm0))
	l.offPow = float32(dsp.PowerFromDBm0(carrierOffDBm0))
	l.Reset()
}

// SetStatusHandler sets the handler told of carrier and training events.
func (l *Link) SetStatusHandler(h dsp.StatusHandler) { l.status = h }

func (l *Link) report(s dsp.Status) {
	if l.status != nil {
		l.status(s)
	}
}

// Reset forgets the signal and waits for a new one.
func (l *Link) Reset() {
	l.Fe.Meter = 0
	l.Stage = Idle
	l.Trained = false
	l.clear()
}

// clear restarts the front end and the modem.
func (l *Link) clear() {
	l.Fe.Restart()
	l.Count = 0
	l.mse, l.winSum, l.winN, l.winPrev = 0, 0, 0, 0
	l.levelSum, l.levelN = 0, 0
	l.restart()
}

// Reacquire starts looking for a training sequence in what is heard now.
func (l *Link) Reacquire() {
	l.clear()
	l.acqPower = l.Fe.Meter
	l.Stage = Acquire
}

// Fail parks the receiver after a failed training until the carrier drops.
func (l *Link) Fail() {
	l.Stage = Parked
	l.report(dsp.StatusTrainingFailed)
}

// Succeed starts data after a training judged with decision error power
// mse.
func (l *Link) Succeed(mse float64) {
	l.mse = mse
	// Line noise can lie above the absolute carrier-off level; the signal
	// has gone when the level falls 12 dB below what it trained on.
	l.dataOffPow = max(l.offPow, l.Fe.Meter/16)
	l.Stage = Data
	l.Trained = true
	l.report(dsp.StatusTrainingSucceeded)
}

// Quality takes a data symbol's decision error e. The quality figure comes
// from the last complete 32-symbol window but one, so the fading tail of a
// transmission does not spoil it.
func (l *Link) Quality(e complex64) {
	l.winSum += float64(real(e)*real(e) + imag(e)*imag(e))
	if l.winN++; l.winN == 32 {
		if l.winPrev > 0 {
			l.mse = l.winPrev
		}
		l.winPrev = l.winSum / 32
		l.winSum, l.winN = 0, 0
	}
}

// Fill accounts for n lost samples by feeding silence.
func (l *Link) Fill(n int) {
	var zero [160]int16
	for n > 0 {
		k := min(n, len(zero))
		l.Process(zero[:k])
		n -= k
	}
}

// Report describes the signal heard.
func (l *Link) Report() dsp.RxReport {
	rep := dsp.RxReport{Trained: l.Trained}
	if l.levelN > 0 {
		rep.LevelDBm0 = dsp.DBm0FromPower(l.levelSum / float64(l.levelN))
	} else {
		rep.LevelDBm0 = dsp.DBm0FromPower(float64(l.Fe.Meter))
	}
	rep.CarrierOffsetHz = l.Fe.CarrierOffsetHz()
	rep.SymbolOffsetPPM = l.Fe.SymbolOffsetPPM()
	if l.mse > 0 {
		rep.QualityDB = 10 * math.Log10(l.Fe.cfg.SymbolPower/l.mse)
	}
	return rep
}

// Process demodulates in and returns len(in).
func (l *Link) Process(in []int16) int {
	fe := l.Fe
	for _, s := range in {
		x := float32(s)
		fe.Measure(x)
		if l.Stage == Data {
			// Data, nearly every sample of a call: the same steps as
			// below, without the tests that cannot hold.
			if fe.Meter < l.dataOffPow {
				l.Stage = Idle
				l.Trained = false
				l.report(dsp.StatusCarrierDown)
				continue
			}
			if l.levelN < 1<<30 {
				l.levelSum += float64(fe.Meter)
				l.levelN++
			}
			if fe.Sample(x) {
				l.symbol(fe.Equalise())
			}
			continue
		}
		if l.Stage == Idle {
			if fe.Meter < l.onPow {
				continue
			}
			l.Reacquire()
			l.report(dsp.StatusCarrierUp)
		} else if fe.Meter < l.offPow {
			l.Stage = Idle
			l.Trained = false
			l.report(dsp.StatusCarrierDown)
			continue
		}
		if l.Stage == Acquire && l.Count < l.follow && fe.Meter > l.acqPower {
			// The level is still rising at the start of a signal (the
			// meter takes a few symbols): let the gain follow it rather
			// than restart on every step of the rise.
			l.acqPower = fe.Meter
			fe.SetGainFromMeter()
		} else if l.Stage == Acquire || l.Stage == Parked {
			if fe.Meter > 4*l.acqPower {
				// The level jumped by 6 dB: a signal began over the noise
				// we were listening to. Start again on it.
				l.Reacquire()
			} else if fe.Meter < l.acqPower {
				// The level fell: what we started on has ended, though
				// noise between the carrier's on and off levels keeps the
				// carrier up (a V.21 frame's tail with noise at -47 dBm0,
				// 75 ms before the TCF's training). Judge the next jump
				// against what is left, or the next signal would go on
				// being taken for the old one: its training would start
				// wherever that acquisition ran out, and a training that
				// failed would stay parked through it.
				l.acqPower = fe.Meter
			}
		}
		if l.Stage == Parked {
			continue
		}
		if fe.Sample(x) {
			l.symbol(fe.Equalise())
		}
	}
	return len(in)
}
