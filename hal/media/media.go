package media

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/faxd/faxd/hal"
	"github.com/faxd/faxd/hal/internal/ring"
	"github.com/faxd/faxd/hal/sched"
	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/terminal"
)

// Config sets a Server up. Driver is the only field that must be set.
type Config struct {
	Driver hal.Driver
	// Channels names the channels to open; nil opens every channel the
	// driver lists. (On a sim network, opening registers the number.)
	Channels []string

	// Sched configures the scheduler that ticks the channels; its Period
	// (0: 20 ms) and CatchUp are also those of the driver's network tick.
	// Tests and benchmarks run faster than real time with a shorter
	// period; the shorter it is, the more periods a stall of the machine
	// lasts, and the more CatchUp (and sim.Config.Jitter) it takes to keep
	// every frame.
	Sched sched.Config
	// Clock paces the driver's Tick when the driver is a Ticker (a sim
	// network); nil: a WallClock. ExternalTick leaves the driver to be
	// ticked by someone else: another Server on the same sim network, or
	// the caller.
	Clock        Clock
	ExternalTick bool

	// Logger gets call starts and ends at Info, events and each call's
	// T.30 trace at Trace; nil: no logs.
	Logger hclog.Logger
	// Registerer takes the server's metrics; nil: a registry of the
	// server's own. Name, when set, labels every metric server=Name (for
	// servers that share a registerer).
	Registerer prometheus.Registerer
	Name       string

	// T30 is the template of every call's T.30 configuration: Ident (the
	// station's TSI and CSI; "": the channel's number), ECM (offered when
	// receiving; a Job sets its own), modems, rates, coding, resolution,
	// copy quality, timers. The server sets Caller, Source and Sink.
	T30 t30.Config
	// Terminal sets the soft fax terminals' audio side.
	Terminal terminal.Options

	// QueueLen is how many jobs may wait for any idle channel (rounded
	// up to a power of two); 0: 4096.
	QueueLen int
	// Linger is how many ticks a channel stays on the line after its
	// terminal is done, so that the end of its last frame (the sender's
	// DCN) crosses the buffers and the line before the hang-up; the far
	// end usually hangs up first, which ends the wait. It must exceed the
	// audio's delay through the driver (on a sim network, 2×(Jitter+1)
	// ticks and the line's); 0: 50 (1 s of audio).
	Linger int
	// Now is the wall clock for the times in outcomes and inbox entries;
	// nil: time.Now.
	Now func() time.Time
}

// A Server runs fax calls on a driver's channels: see the package doc.
type Server struct {
	cfg    Config
	log    hclog.Logger
	sched  *sched.Scheduler
	chans  []*channel
	byName map[string]*channel
	queue  *ring.Queue[*job]

	ticker    Ticker // nil when the server does not tick the driver
	clock     Clock
	clockStop chan struct{}
	clockDone chan struct{}
	netTicks  atomic.Uint64
	netBusy   atomic.Int64 // time in the network's ticks, ns
	netMax    atomic.Int64 // the longest network tick, ns

	mu       sync.Mutex // guards the fields below
	jobs     map[JobID]*job
	lastID   JobID
	stopping bool

	draining atomic.Bool // idle channels take no job
	started  atomic.Bool
	stopOnce sync.Once
	stopped  chan struct{}

	inbox   inbox
	metrics *metrics
	handler http.Handler
}

