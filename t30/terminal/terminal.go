// Package terminal is a fax terminal on 8 kHz audio: the T.30 engine of
// package t30 joined to faxd's soft modems and tones. It sends CED (the
// answerer) or CNG (the caller), runs V.21 channel 2 with HDLC for the
// control frames, and the fast modem (V.17, V.29 or V.27ter) the engine
// chooses for TCF, pages and ECM frames, one 160-sample block at a time in
// each direction.
//
// Fax is half duplex: one transmitter at a time, as the engine asks. The V.21
// receiver listens all the time, also beside the fast receiver, so that a
// frame that comes instead of image data is not missed (as SpanDSP does).
package terminal

import (
	"fmt"
	"io"
	"math/bits"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/modems"
	"github.com/faxd/faxd/dsp/prefetch"
	"github.com/faxd/faxd/dsp/tone"
	"github.com/faxd/faxd/dsp/v21"
	"github.com/faxd/faxd/t30"
)

// BlockSize is the audio block: 20 ms.
const BlockSize = 160

// Options set the audio side of a terminal.
type Options struct {
	// LevelDBm0 is the transmit level; zero means -13 dBm0 (T.30 leaves
	// it to national rules; -13 is what fax machines and SpanDSP send).
	LevelDBm0 float64
	// NoTones leaves out CED and CNG.
	NoTones bool
}

// A Terminal runs one fax call on audio at a time; Reset starts the next
// on the same terminal.
type Terminal struct {
	eng   *t30.Engine
	level float64
	now   int64 // samples processed

	// receive
	v21rx   *v21.Receiver
	v21hdlc *t30.HDLCRx
	v21Up   bool // V.21's carrier is up
	rxModem t30.Modem
	fast    modems.Receiver
	// v21Paused: the V.21 receiver is not run while the fast modem is
	// trained (see receive).
	v21Paused bool
	fastHDLC  *t30.HDLCRx
	fastRx    map[t30.Rate]modems.Receiver // receivers made so far, by modem and rate: one for
	// a rate's long and short trains, as the short train reuses what the long one trained
	fastTCF  bool // counting TCF zeros
	busyRun  int  // samples in a row of a signal not V.21 after the image (see lineBusy)
	fastUp   bool // the fast receiver trained and its carrier is up
	zeroRun  int
	bestZero int
	tcfBits  int
	octet    uint32
	nbits    int
	octets   []byte // image octets gathered for the engine

	// transmit
	tx       dsp.Transmitter // the transmission under way, nil when idle
	silence  int             // samples of silence still to send
	answer   *tone.AnswerGenerator
	cng      *tone.CNGGenerator
	heard    bool // the far end has been heard: no more CNG
	pending  bool // the engine waits for SendDone
	hdlcTx   *t30.HDLCTx
	ecm      [][]byte // ECM frames still to queue on hdlcTx
	image    io.Reader
	imageBuf [64]byte
	imageN   int
	imageAt  int
	imageBit int
	tcfLeft  int // TCF bits still to send
	done     bool
	result   *t30.Result

	// Kept from transmission to transmission and call to call, so that a
	// channel's calls after its first allocate nothing here (see Reset).
	v21Tx   *v21.Transmitter
	v21HDLC *t30.HDLCTx // the V.21 frames' (hdlcTx while they are sent)
	ecmHDLC *t30.HDLCTx // the ECM blocks' (hdlcTx while one is sent)
	fastTx  map[t30.Rate]modems.Transmitter
	// The bit sources and the underflow handler as interface and func
	// values, made once: converting a method value or a value such as
	// imageSource{t} at each transmission would allocate.
	tcfSrc   dsp.BitSource
	imageSrc dsp.BitSource
	feedFn   func()
	ced      *tone.AnswerGenerator // answer and cng while they run
	calling  *tone.CNGGenerator
}

