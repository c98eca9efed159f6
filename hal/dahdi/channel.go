package dahdi

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/faxd/faxd/hal/dahdi/internal/ioctl"
	"golang.org/x/sys/unix"
)

// Hook is a value for DAHDI_HOOK (user.h DAHDI_ONHOOK ... DAHDI_RINGOFF).
type Hook int

const (
	OnHook  Hook = 0 // hang up
	OffHook Hook = 1 // answer, or seize the line to dial
	Wink    Hook = 2 // off hook momentarily
	Flash   Hook = 3 // on hook momentarily
	Start   Hook = 4 // start the line
	Ring    Hook = 5 // ring the line (FXS ports, FXO signalling)
	RingOff Hook = 6 // stop ringing
)

func (h Hook) String() string {
	names := [...]string{"on-hook", "off-hook", "wink", "flash", "start", "ring", "ring-off"}
	if h >= 0 && int(h) < len(names) {
		return names[h]
	}
	return fmt.Sprintf("Hook(%d)", int(h))
}

// maxEvents is DAHDI's own event queue depth (DAHDI_MAX_EVENTSIZE).
const maxEvents = 64

// Channel is one open DAHDI channel moving frames of linear PCM. Its
// methods are for one goroutine at a time (the channel's owner), except
// Close, which may be called from any goroutine and ends a blocked read.
type Channel struct {
	dev    Device
	no     int
	block  int
	buf    []byte
	params Params

	offHook bool
	events  [maxEvents]Event
	head, n int
	dropped int
	removed bool
	closed  atomic.Bool
}

// Open opens DAHDI channel channo through cfg.Dir/channel and sets it up
// (NewChannel). Without DAHDI the error wraps ErrNotSupported.
func Open(channo int, cfg Config) (*Channel, error) {
	dev, err := cfg.open("channel")
	if err != nil {
		return nil, &Error{Channel: channo, Op: "open", Err: err}
	}
	c, err := NewChannel(dev, channo, cfg)
	if err != nil {
		dev.Close()
		return nil, err
	}
	return c, nil
}

// NewChannel sets up channo on dev, an open /dev/dahdi/channel, in the
// order DAHDI requires: DAHDI_SPECIFY first, then DAHDI_SET_BLOCKSIZE,
// DAHDI_SETLINEAR 1, the echo canceller per cfg.Echo, and DAHDI_GET_PARAMS
// to learn the channel's signalling and hook state. On error dev is left
// open for the caller to close.
func NewChannel(dev Device, channo int, cfg Config) (*Channel, error) {
	block := cfg.BlockSize
	if block == 0 {
		block = 160
	}
	if block < 16 || block > 8192 {
		return nil, &Error{Channel: channo, Op: "open", Err: fmt.Errorf("%w: block of %d samples", ErrFrameSize, block)}
	}
	c := &Channel{dev: dev, no: channo, block: block, buf: make([]byte, 2*block)}
	type step struct {
		op  string
		req uint
		v   int
	}
	steps := []step{
		{"specify", ioctl.Specify, channo},
		{"set blocksize", ioctl.SetBlocksize, block},
		{"set linear", ioctl.SetLinear, 1},
	}
	switch cfg.Echo {
	case EchoOff:
		steps = append(steps, step{"echo cancel off", ioctl.EchoCancel, 0})
	case EchoFaxMode:
		steps = append(steps, step{"echo cancel fax mode", ioctl.EchoCancelFax, 1})
	}
	for _, s := range steps {
		if err := dev.Ioctl(s.req, intArg(s.v)); err != nil {
			if s.req == ioctl.EchoCancelFax {
				err = notSupported(err)
			}
			return nil, &Error{Channel: channo, Op: s.op, Err: err}
		}
	}
	p, err := c.Params()
	if err != nil {
		return nil, err
	}
	c.params = p
	return c, nil
}

// Number is the DAHDI channel number.
func (c *Channel) Number() int { return c.no }

// BlockSize is the number of samples in a frame.
func (c *Channel) BlockSize() int { return c.block }

// Info is the channel's parameters as read when it was opened.
func (c *Channel) Info() Params { return c.params }

// Params reads the channel's parameters now (DAHDI_GET_PARAMS).
func (c *Channel) Params() (Params, error) {
	b := make([]byte, ioctl.SizeofParams)
	putInt(b, c.no)
	if err := c.dev.Ioctl(ioctl.GetParams, b); err != nil {
		return Params{}, c.fail("get params", err)
	}
	return decodeParams(b), nil
}

