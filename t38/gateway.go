package t38

import (
	"bytes"
	"fmt"
	"math/bits"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/modems"
	"github.com/faxd/faxd/dsp/tone"
	"github.com/faxd/faxd/dsp/v21"
	"github.com/faxd/faxd/t30"
)

// A Gateway joins a fax machine on 8 kHz audio to a T.38 peer: the
// emitting and the receiving gateway of T.38 in one. It demodulates what the fax
// machine sends into IFP packets and modulates what the T.38 peer sends
// into audio:
//
//   - audio → T.38: CNG and CED become indicators; V.21 channel 2 HDLC
//     frames become v21-preamble, then hdlc-data with hdlc-fcs-OK (or BAD)
//     per frame, and hdlc-sig-end with no-signal when the carrier drops; the
//     fast modem, once it trains, becomes its training indicator, then
//     t4-non-ecm-data every 20 ms (TCF and pages) or HDLC frames on the fast
//     data type (ECM), and a sig-end with no-signal at the carrier's end.
//   - T.38 → audio: each indicator starts the matching signal (tones, V.21
//     with HDLC, a fast modem with its training) after the one under way
//     ends; data waits in the signal's buffer until the modem takes it. The
//     line is kept honest meanwhile: HDLC flags while a frame is incomplete,
//     TCF zeros, and T.4 fill (zeros before an EOL, T.4 §4.1.3) while page
//     data is late, so the far machine's timers never see a gap.
//
// No modem on the audio side knows what the call will use: the gateway
// reads the DCS (and CTC) frames passing either way for the fast modem,
// its rate and ECM, and CFR for the change from TCF to pages (SpanDSP's
// t38_gateway does the same). T.38
// carries octets first line bit in the most significant bit; they are
// reversed on the way (see reversed).
//
// Time is the audio's: it passes only with Process. Receive may be called
// any number of times between blocks. Not safe for concurrent use.
type Gateway struct {
	version int
	send    func(ifp []byte)
	level   float64
	nsx     bool
	pkt     Packet
	fields  [2]Field

	// What the call uses, learned from the control frames passing.
	rate  t30.Rate // DCS or CTC: the fast modem and its rate
	ecm   bool     // DCS: error correction mode
	image bool     // CFR seen: pages (or ECM blocks) follow, not TCF
	short bool     // V.17: the next training is the short one

	// audio → T.38
	tones        *tone.Detector
	toneSent     Indicator
	v21rx        *v21.Receiver
	v21hdlc      *t30.HDLCRx
	v21Up        bool
	v21Announced bool // v21-preamble sent for the signal under way
	scratch      []byte

	fastRx    modems.Receiver
	fastRxs   map[t30.Rate]modems.Receiver
	fastRate  t30.Rate
	fastHDLC  *t30.HDLCRx
	fastUp    bool // trained: its data goes out
	fastFrame bool // ECM frames, not T.4 bits
	fastDT    DataType
	octet     uint32
	nbits     int
	chunk     []byte
	chunkLen  int

	// T.38 → audio
	lastInd Indicator
	queue   []*txSignal // signals to play, the one playing first
	tx      dsp.Transmitter
	gap     int // samples of silence before the next signal
	rxFrame []byte
}

// GatewayOptions set up a gateway. The zero value is usable.
type GatewayOptions struct {
	Version int // T.38 version of the IFP encoding, 0 to 3
	// LevelDBm0 is the audio transmit level; zero means -13 dBm0.
	LevelDBm0 float64
	// SuppressNSF drops NSF, NSC and NSS frames in both directions, so
	// that two machines of one maker do not agree on private features the
	// gateway cannot carry (SpanDSP corrupts them for the same reason).
	SuppressNSF bool
}

