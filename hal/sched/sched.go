// Package sched runs the media server's 20 ms hot path: one worker per
// core, each locked to its OS thread and, when asked, pinned to a CPU, each
// owning a shard of tasks (channels) that it ticks every period with no
// lock. Tasks enter a shard through a bounded lock-free queue (many
// producers, the worker the only consumer); a task leaves when its Tick
// says it is finished, or moves to a cooler shard when its worker runs hot.
// Every tick is timed: the processing time goes into a histogram, and a
// tick that ends after its deadline, the end of its period, counts as a
// miss (whether it ran long or started late). Between ticks a worker
// sleeps, or with Config.Poll keeps its core polling the clock; while a
// task ticks, the next one's state is prefetched (dsp/prefetch). With
// Config.Steal, a worker done with its own tick takes batches of tasks
// from another's tick that has run late (the host slowed or held that
// core), by compare-and-swap on the tick's cursor.
//
// The queue is hal/internal/ring's (Vyukov's bounded MPMC queue, with a
// sequence number per slot), shared with hal/media's job queue.
package sched

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/faxd/faxd/dsp/prefetch"
	"github.com/faxd/faxd/hal/internal/ring"
)

// A Task is one channel's work, ticked once a period by the worker that
// owns it, always from the same goroutine while it stays in that shard;
// with Config.Steal, another worker may tick it for its owner. Either way
// a task's ticks never overlap, and each happens after the one before it
// (in the Go memory model's sense): a task needs no lock of its own.
// A Task that is also a prefetch.Prefetcher is asked to prefetch its state
// while the task before it in the shard ticks.
type Task interface {
	// Tick does one period's work. It reports false when the task is
	// finished; it then leaves the scheduler.
	Tick() bool
}

// Config sets a Scheduler up. The zero value is one worker per CPU, 20 ms
// ticks, no pinning.
type Config struct {
	Workers  int           // 0: runtime.NumCPU()
	Period   time.Duration // 0: 20 ms
	Pin      bool          // pin worker i to CPU i (mod the CPUs the process may use)
	QueueLen int           // tasks waiting to enter a shard; rounded up to a power of two; 0: 4096
	// CatchUp is how many periods a worker that fell behind (the machine
	// stalled) may run back to back to catch up; further behind, it skips
	// the missed periods (counted as misses). Catching up keeps a task's
	// ticks in step with a clock outside (a card's, a network's), whose
	// buffers hold the frames a stall left waiting; skipping loses them.
	// 0 means 1.
	CatchUp int
	// Rebalance moves tasks from a shard whose ticks take more than this
	// share of the period, and more than one and a half times the coolest
	// shard's, to the coolest; 0 means 0.5, negative never. A tick's
	// weight is its thread's CPU time averaged over some 128 ticks, and a
	// shard must be found so at two checks 50 ticks apart.
	Rebalance float64
	// Poll has a worker wait for its next tick by polling the clock
	// rather than sleeping, keeping its core busy all the time, as the
	// poll-mode drivers of DPDK and media servers given dedicated cores
	// do. A core left idle between ticks goes to other work (another
	// thread, another tenant of the machine), and the next tick finds
	// its caches and predictors cold: on this project's 2-core VM a
	// paced call's blocks took 10-45% more CPU sleeping between ticks
	// than polling (bench's BareOptions.Poll), and at 2000 calls the
	// server's median tick went from 11.6 to 9.7 ms. The price is a core
	// per worker at 100% whatever the load; WorkerStats.Polled tells the
	// CPU spent waiting so.
	Poll bool
	// Nice, when not 0, sets the workers' threads' nice value (-20 to
	// 19; below 0 needs CAP_SYS_NICE or RLIMIT_NICE). Everything else
	// the process runs (the network's tick, page coding for new jobs,
	// the collector, the API) shares the CPUs with the workers; a worker
	// at -10 weighs nine times a normal thread and at -20 some 87 times,
	// so those threads take little of a tick's time and run in the
	// workers' slack instead (when a worker sleeps or, polling, yields).
	// At 2000 calls on two cores, polling, faxbench server's window
	// missed 0-3 deadlines at -20 (six runs, three with none; then, with
	// less CPU around the workers, none in seven runs of nine and 2 and
	// 1 in the others), 0-17 at -10 (seven) and 5-12 at 0 (six). Unlike
	// a real-time class (SCHED_FIFO, which starved the runtime's threads
	// that the workers themselves need), a nice worker never shuts the
	// others out.
	// WorkerStats.NiceErr tells a worker that could not have it.
	Nice int
	// TimeTasks has a worker time each task's Tick, keeping the slowest
	// of the run and the slowest of each tick that missed (WorkerStats's
	// SlowTask and MissSlowTask): a miss one task caused (a moment of
	// a call that costs milliseconds) tells itself from one spread over
	// the shard (the machine slowed). It reads the clock twice a task, a
	// few tens of nanoseconds each, and the thread's CPU time twice (a
	// system call each): at 2000 calls on two cores the server's CPU per
	// call-second rose a fifth. A diagnosis, not for production; not
	// with Steal (a shared tick is timed as a whole).
	TimeTasks bool
	// Steal lets a worker that finished its own tick tick the tasks of
	// another shard whose tick is still under way: a shard's tick is open
	// to every worker, each taking StealBatch tasks at a time from its
	// cursor (one compare-and-swap a batch), and the owner ends its tick
	// when every task is ticked. A worker whose CPU the host holds or
	// slows down for a few milliseconds (on a virtual machine it happens
	// with nothing else running: see faxbench host) has the rest of its
	// tick taken by the others, as a work-stealing pool does, instead of
	// missing its deadline. A worker steals only from a tick that has
	// run StealAfter: a worker that steals is itself a worker the host
	// may hold, and the owner of the tasks it took waits for them, so
	// tasks are better left with their owner while it is on time. A
	// polling worker (Poll) steals whenever a tick is open so until its
	// own tick is due; a sleeping one only right after its own tick.
	// Each shard stays its owner's: tasks enter, leave and move only
	// through it.
	Steal bool
	// StealAfter is how long a tick runs before the other workers may
	// steal from it (Steal); 0 means half the period.
	StealAfter time.Duration
	// Clock is the time the workers tick by; nil is the system's
	// monotonic clock. Tests give a fake one so that stalls and catching
	// up are counted without sleeping. A worker that polls (Poll) polls
	// the system's clock, whatever Clock is.
	Clock Clock
}