// New returns a terminal running the call cfg describes.
func New(cfg t30.Config, opt Options) (*Terminal, error) {
	t := new(Terminal)
	if err := t.start(cfg, opt); err != nil {
		return nil, err
	}
	return t, nil
}

// Reset starts a new call on t exactly as New(cfg, opt) would, whatever
// state the last call ended in (over, or cut short mid-page): the new
// call's audio is the very audio a new terminal would send. It keeps what
// the last calls made rather than making it again: the engine (see
// t30.Engine.Reset), the V.21 receiver and transmitter, the HDLC
// receivers and transmitters, the fast modems' receivers and transmitters
// for every rate used so far, and the tone generators; each is reset to
// the state it was made in (the V.17 receivers forget the equaliser saved
// for short trains: it belongs to another call's line). A media server
// keeps a channel's terminal from call to call, so that its calls after
// the first allocate nothing here.
//
// The Result of the last call stays as it was handed out. The error is
// New's; after one, t must not be used until a Reset succeeds.
func (t *Terminal) Reset(cfg t30.Config, opt Options) error {
	return t.start(cfg, opt)
}

// Release lets go of what the terminal holds of its call that is not its
// own (see t30.Engine.Release): the pages, the page being sent, the
// frames still to send and the Result (which stays as it was handed
// out). A server calls it when it puts the terminal aside for a later
// Reset, so that an idle channel keeps no document alive. Nothing but
// Reset may be called afterwards.
func (t *Terminal) Release() {
	t.eng.Release()
	t.tx, t.hdlcTx, t.image, t.ecm, t.result = nil, nil, nil, nil, nil
	t.done = true
}

// start sets t up for the call cfg describes: New's and Reset's.
func (t *Terminal) start(cfg t30.Config, opt Options) error {
	// Keep what the last call made, and start every other field from its
	// zero value as in a new terminal.
	*t = Terminal{
		eng: t.eng, v21rx: t.v21rx, v21hdlc: t.v21hdlc, fastHDLC: t.fastHDLC,
		fastRx: t.fastRx, octets: t.octets[:0],
		v21Tx: t.v21Tx, v21HDLC: t.v21HDLC, ecmHDLC: t.ecmHDLC, fastTx: t.fastTx,
		tcfSrc: t.tcfSrc, imageSrc: t.imageSrc, feedFn: t.feedFn,
		ced: t.ced, calling: t.calling,
	}
	t.level = opt.LevelDBm0
	if t.level == 0 {
		t.level = -13
	}
	if t.fastRx == nil {
		t.fastRx = map[t30.Rate]modems.Receiver{}
		t.fastTx = map[t30.Rate]modems.Transmitter{}
		t.octets = make([]byte, 0, 256)
		t.tcfSrc = dsp.BitSourceFunc(t.tcfBit)
		t.imageSrc = imageSource{t}
		t.feedFn = t.feedECM
	}
	if t.v21rx == nil {
		var err error
		t.v21hdlc = t30.NewHDLCRx(t30.HDLCRxConfig{ReportBadFrames: true}, t.v21Frame)
		if t.v21rx, err = v21.NewReceiver(v21.Channel2, t.v21hdlc); err != nil {
			return err
		}
		t.v21rx.SetStatusHandler(t.v21Status)
		t.fastHDLC = t30.NewHDLCRx(t30.HDLCRxConfig{MaxFrameLen: 300, ReportBadFrames: true}, t.fastFrame)
	} else {
		t.v21rx.Reset()
		t.v21hdlc.Reset()
		t.fastHDLC.Reset()
		for _, rx := range t.fastRx {
			// Every fast receiver as made: V.17's without the equaliser
			// its last long train saved (see setRx).
			if f, ok := rx.(interface{ Forget() }); ok {
				f.Forget()
			} else {
				rx.Reset()
			}
		}
	}
	if !opt.NoTones {
		// Both tones, whatever the role: a channel that answers after it
		// called then has its CED already.
		if t.ced == nil {
			t.ced = tone.NewAnswerGenerator(tone.ANS, t.level)
			t.calling = tone.NewCNGGenerator(t.level)
		} else {
			t.ced.SetLevel(t.level)
			t.ced.Reset()
			t.calling.SetLevel(t.level)
			t.calling.Reset()
		}
		if cfg.Caller {
			t.cng = t.calling
		} else {
			t.answer = t.ced
		}
	}
	// Pages go to memory, not to a print head: no minimum scan line time
	// (T.30 Table 2 bits 21-23), which would have the sender pad every
	// line (at 14 400 bit/s and 20 ms, 288 bits: twice the length of a
	// letter page). Config.ScanTime's zero value is 20 ms, so a terminal
	// takes it for "not set".
	if cfg.ScanTime == t30.Scan20ms {
		cfg.ScanTime = t30.Scan0ms
	}
	if t.eng == nil {
		t.eng = t30.NewEngine(cfg)
	} else {
		t.eng.Reset(cfg)
	}
	return nil
}