// NewGateway returns a gateway that sends its IFP packets with send. Each
// packet is a fresh slice that send may keep.
func NewGateway(opt GatewayOptions, send func(ifp []byte)) (*Gateway, error) {
	if opt.Version < 0 || opt.Version > MaxVersion {
		return nil, fmt.Errorf("t38: version %d (0 to %d)", opt.Version, MaxVersion)
	}
	g := &Gateway{
		version: opt.Version, send: send, level: opt.LevelDBm0, nsx: opt.SuppressNSF,
		pkt:     Packet{Fields: make([]Field, 0, 8)},
		fastRxs: map[t30.Rate]modems.Receiver{},
		lastInd: IndNoSignal, toneSent: IndNoSignal,
	}
	if g.level == 0 {
		g.level = -13
	}
	g.tones = tone.NewDetector(g.tone)
	g.v21hdlc = t30.NewHDLCRx(t30.HDLCRxConfig{ReportBadFrames: true, OnFramingOK: g.v21Framing}, g.v21Frame)
	var err error
	if g.v21rx, err = v21.NewReceiver(v21.Channel2, g.v21hdlc); err != nil {
		return nil, err
	}
	g.v21rx.SetStatusHandler(g.v21Status)
	g.fastHDLC = t30.NewHDLCRx(t30.HDLCRxConfig{MaxFrameLen: 300, ReportBadFrames: true}, g.fastFrameRx)
	return g, nil
}

// Process takes a block of the fax machine's audio and fills out, the
// same length, with the audio for it.
func (g *Gateway) Process(in, out []int16) {
	g.receive(in)
	g.transmit(out)
}

// ---- audio → T.38 ----

// receive runs the detectors and receivers over the fax machine's audio.
func (g *Gateway) receive(in []int16) {
	if g.tones != nil {
		g.tones.Process(in)
	}
	g.v21rx.Process(in)
	// As in the audio terminal: the fast receiver hears nothing while V.21
	// frames are on the line, whose tail would start (and fail) its training.
	if g.fastRx != nil && !(g.v21Up && g.v21hdlc.Synced()) {
		g.fastRx.Process(in)
	}
}

func (g *Gateway) emit(p *Packet) {
	b, err := p.AppendEncode(nil, g.version)
	if err != nil {
		return // our own packets always encode
	}
	g.send(b)
}

func (g *Gateway) emitIndicator(ind Indicator) { g.emit(&Packet{Indicator: ind}) }

// emitData sends one data packet of one or two fields.
func (g *Gateway) emitData(dt DataType, f ...Field) {
	g.emit(&Packet{IsData: true, DataType: dt, Fields: append(g.fields[:0], f...)})
}

// tone forwards CNG and CED (the cng and ced indicators), heard before
// the first V.21 signal.
func (g *Gateway) tone(e tone.Event) {
	if g.v21Announced || g.fastUp {
		return
	}
	ind := IndNoSignal
	switch e.Tone {
	case tone.ToneCNG:
		ind = IndCNG
	case tone.ToneAnswer:
		ind = IndCED
	}
	if ind != g.toneSent {
		g.toneSent = ind
		g.emitIndicator(ind)
	}
}

func (g *Gateway) v21Status(s dsp.Status) {
	switch s {
	case dsp.StatusCarrierUp:
		g.v21Up = true
		g.v21hdlc.Reset() // framing starts afresh with each carrier
	case dsp.StatusCarrierDown:
		g.v21Up = false
		if g.v21Announced {
			g.v21Announced = false
			g.emitData(DataV21, Field{Type: FieldHDLCSigEnd})
			g.emitIndicator(IndNoSignal)
		}
	}
}

// v21Framing: flags on V.21 are the preamble of control frames;
// v21-preamble announces them.
func (g *Gateway) v21Framing() {
	if g.v21Announced {
		return
	}
	g.v21Announced = true
	g.tones = nil // tones come before the first frames only
	g.emitIndicator(IndV21Preamble)
}

// v21Frame forwards a control frame from the fax machine.
func (g *Gateway) v21Frame(frame []byte, ok bool) {
	if !g.v21Announced {
		g.v21Framing()
	}
	if !ok {
		g.emitData(DataV21, Field{Type: FieldHDLCData, Data: reversed(frame)}, Field{Type: FieldHDLCFCSBad})
		return
	}
	g.scratch = append(g.scratch[:0], frame...)
	f := g.scratch
	if g.control(f, true) {
		g.emitData(DataV21, Field{Type: FieldHDLCData, Data: reversed(f)}, Field{Type: FieldHDLCFCSOK})
	}
}

