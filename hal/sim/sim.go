package sim

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/line"
	"github.com/faxd/faxd/hal"
)

const frame = hal.FrameSamples

// Defaults, in ticks of 20 ms.
const (
	DefaultRingTicks     = 300  // 6 s: a ring cadence of 2 s on, 4 s off
	DefaultNoAnswerTicks = 1500 // 30 s of ringing
)

// Config sets up a network. The zero value is a network of perfect lines
// that rings for 30 s.
type Config struct {
	// Line is the line model of each direction of every call placed with
	// Dial. Its Seed is the network's: a call's forward direction gets
	// Seed+2k and its return direction Seed+2k+1, k counting the calls
	// placed on the network, so every line has its own noise and a run is
	// repeatable. DialLine sets a call's line instead.
	Line line.Config
	// SetupTicks are ticks added between Dial and the ring (or busy);
	// 0: the callee rings on the next Tick.
	SetupTicks int
	// RingTicks is the ring cadence: EventRing comes again every RingTicks
	// while the call rings; 0 means DefaultRingTicks.
	RingTicks int
	// NoAnswerTicks is how long a call rings before the network gives up
	// with EventNoAnswer; 0 means DefaultNoAnswerTicks.
	NoAnswerTicks int
	// EchoReturnDB is the level, relative to what a channel sends, at
	// which it hears its own signal back EchoReturnDelay samples later, as
	// from the hybrid of a 2-wire line; 0 means no such echo. A channel
	// whose echo canceller is on (hal.EchoOn) hears none.
	EchoReturnDB    float64
	EchoReturnDelay int
}

// A Network is an in-process telephone network. It implements hal.Driver:
// Open registers a channel under the number given.
type Network struct {
	cfg Config

	mu      sync.Mutex
	numbers map[string]*Channel
	calls   []*call    // calls in setup, ringing or up
	clear   []*Channel // channels whose call ended: silence from the next Tick
	placed  int64      // calls placed so far (line seeds)
	ticks   uint64
}

// New returns an empty network.
func New(cfg Config) *Network {
	if cfg.RingTicks <= 0 {
		cfg.RingTicks = DefaultRingTicks
	}
	if cfg.NoAnswerTicks <= 0 {
		cfg.NoAnswerTicks = DefaultNoAnswerTicks
	}
	if cfg.SetupTicks < 0 {
		cfg.SetupTicks = 0
	}
	if cfg.EchoReturnDB == 0 || cfg.EchoReturnDelay <= 0 {
		cfg.EchoReturnDB, cfg.EchoReturnDelay = 0, 0
	}
	return &Network{cfg: cfg, numbers: map[string]*Channel{}}
}

// Name returns "sim".
func (n *Network) Name() string { return "sim" }

// Channels lists the numbers registered, sorted.
func (n *Network) Channels() ([]string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]string, 0, len(n.numbers))
	for num := range n.numbers {
		out = append(out, num)
	}
	slices.Sort(out)
	return out, nil
}

// Open registers a channel under the number name (hal.Driver).
func (n *Network) Open(name string) (hal.Channel, error) {
	c, err := n.NewChannel(name)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// NewChannel registers a channel under number. A number already
// registered gives an error wrapping hal.ErrInUse.
func (n *Network) NewChannel(number string) (*Channel, error) {
	if !validNumber(number) {
		return nil, fmt.Errorf("sim: %w: %q", hal.ErrInvalidNumber, number)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.numbers[number]; ok {
		return nil, fmt.Errorf("sim: %w: number %q is registered", hal.ErrInUse, number)
	}
	c := &Channel{net: n, number: number}
	n.numbers[number] = c
	return c, nil
}

// validNumber accepts what a dial string may hold: digits, '*', '#', '+'.
func validNumber(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b >= '0' && b <= '9', b == '*', b == '#', b == '+' && i == 0:
		default:
			return false
		}
	}
	return true
}

// Ticks returns how many times Tick ran.
func (n *Network) Ticks() uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ticks
}

// Calls returns how many calls are in setup, ringing or up.
func (n *Network) Calls() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.calls)
}

var silence [frame]int16

