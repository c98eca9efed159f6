package dahdi

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/faxd/faxd/hal"
	"golang.org/x/sys/unix"
)

// Driver is DAHDI as a hal.Driver: it lists the channels DAHDI has
// registered (ListSpans) and opens them as Lines. It may be used from any
// goroutine.
type Driver struct {
	cfg  Config
	mu   sync.Mutex
	open map[int]*Line // nil value: being opened
}

var (
	_ hal.Driver = (*Driver)(nil)
	_ interface {
		hal.Channel
		hal.EchoCanceller
	} = (*Line)(nil)
)

// NewDriver returns a driver opening channels as cfg says, always with
// blocks of hal.FrameSamples.
func NewDriver(cfg Config) *Driver {
	cfg.BlockSize = hal.FrameSamples
	if cfg.EchoTaps == 0 {
		cfg.EchoTaps = DefaultEchoTaps
	}
	if cfg.RingTimeout <= 0 {
		cfg.RingTimeout = DefaultRingTimeout
	}
	if cfg.NoAnswerTimeout <= 0 {
		cfg.NoAnswerTimeout = DefaultNoAnswerTimeout
	}
	return &Driver{cfg: cfg, open: map[int]*Line{}}
}

// Name returns "dahdi".
func (d *Driver) Name() string { return "dahdi" }

// Channels lists the numbers of the channels DAHDI has registered with a
// signalling configured, in order, from sysfs or /proc/dahdi (ListSpans);
// DAHDI refuses to open the others (dahdi_specchan_open: ENXIO). Without
// DAHDI the error wraps hal.ErrNotSupported.
func (d *Driver) Channels() ([]string, error) {
	spans, err := ListSpans(d.cfg)
	if err != nil {
		if errors.Is(err, ErrNotSupported) {
			err = fmt.Errorf("%w: %w", hal.ErrNotSupported, err)
		}
		return nil, err
	}
	var nums []int
	for _, s := range spans {
		for _, c := range s.Channels {
			if c.Sig != "" {
				nums = append(nums, c.Number)
			}
		}
	}
	slices.Sort(nums)
	names := make([]string, 0, len(nums))
	for _, n := range slices.Compact(nums) {
		names = append(names, strconv.Itoa(n))
	}
	return names, nil
}

// Open opens the channel named by its DAHDI number (hal.Driver).
func (d *Driver) Open(name string) (hal.Channel, error) {
	l, err := d.OpenLine(name)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// OpenLine opens DAHDI channel name ("1", "32"). The error is a
// *hal.ChannelError wrapping hal.ErrNoChannel for a name that is no
// channel number, or a channel DAHDI does not have or has no signalling
// configured for (DAHDI_SPECIFY: ENXIO),
// hal.ErrInUse for a channel this driver has open or DAHDI calls busy,
// hal.ErrNotSupported when there is no DAHDI, and the *Error of the step
// that failed.
func (d *Driver) OpenLine(name string) (*Line, error) {
	no, err := strconv.Atoi(name)
	if err != nil || no <= 0 || strconv.Itoa(no) != name {
		return nil, &hal.ChannelError{Channel: name, Op: "open", Err: fmt.Errorf("%w: %q is not a DAHDI channel number", hal.ErrNoChannel, name)}
	}
	d.mu.Lock()
	if _, busy := d.open[no]; busy {
		d.mu.Unlock()
		return nil, &hal.ChannelError{Channel: name, Op: "open", Err: fmt.Errorf("%w: channel %d is open", hal.ErrInUse, no)}
	}
	d.open[no] = nil
	d.mu.Unlock()

	ch, err := Open(no, d.cfg)
	if err != nil {
		d.release(no, nil)
		switch {
		case errors.Is(err, ErrNotSupported):
			err = fmt.Errorf("%w: %w", hal.ErrNotSupported, err)
		case errors.Is(err, unix.ENXIO):
			err = fmt.Errorf("%w: %w", hal.ErrNoChannel, err)
		case errors.Is(err, unix.EBUSY):
			err = fmt.Errorf("%w: %w", hal.ErrInUse, err)
		}
		return nil, &hal.ChannelError{Channel: name, Op: "open", Err: err}
	}
	l := newLine(ch, name, d)
	d.mu.Lock()
	d.open[no] = l
	d.mu.Unlock()
	return l, nil
}

func (d *Driver) release(no int, l *Line) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if cur, ok := d.open[no]; ok && cur == l {
		delete(d.open, no)
	}
}

// port is the kind of line a channel's signalling makes it.
type port uint8

const (
	portOther port = iota // E&M, CAS, clear channels: no call control here
	portFXO               // FXS signalling (DAHDI_SIG_FXS*): a port facing the exchange
	portFXS               // FXO signalling (DAHDI_SIG_FXO*): a port facing a phone or fax machine
)