// ReadFrame reads one frame of BlockSize samples into dst, which must hold
// exactly that many. Events that arrive first are queued for PollEvent.
// It allocates nothing.
func (c *Channel) ReadFrame(dst []int16) error {
	if len(dst) != c.block {
		return &Error{Channel: c.no, Op: "read", Err: fmt.Errorf("%w: %d samples, block is %d", ErrFrameSize, len(dst), c.block)}
	}
	for tries := 0; ; tries++ {
		if err := c.check(); err != nil {
			return err
		}
		n, err := c.dev.Read(c.buf)
		if err != nil {
			if ioctl.IsELAST(err) && tries < maxEvents+2 {
				if err := c.fetchEvents(); err != nil {
					return err
				}
				continue
			}
			return c.fail("read", err)
		}
		if n != len(c.buf) {
			return &Error{Channel: c.no, Op: "read", Err: fmt.Errorf("%w: %d of %d bytes", ErrShortFrame, n, len(c.buf))}
		}
		if littleEndian {
			for i := range dst {
				dst[i] = int16(uint16(c.buf[2*i]) | uint16(c.buf[2*i+1])<<8)
			}
		} else {
			for i := range dst {
				dst[i] = int16(uint16(c.buf[2*i])<<8 | uint16(c.buf[2*i+1]))
			}
		}
		return nil
	}
}

// WriteFrame writes one frame of BlockSize samples. Events that interrupt
// it are queued for PollEvent. It allocates nothing.
func (c *Channel) WriteFrame(src []int16) error {
	if len(src) != c.block {
		return &Error{Channel: c.no, Op: "write", Err: fmt.Errorf("%w: %d samples, block is %d", ErrFrameSize, len(src), c.block)}
	}
	for i, s := range src {
		if littleEndian {
			c.buf[2*i], c.buf[2*i+1] = byte(s), byte(uint16(s)>>8)
		} else {
			c.buf[2*i], c.buf[2*i+1] = byte(uint16(s)>>8), byte(s)
		}
	}
	for tries := 0; ; tries++ {
		if err := c.check(); err != nil {
			return err
		}
		n, err := c.dev.Write(c.buf)
		if err != nil {
			if ioctl.IsELAST(err) && tries < maxEvents+2 {
				if err := c.fetchEvents(); err != nil {
					return err
				}
				continue
			}
			return c.fail("write", err)
		}
		if n != len(c.buf) {
			return &Error{Channel: c.no, Op: "write", Err: fmt.Errorf("%w: %d of %d bytes", ErrShortFrame, n, len(c.buf))}
		}
		return nil
	}
}

// SetHook changes the hook state (DAHDI_HOOK): OffHook answers or seizes,
// OnHook hangs up.
func (c *Channel) SetHook(h Hook) error {
	if err := c.check(); err != nil {
		return err
	}
	if err := c.dev.Ioctl(ioctl.Hook, intArg(int(h))); err != nil {
		return c.fail("hook "+h.String(), err)
	}
	switch h {
	case OnHook:
		c.offHook = false
	case OffHook:
		c.offHook = true
	}
	return nil
}

// OffHook reports whether we hold the line off hook.
func (c *Channel) OffHook() bool { return c.offHook }

// Answer takes the line off hook.
func (c *Channel) Answer() error { return c.SetHook(OffHook) }

// Hangup puts the line on hook.
func (c *Channel) Hangup() error { return c.SetHook(OnHook) }

// Dial sends number as DTMF (DAHDI_DIAL, replacing anything queued); DAHDI
// reports EventDialComplete when done. A leading 'T' (tone), 'P' (pulse) or
// 'M' (MF) chooses the method, tone by default; 'w' waits half a second.
func (c *Channel) Dial(number string) error {
	if err := c.check(); err != nil {
		return err
	}
	s := number
	if s != "" && !strings.ContainsRune("TPM", rune(s[0])) {
		s = "T" + s
	}
	if len(s) < 2 || len(s) >= ioctl.SizeofDialOp-4 || strings.Trim(s[1:], "0123456789*#ABCDabcdw") != "" {
		return &Error{Channel: c.no, Op: "dial", Err: fmt.Errorf("%w: %q", ErrDialString, number)}
	}
	b := make([]byte, ioctl.SizeofDialOp)
	putInt(b, 2) // DAHDI_DIAL_OP_REPLACE
	copy(b[4:], s)
	if err := c.dev.Ioctl(ioctl.Dial, b); err != nil {
		return c.fail("dial", err)
	}
	return nil
}

