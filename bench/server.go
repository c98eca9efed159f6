package bench

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"sort"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/prometheus/procfs"

	"github.com/faxd/faxd/hal/media"
	"github.com/faxd/faxd/hal/sched"
	"github.com/faxd/faxd/hal/sim"
	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/terminal"
)

// ServerConfig sets up a density run of the media server.
type ServerConfig struct {
	Calls int // simultaneous calls (each two channels: a sender and a receiver)
	// Ramp spreads the first calls' starts over this time, so that the
	// calls' phases are spread as a carrier's are (0: 30 s, about one
	// call); then all Calls are up.
	Ramp time.Duration
	// Duration is the measured window after the ramp; each pair calls
	// again as soon as its call ends until the window closes, then the
	// calls in progress finish.
	Duration time.Duration
	Workers  int  // scheduler workers; 0: one per CPU
	Pin      bool // pin worker i to CPU i
	// Poll has the workers poll the clock between ticks rather than
	// sleep (sched.Config.Poll), and the paced bare run do the same; the
	// time so spent is left out of the CPU figures.
	Poll bool
	// Nice is the workers' threads' nice value (sched.Config.Nice); 0
	// leaves it.
	Nice   int
	Period time.Duration  // 0: 20 ms, real time
	Page   *document.Page `json:"-"`
	ECM    bool
	// BareCalls is how many calls the bare cost is measured on, in the
	// same run, before the server starts, shared among Workers goroutines
	// as the server's channels are among its workers; 0: Calls, at most
	// 500 (a cost per call that no longer grows with the calls' number:
	// their state no longer fits the caches either way).
	BareCalls int
	// ForceGC, when not 0, runs a collection (runtime.GC) this often in
	// the window, beside the calls: what a collection costs the ticks,
	// measured rather than waited for (the timeline's GCs tells the
	// seconds they began in).
	ForceGC time.Duration `json:",omitempty"`
	// TimeTasks has the workers time each channel's tick
	// (sched.Config.TimeTasks): PerWorker then names the slowest, of the
	// run and of the ticks that missed.
	TimeTasks bool `json:",omitempty"`
	// Steal has a worker done with its tick take tasks of another's
	// (sched.Config.Steal).
	Steal bool `json:",omitempty"`
	// StealAfter is how long a tick runs before it is stolen from
	// (sched.Config.StealAfter); 0: half the period.
	StealAfter time.Duration `json:",omitempty"`
}

