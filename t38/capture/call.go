package capture

import (
	"errors"
	"fmt"
	"io"
	"math/bits"
	"time"

	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/calldecode"
	"github.com/faxd/faxd/t30/t4"
	"github.com/faxd/faxd/t38"
)

// CallOptions configure a Call.
type CallOptions struct {
	// Start is the time base of the events: zero takes the first IFP's.
	Start time.Time
	// OnEvent is told of every event, in time order. It may be nil.
	OnEvent func(calldecode.Event)
	// OnPage is given every decoded page; the Page is the callee's. It
	// may be nil.
	OnPage func(*calldecode.Page)
	// MaxPageBytes caps a page's coded data
	// (calldecode.DefaultMaxPageBytes); MaxRows its rows
	// (t4.DefaultMaxRows).
	MaxPageBytes int
	MaxRows      int
}

// ErrInternal is returned when decoding hit a bug (a panic, turned into
// this error at the Call's boundary); the Call stops.
var ErrInternal = errors.New("capture: internal error")

// sampleRate is the time grain of calldecode's events.
const sampleRate = 8000

type burstKind uint8

const (
	burstNone burstKind = iota
	burstTCF
	burstPage
	burstECM
)

// callFlow is what the Call keeps of one direction.
type callFlow struct {
	idx   int
	side  calldecode.Side
	frame []byte // HDLC octets of the frame under way, in t30 order

	// indicator repetition: T.38 gear sends each indicator several
	// times; an indicator equal to the last, with no data between, is a
	// repeat.
	lastInd  t38.Indicator
	indFresh bool

	v21Up bool // a V.21 signal is under way

	// the fast modem's transmission under way
	fastUp    bool
	fastName  string // "V.17 14400"
	fastBps   int
	trainName string
	burst     burstKind
	burstAt   time.Time
	firstData time.Time // zero until the transmission's first data
	lastData  time.Time
	// TCF
	bits, zeros, zeroRun, maxZeros int64
	// ECM
	ecmFrames, ecmLo, ecmHi, ecmBad, ecmRCP int
}

// A Call decodes the T.30 dialogue of a T.38 call from its IFP packets,
// both directions in time order (as a Reader hands them out), into
// calldecode's events and pages, so that a capture prints as a recording
// does: tones and trainings from the indicators (T.38 §5.2, Annex A
// t30-indicator), T.30 frames from the V.21 HDLC data (T.38 §5.3: hdlc-data
// with the FCS already checked, hdlc-fcs-OK or -BAD), the training check
// and the pages from t4-non-ecm-data after the DCS (coded as the DCS says,
// T.30 Table 2), and ECM pages from the FCD frames on the fast modem's
// data type, assembled per PPS (T.30 §A.4.1).
//
// T.38 carries HDLC and T.4 octets with the first bit sent in the most
// significant bit; package t30 and the t4 decoder take it in the least
// significant bit: every octet is reversed on the way in.
type Call struct {
	opt   CallOptions
	start time.Time
	now   time.Time
	flows []*callFlow
	err   error

	dcs     t30.Params
	haveDCS bool
	sender  calldecode.Side // who sends the image (the DCS's side)
	ecm     bool
	short   bool // the next fast transmission has V.17's short train
	// tcfPending: the next fast transmission is the training check.
	tcfPending bool
	rate       t30.Rate

	pages     int
	pageOpen  bool
	pageAt    time.Time
	pageModem string
	pageFlow  int
	data      []byte
	truncated bool

	ecmPage calldecode.ECMPage
}

// NewCall returns a Call.
func NewCall(opt CallOptions) *Call {
	if opt.MaxPageBytes <= 0 {
		opt.MaxPageBytes = calldecode.DefaultMaxPageBytes
	}
	if opt.MaxRows <= 0 {
		opt.MaxRows = t4.DefaultMaxRows
	}
	return &Call{opt: opt, start: opt.Start}
}

