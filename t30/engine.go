package t30

// The T.30 protocol engine: one fax call, caller or answerer, transmitter
// or receiver, driven through the phases of T.30 §5 (Figure 5-2 ff.):
//
//	A  call set-up (the transport's business: CNG, CED)
//	B  pre-message procedure: DIS/DTC, DCS, TCF, CFR/FTT
//	C  message transmission: T.4 image data, or ECM blocks (Annex A)
//	D  post-message procedure: MPS/EOM/EOP (or PPS), MCF/RTP/RTN (or PPR)
//	E  call release: DCN
//
// The engine knows nothing of modems or packets, after SpanDSP's
// t30_state_t: the transport reports frames, carriers, training and
// elapsed time (in samples at 8000/s) through the input methods, and polls
// what to do with Next. Every command that sends (SendFrames, SendTCF,
// SendImage, SendECMBlock) is answered with exactly one SendDone when the
// transport has finished sending it; Silence only delays the command after
// it. An Engine is not safe for concurrent use.

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/faxd/faxd/t30/internal/pagebuf"
	"github.com/faxd/faxd/t30/t4"
)

// SampleRate is the rate at which Advance counts time.
const SampleRate = 8000

// Timers of T.30 §5.4.3 with the recommendation's nominal values.
const (
	T1       = 35 * time.Second        // phase B: the terminals identify each other (35 ± 5 s)
	T2       = 6 * time.Second         // waiting for a command (6 ± 1 s)
	T3       = 10 * time.Second        // procedure interrupt, operator alert (10 ± 5 s)
	T4       = 3 * time.Second         // waiting for a response, automatic units (3 s ± 15%)
	T4Manual = 4500 * time.Millisecond // T4 of a manually operated unit (4.5 s ± 15%)
	T5       = 60 * time.Second        // ECM: receiver not ready, RNR (60 ± 5 s)

	// After flags start, the rest of the frame must arrive within 3 s, and
	// a response or command search resumes 200 ms after a carrier drops
	// without a final frame (SpanDSP's T2A/T4A and T2B/T4B, unnamed in
	// T.30).
	frameEndTime   = 3 * time.Second
	carrierOffTime = 200 * time.Millisecond
	// imageGuard bounds a page whose carrier never drops (no T.30 timer
	// covers it).
	imageGuard = 10 * time.Minute
)

// Durations the engine asks for.
const (
	PreambleMs = 1000 // flags before the first V.21 frame (T.30 §5.3.1: 1 s ± 15%)
	GapMs      = 75   // silence between V.21 and a fast modem signal (T.30: 75 ± 20 ms)
	TCFMs      = 1500 // TCF, the training check after DCS: zeros for 1.5 s ± 10%
	maxTries   = 3    // a command is sent at most three times (T.30 §5.3.2.2, Figure 5-2)
	pprLimit   = 4    // PPRs for one block before CTC or EOR (T.30 §A.4.3)
)

func samples(d time.Duration) int64 { return int64(d) * SampleRate / int64(time.Second) }

// A Modem is a modulation to send or receive with: V.21 channel 2 for
// control frames (T.30 §5.3.1), or a fast modem at a DCS Rate for TCF,
// image data and, with HDLC set, ECM frames.
type Modem struct {
	Fast       bool
	Rate       Rate // the fast modem and speed (V.17, V.29, V.27 ter)
	ShortTrain bool // V.17 short training (allowed once the long one succeeded)
	HDLC       bool // the fast modem carries HDLC frames (ECM, Annex A)
}

// V21 is V.21 channel 2 at 300 bit/s.
var V21 = Modem{}

func (m Modem) String() string {
	if !m.Fast {
		return "V.21"
	}
	s := m.Rate.String()
	if m.ShortTrain {
		s += " short"
	}
	if m.HDLC {
		s += " HDLC"
	}
	return s
}

// A Command is something the engine asks its transport to do: one of
// SetRxModem, SendFrames, SendTCF, SendImage, SendECMBlock, Silence,
// CallDone.
type Command interface{ command() }

// SetRxModem selects the receiver. V.21 control frames are expected to be
// watched beside a fast modem too (SpanDSP does so) and reported through
// FrameReceived; CarrierChange and TrainingDone concern the modem set here.
type SetRxModem struct{ Modem Modem }

// SendFrames sends HDLC frames (address to FIF; the transport adds the FCS)
// with V.21 after PreambleMs of flags, then drops the carrier. The last
// frame has the final control field (0x13).
type SendFrames struct {
	PreambleMs int
	Frames     [][]byte
}

// SendTCF sends the training check: the modem's training, then zeros for
// Ms milliseconds (T.30 §5.3.6.1.3 "TCF").
type SendTCF struct {
	Modem Modem
	Ms    int
}

// SendImage sends a non-ECM page: training, then the coded octets read
// from Data (first bit in the least significant bit, lines already filled
// to the minimum scan line time, ending in RTC) until io.EOF.
type SendImage struct {
	Modem Modem
	Data  io.Reader
}

// SendECMBlock sends ECM frames (FCD frames, then RCP) with HDLC on the
// fast modem (T.30 Annex A): training, flags, the frames, carrier off.
type SendECMBlock struct {
	Modem  Modem
	Frames [][]byte
}

// Silence keeps the line quiet for Ms milliseconds before the next command.
type Silence struct{ Ms int }

// CallDone ends the call: the transport hangs up. It is the last command.
type CallDone struct{ Result *Result }

func (SetRxModem) command()   {}
func (SendFrames) command()   {}
func (SendTCF) command()      {}
func (SendImage) command()    {}
func (SendECMBlock) command() {}
func (Silence) command()      {}
func (CallDone) command()     {}

// Config sets up a call. The zero value of each field is a sensible
// default.
type Config struct {
	Caller bool       // this terminal placed the call
	Source PageSource // pages to send; nil: nothing to send
	Sink   PageSink   // where received pages go; nil: cannot receive

	Ident      string // local number, sent as CSI, TSI or CIG
	SubAddress string // sent as SUB when the remote offers subaddressing
	Password   string // sent as SID (with DCS) or PWD (with DTC) when offered
	NSF        []byte // non-standard facilities FIF, sent as NSF, NSS or NSC

	Modems    ModemSet  // fast modems allowed; 0 means all
	MaxBPS    int       // highest bit rate to use; 0 means no limit
	ECM       bool      // offer and use error correction mode (Annex A)
	Frame64   bool      // ECM frames of 64 octets (DCS bit 28; DIS bit 7 preference)
	MaxCoding t4.Coding // best coding offered; 0 means MMR (with ECM), else MR
	MaxRes    Res       // best vertical resolution offered; 0 means superfine
	ScanTime  ScanTime  // receiver's minimum scan line time, DIS bits 21-23

	// TCFMinMs is the longest run of zeros a TCF must contain to be
	// answered with CFR; 0 means 1000 (SpanDSP: one second of bits).
	TCFMinMs int
	// Copy quality (non-ECM): a page with at least RTPPercent bad rows gets
	// RTP, with at least RTNPercent, or a run of more than MaxBadRun
	// consecutive bad rows, RTN. 0 means 5%, 15% and no run limit (SpanDSP's
	// thresholds; HylaFAX's MaxConsecutiveBadLines is typically 5).
	RTPPercent, RTNPercent, MaxBadRun int
	// MaxPageTries is how many times a page is sent after RTN before the
	// call is given up; 0 means 3.
	MaxPageTries int
	// ManualT4 uses T4Manual (4.5 s) instead of T4.
	ManualT4 bool
	// NetworkDelay is added to the response timers T2 and T4 when the
	// call crosses a packet network (T.38 asks terminals and gateways to
	// allow for the delay of the IP leg): a response that comes back late through a
	// gateway must not be taken for a lost one. Zero for audio.
	NetworkDelay time.Duration
}

