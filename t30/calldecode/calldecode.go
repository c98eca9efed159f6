package calldecode

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/t30/t4"
)

// Errors of the package.
var (
	// ErrOptions is returned by New for options it cannot take.
	ErrOptions = errors.New("calldecode: bad options")
	// ErrInternal is returned when decoding hit a bug (a panic, turned
	// into this error at the Decoder's boundary); the Decoder stops.
	ErrInternal = errors.New("calldecode: internal error")
	// ErrClosed is returned for samples given after Close.
	ErrClosed = errors.New("calldecode: decoder closed")
	// ErrStereo is returned by ProcessStereo for channels of different
	// lengths, or on a mono Decoder.
	ErrStereo = errors.New("calldecode: stereo input mismatch")
)

// Limits.
const (
	// DefaultMaxPageBytes is the default cap on a page's coded data: an
	// A4 page at 400 x 400 pels/25.4 mm coded in MH seldom reaches 2 MB.
	DefaultMaxPageBytes = 4 << 20
	// step is the decoder's time grain: every channel advances by 5 ms,
	// then the events it produced are stamped and merged.
	step = 40
	// holdback is how long events wait, in samples, to be put in time
	// order: a fast modem's carrier is only reported once its training is
	// judged, up to about 2 s after it began.
	holdback = 4 * dsp.SampleRate
)

// A Side is which terminal sent something.
type Side int8

// The sides of a call (T.30 §5.3.6.1: the X bit is 1 in frames from the
// terminal that received DIS, the calling one).
const (
	SideUnknown Side = iota
	Calling          // the terminal that placed the call (CNG, DCS with X = 1, ...)
	Called           // the terminal that answered (CED, DIS, CSI, ...)
)

// Arrow returns "->" for the calling side, "<-" for the called one and
// "  " when unknown: the dialogue as the calling terminal sees it.
func (s Side) Arrow() string {
	switch s {
	case Calling:
		return "->"
	case Called:
		return "<-"
	}
	return "  "
}

func (s Side) String() string {
	switch s {
	case Calling:
		return "calling"
	case Called:
		return "called"
	}
	return "unknown"
}

// A Kind is what an Event reports.
type Kind int

// The kinds of event.
const (
	KindTone        Kind = iota + 1 // a tone: CNG, an answer tone (CED, ANS, ANSam...), its end
	KindCarrierUp                   // a modem's signal began (V.21 or the fast modem)
	KindCarrierDown                 // it ended
	KindFrame                       // a T.30 frame with a good FCS
	KindBadFrame                    // a frame whose FCS failed
	KindTraining                    // the fast modem's receiver trained (OK) or failed to
	KindTCF                         // the training check ended: its length and zeros
	KindPageStart                   // a page's data began
	KindECMBlock                    // an ECM transmission of FCD frames ended
	KindPageEnd                     // a page was decoded: rows, bad rows
)

var kindNames = [...]string{
	KindTone: "tone", KindCarrierUp: "carrier up", KindCarrierDown: "carrier down",
	KindFrame: "frame", KindBadFrame: "bad frame", KindTraining: "training", KindTCF: "TCF",
	KindPageStart: "page start", KindECMBlock: "ECM block", KindPageEnd: "page end",
}

func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// An Event is one thing heard on the line.
type Event struct {
	Sample  int64   // when it was decided, in samples from the time base
	Time    float64 // the same in seconds
	Channel int     // 0 for mono or the left channel, 1 for the right
	Label   string  // the channel's label (Options.Labels)
	Side    Side    // who sent it
	Kind    Kind
	// Name is the frame type ("DIS", "PRI-EOP"), the tone ("CNG", "ANSam"),
	// or the modem ("V.21", "V.17 14400").
	Name string
	FIF  []byte // frames: the information field (the Event's own copy)
	// Text describes it: the FIF decoded, a training's result, a page's
	// figures.
	Text string
	OK   bool // frames: FCS good; training: trained; page end: decoded to RTC/EOFB without bad rows
	// Page events: the page number (from 1) and, at its end, the figures
	// of the t4 decoder.
	Page                         int
	Rows, BadRows, LongestBadRun int
}

// String formats the event as one line of the dialogue:
//
//	2.512 s  <- DIS  V.17 V.29 V.27ter, fine, MR, MMR, ECM  [00 EE F8 ...]
func (e Event) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%8.3f s  ", e.Time)
	if e.Label != "" {
		b.WriteString(e.Label)
		b.WriteByte(' ')
	}
	b.WriteString(e.Side.Arrow())
	b.WriteByte(' ')
	name := e.Name
	if e.Kind == KindBadFrame {
		name += "?"
	}
	switch e.Kind {
	case KindCarrierUp, KindCarrierDown:
		fmt.Fprintf(&b, "%s %s", name, e.Kind)
	default:
		b.WriteString(name)
	}
	if e.Text != "" {
		b.WriteString("  ")
		b.WriteString(e.Text)
	}
	if len(e.FIF) > 0 {
		b.WriteString("  [")
		for i, o := range e.FIF {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%02X", o)
		}
		b.WriteByte(']')
	}
	return b.String()
}

// Options configure a Decoder.
type Options struct {
	// Channels is 1 (one direction, or both mixed) or 2 (stereo: one
	// direction on each channel); 0 means 1.
	Channels int
	// Labels name the channels in events; "" keeps mono events unlabelled
	// and labels stereo channels "L" and "R".
	Labels [2]string
	// Start is the sample number of the first sample: the time base.
	Start int64
	// OnEvent is told of every event, in time order. It may be nil.
	OnEvent func(Event)
	// OnPage is given every decoded page; the Page is the callee's. It
	// may be nil.
	OnPage func(*Page)
	// MaxPageBytes caps a page's coded data (DefaultMaxPageBytes); data
	// beyond it is dropped and the page marked truncated.
	MaxPageBytes int
	// MaxRows caps a page's rows (t4.DefaultMaxRows).
	MaxRows int
}