// Add takes the next IFP. An IFP that did not decode (p.Err) is skipped.
// It returns an error only after a bug ([ErrInternal]), and then always.
func (c *Call) Add(p *IFP) (err error) {
	if c.err != nil {
		return c.err
	}
	defer c.recover(&err)
	if c.start.IsZero() {
		c.start = p.Time
	}
	if p.Time.After(c.now) {
		c.now = p.Time
	}
	for len(c.flows) <= p.FlowIndex {
		c.flows = append(c.flows, &callFlow{idx: len(c.flows)})
	}
	f := c.flows[p.FlowIndex]
	if p.Err != nil {
		return nil
	}
	if !p.Packet.IsData {
		c.indicator(f, p.Packet.Indicator)
		return nil
	}
	f.indFresh = false
	c.data1(f, &p.Packet)
	return nil
}

// Close ends the call: a page in progress is decoded.
func (c *Call) Close() (err error) {
	if c.err != nil {
		return c.err
	}
	defer c.recover(&err)
	for _, f := range c.flows {
		if f.fastUp {
			c.fastEnd(f)
		}
	}
	c.end(nil)
	c.err = io.ErrClosedPipe
	return nil
}

func (c *Call) recover(err *error) {
	if r := recover(); r != nil {
		c.err = fmt.Errorf("%w: %v", ErrInternal, r)
		*err = c.err
	}
}

func (c *Call) emit(f *callFlow, e calldecode.Event) {
	if e.Sample == 0 {
		e.Sample = c.sample(c.now)
	}
	e.Time = float64(e.Sample) / sampleRate
	if f != nil {
		e.Channel = f.idx
	}
	if c.opt.OnEvent != nil {
		c.opt.OnEvent(e)
	}
}

func (c *Call) sample(t time.Time) int64 {
	return int64(t.Sub(c.start)) * sampleRate / int64(time.Second)
}

// indicator takes a t30-indicator (T.38 Annex A).
func (c *Call) indicator(f *callFlow, ind t38.Indicator) {
	if f.indFresh && ind == f.lastInd {
		return // a repeat
	}
	f.lastInd, f.indFresh = ind, true
	switch ind {
	case t38.IndNoSignal:
		c.signalEnd(f)
	case t38.IndCNG:
		c.learnSide(f, calldecode.Calling)
		c.emit(f, calldecode.Event{Kind: calldecode.KindTone, Side: calldecode.Calling, Name: "CNG", Text: "1100 Hz (cng indicator)"})
	case t38.IndCED:
		c.learnSide(f, calldecode.Called)
		c.emit(f, calldecode.Event{Kind: calldecode.KindTone, Side: calldecode.Called, Name: "CED", Text: "2100 Hz (ced indicator)"})
	case t38.IndV8ANSam:
		c.learnSide(f, calldecode.Called)
		c.emit(f, calldecode.Event{Kind: calldecode.KindTone, Side: calldecode.Called, Name: "ANSam", Text: "(v8-ansam indicator)"})
	case t38.IndV21Preamble:
		c.v21Start(f)
	default:
		name, bps, train := indicatorModem(ind)
		if name == "" {
			c.emit(f, calldecode.Event{Kind: calldecode.KindTone, Side: f.side, Name: ind.String(), Text: "(indicator)"})
			return
		}
		c.fastStart(f, fmt.Sprintf("%s %d", name, bps), bps, train, ind.String())
	}
}

func (c *Call) learnSide(f *callFlow, s calldecode.Side) {
	if f.side == calldecode.SideUnknown && s != calldecode.SideUnknown {
		f.side = s
	}
}