// ServerRun is what a density run measured.
type ServerRun struct {
	Calls    int           `json:"calls"`
	Channels int           `json:"channels"`
	Workers  int           `json:"workers"`
	Period   time.Duration `json:"period"`
	Poll     bool          `json:"poll"`
	Nice     int           `json:"nice,omitempty"`
	// Steal tells the workers took tasks of each other's ticks
	// (ServerConfig.Steal), and Stolen the share of the window's task
	// ticks a worker ran for another.
	Steal  bool          `json:"steal,omitempty"`
	Stolen float64       `json:"stolen,omitempty"`
	Wall   time.Duration `json:"wall"` // from the first call placed to the last ended

	Placed    int `json:"placed"`    // calls placed
	Confirmed int `json:"confirmed"` // calls whose page was confirmed
	Received  int `json:"received"`  // faxes received whole (one page), taken from the inbox as they came
	Failed    int `json:"failed"`
	// FirstFailure is the first failed call's error, if any.
	FirstFailure string `json:"first_failure,omitempty"`
	// FirstRxFailure is what the receiving end said of the first fax it
	// did not take whole.
	FirstRxFailure string `json:"first_rx_failure,omitempty"`

	Ticks  uint64 `json:"ticks"`  // worker ticks (periods run), all workers, whole run
	Misses uint64 `json:"misses"` // ticks late or overrun, whole run
	// WindowMisses are the misses in the measured window (all calls up).
	WindowMisses uint64 `json:"window_misses"`
	// WindowSwitches counts the window's ticks in which a worker's
	// thread blocked (in the Go runtime) or was switched out by the
	// kernel, and the misses among them, all workers together.
	WindowSwitches sched.Switches `json:"window_switches"`
	// Switches is the same over the whole run.
	Switches sched.Switches `json:"switches"`
	// WindowGCs is how many collections the runtime ran in the window.
	WindowGCs uint32 `json:"window_gcs"`
	// WindowAlloc is the heap the process allocated in the window
	// (runtime/metrics' /gc/heap/allocs:bytes), in bytes, and
	// WindowCallsEnded the calls that ended in it: the garbage a call
	// leaves is about their ratio. HeapLive is the heap the last
	// collection found live and HeapGoal the size at which the next
	// begins, at the window's end: (HeapGoal - heap in use) over the
	// allocation rate is how long the calls run between collections.
	WindowAlloc      uint64 `json:"window_alloc"`
	WindowCallsEnded int    `json:"window_calls_ended"`
	HeapLive         uint64 `json:"heap_live"`
	HeapGoal         uint64 `json:"heap_goal"`
	// WindowMutexWait is the time goroutines spent blocked on a
	// sync.Mutex in the window (runtime/metrics), the workers' waits on
	// the driver's lock among them.
	WindowMutexWait time.Duration `json:"window_mutex_wait"`
	// WindowSteal is the time the hypervisor ran something else while
	// this machine's CPUs wanted to run (steal in /proc/stat, all CPUs,
	// to its 10 ms resolution) in the window: on a virtual machine, the
	// host's share of the ticks' time. Zero on bare metal, or where the
	// kernel does not say.
	WindowSteal time.Duration `json:"window_steal"`
	// Timeline has a point a second over the window: the misses in it
	// and its ticks' median, 99th percentile and longest (the top of
	// the longest's quarter-octave bucket), all workers together; it
	// tells a noisy spell (the median rises) from a lone stall.
	Timeline []TimelinePoint `json:"timeline,omitempty"`
	// The network's ticks in the window: their mean and the longest of
	// the run (the sim network moves every call's frames in one tick, on
	// a thread of its own).
	NetTickMean time.Duration `json:"net_tick_mean"`
	NetTickMax  time.Duration `json:"net_tick_max"`
	// Tick processing time in the window (a worker's whole shard in one
	// tick), all workers' ticks together: median, 99th and 99.9th
	// percentiles (to a quarter octave), and the longest tick of the run.
	TickP50  time.Duration `json:"tick_p50"`
	TickP99  time.Duration `json:"tick_p99"`
	TickP999 time.Duration `json:"tick_p999"`
	TickMax  time.Duration `json:"tick_max"`
	// The same ticks' CPU time (the worker thread's): where a tick's wall
	// time is well above its CPU time, its thread waited for the CPU.
	TickCPUP50  time.Duration `json:"tick_cpu_p50"`
	TickCPUP99  time.Duration `json:"tick_cpu_p99"`
	TickCPUP999 time.Duration `json:"tick_cpu_p999"`
	// PerWorker is each worker's window: its tasks at the end, misses,
	// median and 99th percentile tick, and tasks moved by rebalancing.
	PerWorker []WorkerWindow `json:"per_worker"`
	// Busy is the share of the run's wall time the workers spent ticking,
	// averaged over the workers.
	Busy float64 `json:"busy"`
	// FrameGaps counts 20 ms frames lost or played as silence in the
	// middle of a call, all channels: a worker's frame that missed the
	// network's tick (sim's Missed: the far end heard silence), a full
	// ring (TxFull, Overruns) and a receive ring found dry (Underruns).
	FrameGaps int `json:"frame_gaps"`
	// Gaps is FrameGaps by kind.
	Gaps sim.FrameStats `json:"gaps"`

	CallSeconds float64       `json:"call_seconds"` // audio time in calls, summed over calls
	CPU         time.Duration `json:"cpu"`          // process CPU over the run, less Polled
	// Polled is the time the workers spent polling the clock between
	// ticks (Poll).
	Polled time.Duration `json:"polled,omitempty"`
	// CPUPerCallSecond is the CPU a call took per second of call in the
	// server. Bare is the same for the same calls without scheduler,
	// network or media layer, measured in the same run, in step and as
	// fast as the CPU goes; BarePaced the same calls again, their starts
	// spread over half a call and paced a block per Period as the server
	// is, still without scheduler, network or media layer. Pacing is how
	// much more BarePaced took than Bare: what running in real time costs
	// the DSP itself (its state goes cold between blocks). Overhead is how
	// much more the server took than BarePaced: the scheduler's, the
	// network's and the channels' own cost; OverheadBare the server
	// against Bare, both together.
	CPUPerCallSecond time.Duration `json:"cpu_per_call_second"`
	Bare             CallCost      `json:"bare"`
	BarePaced        CallCost      `json:"bare_paced"`
	Pacing           float64       `json:"pacing"`
	Overhead         float64       `json:"overhead"`
	OverheadBare     float64       `json:"overhead_bare"`
	// CallsPerCore is how many calls a core carries at the server's cost
	// per call-second, were it busy all the time.
	CallsPerCore float64 `json:"calls_per_core"`
}