// control edits and watches a control frame passing either way; it
// reports false for a frame to drop.
func (g *Gateway) control(frame []byte, fromAudio bool) bool {
	var f t30.Frame
	if f.Unmarshal(frame) != nil {
		return true // not T.30's: pass it on untouched
	}
	switch f.FCF.Base() {
	case t30.NSF, t30.NSC, t30.NSS:
		return !g.nsx
	case t30.DIS, t30.DTC:
		// No V.8 (bit 6): two V.34 machines would start a V.8 exchange
		// T.38 version 0 to 2 cannot carry.
		if len(f.FIF) > 0 {
			f.FIF[0] &^= 1 << 5
		}
	case t30.DCS:
		var p t30.Params
		if p.Unmarshal(f.FIF) == nil {
			g.rate, g.ecm = p.Rate, p.ECM
		}
		g.image, g.short = false, false
		g.setFastRx(fromAudio)
	case t30.CTC:
		// T.30 §A.4.3: the next block at a new rate, after a long training.
		if r, ok, err := t30.ParseCTC(f.FIF); err == nil && ok {
			g.rate = r
		}
		g.short = false
		g.setFastRx(fromAudio)
	case t30.CTR:
		g.short = false
		g.shortTrain(false)
	case t30.CFR:
		// TCF passed: pages follow, V.17's with the short training.
		g.image, g.short = true, true
		g.shortTrain(true)
	case t30.RTN, t30.RTP:
		g.image, g.short = false, false
	}
	return true
}

// setFastRx makes the fast receiver ready for the modem a DCS or CTC
// from the fax machine chose (from the T.38 side, the machine receives and
// its audio is silent).
func (g *Gateway) setFastRx(fromAudio bool) {
	if !fromAudio {
		g.fastRx = nil
		return
	}
	name, bps, ok := g.rate.Modem()
	if !ok {
		g.fastRx = nil
		return
	}
	rx, have := g.fastRxs[g.rate]
	if !have {
		spec, err := modems.Find(registryName(name), bps, 2)
		if err != nil {
			return
		}
		if rx, err = spec.NewReceiver(bps, 2, dsp.BitSinkFunc(g.fastBit)); err != nil {
			return
		}
		rx.SetStatusHandler(g.fastStatus)
		g.fastRxs[g.rate] = rx
	}
	g.fastRx, g.fastRate = rx, g.rate
	g.shortTrain(false)
}

func (g *Gateway) shortTrain(short bool) {
	if s, ok := g.fastRx.(interface{ SetShortTrain(bool) }); ok {
		s.SetShortTrain(short)
	}
}

// registryName turns t30's modem names into dsp/modems'.
func registryName(s string) string {
	switch s {
	case "V.17":
		return "v17"
	case "V.29":
		return "v29"
	}
	return "v27ter"
}

// fastStatus: the training indicator goes out when the receiver has
// trained, the data follow; the end of the carrier ends the signal.
func (g *Gateway) fastStatus(s dsp.Status) {
	switch s {
	case dsp.StatusTrainingSucceeded:
		name, bps, _ := g.fastRate.Modem()
		ind, dt := fastTypes(t30.Modem{Rate: g.fastRate, ShortTrain: g.short && name == "V.17"})
		g.fastUp, g.fastDT = true, dt
		g.fastFrame = g.image && g.ecm
		g.fastHDLC.Reset()
		g.octet, g.nbits = 0, 0
		g.chunkLen = max(1, bps/8/50) // 20 ms of data a packet
		g.chunk = g.chunk[:0]
		g.tones = nil
		g.emitIndicator(ind)
	case dsp.StatusCarrierDown:
		if !g.fastUp {
			return
		}
		g.fastUp = false
		if g.fastFrame {
			g.emitData(g.fastDT, Field{Type: FieldHDLCSigEnd})
		} else {
			if g.nbits > 0 { // the last bits, padded
				g.chunk = append(g.chunk, byte(g.octet))
			}
			f := Field{Type: FieldT4NonECMSigEnd}
			if len(g.chunk) > 0 {
				f.Data = reversed(g.chunk)
			}
			g.emitData(g.fastDT, f)
			g.chunk = g.chunk[:0]
		}
		g.emitIndicator(IndNoSignal)
	}
}

