package sim

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/line"
	"github.com/faxd/faxd/dsp/prefetch"
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
	// Jitter is the slack, in frames, between a channel's owner and the
	// network in each direction: at the start of a call, and whenever a
	// buffer ran dry, the network gathers Jitter+1 of the frames a
	// channel wrote before it sends them, and ReadFrame gathers Jitter+1
	// of the frames that arrived before it plays them. It lets the
	// scheduler's workers and the network's tick run on their own phases
	// without a gap in the audio; each frame of slack adds 20 ms of delay
	// each way. 0 means DefaultJitter; at most MaxJitter.
	Jitter int
	// Lockstep removes the slack: a frame written before Tick n is read
	// right after it. For tests that drive the network by hand and
	// compare samples.
	Lockstep bool
}

// DefaultJitter is the slack, in frames, of a network whose Config leaves
// Jitter at 0; MaxJitter the most it may be (half of BufferFrames, less
// the frame being played: the other half takes bursts).
const (
	DefaultJitter = 2
	MaxJitter     = ringFrames/2 - 1
)

// A Network is an in-process telephone network. It implements hal.Driver:
// Open registers a channel under the number given.
type Network struct {
	cfg    Config
	gather int // frames a buffer gathers before it plays: Jitter+1

	mu      sync.Mutex
	numbers map[string]*Channel
	calls   []*call // calls in setup, ringing or up
	free    []*call // ended calls, for Dial to reuse (see end)
	placed  int64   // calls placed so far (line seeds)
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
	switch {
	case cfg.Lockstep:
		cfg.Jitter = 0
	case cfg.Jitter <= 0:
		cfg.Jitter = DefaultJitter
	case cfg.Jitter > MaxJitter:
		cfg.Jitter = MaxJitter
	}
	return &Network{cfg: cfg, gather: cfg.Jitter + 1, numbers: map[string]*Channel{}}
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
// ringing calls ring again or give up, and on every call that is up one
// frame crosses each way: the next frame the sending end wrote (silence
// if it wrote none in time, or while its buffer gathers the slack) goes
// through the line into the receiving end's buffer. It allocates nothing
// and may run while the channels' owners read and write frames.
func (n *Network) Tick() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.ticks++
	for i := 0; i < len(n.calls); {
		cl := n.calls[i]
		switch cl.state {
		case stateSetup:
			cl.ticks++
			if cl.ticks > n.cfg.SetupTicks {
				n.route(cl)
			}
		case stateRinging:
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
			// The next call's frames are fetched while this one's cross
			// (see Channel.Prefetch).
			if i+1 < len(n.calls) {
				if nx := n.calls[i+1]; nx.state == stateUp {
					nx.from.prefetchNet()
					nx.to.prefetchNet()
				}
			}
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
// they are. Audio stops at once: what either end has not yet read of the
// call is dropped.
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
			c.up.Store(false)
			c.rx.restart()
		}
	}
	// Nothing refers to cl any more: not n.calls, not its ends (a
	// channel's call is cl only while cl is in n.calls: Dial wants none
	// and routing sets it to a call in n.calls). Tick's loop keeps cl
	// only to compare it, and Dial, which reuses it, waits for net.mu.
	// So it is kept for the next Dial: a call is some 4 KB (its legs'
	// buffers), made for every call a server places. It stays ended
	// (an end again does nothing) until Dial clears it.
	n.free = append(n.free, cl)
}

// start sets audio going on a call that was answered: both ends' buffers
// start empty and gather their slack.
func (n *Network) start(cl *call) {
	for _, c := range [2]*Channel{cl.from, cl.to} {
		c.tx.flush()
		c.txGather = n.gather > 1
		c.rx.restart()
		c.up.Store(true)
	}
}

// carry moves one frame each way across a call that is up.
func (n *Network) carry(cl *call) {
	a, b := cl.from.sending(n.gather), cl.to.sending(n.gather)
	cl.fwd.carry(a, b, cl.to)
	cl.back.carry(b, a, cl.from)
	if a != &silence {
		cl.from.tx.pop()
	}
	if b != &silence {
		cl.to.tx.pop()
	}
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
	line *line.Line // nil: a transparent line, whose frames are copied
	buf  [legBuf]int16
	n    int

	// the hybrid echo at the receiving end
	echo     []int16 // the receiver's own samples, a ring of EchoReturnDelay
	echoPos  int
	echoGain float32

	scratch [frame]int16 // where a frame goes when the receiver's buffer is full
}