// New opens the channels and sets the server up; Start sets it going.
func New(cfg Config) (*Server, error) {
	if cfg.Driver == nil {
		return nil, fmt.Errorf("%w: no driver", ErrNoChannel)
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = 4096
	}
	if cfg.Linger <= 0 {
		cfg.Linger = 50
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.Sched.Period <= 0 {
		cfg.Sched.Period = hal.FrameDuration
	}
	s := &Server{
		cfg: cfg, log: cfg.Logger, sched: sched.New(cfg.Sched),
		byName: map[string]*channel{}, queue: ring.New[*job](cfg.QueueLen),
		jobs: map[JobID]*job{}, stopped: make(chan struct{}),
	}
	s.inbox.init()
	if t, ok := cfg.Driver.(Ticker); ok && !cfg.ExternalTick {
		s.ticker, s.clock = t, cfg.Clock
		if s.clock == nil {
			s.clock = &WallClock{CatchUp: cfg.Sched.CatchUp}
		}
	}
	names := cfg.Channels
	if names == nil {
		var err error
		if names, err = cfg.Driver.Channels(); err != nil {
			return nil, fmt.Errorf("media: channels of driver %s: %w", cfg.Driver.Name(), err)
		}
	}
	for _, name := range names {
		if _, dup := s.byName[name]; dup {
			s.closeAll()
			return nil, fmt.Errorf("media: %w: channel %q listed twice", hal.ErrInUse, name)
		}
		ch, err := cfg.Driver.Open(name)
		if err != nil {
			s.closeAll()
			return nil, fmt.Errorf("media: open %s channel %q: %w", cfg.Driver.Name(), name, err)
		}
		c := &channel{
			s: s, ch: ch, name: name, mine: ring.New[*job](channelQueue),
			in: make([]int16, hal.FrameSamples), out: make([]int16, hal.FrameSamples),
		}
		c.slotter, _ = ch.(hal.FrameSlotter)
		s.chans = append(s.chans, c)
		s.byName[name] = c
	}
	reg := cfg.Registerer
	var gather prometheus.Gatherer
	if reg == nil {
		r := prometheus.NewRegistry()
		reg, gather = r, r
	} else if g, ok := reg.(prometheus.Gatherer); ok {
		gather = g
	} else {
		gather = prometheus.DefaultGatherer
	}
	if cfg.Name != "" {
		reg = prometheus.WrapRegistererWith(prometheus.Labels{"server": cfg.Name}, reg)
	}
	m, err := newMetrics(reg, s)
	if err != nil {
		s.closeAll()
		return nil, fmt.Errorf("media: metrics: %w", err)
	}
	s.metrics = m
	s.handler = promhttp.HandlerFor(gather, promhttp.HandlerOpts{})
	return s, nil
}

func (s *Server) closeAll() {
	for _, c := range s.chans {
		c.ch.Close()
	}
}

func (s *Server) now() time.Time { return s.cfg.Now() }

// Start starts the scheduler with every channel as a task, and the
// driver's network clock.
func (s *Server) Start() error {
	if s.started.Swap(true) {
		return nil
	}
	s.mu.Lock()
	stopping := s.stopping
	s.mu.Unlock()
	if stopping {
		return ErrStopped
	}
	for _, c := range s.chans {
		if err := s.sched.Add(c); err != nil {
			return fmt.Errorf("media: channel %s: %w", c.name, err)
		}
	}
	s.sched.Start()
	for _, w := range s.sched.Stats() {
		if w.NiceErr != nil {
			s.log.Warn("worker priority not set", "worker", w.Worker, "error", w.NiceErr)
		}
	}
	if s.ticker != nil {
		s.clockStop, s.clockDone = make(chan struct{}), make(chan struct{})
		go func() {
			defer close(s.clockDone)
			s.clock.Run(s.clockStop, s.cfg.Sched.Period, s.tickNetwork)
		}()
	}
	s.log.Info("media server started", "driver", s.cfg.Driver.Name(), "channels", len(s.chans), "period", s.cfg.Sched.Period)
	return nil
}

func (s *Server) tickNetwork() {
	t0 := time.Now()
	s.ticker.Tick()
	d := int64(time.Since(t0))
	s.netBusy.Add(d)
	if d > s.netMax.Load() {
		s.netMax.Store(d)
	}
	s.netTicks.Add(1)
}

func (s *Server) netSkipped() uint64 {
	if w, ok := s.clock.(interface{ Skipped() uint64 }); ok {
		return w.Skipped()
	}
	return 0
}

// Stop stops the server gracefully: it takes no more jobs (Submit returns
// ErrStopped), idle channels place no more calls, and the calls in
// progress (those ringing too) may run to their end until ctx is done. Then the
// scheduler and the network clock stop, every call still up is hung up
// and ends with CauseStopped, every job not yet placed ends with
// CauseStopped, and the channels are closed: no job is lost, each has an
// outcome. Stop returns ctx's error when it had to cut calls short.
func (s *Server) Stop(ctx context.Context) error {
	var err error
	first := false
	s.stopOnce.Do(func() {
		first = true
		s.mu.Lock()
		s.stopping = true
		s.mu.Unlock()
		s.draining.Store(true)
		if s.started.Load() {
			err = s.drain(ctx)
		}
		s.sched.Stop()
		if s.clockStop != nil {
			close(s.clockStop)
			<-s.clockDone
		}
		// The workers are gone: the channels are this goroutine's now.
		for _, c := range s.chans {
			c.shutdown()
		}
		for {
			j, ok := s.queue.Pop()
			if !ok {
				break
			}
			s.stopJob(j)
		}
		s.mu.Lock()
		for _, j := range s.jobs {
			s.stopJob(j) // no-op for the finished
		}
		s.mu.Unlock()
		s.log.Info("media server stopped")
		close(s.stopped)
	})
	if !first {
		<-s.stopped
	}
	return err
}

// drain waits until no channel is in a call, or ctx is done.
func (s *Server) drain(ctx context.Context) error {
	tick := time.NewTicker(s.cfg.Sched.Period)
	defer tick.Stop()
	for {
		busy := 0
		for _, c := range s.chans {
			switch c.State() {
			case StateRinging, StateDialling, StateInCall:
				busy++
			}
		}
		if busy == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			s.log.Info("stopping: cutting calls short", "calls", busy)
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// stopJob ends a job that was never placed, or whose call Stop cut short
// (a no-op for a job already finished).
func (s *Server) stopJob(j *job) {
	if j.finish(Outcome{Cause: CauseStopped, Err: fmt.Errorf("%w: job %d to %s not placed", ErrStopped, j.id, j.spec.To), Ended: s.now()}) {
		s.metrics.calls.WithLabelValues("out", CauseStopped.String()).Inc()
	}
}

// failJob ends a job that could not be queued again.
func (s *Server) failJob(j *job, ch string, err error) {
	j.finish(Outcome{Channel: ch, Cause: CauseError, Err: err, Ended: s.now()})
}

// Submit queues a job for the next idle channel (Job.From's when set) and
// returns its ID. It never waits for the hot path: the job goes through a
// lock-free queue that idle channels poll each tick. It codes the job's
// pages first (about a millisecond of CPU a letter page, in the caller's
// goroutine), in the format the call will most likely send them in.
func (s *Server) Submit(spec Job) (JobID, error) {
	if len(spec.Pages) == 0 {
		return 0, fmt.Errorf("%w: to %s", ErrNoPages, spec.To)
	}
	q := s.queue
	if spec.From != "" {
		c := s.byName[spec.From]
		if c == nil {
			return 0, fmt.Errorf("%w: from %q", ErrNoChannel, spec.From)
		}
		q = c.mine
	}
	// The pages are coded here, in the submitter's goroutine, not in the
	// call's ticks. A page that cannot be coded is left to fail the
	// call, as it would have.
	cfg := s.sendConfig(&spec)
	src := prepare(&cfg, spec.Pages)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return 0, fmt.Errorf("%w: job to %s", ErrStopped, spec.To)
	}
	s.lastID++
	j := &job{id: s.lastID, spec: spec, src: src, done: make(chan struct{}), progress: make(chan struct{}, 1)}
	j.out.Submitted = s.now()
	if !q.Push(j) {
		s.lastID--
		return 0, fmt.Errorf("%w: %d jobs waiting", ErrQueueFull, q.Cap())
	}
	s.jobs[j.id] = j
	return j.id, nil
}

// prepare codes pages for cfg's likely session (t30.LikelyFormat), giving
// way to other goroutines every few dozen rows: the workers' ticks must
// not wait a whole page's coding for a P when their timer fires.
func prepare(cfg *t30.Config, pages []*document.Page) *t30.MemorySource {
	src := &t30.MemorySource{Pages: pages}
	if prepared, err := t30.PrepareAll(cfg, yielding{src}); err == nil {
		src.Prepared = prepared
	}
	return src
}

// yielding is a page source whose rows give way to other goroutines
// every yieldRows rows.
type yielding struct{ *t30.MemorySource }

const yieldRows = 64

func (y yielding) Rows(i int) (t30.RowSource, error) {
	r, err := y.MemorySource.Rows(i)
	if err != nil {
		return nil, err
	}
	return &yieldingRows{r: r}, nil
}

type yieldingRows struct {
	r t30.RowSource
	n int
}

func (y *yieldingRows) ReadRow(row []byte) error {
	if y.n++; y.n%yieldRows == 0 {
		runtime.Gosched()
	}
	return y.r.ReadRow(row)
}

// Result returns a job's outcome, and false while it runs (or for an ID
// the server never gave).
func (s *Server) Result(id JobID) (*Outcome, bool) {
	s.mu.Lock()
	j := s.jobs[id]
	s.mu.Unlock()
	if j == nil {
		return nil, false
	}
	select {
	case <-j.done:
		o := j.out
		return &o, true
	default:
		return nil, false
	}
}

// Wait waits for a job's outcome. The error is ctx's, or ErrUnknownJob;
// how the job went is in the Outcome (Outcome.Err).
func (s *Server) Wait(ctx context.Context, id JobID) (*Outcome, error) {
	s.mu.Lock()
	j := s.jobs[id]
	s.mu.Unlock()
	if j == nil {
		return nil, fmt.Errorf("%w: %d", ErrUnknownJob, id)
	}
	select {
	case <-j.done:
		o := j.out
		return &o, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("media: waiting for job %d: %w", id, ctx.Err())
	}
}

// Progress returns how many of a job's pages the far end has confirmed
// so far, and a channel that receives whenever that count grows (it is
// not closed when the job ends: wait on Wait's too). ok is false for an
// ID the server never gave or forgot.
func (s *Server) Progress(id JobID) (pages int, grew <-chan struct{}, ok bool) {
	s.mu.Lock()
	j := s.jobs[id]
	s.mu.Unlock()
	if j == nil {
		return 0, nil, false
	}
	return int(j.pages.Load()), j.progress, true
}

// Forget drops a finished job's outcome; the server keeps every outcome
// until then. It reports false for a job still running or unknown.
func (s *Server) Forget(id JobID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[id]
	if j == nil || !j.finished.Load() {
		return false
	}
	delete(s.jobs, id)
	return true
}

// Inbox returns what came in on number (a channel's name), oldest first.
func (s *Server) Inbox(number string) []*Received { return s.inbox.get(number) }

// TakeInbox returns number's received faxes and removes them from the
// inbox, as whatever keeps them from then on (the API's encrypted store)
// takes them over; the server then holds no copy.
func (s *Server) TakeInbox(number string) []*Received { return s.inbox.take(number) }

// TakeAllInbox returns every number's received faxes, oldest first, and
// removes them from the inbox (see TakeInbox), with a channel closed at
// the next fax to come in.
func (s *Server) TakeAllInbox() ([]*Received, <-chan struct{}) { return s.inbox.takeAll() }

// WaitInbox waits until number's inbox holds at least n entries and
// returns them.
func (s *Server) WaitInbox(ctx context.Context, number string, n int) ([]*Received, error) {
	for {
		got, changed := s.inbox.getWait(number)
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return got, fmt.Errorf("media: waiting for %d faxes to %s (%d came): %w", n, number, len(got), ctx.Err())
		}
	}
}

// Handler serves the metrics in the Prometheus text format, for the
// caller to mount on a local port (as /metrics). It serves the server's
// own registry, or Config.Registerer when that is a prometheus.Gatherer
// (a *prometheus.Registry), else prometheus.DefaultGatherer.
func (s *Server) Handler() http.Handler { return s.handler }

// Channels returns the names of the server's channels, in the order
// opened.
func (s *Server) Channels() []string {
	out := make([]string, len(s.chans))
	for i, c := range s.chans {
		out[i] = c.name
	}
	return out
}

// Channel returns the open hal.Channel named name, for a tool that wants
// the driver's own accounting (a *sim.Channel's FrameStats); nil when the
// server does not run it. Its owner is the server: call nothing on it that
// changes its state.
func (s *Server) Channel(name string) hal.Channel {
	if c := s.byName[name]; c != nil {
		return c.ch
	}
	return nil
}

// ChannelState returns what channel name is doing.
func (s *Server) ChannelState(name string) (State, bool) {
	c := s.byName[name]
	if c == nil {
		return 0, false
	}
	return c.State(), true
}

// Stats is a snapshot of the server's accounting.
type Stats struct {
	Workers      []sched.WorkerStats // per scheduler worker: ticks, misses, busy time, P50/P99/Max tick time
	States       [numStates]int      // channels in each State
	Queued       int                 // jobs waiting for any idle channel
	NetworkTicks uint64              // ticks the server gave the driver
	NetworkBusy  time.Duration       // time those ticks took (wall)
	NetworkMax   time.Duration       // the longest of them
	Skipped      uint64              // network ticks the clock skipped
}

// Stats returns the server's accounting so far (safe while running).
func (s *Server) Stats() Stats {
	st := Stats{Workers: s.sched.Stats(), Queued: s.queue.Len(), NetworkTicks: s.netTicks.Load(),
		NetworkBusy: time.Duration(s.netBusy.Load()), NetworkMax: time.Duration(s.netMax.Load()), Skipped: s.netSkipped()}
	for _, c := range s.chans {
		st.States[c.State()]++
	}
	return st
}

// callEnded logs a call's end and counts it.
func (s *Server) callEnded(c *channel, cause Cause, res *t30.Result, err error, now time.Time) {
	dir, number := "in", c.name
	pages := 0
	if c.job != nil {
		dir, number = "out", c.job.spec.To
		if res != nil {
			pages = res.PagesSent
		}
	} else if res != nil {
		pages = res.PagesReceived
	}
	outcome := cause.String()
	if cause == CauseNone {
		outcome = "ok"
		if err != nil {
			outcome = "failed"
		}
	}
	s.metrics.calls.WithLabelValues(dir, outcome).Inc()
	s.metrics.pages.WithLabelValues(dir).Add(float64(pages))
	args := []any{"channel", c.name, "direction", dir, "number", number, "outcome", outcome, "pages", pages, "audio", time.Duration(c.ticks) * hal.FrameDuration}
	if c.job != nil {
		args = append(args, "job", c.job.id)
	}
	if res != nil {
		args = append(args, "modem", res.Modem, "rate", res.BitRate, "ecm", res.ECM, "remote", res.RemoteIdent, "code", res.Code.String())
		if res.Cause != "" {
			args = append(args, "cause", res.Cause)
		}
	}
	if err != nil {
		args = append(args, "error", err)
	}
	s.log.Info("call end", args...)
	if res != nil && s.log.IsTrace() {
		for _, e := range res.Trace {
			s.log.Trace("t30", "channel", c.name, "entry", e.String())
		}
	}
}

// inbox keeps the faxes received, by number.
type inbox struct {
	mu      sync.Mutex
	by      map[string][]*Received
	changed chan struct{} // closed and replaced on every add
}

func (b *inbox) init() {
	b.by = map[string][]*Received{}
	b.changed = make(chan struct{})
}

func (b *inbox) add(r *Received) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.by[r.Number] = append(b.by[r.Number], r)
	close(b.changed)
	b.changed = make(chan struct{})
}

func (b *inbox) take(number string) []*Received {
	b.mu.Lock()
	defer b.mu.Unlock()
	got := b.by[number]
	delete(b.by, number)
	return got
}

func (b *inbox) takeAll() ([]*Received, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var got []*Received
	for _, rs := range b.by {
		got = append(got, rs...)
	}
	clear(b.by)
	slices.SortStableFunc(got, func(a, b *Received) int { return a.Ended.Compare(b.Ended) })
	return got, b.changed
}

func (b *inbox) get(number string) []*Received {
	got, _ := b.getWait(number)
	return got
}

func (b *inbox) getWait(number string) ([]*Received, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.by[number]), b.changed
}
