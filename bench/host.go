package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"

	"github.com/faxd/faxd/hal/sched"
)

// HostWork is the kind of work a host probe's chunks do.
type HostWork string

const (
	// HostCompute chunks do arithmetic on 4 KB of float64s, from L1:
	// they slow down only when the core itself runs slower.
	HostCompute HostWork = "compute"
	// HostMemory chunks read a buffer of HostOptions.MemBytes (64 MB)
	// a cache line at a time, on from where the last left off: they
	// slow down also when the caches or memory do.
	HostMemory HostWork = "memory"
	// HostBoth alternates the two chunk by chunk, compute first: every
	// period does both, so a period whose memory chunks ran slow while
	// its compute chunks did not tells the memory from the core.
	HostBoth HostWork = "both"
)

// ErrHostOptions is returned by ProbeHost for options out of range.
var ErrHostOptions = errors.New("bench: host probe options")

// HostOptions shape a host probe (ProbeHost). Zero values take the
// defaults given.
type HostOptions struct {
	Duration time.Duration // the run; 0: 60 s
	Period   time.Duration // 0: 20 ms, the media server's tick
	// Duty is the share of each period the threads work, in (0, 1];
	// 0: 0.5.
	Duty    float64
	Work    HostWork // "": HostBoth
	Threads int      // 0: one per CPU (runtime.NumCPU)
	// Nice is the threads' nice value (below 0 needs CAP_SYS_NICE); 0
	// leaves it.
	Nice int
	Pin  bool // pin thread i to the i-th CPU the process may run on
	// Sleep has the threads sleep between periods until a twentieth of
	// the period before the next (as the scheduler's workers do), then
	// poll; by default they poll the clock all the time between periods
	// (sched.PollUntil, as sched's Config.Poll).
	Sleep bool
	// Chunk is a chunk's CPU time, as calibrated at the start on one
	// thread; 0: 1 ms. A period does round(Duty*Period/Chunk) chunks.
	Chunk time.Duration
	// MemBytes is the buffer each thread's memory chunks walk; 0: 64 MB.
	MemBytes int
	// Held is how much longer than its CPU time a chunk must take, with
	// no context switch in its period, to count as held off the CPU;
	// 0: 0.5 ms.
	Held time.Duration
	// Slow is how many times its thread's median CPU time for its kind a
	// chunk's CPU time must be to count as slow; 0: 1.5.
	Slow float64
	// ProcFS is the procfs mount point /proc/stat's steal is read from;
	// "": /proc.
	ProcFS string `json:",omitempty"`
}

// withDefaults fills in the zero values and checks the ranges.
func (o HostOptions) withDefaults() (HostOptions, error) {
	if o.Duration == 0 {
		o.Duration = 60 * time.Second
	}
	if o.Period == 0 {
		o.Period = 20 * time.Millisecond
	}
	if o.Duty == 0 {
		o.Duty = 0.5
	}
	if o.Work == "" {
		o.Work = HostBoth
	}
	if o.Threads == 0 {
		o.Threads = runtime.NumCPU()
	}
	if o.Chunk == 0 {
		o.Chunk = time.Millisecond
	}
	if o.MemBytes == 0 {
		o.MemBytes = 64 << 20
	}
	if o.Held == 0 {
		o.Held = 500 * time.Microsecond
	}
	if o.Slow == 0 {
		o.Slow = 1.5
	}
	if o.ProcFS == "" {
		o.ProcFS = procfs.DefaultMountPoint
	}
	switch {
	case o.Duration < 0 || o.Period < 0 || o.Chunk < 0 || o.Held < 0:
		return o, fmt.Errorf("%w: negative duration", ErrHostOptions)
	case !(o.Duty >= 0 && o.Duty <= 1):
		return o, fmt.Errorf("%w: duty %g not in (0, 1]", ErrHostOptions, o.Duty)
	case o.Work != HostCompute && o.Work != HostMemory && o.Work != HostBoth:
		return o, fmt.Errorf("%w: work %q: want compute, memory or both", ErrHostOptions, o.Work)
	case o.Threads < 0 || o.Threads > 1024:
		return o, fmt.Errorf("%w: %d threads", ErrHostOptions, o.Threads)
	case o.MemBytes < 64:
		return o, fmt.Errorf("%w: memory buffer of %d bytes", ErrHostOptions, o.MemBytes)
	case o.Slow <= 1:
		return o, fmt.Errorf("%w: slow factor %g not above 1", ErrHostOptions, o.Slow)
	case o.Chunk > o.Period:
		return o, fmt.Errorf("%w: chunk %v longer than the period %v", ErrHostOptions, o.Chunk, o.Period)
	}
	o.MemBytes &^= 63 // whole cache lines
	return o, nil
}

