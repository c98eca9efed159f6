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
	"time"

	"github.com/faxd/faxd/bench"
)

// hostReport is everything host.json holds.
type hostReport struct {
	When    time.Time         `json:"when"`
	Machine machine           `json:"machine"`
	Probe   *bench.HostReport `json:"probe"`
}

// hostFlags parses faxbench host's flags into the probe's options and the
// output directory.
func hostFlags(args []string, stderr io.Writer) (bench.HostOptions, string, error) {
	fs := flag.NewFlagSet("host", flag.ContinueOnError)
	fs.SetOutput(stderr)
	duration := fs.Duration("duration", 60*time.Second, "how long to probe")
	period := fs.Duration("period", 20*time.Millisecond, "each thread's period: it works -duty of it, then waits")
	duty := fs.Float64("duty", 0.5, "share of each period worked, in (0, 1]")
	work := fs.String("work", "both", "the chunks' work: compute (L1-resident arithmetic), memory (a 64 MB buffer read a cache line at a time) or both (alternating chunk by chunk)")
	threads := fs.Int("threads", 0, "threads, their periods staggered across the period (0: one per CPU)")
	nice := fs.Int("nice", 0, "the threads' nice value (below 0 needs CAP_SYS_NICE)")
	pin := fs.Bool("pin", false, "pin each thread to a CPU")
	sleep := fs.Bool("sleep", false, "sleep between periods instead of polling the clock")
	chunk := fs.Duration("chunk", time.Millisecond, "a chunk's CPU time, as calibrated at the start")
	memMB := fs.Int("mem", 64, "MB each thread's memory chunks walk")
	out := fs.String("out", "faxbench-out", "directory for host.json")
	if err := fs.Parse(args); err != nil {
		return bench.HostOptions{}, "", fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return bench.HostOptions{}, "", fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	// Zero is a default to bench.ProbeHost: here it is an error.
	switch {
	case *duration <= 0 || *period <= 0 || *chunk <= 0 || !(*duty > 0):
		return bench.HostOptions{}, "", fmt.Errorf("%w: -duration, -period, -chunk and -duty must be positive", errUsage)
	case *threads < 0:
		return bench.HostOptions{}, "", fmt.Errorf("%w: -threads %d", errUsage, *threads)
	case *nice < -20 || *nice > 19:
		return bench.HostOptions{}, "", fmt.Errorf("%w: -nice %d: want -20 to 19", errUsage, *nice)
	case *memMB < 1 || *memMB > 1<<16:
		return bench.HostOptions{}, "", fmt.Errorf("%w: -mem %d: want 1 to 65536 MB", errUsage, *memMB)
	}
	o := bench.HostOptions{Duration: *duration, Period: *period, Duty: *duty, Work: bench.HostWork(*work), Threads: *threads,
		Nice: *nice, Pin: *pin, Sleep: *sleep, Chunk: *chunk, MemBytes: *memMB << 20}
	if err := o.Check(); err != nil {
		return bench.HostOptions{}, "", fmt.Errorf("%w: %v", errUsage, err)
	}
	return o, *out, nil
}

// runHost: faxbench host [-duration D] [-period D] [-duty F]
// [-work compute|memory|both] [-threads N] [-nice N] [-pin] [-sleep]
// [-out DIR].
func runHost(args []string, stdout, stderr io.Writer) error {
	o, out, err := hostFlags(args, stderr)
	if err != nil {
		return err
	}
	// A P for every thread and one for the rest (as faxbench server
	// gives its workers), unless GOMAXPROCS says otherwise.
	if os.Getenv("GOMAXPROCS") == "" {
		n := o.Threads
		if n == 0 {
			n = runtime.NumCPU()
		}
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(runtime.GOMAXPROCS(0), n+1)))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep := hostReport{When: time.Now().UTC(), Machine: thisMachine()}
	fmt.Fprintf(stderr, "faxbench host: probing for %v...\n", o.Duration)
	if rep.Probe, err = bench.ProbeHost(ctx, o); err != nil {
		return err
	}
	if err := bench.WriteHostReport(stdout, rep.Probe); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(out, "host.json"), func(w io.Writer) error { return bench.WriteJSON(w, rep) }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwritten to %s\n", out)
	return nil
}