// Done reports whether the call is over.
func (t *Terminal) Done() bool { return t.done }

// Result returns the call's result once it is over (nil before).
func (t *Terminal) Result() *t30.Result { return t.result }

// LineDropped tells the terminal the line was cleared before its call
// ended and reports whether the call was complete all the same (see
// t30.Engine.LineDropped); then the terminal is done and Result is the
// call's.
func (t *Terminal) LineDropped() bool {
	if t.done {
		return true
	}
	if !t.eng.LineDropped() {
		return false
	}
	t.done, t.result = true, t.eng.Result()
	return true
}

// Engine returns the T.30 engine, for its state and trace.
func (t *Terminal) Engine() *t30.Engine { return t.eng }

// Process takes a block of the far end's audio and fills out with ours, the
// same length. After the call it sends silence.
func (t *Terminal) Process(in, out []int16) {
	t.receive(in)
	t.transmit(out)
	t.eng.Advance(len(in))
	t.now += int64(len(in))
}

// receive runs the receivers over in.
func (t *Terminal) receive(in []int16) {
	// Once the fast modem has trained, V.21 cannot be on the line (fax is
	// half duplex) until the fast carrier drops: like SpanDSP, stop
	// running the V.21 receiver beside it then, which saves a good share
	// of a receiving call's cost.
	//
	// And while we transmit a V.21 frame or a fast modem signal, nothing of
	// the far end's can be on the line either (T.30 is half duplex there;
	// SpanDSP's T.30 sets no receiver for its B, C and D transmit phases):
	// no receiver runs, which saves the sender of a page the V.21
	// receiver's cost for the whole page, and keeps our own echo out.
	// (Tones are another matter: the caller listens for the answer while
	// it sends CNG.)
	if t.tx != nil {
		t.v21Paused = true
		t.flushOctets()
		return
	}
	if t.fastUp && t.fast != nil {
		t.v21Paused = true
	} else {
		if t.v21Paused {
			t.v21Paused = false
			t.v21rx.Reset()
			t.v21Up = false
		}
		t.v21rx.Process(in)
		t.lineBusy(in)
	}
	// The fast receiver hears nothing while V.21 frames are on the line
	// (carrier and HDLC flags): their tail would otherwise start (and fail)
	// its training before the fast signal begins. V.21's carrier detect
	// alone also rises on a fast modem's energy in its band.
	if t.fast != nil && !(t.v21Up && t.v21hdlc.Synced()) {
		t.fast.Process(in)
	}
	t.flushOctets()
}

// busyLevel is the level above which a block after the image carrier is a
// signal: V.21's and SpanDSP's carrier-on level, -43 dBm0.
var busyLevel = dsp.PowerFromDBm0(-43)

// busySamples is how long a signal that V.21 does not take for its
// carrier lasts, in blocks in a row over busyLevel, before the line is
// busy: 100 ms, longer than V.21's carrier detect takes on the flags of
// the command awaited.
const busySamples = 800