// Check reports options out of range (wrapping ErrHostOptions), as
// ProbeHost would.
func (o HostOptions) Check() error {
	_, err := o.withDefaults()
	return err
}

// chunksPerPeriod is how many chunks make a period's duty.
func (o HostOptions) chunksPerPeriod() int {
	return max(1, int(math.Round(o.Duty*float64(o.Period)/float64(o.Chunk))))
}

// HostReport is what a host probe measured.
type HostReport struct {
	Options HostOptions `json:"options"` // as run, defaults filled in
	// ChunksPerPeriod is every period's chunk count; ComputeChunk and
	// MemoryChunk the chunks' CPU time as calibrated (median of several,
	// one thread alone), ComputeReps and MemoryLines their sizes (passes
	// over the 4 KB, cache lines read).
	ChunksPerPeriod int           `json:"chunks_per_period"`
	ComputeChunk    time.Duration `json:"compute_chunk,omitempty"`
	ComputeReps     int           `json:"compute_reps,omitempty"`
	MemoryChunk     time.Duration `json:"memory_chunk,omitempty"`
	MemoryLines     int           `json:"memory_lines,omitempty"`
	Wall            time.Duration `json:"wall"` // from the first period's start to the last's end
	// Threads are each thread's figures, All all threads' together.
	Threads []HostThread `json:"threads"`
	All     HostStats    `json:"all"`
	// Worst are the periods whose work ended latest, all threads, at
	// most 10, latest first, with their chunks and what made them long.
	Worst []HostPeriod `json:"worst"`
	// Steal is each CPU's steal over the run (/proc/stat, to its 10 ms
	// resolution): the time the hypervisor ran something else while the
	// CPU wanted to run. Empty where it cannot be read.
	Steal []CPUSteal `json:"steal,omitempty"`
	// Verdict is the findings in a line.
	Verdict string `json:"verdict"`
}

// CPUSteal is one CPU's steal time over a run.
type CPUSteal struct {
	CPU   int64         `json:"cpu"`
	Steal time.Duration `json:"steal"`
}

// HostThread is one probe thread's figures.
type HostThread struct {
	Thread int `json:"thread"`
	CPU    int `json:"cpu"` // pinned to (HostOptions.Pin), -1 if not
	HostStats
}

// HostStats sum a thread's periods, or all threads'.
type HostStats struct {
	Periods int `json:"periods"` // periods worked
	// Skipped are periods not worked because the work of the one before
	// ended after they began (each such is also Missed).
	Skipped int `json:"skipped"`
	// Missed are the periods whose work ended after the period: at this
	// duty, the deadline misses a worker doing the same would have.
	Missed int `json:"missed"`
	// MissedSwitched are the missed periods in whose work the thread was
	// switched out or blocked: this machine's own load, not the host.
	MissedSwitched int `json:"missed_switched"`
	// Done is the periods' completion: the end of their work after
	// their (scheduled) start.
	Done Quantiles `json:"done"`
	// LateMax is the latest a period's work began after its scheduled
	// start (waking from a sleep, or held in the wait).
	LateMax time.Duration `json:"late_max"`
	// Switched are the periods in whose work the thread was switched
	// out by the kernel or blocked (getrusage's nvcsw + nivcsw rose),
	// Switches the switches, Involuntary those of them in which the
	// kernel gave the CPU to another thread (the others: the thread
	// blocked, in the Go runtime).
	Switched    int `json:"switched"`
	Switches    int `json:"switches"`
	Involuntary int `json:"involuntary"`
	// Kinds are the chunks' wall and CPU times by kind.
	Kinds []ChunkStats `json:"kinds"`
	// Held are the chunks that took longer than their CPU time by over
	// HostOptions.Held with no context switch in their period: held off
	// the CPU without the guest's kernel knowing (the hypervisor ran
	// something else on the vCPU; or interrupts, where the kernel
	// accounts their time apart). HeldTime sums their wall time less CPU
	// time, HeldMax is the longest.
	Held     int           `json:"held"`
	HeldTime time.Duration `json:"held_time"`
	HeldMax  time.Duration `json:"held_max"`
	// Waited are the chunks that took longer than their CPU time by over
	// HostOptions.Held in a period with a context switch: the guest's
	// kernel ran another thread (ours or another process's), or the
	// thread blocked. WaitedTime sums their wall time less CPU time.
	Waited     int           `json:"waited"`
	WaitedTime time.Duration `json:"waited_time"`
	// Slow are the chunks whose CPU time was over HostOptions.Slow times
	// their thread's median for their kind: they ran slow on the CPU
	// (the core, its caches or memory were slower). SlowPeriods are the
	// periods with one or more; SlowMax the highest ratio to the median.
	Slow        int     `json:"slow"`
	SlowPeriods int     `json:"slow_periods"`
	SlowMax     float64 `json:"slow_max"`
}