// fastBit takes the fast receiver's bits: to HDLC in ECM, else into
// octets (first bit in the least significant) and 20 ms packets.
func (g *Gateway) fastBit(b int) {
	if !g.fastUp {
		return
	}
	if g.fastFrame {
		g.fastHDLC.PutBit(b)
		return
	}
	g.octet |= uint32(b&1) << g.nbits
	if g.nbits++; g.nbits < 8 {
		return
	}
	g.chunk = append(g.chunk, byte(g.octet))
	g.octet, g.nbits = 0, 0
	if len(g.chunk) >= g.chunkLen {
		g.emitData(g.fastDT, Field{Type: FieldT4NonECMData, Data: reversed(g.chunk)})
		g.chunk = g.chunk[:0]
	}
}

// fastFrameRx forwards an ECM frame: HDLC data on the fast modem's data
// type.
func (g *Gateway) fastFrameRx(frame []byte, ok bool) {
	end := FieldHDLCFCSOK
	if !ok {
		end = FieldHDLCFCSBad
	}
	g.emitData(g.fastDT, Field{Type: FieldHDLCData, Data: reversed(frame)}, Field{Type: end})
}

// ---- T.38 → audio ----

// A txSignal is one signal to play on the audio side: what an indicator
// announced, with the data that came for it.
type txSignal struct {
	ind    Indicator
	dt     DataType // the data type its data come on
	hdlc   bool     // HDLC frames (V.21, or ECM on the fast modem)
	image  bool     // non-ECM page data (else TCF)
	ended  bool     // its end has been received
	frames [][]byte // complete frames not yet given to the HDLC transmitter
	bits   bitQueue // non-ECM data
	gapped bool     // the silence before it has been sent
}

// Receive takes one IFP packet from the T.38 peer.
func (g *Gateway) Receive(ifp []byte) error {
	if err := Decode(ifp, g.version, &g.pkt); err != nil {
		return fmt.Errorf("%w: %v", ErrPacket, err)
	}
	p := &g.pkt
	if !p.IsData {
		g.indicator(p.Indicator)
		return nil
	}
	for _, f := range p.Fields {
		g.field(p.DataType, f)
	}
	return nil
}

// input returns the signal data are going to, nil if none is open.
func (g *Gateway) input() *txSignal {
	if n := len(g.queue); n > 0 && !g.queue[n-1].ended {
		return g.queue[n-1]
	}
	return nil
}

// indicator ends the signal under way and queues the one announced. A
// repeated indicator (sent for redundancy) changes nothing.
func (g *Gateway) indicator(ind Indicator) {
	if ind == g.lastInd {
		return
	}
	g.lastInd = ind
	if s := g.input(); s != nil {
		s.ended = true
	}
	g.rxFrame = g.rxFrame[:0]
	s := &txSignal{ind: ind, dt: 0xFF}
	switch {
	case ind == IndCNG || ind == IndCED:
	case ind == IndV21Preamble:
		s.dt, s.hdlc = DataV21, true
	default:
		r, _, ok := indicatorRate(ind)
		if !ok {
			return // no signal, or a modem (V.8, V.34, V.33) we do not have
		}
		_, s.dt = fastTypes(t30.Modem{Rate: r})
		s.hdlc = g.image && g.ecm
		s.image = g.image
	}
	g.queue = append(g.queue, s)
}

// indicatorRate returns the modem rate and training of a training
// indicator.
func indicatorRate(ind Indicator) (r t30.Rate, short, ok bool) {
	switch ind {
	case IndV27ter2400Training:
		return t30.V27ter2400, false, true
	case IndV27ter4800Training:
		return t30.V27ter4800, false, true
	case IndV29_7200Training:
		return t30.V29_7200, false, true
	case IndV29_9600Training:
		return t30.V29_9600, false, true
	case IndV17_7200ShortTraining, IndV17_7200LongTraining:
		return t30.V17_7200, ind == IndV17_7200ShortTraining, true
	case IndV17_9600ShortTraining, IndV17_9600LongTraining:
		return t30.V17_9600, ind == IndV17_9600ShortTraining, true
	case IndV17_12000ShortTraining, IndV17_12000LongTraining:
		return t30.V17_12000, ind == IndV17_12000ShortTraining, true
	case IndV17_14400ShortTraining, IndV17_14400LongTraining:
		return t30.V17_14400, ind == IndV17_14400ShortTraining, true
	}
	return 0, false, false
}

