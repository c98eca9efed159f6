package calldecode

import (
	"fmt"
	"strings"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/modems"
	"github.com/faxd/faxd/dsp/tone"
	"github.com/faxd/faxd/dsp/v21"
	"github.com/faxd/faxd/t30"
)

// burstKind is what a fast-modem transmission is taken to carry.
type burstKind uint8

const (
	burstNone burstKind = iota // not trained (yet)
	burstTCF                   // the training check after DCS (T.30 §5.3.6.2.1)
	burstPage                  // non-ECM page data (T.4)
	burstECM                   // ECM frames (T.4 Annex A)
)

// channel is one direction's front end: tones, both V.21 channels and,
// after a DCS heard on it, the fast modem. One loop, process, runs them
// all over each block of samples.
type channel struct {
	d   *Decoder
	idx int
	pos int64 // sample number of the next sample

	tone *tone.Detector
	v21  [2]*v21.Receiver // V.21 channels 1 and 2
	hdlc [2]*t30.HDLCRx
	v21C [2]bool // carrier present
	side Side    // stereo: the side this channel was last heard sending

	fast      modems.Receiver
	fastShort interface{ SetShortTrain(bool) } // V.17 only
	fastName  string                           // "V.17 14400"
	fastRate  t30.Rate
	fastHDLC  *t30.HDLCRx // ECM frames on the fast modem

	// The fast modem's transmission in progress.
	fastC     bool  // carrier present
	upAt      int64 // when the carrier came
	upShown   bool  // the carrier-up event was given
	sawV21    bool  // a V.21 carrier was heard during it: it is a V.21 transmission
	shortNow  bool  // this transmission was expected with the short train
	kind      burstKind
	trainedAt int64
	bits      int64 // data bits since training
	zeros     int64 // zeros among them
	zeroRun   int64 // current run of zeros
	maxZeros  int64 // longest run of zeros
	ecmFrames int   // FCD frames with a good FCS in this transmission
	ecmBad    int   // frames with a bad FCS
	ecmRCP    int   // RCP frames
	ecmLo     int   // lowest and highest frame number received
	ecmHi     int

	// pageBits assembles non-ECM page bits into octets, first bit in the
	// least significant bit, as T.30 sends them.
	acc  uint8
	nacc uint8
}

func newChannel(d *Decoder, idx int) (*channel, error) {
	c := &channel{d: d, idx: idx}
	c.tone = tone.NewDetector(c.onTone)
	for i := range c.v21 {
		i := i
		c.hdlc[i] = t30.NewHDLCRx(t30.HDLCRxConfig{ReportBadFrames: true}, func(frame []byte, ok bool) {
			c.onV21Frame(i, frame, ok)
		})
		rx, err := v21.NewReceiver(v21.Channel(i+1), c.hdlc[i])
		if err != nil {
			return nil, fmt.Errorf("calldecode: %w", err)
		}
		rx.SetStatusHandler(func(s dsp.Status) { c.onV21Status(i, s) })
		c.v21[i] = rx
	}
	c.fastHDLC = t30.NewHDLCRx(t30.HDLCRxConfig{ReportBadFrames: true}, c.onECMFrame)
	return c, nil
}

// process runs every receiver of the channel over in (at most step
// samples); the events they give are stamped with the block's end.
func (c *channel) process(in []int16) {
	c.tone.Process(in)
	c.pos += int64(len(in))
	c.v21[0].Process(in)
	c.v21[1].Process(in)
	if c.fast != nil {
		c.fast.Process(in)
	}
}

// now is the time of the events decided in the block being processed.
func (c *channel) now() int64 { return c.d.opt.Start + c.pos }

func (c *channel) emit(e Event) {
	e.Channel = c.idx
	if e.Sample == 0 {
		e.Sample = c.now()
	}
	c.d.emit(e)
}