// A Clock tells the time and waits. The scheduler calls it from its
// workers' goroutines, a few times a tick.
type Clock interface {
	Now() time.Time
	Sleep(d time.Duration)
}

// systemClock is the system's monotonic clock.
type systemClock struct{}

func (systemClock) Now() time.Time        { return time.Now() }
func (systemClock) Sleep(d time.Duration) { time.Sleep(d) }

// Errors.
var (
	ErrStopped = errors.New("sched: scheduler stopped")
	ErrFull    = errors.New("sched: entry queue full")
)

// A Scheduler owns the workers.
type Scheduler struct {
	cfg     Config
	workers []*worker
	stop    atomic.Bool
	wg      sync.WaitGroup
	started atomic.Bool
	next    atomic.Uint32 // round robin start for Add
}

// New returns a scheduler; Start sets it going.
func New(cfg Config) *Scheduler {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.NumCPU()
	}
	if cfg.Period <= 0 {
		cfg.Period = 20 * time.Millisecond
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = 4096
	}
	if cfg.CatchUp <= 0 {
		cfg.CatchUp = 1
	}
	if cfg.Rebalance == 0 {
		cfg.Rebalance = 0.5
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	if cfg.StealAfter <= 0 {
		cfg.StealAfter = cfg.Period / 2
	}
	s := &Scheduler{cfg: cfg}
	for i := range cfg.Workers {
		s.workers = append(s.workers, &worker{id: i, s: s, in: ring.New[Task](cfg.QueueLen)})
	}
	return s
}

// Start starts the workers and returns when each has its thread set up.
func (s *Scheduler) Start() {
	if s.started.Swap(true) {
		return
	}
	// The workers' grids are spread over the first half of the period
	// (the media server's network clock ticks at its middle): timers that
	// fire together are handed to their locked threads one after the
	// other, and the second came about 3 ms late.
	start := s.cfg.Clock.Now()
	n := time.Duration(len(s.workers))
	var ready sync.WaitGroup
	for i, w := range s.workers {
		s.wg.Add(1)
		ready.Add(1)
		go w.run(start.Add(time.Duration(i)*s.cfg.Period/(2*n)), &ready)
	}
	// Each worker has its thread set up (locked, pinned, its nice value
	// set or NiceErr told) when Start returns.
	ready.Wait()
}