// lineBusy tells the engine, while it waits for the command after a page
// or an ECM block, of a signal on the line that is not V.21 (see
// t30.Engine.LineBusy): the image carrier went on after a hole longer than
// the fast receiver's hang-over. Only then is the block's level measured.
func (t *Terminal) lineBusy(in []int16) {
	if t.v21Up || !t.eng.AfterImage() {
		t.busyRun = 0
		return
	}
	var sum int64
	for _, x := range in {
		sum += int64(x) * int64(x)
	}
	if float64(sum) < busyLevel*float64(len(in)) {
		t.busyRun = 0
		return
	}
	if t.busyRun += len(in); t.busyRun >= busySamples {
		t.eng.LineBusy(len(in))
	}
}

func (t *Terminal) v21Frame(frame []byte, ok bool) {
	t.heard = true
	t.eng.FrameReceived(frame, ok)
}

func (t *Terminal) v21Status(s dsp.Status) {
	switch s {
	case dsp.StatusCarrierUp:
		t.heard = true
		t.v21Up = true
	case dsp.StatusCarrierDown:
		t.v21Up = false
	}
	if t.rxModem.Fast {
		return // the engine's carrier events belong to the fast modem now
	}
	switch s {
	case dsp.StatusCarrierUp:
		t.eng.CarrierChange(true)
	case dsp.StatusCarrierDown:
		t.eng.CarrierChange(false)
	}
}

func (t *Terminal) fastFrame(frame []byte, ok bool) { t.eng.FrameReceived(frame, ok) }

// setRx selects the receiver the engine asks for.
func (t *Terminal) setRx(m t30.Modem) error {
	t.rxModem = m
	t.fast = nil
	if !m.Fast {
		return nil
	}
	rx, ok := t.fastRx[m.Rate]
	if !ok {
		name, bps, valid := m.Rate.Modem()
		if !valid {
			return fmt.Errorf("terminal: no modem for rate code %#x", uint8(m.Rate))
		}
		spec, err := modems.Find(modemName(name), bps, 2)
		if err != nil {
			return err
		}
		if rx, err = spec.NewReceiver(bps, 2, (*fastSink)(t)); err != nil {
			return err
		}
		rx.SetStatusHandler(t.fastStatus)
		t.fastRx[m.Rate] = rx
	}
	// V.17's receiver expects the short train after a long one and still
	// takes a long one; it is only told when the engine knows a short train
	// is coming.
	if s, ok := rx.(interface{ SetShortTrain(bool) }); ok && m.ShortTrain {
		s.SetShortTrain(true)
	}
	t.fast = rx
	t.fastUp = false
	t.fastHDLC.Reset()
	t.fastTCF = !m.HDLC
	t.zeroRun, t.bestZero, t.tcfBits = 0, 0, 0
	t.octet, t.nbits = 0, 0
	return nil
}

// modemName turns the engine's modem names into the registry's.
func modemName(s string) string {
	switch s {
	case "V.17":
		return "v17"
	case "V.29":
		return "v29"
	}
	return "v27ter"
}

// fastBit takes a bit from the fast receiver: to the HDLC receiver in ECM,
// else to the TCF count and to the image octets.
func (t *Terminal) fastBit(b int) {
	if t.rxModem.HDLC {
		t.fastHDLC.PutBit(b)
		return
	}
	// TCF: the longest run of zeros.
	if b == 0 {
		t.zeroRun++
		t.bestZero = max(t.bestZero, t.zeroRun)
	} else {
		t.zeroRun = 0
	}
	t.tcfBits++
	t.octet |= uint32(b&1) << t.nbits
	if t.nbits++; t.nbits == 8 {
		t.octets = append(t.octets, byte(t.octet))
		t.octet, t.nbits = 0, 0
		if len(t.octets) == cap(t.octets) {
			t.flushOctets()
		}
	}
}

// fastSink is the terminal as the fast receiver's dsp.BitsSink: a
// symbol's bits in one call.
type fastSink Terminal