// indicatorModem names the modem a training indicator announces.
func indicatorModem(ind t38.Indicator) (name string, bps int, train string) {
	switch ind {
	case t38.IndV27ter2400Training:
		return "V.27ter", 2400, "training"
	case t38.IndV27ter4800Training:
		return "V.27ter", 4800, "training"
	case t38.IndV29_7200Training:
		return "V.29", 7200, "training"
	case t38.IndV29_9600Training:
		return "V.29", 9600, "training"
	case t38.IndV33_12000Training:
		return "V.33", 12000, "training"
	case t38.IndV33_14400Training:
		return "V.33", 14400, "training"
	}
	if ind >= t38.IndV17_7200ShortTraining && ind <= t38.IndV17_14400LongTraining {
		n := int(ind - t38.IndV17_7200ShortTraining)
		train = "short train"
		if n%2 == 1 {
			train = "long train"
		}
		return "V.17", []int{7200, 9600, 12000, 14400}[n/2], train
	}
	return "", 0, ""
}

// dataModem names the modem of a t30-data type.
func dataModem(d t38.DataType) (string, int) {
	switch d {
	case t38.DataV27ter2400:
		return "V.27ter", 2400
	case t38.DataV27ter4800:
		return "V.27ter", 4800
	case t38.DataV29_7200:
		return "V.29", 7200
	case t38.DataV29_9600:
		return "V.29", 9600
	case t38.DataV17_7200:
		return "V.17", 7200
	case t38.DataV17_9600:
		return "V.17", 9600
	case t38.DataV17_12000:
		return "V.17", 12000
	case t38.DataV17_14400:
		return "V.17", 14400
	case t38.DataV33_12000:
		return "V.33", 12000
	case t38.DataV33_14400:
		return "V.33", 14400
	}
	return d.String(), 0
}

func (c *Call) v21Start(f *callFlow) {
	if f.fastUp {
		c.fastEnd(f)
	}
	if !f.v21Up {
		f.v21Up = true
		f.frame = f.frame[:0]
		c.emit(f, calldecode.Event{Kind: calldecode.KindCarrierUp, Side: f.side, Name: "V.21"})
	}
}

// fastStart is a fast modem's training (T.38 §5.2: the indicator stands
// for the training, which the receiving gateway regenerates).
func (c *Call) fastStart(f *callFlow, name string, bps int, train, ind string) {
	if f.fastUp {
		c.fastEnd(f)
	}
	if f.v21Up {
		c.v21End(f)
	}
	side := f.side
	if c.sender != calldecode.SideUnknown {
		side = c.sender
	}
	f.fastUp, f.fastName, f.fastBps, f.trainName = true, name, bps, train
	f.burstAt, f.lastData, f.firstData = c.now, c.now, time.Time{}
	f.bits, f.zeros, f.zeroRun, f.maxZeros = 0, 0, 0, 0
	f.ecmFrames, f.ecmLo, f.ecmHi, f.ecmBad, f.ecmRCP = 0, -1, 0, 0, 0
	f.frame = f.frame[:0]
	c.emit(f, calldecode.Event{Kind: calldecode.KindCarrierUp, Side: side, Name: name})
	c.emit(f, calldecode.Event{Kind: calldecode.KindTraining, Side: side, Name: name, OK: true,
		Text: fmt.Sprintf("%s (%s indicator)", train, ind)})
	f.burst = c.startBurst(f)
}

// signalEnd is no-signal, or a sig-end field: the modem's signal ended.
func (c *Call) signalEnd(f *callFlow) {
	if f.fastUp {
		c.fastEnd(f)
	}
	if f.v21Up {
		c.v21End(f)
	}
}

func (c *Call) v21End(f *callFlow) {
	f.v21Up = false
	f.frame = f.frame[:0]
	c.emit(f, calldecode.Event{Kind: calldecode.KindCarrierDown, Side: f.side, Name: "V.21"})
}

func (c *Call) fastEnd(f *callFlow) {
	f.fastUp = false
	side := f.side
	if c.sender != calldecode.SideUnknown {
		side = c.sender
	}
	c.emit(f, calldecode.Event{Kind: calldecode.KindCarrierDown, Side: side, Name: f.fastName})
	k := f.burst
	f.burst = burstNone
	c.endBurst(f, k)
	f.frame = f.frame[:0]
}

