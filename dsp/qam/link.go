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

// HangOver is how long, in samples, the signal may stay missing in the
// Data stage before the carrier is declared down: 30 ms. Shorter losses
// are holes, not the end of the signal: a lost 20 ms G.711 packet, a
// block our own scheduler delivered late. Through one the receiver holds
// (see Frontend.Hold) and goes on when the signal comes back, without
// retraining: the far end never stopped, and its carrier phase and symbol
// clock ran on as ours did.
//
// A hole is found by a meter of a few samples (quickSamples) falling 12 dB
// under the trained level (or under the carrier-off level), a couple of
// symbols into it: the slow meter of carrier detect takes 14 ms, and
// adapting on silence for that long ruins the equaliser and the carrier
// loop (measured: a 10 ms hole then cost the rest of the transmission).
//
// Why 30 ms. A hole of a lost packet must pass with room to spare (the
// tests pass holes of 5 to 30 ms), where SpanDSP's receivers count down
// 60 samples (V.17, V.29) or 90 and 120 (V.27ter at 4800 and 2400 bit/s)
// under the cutoff after a meter of 16 samples, by those figures about
// 24 ms of silence after a -13 dBm0 signal; and the count is never
// restored in data, so two 20 ms holes in one page use it up. And the
// end of a real carrier must be reported well before anything else comes
// on the line: T.30 puts the
// post-page command (PPS in ECM) 75 ± 20 ms after the image carrier ends
// (t30.GapMs; SpanDSP's fax.c sends 75 ms of silence), and a V.21 signal
// heard while still holding would be taken for the fast signal coming
// back. The carrier drops 30 to 34 ms after the signal's last sample,
// more than 20 ms before the earliest post-page command (55 ms): room for
// a sender a little early and for a terminal that starts its V.21
// receiver at the next 20 ms block. The preamble of V.21 flags lasts a
// second. Holes longer than 30 ms end the carrier; t30 then waits for the
// post-page command and does not hang up on a sender still sending.
const HangOver = 30 * dsp.SampleRate / 1000

// quickSamples is the time constant of the meter that finds holes: about a
// carrier cycle, long enough not to dip through a symbol of data (no hold
// in clean data at -13 dBm0 at any rate of any modem, measured), short
// enough to see a hole within a symbol or two.
const quickSamples = 8

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
	// The hang-over in the Data stage: samples the signal has been under
	// dataOffPow in the current hole, and samples of signal still to hold
	// for once it is back (settle, while the matched filter and the
	// equaliser's delay line still hold the hole).
	hole, hold, settle int
	// quick is a level meter of a few samples' time constant, which
	// tells a hole within a couple of symbols: the receiver must stop
	// learning before much of the hole has gone into its decisions.
	quick float32

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
	l.settle = fe.SettleSamples()
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
	l.hole, l.hold = 0, 0
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
	l.quick = l.Fe.Meter
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

// holding runs the hang-over for a sample of the Data stage that is under
// the carrier-off level or just after a hole, and reports false when the
// hole has lasted longer than HangOver: the carrier is gone.
func (l *Link) holding() bool {
	if l.quick < l.dataOffPow {
		if l.hole++; l.hole > HangOver {
			return false
		}
		l.hold = l.settle
	} else {
		l.hole = 0
		l.hold--
	}
	l.Fe.Hold = l.hold > 0
	return true
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
			l.quick += (x*x - l.quick) * (1.0 / quickSamples)
			if l.quick < l.dataOffPow || l.hold > 0 {
				if !l.holding() {
					l.Stage = Idle
					l.Trained = false
					fe.Hold = false
					// The slow meter would still hear the signal that
					// has gone, and Idle would take it for a new one.
					fe.Meter = l.quick
					l.report(dsp.StatusCarrierDown)
					continue
				}
			} else if l.levelN < 1<<30 {
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