// indicatorFor is the indicator that should have come before data of type
// dt (for when it was lost).
func (g *Gateway) indicatorFor(dt DataType) (Indicator, bool) {
	if dt == DataV21 {
		return IndV21Preamble, true
	}
	for _, r := range [...]t30.Rate{t30.V27ter2400, t30.V27ter4800, t30.V29_7200, t30.V29_9600, t30.V17_7200, t30.V17_9600, t30.V17_12000, t30.V17_14400} {
		if ind, d := fastTypes(t30.Modem{Rate: r, ShortTrain: g.short}); d == dt {
			return ind, true
		}
	}
	return 0, false
}

// field takes one data field for the signal it belongs to.
func (g *Gateway) field(dt DataType, f Field) {
	s := g.input()
	if s == nil || s.dt != dt {
		if len(f.Data) == 0 && f.Type != FieldHDLCData {
			return // the repeated end of a signal already ended
		}
		// The indicator was lost: the data say what it was.
		ind, ok := g.indicatorFor(dt)
		if !ok {
			return
		}
		g.lastInd = IndNoSignal
		g.indicator(ind)
		if s = g.input(); s == nil {
			return
		}
	}
	switch f.Type {
	case FieldHDLCData:
		for _, o := range f.Data {
			g.rxFrame = append(g.rxFrame, bits.Reverse8(o))
		}
	case FieldHDLCFCSOK, FieldHDLCFCSOKSigEnd:
		if len(g.rxFrame) > 0 {
			frame := bytes.Clone(g.rxFrame)
			if dt != DataV21 || g.control(frame, false) {
				s.frames = append(s.frames, frame)
			}
		}
		g.rxFrame = g.rxFrame[:0]
	case FieldHDLCFCSBad, FieldHDLCFCSBadSigEnd, FieldHDLCSigEnd:
		// A bad frame is dropped: the far machine treats a missing frame
		// as it would a bad one.
		g.rxFrame = g.rxFrame[:0]
	case FieldT4NonECMData, FieldT4NonECMSigEnd:
		for _, o := range f.Data {
			s.bits.push(bits.Reverse8(o))
		}
	}
	switch f.Type {
	case FieldHDLCFCSOKSigEnd, FieldHDLCFCSBadSigEnd, FieldHDLCSigEnd, FieldT4NonECMSigEnd:
		s.ended = true
		g.lastInd = IndNoSignal // what follows needs a new indicator
	}
}

// transmit fills out with the signals queued.
func (g *Gateway) transmit(out []int16) {
	for len(out) > 0 {
		if g.tx != nil {
			n := g.tx.Process(out)
			if n < len(out) {
				g.tx = nil
				g.queue[0] = nil
				g.queue = g.queue[1:]
			}
			out = out[n:]
			continue
		}
		if g.gap > 0 {
			n := min(g.gap, len(out))
			clear(out[:n])
			g.gap -= n
			out = out[n:]
			continue
		}
		if len(g.queue) == 0 {
			clear(out)
			return
		}
		g.start(g.queue[0])
	}
}

// start makes the transmitter of signal s (which is queue[0]).
func (g *Gateway) start(s *txSignal) {
	switch s.ind {
	case IndCNG:
		g.tx = &toneTx{g: g, s: s, gen: tone.NewCNGGenerator(g.level)}
		return
	case IndCED:
		g.tx = &toneTx{g: g, s: s, gen: tone.NewAnswerGenerator(tone.ANS, g.level)}
		return
	}
	if !s.gapped {
		s.gapped = true
		g.gap = t30.GapMs * sampleRate / 1000 // T.30: 75 ± 20 ms between signals
		return
	}
	if s.ind == IndV21Preamble {
		tx, err := v21.NewTransmitter(v21.Channel2, newHDLCSource(s, 32))
		if err != nil {
			g.tx = &toneTx{g: g, s: s} // plays nothing
			return
		}
		tx.SetLevel(g.level)
		g.tx = tx
		return
	}
	r, short, _ := indicatorRate(s.ind)
	name, bps, _ := r.Modem()
	var src dsp.BitSource = s
	if s.hdlc {
		src = newHDLCSource(s, bps/(8*5)) // 200 ms of flags, as SpanDSP
	}
	spec, err := modems.Find(registryName(name), bps, 2)
	var tx modems.Transmitter
	if err == nil {
		tx, err = spec.NewTransmitter(bps, 2, src)
	}
	if err != nil {
		g.tx = &toneTx{g: g, s: s}
		return
	}
	if st, ok := tx.(interface{ SetShortTrain(bool) }); ok && short {
		st.SetShortTrain(true)
	}
	tx.SetLevel(g.level)
	g.tx = tx
}