// data1 takes a t30-data packet.
func (c *Call) data1(f *callFlow, p *t38.Packet) {
	fast := p.DataType != t38.DataV21
	switch {
	case fast && !f.fastUp:
		// The training indicator was lost: the data says which modem.
		name, bps := dataModem(p.DataType)
		c.fastStart(f, fmt.Sprintf("%s %d", name, bps), bps, "training", "no")
	case !fast && !f.v21Up:
		c.v21Start(f)
	}
	if fast {
		if f.firstData.IsZero() {
			f.firstData = c.now
		}
		f.lastData = c.now
	}
	for _, fl := range p.Fields {
		switch fl.Type {
		case t38.FieldHDLCData:
			for _, o := range fl.Data {
				f.frame = append(f.frame, bits.Reverse8(o))
			}
		case t38.FieldHDLCFCSOK, t38.FieldHDLCFCSBad, t38.FieldHDLCFCSOKSigEnd, t38.FieldHDLCFCSBadSigEnd:
			ok := fl.Type == t38.FieldHDLCFCSOK || fl.Type == t38.FieldHDLCFCSOKSigEnd
			for _, o := range fl.Data { // data in an FCS field: SpanDSP never sends it, T.38 allows it
				f.frame = append(f.frame, bits.Reverse8(o))
			}
			if len(f.frame) > 0 {
				if fast {
					c.ecmFrame(f, f.frame, ok)
				} else {
					c.v21Frame(f, f.frame, ok)
				}
			}
			f.frame = f.frame[:0]
			if fl.Type == t38.FieldHDLCFCSOKSigEnd || fl.Type == t38.FieldHDLCFCSBadSigEnd {
				c.signalEnd(f)
			}
		case t38.FieldHDLCSigEnd:
			c.signalEnd(f)
		case t38.FieldT4NonECMData, t38.FieldT4NonECMSigEnd:
			if f.fastUp {
				for _, o := range fl.Data {
					c.nonECMOctet(f, bits.Reverse8(o))
				}
			}
			if fl.Type == t38.FieldT4NonECMSigEnd {
				c.signalEnd(f)
			}
		}
	}
	const maxFrame = 4096 // far beyond any T.30 frame or FCD (3+256+...)
	if len(f.frame) > maxFrame {
		f.frame = f.frame[:0]
		if fast {
			f.ecmBad++
		}
	}
}

// nonECMOctet takes an octet of a non-ECM fast transmission.
func (c *Call) nonECMOctet(f *callFlow, o byte) {
	switch f.burst {
	case burstTCF:
		for i := range 8 {
			f.bits++
			if o>>i&1 == 0 {
				f.zeros++
				f.zeroRun++
				f.maxZeros = max(f.maxZeros, f.zeroRun)
			} else {
				f.zeroRun = 0
			}
		}
	case burstPage:
		f.bits += 8
		c.pageOctet(o)
	}
}

// v21Frame takes a T.30 frame carried as V.21 HDLC data.
func (c *Call) v21Frame(f *callFlow, b []byte, ok bool) {
	var fr t30.Frame
	if err := fr.Unmarshal(b); err != nil {
		if ok {
			c.emit(f, calldecode.Event{Kind: calldecode.KindBadFrame, Side: f.side, Name: "frame", Text: err.Error(), FIF: clone(b)})
		}
		return
	}
	c.frame(f, fr, ok)
}

// ecmFrame takes a frame the fast modem carried (T.4 Annex A: FCD frames
// with their frame number, RCP).
func (c *Call) ecmFrame(f *callFlow, frame []byte, ok bool) {
	if !ok || len(frame) < 3 || frame[0] != t30.Address {
		f.ecmBad++
		return
	}
	switch t30.FCF(frame[2]) {
	case t30.FCD:
		if len(frame) < 5 {
			f.ecmBad++
			return
		}
		n := int(frame[3])
		f.ecmFrames++
		if f.ecmLo < 0 || n < f.ecmLo {
			f.ecmLo = n
		}
		f.ecmHi = max(f.ecmHi, n)
		c.ecmPage.Frame(n, frame[4:])
	case t30.RCP:
		f.ecmRCP++
	default:
		var fr t30.Frame
		if fr.Unmarshal(frame) == nil {
			c.frame(f, fr, true)
		}
	}
}