type state uint8

const (
	stDone         state = iota
	stWaitDIS            // T1: waiting for DIS (or DTC) to send a document
	stWaitDCS            // receiver: waiting for DCS (or DTC) after DIS, DTC or a negative response
	stRxTCF              // receiver: DCS received, waiting for TCF
	stWaitCFR            // DCS and TCF sent, waiting for CFR/FTT (T4)
	stTxPage             // sending a non-ECM page
	stWaitPostResp       // MPS/EOM/EOP sent, waiting for MCF/RTP/RTN (T4)
	stRxPage             // CFR or MCF sent, waiting for or receiving a page
	stRxPost             // page ended, waiting for MPS/EOM/EOP (T2)
	stRxWaitDCN          // EOP answered, waiting for DCN (T2)
	stTxECM              // sending an ECM block
	stWaitPPSResp        // PPS sent, waiting for MCF/PPR/RNR (T4)
	stWaitCTR            // CTC sent (T4)
	stWaitERR            // EOR sent (T4)
	stWaitRRResp         // RR sent (T4)
	stRxECM              // waiting for or receiving an ECM block
	stRxECMPost          // block ended, waiting for PPS, EOR, CTC or RR (T2)
	stDCN                // DCN sent, hanging up
)

var stateNames = [...]string{
	stDone: "done", stWaitDIS: "wait DIS", stWaitDCS: "wait DCS", stRxTCF: "rx TCF",
	stWaitCFR: "wait CFR", stTxPage: "tx page", stWaitPostResp: "wait post-page response",
	stRxPage: "rx page", stRxPost: "wait post-page command", stRxWaitDCN: "wait DCN",
	stTxECM: "tx ECM block", stWaitPPSResp: "wait PPS response", stWaitCTR: "wait CTR",
	stWaitERR: "wait ERR", stWaitRRResp: "wait RR response", stRxECM: "rx ECM block",
	stRxECMPost: "wait PPS", stDCN: "DCN",
}

func (s state) String() string { return stateNames[s] }

// Engine runs one T.30 call at a time; Reset starts the next on the same
// engine.
type Engine struct {
	cfg  Config
	cmds []Command
	st   state
	now  int64

	timer     int64 // samples left on the command/response timer (T2/T4), 0 = off
	timerName string
	t1        int64 // T1, running through phase B
	t5        int64 // T5, running from the first RNR
	guard     int64 // image carrier guard

	busy      int    // sends not yet confirmed by SendDone
	afterSent func() // runs when busy drops to 0

	x        bool     // the X bit this terminal sends (set once it received DIS)
	pending  [][]byte // frames of a command or response before its final frame
	badFrame bool     // a frame with a bad FCS since the last final frame
	rxModem  Modem
	carrier  bool

	// Command repetition (T.30 §5.3.2.2).
	cmdName  string
	cmdState state
	cmdSend  func()
	cmdMax   int
	tries    int

	remote Params   // the DIS or DTC received
	rates  []Rate   // fallback list agreed with the remote
	rateI  int      // index into rates
	sess   session  // settled by the last DCS (and CTC)
	dcsPg  PageInfo // page the DCS was chosen for

	// Transmitter.
	page      int // page being sent, from 0
	pageTries int
	postCmd   FCF // MPS, EOM or EOP after the page
	trained   bool

	// Receiver.
	rxData     []byte // non-ECM image octets of the page
	rxBits     uint32
	rxNBits    uint
	rxGotData  bool
	rxStats    t4.Stats
	rxPageOpen bool   // StartPage called, EndPage not yet
	lastPost   FCF    // last post-page command answered
	lastResp   []byte // and the response sent
	eopDone    bool   // EOP answered positively: DCN is the normal end
	tcfDone    bool
	// rxCut: the page's (or block's) carrier ended, and then the line
	// carried a signal that was not V.21 (LineBusy): the sender went on
	// with a page we took for ended. busyFor is how long that has lasted.
	rxCut   bool
	busyFor int64

	ecmTx    ecmTx
	pageRx   pageRx
	prefetch ecmPrefetch

	res Result

	// Last, as its frames' table (6 KB) is touched only as ECM frames
	// arrive: the fields before it are those every block may touch
	// (Prefetch).
	ecmRx ecmRx
}

// NewEngine returns an engine that has started the call: a caller waits
// for DIS (T1), an answerer sends DIS. Poll its first commands with Next.
func NewEngine(cfg Config) *Engine {
	e := new(Engine)
	e.start(cfg)
	return e
}

// Reset starts a new call on e exactly as NewEngine(cfg) would, whatever
// state the last call ended in (finished, or cut short mid-page): every
// field is set as a new engine has it. It keeps only memory the new call
// would otherwise allocate again: the command queue, the buffers of a
// received page and of ECM frames, and the page decoder when the new
// call's pages take the same options. A media server running thousands
// of calls on a channel's engine allocates none of these after its first.
//
// Nothing handed out of the last call is touched: the Result of Result
// and CallDone is a copy whose trace the next call does not share (the
// new call's trace starts a new slice), and commands already taken with
// Next keep their frames.
func (e *Engine) Reset(cfg Config) { e.start(cfg) }

// Release lets go of what the engine holds of its call that is not its
// own: the page source and sink (and so the pages), the page being sent
// and its coder, commands not yet taken and the frames they carry, and
// the octets of a page it was receiving when the call was cut (cleared
// back into the page pool: a channel put aside keeps no image). Its other
// buffers stay for the next call, and Result and State still answer as
// before. A media server calls it (through the terminal) when it puts an
// engine aside for a channel's next call, so that an idle channel does
// not keep its last document alive. Nothing else may be called until
// Reset.
func (e *Engine) Release() {
	e.cfg.Source, e.cfg.Sink = nil, nil
	clear(e.cmds)
	e.cmds = e.cmds[:0]
	e.cmdSend, e.afterSent, e.pending = nil, nil, nil
	e.ecmRx.pending = nil
	e.lastResp = nil
	e.putPageBufs()
}

