package t30

// HDLC framing as T.30 uses it (T.30 §5.3.1, after ISO 3309 / ISO/IEC 13239).
//
// A frame on the line is
//
//	flag | address | control | FCF | FIF ... | FCS (16 bits) | flag
//	0x7E | 0xFF    | 0x03/13 |     |         | low, high     | 0x7E
//
// Every octet is sent least significant bit first (T.30 §5.3.1: "the bits of
// each octet are transmitted with the least significant bit first"; T.30
// numbers the bits of its tables in the order they are sent). Between the
// opening and closing flags the transmitter inserts a 0 after every five
// consecutive 1s (zero-bit insertion, "transparency"), so that only flags
// (0111 1110) and aborts (seven or more 1s) carry six or more 1s in a row.
//
// The frame checking sequence is the 16-bit CRC of ITU-T V.41 (generator
// x^16 + x^12 + x^5 + 1) over address to FIF, preset to all ones, ones'
// complemented and sent low-order octet first, i.e. the CRC-16/X-25 of
// ISO 3309 §4.6. A receiver that runs the same CRC over the frame and its
// FCS finds the constant 0xF0B8 when they are intact.
//
// This layer knows nothing of T.30 fields: a frame handed to [HDLCTx.Send]
// or delivered by an [HDLCRx] is address, control, FCF and FIF, already
// assembled. [Frame] builds and parses those octets, including the control
// field's final-frame bit (0x03 or 0x13, T.30 §5.3.6.1).

import (
	"errors"
	"fmt"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/prefetch"
)

// Sizes and counts of T.30's HDLC framing.
const (
	// DefaultMaxFrameLen is the largest frame, FCS excluded, accepted by
	// default: address, control, FCF and a 256-octet FIF, and equally an
	// ECM FCD frame of T.4 Annex A (address, control, FCD, frame number and
	// 256 octets of data = 260).
	DefaultMaxFrameLen = 260

	// DefaultPreambleFlags is how many flags precede the first frame of a
	// transmission: T.30 §5.3.1 asks for 1 s ± 15% of flags before the first
	// frame at 300 bit/s, 300 bits = 37.5 flags.
	DefaultPreambleFlags = 38

	// MinFrameLen is the shortest frame, FCS included, a receiver accepts:
	// ISO 3309 treats a frame of fewer than 32 bits between flags as invalid
	// (address, control and the two FCS octets).
	MinFrameLen = 4

	flagOctet = 0x7E // 0111 1110, the HDLC flag
	fcsGood   = 0xF0B8
)

// Errors of the HDLC layer.
var (
	// ErrTxFull is returned by HDLCTx.Send when its queue holds as many
	// frames as it was configured for.
	ErrTxFull = errors.New("t30: HDLC transmit queue full")
	// ErrFrameLength is returned for a frame that is empty or longer than
	// the configured maximum.
	ErrFrameLength = errors.New("t30: HDLC frame length out of range")
)

var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0x8408 // x^16 + x^12 + x^5 + 1, bit-reversed
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return t
}()

func crcUpdate(crc uint16, b byte) uint16 {
	return crc>>8 ^ crcTable[byte(crc)^b]
}

// FCS returns the frame checking sequence of a frame (address to FIF): the
// V.41 CRC preset to ones and complemented (T.30 §5.3.1, ISO 3309). It is
// sent low octet first: append byte(fcs), byte(fcs>>8).
func FCS(frame []byte) uint16 {
	crc := uint16(0xFFFF)
	for _, b := range frame {
		crc = crcUpdate(crc, b)
	}
	return ^crc
}

// CheckFCS reports whether a frame that ends in its two FCS octets is
// intact.
func CheckFCS(frameAndFCS []byte) bool {
	crc := uint16(0xFFFF)
	for _, b := range frameAndFCS {
		crc = crcUpdate(crc, b)
	}
	return crc == fcsGood
}

// HDLCTxConfig configures an [HDLCTx]. Zero fields take the defaults.
type HDLCTxConfig struct {
	MaxFrameLen     int // largest frame Send accepts, FCS excluded (DefaultMaxFrameLen)
	QueueLen        int // frames that may wait to be sent (8)
	PreambleFlags   int // flags before the first frame of a transmission (DefaultPreambleFlags); at least 1
	InterFrameFlags int // flags between two frames (1: the closing flag of one opens the next)
	ClosingFlags    int // flags after the last frame before the end of data (2)
}