// A Decoder decodes a recorded call. It is not safe for concurrent use.
type Decoder struct {
	opt   Options
	chans []*channel
	call  call
	queue []Event // events waiting to be put in time order
	// A left sample whose right one is in the next Process call.
	half     int16
	haveHalf bool
	// Scratch for de-interleaving stereo samples.
	left, right [step]int16
	err         error
}

// New returns a Decoder.
func New(opt Options) (*Decoder, error) {
	if opt.Channels == 0 {
		opt.Channels = 1
	}
	if opt.Channels != 1 && opt.Channels != 2 {
		return nil, fmt.Errorf("%w: %d channels (1 or 2)", ErrOptions, opt.Channels)
	}
	if opt.MaxPageBytes <= 0 {
		opt.MaxPageBytes = DefaultMaxPageBytes
	}
	if opt.MaxRows <= 0 {
		opt.MaxRows = t4.DefaultMaxRows
	}
	if opt.Channels == 2 {
		if opt.Labels[0] == "" {
			opt.Labels[0] = "L"
		}
		if opt.Labels[1] == "" {
			opt.Labels[1] = "R"
		}
	}
	d := &Decoder{opt: opt}
	d.call.init(d)
	for i := range opt.Channels {
		c, err := newChannel(d, i)
		if err != nil {
			return nil, err
		}
		d.chans = append(d.chans, c)
	}
	return d, nil
}

// Process decodes the next samples: for a mono Decoder, samples of the
// one channel; for a stereo one, interleaved pairs (left, right, ...),
// a trailing odd sample being ignored. It returns an error only after a
// bug ([ErrInternal]), and then always.
func (d *Decoder) Process(in []int16) (err error) {
	if d.err != nil {
		return d.err
	}
	defer d.recover(&err)
	if len(d.chans) == 1 {
		for len(in) > 0 {
			n := min(len(in), step)
			d.chans[0].process(in[:n])
			in = in[n:]
			d.release(false)
		}
		return nil
	}
	l, r := d.left[:], d.right[:]
	if d.haveHalf && len(in) > 0 {
		l[0], r[0] = d.half, in[0]
		d.haveHalf = false
		in = in[1:]
		d.chans[0].process(l[:1])
		d.chans[1].process(r[:1])
	}
	for len(in) >= 2 {
		n := min(len(in)/2, step)
		for i := range n {
			l[i], r[i] = in[2*i], in[2*i+1]
		}
		d.chans[0].process(l[:n])
		d.chans[1].process(r[:n])
		in = in[2*n:]
		d.release(false)
	}
	if len(in) == 1 {
		d.half, d.haveHalf = in[0], true
	}
	return nil
}

// ProcessStereo decodes the next samples of both channels of a stereo
// Decoder; left and right must be the same length.
func (d *Decoder) ProcessStereo(left, right []int16) (err error) {
	if d.err != nil {
		return d.err
	}
	if len(d.chans) != 2 || len(left) != len(right) {
		return fmt.Errorf("%w: %d channels, %d and %d samples", ErrStereo, len(d.chans), len(left), len(right))
	}
	defer d.recover(&err)
	for len(left) > 0 {
		n := min(len(left), step)
		d.chans[0].process(left[:n])
		d.chans[1].process(right[:n])
		left, right = left[n:], right[n:]
		d.release(false)
	}
	return nil
}

// Close ends the recording: a page in progress is decoded and every event
// still held is delivered. The Decoder takes nothing more.
func (d *Decoder) Close() (err error) {
	if d.err != nil {
		return d.err
	}
	defer d.recover(&err)
	for _, c := range d.chans {
		c.end()
	}
	d.call.end(d.chans[0])
	d.release(true)
	d.err = ErrClosed
	return nil
}

// Err returns the error that stopped the Decoder, if any.
func (d *Decoder) Err() error { return d.err }

func (d *Decoder) recover(err *error) {
	if r := recover(); r != nil {
		d.err = fmt.Errorf("%w: %v", ErrInternal, r)
		*err = d.err
	}
}

// emit queues an event; release delivers it in time order.
func (d *Decoder) emit(e Event) {
	e.Time = float64(e.Sample) / dsp.SampleRate
	if e.Channel >= 0 && e.Channel < len(d.opt.Labels) {
		e.Label = d.opt.Labels[e.Channel]
	}
	d.queue = append(d.queue, e)
}

// release delivers the queued events older than the holdback (all with
// flush), in time order; events of the same sample keep their order.
func (d *Decoder) release(flush bool) {
	if len(d.queue) == 0 {
		return
	}
	limit := d.chans[0].pos
	for _, c := range d.chans[1:] {
		limit = min(limit, c.pos)
	}
	limit -= holdback
	slices.SortStableFunc(d.queue, func(a, b Event) int {
		switch {
		case a.Sample < b.Sample:
			return -1
		case a.Sample > b.Sample:
			return 1
		}
		return 0
	})
	n := 0
	for n < len(d.queue) && (flush || d.queue[n].Sample <= limit) {
		if d.opt.OnEvent != nil {
			d.opt.OnEvent(d.queue[n])
		}
		n++
	}
	if n > 0 {
		d.queue = append(d.queue[:0], d.queue[n:]...)
	}
}