// start sets e up for a new call. It is NewEngine's and Reset's.
func (e *Engine) start(cfg Config) {
	if cfg.TCFMinMs <= 0 {
		cfg.TCFMinMs = 1000
	}
	if cfg.RTPPercent <= 0 {
		cfg.RTPPercent = 5
	}
	if cfg.RTNPercent <= 0 {
		cfg.RTNPercent = 15
	}
	if cfg.MaxPageTries <= 0 {
		cfg.MaxPageTries = 3
	}
	if cfg.MaxCoding == 0 && !cfg.ECM {
		cfg.MaxCoding = t4.MR
	}
	// What a new call may reuse, emptied; the rest goes with the old
	// call's state when the engine is rewritten below. The commands left
	// in the queue of a call cut short are dropped with their frames.
	clear(e.cmds)
	cmds := e.cmds[:0]
	rxData := e.rxData[:0] // nil after a call that ended (see done)
	dec, opt, row := e.pageRx.dec, e.pageRx.opt, e.pageRx.row
	e.putSendBufs() // a call cut short still has them
	ecmFrames := e.ecmTx.frames
	rxFrames, rxECM := e.ecmRx.frames, e.ecmRx.data[:0]

	*e = Engine{cfg: cfg, cmds: cmds, rxData: rxData}
	e.pageRx.dec, e.pageRx.opt, e.pageRx.row = dec, opt, row
	e.ecmTx.frames = ecmFrames
	e.ecmRx.frames, e.ecmRx.data = rxFrames, rxECM

	e.res.LocalIdent = cfg.Ident
	e.ecmRx.reset()
	e.t1 = samples(T1)
	e.setRx(V21)
	if cfg.Caller {
		// T.30 §5.2: the caller waits for DIS; T1 bounds phase B.
		e.st = stWaitDIS
	} else {
		e.sendDIS()
	}
}

// Next returns the next command, and false when there is none for now.
func (e *Engine) Next() (Command, bool) {
	if len(e.cmds) == 0 {
		return nil, false
	}
	c := e.cmds[0]
	// The queue moves down rather than its slice up, so that it keeps its
	// memory for the whole call and the next (it holds a few commands).
	n := copy(e.cmds, e.cmds[1:])
	e.cmds[n] = nil
	e.cmds = e.cmds[:n]
	return c, true
}

// Done reports whether the call has ended (CallDone was queued).
func (e *Engine) Done() bool { return e.st == stDone }

// Result returns the result so far (final once Done).
func (e *Engine) Result() *Result {
	r := e.res
	r.Duration = time.Duration(e.now) * time.Second / SampleRate
	return &r
}

// LineDropped tells the engine the line was cleared (the far end hung up)
// before the call ended, and reports whether the call was complete all
// the same, which it then ends so: a receiver that answered the last
// page's EOP has the whole document, as when T2 expires waiting for the
// DCN (many senders clear the line without one; HylaFAX and SpanDSP keep
// the document too), and a transmitter that got the last page's MCF and
// was sending DCN is done. Any other state is left as it is: the call was
// cut short, and Result says what it had so far.
func (e *Engine) LineDropped() bool {
	switch e.st {
	case stDone:
		return true
	case stRxWaitDCN:
		e.finish(CompletedOK, "line dropped after the last page (no DCN)", false)
		return true
	case stDCN:
		if e.res.Code == CompletedOK {
			e.done()
			return true
		}
	}
	return false
}

// PagesSent is the count of pages the receiver has confirmed so far
// (MCF, RTP; or MCF after PPS in ECM): cheap enough to read every block.
func (e *Engine) PagesSent() int { return e.res.PagesSent }

// State names the engine's state, for logs.
func (e *Engine) State() string { return e.st.String() }

// ---- output helpers ----

func (e *Engine) push(c Command) { e.cmds = append(e.cmds, c) }

func (e *Engine) setRx(m Modem) {
	e.rxModem = m
	e.carrier = false
	e.push(SetRxModem{m})
}

// whenSent runs f once everything queued so far has been sent.
func (e *Engine) whenSent(f func()) {
	if e.busy == 0 {
		f()
		return
	}
	e.afterSent = f
}

func (e *Engine) trace(tx bool, name string, fif []byte) {
	e.res.Trace = append(e.res.Trace, TraceEntry{At: time.Duration(e.now) * time.Second / SampleRate, Tx: tx, Name: name, FIF: fifHex(fif)})
}

func (e *Engine) event(format string, a ...any) { e.trace(false, fmt.Sprintf(format, a...), nil) }

// frame builds a frame, setting the X bit as this terminal must
// (T.30 §5.3.6.1).
func (e *Engine) frame(f FCF, final bool, fif []byte) []byte {
	fr := Frame{FCF: f.WithX(e.x), Final: final, FIF: fif}
	b, _ := fr.Marshal()
	return b
}

// sendFrames queues V.21 frames; the last one is made final.
func (e *Engine) sendFrames(frames ...[]byte) {
	if len(frames) == 0 {
		return
	}
	frames[len(frames)-1][1] = ControlFinal
	for _, f := range frames {
		var fr Frame
		_ = fr.Unmarshal(f)
		e.trace(true, fr.FCF.String(), fr.FIF)
	}
	e.busy++
	e.push(SendFrames{PreambleMs: PreambleMs, Frames: frames})
}

func (e *Engine) setTimer(d time.Duration, name string) {
	if name == "T2" || name == "T4" {
		d += e.cfg.NetworkDelay
	}
	e.timer = samples(d)
	e.timerName = name
}

func (e *Engine) t4() time.Duration {
	if e.cfg.ManualT4 {
		return T4Manual
	}
	return T4
}

// issue sends a command and waits for its response in state st, repeating
// it on timeout, CRP or an invalid response up to max times (0: no limit,
// for DIS and DTC, which T1 bounds).
func (e *Engine) issue(name string, st state, max int, send func()) {
	e.cmdName, e.cmdState, e.cmdSend, e.cmdMax, e.tries = name, st, send, max, 0
	e.repeat()
}

// repeat sends the current command again (T.30 §5.3.2.2: "the command is
// repeated up to three times").
func (e *Engine) repeat() {
	if e.cmdSend == nil {
		return
	}
	if e.cmdMax > 0 && e.tries >= e.cmdMax {
		e.fail(ErrNoResponse, fmt.Sprintf("no response to %s after %d tries", e.cmdName, e.tries))
		return
	}
	e.tries++
	e.st = e.cmdState
	e.timer = 0
	e.cmdSend()
	e.whenSent(func() {
		if e.st == e.cmdState {
			e.setTimer(e.t4(), "T4")
		}
	})
}