// Add gives t to the least loaded worker (by tasks, then by tick time),
// through its lock-free entry queue. It is safe from any goroutine.
func (s *Scheduler) Add(t Task) error {
	if s.stop.Load() {
		return ErrStopped
	}
	n := len(s.workers)
	first := int(s.next.Add(1)) % n
	best := s.workers[first]
	for k := 1; k < n; k++ {
		w := s.workers[(first+k)%n]
		if w.load() < best.load() {
			best = w
		}
	}
	if !best.in.Push(t) {
		// That queue is full: any other with room will do.
		for _, w := range s.workers {
			if w.in.Push(t) {
				w.pending.Add(1)
				return nil
			}
		}
		return fmt.Errorf("%w: %d tasks waiting", ErrFull, s.cfg.QueueLen)
	}
	best.pending.Add(1)
	return nil
}

// Stop stops the workers after their current tick and waits for them. The
// tasks still in the shards are not ticked again; Drained returns them, so
// a server can end their calls cleanly.
func (s *Scheduler) Stop() {
	s.stop.Store(true)
	s.wg.Wait()
}

// Drained returns, after Stop, the tasks that were still running or
// waiting to enter a shard.
func (s *Scheduler) Drained() []Task {
	var out []Task
	for _, w := range s.workers {
		out = append(out, w.tasks...)
		for {
			t, ok := w.in.Pop()
			if !ok {
				break
			}
			out = append(out, t)
		}
	}
	return out
}

// WorkerStats is one worker's accounting.
type WorkerStats struct {
	Worker, CPU   int
	Tasks         int           // in the shard now
	Ticks, Misses uint64        // periods run, and those that ended after their period (or were skipped)
	Busy          time.Duration // time spent ticking tasks
	Polled        time.Duration // CPU time spent polling the clock between ticks (Config.Poll)
	Moved         uint64        // tasks given to other shards by rebalancing
	// Config.Steal: Stolen counts the tasks of other shards this worker
	// ticked, StealCPU the CPU time it took (not in Busy nor Polled),
	// and Lent the tasks of this shard other workers ticked.
	Stolen, Lent  uint64
	StealCPU      time.Duration
	TaskTicks     uint64        // tasks ticked in this shard's ticks, by whichever worker
	NiceErr       error         // why Config.Nice could not be set, if it could not
	P50, P99, Max time.Duration // tick processing time
	Hist          TickHistogram // all tick processing times so far
	// CPUHist is the ticks' CPU time, the worker's thread's: a tick
	// whose wall time is well above it waited for its CPU while other
	// threads (or the host) ran.
	CPUHist TickHistogram
	// Switches counts the ticks in which the worker's thread blocked or
	// was switched out, and the misses among them.
	Switches Switches
	// SlowTask is the longest a task's Tick took (Config.TimeTasks), and
	// MissSlowTask the longest among the ticks that missed: the task in
	// the missing tick that took the longest. Zero without TimeTasks.
	SlowTask, MissSlowTask TaskTime
}

// A TaskTime is how long a task's Tick took, the CPU time its thread
// ran for meanwhile (well under D: the thread waited for its CPU), and
// the task: its String when it has one (fmt.Stringer), taken when the
// time was recorded.
type TaskTime struct {
	D    time.Duration `json:"d"`
	CPU  time.Duration `json:"cpu"`
	Task string        `json:"task,omitempty"`
}

// Switches counts ticks by what happened to the worker's thread during
// them: Blocked, a voluntary context switch (in a worker, the Go runtime
// parking the thread while it preempts the goroutine locked to it), and
// Preempted, an involuntary one (the kernel gave its CPU to another
// thread); MissBlocked and MissPreempted are the misses among them. A host
// that stops the whole virtual CPU shows in neither. Faulted counts the
// ticks in which the thread took page faults (minor or major: memory
// touched for the first time, or given back to the kernel and touched
// again), Faults those faults; MissFaulted and MissFaults are the same
// for the misses, and MissSys the system CPU time the missing ticks
// took (page faults, system calls): a tick that ran long in the kernel
// tells a memory event from one whose own work took long.
type Switches struct {
	Blocked       uint64        `json:"blocked"`
	Preempted     uint64        `json:"preempted"`
	MissBlocked   uint64        `json:"miss_blocked"`
	MissPreempted uint64        `json:"miss_preempted"`
	Faulted       uint64        `json:"faulted"`
	Faults        uint64        `json:"faults"`
	MissFaulted   uint64        `json:"miss_faulted"`
	MissFaults    uint64        `json:"miss_faults"`
	MissSys       time.Duration `json:"miss_sys"`
}

