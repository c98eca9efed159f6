package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"time"

	"github.com/faxd/faxd/bench"
	"github.com/faxd/faxd/hal/media"
	"github.com/faxd/faxd/hal/sched"
)

// serverReport is everything server.json holds.
type serverReport struct {
	When    time.Time          `json:"when"`
	Machine machine            `json:"machine"`
	Config  bench.ServerConfig `json:"config"`
	Runs    []*bench.ServerRun `json:"runs"`
	// Largest is the most calls a run carried meeting the bar (every call
	// confirmed, no deadline missed, no frame lost); 0 when none did.
	Largest int `json:"largest"`
}

// runServer: faxbench server -calls N[,N...] [-search] ...
func runServer(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	callsFlag := fs.String("calls", "2000", "simultaneous calls per run: N, or a comma-separated list run in turn")
	search := fs.Bool("search", false, "after the listed runs, raise the number of calls by -step while runs meet the bar, and report the largest")
	step := fs.Int("step", 250, "calls added per -search run")
	ramp := fs.Duration("ramp", 30*time.Second, "time over which each run's first calls start (spreading their phases)")
	duration := fs.Duration("duration", 60*time.Second, "the measured window after the ramp, all calls up; then the calls in progress finish")
	workers := fs.Int("workers", 0, "scheduler workers (0: one per CPU)")
	pin := fs.Bool("pin", false, "pin each worker to a CPU")
	nice := fs.Int("nice", 0, "the workers' threads' nice value, as faxd serve -nice (below 0 needs CAP_SYS_NICE)")
	poll := fs.Bool("busy-poll", false, "workers poll the clock between ticks instead of sleeping, as faxd serve -busy-poll: a core each, kept warm")
	period := fs.Duration("period", 20*time.Millisecond, "tick period (20 ms is real time; shorter runs faster than real time)")
	ecm := fs.Bool("ecm", false, "send with ECM")
	out := fs.String("out", "faxbench-out", "directory for server.json")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the runs to this file")
	memprofile := fs.String("memprofile", "", "write a profile of the runs' allocations (pprof's allocs) to this file")
	steal := fs.Bool("steal", true, "let a worker done with its tick take channels of another's tick still under way (sched.Config.Steal)")
	stealAfter := fs.Duration("steal-after", 0, "with -steal, how long a tick runs before it is stolen from (0: half the period)")
	timeTasks := fs.Bool("time-tasks", false, "time each channel's tick, naming in server.json the slowest of the run and of the missing ticks (a diagnosis: it costs some CPU)")
	forceGC := fs.Duration("force-gc", 0, "run a collection (runtime.GC) this often in the window, to measure what one costs the ticks (0: never)")
	gogc := fs.Int("gogc", media.GCPercent, "the garbage collector's target percent, as faxd serve sets it (GOGC in the environment wins)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(*gogc))
	}
	if os.Getenv("GOMAXPROCS") == "" {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(sched.Procs(*workers)))
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	counts, err := parseCounts("-calls", *callsFlag, "calls", 100000)
	if err != nil {
		return err
	}
	if *duration <= 0 || *ramp <= 0 || *period <= 0 || *step < 1 || *forceGC < 0 {
		return fmt.Errorf("%w: -duration, -ramp, -period and -step must be positive, -force-gc not negative", errUsage)
	}
	page, err := bench.LetterPage()
	if err != nil {
		return err
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep := serverReport{When: time.Now().UTC(), Machine: thisMachine()}
	rep.Config = bench.ServerConfig{Ramp: *ramp, Duration: *duration, Workers: *workers, Pin: *pin, Poll: *poll, Nice: *nice, Period: *period, ECM: *ecm, ForceGC: *forceGC, TimeTasks: *timeTasks, Steal: *steal, StealAfter: *stealAfter}
	do := func(n int) (*bench.ServerRun, error) {
		cfg := rep.Config
		cfg.Calls, cfg.Page = n, page
		fmt.Fprintf(stderr, "faxbench server: %d calls: ramp %v, window %v...\n", n, *ramp, *duration)
		r, err := bench.RunServer(ctx, cfg)
		if err != nil {
			return nil, err
		}
		rep.Runs = append(rep.Runs, r)
		if r.OK() {
			rep.Largest = max(rep.Largest, n)
		}
		return r, nil
	}
	var last *bench.ServerRun
	for _, n := range counts {
		if last, err = do(n); err != nil {
			return err
		}
	}
	for *search && last.OK() {
		if last, err = do(last.Calls + *step); err != nil {
			return err
		}
	}
	if *memprofile != "" {
		f, err := os.Create(*memprofile)
		if err != nil {
			return err
		}
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if err := bench.WriteServerTable(stdout, rep.Runs); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "largest number of calls meeting the bar: %d (%d channels)\n", rep.Largest, 2*rep.Largest)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(*out, "server.json"))
	if err != nil {
		return err
	}
	if err := bench.WriteJSON(f, rep); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