// ChunkStats are one kind's chunks' times.
type ChunkStats struct {
	Kind   HostWork  `json:"kind"`
	Chunks int       `json:"chunks"`
	Wall   Quantiles `json:"wall"`
	CPU    Quantiles `json:"cpu"`
}

// Quantiles are a distribution's median, 99th and 99.9th percentiles
// (nearest rank) and maximum.
type Quantiles struct {
	P50  time.Duration `json:"p50"`
	P99  time.Duration `json:"p99"`
	P999 time.Duration `json:"p999"`
	Max  time.Duration `json:"max"`
}

// HostPeriod is one period of one thread, with its chunks.
type HostPeriod struct {
	Thread   int           `json:"thread"`
	At       time.Duration `json:"at"`   // scheduled start, since the run's
	Late     time.Duration `json:"late"` // work began after At by
	Done     time.Duration `json:"done"` // work ended after At by
	CPU      time.Duration `json:"cpu"`  // the chunks' CPU time
	Switches int           `json:"switches"`
	// Involuntary are the switches in which the kernel gave the CPU to
	// another thread.
	Involuntary int         `json:"involuntary"`
	Chunks      []HostChunk `json:"chunks"`
	// Cause says where the time above the thread's median completion
	// went: started late, held off the CPU, switched out, ran slow on
	// the CPU.
	Cause string `json:"cause"`
}

// HostChunk is one chunk of a period.
type HostChunk struct {
	Kind HostWork      `json:"kind"`
	Wall time.Duration `json:"wall"`
	CPU  time.Duration `json:"cpu"`
	// Ratio is CPU over its thread's median for its kind.
	Ratio float64 `json:"ratio"`
	// Held, Waited and Slow classify the chunk as HostStats counts it.
	Held   bool `json:"held,omitempty"`
	Waited bool `json:"waited,omitempty"`
	Slow   bool `json:"slow,omitempty"`
}

// chunkRecord and periodRecord are what a thread records as it runs,
// into records made before it starts.
type chunkRecord struct {
	kind      HostWork
	wall, cpu time.Duration
}

type periodRecord struct {
	at, late, done time.Duration
	switches       int // voluntary and involuntary
	involuntary    int
	chunks         []chunkRecord
}

// threadRecord is one thread's run.
type threadRecord struct {
	cpu     int // pinned to, -1 if not
	periods []periodRecord
	skipped int
}

// ProbeHost measures whether this machine gives threads the CPU time they
// ask for when they ask, as the media server's workers ask for it: each
// of o.Threads threads, locked to its OS thread (and at o.Nice, pinned
// with o.Pin), works o.Duty of every o.Period in chunks of fixed work
// calibrated at the start to about o.Chunk each, and waits for the rest,
// the threads' periods staggered evenly across the period. It records
// each chunk's wall and thread CPU time, and each period's completion
// and context switches, and reports what was held off the CPU, what ran
// slow on it, and the periods whose work would have missed their
// deadline. It ends early, with ctx's error, when ctx is done.
func ProbeHost(ctx context.Context, o HostOptions) (*HostReport, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	n := o.chunksPerPeriod()
	threads := make([]*probeThread, o.Threads)
	for i := range threads {
		threads[i] = newProbeThread(i, o)
	}
	rep := &HostReport{Options: o, ChunksPerPeriod: n}
	if o.Work != HostMemory {
		rep.ComputeReps, rep.ComputeChunk = calibrate(threads[0], HostCompute, o.Chunk)
	}
	if o.Work != HostCompute {
		rep.MemoryLines, rep.MemoryChunk = calibrate(threads[0], HostMemory, o.Chunk)
	}
	periods := int(o.Duration/o.Period) + 1
	recs := make([]threadRecord, o.Threads)
	for i, p := range threads {
		p.reps, p.lines = rep.ComputeReps, rep.MemoryLines
		recs[i] = threadRecord{cpu: -1, periods: make([]periodRecord, periods)}
		chunks := make([]chunkRecord, periods*n)
		for k := range recs[i].periods {
			recs[i].periods[k].chunks = chunks[k*n : (k+1)*n : (k+1)*n]
		}
	}
	pinTo, err := pinCPUs(o)
	if err != nil {
		return nil, err
	}

	fs, fsErr := procfs.NewFS(o.ProcFS)
	steal0, stealErr := readSteal(fs, fsErr)
	var (
		ready, wg sync.WaitGroup
		setupErrs = make([]error, o.Threads)
		goCh      = make(chan struct{})
		start     time.Time
		abort     bool
	)
	for i, p := range threads {
		ready.Add(1)
		wg.Go(func() {
			// The thread is left locked when the goroutine ends: the
			// runtime then ends it, nice value, affinity and all.
			runtime.LockOSThread()
			setupErrs[i] = p.setUp(o, pinTo, &recs[i])
			ready.Done()
			<-goCh
			if abort {
				return
			}
			offset := time.Duration(int64(o.Period) * int64(i) / int64(o.Threads))
			p.run(start, start.Add(o.Duration), offset, &recs[i], ctx.Done())
		})
	}
	ready.Wait()
	if err := errors.Join(setupErrs...); err != nil {
		abort = true
		close(goCh)
		wg.Wait()
		return nil, err
	}
	// A little ahead, so that every thread is waiting when it comes.
	start = time.Now().Add(10 * time.Millisecond)
	close(goCh)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if steal1, err := readSteal(fs, fsErr); err == nil && stealErr == nil {
		rep.Steal = stealDelta(steal0, steal1)
	}
	for _, r := range recs {
		for _, p := range r.periods {
			rep.Wall = max(rep.Wall, p.at+p.done)
		}
	}
	analyseHost(rep, recs)
	for _, p := range threads {
		sinkHost += p.sum
	}
	return rep, nil
}

