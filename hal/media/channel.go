package media

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/faxd/faxd/dsp/prefetch"
	"github.com/faxd/faxd/hal"
	"github.com/faxd/faxd/hal/internal/ring"
	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/terminal"
)

// State is what a channel is doing.
type State uint32

// The channel states.
const (
	StateIdle     State = iota // on hook, free for a call either way
	StateRinging               // a call rings: it is answered on the next tick
	StateDialling              // a call placed and not yet answered
	StateInCall                // a fax call is up
	StateAlarm                 // the channel is in alarm: no calls
	numStates
)

var stateNames = [numStates]string{"idle", "ringing", "dialling", "in-call", "alarm"}

func (s State) String() string {
	if s < numStates {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", uint32(s))
}

// channelQueue is how many jobs may wait for one channel (Job.From).
const channelQueue = 64

// A channel is one open hal.Channel and its call: a sched.Task. Everything
// but state and the queue is the task's own, touched only from Tick (and
// from Stop once the scheduler has stopped).
type channel struct {
	s  *Server
	ch hal.Channel
	// slotter is ch when it lends its transmit slots (hal.FrameSlotter).
	slotter hal.FrameSlotter
	name    string
	state   atomic.Uint32 // a State, for metrics and Stop
	mine    *ring.Queue[*job]

	alarm  bool
	closed bool

	// the call
	job  *job // outgoing, nil for an incoming call
	term *terminal.Terminal
	// spare is the last call's terminal, Released, for the next call to
	// Reset (term is nil between calls, spare nil during one): a
	// channel's calls after its first make no terminal, engine, modems
	// or HDLC transmitters, which were most of a call's garbage.
	spare    *terminal.Terminal
	sink     *t30.CodedSink
	in, out  []int16
	ticks    int // ticks since the answer
	linger   int // ticks since the terminal was done
	dialled  time.Time
	answered time.Time
}

func (c *channel) setState(s State) { c.state.Store(uint32(s)) }

// Prefetch asks the CPU for what the channel's next Tick touches: the
// channel, its line's frame buffers (when the driver can prefetch them)
// and its terminal; the scheduler calls it while the task before it ticks
// (see package dsp/prefetch).
func (c *channel) Prefetch() {
	prefetch.Object(c)
	if p, ok := c.ch.(prefetch.Prefetcher); ok {
		p.Prefetch()
	}
	if c.term != nil {
		prefetch.Slice(c.in)
		c.term.Prefetch()
	}
}

// String names the channel and what it does, for the scheduler's
// diagnosis (sched.Config.TimeTasks names the slowest task of a tick
// with it): its number and state and, in a call, the T.30 engine's state
// and the ticks since the answer. The worker that ticks the channel
// calls it, between ticks.
func (c *channel) String() string {
	if c.term == nil {
		return c.name + " " + c.State().String()
	}
	return fmt.Sprintf("%s %s: %s, tick %d", c.name, c.State(), c.term.Engine().State(), c.ticks)
}

// State returns what the channel is doing.
func (c *channel) State() State { return State(c.state.Load()) }

// Tick is the channel's 20 ms: its events, then one frame of the call.
// Mid-call it allocates nothing (when the terminal does not).
func (c *channel) Tick() bool {
	for {
		ev, ok := c.ch.Event()
		if !ok {
			break
		}
		c.event(ev)
	}
	switch c.State() {
	case StateIdle:
		if !c.s.draining.Load() {
			c.takeJob()
		}
	case StateRinging:
		c.answer() // also while Stop drains: the call is under way

	case StateInCall:
		c.audio()
	}
	return !c.closed
}

// event handles one of the line's events.
func (c *channel) event(ev hal.Event) {
	st := c.State()
	if c.s.log.IsTrace() {
		c.s.log.Trace("event", "channel", c.name, "event", ev.String(), "state", st.String())
	}
	switch ev.Kind {
	case hal.EventRing:
		if st == StateIdle {
			c.setState(StateRinging)
		}
	case hal.EventAnswer:
		if st == StateDialling {
			c.startSend()
		}
	case hal.EventBusy, hal.EventNoAnswer, hal.EventUnreachable:
		if st == StateDialling {
			c.hangup()
			c.endCall(dialCause(ev.Kind))
		}
	case hal.EventHangup:
		switch st {
		case StateRinging: // the caller gave up before the answer
			c.hangup()
			c.setState(StateIdle)
		case StateInCall:
			c.hangup()
			if c.term.LineDropped() {
				// The far end finished first, or cleared the line once
				// the fax was complete (without DCN).
				c.endCall(CauseNone)
			} else {
				c.endCall(CauseHangup)
			}
		}
	case hal.EventAlarm:
		c.alarm = true
		if st == StateRinging || st == StateDialling || st == StateInCall {
			c.hangup()
			c.endCall(CauseAlarm)
		}
		c.setState(StateAlarm)
	case hal.EventAlarmClear:
		c.alarm = false
		if c.State() == StateAlarm {
			c.setState(StateIdle)
		}
	}
}

// dialCause is the cause of a call the network did not put through.
func dialCause(k hal.EventKind) Cause {
	switch k {
	case hal.EventBusy:
		return CauseBusy
	case hal.EventNoAnswer:
		return CauseNoAnswer
	}
	return CauseUnreachable
}

// takeJob dials the next job for this channel, if any.
func (c *channel) takeJob() {
	j, ok := c.mine.Pop()
	if !ok {
		if j, ok = c.s.queue.Pop(); !ok {
			return
		}
		if j.spec.To == c.name {
			// A fax to this channel's own number goes from another one.
			if !c.s.queue.Push(j) {
				c.s.failJob(j, c.name, fmt.Errorf("%w: %d jobs waiting", ErrQueueFull, c.s.queue.Cap()))
			}
			return
		}
	}
	c.job = j
	c.dialled = c.s.now()
	c.answered = time.Time{}
	if err := c.ch.Dial(j.spec.To); err != nil {
		c.hangup()
		cause := CauseError
		if errors.Is(err, hal.ErrInvalidNumber) {
			cause = CauseUnreachable
		}
		c.s.log.Info("dial failed", "channel", c.name, "job", j.id, "number", j.spec.To, "error", err)
		c.endCallErr(cause, err)
		return
	}
	c.setState(StateDialling)
	c.s.log.Info("dialling", "channel", c.name, "job", j.id, "number", j.spec.To, "pages", len(j.spec.Pages))
}

// startSend starts the sending terminal once our call was answered.
func (c *channel) startSend() {
	cfg := c.s.sendConfig(&c.job.spec)
	cfg.Source = c.job.src
	c.startTerminal(cfg)
}

// sendConfig is the T.30 configuration that sends sp (without its source).
func (s *Server) sendConfig(sp *Job) t30.Config {
	cfg := s.cfg.T30
	cfg.Caller = true
	cfg.Source = nil
	cfg.Sink = nil
	cfg.ECM = sp.ECM
	if sp.MaxBPS != 0 {
		cfg.MaxBPS = sp.MaxBPS
	}
	if sp.Modems != 0 {
		cfg.Modems = sp.Modems
	}
	if sp.Ident != "" {
		cfg.Ident = sp.Ident
	}
	if sp.SubAddress != "" {
		cfg.SubAddress = sp.SubAddress
	}
	if sp.Password != "" {
		cfg.Password = sp.Password
	}
	return cfg
}

// answer takes the call that rings and starts a receiving terminal.
func (c *channel) answer() {
	if err := c.ch.Answer(); err != nil {
		// It stopped ringing between the ring and now.
		c.s.log.Debug("answer failed", "channel", c.name, "error", err)
		c.hangup()
		c.setState(StateIdle)
		return
	}
	c.job = nil
	c.answered = time.Time{}
	c.dialled = time.Time{}
	cfg := c.s.cfg.T30
	cfg.Caller = false
	cfg.Source = nil
	c.sink = &t30.CodedSink{}
	cfg.Sink = c.sink
	c.startTerminal(cfg)
}

func (c *channel) startTerminal(cfg t30.Config) {
	if cfg.Ident == "" {
		cfg.Ident = c.name
	}
	term, err := c.spare, error(nil)
	c.spare = nil
	if term != nil {
		err = term.Reset(cfg, c.s.cfg.Terminal)
	} else {
		term, err = terminal.New(cfg, c.s.cfg.Terminal)
	}
	if err != nil {
		c.hangup()
		c.endCallErr(CauseError, err)
		return
	}
	c.term = term
	c.ticks, c.linger = 0, 0
	c.answered = c.s.now()
	c.setState(StateInCall)
	dir, number := "in", c.name
	if c.job != nil {
		dir, number = "out", c.job.spec.To
	}
	c.s.log.Info("call start", "channel", c.name, "direction", dir, "number", number)
}

// audio runs one frame of the call: the far end's audio into the
// terminal, the terminal's out. This is the hot path.
func (c *channel) audio() {
	if err := c.ch.ReadFrame(c.in); err != nil {
		c.frameErr(err)
		return
	}
	// The frame is made in the channel's transmit slot when it lends one
	// (hal.FrameSlotter), else in c.out and written.
	var slot []int16
	if c.slotter != nil {
		slot = c.slotter.TxSlot()
	}
	out := c.out
	if slot != nil {
		out = slot
	}
	c.term.Process(c.in, out)
	if c.job != nil {
		c.job.confirmed(c.term.Engine().PagesSent())
	}
	if slot != nil {
		c.slotter.CommitTx()
	} else if err := c.ch.WriteFrame(c.out); err != nil {
		c.frameErr(err)
		return
	}
	c.ticks++
	if c.term.Done() {
		// Stay on the line a little: the last of our DCN (or our answer
		// to it) is still in the buffers and the line.
		if c.linger++; c.linger >= c.s.cfg.Linger {
			c.hangup()
			c.endCall(CauseNone)
		}
	}
}

func (c *channel) frameErr(err error) {
	cause := CauseError
	if errors.Is(err, hal.ErrAlarm) {
		cause = CauseAlarm
		c.alarm = true
	}
	if errors.Is(err, hal.ErrClosed) {
		c.closed = true
	}
	c.hangup()
	c.endCallErr(cause, err)
}

func (c *channel) hangup() {
	if err := c.ch.Hangup(); err != nil && !c.closed {
		c.s.log.Warn("hangup failed", "channel", c.name, "error", err)
	}
}

// endCall records the call's end: the job's outcome, or an inbox entry.
func (c *channel) endCall(cause Cause) { c.endCallErr(cause, nil) }

func (c *channel) endCallErr(cause Cause, err error) {
	var res *t30.Result
	if c.term != nil {
		if res = c.term.Result(); res == nil {
			res = c.term.Engine().Result() // cut short: what it has so far
			if cause != CauseNone {
				res.Cause = "call cut short: " + cause.String()
			}
		}
	}
	now := c.s.now()
	number := c.name
	if c.job != nil {
		number = c.job.spec.To
	}
	oerr := outcomeErr(cause, res, c.name, number)
	if err != nil && cause != CauseNone {
		oerr = fmt.Errorf("%w: %w", oerr, err)
	}
	c.s.callEnded(c, cause, res, oerr, now)
	j, term, sink := c.job, c.term, c.sink
	ticks, dialled, answered := c.ticks, c.dialled, c.answered
	c.job, c.term, c.sink = nil, nil, nil
	if term != nil {
		// Put aside for the next call; its result and pages are handed
		// out above and below, and Release lets the channel keep none of
		// them (nor the job's document).
		term.Release()
		c.spare = term
	}
	c.ticks, c.linger = 0, 0
	if c.alarm {
		c.setState(StateAlarm)
	} else {
		c.setState(StateIdle)
	}
	// Published last: whoever sees the outcome sees the channel free.
	if j != nil {
		// The job's call is over (its terminal, dropped above, is never
		// run again) and a job is dialled once: its prepared pages'
		// buffers go back for other jobs.
		j.src.Release()
		j.finish(Outcome{
			Channel: c.name, Cause: cause, Fax: res, Err: oerr,
			Dialled: dialled, Answered: answered, Ended: now, Ticks: ticks,
		})
	} else if term != nil {
		r := &Received{
			Number: c.name, Pages: sink.Pages, Fax: res, Cause: cause, Err: oerr,
			Answered: answered, Ended: now, Ticks: ticks,
		}
		if res != nil {
			r.Remote = res.RemoteIdent
		}
		c.s.inbox.add(r)
	}
}

// shutdown ends whatever the channel does with CauseStopped, after the
// scheduler stopped.
func (c *channel) shutdown() {
	switch c.State() {
	case StateRinging:
		c.hangup()
	case StateDialling, StateInCall:
		c.hangup()
		c.endCall(CauseStopped)
	}
	for {
		j, ok := c.mine.Pop()
		if !ok {
			break
		}
		c.s.stopJob(j)
	}
	c.spare = nil
	c.setState(StateIdle)
	if err := c.ch.Close(); err != nil {
		c.s.log.Warn("close failed", "channel", c.name, "error", err)
	}
	c.closed = true
}