// WorkerWindow is one scheduler worker's share of the measured window.
type WorkerWindow struct {
	Tasks  int           `json:"tasks"`
	Misses uint64        `json:"misses"`
	P50    time.Duration `json:"p50"`
	P99    time.Duration `json:"p99"`
	Moved  uint64        `json:"moved"`
	// Stolen is how many channel ticks of other shards this worker ran
	// (ServerConfig.Steal), Lent how many of its own others ran.
	Stolen uint64 `json:"stolen,omitempty"`
	Lent   uint64 `json:"lent,omitempty"`
	// The slowest channel tick of the whole run and of its missing ticks
	// (ServerConfig.TimeTasks), with what the channel was doing.
	SlowTask     sched.TaskTime `json:"slow_task,omitzero"`
	MissSlowTask sched.TaskTime `json:"miss_slow_task,omitzero"`
}

// OK reports whether the run met the real-time bar: every call confirmed,
// no deadline missed, no frame lost.
func (r *ServerRun) OK() bool {
	return r.Failed == 0 && r.Misses == 0 && r.Placed > 0 && r.Confirmed == r.Placed && r.Received == r.Confirmed && r.FrameGaps == 0
}

// RunServer runs cfg.Calls simultaneous fax calls on the media server over
// a sim network: both ends in the process, one page at V.17 14400 each,
// every channel ticked in real time by the scheduler. Each pair of
// channels calls again as soon as its call ends, for cfg.Duration; then the
// calls in progress finish.
func RunServer(ctx context.Context, cfg ServerConfig) (*ServerRun, error) {
	if cfg.Calls <= 0 || cfg.Page == nil {
		return nil, fmt.Errorf("bench: server run needs calls and a page")
	}
	if cfg.Period <= 0 {
		cfg.Period = 20 * time.Millisecond
	}
	if cfg.Ramp <= 0 {
		cfg.Ramp = 30 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.NumCPU()
	}
	if cfg.BareCalls <= 0 {
		cfg.BareCalls = min(cfg.Calls, 500)
	}
	run := &ServerRun{Calls: cfg.Calls, Channels: 2 * cfg.Calls, Workers: cfg.Workers, Period: cfg.Period, Poll: cfg.Poll, Nice: cfg.Nice, Steal: cfg.Steal}
	bare, err := bareParallel(cfg.BareCalls, cfg.Workers, cfg.Page, cfg.ECM, BareOptions{})
	if err != nil {
		return nil, err
	}
	run.Bare = bare
	// Half a call's blocks: calls in all phases at once.
	spread := int(bare.CallSeconds / float64(bare.Calls) * 8000 / terminal.BlockSize / 2)
	paced, err := bareParallel(cfg.BareCalls, cfg.Workers, cfg.Page, cfg.ECM, BareOptions{Spread: spread, Period: cfg.Period, Poll: cfg.Poll})
	if err != nil {
		return nil, err
	}
	run.BarePaced = paced
	run.Pacing = float64(paced.CPUPerCallSecond)/float64(bare.CPUPerCallSecond) - 1

	// A worker that fell behind catches up, as faxd serve's do (a frame
	// skipped is a frame the network's slack lacks for the rest of the
	// call); every late tick still counts as a miss. Faster than real
	// time (tests), a stall of the machine lasts many periods: deeper
	// network buffers keep the audio whole.
	simCfg, sc := sim.Config{}, sched.Config{Workers: cfg.Workers, Period: cfg.Period, Pin: cfg.Pin, Poll: cfg.Poll, Nice: cfg.Nice, CatchUp: 8, TimeTasks: cfg.TimeTasks, Steal: cfg.Steal, StealAfter: cfg.StealAfter}
	if cfg.Period < 20*time.Millisecond {
		simCfg.Jitter = sim.MaxJitter
	}
	net := sim.New(simCfg)
	senders, receivers := media.Pairs(100000, cfg.Calls)
	srv, err := media.New(media.Config{
		Driver:   net,
		Channels: append(append([]string(nil), senders...), receivers...),
		Sched:    sc,
		QueueLen: 2 * cfg.Calls,
	})
	if err != nil {
		return nil, err
	}
	runtime.GC()
	cpu0 := CPUTime()
	if err := srv.Start(); err != nil {
		return nil, err
	}
	// Received faxes are taken as they come, as the API's dispatcher takes
	// them (the server then holds no copy): counted, and released, their
	// pages' buffers going back to the calls as the dispatcher's do once
	// stored.
	drained := make(chan int)
	stopDrain := make(chan struct{})
	go func() {
		n := 0
		take := func() <-chan struct{} {
			got, changed := srv.TakeAllInbox()
			for _, r := range got {
				if r.OK() && len(r.Pages) == 1 {
					n++
				} else if run.FirstRxFailure == "" {
					run.FirstRxFailure = fmt.Sprintf("%v; %d pages; %v", r.Err, len(r.Pages), r.Fax)
					if r.Fax != nil {
						tr := r.Fax.Trace
						run.FirstRxFailure += "\n" + t30.FormatTrace(tr[max(0, len(tr)-12):])
					}
				}
				r.Release()
			}
			return changed
		}
		for {
			changed := take()
			select {
			case <-changed:
			case <-stopDrain:
				take()
				drained <- n
				return
			}
		}
	}()
	start := time.Now()
	windowAt := start.Add(cfg.Ramp)
	stopAt := windowAt.Add(cfg.Duration)
	// The window's accounting: snapshots when it opens and closes.
	var st0, st1 media.Stats
	var gc0 uint32
	var mw0 time.Duration
	windowDone := make(chan struct{})
	go func() {
		defer close(windowDone)
		select {
		case <-time.After(time.Until(windowAt)):
		case <-ctx.Done():
			return
		}
		st0 = srv.Stats()
		gc0, mw0 = gcCount(), mutexWait()
		alloc0 := heapMetrics().alloc
		steal0 := stealTime()
		prev, prevSteal, prevGC := st0.Workers, steal0, gc0
		if cfg.ForceGC > 0 {
			go forceGCs(ctx, cfg.ForceGC, stopAt)
		}
		for sec := time.Second; ; sec += time.Second {
			at := windowAt.Add(sec)
			if at.After(stopAt) {
				at = stopAt
			}
			select {
			case <-time.After(time.Until(at)):
			case <-ctx.Done():
				return
			}
			st, steal, gcs := srv.Stats(), stealTime(), gcCount()
			p := timelinePoint(at.Sub(windowAt), prev, st.Workers)
			p.Steal, p.GCs = steal-prevSteal, gcs-prevGC
			run.Timeline = append(run.Timeline, p)
			prev, prevSteal, prevGC = st.Workers, steal, gcs
			if at.Equal(stopAt) {
				st1 = st
				run.WindowGCs = gcs - gc0
				run.WindowMutexWait = mutexWait() - mw0
				run.WindowSteal = steal - steal0
				hm := heapMetrics()
				run.WindowAlloc, run.HeapLive, run.HeapGoal = hm.alloc-alloc0, hm.live, hm.goal
				return
			}
		}
	}()
	pages := []*document.Page{cfg.Page}
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		outcomes []*media.Outcome
	)
	for i := range cfg.Calls {
		wg.Go(func() {
			// Spread the first calls over the ramp, in a steady stream.
			delay := time.Duration(int64(cfg.Ramp) * int64(i) / int64(cfg.Calls))
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return
			}
			for {
				id, err := srv.Submit(media.Job{From: senders[i], To: receivers[i], Pages: pages, ECM: cfg.ECM})
				if err != nil {
					mu.Lock()
					outcomes = append(outcomes, &media.Outcome{Err: err})
					mu.Unlock()
					return
				}
				o, err := srv.Wait(ctx, id)
				if err != nil {
					return
				}
				mu.Lock()
				outcomes = append(outcomes, o)
				mu.Unlock()
				if time.Now().After(stopAt) || !o.OK() {
					return
				}
			}
		})
	}
	wg.Wait()
	<-windowDone
	run.Wall = time.Since(start)
	run.CPU = CPUTime() - cpu0
	st := srv.Stats()
	for _, name := range append(senders, receivers...) {
		if c, ok := srv.Channel(name).(*sim.Channel); ok {
			fs := c.FrameStats()
			run.Gaps.Missed += fs.Missed
			run.Gaps.Underruns += fs.Underruns
			run.Gaps.Overruns += fs.Overruns
			run.Gaps.TxFull += fs.TxFull
		}
	}
	run.FrameGaps = int(run.Gaps.Missed + run.Gaps.Underruns + run.Gaps.Overruns + run.Gaps.TxFull)
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Stop(stopCtx); err != nil {
		return nil, err
	}
	close(stopDrain)
	run.Received = <-drained
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	var busy time.Duration
	var stolen, taskTicks uint64
	var win, winCPU sched.TickHistogram
	for i, w := range st.Workers {
		if w.NiceErr != nil {
			return nil, w.NiceErr // not the run asked for
		}
		run.Polled += w.Polled
		run.Ticks += w.Ticks
		run.Misses += w.Misses
		run.Switches = run.Switches.Add(w.Switches)
		run.TickMax = max(run.TickMax, w.Max)
		busy += w.Busy
		if i < len(st0.Workers) && i < len(st1.Workers) {
			run.WindowMisses += st1.Workers[i].Misses - st0.Workers[i].Misses
			run.WindowSwitches = run.WindowSwitches.Add(st1.Workers[i].Switches.Sub(st0.Workers[i].Switches))
			h := st1.Workers[i].Hist.Sub(st0.Workers[i].Hist)
			win = win.Add(h)
			winCPU = winCPU.Add(st1.Workers[i].CPUHist.Sub(st0.Workers[i].CPUHist))
			stolen += st1.Workers[i].Stolen - st0.Workers[i].Stolen
			taskTicks += st1.Workers[i].TaskTicks - st0.Workers[i].TaskTicks
			run.PerWorker = append(run.PerWorker, WorkerWindow{Tasks: st1.Workers[i].Tasks, Misses: st1.Workers[i].Misses - st0.Workers[i].Misses,
				P50: h.Quantile(0.5), P99: h.Quantile(0.99), Moved: st1.Workers[i].Moved - st0.Workers[i].Moved,
				Stolen: st1.Workers[i].Stolen - st0.Workers[i].Stolen, Lent: st1.Workers[i].Lent - st0.Workers[i].Lent,
				SlowTask: w.SlowTask, MissSlowTask: w.MissSlowTask})
		}
	}
	run.CPU -= run.Polled
	if taskTicks > 0 {
		run.Stolen = float64(stolen) / float64(taskTicks)
	}
	if n := st1.NetworkTicks - st0.NetworkTicks; n > 0 {
		run.NetTickMean = (st1.NetworkBusy - st0.NetworkBusy) / time.Duration(n)
	}
	run.NetTickMax = st.NetworkMax
	run.TickP50, run.TickP99, run.TickP999 = win.Quantile(0.5), win.Quantile(0.99), win.Quantile(0.999)
	run.TickCPUP50, run.TickCPUP99, run.TickCPUP999 = winCPU.Quantile(0.5), winCPU.Quantile(0.99), winCPU.Quantile(0.999)
	run.Busy = float64(busy) / float64(len(st.Workers)) / float64(run.Wall)
	sort.Slice(outcomes, func(a, b int) bool { return outcomes[a].ID < outcomes[b].ID })
	for _, o := range outcomes {
		run.Placed++
		if o.OK() && o.Fax != nil && o.Fax.PagesSent == 1 {
			run.Confirmed++
		} else {
			run.Failed++
			if run.FirstFailure == "" {
				run.FirstFailure = fmt.Sprint(o.Err)
			}
		}
		run.CallSeconds += float64(o.Ticks) * 0.020
		if !o.Ended.Before(windowAt) && o.Ended.Before(stopAt) {
			run.WindowCallsEnded++
		}
	}
	if run.CallSeconds > 0 {
		run.CPUPerCallSecond = time.Duration(float64(run.CPU) / run.CallSeconds)
		run.CallsPerCore = float64(time.Second) / float64(run.CPUPerCallSecond)
	}
	if bare.CPUPerCallSecond > 0 && paced.CPUPerCallSecond > 0 {
		run.Overhead = float64(run.CPUPerCallSecond)/float64(paced.CPUPerCallSecond) - 1
		run.OverheadBare = float64(run.CPUPerCallSecond)/float64(bare.CPUPerCallSecond) - 1
	}
	return run, nil
}