// PollEvent returns the oldest queued event, if any, without blocking.
func (c *Channel) PollEvent() (Event, bool) {
	if c.n == 0 {
		return Event{}, false
	}
	e := c.events[c.head]
	c.head = (c.head + 1) % maxEvents
	c.n--
	return e, true
}

// WaitEvent returns the oldest queued event, or waits up to timeout
// (forever if negative) for one to arrive (poll POLLPRI, then
// DAHDI_GETEVENT). It returns EventNone when the time passes; use it on
// channels whose audio is not being read.
func (c *Channel) WaitEvent(timeout time.Duration) (Event, error) {
	if e, ok := c.PollEvent(); ok {
		return e, nil
	}
	if err := c.check(); err != nil {
		return Event{}, err
	}
	ready, err := c.dev.WaitEvent(timeout)
	if err != nil {
		return Event{}, c.fail("wait event", err)
	}
	if ready {
		if err := c.fetchEvents(); err != nil {
			return Event{}, err
		}
	}
	e, _ := c.PollEvent()
	return e, nil
}

// SetEchoTaps sets the channel's echo canceller (DAHDI_ECHOCANCEL): 0
// switches it off; otherwise DAHDI makes a new canceller of that many taps
// (8 a millisecond; 32, 64, ... 1024, DAHDI's default length for other
// values), out of fax mode. A channel configured without an echo
// canceller module takes the request and cancels nothing.
func (c *Channel) SetEchoTaps(taps int) error {
	if err := c.check(); err != nil {
		return err
	}
	if err := c.dev.Ioctl(ioctl.EchoCancel, intArg(taps)); err != nil {
		return c.fail(fmt.Sprintf("echo cancel %d taps", taps), err)
	}
	return nil
}

// SetEchoFaxMode puts the running echo canceller into fax mode or takes it
// out (DAHDI_ECHOCANCEL_FAX_MODE). With no canceller running DAHDI refuses
// with EINVAL, which gives an error wrapping ErrNotSupported.
func (c *Channel) SetEchoFaxMode(on bool) error {
	if err := c.check(); err != nil {
		return err
	}
	v := 0
	if on {
		v = 1
	}
	if err := c.dev.Ioctl(ioctl.EchoCancelFax, intArg(v)); err != nil {
		return c.fail("echo cancel fax mode", notSupported(err))
	}
	return nil
}

// Removed reports whether the channel's hardware went away
// (DAHDI_EVENT_REMOVED, ENODEV); the channel is then only good for Close.
func (c *Channel) Removed() bool { return c.removed }

// Dropped counts events lost because the queue was full.
func (c *Channel) Dropped() int { return c.dropped }

// Close closes the channel; DAHDI puts it back on hook.
func (c *Channel) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	return c.dev.Close()
}

// fetchEvents reads events with DAHDI_GETEVENT until none is left.
func (c *Channel) fetchEvents() error {
	var arg [4]byte
	for i := 0; i < maxEvents; i++ {
		putInt(arg[:], 0)
		if err := c.dev.Ioctl(ioctl.GetEvent, arg[:]); err != nil {
			return c.fail("get event", err)
		}
		code := getInt(arg[:])
		if code == codeNone {
			return nil
		}
		e := mapEvent(code, c.offHook)
		if e.Kind == EventRemoved {
			c.removed = true
		}
		if c.n == maxEvents {
			c.dropped++
			c.PollEvent()
		}
		c.events[(c.head+c.n)%maxEvents] = e
		c.n++
	}
	return nil
}

func (c *Channel) check() error {
	if c.closed.Load() {
		return &Error{Channel: c.no, Op: "use", Err: ErrClosed}
	}
	if c.removed {
		return &Error{Channel: c.no, Op: "use", Err: ErrRemoved}
	}
	return nil
}

func (c *Channel) fail(op string, err error) error {
	switch {
	case c.closed.Load() || errors.Is(err, unix.EBADF):
		err = fmt.Errorf("%w: %w", ErrClosed, err)
	case errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO):
		c.removed = true
		err = fmt.Errorf("%w: %w", ErrRemoved, err)
	}
	return &Error{Channel: c.no, Op: op, Err: err}
}
