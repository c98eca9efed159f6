package sched

import (
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// countTask finishes after want ticks and checks it is never ticked by two
// workers at once.
type countTask struct {
	want  int
	ticks atomic.Int64
	in    atomic.Bool
	bad   *atomic.Int64
	work  int
}

func (c *countTask) Tick() bool {
	if c.in.Swap(true) {
		c.bad.Add(1)
	}
	x := 0
	for i := range c.work {
		x += i
	}
	_ = x
	n := c.ticks.Add(1)
	c.in.Store(false)
	return int(n) < c.want
}

// TestStress adds and finishes tasks from many goroutines while the
// workers tick every millisecond: every task is ticked exactly as often as
// it asked, never by two workers at once, none is lost.
func TestStress(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"alone", Config{}},
		// Stealing from a tick as soon as it opens, to have tasks
		// change hands all the time.
		{"steal", Config{Steal: true, StealAfter: time.Nanosecond}},
		{"steal polling", Config{Steal: true, StealAfter: time.Nanosecond, Poll: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Workers, cfg.Period, cfg.QueueLen, cfg.Rebalance = 3, time.Millisecond, 256, 0.01
			stress(t, cfg)
		})
	}
}

func stress(t *testing.T, cfg Config) {
	s := New(cfg)
	s.Start()
	var bad atomic.Int64
	var all []*countTask
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 150; i++ {
				c := &countTask{want: 1 + (g*7+i)%25, bad: &bad, work: 200 * (g % 3)}
				for s.Add(c) != nil {
					time.Sleep(100 * time.Microsecond)
				}
				mu.Lock()
				all = append(all, c)
				mu.Unlock()
				if i%10 == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		}(g)
	}
	wg.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for {
		done := 0
		for _, c := range all {
			if int(c.ticks.Load()) >= c.want {
				done++
			}
		}
		if done == len(all) || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.Stop()
	for i, c := range all {
		if got := int(c.ticks.Load()); got != c.want {
			t.Errorf("task %d ticked %d times, want %d", i, got, c.want)
			break
		}
	}
	if bad.Load() != 0 {
		t.Errorf("%d ticks ran concurrently with another of the same task", bad.Load())
	}
	if left := s.Drained(); len(left) != 0 {
		t.Errorf("%d tasks left", len(left))
	}
	var moved, helped, lent uint64
	for _, w := range s.Stats() {
		moved += w.Moved
		helped += w.Stolen
		lent += w.Lent
		if w.Ticks == 0 {
			t.Errorf("worker %d never ticked", w.Worker)
		}
	}
	if helped != lent {
		t.Errorf("%d tasks ticked for other workers, %d lent to them", helped, lent)
	}
	if !cfg.Steal && helped != 0 {
		t.Errorf("%d tasks ticked for other workers without Help", helped)
	}
	t.Logf("%d tasks, %d moved by rebalancing, %d ticked by helpers", len(all), moved, helped)
}

// gapTask counts its ticks and whether two of them ever overlapped; hold, when set, has its tick hold its
// worker for that long, as a host that takes the CPU away does.
type gapTask struct {
	ticks atomic.Int64
	in    atomic.Bool
	bad   *atomic.Int64
	hold  time.Duration
}

func (g *gapTask) Tick() bool {
	if g.in.Swap(true) {
		g.bad.Add(1)
	}
	if g.hold > 0 {
		time.Sleep(g.hold)
	} else {
		for t := time.Now(); time.Since(t) < 20*time.Microsecond; {
		}
	}
	g.ticks.Add(1)
	g.in.Store(false)
	return true
}

// TestSteal: a worker held in one task's tick (it sleeps, as a virtual CPU
// the host takes away stops) has the rest of its shard ticked by the
// other worker, which finished its own: the shard's tick ends with the
// held task, its other tasks ticked once each period, never two at once.
func TestSteal(t *testing.T) {
	const period = 10 * time.Millisecond
	s := New(Config{Workers: 2, Period: period, Steal: true, StealAfter: time.Millisecond, Poll: true, Rebalance: -1})
	var bad atomic.Int64
	var tasks []*gapTask
	for i := range 200 {
		g := &gapTask{bad: &bad}
		if i == 0 {
			g.hold = 3 * time.Millisecond
		}
		tasks = append(tasks, g)
		if err := s.Add(g); err != nil {
			t.Fatal(err)
		}
	}
	s.Start()
	time.Sleep(30 * period)
	s.Stop()
	st := s.Stats()
	var helped, lent uint64
	for _, w := range st {
		helped += w.Stolen
		lent += w.Lent
	}
	if helped == 0 || helped != lent {
		t.Errorf("%d tasks ticked for another worker, %d lent: stats %+v", helped, lent, st)
	}
	if bad.Load() != 0 {
		t.Errorf("%d ticks ran concurrently with another of the same task", bad.Load())
	}
	// No task moved (Rebalance -1) and all were there from the start:
	// each was ticked once in every tick its shard ran, whoever ran it.
	for i, g := range tasks {
		if n := uint64(g.ticks.Load()); n != st[0].Ticks && n != st[1].Ticks {
			t.Errorf("task %d ticked %d times, its shard %d or %d", i, n, st[0].Ticks, st[1].Ticks)
		}
	}
}