// Tick advances the network by 20 ms: calls being set up ring (or fail),
// ringing calls ring again or give up, and on every call that is up the
// frame each end wrote since the last Tick crosses its line to the other
// end. It allocates nothing.
func (n *Network) Tick() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.ticks++
	for _, c := range n.clear {
		if c.call == nil || c.call.state != stateUp {
			c.rx = silence
		}
		c.txSet = false
	}
	clear(n.clear)
	n.clear = n.clear[:0]
	for i := 0; i < len(n.calls); {
		cl := n.calls[i]
		switch cl.state {
		case stateSetup:
			cl.from.txSet = false // nothing crosses before the answer
			cl.ticks++
			if cl.ticks > n.cfg.SetupTicks {
				n.route(cl)
			}
		case stateRinging:
			cl.from.txSet, cl.to.txSet = false, false
			cl.ticks++
			if cl.ticks >= n.cfg.NoAnswerTicks {
				cl.from.post(hal.Event{Kind: hal.EventNoAnswer})
				cl.to.post(hal.Event{Kind: hal.EventHangup})
				n.end(cl)
			} else if cl.ticks%n.cfg.RingTicks == 0 {
				cl.rings++
				cl.to.post(hal.Event{Kind: hal.EventRing, Detail: cl.rings})
			}
		case stateUp:
			n.carry(cl)
		}
		if i < len(n.calls) && n.calls[i] == cl {
			i++
		} // else cl ended and the last call moved into slot i
	}
}

// route finds the callee of a call whose setup time is over.
func (n *Network) route(cl *call) {
	to := n.numbers[cl.number]
	switch {
	case to == nil || to.status.Load() != 0:
		cl.from.post(hal.Event{Kind: hal.EventUnreachable})
		n.end(cl)
	case to.call != nil || to.hook == hal.OffHook:
		cl.from.post(hal.Event{Kind: hal.EventBusy})
		n.end(cl)
	default:
		cl.to = to
		to.call = cl
		cl.state = stateRinging
		cl.ticks = 0
		cl.rings = 1
		to.post(hal.Event{Kind: hal.EventRing, Detail: 1})
	}
}

// end removes a call from the network, leaving its ends' hook states as
// they are.
func (n *Network) end(cl *call) {
	if cl.state == stateEnded {
		return
	}
	cl.state = stateEnded
	last := len(n.calls) - 1
	n.calls[cl.idx] = n.calls[last]
	n.calls[cl.idx].idx = cl.idx
	n.calls[last] = nil
	n.calls = n.calls[:last]
	for _, c := range [2]*Channel{cl.from, cl.to} {
		if c != nil && c.call == cl {
			c.call = nil
			n.clear = append(n.clear, c)
		}
	}
}

// carry moves one frame each way across a call that is up.
func (n *Network) carry(cl *call) {
	cl.fwd.carry(cl.from, cl.to)
	cl.back.carry(cl.to, cl.from)
	cl.from.txSet = false
	cl.to.txSet = false
}

type callState uint8

const (
	stateSetup callState = iota
	stateRinging
	stateUp
	stateEnded
)

type call struct {
	from, to *Channel // caller; callee once routed
	number   string
	state    callState
	ticks    int   // ticks in this state
	rings    int32 // EventRings sent
	idx      int   // index in Network.calls

	fwdCfg, backCfg line.Config
	fwd, back       leg // from→to, to→from
}

func (cl *call) other(c *Channel) *Channel {
	if c == cl.from {
		return cl.to
	}
	return cl.from
}

// legBuf holds a line's output until a whole frame is ready: a line with
// a clock offset gives a sample more or less now and then, and its
// resampler holds some back at the start.
const legBuf = 4 * frame

// A leg is one direction of a call.
type leg struct {
	line *line.Line
	buf  [legBuf]int16
	n    int

	// the hybrid echo at the receiving end
	echo     []int16 // the receiver's own samples, a ring of EchoReturnDelay
	echoPos  int
	echoGain float32
}

func (l *leg) setup(cfg line.Config, echoDB float64, echoDelay int) {
	l.line = nil
	if perfect := (line.Config{Seed: cfg.Seed}); cfg != perfect {
		l.line = line.New(cfg) // a perfect line passes samples unchanged: copied instead
	}
	l.n = 0
	if echoDelay > 0 {
		l.echo = make([]int16, echoDelay)
		l.echoGain = float32(math.Pow(10, echoDB/20))
	}
}