func (s *fastSink) PutBit(b int) { (*Terminal)(s).fastBit(b) }

func (s *fastSink) PutBits(b uint32, n int) {
	t := (*Terminal)(s)
	if t.rxModem.HDLC {
		for i := n - 1; i >= 0; i-- {
			t.fastHDLC.PutBit(int(b>>uint(i)) & 1)
		}
		return
	}
	// As fastBit, a symbol at a time. The zero run carries across
	// symbols: leading zeros extend it, trailing zeros start the next.
	// (Runs inside a symbol, under 8 bits, do not matter: TCF asks for a
	// second of zeros.)
	b &= 1<<uint(n) - 1
	if b == 0 {
		t.zeroRun += n
	} else {
		t.zeroRun += n - bits.Len32(b)
		t.bestZero = max(t.bestZero, t.zeroRun)
		t.zeroRun = bits.TrailingZeros32(b)
	}
	t.bestZero = max(t.bestZero, t.zeroRun)
	t.tcfBits += n
	// The line's first bit is the octet's least significant.
	t.octet |= (bits.Reverse32(b) >> uint(32-n)) << uint(t.nbits)
	t.nbits += n
	for t.nbits >= 8 {
		t.octets = append(t.octets, byte(t.octet))
		t.octet >>= 8
		t.nbits -= 8
		if len(t.octets) == cap(t.octets) {
			t.flushOctets()
		}
	}
}

func (t *Terminal) flushOctets() {
	if len(t.octets) > 0 {
		t.eng.ImageOctets(t.octets)
		t.octets = t.octets[:0]
	}
}

// fastStatus turns the fast receiver's events into the engine's. Energy
// that never trains (the tail of V.21, noise) is not a fast carrier: the
// engine hears of the carrier from the moment training succeeds until it
// drops, and of a training that fails.
func (t *Terminal) fastStatus(s dsp.Status) {
	switch s {
	case dsp.StatusCarrierUp:
		t.heard = true
		t.zeroRun, t.bestZero, t.tcfBits = 0, 0, 0
	case dsp.StatusTrainingSucceeded:
		t.fastUp = true
		t.eng.CarrierChange(true)
		t.eng.TrainingDone(true)
	case dsp.StatusTrainingFailed:
		t.eng.TrainingDone(false)
	case dsp.StatusCarrierDown:
		if !t.fastUp {
			return
		}
		t.fastUp = false
		t.flushOctets()
		if t.fastTCF && t.tcfBits > 0 {
			_, bps, _ := t.rxModem.Rate.Modem()
			t.eng.TCFReceived(t.bestZero * 1000 / max(bps, 1))
		}
		t.eng.CarrierChange(false)
	}
}

// transmit fills out with what the engine asks to send.
func (t *Terminal) transmit(out []int16) {
	for len(out) > 0 {
		if t.done {
			clear(out)
			return
		}
		// CED before the answerer's first frame (T.30 §5.2.2: after 0.2 s
		// of silence, 2.6 to 4 s of 2100 Hz; the generator does both).
		if t.answer != nil {
			n := t.answer.Process(out)
			if n < len(out) {
				t.answer = nil
				t.silence = dsp.SampleRate * t30.GapMs / 1000
			}
			out = out[n:]
			continue
		}
		if t.silence > 0 {
			n := min(t.silence, len(out))
			clear(out[:n])
			t.silence -= n
			out = out[n:]
			continue
		}
		if t.tx != nil {
			n := t.tx.Process(out)
			if n < len(out) {
				t.tx = nil
				t.hdlcTx = nil // kept in v21HDLC or ecmHDLC
				if t.pending {
					t.pending = false
					t.eng.SendDone()
				}
			}
			out = out[n:]
			continue
		}
		if !t.nextCommand() {
			// Nothing to send. The caller sends CNG until it hears the
			// far end (T.30 §5.2.1).
			if t.cng != nil && !t.heard {
				t.cng.Process(out)
			} else {
				clear(out)
			}
			return
		}
	}
}