func (c *channel) onTone(ev tone.Event) {
	e := Event{Kind: KindTone, Sample: c.d.opt.Start + ev.At}
	switch ev.Tone {
	case tone.ToneCNG:
		e.Side, e.Name = Calling, "CNG"
		e.Text = fmt.Sprintf("1100 Hz, %.2f s, %.1f dBm0", ev.DurationSec, ev.LevelDBm0)
		if ev.Burst > 1 && ev.CadenceOK {
			e.Text += fmt.Sprintf(", burst %d", ev.Burst)
		}
	case tone.ToneAnswer:
		e.Side, e.Name = Called, ev.Answer.String()
		if ev.Answer == tone.ANS {
			e.Name = "CED"
		}
		e.Text = fmt.Sprintf("2100 Hz, %.1f dBm0, %+.1f Hz", ev.LevelDBm0, ev.OffsetHz)
	case tone.ToneEnd:
		e.Side, e.Name = Called, "answer tone end"
		e.Text = fmt.Sprintf("%.2f s", ev.DurationSec)
	default:
		return
	}
	c.emit(e)
}

func (c *channel) onV21Status(i int, s dsp.Status) {
	name := "V.21"
	if i == 0 {
		name = "V.21 ch1"
	}
	switch s {
	case dsp.StatusCarrierUp:
		c.v21C[i] = true
		c.hdlc[i].Reset()
		if c.fastC {
			c.sawV21 = true
		}
		if i == 1 { // channel 1 is quiet in fax: its carrier events would be noise
			c.emit(Event{Kind: KindCarrierUp, Name: name, Side: c.side})
		}
	case dsp.StatusCarrierDown:
		c.v21C[i] = false
		if i == 1 {
			c.emit(Event{Kind: KindCarrierDown, Name: name, Side: c.side})
		}
	}
}

func (c *channel) onV21Frame(i int, frame []byte, ok bool) {
	var f t30.Frame
	if err := f.Unmarshal(frame); err != nil {
		if ok { // a good FCS round something that is not a T.30 frame
			c.emit(Event{Kind: KindBadFrame, Name: "frame", Text: err.Error(), FIF: clone(frame)})
		}
		return
	}
	c.d.call.frame(c, f, ok, i == 0)
}

// setFast makes the channel listen for the fast modem a DCS or CTC
// named, and returns false for a rate no modem runs at.
func (c *channel) setFast(rate t30.Rate) bool {
	name, bps, ok := rate.Modem()
	if !ok {
		return false
	}
	if c.fast != nil && c.fastRate == rate {
		return true
	}
	m, err := modems.Find(strings.ReplaceAll(name, ".", ""), bps, 0)
	if err != nil {
		return false
	}
	rx, err := m.NewReceiver(bps, 0, dsp.BitSinkFunc(c.fastBit))
	if err != nil {
		return false
	}
	rx.SetStatusHandler(c.onFastStatus)
	c.fast, c.fastRate, c.fastName = rx, rate, fmt.Sprintf("%s %d", name, bps)
	c.fastShort, _ = rx.(interface{ SetShortTrain(bool) })
	c.fastC = false
	return true
}

// dropFast stops listening for a fast modem.
func (c *channel) dropFast() {
	if c.fastC {
		c.fastEnd()
	}
	c.fast, c.fastShort, c.fastName, c.fastC = nil, nil, "", false
}

// expectShort tells the fast receiver which training comes next.
func (c *channel) expectShort(short bool) {
	if c.fastShort != nil {
		c.fastShort.SetShortTrain(short)
	}
}

// trainName says which training a transmission had.
func (c *channel) trainName() string {
	if c.fastShort == nil {
		return "training"
	}
	if c.shortNow {
		return "short train"
	}
	return "long train"
}