func (c *HDLCTxConfig) defaults() {
	if c.MaxFrameLen <= 0 {
		c.MaxFrameLen = DefaultMaxFrameLen
	}
	if c.QueueLen <= 0 {
		c.QueueLen = 8
	}
	if c.PreambleFlags <= 0 {
		c.PreambleFlags = DefaultPreambleFlags
	}
	if c.InterFrameFlags <= 0 {
		c.InterFrameFlags = 1
	}
	if c.ClosingFlags <= 0 {
		c.ClosingFlags = 2
	}
}

type txState uint8

const (
	txIdle  txState = iota // nothing to send: GetBit returns dsp.EndOfData
	txFlags                // sending flags
	txData                 // sending a frame and its FCS, with zero insertion
	txAbort                // sending the ones of an abort
)

// HDLCTx turns frames into the bits of T.30's HDLC framing (T.30 §5.3.1):
// a preamble of flags, each frame with zero-bit insertion and its FCS,
// flags between frames, closing flags, then the end of data. It is a
// [dsp.BitSource], so it can drive a modem transmitter (V.21 channel 2 for
// T.30 control, or a fast modem for ECM) directly.
//
// A transmission starts when the first frame is queued on an idle
// transmitter. Frames queued while it runs follow after InterFrameFlags
// flags. When the queue runs dry the transmitter asks the underflow
// handler, if any, for more, and otherwise keeps the line in flags until
// more frames or [HDLCTx.Finish] arrive: after Finish and the last frame it
// sends its closing flags and GetBit returns [dsp.EndOfData] (the modem then
// stops). The next Send starts a new transmission with a new preamble.
//
// Send copies the frame into a queue made with the transmitter; nothing is
// allocated afterwards (nor by Reconfigure, while the queue fits). An
// HDLCTx is not safe for concurrent use: call Send, Finish and GetBit from
// one goroutine (the underflow handler runs inside GetBit).
type HDLCTx struct {
	cfg       HDLCTxConfig
	slots     []byte // QueueLen slots of MaxFrameLen+2 octets
	lens      []int
	head, n   int // queue: first slot, count
	finish    bool
	underflow func()

	state     txState
	cur       []byte // frame being sent, FCS included
	pos       int
	octet     uint8
	nbits     int // bits left in octet
	ones      int // consecutive 1s sent inside the frame
	flagsLeft int // flags still to send in this run
	gap, tail int // further flags owed before the next frame / before the end

	frames, aborts uint64
}

// NewHDLCTx returns an idle transmitter.
func NewHDLCTx(cfg HDLCTxConfig) *HDLCTx {
	cfg.defaults()
	t := &HDLCTx{cfg: cfg}
	t.slots = make([]byte, cfg.QueueLen*(cfg.MaxFrameLen+2))
	t.lens = make([]int, cfg.QueueLen)
	return t
}

// Reconfigure makes t an idle transmitter as NewHDLCTx(cfg) would: the
// queue is emptied, the counters of Sent and the underflow handler
// cleared. It keeps the queue's memory when cfg's QueueLen and
// MaxFrameLen fit in it, so a terminal can keep one transmitter for every
// transmission of its calls (whose preambles and queue lengths differ)
// and allocate nothing once it has the largest.
func (t *HDLCTx) Reconfigure(cfg HDLCTxConfig) {
	cfg.defaults()
	slots, lens := t.slots, t.lens
	if n := cfg.QueueLen * (cfg.MaxFrameLen + 2); n <= cap(slots) {
		slots = slots[:n]
	} else {
		slots = make([]byte, n)
	}
	if cfg.QueueLen <= cap(lens) {
		lens = lens[:cfg.QueueLen]
	} else {
		lens = make([]int, cfg.QueueLen)
	}
	*t = HDLCTx{cfg: cfg, slots: slots, lens: lens}
}

// SetUnderflowHandler sets a function GetBit calls when it has sent the
// flags after a frame and has no frame queued (and Finish was not called).
// It may call Send or Finish; otherwise one more flag is sent and it is
// called again. Nil removes it.
func (t *HDLCTx) SetUnderflowHandler(f func()) { t.underflow = f }