// respond sends a response and then runs then (setting the next state).
func (e *Engine) respond(f FCF, fif []byte, then func()) {
	b := e.frame(f, true, fif)
	e.lastResp = b
	e.timer = 0
	e.cmdSend = nil
	e.sendFrames(b)
	e.whenSent(then)
}

// await waits for a command in state st with T2.
func (e *Engine) await(st state) {
	e.st = st
	e.setTimer(T2, "T2")
}

// fail ends the call with a failure: DCN (phase E), then CallDone.
func (e *Engine) fail(code Completion, cause string) {
	e.finish(code, cause, true)
}

func (e *Engine) finish(code Completion, cause string, dcn bool) {
	if e.st == stDone || e.st == stDCN {
		return
	}
	e.res.Code, e.res.Cause = code, cause
	e.event("end: %v: %s", code, cause)
	e.closeRxPage(false)
	e.timer, e.t1, e.t5, e.guard = 0, 0, 0, 0
	e.cmdSend = nil
	if dcn {
		e.st = stDCN
		e.sendFrames(e.frame(DCN, true, nil))
		e.whenSent(e.done)
		return
	}
	e.done()
}

func (e *Engine) done() {
	if e.st == stDone {
		return
	}
	e.st = stDone
	e.push(CallDone{e.Result()})
	// The page buffers go back, cleared, for the next call's engine: a
	// media server ends dozens of calls a second, and a page's octets
	// grown afresh in each were most of what a call allocated.
	e.putPageBufs()
}

// putPageBufs gives every page buffer of the call back to the page pool,
// cleared (the pool lets a rare huge page's go): the received page's, of
// a page whose data no sink took, and the ECM pages' being sent. A call
// that finished or was put aside decodes and sends no more (a page that
// was open was closed with it; the ECM frames went out as copies), so
// nothing reads the buffers after another call takes them.
func (e *Engine) putPageBufs() {
	putPageBuf(e.rxData)
	putPageBuf(e.ecmRx.data)
	e.rxData, e.ecmRx.data, e.pageRx.data, e.pageRx.busy = nil, nil, nil, false
	e.putSendBufs()
}

// putSendBufs gives the buffers of the ECM page being sent and of the
// one coded ahead back to the page pool; nothing may read them after.
func (e *Engine) putSendBufs() {
	t := &e.ecmTx
	clear(t.frames[:cap(t.frames)]) // slices of t.data
	t.frames = t.frames[:0]
	putPageBuf(t.data)
	putPageBuf(e.prefetch.data)
	t.data = nil
	e.prefetch = ecmPrefetch{}
}

// pageBufferSize is the size a page's buffer starts at: a letter page at
// fine resolution is some 40 KB.
const pageBufferSize = 64 << 10

// pageBuf returns an empty page buffer from the page pool (package
// pagebuf: size-classed, cleared when put back).
func pageBuf() []byte { return pagebuf.Bytes.Get(pageBufferSize)[:0] }

// putPageBuf gives b back to the page pool, cleared (nil and buffers
// grown past a size class are let go). Nothing may use b after.
func putPageBuf(b []byte) { pagebuf.Bytes.Put(b) }

// ---- inputs ----

// SendDone reports that the transport finished the last send command.
func (e *Engine) SendDone() {
	if e.busy == 0 {
		return
	}
	e.busy--
	if e.busy == 0 && e.afterSent != nil {
		f := e.afterSent
		e.afterSent = nil
		f()
	}
}

// Advance reports that samples (at 8000/s) of time passed; timers expire
// here.
func (e *Engine) Advance(n int) {
	if n <= 0 || e.st == stDone {
		return
	}
	e.now += int64(n)
	d := int64(n)
	if e.prefetch.on && !e.prefetch.done {
		e.prefetchStep((n*prefetchRowsPerBlock + 159) / 160)
	}
	e.rxPageTick()
	if e.t1 > 0 {
		if e.t1 -= d; e.t1 <= 0 {
			e.t1 = 0
			e.expireT1()
		}
	}
	if e.t5 > 0 && e.st != stDone {
		if e.t5 -= d; e.t5 <= 0 {
			e.t5 = 0
			e.event("T5 expired")
			e.fail(ErrT5, "T5 expired: receiver not ready (RNR) for 60 s")
		}
	}
	if e.guard > 0 && e.st != stDone {
		if e.guard -= d; e.guard <= 0 {
			e.guard = 0
			e.fail(ErrCarrier, "image carrier did not drop")
		}
	}
	if e.timer > 0 && e.busy == 0 && e.st != stDone {
		if e.timer -= d; e.timer <= 0 {
			e.timer = 0
			e.expire()
		}
	}
}

func (e *Engine) expireT1() {
	if e.st == stDone || e.st == stDCN {
		return
	}
	e.event("T1 expired")
	if e.st == stWaitDIS {
		e.fail(ErrT1, "T1 expired: no DIS received")
		return
	}
	if e.cfg.Source != nil && e.st == stWaitCFR {
		e.fail(ErrT1, "T1 expired: no CFR in response to DCS")
		return
	}
	e.fail(ErrT1, "T1 expired: no valid DCS or DTC in response to "+e.phaseBName())
}

func (e *Engine) phaseBName() string {
	if e.cfg.Caller && e.cfg.Source == nil {
		return "DTC"
	}
	return "DIS"
}

// expire handles the command/response timer.
func (e *Engine) expire() {
	e.event("%s expired in %v", e.timerName, e.st)
	switch e.st {
	case stWaitCFR, stWaitPostResp, stWaitPPSResp, stWaitCTR, stWaitERR, stWaitRRResp:
		e.repeat()
	case stWaitDCS:
		if e.cmdSend != nil && (e.cmdName == "DIS" || e.cmdName == "DTC") {
			e.repeat()
		} else {
			e.phaseBAgain()
		}
	case stRxTCF:
		e.phaseBAgain()
	case stRxPage, stRxECM:
		e.fail(ErrT2, "T2 expired waiting for the page")
	case stRxPost:
		e.fail(ErrT2, "T2 expired waiting for MPS, EOM or EOP")
	case stRxECMPost:
		e.fail(ErrT2, "T2 expired waiting for PPS")
	case stRxWaitDCN:
		e.finish(CompletedOK, "T2 expired waiting for DCN after the last page", false)
	}
}