// sinkHost keeps the chunks' results, so that the compiler keeps their
// work.
var sinkHost float64

// probeThread is one thread's work and its state.
type probeThread struct {
	id     int
	work   HostWork
	period time.Duration
	sleep  bool
	l1     []float64 // compute chunks' data: 4 KB
	mem    []uint64  // memory chunks' buffer
	off    int       // where the next memory chunk starts in mem
	reps   int       // a compute chunk's passes over l1
	lines  int       // a memory chunk's cache lines
	sum    float64
}

func newProbeThread(id int, o HostOptions) *probeThread {
	p := &probeThread{id: id, work: o.Work, period: o.Period, sleep: o.Sleep, l1: make([]float64, 512)}
	for i := range p.l1 {
		p.l1[i] = float64(i)
	}
	if o.Work != HostCompute {
		// Written, not just made: a page never written reads as the
		// kernel's shared zero page, always in cache.
		p.mem = make([]uint64, o.MemBytes/8)
		for i := range p.mem {
			p.mem[i] = uint64(i)
		}
	}
	return p
}

// setUp prepares the calling (locked) thread: nice value and CPU.
func (p *probeThread) setUp(o HostOptions, pinTo []int, rec *threadRecord) error {
	if o.Nice != 0 {
		// PRIO_PROCESS with a thread's ID sets that thread's alone.
		if err := unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), o.Nice); err != nil {
			return fmt.Errorf("bench: host probe thread %d: nice %d: %w", p.id, o.Nice, err)
		}
	}
	if len(pinTo) > 0 {
		c := pinTo[p.id%len(pinTo)]
		var set unix.CPUSet
		set.Set(c)
		if err := unix.SchedSetaffinity(0, &set); err != nil {
			return fmt.Errorf("bench: host probe thread %d: pin to CPU %d: %w", p.id, c, err)
		}
		rec.cpu = c
	}
	return nil
}

// pinCPUs lists the CPUs the process may run on, when o.Pin.
func pinCPUs(o HostOptions) ([]int, error) {
	if !o.Pin {
		return nil, nil
	}
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, fmt.Errorf("bench: host probe: CPUs to pin to: %w", err)
	}
	var cpus []int
	for c := 0; c < 1024 && len(cpus) < set.Count(); c++ {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}

// run works the thread's periods from start+offset, one every period,
// until end, into rec's periods (made beforehand: nothing here
// allocates). A period whose work ended after the next began skips the
// periods already begun, keeping the threads' stagger.
func (p *probeThread) run(start, end time.Time, offset time.Duration, rec *threadRecord, done <-chan struct{}) {
	next := start.Add(offset)
	n := 0
	for n < len(rec.periods) && next.Before(end) {
		select {
		case <-done:
			rec.periods = rec.periods[:n]
			return
		default:
		}
		p.wait(next)
		pr := &rec.periods[n]
		pr.at = next.Sub(start)
		p.runPeriod(pr, next)
		n++
		next = next.Add(p.period)
		if late := time.Since(next); late >= 0 {
			k := late/p.period + 1
			rec.skipped += int(k)
			next = next.Add(k * p.period)
		}
	}
	rec.periods = rec.periods[:n]
}

// wait waits for t: polling the clock, or with sleep, sleeping until a
// twentieth of the period before it (a locked thread wakes late) and
// polling the rest.
func (p *probeThread) wait(t time.Time) {
	if p.sleep {
		if d := time.Until(t) - p.period/20; d > 0 {
			time.Sleep(d)
		}
	}
	sched.PollUntil(t, nil)
}