// Send queues a frame (address to FIF; the FCS is added here). It returns
// ErrFrameLength for an empty or too long frame and ErrTxFull when the
// queue is full. On an idle transmitter it starts a new transmission.
func (t *HDLCTx) Send(frame []byte) error {
	if len(frame) == 0 || len(frame) > t.cfg.MaxFrameLen {
		return fmt.Errorf("%w: %d octets (max %d)", ErrFrameLength, len(frame), t.cfg.MaxFrameLen)
	}
	if t.n == t.cfg.QueueLen {
		return fmt.Errorf("%w: %d frames", ErrTxFull, t.n)
	}
	i := (t.head + t.n) % t.cfg.QueueLen
	size := t.cfg.MaxFrameLen + 2
	slot := t.slots[i*size : (i+1)*size]
	k := copy(slot, frame)
	fcs := FCS(frame)
	slot[k], slot[k+1] = byte(fcs), byte(fcs>>8)
	t.lens[i] = k + 2
	t.n++
	if t.state == txIdle {
		t.finish = false
		t.state = txFlags
		t.flagsLeft, t.nbits, t.gap, t.tail = t.cfg.PreambleFlags, 0, 0, 0
	}
	return nil
}

// Finish says no frame follows those queued: once they are sent, the
// transmitter sends its closing flags and then dsp.EndOfData. On an idle
// transmitter it does nothing.
func (t *HDLCTx) Finish() {
	if t.state != txIdle {
		t.finish = true
	}
}

// Abort abandons the frame being sent (ISO 3309: seven or more contiguous
// 1s), then carries on with flags and the next queued frame. It does
// nothing when no frame is being sent.
func (t *HDLCTx) Abort() {
	if t.state != txData {
		return
	}
	t.state = txAbort
	t.nbits = 8 // eight 1s: an abort whatever the bits before it
	t.aborts++
}

// Busy reports whether a transmission is under way (GetBit returns bits).
func (t *HDLCTx) Busy() bool { return t.state != txIdle }

// Queued returns how many frames wait to be sent, the one being sent
// included.
func (t *HDLCTx) Queued() int { return t.n }

// Sent returns how many frames were sent completely and how many aborted.
func (t *HDLCTx) Sent() (frames, aborts uint64) { return t.frames, t.aborts }

// Reset drops every queued frame and makes the transmitter idle.
func (t *HDLCTx) Reset() {
	t.head, t.n, t.finish = 0, 0, false
	t.state, t.cur, t.pos, t.nbits, t.ones = txIdle, nil, 0, 0, 0
	t.flagsLeft, t.gap, t.tail = 0, 0, 0
}

// GetBit returns the next bit to send, or dsp.EndOfData at the end of a
// transmission (and while idle).
func (t *HDLCTx) GetBit() int {
	for {
		switch t.state {
		case txData:
			if t.ones == 5 { // zero-bit insertion (ISO 3309 §3.3)
				t.ones = 0
				return 0
			}
			if t.nbits == 0 {
				if t.pos == len(t.cur) {
					t.endFrame()
					t.frames++
					continue
				}
				t.octet, t.nbits = t.cur[t.pos], 8
				t.pos++
			}
			b := int(t.octet & 1)
			t.octet >>= 1
			t.nbits--
			if b != 0 {
				t.ones++
			} else {
				t.ones = 0
			}
			return b
		case txFlags:
			if t.nbits == 0 {
				if t.flagsLeft == 0 {
					t.next()
					continue
				}
				t.flagsLeft--
				t.octet, t.nbits = flagOctet, 8
			}
			b := int(t.octet & 1)
			t.octet >>= 1
			t.nbits--
			return b
		case txAbort:
			t.nbits--
			if t.nbits == 0 {
				t.endFrame()
			}
			return 1
		default:
			return dsp.EndOfData
		}
	}
}

// endFrame drops the frame just sent (or aborted) and starts the flags that
// follow it.
func (t *HDLCTx) endFrame() {
	t.head = (t.head + 1) % t.cfg.QueueLen
	t.n--
	t.cur, t.pos, t.ones = nil, 0, 0
	t.state, t.nbits = txFlags, 0
	t.flagsLeft = 1
	t.gap, t.tail = t.cfg.InterFrameFlags-1, t.cfg.ClosingFlags-1
}