// Transparent reports whether a line made from cfg passes samples
// unchanged: no loss, noise, offsets, echo or companding. The network
// copies such a line's frames instead of running the line model, which
// does per-sample work (gain, saturation) even when every impairment is
// zero.
func Transparent(cfg line.Config) bool {
	return cfg.AttenuationDB == 0 && cfg.NoiseDBm0 == 0 && cfg.FreqOffsetHz == 0 &&
		cfg.ClockOffsetPPM == 0 && cfg.EchoDelay <= 0 && cfg.Law == line.Linear
}

func (l *leg) setup(cfg line.Config, echoDB float64, echoDelay int) {
	l.line = nil
	if !Transparent(cfg) {
		l.line = line.New(cfg)
	}
	l.n = 0
	if echoDelay > 0 {
		if cap(l.echo) >= echoDelay {
			l.echo = l.echo[:echoDelay] // a reused call's: cleared (newCall)
		} else {
			l.echo = make([]int16, echoDelay)
		}
		l.echoGain = float32(math.Pow(10, echoDB/20))
	} else {
		l.echo = nil
	}
}

// carry passes in, the frame the sending end sends this tick, through the
// line into dst's receive buffer; own is the frame dst sends this tick,
// which comes back to it as the hybrid's echo.
func (l *leg) carry(in, own *[frame]int16, dst *Channel) {
	out := dst.rx.slot()
	if out == nil {
		// The owner has not read for a while: the frame is lost.
		dst.overruns.Add(1)
		out = &l.scratch
	}
	if l.n > legBuf-frame-8 {
		// The far clock ran fast long enough to fill the buffer: drop
		// the oldest frame, as a real network's slip buffer does.
		l.n = copy(l.buf[:], l.buf[frame:l.n])
	}
	if l.line == nil {
		*out = *in
	} else if l.n += l.line.Process(l.buf[l.n:], in[:]); l.n >= frame {
		copy(out[:], l.buf[:frame])
		l.n = copy(l.buf[:], l.buf[frame:l.n])
	} else {
		*out = silence // the line's first samples are still in its filters
	}
	if l.echo != nil {
		cancel := dst.ec == hal.EchoOn
		for i, s := range own {
			e := l.echo[l.echoPos]
			l.echo[l.echoPos] = s
			if l.echoPos++; l.echoPos == len(l.echo) {
				l.echoPos = 0
			}
			if !cancel {
				out[i] = dsp.SaturateInt16(float32(out[i]) + l.echoGain*float32(e))
			}
		}
	}
	if out != &l.scratch {
		dst.rx.push()
	}
}

// BufferFrames is how many frames each of a channel's two buffers holds:
// the slack (MaxJitter+1 at most) and as much again for bursts (an owner
// or the network catching up after a stall).
const BufferFrames = 16

const ringFrames = BufferFrames

// A frameRing is a bounded single-producer single-consumer queue of
// frames, the way a card's DMA buffers sit between the line and the
// driver: the producer writes a slot and publishes it by moving tail, the
// consumer reads the slot and frees it by moving head. Neither takes a
// lock or allocates; the indices grow without wrapping (2^64 frames of
// 20 ms outlast the universe).
type frameRing struct {
	head atomic.Uint64 // the consumer's: next slot to read
	_    [56]byte      // head and tail on cache lines of their own
	tail atomic.Uint64 // the producer's: next slot to write
	// A call's start or end: the producer sets drop to its tail and
	// counts epoch up; the consumer, seeing a new epoch, skips to drop
	// (the frames of the call that ended) and gathers its slack again.
	drop  atomic.Uint64
	epoch atomic.Uint32
	_     [44]byte
	buf   [ringFrames][frame]int16
}

// slot returns the slot the producer writes next, nil when full.
func (r *frameRing) slot() *[frame]int16 {
	t := r.tail.Load()
	if t-r.head.Load() >= ringFrames {
		return nil
	}
	return &r.buf[t%ringFrames]
}