// carry passes src's frame through the line into dst's receive buffer.
func (l *leg) carry(src, dst *Channel) {
	in := silence[:]
	if src.txSet {
		in = src.tx[:]
	} else {
		src.missed++
	}
	if l.n > legBuf-frame-8 {
		// The far clock ran fast long enough to fill the buffer: drop
		// the oldest frame, as a real network's slip buffer does.
		l.n = copy(l.buf[:], l.buf[frame:l.n])
	}
	if l.line == nil {
		dst.rx = [frame]int16(in)
	} else if l.n += l.line.Process(l.buf[l.n:], in); l.n >= frame {
		copy(dst.rx[:], l.buf[:frame])
		l.n = copy(l.buf[:], l.buf[frame:l.n])
	} else {
		dst.rx = silence // the line's first samples are still in its filters
	}
	if l.echo == nil {
		return
	}
	own := silence[:]
	if dst.txSet {
		own = dst.tx[:]
	}
	cancel := dst.ec == hal.EchoOn
	for i, s := range own {
		e := l.echo[l.echoPos]
		l.echo[l.echoPos] = s
		if l.echoPos++; l.echoPos == len(l.echo) {
			l.echoPos = 0
		}
		if !cancel {
			dst.rx[i] = dsp.SaturateInt16(float32(dst.rx[i]) + l.echoGain*float32(e))
		}
	}
}

// Channel states kept in Channel.status.
const (
	statusOK uint32 = iota
	statusAlarm
	statusClosed
)

// eventQueue is how many events a channel holds; when it is full the
// oldest goes.
const eventQueue = 16

// A Channel is a number on the network. It implements hal.Channel and
// hal.EchoCanceller.
type Channel struct {
	net    *Network
	number string
	status atomic.Uint32

	// guarded by net.mu
	hook    hal.Hook
	call    *call
	events  [eventQueue]hal.Event
	evHead  int
	evLen   int
	dropped int
	ec      hal.EchoMode

	// the owner's, and Tick's
	rx, tx [frame]int16
	txSet  bool
	missed int
}

var _ interface {
	hal.Channel
	hal.EchoCanceller
} = (*Channel)(nil)

// Name returns the channel's number.
func (c *Channel) Name() string { return c.number }

// Number returns the channel's number.
func (c *Channel) Number() string { return c.number }

func (c *Channel) down(op string) error {
	switch c.status.Load() {
	case statusAlarm:
		return &hal.ChannelError{Channel: c.number, Op: op, Err: hal.ErrAlarm}
	case statusClosed:
		return &hal.ChannelError{Channel: c.number, Op: op, Err: hal.ErrClosed}
	}
	return nil
}

// ReadFrame copies the frame that arrived on the last Tick into dst;
// silence when no call is up.
func (c *Channel) ReadFrame(dst []int16) error {
	if len(dst) != frame {
		return fmt.Errorf("sim: read %s: %w: %d samples, want %d", c.number, hal.ErrFrameSize, len(dst), frame)
	}
	if c.status.Load() != statusOK {
		return c.down("read")
	}
	copy(dst, c.rx[:])
	return nil
}

// WriteFrame sets the frame the next Tick sends; a second write before the
// Tick replaces the first.
func (c *Channel) WriteFrame(src []int16) error {
	if len(src) != frame {
		return fmt.Errorf("sim: write %s: %w: %d samples, want %d", c.number, hal.ErrFrameSize, len(src), frame)
	}
	if c.status.Load() != statusOK {
		return c.down("write")
	}
	copy(c.tx[:], src)
	c.txSet = true
	return nil
}

// Missed returns how many ticks of a call that was up found no frame
// written by this end (each sent as silence).
func (c *Channel) Missed() int { return c.missed }

// Hook returns the hook state.
func (c *Channel) Hook() hal.Hook {
	c.net.mu.Lock()
	defer c.net.mu.Unlock()
	return c.hook
}

// Event returns the oldest event not yet taken.
func (c *Channel) Event() (hal.Event, bool) {
	c.net.mu.Lock()
	defer c.net.mu.Unlock()
	if c.evLen == 0 {
		return hal.Event{}, false
	}
	e := c.events[c.evHead]
	c.evHead = (c.evHead + 1) % eventQueue
	c.evLen--
	return e, true
}

// Dropped returns how many events were lost because the queue was full.
func (c *Channel) Dropped() int {
	c.net.mu.Lock()
	defer c.net.mu.Unlock()
	return c.dropped
}

// post queues an event; net.mu is held.
func (c *Channel) post(e hal.Event) {
	if c.evLen == eventQueue {
		c.evHead = (c.evHead + 1) % eventQueue
		c.evLen--
		c.dropped++
	}
	c.events[(c.evHead+c.evLen)%eventQueue] = e
	c.evLen++
}

// Dial places a call to number over the network's default line. It needs
// no call in progress; the hook state does not matter (a channel the far
// end hung up on may dial again at once).
func (c *Channel) Dial(number string) error { return c.dial(number, nil) }