func (c *channel) onFastStatus(s dsp.Status) {
	if c.fast == nil {
		return // dropped while its last block was being processed
	}
	switch s {
	case dsp.StatusCarrierUp:
		c.fastC, c.upAt, c.upShown = true, c.now(), false
		c.sawV21 = c.v21C[0] || c.v21C[1]
		c.shortNow = c.d.call.short
		c.kind, c.bits, c.zeros, c.zeroRun, c.maxZeros = burstNone, 0, 0, 0, 0
		c.ecmFrames, c.ecmBad, c.ecmRCP, c.ecmLo, c.ecmHi = 0, 0, 0, -1, -1
		c.acc, c.nacc = 0, 0
		c.fastHDLC.Reset()
	case dsp.StatusTrainingSucceeded:
		if !c.fastC {
			return
		}
		c.showUp()
		q := c.fast.Report()
		c.emit(Event{Kind: KindTraining, Side: c.d.call.sender, Name: c.fastName, OK: true,
			Text: fmt.Sprintf("%s OK, %.1f dBm0, quality %.1f dB, %+.1f Hz", c.trainName(), q.LevelDBm0, q.QualityDB, q.CarrierOffsetHz)})
		c.trainedAt = c.now()
		c.kind = c.d.call.startBurst(c)
	case dsp.StatusTrainingFailed:
		if !c.fastC || c.sawV21 || c.v21C[0] || c.v21C[1] {
			return // a V.21 transmission: not meant for this receiver
		}
		c.showUp()
		c.emit(Event{Kind: KindTraining, Side: c.d.call.sender, Name: c.fastName, Text: c.trainName() + " failed"})
	case dsp.StatusCarrierDown:
		if c.fastC {
			c.fastEnd()
		}
	}
}

// showUp gives the carrier-up event held back until the transmission
// proved to be the fast modem's.
func (c *channel) showUp() {
	if !c.upShown {
		c.upShown = true
		c.emit(Event{Kind: KindCarrierUp, Side: c.d.call.sender, Name: c.fastName, Sample: c.upAt})
	}
}

// fastEnd closes a fast-modem transmission.
func (c *channel) fastEnd() {
	c.fastC = false
	if c.upShown {
		c.emit(Event{Kind: KindCarrierDown, Side: c.d.call.sender, Name: c.fastName})
	}
	if c.kind != burstNone {
		k := c.kind
		c.kind = burstNone
		c.d.call.endBurst(c, k)
	}
}

// fastBit takes a data bit of the fast modem.
func (c *channel) fastBit(bit int) {
	bit &= 1
	switch c.kind {
	case burstTCF:
		c.bits++
		if bit == 0 {
			c.zeros++
			c.zeroRun++
			c.maxZeros = max(c.maxZeros, c.zeroRun)
		} else {
			c.zeroRun = 0
		}
	case burstPage:
		c.bits++
		c.acc |= uint8(bit) << c.nacc
		c.nacc++
		if c.nacc == 8 {
			c.d.call.pageOctet(c.acc)
			c.acc, c.nacc = 0, 0
		}
	case burstECM:
		c.bits++
		c.fastHDLC.PutBit(bit)
	}
}

// onECMFrame takes a frame the fast modem carried (T.4 Annex A: FCD
// frames with their frame number, RCP).
func (c *channel) onECMFrame(frame []byte, ok bool) {
	if !ok {
		c.ecmBad++
		return
	}
	if len(frame) < 3 || frame[0] != t30.Address {
		c.ecmBad++
		return
	}
	switch t30.FCF(frame[2]) {
	case t30.FCD:
		if len(frame) < 5 {
			c.ecmBad++
			return
		}
		n := int(frame[3])
		c.ecmFrames++
		if c.ecmLo < 0 || n < c.ecmLo {
			c.ecmLo = n
		}
		c.ecmHi = max(c.ecmHi, n)
		c.d.call.fcd(c, n, frame[4:])
	case t30.RCP:
		c.ecmRCP++
	default:
		// A control frame at the fast rate: report it as a frame.
		var f t30.Frame
		if f.Unmarshal(frame) == nil {
			c.d.call.frame(c, f, true, false)
		}
	}
}

// end closes what the end of the recording leaves open.
func (c *channel) end() {
	if c.fastC {
		c.fastEnd()
	}
}

func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}