// CarrierChange reports the carrier of the receiver set with SetRxModem
// going up or down.
func (e *Engine) CarrierChange(up bool) {
	if e.st == stDone || e.busy > 0 {
		return
	}
	if up == e.carrier {
		return
	}
	e.carrier = up
	if e.rxModem.Fast {
		e.fastCarrier(up)
		return
	}
	if up {
		// Flags: the frame must now end within 3 s.
		if e.timer > 0 && e.timer < samples(frameEndTime) {
			e.timer = samples(frameEndTime)
		}
		return
	}
	if len(e.pending) > 0 || e.badFrame {
		e.pending = nil
		bad := e.badFrame
		e.badFrame = false
		if bad && e.commandWait() {
			// T.30 §5.3.6.1.7: a command received in error may be answered with CRP.
			last := e.lastResp
			e.respond(CRP, nil, func() { e.lastResp = last; e.await(e.st) })
			return
		}
		if e.timer > samples(carrierOffTime) {
			e.timer = samples(carrierOffTime)
		}
	}
}

// AfterImage reports whether the engine waits for the command after a
// page or an ECM block, with T2: then its transport tells it of a signal
// still on the line (LineBusy).
func (e *Engine) AfterImage() bool {
	return (e.st == stRxPost || e.st == stRxECMPost) && e.busy == 0
}

// LineBusy tells the engine, while it waits for the command after a page
// or an ECM block (AfterImage), that n samples of a signal that is not
// V.21 were heard: the image carrier it took for ended goes on. A hole in
// the received audio longer than the modem's hang-over (qam.HangOver)
// ends the image carrier in the middle of a page, and the sender, who
// never stopped, sends the rest of it and its post-page command 75 ms
// after; T2 (6 s) must not run out meanwhile, or the receiver hangs up on
// a sender still sending (SpanDSP's T.30 waits with T2 and gives up). So
// T2 starts again with each block of such a signal, for as long as a page
// may last (imageGuard). The page is marked cut: a non-ECM page that
// lacks its RTC is answered RTN (its rows after the hole are lost; the
// sender retrains and may send it again); in ECM the frames lost go into
// the PPR as any others.
func (e *Engine) LineBusy(n int) {
	if !e.AfterImage() {
		return
	}
	if !e.rxCut {
		e.rxCut = true
		e.event("a signal goes on after the image carrier: the sender has not finished")
	}
	if e.busyFor += int64(n); e.busyFor < samples(imageGuard) {
		e.setTimer(T2, "T2")
	}
}

// commandWait reports whether the engine is a receiver waiting for a command.
func (e *Engine) commandWait() bool {
	switch e.st {
	case stWaitDCS, stRxPost, stRxWaitDCN, stRxECMPost:
		return true
	}
	return false
}

func (e *Engine) fastCarrier(up bool) {
	switch e.st {
	case stRxPage:
		if up {
			e.timer = 0
			e.guard = samples(imageGuard)
			if e.rxData == nil {
				e.rxData = pagebuf.Bytes.Get(pageBufferSize)
			}
			e.rxData = e.rxData[:0]
			e.rxNBits, e.rxBits = 0, 0
			e.rxGotData = true
			e.rxCut, e.busyFor = false, 0
			e.event("image carrier up")
			e.closeRxPage(false)
			e.rxPageBegin()
			return
		}
		e.guard = 0
		if !e.rxGotData {
			return
		}
		e.rxGotData = false
		e.flushBits()
		e.event("image carrier down, %d octets", len(e.rxData))
		e.rxPageFeed(e.rxData, true)
		e.setRx(V21)
		e.await(stRxPost)
	case stRxECM:
		if up {
			e.timer = 0
			e.guard = samples(imageGuard)
			e.rxCut, e.busyFor = false, 0
			return
		}
		e.guard = 0
		e.setRx(V21)
		e.await(stRxECMPost)
	case stRxTCF:
		if !up && !e.tcfDone {
			// The TCF ended without a result: train failed.
			e.tcfResult(0)
		}
	}
}

// TrainingDone reports whether the fast receiver trained.
func (e *Engine) TrainingDone(ok bool) {
	if e.st == stDone {
		return
	}
	e.event("training %v", map[bool]string{true: "ok", false: "failed"}[ok])
	if !ok && e.st == stRxTCF && !e.tcfDone {
		e.tcfResult(0)
	}
}

// TCFReceived reports the end of a TCF and the longest run of zeros in it,
// in milliseconds.
func (e *Engine) TCFReceived(zeroRunMs int) {
	if e.st != stRxTCF || e.tcfDone || e.busy > 0 {
		return
	}
	e.tcfResult(zeroRunMs)
}

// ImageOctets delivers non-ECM image data as received, first bit in the
// least significant bit of each octet.
func (e *Engine) ImageOctets(b []byte) {
	if e.st != stRxPage || !e.rxGotData {
		return
	}
	if e.rxNBits != 0 {
		for _, o := range b {
			for i := 0; i < 8; i++ {
				e.pushBit(o >> i & 1)
			}
		}
		e.rxPageFeed(e.rxData, false)
		return
	}
	if len(e.rxData)+len(b) > maxPageOctets {
		return
	}
	e.rxData = append(e.rxData, b...)
	e.rxPageFeed(e.rxData, false)
}

// ImageBits delivers non-ECM image data one bit per element (0 or 1), in
// line order.
func (e *Engine) ImageBits(bits []uint8) {
	if e.st != stRxPage || !e.rxGotData {
		return
	}
	for _, b := range bits {
		e.pushBit(b & 1)
	}
	e.rxPageFeed(e.rxData, false)
}

// maxPageOctets bounds a received page (8 MB).
const maxPageOctets = 8 << 20

func (e *Engine) pushBit(b uint8) {
	e.rxBits |= uint32(b) << e.rxNBits
	e.rxNBits++
	if e.rxNBits == 8 {
		if len(e.rxData) < maxPageOctets {
			e.rxData = append(e.rxData, byte(e.rxBits))
		}
		e.rxBits, e.rxNBits = 0, 0
	}
}

func (e *Engine) flushBits() {
	if e.rxNBits > 0 {
		e.rxData = append(e.rxData, byte(e.rxBits))
		e.rxBits, e.rxNBits = 0, 0
	}
}

// FrameReceived delivers an HDLC frame (address, control, FCF, FIF; no
// FCS) from V.21 or, in ECM, the fast modem; fcsOK tells whether its FCS
// was right.
func (e *Engine) FrameReceived(f []byte, fcsOK bool) {
	if e.st == stDone || e.busy > 0 {
		return
	}
	var fr Frame
	if err := fr.Unmarshal(f); err != nil {
		if !fcsOK {
			e.badFrame = true
		}
		return
	}
	if fr.FCF == FCD || fr.FCF == RCP {
		e.ecmFrame(fr, fcsOK)
		return
	}
	if !fcsOK {
		e.res.Trace = append(e.res.Trace, TraceEntry{At: time.Duration(e.now) * time.Second / SampleRate, Name: fr.FCF.String(), FIF: fifHex(fr.FIF), BadFCS: true})
		e.badFrame = true
		return
	}
	e.trace(false, fr.FCF.String(), fr.FIF)
	if e.t1 > 0 {
		e.t1 = samples(T1) // T.30 §5.4.3.1: reset on a valid signal
	}
	if len(e.pending) >= 16 {
		e.pending = e.pending[1:]
	}
	e.pending = append(e.pending, bytes.Clone(f))
	if !fr.Final {
		if e.timer > 0 && e.timer < samples(frameEndTime) {
			e.timer = samples(frameEndTime)
		}
		return
	}
	frames := make([]Frame, 0, len(e.pending))
	for _, p := range e.pending {
		var x Frame
		if x.Unmarshal(p) == nil {
			frames = append(frames, x)
		}
	}
	e.pending = nil
	e.badFrame = false
	e.handle(frames)
}