// WriteServerTable prints density runs as a table.
func WriteServerTable(w io.Writer, runs []*ServerRun) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "calls\tchannels\tworkers\twait\tplaced\tconfirmed\treceived\tmisses\tgaps\ttick p50\ttick p99\ttick p99.9\ttick max\tbusy\tGCs\tKB/call\tcpu µs/call-s\tbare µs/call-s\tpaced µs/call-s\tpacing\toverhead\tcalls/core\tok\t")
	for _, r := range runs {
		poll := "sleep"
		if r.Poll {
			poll = "busy"
		}
		if r.Nice != 0 {
			poll += fmt.Sprintf(", nice %d", r.Nice)
		}
		if r.Steal {
			poll += fmt.Sprintf(", steal %.0f%%", 100*r.Stolen)
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t%.2f ms\t%.2f ms\t%.2f ms\t%.2f ms\t%.0f%%\t%d\t%.0f\t%.0f\t%.0f\t%.0f\t%.1f%%\t%.1f%%\t%.0f\t%v\t\n",
			r.Calls, r.Channels, r.Workers, poll, r.Placed, r.Confirmed, r.Received, r.Misses, r.FrameGaps,
			ms(r.TickP50), ms(r.TickP99), ms(r.TickP999), ms(r.TickMax), 100*r.Busy, r.WindowGCs, r.AllocPerCall()/1024,
			float64(r.CPUPerCallSecond)/1e3, float64(r.Bare.CPUPerCallSecond)/1e3, float64(r.BarePaced.CPUPerCallSecond)/1e3,
			100*r.Pacing, 100*r.Overhead, r.CallsPerCore, r.OK())
	}
	return tw.Flush()
}