// Add returns the counts of s and o together.
func (s Switches) Add(o Switches) Switches {
	return Switches{s.Blocked + o.Blocked, s.Preempted + o.Preempted, s.MissBlocked + o.MissBlocked, s.MissPreempted + o.MissPreempted,
		s.Faulted + o.Faulted, s.Faults + o.Faults, s.MissFaulted + o.MissFaulted, s.MissFaults + o.MissFaults, s.MissSys + o.MissSys}
}

// Sub returns the counts of s since earlier, a snapshot of the same
// worker's.
func (s Switches) Sub(earlier Switches) Switches {
	return Switches{s.Blocked - earlier.Blocked, s.Preempted - earlier.Preempted, s.MissBlocked - earlier.MissBlocked, s.MissPreempted - earlier.MissPreempted,
		s.Faulted - earlier.Faulted, s.Faults - earlier.Faults, s.MissFaulted - earlier.MissFaulted, s.MissFaults - earlier.MissFaults, s.MissSys - earlier.MissSys}
}

// Stats returns each worker's accounting so far (safe while running).
func (s *Scheduler) Stats() []WorkerStats {
	out := make([]WorkerStats, len(s.workers))
	for i, w := range s.workers {
		out[i] = WorkerStats{
			Worker: i, CPU: int(w.cpu.Load()), Tasks: int(w.ntasks.Load()),
			Ticks: w.ticks.Load(), Misses: w.misses.Load(), Busy: time.Duration(w.busy.Load()),
			Polled: time.Duration(w.polled.Load()),
			Moved:  w.moved.Load(), Max: time.Duration(w.max.Load()),
			Stolen: w.stolen.Load(), Lent: w.lent.Load(), TaskTicks: w.taskTicks.Load(), StealCPU: time.Duration(w.stealCPU.Load()),
			Hist: w.hist.snapshot(), CPUHist: w.cpuHist.snapshot(),
			Switches: Switches{Blocked: w.blocked.Load(), Preempted: w.preempted.Load(),
				MissBlocked: w.missBlocked.Load(), MissPreempted: w.missPreempted.Load(),
				Faulted: w.faulted.Load(), Faults: w.faults.Load(), MissFaulted: w.missFaulted.Load(),
				MissFaults: w.missFaults.Load(), MissSys: time.Duration(w.missSys.Load())},
		}
		if t := w.slowTask.Load(); t != nil {
			out[i].SlowTask = *t
		}
		if t := w.missSlowTask.Load(); t != nil {
			out[i].MissSlowTask = *t
		}
		out[i].P50, out[i].P99 = out[i].Hist.Quantile(0.5), out[i].Hist.Quantile(0.99)
		if err := w.niceErr.Load(); err != nil {
			out[i].NiceErr = *err
		}
	}
	return out
}

// worker runs one shard.
type worker struct {
	id      int
	s       *Scheduler
	in      *ring.Queue[Task]
	tasks   []Task                // owned by the worker's goroutine
	hot     int                   // rebalance checks in a row that found the shard hot
	niceErr atomic.Pointer[error] // why Config.Nice was not set

	pending atomic.Int64 // tasks queued to enter, for load estimates
	ntasks  atomic.Int64
	ewma    atomic.Int64 // recent ticks' CPU time (the thread's), ns
	cpu     atomic.Int32
	ticks   atomic.Uint64
	misses  atomic.Uint64
	busy    atomic.Int64
	polled  atomic.Int64
	moved   atomic.Uint64
	max     atomic.Int64
	hist    histogram
	cpuHist histogram

	blocked, preempted, missBlocked, missPreempted atomic.Uint64
	faulted, faults, missFaulted, missFaults       atomic.Uint64
	missSys                                        atomic.Int64
	// Config.TimeTasks: the slowest task of the run and of the missing
	// ticks.
	slowTask, missSlowTask atomic.Pointer[TaskTime]

	// Config.Steal: the current tick's tasks, open to every worker.
	// cursor packs the tick's generation, its task count and the next
	// task to take (see claim); tickTasks and dead are written by the
	// owner before it publishes a tick in cursor, and read by a helper
	// only after it took a batch of that tick, which the owner waits
	// for (done) before it touches them again.
	cursor    atomic.Uint64
	started   atomic.Int64 // when the current tick was opened, Unix ns of the Clock
	done      atomic.Int64 // tasks of the current tick other workers ticked
	gen       uint64       // the owner's tick generation
	tickTasks []Task
	dead      []bool // by index in tickTasks: Tick reported false
	stolen    atomic.Uint64
	lent      atomic.Uint64
	taskTicks atomic.Uint64
	stealCPU  atomic.Int64
}