// ---- frame dispatch ----

// handle processes a command or response: optional frames, then the final
// one that names it.
func (e *Engine) handle(fs []Frame) {
	last := fs[len(fs)-1]
	fcf := last.FCF.Base()
	for _, f := range fs[:len(fs)-1] {
		e.optional(f)
	}
	if fcf == DCN {
		e.gotDCN()
		return
	}
	switch e.st {
	case stWaitDIS:
		switch fcf {
		case DIS, DTC:
			e.optional(last)
			e.gotCapabilities(fcf, last.FIF)
		}
	case stWaitDCS, stRxTCF, stRxPage:
		switch fcf {
		case DCS:
			e.gotDCS(fs)
		case DTC:
			if e.st == stWaitDCS && e.cfg.Source != nil {
				e.gotCapabilities(fcf, last.FIF)
			}
		case DIS:
			if e.st == stWaitDCS && e.cmdName == "DTC" {
				e.repeat() // our DTC was lost: the remote sends DIS again
			}
		case CRP:
			if e.st == stWaitDCS && e.cmdSend != nil {
				e.repeat()
			}
		case MPS, EOM, EOP, PRI_MPS, PRI_EOM, PRI_EOP:
			if e.st == stRxPage && e.lastResp != nil && fcf == e.lastPost {
				// Our response was lost: send it again.
				e.resendResp(stRxPage)
			}
		case PPS, EOR:
			if e.st == stRxPage && e.sess.ecm {
				e.ecmCommand(fcf, last.FIF)
			}
		}
	case stWaitCFR:
		e.gotCFRResponse(fcf)
	case stWaitPostResp:
		e.gotPostResponse(fcf)
	case stRxPost:
		switch fcf {
		case MPS, EOM, EOP, PRI_MPS, PRI_EOM, PRI_EOP:
			e.gotPostPage(fcf)
		case CRP:
			e.resendResp(stRxPost)
		}
	case stRxWaitDCN:
		if fcf == EOP || fcf == PRI_EOP || fcf == PPS || fcf == EOR || fcf == RR {
			e.resendResp(stRxWaitDCN)
		}
	case stWaitPPSResp, stWaitCTR, stWaitERR, stWaitRRResp:
		e.ecmResponse(fcf, last.FIF)
	case stRxECM, stRxECMPost:
		switch fcf {
		case PPS, EOR, CTC, RR:
			e.ecmCommand(fcf, last.FIF)
		case DCS:
			e.gotDCS(fs)
		case CRP:
			e.resendResp(e.st)
		}
	}
}

// optional records the frames that come before the final one.
func (e *Engine) optional(f Frame) {
	switch f.FCF.Base() {
	case CSI, TSI, CIG:
		if id, err := ParseIdent(f.FIF); err == nil {
			e.res.RemoteIdent = id
		}
	}
}

func (e *Engine) gotDCN() {
	e.timer = 0
	switch {
	case e.st == stRxWaitDCN || e.eopDone:
		e.finish(CompletedOK, "DCN after the last page", false)
	case e.st == stDCN:
	default:
		e.finish(ErrUnexpectedDCN, "DCN received in state "+e.st.String(), false)
	}
}

// resendResp sends the last response again (the remote repeated its
// command, or asked with CRP) and stays in st.
func (e *Engine) resendResp(st state) {
	if e.lastResp == nil {
		return
	}
	b := bytes.Clone(e.lastResp)
	e.timer = 0
	e.sendFrames(b)
	e.whenSent(func() {
		if st == stRxPage || st == stRxECM {
			e.setRx(Modem{Fast: true, Rate: e.sess.rate, HDLC: st == stRxECM})
		}
		e.await(st)
	})
}

// ---- phase B, answerer and receiver side ----

// sendDIS sends NSF, CSI and DIS (T.30 §5.3.6.1.1) and waits for DCS or
// DTC; repeated until T1 expires.
func (e *Engine) sendDIS() {
	p := localParams(&e.cfg, false)
	fif := p.AppendTo(nil)
	e.issue("DIS", stWaitDCS, 0, func() {
		var frames [][]byte
		if len(e.cfg.NSF) > 0 {
			frames = append(frames, e.frame(NSF, false, e.cfg.NSF))
		}
		if id, err := AppendIdent(nil, CSI, e.cfg.Ident); err == nil && e.cfg.Ident != "" {
			frames = append(frames, e.frame(CSI, false, id))
		}
		frames = append(frames, e.frame(DIS, true, fif))
		e.sendFrames(frames...)
	})
}

// sendDTC polls: NSC, CIG, PWD and DTC (T.30 §5.3.6.1.2).
func (e *Engine) sendDTC() {
	p := localParams(&e.cfg, true)
	fif := p.AppendTo(nil)
	e.issue("DTC", stWaitDCS, 0, func() {
		var frames [][]byte
		if len(e.cfg.NSF) > 0 {
			frames = append(frames, e.frame(NSC, false, e.cfg.NSF))
		}
		if id, err := AppendIdent(nil, CIG, e.cfg.Ident); err == nil && e.cfg.Ident != "" {
			frames = append(frames, e.frame(CIG, false, id))
		}
		if pw, err := AppendIdent(nil, PWD, e.cfg.Password); err == nil && e.cfg.Password != "" && e.remote.Password {
			frames = append(frames, e.frame(PWD, false, pw))
		}
		frames = append(frames, e.frame(DTC, true, fif))
		e.sendFrames(frames...)
	})
}

// phaseBAgain returns a receiver to the start of phase B.
func (e *Engine) phaseBAgain() {
	if e.t1 == 0 {
		e.t1 = samples(T1)
	}
	e.setRx(V21)
	if e.cfg.Caller && e.cfg.Source == nil {
		e.sendDTC()
	} else {
		e.sendDIS()
	}
}

