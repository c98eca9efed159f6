package t38

import (
	"errors"
	"fmt"
	"io"
	"math/bits"
	"time"

	"github.com/faxd/faxd/t30"
)

// A Terminal runs a T.30 call straight over T.38 IFP packets, with no
// modems: the engine's frames travel as V.21 HDLC data, TCF and pages as
// t4-non-ecm-data, ECM frames as HDLC data on the fast modem's data type,
// each announced by its indicator and paced as the modem would carry them
// (T.38 §5 and §7). Packets go out through a function the caller gives
// (UDPTL or a test wire) and come in through Receive; time advances with
// Advance, counted in samples of 8000 a second, so tests never sleep.
type Terminal struct {
	eng     *t30.Engine
	version int
	send    func(ifp []byte)
	now     int64

	// transmit: packets waiting for their time, and the command's source
	queue       []timedPacket
	sendEnd     int64 // when the transmission under way ends
	pending     bool  // the engine waits for SendDone
	image       io.Reader
	pktDataType DataType
	imgRate     int
	imgNext     int64
	silence     int64 // end of a Silence
	done        bool
	result      *t30.Result
	chunk       []byte

	// receive
	pkt      Packet
	rxFrame  []byte
	rxImage  []byte
	rxFast   bool // the data under way is on a fast modem
	fastUp   bool
	zeroRun  int
	bestZero int
	tcfBits  int
	rxRate   int
}

type timedPacket struct {
	at  int64
	ifp []byte
}

// TerminalOptions set the T.38 side of a terminal.
type TerminalOptions struct {
	Version int // T.38 version of the IFP encoding, 0 to 3
	// NetworkDelay stretches the T.30 response timers T2 and T4 for the
	// IP leg (t30.Config.NetworkDelay); zero means DefaultNetworkDelay,
	// a negative value none.
	NetworkDelay time.Duration
}

// DefaultNetworkDelay is how much longer a T.38 terminal waits for a
// response than T.30's T2 and T4: room for a few hundred milliseconds of
// delay each way and a gateway's buffering.
const DefaultNetworkDelay = 2 * time.Second

// ErrPacket is wrapped by Receive for an IFP packet that does not decode.
var ErrPacket = errors.New("t38: bad IFP packet")

// NewTerminal returns a terminal running the call cfg describes, sending
// its IFP packets with send.
func NewTerminal(cfg t30.Config, opt TerminalOptions, send func(ifp []byte)) (*Terminal, error) {
	if opt.Version < 0 || opt.Version > MaxVersion {
		return nil, fmt.Errorf("t38: version %d (0 to %d)", opt.Version, MaxVersion)
	}
	if cfg.ScanTime == t30.Scan20ms {
		cfg.ScanTime = t30.Scan0ms // no print head: no minimum scan line time
	}
	// The far end may be an audio fax behind a gateway: its responses
	// come back late by the network's delay both ways and the gateway's
	// buffering. SpanDSP's T.38 terminal allows about as much.
	switch {
	case opt.NetworkDelay > 0:
		cfg.NetworkDelay = opt.NetworkDelay
	case opt.NetworkDelay == 0 && cfg.NetworkDelay == 0:
		cfg.NetworkDelay = DefaultNetworkDelay
	}
	t := &Terminal{version: opt.Version, send: send, pkt: Packet{Fields: make([]Field, 0, 8)}}
	t.eng = t30.NewEngine(cfg)
	if cfg.Caller {
		t.emitIndicator(IndCNG)
	} else {
		t.emitIndicator(IndCED)
	}
	t.pump()
	return t, nil
}

// Done reports whether the call is over.
func (t *Terminal) Done() bool { return t.done }

// Result returns the call's result once it is over.
func (t *Terminal) Result() *t30.Result { return t.result }

// Engine returns the T.30 engine.
func (t *Terminal) Engine() *t30.Engine { return t.eng }

// Samples a second.
const sampleRate = 8000

func ms(n int) int64 { return int64(n) * sampleRate / 1000 }

// Advance lets n samples of time pass: packets due go out, the engine's
// timers run.
func (t *Terminal) Advance(n int) {
	end := t.now + int64(n)
	for t.now < end {
		step := min(end-t.now, 80)
		t.now += step
		t.pump()
		t.eng.Advance(int(step))
	}
	t.pump()
}

// pump sends what is due and takes the engine's next commands when the
// line is free.
func (t *Terminal) pump() {
	for {
		for len(t.queue) > 0 && t.queue[0].at <= t.now {
			t.send(t.queue[0].ifp)
			t.queue = t.queue[1:]
		}
		if t.image != nil {
			t.pumpImage()
		}
		if len(t.queue) > 0 || t.image != nil || t.now < t.sendEnd || t.now < t.silence {
			return
		}
		if t.pending {
			t.pending = false
			// The signal has ended: say so. Over UDP the packets that
			// follow also carry, as redundancy, the last ones of the
			// signal, which nothing else would repair until the next
			// signal.
			t.emitIndicator(IndNoSignal)
			t.eng.SendDone()
			continue
		}
		if t.done || !t.nextCommand() {
			return
		}
	}
}