// StealBatch is how many tasks a worker takes at a time from a shard's
// tick under Config.Steal: a compare-and-swap for some 40 µs of work at
// 2000 channels a shard, and no more than that left waiting when the
// host holds the worker that took them.
const StealBatch = 8

// spinWait is how long an owner waits for the batches helpers took
// spinning before it yields its CPU while waiting: some five batches.
const spinWait = 200 * time.Microsecond

// The cursor of a shard's tick under Config.Steal: the tick's generation
// (so that a helper that read the cursor of a tick now over cannot take
// tasks of the next with it), its task count and the next task to take,
// in one word so that one compare-and-swap takes a batch.
const (
	idxBits  = 22
	idxMask  = 1<<idxBits - 1
	genShift = 2 * idxBits
	// MaxStealShard is the most tasks a shard may hold for its ticks to
	// be shared; a bigger shard ticks alone.
	MaxStealShard = idxMask
)

// claim takes the next batch of w's current tick: tasks [lo, hi) of its
// tickTasks; ok is false when none is left.
func (w *worker) claim() (lo, hi int, ok bool) {
	for {
		c := w.cursor.Load()
		next, end := int(c&idxMask), int(c>>idxBits&idxMask)
		if next >= end {
			return 0, 0, false
		}
		hi := min(next+StealBatch, end)
		if w.cursor.CompareAndSwap(c, c&^idxMask|uint64(hi)) {
			return next, hi, true
		}
	}
}

// open reports whether w's current tick has tasks left to take.
func (w *worker) open() bool {
	c := w.cursor.Load()
	return c&idxMask < c>>idxBits&idxMask
}

// tickAlone runs a tick of tasks on the worker's own and returns the
// shard left, the finished tasks dropped, and with timeTasks the slowest
// task and its time.
func tickAlone(tasks []Task, timeTasks bool) (_ []Task, slow TaskTime, slowTask Task) {
	for i := 0; i < len(tasks); {
		// The next task's state is fetched while this one runs
		// (Prefetcher): a shard's thousands of channels do not fit
		// the caches, and each finds its state gone cold.
		if i+1 < len(tasks) {
			if p, ok := tasks[i+1].(prefetch.Prefetcher); ok {
				p.Prefetch()
			}
		}
		var alive bool
		if timeTasks {
			t, c := time.Now(), ThreadCPU()
			alive = tasks[i].Tick()
			if d := time.Since(t); d > slow.D {
				slow, slowTask = TaskTime{D: d, CPU: ThreadCPU() - c}, tasks[i]
			}
		} else {
			alive = tasks[i].Tick()
		}
		if alive {
			i++
			continue
		}
		last := len(tasks) - 1
		tasks[i], tasks[last] = tasks[last], nil
		tasks = tasks[:last]
	}
	return tasks, slow, slowTask
}

// tickBatch ticks tasks [lo, hi) of a shard's tick, marking in dead
// those that finished, with the next task's state prefetched.
func tickBatch(tasks []Task, dead []bool, lo, hi int) {
	for i := lo; i < hi; i++ {
		if i+1 < len(tasks) {
			if p, ok := tasks[i+1].(prefetch.Prefetcher); ok {
				p.Prefetch()
			}
		}
		if !tasks[i].Tick() {
			dead[i] = true
		}
	}
}

// tickShared runs a tick of tasks open to the other workers (Config.Steal)
// and returns the shard left, the finished tasks dropped. The owner takes
// batches like any helper, then waits for the batches others took.
func (w *worker) tickShared(tasks []Task) []Task {
	n := len(tasks)
	if cap(w.dead) < n {
		w.dead = make([]bool, n, n+n/4)
	}
	dead := w.dead[:n]
	clear(dead)
	w.tickTasks, w.dead = tasks, dead
	w.done.Store(0)
	w.started.Store(w.s.cfg.Clock.Now().UnixNano())
	w.gen++
	w.cursor.Store(w.gen<<genShift | uint64(n)<<idxBits)
	own := 0
	for {
		lo, hi, ok := w.claim()
		if !ok {
			break
		}
		tickBatch(tasks, dead, lo, hi)
		own += hi - lo
	}
	if lent := int64(n - own); lent > 0 {
		// A helper is at most a batch from done: spin. Yielding the
		// CPU here would hand it to whatever else is runnable for up
		// to a slice of the kernel's, the tick waiting meanwhile; only
		// a helper that seems held itself (the host took its CPU, the
		// kernel or the Go runtime switched it out) is waited for so.
		spun := time.Now()
		for i := 0; w.done.Load() < lent; i++ {
			if i&63 == 63 && time.Since(spun) > spinWait {
				unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
			}
		}
		w.lent.Add(uint64(lent))
	}
	w.tickTasks = nil
	for i := 0; i < len(tasks); {
		if !dead[i] {
			i++
			continue
		}
		last := len(tasks) - 1
		tasks[i], dead[i] = tasks[last], dead[last]
		tasks[last] = nil
		tasks, dead = tasks[:last], dead[:last]
	}
	return tasks
}