// DialLine places a call to number over a line of its own: cfg for the
// direction from this channel, the same with Seed+1 for the return.
func (c *Channel) DialLine(number string, cfg line.Config) error { return c.dial(number, &cfg) }

func (c *Channel) dial(number string, cfg *line.Config) error {
	if !validNumber(number) {
		return fmt.Errorf("sim: dial from %s: %w: %q", c.number, hal.ErrInvalidNumber, number)
	}
	n := c.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := c.down("dial"); err != nil {
		return err
	}
	if c.call != nil {
		return fmt.Errorf("sim: dial %s from %s: %w: a call is in progress", number, c.number, hal.ErrState)
	}
	cl := &call{from: c, number: number, idx: len(n.calls)}
	if cfg != nil {
		cl.fwdCfg = *cfg
	} else {
		cl.fwdCfg = n.cfg.Line
		cl.fwdCfg.Seed += 2 * n.placed
	}
	cl.backCfg = cl.fwdCfg
	cl.backCfg.Seed++
	n.placed++
	n.calls = append(n.calls, cl)
	c.call = cl
	c.hook = hal.OffHook
	return nil
}

// Answer takes the call ringing on this channel: the caller gets
// EventAnswer, and audio flows from the next Tick.
func (c *Channel) Answer() error {
	n := c.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := c.down("answer"); err != nil {
		return err
	}
	cl := c.call
	if cl == nil || cl.to != c || cl.state != stateRinging {
		return fmt.Errorf("sim: answer on %s: %w: nothing rings", c.number, hal.ErrState)
	}
	c.hook = hal.OffHook
	cl.state = stateUp
	cl.ticks = 0
	cl.fwd.setup(cl.fwdCfg, n.cfg.EchoReturnDB, n.cfg.EchoReturnDelay)
	cl.back.setup(cl.backCfg, n.cfg.EchoReturnDB, n.cfg.EchoReturnDelay)
	cl.from.post(hal.Event{Kind: hal.EventAnswer})
	return nil
}

// Hangup ends the call, if any (the other end gets EventHangup), and goes
// on hook. It works in alarm too.
func (c *Channel) Hangup() error {
	n := c.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if c.status.Load() == statusClosed {
		return c.down("hangup")
	}
	c.hangup()
	return nil
}

// hangup drops the call; net.mu is held.
func (c *Channel) hangup() {
	if cl := c.call; cl != nil {
		if o := cl.other(c); o != nil {
			o.post(hal.Event{Kind: hal.EventHangup})
		}
		c.net.end(cl)
	}
	c.hook = hal.OnHook
}

// SetAlarm puts the channel into alarm (on) or takes it out. In alarm
// its call is lost (EventHangup at the other end), ReadFrame, WriteFrame,
// Dial and Answer return a *hal.ChannelError wrapping hal.ErrAlarm, and
// calls to it are unreachable. The channel gets EventAlarm and
// EventAlarmClear.
func (c *Channel) SetAlarm(on bool) {
	n := c.net
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case on && c.status.CompareAndSwap(statusOK, statusAlarm):
		if cl := c.call; cl != nil {
			if o := cl.other(c); o != nil {
				o.post(hal.Event{Kind: hal.EventHangup})
			}
			n.end(cl)
		}
		c.post(hal.Event{Kind: hal.EventAlarm, Detail: 1})
	case !on && c.status.CompareAndSwap(statusAlarm, statusOK):
		c.post(hal.Event{Kind: hal.EventAlarmClear})
	}
}

// SetEchoCancel sets the channel's echo canceller (hal.EchoCanceller):
// with EchoOn the channel hears none of the network's hybrid echo
// (Config.EchoReturnDB); EchoOff and EchoFax leave it.
func (c *Channel) SetEchoCancel(mode hal.EchoMode) error {
	if mode > hal.EchoFax {
		return fmt.Errorf("sim: echo cancel on %s: invalid mode %v", c.number, mode)
	}
	c.net.mu.Lock()
	defer c.net.mu.Unlock()
	if err := c.down("echo cancel"); err != nil {
		return err
	}
	c.ec = mode
	return nil
}

// Close hangs up, frees the number and ends the channel: later calls
// return a *hal.ChannelError wrapping hal.ErrClosed. Closing twice is a
// no-op.
func (c *Channel) Close() error {
	n := c.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if c.status.Load() == statusClosed {
		return nil
	}
	c.hangup()
	c.status.Store(statusClosed)
	if n.numbers[c.number] == c {
		delete(n.numbers, c.number)
	}
	return nil
}