// callState is where a Line's call stands.
type callState uint8

const (
	stateIdle     callState = iota
	stateRinging            // an incoming call rings (FXO port) or the phone is off hook (FXS port)
	stateDialling           // we dialled (FXO port) or ring the phone (FXS port)
	stateUp
)

// Line is a DAHDI channel as a hal.Channel and hal.EchoCanceller. Like
// Channel, it is for its owner's goroutine, except Close.
//
// Signalling events become hal events by the channel's signalling and the
// call's state, as chan_dahdi reads them:
//
//   - DAHDI_EVENT_RINGOFFHOOK: on an FXO port (FXS signalling) a ring,
//     repeated with the cadence; on an FXS port (FXO signalling) the phone
//     going off hook, an incoming call. While we dial it is the far end
//     answering (the phone an FXS port rings, or answer supervision).
//   - DAHDI_EVENT_DIALCOMPLETE on an FXO port: an analogue exchange line
//     gives no answer supervision, so the call counts as answered once
//     the digits are out; T.30's own timers catch a call nobody takes.
//   - DAHDI_EVENT_ONHOOK: the far end hung up.
//   - DAHDI_EVENT_ALARM and DAHDI_EVENT_NOALARM: alarm (the call, if any,
//     is lost; Detail holds the channel's alarm bits) and alarm-clear.
//   - DAHDI_EVENT_REMOVED: a hangup if a call was on; every later call
//     returns an error wrapping hal.ErrClosed and ErrRemoved.
//
// DAHDI_EVENT_RINGBEGIN (sent only by a DAHDI built with RINGBEGIN, and
// followed by RINGOFFHOOK), DAHDI_EVENT_HOOKCOMPLETE, digits, tone
// detection and buffer events have no hal counterpart and are dropped.
// An incoming ring with no ring for Config.RingTimeout becomes a hangup,
// and a phone an FXS port rings for Config.NoAnswerTimeout a no-answer;
// both are counted in frames read. Busy, no-answer and unreachable are
// not detected on exchange lines (that needs call-progress tones).
type Line struct {
	ch   *Channel
	name string
	drv  *Driver
	port port

	state  callState
	hook   hal.Hook
	alarms Alarms
	rings  int32
	frames int // frames read since the last ring or since ringing out

	ringFrames, noAnswerFrames int
	taps                       int

	pending    hal.Event // an event the line made itself (timeouts)
	hasPending bool
}

func newLine(ch *Channel, name string, d *Driver) *Line {
	l := &Line{
		ch: ch, name: name, drv: d,
		alarms:         ch.Info().ChanAlarms,
		ringFrames:     max(1, int(d.cfg.RingTimeout/hal.FrameDuration)),
		noAnswerFrames: max(1, int(d.cfg.NoAnswerTimeout/hal.FrameDuration)),
		taps:           d.cfg.EchoTaps,
	}
	switch sig := ch.Info().SigType; {
	case sig&SigFXS != 0:
		l.port = portFXO
	case sig&SigFXO != 0:
		l.port = portFXS
	}
	return l
}

// Name is the DAHDI channel number.
func (l *Line) Name() string { return l.name }

// Channel is the DAHDI channel underneath, for what hal has no word for
// (Params, Dropped). Its events are the Line's: do not poll them.
func (l *Line) Channel() *Channel { return l.ch }

// down is the error for a line that cannot work: closed, removed, in alarm.
func (l *Line) down(op string, alarm bool) error {
	switch {
	case l.ch.closed.Load():
		return &hal.ChannelError{Channel: l.name, Op: op, Err: fmt.Errorf("%w: %w", hal.ErrClosed, ErrClosed)}
	case l.ch.removed:
		return &hal.ChannelError{Channel: l.name, Op: op, Err: fmt.Errorf("%w: %w", hal.ErrClosed, ErrRemoved)}
	case alarm && l.alarms != 0:
		return &hal.ChannelError{Channel: l.name, Op: op, Err: fmt.Errorf("%w: alarms %v", hal.ErrAlarm, l.alarms)}
	}
	return nil
}

// wrap turns a Channel's error into a *hal.ChannelError wrapping the hal
// sentinel that fits and the original.
func (l *Line) wrap(op string, err error) error {
	switch {
	case errors.Is(err, ErrClosed), errors.Is(err, ErrRemoved):
		err = fmt.Errorf("%w: %w", hal.ErrClosed, err)
	case errors.Is(err, ErrNotSupported):
		err = fmt.Errorf("%w: %w", hal.ErrNotSupported, err)
	case errors.Is(err, ErrFrameSize):
		err = fmt.Errorf("%w: %w", hal.ErrFrameSize, err)
	case errors.Is(err, ErrDialString):
		err = fmt.Errorf("%w: %w", hal.ErrInvalidNumber, err)
	}
	return &hal.ChannelError{Channel: l.name, Op: op, Err: err}
}