// help ticks batches of the other shards' ticks until none has tasks
// left or until is reached (the helper's own tick is due), and reports
// whether it ticked any.
func (w *worker) help(until time.Time) bool {
	did := false
	for _, o := range w.s.workers {
		if o == w {
			continue
		}
		for o.open() {
			now := w.s.cfg.Clock.Now()
			if !now.Before(until) || now.UnixNano()-o.started.Load() < int64(w.s.cfg.StealAfter) {
				break
			}
			lo, hi, ok := o.claim()
			if !ok {
				break
			}
			// The claim's compare-and-swap read the cursor o stored
			// after it set tickTasks and dead for this tick, and o
			// waits for done before it sets them again.
			tickBatch(o.tickTasks, o.dead, lo, hi)
			o.done.Add(int64(hi - lo))
			w.stolen.Add(uint64(hi - lo))
			did = true
		}
	}
	return did
}

// steal helps the other shards until until (see help), counting the CPU
// time it took in StealCPU, and returns that time.
func (w *worker) steal(until time.Time) time.Duration {
	c := ThreadCPU()
	if !w.help(until) {
		return 0
	}
	d := ThreadCPU() - c
	w.stealCPU.Add(int64(d))
	return d
}

// wait waits for until, the worker's next tick, polling (Config.Poll)
// and, with Config.Steal, helping the other shards meanwhile.
func (w *worker) wait(until time.Time) {
	if !w.s.cfg.Steal {
		w.poll(until)
		return
	}
	c0 := ThreadCPU()
	var stole time.Duration
	for time.Now().Before(until) && !w.s.stop.Load() {
		if w.helpable() {
			stole += w.steal(until)
			continue
		}
		unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
	}
	w.polled.Add(int64(ThreadCPU() - c0 - stole))
}

// helpable reports whether another shard's tick has tasks left and has
// run long enough to be stolen from (Config.StealAfter).
func (w *worker) helpable() bool {
	var now int64
	for _, o := range w.s.workers {
		if o != w && o.open() {
			if now == 0 {
				now = w.s.cfg.Clock.Now().UnixNano()
			}
			if now-o.started.Load() >= int64(w.s.cfg.StealAfter) {
				return true
			}
		}
	}
	return false
}

// load orders workers for Add: tasks held and queued, weighted by how
// long this shard's ticks have run lately.
func (w *worker) load() int64 {
	return w.ntasks.Load() + w.pending.Load() + w.ewma.Load()/int64(time.Millisecond)
}