// gotDCS handles DCS with its optional frames (TSI, SUB, SID, NSS): set
// the fast receiver for TCF.
func (e *Engine) gotDCS(fs []Frame) {
	last := fs[len(fs)-1]
	if e.cfg.Sink == nil {
		e.fail(ErrIncompatible, "DCS received but this terminal cannot receive")
		return
	}
	var p Params
	if err := p.Unmarshal(last.FIF); err != nil {
		return // a bad DCS is ignored: the transmitter repeats it
	}
	s, err := sessionFromDCS(&p)
	if err != nil {
		e.fail(ErrIncompatible, "invalid DCS: "+err.Error())
		return
	}
	e.closeRxPage(false)
	e.sess = s
	e.updateResult()
	e.cmdSend = nil
	e.tcfDone = false
	e.lastResp = nil
	e.lastPost = 0
	e.st = stRxTCF
	e.setRx(Modem{Fast: true, Rate: s.rate})
	e.setTimer(T2, "T2")
	if !e.cfg.Modems.allows(s.rate) {
		e.event("DCS rate %v not offered", s.rate)
		e.tcfResult(0)
	}
}

// tcfResult answers a TCF with CFR or FTT (T.30 §5.3.6.1.4).
func (e *Engine) tcfResult(zeroMs int) {
	e.tcfDone = true
	e.event("TCF: longest zero run %d ms", zeroMs)
	e.setRx(V21)
	if zeroMs >= e.cfg.TCFMinMs && e.cfg.Modems.allows(e.sess.rate) {
		e.t1 = 0
		e.respond(CFR, nil, e.startRxPage)
		return
	}
	e.res.FTT++
	e.respond(FTT, nil, func() { e.await(stWaitDCS) })
}

// startRxPage waits for the next page (phase C).
func (e *Engine) startRxPage() {
	e.rxData = e.rxData[:0]
	e.rxGotData = false
	if e.sess.ecm {
		e.ecmRx.startPage()
		e.setRx(Modem{Fast: true, Rate: e.sess.rate, HDLC: true})
		e.await(stRxECM)
		return
	}
	e.setRx(Modem{Fast: true, Rate: e.sess.rate})
	e.await(stRxPage)
}

func (e *Engine) updateResult() {
	m, bps, _ := e.sess.rate.Modem()
	e.res.Rate, e.res.BitRate, e.res.Modem = e.sess.rate, bps, m
	e.res.ECM, e.res.Frame64 = e.sess.ecm, e.sess.frame64
	e.res.Coding = e.sess.coding
	e.res.Resolution = e.sess.res.Resolution()
}

// rxInfo is the page layout a DCS announces.
func (e *Engine) rxInfo() PageInfo {
	return PageInfo{Width: e.sess.width.Pels(), Res: e.sess.res.Resolution()}
}

// closeRxPage ends a page left open in the sink.
func (e *Engine) closeRxPage(accepted bool) {
	e.pageRx.busy = false
	if !e.rxPageOpen {
		return
	}
	e.rxPageOpen = false
	_ = e.cfg.Sink.EndPage(PageResult{Rows: e.rxStats.Rows, BadRows: e.rxStats.BadRows, LongestBadRun: e.rxStats.LongestBadRun, Accepted: accepted})
}

// copyQuality judges a non-ECM page from the decoder's counts: MCF, RTP or
// RTN (T.30 §5.3.6.1.6; thresholds as SpanDSP and HylaFAX use them).
func (e *Engine) copyQuality(st t4.Stats) FCF {
	if st.Rows == 0 {
		return RTN
	}
	if e.cfg.MaxBadRun > 0 && st.LongestBadRun > e.cfg.MaxBadRun {
		return RTN
	}
	switch pct := st.BadRows * 100; {
	case pct >= e.cfg.RTNPercent*st.Rows:
		return RTN
	case pct >= e.cfg.RTPPercent*st.Rows && st.BadRows > 0:
		return RTP
	}
	return MCF
}

// gotPostPage answers MPS, EOM or EOP (and their PRI- forms, which this
// terminal treats as the plain ones: no operator) after a non-ECM page.
func (e *Engine) gotPostPage(fcf FCF) {
	base := postBase(fcf)
	if !e.rxPageOpen {
		// Nothing was received for this page.
		e.rxStats = t4.Stats{}
		if err := e.cfg.Sink.StartPage(e.rxInfo()); err == nil {
			e.rxPageOpen = true
		}
	}
	resp := e.copyQuality(e.rxStats)
	if e.rxCut && !e.rxStats.EndOfPage {
		// The page's carrier ended in its middle (LineBusy) and the rest
		// never reached the page: a cut page is not a copy.
		e.event("page cut: no RTC, RTN")
		resp = RTN
	}
	e.rxCut = false
	e.res.BadRows += e.rxStats.BadRows
	e.res.LongestBadRun = max(e.res.LongestBadRun, e.rxStats.LongestBadRun)
	if e.rxPageOpen {
		e.rxPageOpen = false
		if err := e.cfg.Sink.EndPage(PageResult{Rows: e.rxStats.Rows, BadRows: e.rxStats.BadRows,
			LongestBadRun: e.rxStats.LongestBadRun, Response: resp, Accepted: resp != RTN, Coding: e.sess.coding, Data: e.rxData, owner: &e.rxData}); err != nil {
			e.fail(ErrDocument, "page sink: "+err.Error())
			return
		}
	}
	switch resp {
	case RTN:
		e.res.RTN++
	case RTP:
		e.res.RTP++
		e.res.PagesReceived++
	default:
		e.res.PagesReceived++
	}
	e.lastPost = fcf
	e.respond(resp, nil, func() { e.afterPostResponse(base, resp) })
}

// afterPostResponse moves on after MCF/RTP/RTN (T.30 Figure 5-2 ff.).
func (e *Engine) afterPostResponse(base, resp FCF) {
	switch {
	case base == EOP && resp != RTN:
		e.eopDone = true
		e.await(stRxWaitDCN)
	case base == EOM:
		e.phaseBAgain()
	case resp == MCF && base == MPS:
		e.startRxPage()
	default:
		// RTP or RTN: the transmitter retrains (DCS, TCF).
		e.setRx(V21)
		e.await(stWaitDCS)
	}
}

// postBase maps PRI-MPS, PRI-EOM and PRI-EOP to MPS, EOM and EOP.
func postBase(f FCF) FCF {
	switch f.Base() {
	case PRI_MPS:
		return MPS
	case PRI_EOM:
		return EOM
	case PRI_EOP:
		return EOP
	}
	return f.Base()
}

// ---- phase B, transmitter side ----