// runPeriod does a period's chunks, recording their times into pr, the
// period scheduled to begin at at.
func (p *probeThread) runPeriod(pr *periodRecord, at time.Time) {
	t := time.Now()
	vol0, invol0 := threadSwitchCount()
	c := sched.ThreadCPU()
	pr.late = t.Sub(at)
	for i := range pr.chunks {
		kind := chunkKind(p.work, i)
		p.chunk(kind)
		t1 := time.Now()
		c1 := sched.ThreadCPU()
		pr.chunks[i] = chunkRecord{kind: kind, wall: t1.Sub(t), cpu: c1 - c}
		t, c = t1, c1
	}
	pr.done = t.Sub(at)
	vol, invol := threadSwitchCount()
	pr.involuntary = int(invol - invol0)
	pr.switches = int(vol-vol0) + pr.involuntary
}

// chunkKind is the kind of a period's i-th chunk.
func chunkKind(w HostWork, i int) HostWork {
	if w == HostBoth {
		if i%2 == 0 {
			return HostCompute
		}
		return HostMemory
	}
	return w
}

// chunk does one chunk of work of the kind.
func (p *probeThread) chunk(kind HostWork) {
	if kind == HostCompute {
		p.sum += computeChunk(p.l1, p.reps)
		return
	}
	s, off := memoryChunk(p.mem, p.off, p.lines)
	p.sum += float64(s & 1)
	p.off = off
}

// computeChunk passes reps times over v, a chain of dependent
// multiply-adds on data in L1.
//
//go:noinline
func computeChunk(v []float64, reps int) float64 {
	s := 0.0
	for range reps {
		for _, x := range v {
			s += x * 1.000001
		}
	}
	return s
}

// memoryChunk reads lines cache lines (64 bytes: 8 words) of buf from
// word off on, wrapping at its end, and returns their sum and where the
// next chunk starts.
//
//go:noinline
func memoryChunk(buf []uint64, off, lines int) (uint64, int) {
	var s uint64
	for lines > 0 {
		end := min(len(buf), off+8*lines)
		for i := off; i < end; i += 8 {
			s += buf[i]
		}
		lines -= (end - off + 7) / 8
		off = end
		if off >= len(buf) {
			off = 0
		}
	}
	return s, off
}

// calibrate sizes kind's chunks to take about target of CPU time on this
// machine, on the calling goroutine locked to its thread, and returns
// the size and the median CPU time of nine chunks of it.
func calibrate(p *probeThread, kind HostWork, target time.Duration) (int, time.Duration) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	size := func() *int {
		if kind == HostCompute {
			return &p.reps
		}
		return &p.lines
	}()
	timeChunks := func(n int) time.Duration {
		ts := make([]time.Duration, n)
		for i := range ts {
			c := sched.ThreadCPU()
			p.chunk(kind)
			ts[i] = sched.ThreadCPU() - c
		}
		slices.Sort(ts)
		return max(ts[n/2], 1)
	}
	// Grow until a chunk takes a measurable share of the target, then
	// scale, twice.
	*size = 1
	for timeChunks(3) < target/20 && *size < 1<<40 {
		*size *= 4
	}
	for range 2 {
		*size = max(1, int(float64(*size)*float64(target)/float64(timeChunks(5))))
	}
	return *size, timeChunks(9)
}

// threadSwitchCount returns the calling thread's context switches so far,
// voluntary (it blocked) and involuntary (the kernel ran another thread
// on its CPU).
func threadSwitchCount() (voluntary, involuntary int64) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		return 0, 0
	}
	return ru.Nvcsw, ru.Nivcsw
}

// readSteal reads every CPU's steal time so far.
func readSteal(fs procfs.FS, fsErr error) (map[int64]float64, error) {
	if fsErr != nil {
		return nil, fsErr
	}
	st, err := fs.Stat()
	if err != nil {
		return nil, err
	}
	m := make(map[int64]float64, len(st.CPU))
	for c, s := range st.CPU {
		m[c] = s.Steal
	}
	return m, nil
}