// sideOf returns who sent a frame (T.30 §5.3.6.1): the X bit is 1 from
// the terminal that received DIS, the calling one; frames without an X
// bit belong to a fixed side.
func sideOf(f t30.FCF) calldecode.Side {
	switch f.Base() {
	case t30.DIS, t30.CSI, t30.NSF:
		return calldecode.Called
	case t30.DTC, t30.CIG, t30.NSC, t30.PWD, t30.SEP, t30.PSA, t30.CIA, t30.ISP:
		return calldecode.Calling
	case t30.FCD, t30.RCP:
		return calldecode.SideUnknown
	}
	if f.X() {
		return calldecode.Calling
	}
	return calldecode.Called
}

// frame takes a T.30 frame, following the dialogue as calldecode does.
func (c *Call) frame(f *callFlow, fr t30.Frame, ok bool) {
	e := calldecode.Event{Kind: calldecode.KindFrame, Side: sideOf(fr.FCF), Name: fr.FCF.String(), FIF: clone(fr.FIF), OK: ok}
	if !ok {
		e.Kind = calldecode.KindBadFrame
		if f.side != calldecode.SideUnknown {
			e.Side = f.side
		}
	} else {
		e.Text = calldecode.Describe(fr)
		c.learnSide(f, e.Side)
	}
	c.emit(f, e)
	if !ok {
		return
	}
	switch fr.FCF.Base() {
	case t30.DCS:
		var p t30.Params
		if p.Unmarshal(fr.FIF) != nil {
			return
		}
		c.dcs, c.haveDCS, c.ecm, c.rate = p, true, p.ECM, p.Rate
		c.sender = e.Side
		c.tcfPending, c.short = true, false
	case t30.CFR:
		c.tcfPending = false
		c.short = true
	case t30.FTT:
		c.tcfPending = false
	case t30.CTC:
		if rate, ok, err := t30.ParseCTC(fr.FIF); err == nil && ok {
			c.rate = rate
		}
		c.short = false
	case t30.CTR:
		c.short = false
	case t30.PPS:
		if pp, err := t30.ParsePPS(fr.FIF); err == nil {
			c.pps(f, pp)
		}
	case t30.EOR:
		if fcf2, err := t30.ParseEOR(fr.FIF); err == nil {
			c.ecmPage.EOR(fcf2)
		}
	case t30.MCF, t30.ERR:
		if c.ecmPage.Confirmed(c.pageOctet) {
			c.finishPage(f)
		}
	case t30.DCN:
		c.end(f)
	}
}

// startBurst decides what a fast-modem transmission carries.
func (c *Call) startBurst(f *callFlow) burstKind {
	switch {
	case c.tcfPending:
		return burstTCF
	case !c.haveDCS:
		return burstNone
	case c.ecm:
		if !c.pageOpen {
			c.openPage(f)
		}
		return burstECM
	}
	if c.pageOpen { // an ECM page left open by a change of mode
		c.finishPage(f)
	}
	c.openPage(f)
	return burstPage
}