// toneTx plays CNG or CED until it ends or the next signal is announced.
type toneTx struct {
	g   *Gateway
	s   *txSignal
	gen interface{ Process([]int16) int }
}

func (t *toneTx) Process(out []int16) int {
	if t.gen == nil || t.s.ended || len(t.g.queue) > 1 {
		return 0
	}
	return t.gen.Process(out)
}

// GetBit feeds the fast modem non-ECM data. While data are late it sends
// zeros: more TCF, or fill before an EOL (T.4 §4.1.3) in a page, where
// bits are released only up to the last EOL received so that fill never
// lands inside a coded line.
func (s *txSignal) GetBit() int {
	q := &s.bits
	limit := q.n
	if s.image && !s.ended {
		limit = q.safe
	}
	if q.out < limit {
		return q.next()
	}
	if s.ended && q.out >= q.n {
		return dsp.EndOfData
	}
	return 0
}

// bitQueue holds non-ECM bits, first bit of each octet in the least
// significant bit.
type bitQueue struct {
	buf  []byte
	base int // bits dropped from the front of buf
	n    int // bits pushed
	out  int // bits taken
	safe int // bits up to the end of the last run of 11 zeros (an EOL's start)
	zrun int
}

func (q *bitQueue) push(o byte) {
	if k := (q.out - q.base) / 8; k >= 4096 { // drop what was sent
		q.buf = q.buf[:copy(q.buf, q.buf[k:])]
		q.base += 8 * k
	}
	q.buf = append(q.buf, o)
	for i := range 8 {
		q.n++
		if o>>i&1 == 0 {
			if q.zrun++; q.zrun >= 11 {
				q.safe = q.n
			}
		} else {
			q.zrun = 0
		}
	}
}

func (q *bitQueue) next() int {
	i := q.out - q.base
	q.out++
	return int(q.buf[i>>3] >> (i & 7) & 1)
}

// hdlcSource feeds a modem the frames of a signal: a preamble of flags,
// then each frame as it is complete, flags while the next is awaited, and
// the end of data after the signal ends.
type hdlcSource struct {
	s     *txSignal
	tx    *t30.HDLCTx
	pre   int   // flags still to send before the first frame
	flag  uint8 // bits of the flag under way
	nflag int
}

func newHDLCSource(s *txSignal, preamble int) *hdlcSource {
	h := &hdlcSource{s: s, pre: max(1, preamble)}
	h.tx = t30.NewHDLCTx(t30.HDLCTxConfig{MaxFrameLen: 300, PreambleFlags: 1})
	h.tx.SetUnderflowHandler(h.feed)
	return h
}

func (h *hdlcSource) feed() {
	for len(h.s.frames) > 0 && h.tx.Queued() < 4 {
		_ = h.tx.Send(h.s.frames[0]) // a frame too long for HDLC is dropped
		h.s.frames[0] = nil
		h.s.frames = h.s.frames[1:]
	}
	if len(h.s.frames) == 0 && h.s.ended {
		h.tx.Finish()
	}
}

func (h *hdlcSource) GetBit() int {
	for {
		if h.nflag > 0 {
			b := int(h.flag & 1)
			h.flag >>= 1
			h.nflag--
			return b
		}
		if h.tx.Busy() {
			return h.tx.GetBit()
		}
		if h.pre > 0 {
			h.pre--
		} else {
			h.feed()
			if h.tx.Busy() {
				continue
			}
			if h.s.ended {
				return dsp.EndOfData
			}
		}
		h.flag, h.nflag = 0x7E, 8
	}
}