// nextCommand takes the engine's next command and starts it. It reports
// false when there is none.
func (t *Terminal) nextCommand() bool {
	c, ok := t.eng.Next()
	if !ok {
		return false
	}
	switch c := c.(type) {
	case t30.SetRxModem:
		if err := t.setRx(c.Modem); err != nil {
			t.fail(err)
		}
	case t30.Silence:
		t.silence = dsp.SampleRate * c.Ms / 1000
	case t30.SendFrames:
		t.sendFrames(c)
	case t30.SendTCF:
		_, bps, _ := c.Modem.Rate.Modem()
		t.tcfLeft = bps * c.Ms / 1000
		t.startFast(c.Modem, t.tcfSrc)
	case t30.SendImage:
		t.image, t.imageN, t.imageAt, t.imageBit = c.Data, 0, 0, 0
		t.startFast(c.Modem, t.imageSrc)
	case t30.SendECMBlock:
		cfg := t30.HDLCTxConfig{MaxFrameLen: 300, PreambleFlags: 32}
		if t.ecmHDLC == nil {
			t.ecmHDLC = t30.NewHDLCTx(cfg)
		} else {
			t.ecmHDLC.Reconfigure(cfg)
		}
		t.hdlcTx = t.ecmHDLC
		t.ecm = c.Frames
		t.hdlcTx.SetUnderflowHandler(t.feedFn)
		t.feedECM()
		t.startFast(c.Modem, t.hdlcTx)
	case t30.CallDone:
		t.done = true
		t.result = c.Result
	}
	return true
}

func (t *Terminal) fail(err error) {
	t.done = true
	t.result = t.eng.Result()
	if t.result != nil && t.result.Cause == "" {
		t.result.Cause = err.Error()
	}
}

// sendFrames starts V.21 with the frames after the preamble of flags.
func (t *Terminal) sendFrames(c t30.SendFrames) {
	flags := max(1, c.PreambleMs*300/8/1000) // 300 bit/s, 8 bits a flag
	cfg := t30.HDLCTxConfig{PreambleFlags: flags, QueueLen: max(8, len(c.Frames))}
	if t.v21HDLC == nil {
		t.v21HDLC = t30.NewHDLCTx(cfg)
	} else {
		t.v21HDLC.Reconfigure(cfg)
	}
	t.hdlcTx = t.v21HDLC
	for _, f := range c.Frames {
		if err := t.hdlcTx.Send(f); err != nil {
			t.fail(err)
			return
		}
	}
	t.hdlcTx.Finish()
	if t.v21Tx == nil {
		tx, err := v21.NewTransmitter(v21.Channel2, t.hdlcTx)
		if err != nil {
			t.fail(err)
			return
		}
		t.v21Tx = tx
	} else {
		t.v21Tx.SetSource(t.hdlcTx)
	}
	t.v21Tx.SetLevel(t.level)
	t.tx, t.pending = t.v21Tx, true
}

// feedECM queues the next ECM frames as the HDLC transmitter drains.
func (t *Terminal) feedECM() {
	for len(t.ecm) > 0 && t.hdlcTx.Queued() < 4 {
		if err := t.hdlcTx.Send(t.ecm[0]); err != nil {
			t.fail(err)
			return
		}
		t.ecm = t.ecm[1:]
	}
	if len(t.ecm) == 0 {
		t.hdlcTx.Finish()
	}
}