// endBurst closes a fast-modem transmission.
func (c *Call) endBurst(f *callFlow, kind burstKind) {
	switch kind {
	case burstTCF:
		// From the first data to the last packet's, which carries 20 ms
		// or so more: about the TCF's length.
		secs := 0.0
		if !f.firstData.IsZero() {
			secs = f.lastData.Sub(f.firstData).Seconds()
		}
		pct := 0.0
		if f.bits > 0 {
			pct = 100 * float64(f.zeros) / float64(f.bits)
		}
		// T.30 §5.3.6.2.1 leaves the judgement to the receiver; SpanDSP
		// wants a second of unbroken zeros.
		c.emit(f, calldecode.Event{Kind: calldecode.KindTCF, Side: c.sender, Name: "TCF", OK: f.maxZeros >= int64(f.fastBps) && f.fastBps > 0,
			Text: fmt.Sprintf("%.2f s, %d bits, %.1f%% zeros, longest run of zeros %d bits (%.2f s)",
				secs, f.bits, pct, f.maxZeros, float64(f.maxZeros)/float64(max(f.fastBps, 1)))})
		c.tcfPending = false
		c.short = true
	case burstPage:
		c.finishPage(f)
	case burstECM:
		text := fmt.Sprintf("%d frames", f.ecmFrames)
		if f.ecmFrames > 0 {
			text += fmt.Sprintf(" (%d to %d)", f.ecmLo, f.ecmHi)
		}
		if f.ecmBad > 0 {
			text += fmt.Sprintf(", %d bad", f.ecmBad)
		}
		if f.ecmRCP > 0 {
			text += ", RCP"
		}
		c.emit(f, calldecode.Event{Kind: calldecode.KindECMBlock, Side: c.sender, Name: "FCD", Text: text, OK: f.ecmBad == 0})
		c.short = true
	}
}

func (c *Call) openPage(f *callFlow) {
	c.pageOpen, c.pageAt, c.pageModem, c.pageFlow = true, c.now, f.fastName, f.idx
	c.data, c.truncated, c.ecmPage.Missing = c.data[:0], false, 0
	c.emit(f, calldecode.Event{Kind: calldecode.KindPageStart, Side: c.sender, Name: fmt.Sprintf("page %d", c.pages+1), Page: c.pages + 1,
		Text: calldecode.DescribePage(f.fastName, &c.dcs, c.ecm)})
}

// pageOctet adds an octet of page data.
func (c *Call) pageOctet(o byte) {
	if len(c.data) >= c.opt.MaxPageBytes {
		c.truncated = true
		return
	}
	c.data = append(c.data, o)
}

// pps closes a partial page (T.30 §A.4.1).
func (c *Call) pps(f *callFlow, pp t30.PartialPage) {
	if c.ecmPage.PPS(pp, c.pageOctet) {
		c.finishPage(f)
	}
	if !c.pageOpen && c.ecmPage.Frames() > 0 {
		c.openPage(f)
	}
}

// end closes the page in progress at DCN or the end of the capture.
func (c *Call) end(f *callFlow) {
	c.ecmPage.Commit(c.pageOctet)
	if c.pageOpen {
		c.finishPage(f)
	}
}

// finishPage decodes the page assembled so far and reports it.
func (c *Call) finishPage(f *callFlow) {
	if !c.pageOpen {
		return
	}
	c.pageOpen = false
	c.pages++
	coding, width, res := calldecode.PageFormat(&c.dcs)
	p := &calldecode.Page{
		Number: c.pages, Sample: c.sample(c.pageAt), Side: c.sender, Channel: c.pageFlow, Modem: c.pageModem, ECM: c.ecm,
		Coding: coding, Width: width, Resolution: res,
		CodedBytes: len(c.data), Truncated: c.truncated, MissingFrames: c.ecmPage.Missing,
	}
	p.Time = float64(p.Sample) / sampleRate
	p.Decode(c.data, c.opt.MaxRows)
	c.data, c.ecmPage.Missing, c.truncated = c.data[:0], 0, false
	if cap(c.data) > 1<<20 {
		c.data = nil
	}
	if c.pageFlow < len(c.flows) {
		f = c.flows[c.pageFlow]
	}
	c.emit(f, calldecode.Event{Kind: calldecode.KindPageEnd, Side: c.sender, Name: fmt.Sprintf("page %d", p.Number), Page: p.Number,
		Rows: len(p.Rows), BadRows: p.Stats.BadRows, LongestBadRun: p.Stats.LongestBadRun, OK: p.OK(), Text: p.Summary()})
	if c.opt.OnPage != nil {
		c.opt.OnPage(p)
	}
}

func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}