// TestMissesCounted: a shard whose ticks overrun the period counts misses.
func TestMissesCounted(t *testing.T) {
	s := New(Config{Workers: 1, Period: time.Millisecond})
	s.Start()
	s.Add(sleeper{})
	time.Sleep(30 * time.Millisecond)
	s.Stop()
	st := s.Stats()[0]
	if st.Misses == 0 || st.P99 < time.Millisecond {
		t.Errorf("stats %+v", st)
	}
}

type sleeper struct{}

func (sleeper) Tick() bool { time.Sleep(2 * time.Millisecond); return true }

func TestPin(t *testing.T) {
	s := New(Config{Workers: 2, Period: time.Millisecond, Pin: true})
	s.Start()
	time.Sleep(10 * time.Millisecond)
	s.Stop()
	for _, w := range s.Stats() {
		if w.CPU < 0 {
			t.Logf("worker %d not pinned (no affinity here?)", w.Worker)
		}
	}
}

func BenchmarkTickOverhead(b *testing.B) {
	// The scheduler's own cost per task and tick, with tasks that do
	// nothing.
	s := New(Config{Workers: 1, Period: 100 * time.Microsecond})
	var tasks []Task
	for range 1000 {
		tasks = append(tasks, noop{})
	}
	w := s.workers[0]
	w.tasks = tasks
	b.ResetTimer()
	for range b.N {
		ts := w.tasks
		for i := 0; i < len(ts); {
			if ts[i].Tick() {
				i++
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(tasks)), "ns/task-tick")
}

type noop struct{}

func (noop) Tick() bool { return true }

// TestRebalance: a shard whose ticks take most of the period gives a tenth
// of its tasks to the coolest shard.
func TestRebalance(t *testing.T) {
	s := New(Config{Workers: 2, Period: time.Millisecond})
	hot, cool := s.workers[0], s.workers[1]
	for range 100 {
		hot.tasks = append(hot.tasks, noop{})
	}
	hot.ewma.Store(int64(800 * time.Microsecond))
	cool.ewma.Store(int64(100 * time.Microsecond))
	hot.rebalance()
	if len(hot.tasks) != 100 {
		t.Fatalf("a shard found hot once gave away %d tasks", 100-len(hot.tasks))
	}
	hot.rebalance()
	if len(hot.tasks) != 90 || hot.moved.Load() != 10 {
		t.Fatalf("hot shard kept %d tasks, moved %d", len(hot.tasks), hot.moved.Load())
	}
	n := 0
	for {
		if _, ok := cool.in.Pop(); !ok {
			break
		}
		n++
	}
	if n != 10 {
		t.Errorf("the cool shard's queue got %d tasks", n)
	}
	// A shard that is busy but not hotter than the others keeps its tasks.
	cool.ewma.Store(int64(700 * time.Microsecond))
	hot.rebalance()
	hot.rebalance()
	if len(hot.tasks) != 90 {
		t.Errorf("moved tasks between equally busy shards")
	}
}

// fakeClock's time moves only when a worker sleeps or a task stalls.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// staller stalls its worker for seven periods on its tenth tick and
// reports the time of its sixtieth, when it finishes.
type staller struct {
	clock  *fakeClock
	period time.Duration
	n      int
	done   chan time.Time
}

func (s *staller) Tick() bool {
	s.n++
	switch s.n {
	case 10:
		s.clock.Sleep(7 * s.period)
	case 60:
		s.done <- s.clock.Now()
		return false
	}
	return true
}

// TestCatchUp: after a stall of seven periods a worker with CatchUp 8 runs
// the missed periods back to back, so its task is ticked as often as the
// periods elapsed; with CatchUp 1 it skips five of them (the sixth and
// seventh are the stalled tick's own and the one it then starts late).
// Both count six misses: with catching up, the stalled tick and the five
// run late after it; skipping, the stalled tick and the five skipped.
func TestCatchUp(t *testing.T) {
	const period = 20 * time.Millisecond
	for _, c := range []struct {
		catchUp, short int
	}{{8, 0}, {0, 5}} {
		clock := &fakeClock{now: time.Unix(1e9, 0)}
		s := New(Config{Workers: 1, Period: period, CatchUp: c.catchUp, Clock: clock})
		task := &staller{clock: clock, period: period, done: make(chan time.Time, 1)}
		s.Add(task)
		start := clock.Now()
		s.Start()
		var end time.Time
		select {
		case end = <-task.done:
		case <-time.After(10 * time.Second):
			t.Fatalf("CatchUp %d: the task was not ticked 60 times", c.catchUp)
		}
		s.Stop()
		// The tick due at end (ticks start a twentieth of the period
		// early).
		due := int(end.Sub(start)+period/20)/int(period) + 1
		st := s.Stats()[0]
		if due-task.n != c.short || st.Misses != 6 {
			t.Errorf("CatchUp %d: %d ticks by the %dth period, want %d short; %d misses, want 6",
				c.catchUp, task.n, due, c.short, st.Misses)
		}
	}
}

// TestTickHistogram: quantiles of a snapshot difference cover only the
// ticks between the snapshots.
func TestTickHistogram(t *testing.T) {
	var h histogram
	for range 100 {
		h.add(10 * time.Microsecond)
	}
	before := h.snapshot()
	for range 99 {
		h.add(5 * time.Millisecond)
	}
	h.add(15 * time.Millisecond)
	win := h.snapshot().Sub(before)
	if q := win.Quantile(0.5); q < 5*time.Millisecond || q > 6*time.Millisecond {
		t.Fatalf("window median %v, want 5 ms (to a quarter octave)", q)
	}
	if q := win.Quantile(0.999); q < 15*time.Millisecond || q > 18*time.Millisecond {
		t.Fatalf("window top %v, want 15 ms", q)
	}
	if q := h.snapshot().Quantile(0.25); q > 12*time.Microsecond {
		t.Fatalf("whole median %v, want 10 µs", q)
	}
	if q := (TickHistogram{}).Quantile(0.5); q != 0 {
		t.Fatalf("empty: %v", q)
	}
}

func TestProcs(t *testing.T) {
	if got := Procs(2); got != 3 {
		t.Errorf("Procs(2) = %d", got)
	}
	if got := Procs(0); got != runtime.NumCPU()+1 {
		t.Errorf("Procs(0) = %d", got)
	}
}

// TestPoll: workers that poll the clock tick on time, yield to other
// threads (a goroutine that needs a CPU still runs while both poll),
// count the CPU the polling took, and stop at once.
func TestPoll(t *testing.T) {
	const period = 2 * time.Millisecond
	s := New(Config{Workers: 2, Period: period, Poll: true})
	var bad atomic.Int64
	tasks := []*countTask{{want: 1 << 30, bad: &bad}, {want: 1 << 30, bad: &bad}}
	for _, c := range tasks {
		if err := s.Add(c); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	s.Start()
	// Work beside the polling workers: with GOMAXPROCS at its default
	// (one P a CPU, both held by the workers' goroutines) it gets a P only
	// when the runtime preempts one; its thread then needs the CPU a
	// worker polls on.
	done := make(chan int)
	go func() {
		x := 0
		for i := range 50_000_000 {
			x += i & 3
		}
		done <- x
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Error("a goroutine beside two polling workers did not finish in 10 s")
	}
	time.Sleep(20 * period)
	t0 := time.Now()
	s.Stop()
	if d := time.Since(t0); d > time.Second {
		t.Errorf("Stop took %v", d)
	}
	elapsed := time.Since(start)
	var polled time.Duration
	for _, st := range s.Stats() {
		polled += st.Polled
	}
	// Never more ticks than periods; fewer on a loaded machine (a
	// skipped period, the race detector's cost), so only a floor far
	// below.
	n := tasks[0].ticks.Load() + tasks[1].ticks.Load()
	if want := 2 * int64(elapsed/period); n < want/10 || n > want+4 {
		t.Errorf("%d ticks in %v at %v a period (2 workers), want about %d", n, elapsed, period, want)
	}
	if polled <= 0 {
		t.Errorf("polled %v, want the CPU time of the polling", polled)
	}
	if bad.Load() != 0 {
		t.Error("a task was ticked by two workers at once")
	}
}

// niceTask reads its thread's nice value from inside its tick.
type niceTask struct {
	got  chan int
	sent bool
}

func (n *niceTask) Tick() bool {
	if !n.sent {
		n.sent = true
		// The raw system call returns 20 minus the nice value.
		p, err := unix.Getpriority(unix.PRIO_PROCESS, unix.Gettid())
		if err != nil {
			p = 100
		}
		n.got <- 20 - p
	}
	return true
}

// TestNice: a worker's thread takes Config.Nice (a positive one needs no
// privilege); the test's own thread keeps its own.
func TestNice(t *testing.T) {
	before, err := unix.Getpriority(unix.PRIO_PROCESS, unix.Gettid())
	if err != nil {
		t.Skip("no getpriority here:", err)
	}
	s := New(Config{Workers: 1, Period: time.Millisecond, Nice: 7})
	task := &niceTask{got: make(chan int, 1)}
	s.Add(task)
	s.Start()
	defer s.Stop()
	select {
	case n := <-task.got:
		if n != 7 {
			t.Errorf("the worker's thread has nice %d, want 7", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no tick")
	}
	if err := s.Stats()[0].NiceErr; err != nil {
		t.Errorf("NiceErr %v", err)
	}
	if after, _ := unix.Getpriority(unix.PRIO_PROCESS, unix.Gettid()); after != before {
		t.Errorf("the test's thread went from %d to %d", before, after)
	}
}

// blocker blocks its worker's thread (a real sleep parks a thread locked
// to its goroutine) on its fifth and eighth ticks, the eighth also
// running two periods over on the fake clock, and ends on its twelfth.
type blocker struct {
	clock  *fakeClock
	period time.Duration
	n      int
	done   chan struct{}
	err    error
}

func (b *blocker) Tick() bool {
	b.n++
	switch b.n {
	case 5:
		time.Sleep(2 * time.Millisecond)
	case 8:
		time.Sleep(2 * time.Millisecond)
		b.faultPages(64)
		b.clock.Sleep(2 * b.period)
	case 12:
		close(b.done)
		return false
	}
	return true
}

// faultPages maps n fresh pages and touches each, a page fault apiece.
func (b *blocker) faultPages(n int) {
	size := n * os.Getpagesize()
	m, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		b.err = err
		return
	}
	for i := 0; i < size; i += os.Getpagesize() {
		m[i] = 1
	}
	b.err = unix.Munmap(m)
}

func (b *blocker) String() string { return "blocker" }

// quick is a named task that takes no time.
type quick struct{}

func (quick) Tick() bool     { return true }
func (quick) String() string { return "quick" }

// TestSwitchesCounted: the ticks in which the worker's thread blocked are
// counted, and the miss among them; the faults a missing tick took are
// counted as its; timed (TimeTasks), the task that slept is the slowest,
// of the run and of the missing tick.
func TestSwitchesCounted(t *testing.T) {
	const period = 20 * time.Millisecond
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	s := New(Config{Workers: 1, Period: period, CatchUp: 8, Clock: clock, TimeTasks: true})
	task := &blocker{clock: clock, period: period, done: make(chan struct{})}
	s.Add(quick{})
	s.Add(task)
	s.Start()
	select {
	case <-task.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the task was not ticked 12 times")
	}
	s.Stop()
	st := s.Stats()[0]
	sw := st.Switches
	if sw.Blocked < 2 || sw.MissBlocked < 1 || sw.MissBlocked > st.Misses || sw.MissPreempted > st.Misses || sw.Preempted > st.Ticks {
		t.Errorf("%d ticks, %d misses: blocked %d (%d missed), preempted %d (%d missed)",
			st.Ticks, st.Misses, sw.Blocked, sw.MissBlocked, sw.Preempted, sw.MissPreempted)
	}
	if task.err != nil {
		t.Fatal(task.err)
	}
	if st.SlowTask.Task != "blocker" || st.SlowTask.D < 2*time.Millisecond || st.MissSlowTask.Task != "blocker" || st.MissSlowTask.D < 2*time.Millisecond {
		t.Errorf("slowest task %+v, in a missing tick %+v", st.SlowTask, st.MissSlowTask)
	}
	if sw.MissFaulted < 1 || sw.MissFaults < 64 || sw.Faults < sw.MissFaults || sw.Faulted < sw.MissFaulted || sw.MissFaulted > st.Misses {
		t.Errorf("%d misses: %d ticks faulted (%d faults), %d missing (%d faults, %v system time)",
			st.Misses, sw.Faulted, sw.Faults, sw.MissFaulted, sw.MissFaults, sw.MissSys)
	}
}

// TestStealAfter: no task is stolen from a tick younger than StealAfter,
// however long the other worker has nothing to do.
func TestStealAfter(t *testing.T) {
	s := New(Config{Workers: 2, Period: 2 * time.Millisecond, Steal: true, StealAfter: time.Hour, Poll: true})
	var bad atomic.Int64
	for range 100 {
		if err := s.Add(&gapTask{bad: &bad}); err != nil {
			t.Fatal(err)
		}
	}
	s.Start()
	time.Sleep(40 * time.Millisecond)
	s.Stop()
	for _, w := range s.Stats() {
		if w.Stolen != 0 || w.Lent != 0 {
			t.Errorf("worker %d stole %d tasks and lent %d from ticks under an hour old", w.Worker, w.Stolen, w.Lent)
		}
	}
}