// next decides what follows a run of flags.
func (t *HDLCTx) next() {
	if t.n == 0 && !t.finish && t.underflow != nil {
		t.underflow()
	}
	switch {
	case t.n > 0:
		if t.gap > 0 {
			t.flagsLeft, t.gap = t.gap, 0
			return
		}
		size := t.cfg.MaxFrameLen + 2
		t.cur = t.slots[t.head*size : t.head*size+t.lens[t.head]]
		t.pos, t.nbits, t.ones = 0, 0, 0
		t.state = txData
	case t.finish:
		if t.tail > 0 {
			t.flagsLeft, t.tail = t.tail, 0
			return
		}
		t.state, t.finish = txIdle, false
	default: // idle fill: one flag at a time, which counts towards gap and tail
		t.flagsLeft = 1
		t.gap, t.tail = max(t.gap-1, 0), max(t.tail-1, 0)
	}
}

// HDLCRxConfig configures an [HDLCRx]. Zero fields take the defaults.
type HDLCRxConfig struct {
	// MaxFrameLen is the largest frame, FCS excluded, accepted
	// (DefaultMaxFrameLen). Longer frames are dropped and counted as
	// length errors.
	MaxFrameLen int
	// SyncFlags is how many back-to-back flags establish framing before
	// the first frame is taken (2). SpanDSP's equivalent is its "framing OK"
	// threshold.
	SyncFlags int
	// ReportBadFrames delivers frames whose FCS fails too, with ok false.
	// Frames of bad length or alignment are never delivered.
	ReportBadFrames bool
	// OnFramingOK, if set, is called once when framing is established
	// after a Reset (a T.30 engine takes it as the sign a frame is coming,
	// to hold its response timers).
	OnFramingOK func()
}

// HDLCFrameHandler receives a frame: address to FIF, FCS removed, and
// whether its FCS was good. The slice aliases the receiver's buffer and is
// valid only until the handler returns; copy what must be kept.
type HDLCFrameHandler func(frame []byte, ok bool)

// HDLCRxStats counts what an [HDLCRx] has seen.
type HDLCRxStats struct {
	Frames       uint64 // frames with a good FCS
	FCSErrors    uint64 // frames with a bad FCS
	LengthErrors uint64 // frames too short, too long, or not a whole number of octets
	Aborts       uint64 // frames abandoned by seven or more 1s
	Octets       uint64 // octets of good frames, FCS excluded
}

// HDLCRx recovers frames from a bit stream (T.30 §5.3.1): it finds flags,
// removes inserted zeros, notes aborts, checks length and FCS and hands
// each frame to its handler. It is a [dsp.BitSink], so a modem receiver
// can feed it directly.
//
// It allocates only in NewHDLCRx: frames are assembled in one buffer that
// the handler sees (see HDLCFrameHandler for the lifetime). Not safe for
// concurrent use.
type HDLCRx struct {
	cfg     HDLCRxConfig
	handler HDLCFrameHandler
	buf     []byte // MaxFrameLen + 2 FCS octets
	n       int    // octets in buf
	crc     uint16

	// Bits of the frame not yet committed to buf: the last seven bits
	// received may turn out to be the start of the closing flag, so an octet
	// is committed only when 15 bits are held.
	acc      uint32
	nacc     int
	ones     int  // consecutive 1s received
	zeroData bool // the last 0 received went into acc

	collecting bool // between an opening flag and the next flag, taking bits
	synced     bool
	announced  bool
	flags      int // back-to-back flags counted while not synced
	sinceFlag  int // bits since the last flag, while not synced

	stats HDLCRxStats
}

// NewHDLCRx returns a receiver that gives frames to h.
func NewHDLCRx(cfg HDLCRxConfig, h HDLCFrameHandler) *HDLCRx {
	if cfg.MaxFrameLen <= 0 {
		cfg.MaxFrameLen = DefaultMaxFrameLen
	}
	if cfg.SyncFlags <= 0 {
		cfg.SyncFlags = 2
	}
	return &HDLCRx{cfg: cfg, handler: h, buf: make([]byte, cfg.MaxFrameLen+2)}
}