func (w *worker) run(start time.Time, ready *sync.WaitGroup) {
	defer w.s.wg.Done()
	// The thread is left locked when the worker ends: a pinned thread
	// must not go back to the runtime's pool to run other goroutines; the
	// runtime ends a thread whose goroutine exits locked to it.
	runtime.LockOSThread()
	w.cpu.Store(-1)
	if w.s.cfg.Pin {
		w.pin()
	}
	if n := w.s.cfg.Nice; n != 0 {
		// PRIO_PROCESS with a thread's ID sets that thread's nice
		// value alone (Linux's threads are processes to setpriority).
		if err := unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), n); err != nil {
			err = fmt.Errorf("sched: worker %d: nice %d: %w", w.id, n, err)
			w.niceErr.Store(&err)
		}
	}
	ready.Done()
	clock := w.s.cfg.Clock
	_, system := clock.(systemClock)
	poll := w.s.cfg.Poll && system
	help := w.s.cfg.Steal && len(w.s.workers) > 1
	timeTasks := w.s.cfg.TimeTasks && !help
	period := w.s.cfg.Period
	next := start
	for n := 0; !w.s.stop.Load(); n++ {
		// Wait for this tick's start.
		// Woken from a timer, a thread locked to its goroutine comes
		// about a millisecond late (the runtime hands its P back through
		// another thread): ask for a twentieth of the period early. The
		// frames a tick reads are there by then (the network moves them
		// at mid-period); the deadline stays the period's end.
		if poll {
			w.wait(next.Add(-period / 20))
		} else {
			if help {
				w.steal(next.Add(-period / 20))
			}
			if d := next.Sub(clock.Now()) - period/20; d > 0 {
				clock.Sleep(d)
			}
		}
		t0, c0, sw0 := clock.Now(), ThreadCPU(), threadSwitches()
		// New tasks join the shard.
		for {
			t, ok := w.in.Pop()
			if !ok {
				break
			}
			w.pending.Add(-1)
			w.tasks = append(w.tasks, t)
		}
		// The hot path: tick every task, dropping the finished ones.
		tasks := w.tasks
		w.taskTicks.Add(uint64(len(tasks)))
		var slow TaskTime
		var slowTask Task
		if help && len(tasks) <= MaxStealShard {
			tasks = w.tickShared(tasks)
		} else {
			tasks, slow, slowTask = tickAlone(tasks, timeTasks)
		}
		w.tasks = tasks
		w.ntasks.Store(int64(len(tasks)))
		// A tick's deadline is the end of its period: the frames it
		// reads arrived by its start and the frames it writes must be
		// there before the next period's are due. Starting late (the OS
		// or the machine held the thread) is a miss only when the tick
		// then ends after its deadline.
		d := clock.Now().Sub(t0)
		sw := threadSwitches()
		miss := t0.Add(d).Sub(next) > period
		w.account(d, ThreadCPU()-c0, miss)
		w.countSwitches(sw0, sw, miss)
		if slowTask != nil {
			w.noteSlow(slow, slowTask, miss)
		}
		if n%50 == 49 {
			w.rebalance()
		}
		next = next.Add(period)
		if late := clock.Now().Sub(next); late > time.Duration(w.s.cfg.CatchUp)*period {
			// Far behind (the machine stalled): count what was skipped
			// and start again from now rather than run a longer burst of
			// ticks.
			skipped := late / period
			w.misses.Add(uint64(skipped))
			next = next.Add(skipped * period)
		}
	}
}

// noteSlow keeps the slowest task of a tick (Config.TimeTasks) when it is
// the run's slowest, or the tick missed and it is the slowest of the
// missing ticks. Naming the task allocates, but only then: rarely.
func (w *worker) noteSlow(slow TaskTime, t Task, miss bool) {
	keep := func(p *atomic.Pointer[TaskTime]) {
		if old := p.Load(); old == nil || slow.D > old.D {
			tt := slow
			if s, ok := t.(fmt.Stringer); ok {
				tt.Task = s.String()
			}
			p.Store(&tt)
		}
	}
	keep(&w.slowTask)
	if miss {
		keep(&w.missSlowTask)
	}
}

// poll waits until t (or the scheduler's stop) polling the clock
// (Config.Poll), counting the CPU time it took.
func (w *worker) poll(t time.Time) {
	w.polled.Add(int64(PollUntil(t, &w.s.stop)))
}

// PollUntil waits until t, or until stop (when not nil) is set, polling
// the clock as a worker under Config.Poll does, and returns the CPU time
// the calling thread spent so; the caller locks its goroutine to its
// thread (runtime.LockOSThread) for that figure to be its own. Between
// looks at the clock it yields the CPU (sched_yield), which returns at
// once when no other thread wants this CPU and lets any that does run
// first (the network's tick, the runtime's other threads, other
// processes): polling holds on to an idle core, not to one something
// else needs.
func PollUntil(t time.Time, stop *atomic.Bool) time.Duration {
	c0 := ThreadCPU()
	for time.Now().Before(t) && (stop == nil || !stop.Load()) {
		unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
	}
	return ThreadCPU() - c0
}

// ThreadCPU returns the CPU time of the calling thread (a goroutine
// locked to it for the figure to be its own).
func ThreadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// switches counts a thread's context switches (getrusage's nvcsw and
// nivcsw): voluntary, when it blocked (for a worker, in the Go runtime:
// preempting a goroutine locked to its thread parks the thread until
// another thread hands the goroutine back), and involuntary, when the
// kernel gave its CPU to another thread; with its page faults (minflt
// and majflt) and its system CPU time.
type switches struct {
	voluntary, involuntary, faults int64
	sys                            time.Duration
}

// threadSwitches returns the calling thread's context switches, faults
// and system time so far.
func threadSwitches() switches {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		return switches{}
	}
	return switches{int64(ru.Nvcsw), int64(ru.Nivcsw), int64(ru.Minflt + ru.Majflt), time.Duration(ru.Stime.Nano())}
}