// gotCapabilities handles the DIS (or DTC) a transmitter waits for, or the
// DIS a poller waits for.
func (e *Engine) gotCapabilities(fcf FCF, fif []byte) {
	var p Params
	if err := p.Unmarshal(fif); err != nil {
		return // ignore; T1 still runs
	}
	if fcf == DIS {
		e.x = true // T.30 §5.3.6.1: the station that received DIS sets X
	}
	e.remote = p
	if e.cfg.Source == nil {
		if e.cfg.Sink == nil {
			e.fail(ErrIncompatible, "nothing to send or receive")
			return
		}
		if !p.ReadyTransmit {
			e.fail(ErrNothingToPoll, "remote has no document to poll (DIS bit 9 clear)")
			return
		}
		e.sendDTC()
		return
	}
	if fcf == DIS && !p.Receive {
		e.fail(ErrIncompatible, "remote cannot receive (DIS bit 10 clear)")
		return
	}
	e.rates = fallbackList(p.Rate, e.cfg.Modems, e.cfg.MaxBPS)
	if len(e.rates) == 0 {
		e.fail(ErrIncompatible, fmt.Sprintf("no modem in common (remote offers %#x)", uint8(p.Rate)))
		return
	}
	e.rateI = 0
	e.sendDCS()
}

// sendDCS sends NSS, TSI, SUB, SID and DCS, then TCF (T.30 §5.3.6.1.3),
// and waits for CFR or FTT.
func (e *Engine) sendDCS() {
	info, ok := e.cfg.Source.PageInfo(e.page)
	if !ok {
		e.fail(ErrDocument, fmt.Sprintf("page %d missing", e.page+1))
		return
	}
	e.dcsPg = info
	e.sess = chooseSession(&e.cfg, &e.remote, info, e.rates[e.rateI])
	e.updateResult()
	if e.sess.ecm {
		e.prefetchStart(e.page)
	}
	sub := e.cfg.SubAddress != "" && e.remote.Subaddress
	sid := e.cfg.Password != "" && e.remote.Password
	dcs := e.sess.dcs(&e.remote, info, sub, sid)
	fif := dcs.AppendTo(nil)
	rate := e.sess.rate
	e.trained = false
	e.issue("DCS", stWaitCFR, maxTries, func() {
		var frames [][]byte
		if len(e.cfg.NSF) > 0 {
			frames = append(frames, e.frame(NSS, false, e.cfg.NSF))
		}
		if id, err := AppendIdent(nil, TSI, e.cfg.Ident); err == nil && e.cfg.Ident != "" {
			frames = append(frames, e.frame(TSI, false, id))
		}
		if b, err := AppendIdent(nil, SUB, e.cfg.SubAddress); err == nil && sub {
			frames = append(frames, e.frame(SUB, false, b))
		}
		if b, err := AppendIdent(nil, SID, e.cfg.Password); err == nil && sid {
			frames = append(frames, e.frame(SID, false, b))
		}
		frames = append(frames, e.frame(DCS, true, fif))
		e.sendFrames(frames...)
		e.push(Silence{GapMs})
		e.trace(true, "TCF "+rate.String(), nil)
		e.busy++
		e.push(SendTCF{Modem: Modem{Fast: true, Rate: rate}, Ms: TCFMs})
	})
}

// gotCFRResponse handles the response to DCS and TCF.
func (e *Engine) gotCFRResponse(fcf FCF) {
	switch fcf {
	case CFR:
		e.t1 = 0
		e.trained = true
		e.cmdSend = nil
		e.timer = 0
		e.startTxPage()
	case FTT:
		// T.30 §5.3.6.1.4: train again at a lower rate.
		e.res.FTT++
		if e.rateI+1 >= len(e.rates) {
			e.fail(ErrCannotTrain, "FTT at every rate, the last "+e.rates[e.rateI].String())
			return
		}
		e.rateI++
		e.sendDCS()
	case CRP, DIS:
		e.repeat()
	default:
		e.repeat()
	}
}

// ---- phase C/D, transmitter side ----

// startTxPage sends the current page (phase C).
func (e *Engine) startTxPage() {
	if e.sess.ecm {
		e.ecmStartPage()
		return
	}
	img, err := e.pageReader(e.page)
	if err != nil {
		e.fail(ErrDocument, "page source: "+err.Error())
		return
	}
	e.postCmd = e.nextPostCmd()
	e.st = stTxPage
	e.push(Silence{GapMs})
	e.trace(true, fmt.Sprintf("page %d %v %v", e.page+1, e.sess.coding, e.sess.rate), nil)
	e.busy++
	e.push(SendImage{Modem: Modem{Fast: true, Rate: e.sess.rate, ShortTrain: e.isV17()}, Data: img})
	e.whenSent(func() {
		e.push(Silence{GapMs})
		e.issuePost()
	})
}

func (e *Engine) isV17() bool {
	m, _, _ := e.sess.rate.Modem()
	return m == "V.17"
}

// nextPostCmd chooses MPS, EOM or EOP (T.30 §5.3.6.1.5): EOM when the next
// page needs a new DCS (another resolution or width).
func (e *Engine) nextPostCmd() FCF {
	next, ok := e.cfg.Source.PageInfo(e.page + 1)
	if !ok {
		return EOP
	}
	s := chooseSession(&e.cfg, &e.remote, next, e.sess.rate)
	if s.res != e.sess.res || s.width != e.sess.width {
		return EOM
	}
	return MPS
}

func (e *Engine) issuePost() {
	cmd := e.postCmd
	e.issue(cmd.String(), stWaitPostResp, maxTries, func() {
		e.sendFrames(e.frame(cmd, true, nil))
	})
}

// gotPostResponse handles MCF, RTP, RTN (and PIP, PIN) after a page.
func (e *Engine) gotPostResponse(fcf FCF) {
	switch fcf {
	case MCF, PIP:
		e.pageDone()
	case RTP:
		e.res.RTP++
		e.res.PagesSent++
		e.page++
		e.pageTries = 0
		e.afterPage(true, false)
	case RTN, PIN:
		e.res.RTN++
		e.pageTries++
		if e.pageTries >= e.cfg.MaxPageTries {
			e.fail(ErrPageRejected, fmt.Sprintf("page %d rejected with RTN %d times", e.page+1, e.pageTries))
			return
		}
		// T.30 §5.3.6.1.6: retrain and send the page again, one rate lower.
		if e.rateI+1 < len(e.rates) {
			e.rateI++
		}
		e.afterPage(true, true)
	case CRP:
		e.repeat()
	default:
		e.repeat()
	}
}

// pageDone counts a page the receiver confirmed and moves on.
func (e *Engine) pageDone() {
	e.res.PagesSent++
	e.page++
	e.pageTries = 0
	e.afterPage(false, false)
}

// afterPage continues after the response to a page: retrain first when
// asked (RTP, RTN); EOM returns to phase B; EOP ends the call.
func (e *Engine) afterPage(retrain, again bool) {
	e.cmdSend = nil
	if !again && e.postCmd == EOP {
		e.finish(CompletedOK, "all pages sent", true)
		return
	}
	if e.postCmd == EOM && !again {
		// Back to phase B: wait for the new DIS.
		e.t1 = samples(T1)
		e.setRx(V21)
		e.st = stWaitDIS
		return
	}
	if retrain {
		e.t1 = samples(T1)
		e.sendDCS()
		return
	}
	e.startTxPage()
}