// Reset forgets framing and any partial frame, as when a carrier starts
// (SpanDSP resets its HDLC receiver on carrier up). The counts are kept.
func (r *HDLCRx) Reset() {
	s := r.stats
	*r = HDLCRx{cfg: r.cfg, handler: r.handler, buf: r.buf}
	r.stats = s
}

// Synced reports whether framing is established.
func (r *HDLCRx) Synced() bool { return r.synced }

// Stats returns the counts so far.
func (r *HDLCRx) Stats() HDLCRxStats { return r.stats }

// PutBit takes the next received bit (0 or 1).
func (r *HDLCRx) PutBit(bit int) {
	if !r.synced {
		r.sinceFlag++
	}
	if bit != 0 {
		r.ones++
		switch {
		case r.ones < 7:
			r.data(1)
		case r.ones == 7:
			r.abort()
		}
		return
	}
	ones := r.ones
	r.ones = 0
	switch {
	case ones == 6:
		r.flag()
	case ones == 5 || ones >= 7: // an inserted zero, or the end of an abort
		r.zeroData = false
	default:
		r.data(0)
	}
}

func (r *HDLCRx) data(b uint32) {
	if !r.collecting {
		r.zeroData = false
		return
	}
	if b == 0 {
		r.zeroData = true
	}
	r.acc |= b << r.nacc
	r.nacc++
	if r.nacc == 15 {
		r.commit()
	}
}

func (r *HDLCRx) commit() {
	if r.n == len(r.buf) { // too long: drop it and wait for a flag
		r.stats.LengthErrors++
		r.collecting = false
		return
	}
	o := byte(r.acc)
	r.buf[r.n] = o
	r.n++
	r.crc = crcUpdate(r.crc, o)
	r.acc >>= 8
	r.nacc -= 8
}

func (r *HDLCRx) abort() {
	if r.collecting && (r.n > 0 || r.nacc > 6) {
		r.stats.Aborts++
	}
	r.collecting = false
	r.flags = 0
}

func (r *HDLCRx) flag() {
	if !r.synced {
		if r.flags > 0 && (r.sinceFlag == 8 || r.sinceFlag == 7) {
			r.flags++
		} else {
			r.flags = 1
		}
		r.sinceFlag = 0
		if r.flags < r.cfg.SyncFlags {
			return
		}
		r.synced = true
		if !r.announced {
			r.announced = true
			if r.cfg.OnFramingOK != nil {
				r.cfg.OnFramingOK()
			}
		}
		r.start()
		return
	}
	if r.collecting {
		r.end()
	}
	r.start()
}

func (r *HDLCRx) start() {
	r.collecting = true
	r.n, r.acc, r.nacc, r.zeroData = 0, 0, 0, false
	r.crc = 0xFFFF
}

// end closes the frame at a flag: the flag's 0 and six 1s went into acc.
func (r *HDLCRx) end() {
	k := r.nacc - 6
	if r.zeroData {
		k--
	}
	if k < 0 {
		k = 0
	}
	if r.n == 0 && k < 8 {
		return // back-to-back flags or fill: no frame
	}
	if k%8 != 0 {
		r.stats.LengthErrors++
		return
	}
	r.acc &= 1<<k - 1
	r.nacc = k
	for r.nacc >= 8 {
		r.commit()
		if !r.collecting {
			return
		}
	}
	if r.n < MinFrameLen {
		r.stats.LengthErrors++
		return
	}
	ok := r.crc == fcsGood
	if ok {
		r.stats.Frames++
		r.stats.Octets += uint64(r.n - 2)
	} else {
		r.stats.FCSErrors++
		if !r.cfg.ReportBadFrames {
			return
		}
	}
	if r.handler != nil {
		r.handler(r.buf[:r.n-2], ok)
	}
}

// Both ends plug into the modems.
var (
	_ dsp.BitSource = (*HDLCTx)(nil)
	_ dsp.BitSink   = (*HDLCRx)(nil)
)

// Prefetch asks the CPU to fetch the receiver's state and where its next
// octets go into its caches (see package dsp/prefetch).
func (h *HDLCRx) Prefetch() {
	prefetch.Object(h)
	if h.n < len(h.buf) {
		prefetch.Slice(h.buf[h.n:min(len(h.buf), h.n+64)])
	}
}