// stealDelta is each CPU's steal between two readings, in seconds.
func stealDelta(a, b map[int64]float64) []CPUSteal {
	var out []CPUSteal
	for c, s := range b {
		out = append(out, CPUSteal{CPU: c, Steal: time.Duration(math.Round((s - a[c]) * 1e9))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CPU < out[j].CPU })
	return out
}

// analyseHost fills rep's figures from the threads' records, against
// rep.Options' thresholds.
func analyseHost(rep *HostReport, recs []threadRecord) {
	o := rep.Options
	var all []*HostPeriod
	allStats := newStatsAcc()
	for i, r := range recs {
		acc := newStatsAcc()
		med := map[HostWork]time.Duration{}
		for kind, ch := range kindTimes(r.periods) {
			med[kind] = quantilesOf(ch.cpu).P50
		}
		var dones []time.Duration
		for _, p := range r.periods {
			dones = append(dones, p.done)
		}
		medDone := quantilesOf(dones).P50
		for _, p := range r.periods {
			hp := classify(i, p, med, medDone, o)
			acc.add(hp, o.Period)
			allStats.add(hp, o.Period)
			all = append(all, hp)
		}
		// A skipped period missed too: its work never began.
		acc.s.Skipped += r.skipped
		acc.s.Missed += r.skipped
		allStats.s.Skipped += r.skipped
		allStats.s.Missed += r.skipped
		rep.Threads = append(rep.Threads, HostThread{Thread: i, CPU: r.cpu, HostStats: acc.stats()})
	}
	rep.All = allStats.stats()
	sort.SliceStable(all, func(a, b int) bool { return all[a].Done > all[b].Done })
	for _, p := range all[:min(10, len(all))] {
		rep.Worst = append(rep.Worst, *p)
	}
	rep.Verdict = hostVerdict(rep)
}

// hostVerdict says the run's findings in a line.
func hostVerdict(rep *HostReport) string {
	s := rep.All
	var b strings.Builder
	if s.Held == 0 {
		b.WriteString("never held off the CPU")
	} else {
		fmt.Fprintf(&b, "held off the CPU %s (longest %.1f ms, %.1f ms in all)", plural(s.Held, "time"), ms(s.HeldMax), ms(s.HeldTime))
	}
	if s.Switched > s.Periods/10 {
		// Holds are told only in periods without a switch.
		fmt.Fprintf(&b, " in the %s not switched out", plural(s.Periods-s.Switched, "period"))
	}
	if s.Slow == 0 {
		b.WriteString(", never slow on the CPU")
	} else {
		fmt.Fprintf(&b, ", slow on the CPU %s in %s (up to x%.1f)", plural(s.Slow, "time"), plural(s.SlowPeriods, "period"), s.SlowMax)
	}
	if s.Switched > 0 {
		fmt.Fprintf(&b, ", switched out in %s (%.1f ms over its CPU time in %s)", plural(s.Switched, "period"), ms(s.WaitedTime), plural(s.Waited, "chunk"))
	}
	total := s.Periods + s.Skipped
	duty := fmt.Sprintf("%.0f%% duty", 100*rep.Options.Duty)
	if s.Missed == 0 {
		fmt.Fprintf(&b, ": at %s no period of %d would miss", duty, total)
	} else {
		fmt.Fprintf(&b, ": at %s %d period in %.0f would miss (%d of %d", duty, 1, float64(total)/float64(s.Missed), s.Missed, total)
		if s.MissedSwitched > 0 {
			fmt.Fprintf(&b, ", %d switched out", s.MissedSwitched)
		}
		if s.Skipped > 0 {
			fmt.Fprintf(&b, ", %d skipped", s.Skipped)
		}
		b.WriteString(")")
	}
	fmt.Fprintf(&b, " (latest done %.1f ms into its %.0f ms)", ms(s.Done.Max), ms(rep.Options.Period))
	return b.String()
}

// WriteHostReport prints a host probe's figures: the chunks' and the
// periods' by thread, the worst periods, steal, and the verdict.
func WriteHostReport(w io.Writer, r *HostReport) error {
	o := r.Options
	wait := "polling"
	if o.Sleep {
		wait = "sleeping"
	}
	fmt.Fprintf(w, "%d threads, %v, period %v, duty %.0f%%: %d chunks a period (%s), %s between periods", len(r.Threads), o.Duration, o.Period, 100*o.Duty, r.ChunksPerPeriod, chunkSizes(r), wait)
	if o.Nice != 0 {
		fmt.Fprintf(w, ", nice %d", o.Nice)
	}
	if o.Pin {
		fmt.Fprint(w, ", pinned")
	}
	fmt.Fprintln(w)
	rows := append([]HostThread(nil), r.Threads...)
	rows = append(rows, HostThread{Thread: -1, CPU: -1, HostStats: r.All})
	name := func(t HostThread) string {
		switch {
		case t.Thread < 0:
			return "all"
		case t.CPU >= 0:
			return fmt.Sprintf("%d (cpu %d)", t.Thread, t.CPU)
		}
		return fmt.Sprint(t.Thread)
	}
	q := func(x Quantiles) string {
		r := func(d time.Duration) float64 { return float64(d) / float64(max(x.P50, 1)) }
		return fmt.Sprintf("%.3f\t%.3f x%.2f\t%.3f x%.2f\t%.3f x%.2f", ms(x.P50), ms(x.P99), r(x.P99), ms(x.P999), r(x.P999), ms(x.Max), r(x.Max))
	}
	fmt.Fprintln(w, "\nchunks, ms (and ratio to the median):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "thread\tkind\tchunks\twall p50\tp99\tp99.9\tmax\tcpu p50\tp99\tp99.9\tmax\t")
	for _, t := range rows {
		for _, k := range t.Kinds {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t\n", name(t), k.Kind, k.Chunks, q(k.Wall), q(k.CPU))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nperiods: held = chunks over their CPU time by %v with no switch; slow = CPU time over x%.1f the median; done = end of work after the period's start, ms:\n", o.Held, o.Slow)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "thread\tperiods\tmissed\tskipped\tswitched\tswitches\tinvoluntary\theld\theld ms\tlongest\twaited\tslow\tin periods\tslowest\tdone p50\tp99\tp99.9\tmax\tlate max\t")
	for _, t := range rows {
		s := t.HostStats
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.1f\t%.1f\t%d\t%d\t%d\tx%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t\n",
			name(t), s.Periods, s.Missed, s.Skipped, s.Switched, s.Switches, s.Involuntary, s.Held, ms(s.HeldTime), ms(s.HeldMax), s.Waited, s.Slow, s.SlowPeriods, s.SlowMax,
			ms(s.Done.P50), ms(s.Done.P99), ms(s.Done.P999), ms(s.Done.Max), ms(s.LateMax))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nlatest periods (chunks' wall ms; h held, w waited, s slow):")
	for _, p := range r.Worst {
		var cs []string
		for _, c := range p.Chunks {
			f := ""
			if c.Held {
				f += "h"
			}
			if c.Waited {
				f += "w"
			}
			if c.Slow {
				f += "s"
			}
			cs = append(cs, fmt.Sprintf("%.2f%s", ms(c.Wall), f))
		}
		fmt.Fprintf(w, "  %8.3f s  thread %d  done %5.2f ms  cpu %5.2f ms  %s\n      %s\n", p.At.Seconds(), p.Thread, ms(p.Done), ms(p.CPU), p.Cause, strings.Join(cs, " "))
	}
	if len(r.Steal) > 0 {
		var ss []string
		for _, s := range r.Steal {
			ss = append(ss, fmt.Sprintf("cpu%d %.0f ms", s.CPU, ms(s.Steal)))
		}
		fmt.Fprintf(w, "\nsteal over the run (/proc/stat): %s\n", strings.Join(ss, ", "))
	} else {
		fmt.Fprintln(w, "\nsteal: /proc/stat not read")
	}
	_, err := fmt.Fprintf(w, "\n%s\n", r.Verdict)
	return err
}

// chunkSizes describes the calibrated chunks.
func chunkSizes(r *HostReport) string {
	var s []string
	if r.ComputeReps > 0 {
		s = append(s, fmt.Sprintf("compute %.2f ms", ms(r.ComputeChunk)))
	}
	if r.MemoryLines > 0 {
		s = append(s, fmt.Sprintf("memory %.2f ms, %d lines of %d MB", ms(r.MemoryChunk), r.MemoryLines, r.Options.MemBytes>>20))
	}
	j := strings.Join(s, " and ")
	if r.Options.Work == HostBoth {
		j += ", alternating"
	}
	return j
}

// kindChunks are one kind's chunk times.
type kindChunks struct{ wall, cpu []time.Duration }

// kindTimes gathers the periods' chunk times by kind.
func kindTimes(ps []periodRecord) map[HostWork]*kindChunks {
	m := map[HostWork]*kindChunks{}
	for _, p := range ps {
		for _, c := range p.chunks {
			k := m[c.kind]
			if k == nil {
				k = &kindChunks{}
				m[c.kind] = k
			}
			k.wall = append(k.wall, c.wall)
			k.cpu = append(k.cpu, c.cpu)
		}
	}
	return m
}

// classify makes a period's report: its chunks held or slow (against
// med, the thread's median chunk CPU time by kind) and the cause of its
// time above medDone, the thread's median completion.
func classify(thread int, p periodRecord, med map[HostWork]time.Duration, medDone time.Duration, o HostOptions) *HostPeriod {
	hp := &HostPeriod{Thread: thread, At: p.at, Late: p.late, Done: p.done, Switches: p.switches, Involuntary: p.involuntary}
	var held, waited, slow time.Duration
	var nHeld, nWaited, nSlow int
	worst := 0.0
	for _, c := range p.chunks {
		hc := HostChunk{Kind: c.kind, Wall: c.wall, CPU: c.cpu}
		hp.CPU += c.cpu
		if off := c.wall - c.cpu; off > o.Held {
			if p.switches == 0 {
				hc.Held = true
				held += off
				nHeld++
			} else {
				hc.Waited = true
				waited += off
				nWaited++
			}
		}
		if m := med[c.kind]; m > 0 {
			hc.Ratio = float64(c.cpu) / float64(m)
			if hc.Ratio > o.Slow {
				hc.Slow = true
				slow += c.cpu - m
				nSlow++
				worst = max(worst, hc.Ratio)
			}
		}
		hp.Chunks = append(hp.Chunks, hc)
	}
	type part struct {
		d time.Duration
		s string
	}
	parts := []part{
		{p.late, fmt.Sprintf("began %.1f ms late", ms(p.late))},
		{held, fmt.Sprintf("held off the CPU %.1f ms (%s)", ms(held), plural(nHeld, "chunk"))},
		{waited, fmt.Sprintf("switched out %.1f ms (%s, %s)", ms(waited), plural(nWaited, "chunk"), plural(p.switches, "switch"))},
		{slow, fmt.Sprintf("ran slow on the CPU +%.1f ms (%s, up to x%.1f)", ms(slow), plural(nSlow, "chunk"), worst)},
	}
	sort.SliceStable(parts, func(a, b int) bool { return parts[a].d > parts[b].d })
	var causes []string
	for _, pt := range parts {
		// Causes that matter to this period's length: over a tenth of
		// its time above the median, and over 0.2 ms.
		if pt.d > 200*time.Microsecond && pt.d > (p.done-medDone)/10 {
			causes = append(causes, pt.s)
		}
	}
	hp.Cause = strings.Join(causes, "; ")
	if hp.Cause == "" {
		hp.Cause = "none seen"
		if p.switches > 0 {
			hp.Cause = fmt.Sprintf("none seen (%s)", plural(p.switches, "switch"))
		}
	}
	return hp
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if strings.HasSuffix(what, "h") {
		return fmt.Sprintf("%d %ses", n, what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// statsAcc adds up classified periods.
type statsAcc struct {
	s     HostStats
	dones []time.Duration
	kinds map[HostWork]*kindChunks
	order []HostWork
}

func newStatsAcc() *statsAcc { return &statsAcc{kinds: map[HostWork]*kindChunks{}} }

func (a *statsAcc) add(p *HostPeriod, period time.Duration) {
	s := &a.s
	s.Periods++
	if p.Done > period {
		s.Missed++
		if p.Switches > 0 {
			s.MissedSwitched++
		}
	}
	a.dones = append(a.dones, p.Done)
	s.LateMax = max(s.LateMax, p.Late)
	if p.Switches > 0 {
		s.Switched++
		s.Switches += p.Switches
		s.Involuntary += p.Involuntary
	}
	slow := false
	for _, c := range p.Chunks {
		k := a.kinds[c.Kind]
		if k == nil {
			k = &kindChunks{}
			a.kinds[c.Kind] = k
			a.order = append(a.order, c.Kind)
		}
		k.wall = append(k.wall, c.Wall)
		k.cpu = append(k.cpu, c.CPU)
		off := c.Wall - c.CPU
		if c.Held {
			s.Held++
			s.HeldTime += off
			s.HeldMax = max(s.HeldMax, off)
		}
		if c.Waited {
			s.Waited++
			s.WaitedTime += off
		}
		if c.Slow {
			s.Slow++
			s.SlowMax = max(s.SlowMax, c.Ratio)
			slow = true
		}
	}
	if slow {
		s.SlowPeriods++
	}
}

func (a *statsAcc) stats() HostStats {
	s := a.s
	s.Done = quantilesOf(a.dones)
	order := append([]HostWork(nil), a.order...)
	slices.Sort(order) // compute before memory
	for _, k := range order {
		ch := a.kinds[k]
		s.Kinds = append(s.Kinds, ChunkStats{Kind: k, Chunks: len(ch.wall), Wall: quantilesOf(ch.wall), CPU: quantilesOf(ch.cpu)})
	}
	return s
}

// quantilesOf returns d's quantiles, sorting it.
func quantilesOf(d []time.Duration) Quantiles {
	if len(d) == 0 {
		return Quantiles{}
	}
	slices.Sort(d)
	rank := func(q float64) time.Duration {
		i := int(math.Ceil(q*float64(len(d)))) - 1
		return d[min(len(d)-1, max(0, i))]
	}
	return Quantiles{P50: rank(0.5), P99: rank(0.99), P999: rank(0.999), Max: d[len(d)-1]}
}