// startFast starts the fast modem m with the bits of src.
func (t *Terminal) startFast(m t30.Modem, src dsp.BitSource) {
	name, bps, ok := m.Rate.Modem()
	if !ok {
		t.fail(fmt.Errorf("terminal: no modem for rate code %#x", uint8(m.Rate)))
		return
	}
	// One transmitter a rate, kept (as the receivers are) and started
	// afresh with each transmission's source.
	tx, ok := t.fastTx[m.Rate]
	if !ok {
		spec, err := modems.Find(modemName(name), bps, 2)
		if err != nil {
			t.fail(err)
			return
		}
		if tx, err = spec.NewTransmitter(bps, 2, src); err != nil {
			t.fail(err)
			return
		}
		t.fastTx[m.Rate] = tx
	} else {
		tx.SetSource(src)
	}
	// V.17's transmitter keeps the training it was last told: tell it
	// every time (SetShortTrain restarts it, as SetSource did).
	if s, ok := tx.(interface{ SetShortTrain(bool) }); ok {
		s.SetShortTrain(m.ShortTrain)
	}
	tx.SetLevel(t.level)
	t.tx, t.pending = tx, true
}

func (t *Terminal) tcfBit() int {
	if t.tcfLeft == 0 {
		return dsp.EndOfData
	}
	t.tcfLeft--
	return 0
}

// imageSource gives the fast transmitter the page's bits, a bit or a
// symbol's bits a call.
type imageSource struct{ t *Terminal }

func (s imageSource) GetBit() int { return s.t.imageBitNext() }

// GetBits implements dsp.BitsSource: the octets' bits first bit in the
// least significant bit, a run of them from one octet at a time.
func (s imageSource) GetBits(n int) (uint32, int) {
	t := s.t
	var b uint32
	k := 0
	for k < n {
		if t.imageBit == 0 && t.imageAt == t.imageN {
			m, err := t.image.Read(t.imageBuf[:])
			if m == 0 {
				if err == nil {
					b = b<<1 | 1 // a reader that returns nothing yet: mark time
					k++
					continue
				}
				return b, k
			}
			t.imageN, t.imageAt = m, 0
		}
		take := min(n-k, 8-int(t.imageBit))
		// The octet's next bits, first in the least significant: reversed,
		// the first is the most significant of the take.
		r := uint32(bits.Reverse8(t.imageBuf[t.imageAt]>>t.imageBit)) >> (8 - take)
		b = b<<take | r
		k += take
		if t.imageBit += take; t.imageBit == 8 {
			t.imageBit = 0
			t.imageAt++
		}
	}
	return b, k
}

// imageBitNext reads the page's octets first bit in the least significant
// bit (as T.30 sends them).
func (t *Terminal) imageBitNext() int {
	if t.imageBit == 0 {
		if t.imageAt == t.imageN {
			n, err := t.image.Read(t.imageBuf[:])
			if n == 0 {
				if err == nil {
					return 1 // a reader that returns nothing yet: mark time
				}
				return dsp.EndOfData
			}
			t.imageN, t.imageAt = n, 0
		}
	}
	b := int(t.imageBuf[t.imageAt]>>t.imageBit) & 1
	if t.imageBit++; t.imageBit == 8 {
		t.imageBit = 0
		t.imageAt++
	}
	return b
}

// Prefetch asks the CPU to fetch what the terminal's next Process touches
// into its caches: the terminal, its engine, and the modem, HDLC and
// page state of the phase it is in. A server calls it for the next
// channel while it runs this one (see package dsp/prefetch).
func (t *Terminal) Prefetch() {
	prefetch.Object(t)
	t.eng.Prefetch()
	if t.done {
		return
	}
	if t.tx != nil {
		if p, ok := t.tx.(prefetch.Prefetcher); ok {
			p.Prefetch()
		}
		if p, ok := t.image.(prefetch.Prefetcher); ok {
			p.Prefetch()
		}
		if t.hdlcTx != nil {
			prefetch.Object(t.hdlcTx)
		}
		return
	}
	if !t.v21Paused {
		t.v21rx.Prefetch()
		t.v21hdlc.Prefetch()
	}
	if t.fast != nil {
		if p, ok := t.fast.(prefetch.Prefetcher); ok {
			p.Prefetch()
		}
		if t.rxModem.HDLC {
			t.fastHDLC.Prefetch()
		}
	}
}