// schedule queues an IFP packet to go at sample time at.
func (t *Terminal) schedule(at int64, p *Packet) {
	b, err := p.AppendEncode(nil, t.version)
	if err != nil {
		return // our own packets always encode; nothing to send otherwise
	}
	t.queue = append(t.queue, timedPacket{at: at, ifp: b})
	t.sendEnd = max(t.sendEnd, at)
}

// indicatorRepeats is how many times an indicator is sent (as SpanDSP
// does over UDP): a repeated indicator changes nothing, a lost one can cost
// the call.
const indicatorRepeats = 3

func (t *Terminal) emitIndicator(ind Indicator) {
	for range indicatorRepeats {
		t.schedule(t.now, &Packet{Indicator: ind})
	}
}

// Training times the modems take before their data (T.38 §7.? leaves
// the pacing to the gateway's timing; these are the modems' own).
func trainingTime(m t30.Modem) int64 {
	name, bps, _ := m.Rate.Modem()
	switch name {
	case "V.17":
		if m.ShortTrain {
			return ms(142)
		}
		return ms(1393)
	case "V.29":
		return ms(253)
	}
	if bps == 2400 {
		return ms(1180)
	}
	return ms(943)
}

// indicator and data type for a fast modem.
func fastTypes(m t30.Modem) (Indicator, DataType) {
	_, bps, _ := m.Rate.Modem()
	name, _, _ := m.Rate.Modem()
	switch name {
	case "V.17":
		base := map[int]Indicator{7200: IndV17_7200ShortTraining, 9600: IndV17_9600ShortTraining, 12000: IndV17_12000ShortTraining, 14400: IndV17_14400ShortTraining}[bps]
		if !m.ShortTrain {
			base++ // the long training follows each short one in Annex A
		}
		return base, map[int]DataType{7200: DataV17_7200, 9600: DataV17_9600, 12000: DataV17_12000, 14400: DataV17_14400}[bps]
	case "V.29":
		if bps == 7200 {
			return IndV29_7200Training, DataV29_7200
		}
		return IndV29_9600Training, DataV29_9600
	}
	if bps == 2400 {
		return IndV27ter2400Training, DataV27ter2400
	}
	return IndV27ter4800Training, DataV27ter4800
}