// countSwitches counts a tick in which the worker's thread blocked, was
// switched out or took page faults (from the counts before and after
// it), and whether it missed.
func (w *worker) countSwitches(a, b switches, miss bool) {
	if b.voluntary > a.voluntary {
		w.blocked.Add(1)
		if miss {
			w.missBlocked.Add(1)
		}
	}
	if b.involuntary > a.involuntary {
		w.preempted.Add(1)
		if miss {
			w.missPreempted.Add(1)
		}
	}
	if f := b.faults - a.faults; f > 0 {
		w.faulted.Add(1)
		w.faults.Add(uint64(f))
		if miss {
			w.missFaulted.Add(1)
			w.missFaults.Add(uint64(f))
		}
	}
	if miss {
		w.missSys.Add(int64(b.sys - a.sys))
	}
}

// account counts a tick that took d, of which the worker's thread ran
// for cpu (the rest it waited while other threads ran on its CPU).
func (w *worker) account(d, cpu time.Duration, miss bool) {
	w.ticks.Add(1)
	if miss {
		w.misses.Add(1)
	}
	w.busy.Add(int64(d))
	if int64(d) > w.max.Load() {
		w.max.Store(int64(d))
	}
	w.hist.add(d)
	w.cpuHist.add(cpu)
	// The load that rebalancing weighs is the shard's own work, the
	// thread's CPU time, averaged over some 128 ticks (2.5 s at 20 ms): a
	// tick held up by other threads (the network's tick, the runtime's,
	// another process's, which land on one CPU more than the other) did
	// not get hotter, and a burst on one CPU (the host's) is no reason to
	// move tasks. Weighed by wall time over 16 ticks, tasks went back and
	// forth between shards (about a thousand each way in a minute at 2000
	// calls with Config.Poll).
	e := w.ewma.Load()
	w.ewma.Store(e + (int64(cpu)-e)/128)
}

// rebalance gives a tenth of this shard's tasks to the coolest shard when
// this one runs hot. Only this worker touches its tasks; the others get
// them through their entry queues.
func (w *worker) rebalance() {
	share := w.s.cfg.Rebalance
	if share < 0 || len(w.s.workers) < 2 {
		return
	}
	mine := w.ewma.Load()
	if float64(mine) < share*float64(w.s.cfg.Period) {
		w.hot = 0
		return
	}
	var cool *worker
	for _, o := range w.s.workers {
		if o != w && (cool == nil || o.ewma.Load() < cool.ewma.Load()) {
			cool = o
		}
	}
	if cool == nil || float64(mine) < 1.5*float64(cool.ewma.Load()) {
		w.hot = 0
		return
	}
	// Only a shard found hot twice running gives tasks away.
	if w.hot++; w.hot < 2 {
		return
	}
	w.hot = 0
	k := len(w.tasks) / 10
	for ; k > 0; k-- {
		t := w.tasks[len(w.tasks)-1]
		if !cool.in.Push(t) {
			break
		}
		cool.pending.Add(1)
		w.tasks[len(w.tasks)-1] = nil
		w.tasks = w.tasks[:len(w.tasks)-1]
		w.moved.Add(1)
	}
	w.ntasks.Store(int64(len(w.tasks)))
}

// pin binds the worker's thread to one of the CPUs the process may use.
func (w *worker) pin() {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return
	}
	var cpus []int
	for c := 0; c < 1024 && len(cpus) < set.Count(); c++ {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	if len(cpus) == 0 {
		return
	}
	c := cpus[w.id%len(cpus)]
	var one unix.CPUSet
	one.Set(c)
	if unix.SchedSetaffinity(0, &one) == nil {
		w.cpu.Store(int32(c))
	}
}

// Procs is the GOMAXPROCS a process running workers workers (0: one per
// CPU) should have: one more than the workers. Each worker holds a P for
// its tick; with no P to spare, everything else the process runs (the
// driver's network tick, the collector, the API) gets one only by Go
// preempting a worker mid-tick, which then waits for a P to finish its
// tick. With one P more, the kernel shares the cores among the threads
// instead. At 2000 calls on two cores, faxbench server counted 11 to 17
// deadline misses in two runs with 3 Ps against 45 with 2, but 47 to 89
// in later runs against 45 to 75: on that VM the gain did not show
// beyond its noise.
func Procs(workers int) int {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	return workers + 1
}