// ReadFrame reads the next 20 ms. In alarm it fills dst with silence and
// returns an error wrapping hal.ErrAlarm without touching the device. It
// allocates nothing.
func (l *Line) ReadFrame(dst []int16) error {
	if len(dst) != hal.FrameSamples {
		return l.wrap("read", fmt.Errorf("%w: %d samples, want %d", hal.ErrFrameSize, len(dst), hal.FrameSamples))
	}
	if err := l.down("read", true); err != nil {
		clear(dst)
		return err
	}
	if err := l.ch.ReadFrame(dst); err != nil {
		return l.wrap("read", err)
	}
	l.tick()
	return nil
}

// tick counts a frame read against the ring and no-answer timeouts.
func (l *Line) tick() {
	switch {
	case l.state == stateRinging && l.port == portFXO:
		if l.frames++; l.frames >= l.ringFrames {
			l.state, l.rings = stateIdle, 0
			l.post(hal.Event{Kind: hal.EventHangup})
		}
	case l.state == stateDialling && l.port == portFXS:
		if l.frames++; l.frames >= l.noAnswerFrames {
			l.state, l.hook = stateIdle, hal.OnHook
			l.ch.SetHook(OnHook) // stop ringing; an error shows on the next call
			l.post(hal.Event{Kind: hal.EventNoAnswer})
		}
	}
}

func (l *Line) post(e hal.Event) { l.pending, l.hasPending = e, true }

// WriteFrame sends the next 20 ms. It allocates nothing.
func (l *Line) WriteFrame(src []int16) error {
	if len(src) != hal.FrameSamples {
		return l.wrap("write", fmt.Errorf("%w: %d samples, want %d", hal.ErrFrameSize, len(src), hal.FrameSamples))
	}
	if err := l.down("write", true); err != nil {
		return err
	}
	if err := l.ch.WriteFrame(src); err != nil {
		return l.wrap("write", err)
	}
	return nil
}

// Hook is the line's hook state as the call sees it: off hook from Dial
// or Answer until Hangup.
func (l *Line) Hook() hal.Hook { return l.hook }

// Event returns the oldest hal event. Events arrive as frames are read
// and written; in alarm, when no frames move, Event asks the device
// itself (a poll(2), which may allocate). Otherwise it allocates nothing.
func (l *Line) Event() (hal.Event, bool) {
	if l.hasPending {
		l.hasPending = false
		return l.pending, true
	}
	for {
		e, ok := l.ch.PollEvent()
		if !ok && l.alarms != 0 && l.down("event", false) == nil {
			if we, err := l.ch.WaitEvent(0); err == nil && we.Kind != EventNone {
				e, ok = we, true
			}
		}
		if !ok {
			return hal.Event{}, false
		}
		if he, ok := l.translate(e); ok {
			return he, true
		}
	}
}

// translate maps a DAHDI event to a hal event by the port and the call's
// state (see Line).
func (l *Line) translate(e Event) (hal.Event, bool) {
	switch e.Code {
	case codeRingOffHook:
		switch l.state {
		case stateIdle, stateRinging:
			l.state, l.frames = stateRinging, 0
			l.rings++
			return hal.Event{Kind: hal.EventRing, Detail: l.rings}, true
		case stateDialling:
			l.state = stateUp
			return hal.Event{Kind: hal.EventAnswer}, true
		}
	case codeDialComplete:
		if l.state == stateDialling && l.port == portFXO {
			l.state = stateUp
			return hal.Event{Kind: hal.EventAnswer}, true
		}
	case codeOnHook:
		if l.state != stateIdle {
			l.state, l.rings = stateIdle, 0
			return hal.Event{Kind: hal.EventHangup}, true
		}
	case codeAlarm:
		l.alarms = AlarmRed // should the channel not say which
		if p, err := l.ch.Params(); err == nil && p.ChanAlarms != 0 {
			l.alarms = p.ChanAlarms
		}
		l.state, l.rings = stateIdle, 0
		return hal.Event{Kind: hal.EventAlarm, Detail: int32(l.alarms)}, true
	case codeNoAlarm:
		l.alarms = 0
		return hal.Event{Kind: hal.EventAlarmClear}, true
	case codeRemoved:
		if l.state != stateIdle {
			l.state, l.rings = stateIdle, 0
			return hal.Event{Kind: hal.EventHangup}, true
		}
	}
	return hal.Event{}, false
}