// nextCommand takes the engine's next command and starts it.
func (t *Terminal) nextCommand() bool {
	c, ok := t.eng.Next()
	if !ok {
		return false
	}
	switch c := c.(type) {
	case t30.SetRxModem:
		// Over T.38 the packets say what they carry.
	case t30.Silence:
		t.silence = t.now + ms(c.Ms)
	case t30.SendFrames:
		t.pending = true
		at := t.now
		t.emitIndicator(IndV21Preamble)
		at += ms(c.PreambleMs)
		for i, f := range c.Frames {
			end := FieldHDLCFCSOK
			if i == len(c.Frames)-1 {
				end = FieldHDLCFCSOKSigEnd
			}
			// 300 bit/s, the frame plus FCS and a flag, bit stuffing aside.
			at += int64((len(f)+3)*8) * sampleRate / 300
			t.schedule(at, &Packet{IsData: true, DataType: DataV21, Fields: []Field{{Type: FieldHDLCData, Data: reversed(f)}, {Type: end}}})
		}
	case t30.SendTCF:
		t.pending = true
		ind, dt := fastTypes(c.Modem)
		_, bps, _ := c.Modem.Rate.Modem()
		t.emitIndicator(ind)
		n := bps / 8 * c.Ms / 1000
		t.startImage(c.Modem, dt, bps, io.LimitReader(zeros{}, int64(n)), t.now+trainingTime(c.Modem))
	case t30.SendImage:
		t.pending = true
		ind, dt := fastTypes(c.Modem)
		_, bps, _ := c.Modem.Rate.Modem()
		t.emitIndicator(ind)
		t.startImage(c.Modem, dt, bps, c.Data, t.now+trainingTime(c.Modem))
	case t30.SendECMBlock:
		t.pending = true
		ind, dt := fastTypes(c.Modem)
		_, bps, _ := c.Modem.Rate.Modem()
		t.emitIndicator(ind)
		at := t.now + trainingTime(c.Modem)
		for i, f := range c.Frames {
			end := FieldHDLCFCSOK
			if i == len(c.Frames)-1 {
				end = FieldHDLCFCSOKSigEnd
			}
			at += int64((len(f)+3)*8) * sampleRate / int64(bps)
			t.schedule(at, &Packet{IsData: true, DataType: dt, Fields: []Field{{Type: FieldHDLCData, Data: reversed(f)}, {Type: end}}})
		}
	case t30.CallDone:
		t.done = true
		t.result = c.Result
		t.emitIndicator(IndNoSignal)
		for _, q := range t.queue {
			t.send(q.ifp)
		}
		t.queue = nil
	}
	return true
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// startImage begins sending non-ECM data (TCF or a page) from r at bps,
// from sample time at, in 20 ms packets.
func (t *Terminal) startImage(_ t30.Modem, dt DataType, bps int, r io.Reader, at int64) {
	t.image, t.pktDataType, t.imgRate, t.imgNext = r, dt, bps, at
	if cap(t.chunk) < bps/8/50+1 {
		t.chunk = make([]byte, bps/8/50+1)
	}
}

// pumpImage sends the image packets that are due: 20 ms of data each.
func (t *Terminal) pumpImage() {
	for t.image != nil && t.imgNext <= t.now {
		buf := t.chunk[:max(1, t.imgRate/8/50)]
		n, err := io.ReadFull(t.image, buf)
		reverseInPlace(buf[:n])
		p := &Packet{IsData: true, DataType: t.pktDataType}
		if n > 0 {
			p.Fields = append(p.Fields, Field{Type: FieldT4NonECMData, Data: buf[:n]})
		}
		if err != nil { // the end: the last data and the end of the signal
			p.Fields = append(p.Fields, Field{Type: FieldT4NonECMSigEnd})
			t.image = nil
		}
		t.schedule(t.imgNext, p)
		t.imgNext += ms(20)
	}
}

// Receive takes one IFP packet from the far end.
func (t *Terminal) Receive(ifp []byte) error {
	if err := Decode(ifp, t.version, &t.pkt); err != nil {
		return fmt.Errorf("%w: %v", ErrPacket, err)
	}
	p := &t.pkt
	if !p.IsData {
		t.indicator(p.Indicator)
		t.pump()
		return nil
	}
	fast := p.DataType != DataV21
	if fast && !t.fastUp {
		// The first data after a training indicator: the modem trained.
		t.fastUp, t.rxFast = true, true
		t.zeroRun, t.bestZero, t.tcfBits = 0, 0, 0
		t.rxRate = dataRate(p.DataType)
		t.eng.CarrierChange(true)
		t.eng.TrainingDone(true)
	}
	for _, f := range p.Fields {
		switch f.Type {
		case FieldHDLCData:
			for _, o := range f.Data {
				t.rxFrame = append(t.rxFrame, bits.Reverse8(o))
			}
		case FieldHDLCFCSOK, FieldHDLCFCSOKSigEnd, FieldHDLCFCSBad, FieldHDLCFCSBadSigEnd:
			ok := f.Type == FieldHDLCFCSOK || f.Type == FieldHDLCFCSOKSigEnd
			if len(t.rxFrame) > 0 {
				t.eng.FrameReceived(t.rxFrame, ok)
			}
			t.rxFrame = t.rxFrame[:0]
			if f.Type == FieldHDLCFCSOKSigEnd || f.Type == FieldHDLCFCSBadSigEnd {
				t.signalEnd(fast)
			}
		case FieldHDLCSigEnd:
			t.rxFrame = t.rxFrame[:0]
			t.signalEnd(fast)
		case FieldT4NonECMData:
			t.imageData(f.Data)
		case FieldT4NonECMSigEnd:
			t.imageData(f.Data)
			t.signalEnd(true)
		}
	}
	t.pump()
	return nil
}

func (t *Terminal) indicator(ind Indicator) {
	switch {
	case ind == IndV21Preamble:
		t.eng.CarrierChange(true)
	case ind == IndNoSignal:
		if t.fastUp {
			t.signalEnd(true)
		}
	}
}

// imageData takes non-ECM data: TCF zeros are counted, everything goes to
// the engine as image octets (it ignores what it does not expect).
func (t *Terminal) imageData(in []byte) {
	b := append(t.rxImage[:0], in...)
	reverseInPlace(b)
	t.rxImage = b
	for _, o := range b {
		for i := 0; i < 8; i++ {
			if o>>i&1 == 0 {
				t.zeroRun++
				t.bestZero = max(t.bestZero, t.zeroRun)
			} else {
				t.zeroRun = 0
			}
		}
	}
	t.tcfBits += 8 * len(b)
	if len(b) > 0 {
		t.eng.ImageOctets(b)
	}
}

// signalEnd is the end of a modem signal.
func (t *Terminal) signalEnd(fast bool) {
	if fast && t.fastUp {
		if t.tcfBits > 0 && t.rxRate > 0 {
			t.eng.TCFReceived(t.bestZero * 1000 / t.rxRate)
		}
		t.fastUp, t.rxFast = false, false
		t.tcfBits = 0
	}
	t.eng.CarrierChange(false)
}

// dataRate is a data type's bit rate.
func dataRate(d DataType) int {
	return map[DataType]int{DataV27ter2400: 2400, DataV27ter4800: 4800, DataV29_7200: 7200, DataV29_9600: 9600,
		DataV17_7200: 7200, DataV17_9600: 9600, DataV17_12000: 12000, DataV17_14400: 14400}[d]
}

// T.38 carries HDLC and T.4 data octets with the first bit on the line in
// the most significant bit (T.38 §? "the bit order of the data"); package
// t30 keeps octets as the modems deliver them, first bit in the least
// significant bit. Each octet is reversed on the way.

func reversed(b []byte) []byte {
	out := make([]byte, len(b))
	for i, o := range b {
		out[i] = bits.Reverse8(o)
	}
	return out
}

func reverseInPlace(b []byte) {
	for i, o := range b {
		b[i] = bits.Reverse8(o)
	}
}