// AllocPerCall is the heap allocated in the window per call ended in it,
// in bytes (0 when none ended): about the garbage a call leaves.
func (r *ServerRun) AllocPerCall() float64 {
	if r.WindowCallsEnded == 0 {
		return 0
	}
	return float64(r.WindowAlloc) / float64(r.WindowCallsEnded)
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// bareParallel runs BareCalls on n calls shared among workers goroutines
// at once, as the server's workers share its channels, and sums them.
func bareParallel(n, workers int, page *document.Page, ecm bool, o BareOptions) (CallCost, error) {
	workers = max(1, min(workers, n))
	costs := make([]CallCost, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	runtime.GC()
	cpu0 := CPUTime()
	for w := range workers {
		k := n / workers
		if w < n%workers {
			k++
		}
		wg.Go(func() { costs[w], errs[w] = BareCallsWith(k, page, ecm, o) })
	}
	wg.Wait()
	var c CallCost
	c.CPU = CPUTime() - cpu0
	for w := range workers {
		if errs[w] != nil {
			return c, errs[w]
		}
		c.CPU -= costs[w].Polled
		c.Polled += costs[w].Polled
		c.Calls += costs[w].Calls
		c.Confirmed += costs[w].Confirmed
		c.CallSeconds += costs[w].CallSeconds
	}
	c.CPUPerCallSecond = time.Duration(float64(c.CPU) / c.CallSeconds)
	return c, nil
}

// A TimelinePoint is one second of a run's window.
type TimelinePoint struct {
	At     time.Duration `json:"at"` // since the window opened
	Misses uint64        `json:"misses"`
	P50    time.Duration `json:"p50"`
	P99    time.Duration `json:"p99"`
	Top    time.Duration `json:"top"`
	CPUP50 time.Duration `json:"cpu_p50"`
	CPUTop time.Duration `json:"cpu_top"`
	Steal  time.Duration `json:"steal"`         // the host's steal in the second (WindowSteal)
	GCs    uint32        `json:"gcs,omitempty"` // collections begun in the second
	// Switches are the second's ticks that blocked or were switched
	// out, and their misses.
	Switches sched.Switches `json:"switches"`
}

// timelinePoint sums the workers' ticks between two snapshots.
func timelinePoint(at time.Duration, a, b []sched.WorkerStats) TimelinePoint {
	var h, c sched.TickHistogram
	p := TimelinePoint{At: at}
	for i := range min(len(a), len(b)) {
		p.Misses += b[i].Misses - a[i].Misses
		p.Switches = p.Switches.Add(b[i].Switches.Sub(a[i].Switches))
		h = h.Add(b[i].Hist.Sub(a[i].Hist))
		c = c.Add(b[i].CPUHist.Sub(a[i].CPUHist))
	}
	p.P50, p.P99, p.Top = h.Quantile(0.5), h.Quantile(0.99), h.Quantile(0.99999)
	p.CPUP50, p.CPUTop = c.Quantile(0.5), c.Quantile(0.99999)
	return p
}

// stealTime is the CPU time the hypervisor has taken from this machine's
// CPUs so far (/proc/stat's steal, all CPUs), or 0 where it cannot be
// read.
func stealTime() time.Duration {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return 0
	}
	st, err := fs.Stat()
	if err != nil {
		return 0
	}
	return time.Duration(st.CPUTotal.Steal * 1e9)
}

// mutexWait is the time goroutines have spent blocked on a sync.Mutex
// or RWMutex so far.
func mutexWait() time.Duration {
	s := []metrics.Sample{{Name: "/sync/mutex/wait/total:seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return time.Duration(s[0].Value.Float64() * 1e9)
}

// forceGCs runs a collection every period until stop.
func forceGCs(ctx context.Context, period time.Duration, stop time.Time) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			if !now.Before(stop) {
				return
			}
			runtime.GC()
		case <-ctx.Done():
			return
		}
	}
}

// heapStats are the runtime's heap figures faxbench server reports.
type heapStats struct{ alloc, live, goal uint64 }

// heapMetrics reads the bytes allocated so far, the heap the last
// collection found live, and the next collection's goal.
func heapMetrics() heapStats {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/live:bytes"}, {Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	var v [3]uint64
	for i := range s {
		if s[i].Value.Kind() == metrics.KindUint64 {
			v[i] = s[i].Value.Uint64()
		}
	}
	return heapStats{v[0], v[1], v[2]}
}

// gcCount returns how many collections the runtime has run (from
// runtime/metrics, which unlike runtime.ReadMemStats stops no goroutine
// to say: the timeline asks every second).
func gcCount() uint32 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return uint32(s[0].Value.Uint64())
}