// Dial places a call. On an FXO port it goes off hook, waits half a second
// for dial tone and sends number as DTMF (DAHDI_DIAL "Tw..."); on an FXS
// port it rings the phone there (DAHDI_HOOK DAHDI_RING), whatever number
// says. Other signalling gives an error wrapping hal.ErrNotSupported.
func (l *Line) Dial(number string) error {
	if err := l.down("dial", true); err != nil {
		return err
	}
	if l.state != stateIdle {
		return &hal.ChannelError{Channel: l.name, Op: "dial", Err: fmt.Errorf("%w: dial %q with a call in progress", hal.ErrState, number)}
	}
	if !validDigits(number) {
		return &hal.ChannelError{Channel: l.name, Op: "dial", Err: fmt.Errorf("%w: %q", hal.ErrInvalidNumber, number)}
	}
	switch l.port {
	case portFXO:
		if err := l.ch.SetHook(OffHook); err != nil {
			return l.wrap("dial", err)
		}
		if err := l.ch.Dial("Tw" + number); err != nil {
			l.ch.SetHook(OnHook)
			return l.wrap("dial", err)
		}
	case portFXS:
		if err := l.ch.SetHook(Ring); err != nil {
			return l.wrap("dial", err)
		}
	default:
		return &hal.ChannelError{Channel: l.name, Op: "dial", Err: fmt.Errorf("%w: dialling on signalling %#x", hal.ErrNotSupported, l.ch.Info().SigType)}
	}
	l.state, l.hook, l.frames = stateDialling, hal.OffHook, 0
	return nil
}

// validDigits accepts what DAHDI_DIAL sends as DTMF: 0-9, *, #, A-D.
func validDigits(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b >= '0' && b <= '9', b == '*', b == '#', b >= 'A' && b <= 'D':
		default:
			return false
		}
	}
	return true
}

// Answer takes the call that rings: off hook (DAHDI_HOOK DAHDI_OFFHOOK).
func (l *Line) Answer() error {
	if err := l.down("answer", true); err != nil {
		return err
	}
	if l.state != stateRinging {
		return &hal.ChannelError{Channel: l.name, Op: "answer", Err: fmt.Errorf("%w: nothing rings", hal.ErrState)}
	}
	if err := l.ch.SetHook(OffHook); err != nil {
		return l.wrap("answer", err)
	}
	l.state, l.hook, l.rings = stateUp, hal.OffHook, 0
	return nil
}

// Hangup ends the call and goes on hook (DAHDI_HOOK DAHDI_ONHOOK, which
// also stops a phone ringing). It works in alarm.
func (l *Line) Hangup() error {
	if err := l.down("hangup", false); err != nil {
		return err
	}
	if err := l.ch.SetHook(OnHook); err != nil {
		return l.wrap("hangup", err)
	}
	l.state, l.hook, l.rings = stateIdle, hal.OnHook, 0
	return nil
}

// SetEchoCancel sets the channel's echo canceller (hal.EchoCanceller):
// EchoOff is DAHDI_ECHOCANCEL 0; EchoOn is DAHDI_ECHOCANCEL with
// Config.EchoTaps; EchoFax is that and DAHDI_ECHOCANCEL_FAX_MODE 1. When
// the channel has no canceller to put in fax mode the canceller is left
// off (as good for fax) and the error wraps hal.ErrNotSupported.
func (l *Line) SetEchoCancel(mode hal.EchoMode) error {
	if err := l.down("echo cancel", false); err != nil {
		return err
	}
	var err error
	switch mode {
	case hal.EchoOff:
		err = l.ch.SetEchoTaps(0)
	case hal.EchoOn:
		err = l.ch.SetEchoTaps(l.taps)
	case hal.EchoFax:
		if err = l.ch.SetEchoTaps(l.taps); err == nil {
			if err = l.ch.SetEchoFaxMode(true); err != nil {
				l.ch.SetEchoTaps(0)
			}
		}
	default:
		return &hal.ChannelError{Channel: l.name, Op: "echo cancel", Err: fmt.Errorf("%w: echo mode %v", hal.ErrNotSupported, mode)}
	}
	if err != nil {
		return l.wrap("echo cancel "+mode.String(), err)
	}
	return nil
}

// Close closes the channel (DAHDI puts it on hook) and frees its number
// in the driver; later calls return an error wrapping hal.ErrClosed.
// Closing twice is a no-op.
func (l *Line) Close() error {
	if l.ch.closed.Load() {
		return nil
	}
	err := l.ch.Close()
	l.drv.release(l.ch.no, l)
	if err != nil {
		return l.wrap("close", err)
	}
	return nil
}