// push publishes the slot slot returned.
func (r *frameRing) push() { r.tail.Store(r.tail.Load() + 1) }

// restart marks a call's start or end (producer side).
func (r *frameRing) restart() {
	r.drop.Store(r.tail.Load())
	r.epoch.Add(1)
}

// queued returns how many frames the consumer may read.
func (r *frameRing) queued() int { return int(r.tail.Load() - r.head.Load()) }

// front returns the oldest frame (consumer side); pop frees it.
func (r *frameRing) front() *[frame]int16 { return &r.buf[r.head.Load()%ringFrames] }

func (r *frameRing) pop() { r.head.Store(r.head.Load() + 1) }

// flush drops every frame queued (consumer side).
func (r *frameRing) flush() { r.head.Store(r.tail.Load()) }

// skip moves the consumer past the frames before drop.
func (r *frameRing) skip() {
	if d := r.drop.Load(); d > r.head.Load() {
		r.head.Store(d)
	}
}

// sending returns the frame c sends this tick (the network's side of c's
// transmit buffer): the oldest it wrote, or silence when it wrote none in
// time or its buffer is still gathering the slack. net.mu is held.
func (c *Channel) sending(gather int) *[frame]int16 {
	q := c.tx.queued()
	switch {
	case q == 0:
		if !c.txGather {
			c.missed.Add(1)
			c.txGather = gather > 1
		}
		return &silence
	case c.txGather && q < gather:
		return &silence
	}
	c.txGather = false
	return c.tx.front()
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

	// The frame path: no lock. The owner writes tx and reads rx; Tick
	// (under net.mu) reads tx and writes rx.
	up                                  atomic.Bool // a call is up: audio crosses
	tx, rx                              frameRing
	txGather                            bool   // net.mu's: tx gathers its slack
	rxGather                            bool   // the owner's: rx gathers its slack
	rxEpoch                             uint32 // the owner's: the last call start or end it saw
	missed, txFull, underruns, overruns atomic.Uint64
	evN                                 atomic.Int32 // evLen, for Event's fast path
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

// ReadFrame copies the next frame that arrived into dst: silence when no
// call is up, while the receive buffer gathers its slack (Config.Jitter)
// at the start of a call, and when it ran dry (counted as an underrun;
// the buffer then gathers its slack again). It takes no lock and
// allocates nothing; only the channel's owner calls it.
func (c *Channel) ReadFrame(dst []int16) error {
	if len(dst) != frame {
		return fmt.Errorf("sim: read %s: %w: %d samples, want %d", c.number, hal.ErrFrameSize, len(dst), frame)
	}
	if c.status.Load() != statusOK {
		return c.down("read")
	}
	r := &c.rx
	up := c.up.Load() // before the epoch: a call that is up has its start's epoch
	if e := r.epoch.Load(); e != c.rxEpoch {
		c.rxEpoch = e
		r.skip()
		c.rxGather = c.net.gather > 1
	}
	switch q := r.queued(); {
	case !up:
		r.flush()
		clear(dst)
	case q == 0:
		if !c.rxGather {
			c.underruns.Add(1)
			c.rxGather = c.net.gather > 1
		}
		clear(dst)
	case c.rxGather && q < c.net.gather:
		clear(dst)
	default:
		c.rxGather = false
		copy(dst, r.front()[:])
		r.pop()
	}
	return nil
}

// WriteFrame queues src as the next 20 ms the channel sends: Tick sends
// one frame a tick. It is discarded when no call is up, and when the
// transmit buffer is full (the network is not ticking: counted). It takes
// no lock and allocates nothing; only the channel's owner calls it.
func (c *Channel) WriteFrame(src []int16) error {
	if len(src) != frame {
		return fmt.Errorf("sim: write %s: %w: %d samples, want %d", c.number, hal.ErrFrameSize, len(src), frame)
	}
	if c.status.Load() != statusOK {
		return c.down("write")
	}
	if !c.up.Load() {
		return nil
	}
	s := c.tx.slot()
	if s == nil {
		c.txFull.Add(1)
		return nil
	}
	copy(s[:], src)
	c.tx.push()
	return nil
}

// TxSlot implements hal.FrameSlotter: the transmit buffer's next slot,
// while a call is up and the buffer has room. Only the channel's owner
// calls it.
func (c *Channel) TxSlot() []int16 {
	if c.status.Load() != statusOK || !c.up.Load() {
		return nil
	}
	if s := c.tx.slot(); s != nil {
		return s[:]
	}
	return nil
}

// Prefetch asks the CPU for what the owner's next ReadFrame and TxSlot
// touch: the channel's state, the receive buffer's tail, the next frame to
// read and the slot to write (see package dsp/prefetch; finding those two
// loads the indices they need).
func (c *Channel) Prefetch() {
	prefetch.Range(unsafe.Pointer(c), unsafe.Offsetof(c.tx))
	prefetch.Object(&c.rx.tail)
	prefetch.Object(c.rx.front())
	if s := c.tx.slot(); s != nil {
		prefetch.Object(s)
	}
}

// prefetchNet asks the CPU for what the network's next carry touches of
// c: the frame to send and the slot the far end's frame goes to.
func (c *Channel) prefetchNet() {
	prefetch.Object(c.tx.front())
	if s := c.rx.slot(); s != nil {
		prefetch.Object(s)
	}
}

// CommitTx implements hal.FrameSlotter: it queues the frame made in the
// slot TxSlot returned, as WriteFrame queues a copy.
func (c *Channel) CommitTx() { c.tx.push() }

// Missed returns how many ticks of a call that was up found no frame
// written by this end while its audio was flowing (each sent as silence).
// In lockstep that is every such tick; with slack, a tick the owner ran
// too late for.
func (c *Channel) Missed() int { return int(c.missed.Load()) }

// FrameStats counts a channel's frame path hiccups since it was opened.
type FrameStats struct {
	Missed    uint64 // Tick found the transmit buffer dry: silence sent
	TxFull    uint64 // WriteFrame found the transmit buffer full: frame dropped
	Underruns uint64 // ReadFrame found the receive buffer dry: silence read
	Overruns  uint64 // Tick found the receive buffer full: frame dropped
}

// FrameStats returns the channel's counts (safe from any goroutine).
func (c *Channel) FrameStats() FrameStats {
	return FrameStats{Missed: c.missed.Load(), TxFull: c.txFull.Load(), Underruns: c.underruns.Load(), Overruns: c.overruns.Load()}
}

// Hook returns the hook state.
func (c *Channel) Hook() hal.Hook {
	c.net.mu.Lock()
	defer c.net.mu.Unlock()
	return c.hook
}

// Event returns the oldest event not yet taken.
func (c *Channel) Event() (hal.Event, bool) {
	if c.evN.Load() == 0 {
		return hal.Event{}, false // the usual case: no lock
	}
	c.net.mu.Lock()
	defer c.net.mu.Unlock()
	if c.evLen == 0 {
		return hal.Event{}, false
	}
	e := c.events[c.evHead]
	c.evHead = (c.evHead + 1) % eventQueue
	c.evLen--
	c.evN.Store(int32(c.evLen))
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
	c.evN.Store(int32(c.evLen))
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
	cl := n.newCall()
	cl.from, cl.number, cl.idx = c, number, len(n.calls)
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

// newCall returns a cleared call: one that ended, or a new one; net.mu is
// held.
func (n *Network) newCall() *call {
	k := len(n.free) - 1
	if k < 0 {
		return new(call)
	}
	cl := n.free[k]
	n.free[k] = nil
	n.free = n.free[:k]
	// Cleared whole: nothing of the last call's audio (its legs' buffers
	// and echo) can reach this one. The echo rings are kept, cleared, for
	// leg.setup to reuse.
	// Cleared to their capacity: a later call with a longer echo delay
	// takes more of the ring than the last one used.
	fe, be := cl.fwd.echo, cl.back.echo
	clear(fe[:cap(fe)])
	clear(be[:cap(be)])
	*cl = call{}
	cl.fwd.echo, cl.back.echo = fe[:0], be[:0]
	return cl
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
	n.start(cl)
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
