package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/faxd/faxd/bench"
)

// apiReport is everything api.json holds.
type apiReport struct {
	When    time.Time       `json:"when"`
	Machine machine         `json:"machine"`
	Config  bench.APIConfig `json:"config"`
	Runs    []*bench.APIRun `json:"runs"`
}

// runAPI: faxbench api [-clients N[,N...]] [-duration D] [-out DIR].
func runAPI(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	fs.SetOutput(stderr)
	clients := fs.String("clients", "8,32", "concurrent clients per run: N, or a comma-separated list run in turn")
	duration := fs.Duration("duration", 10*time.Second, "how long each run submits")
	setups := fs.Duration("setups", 3*time.Second, "how long session set-ups are timed after each run")
	out := fs.String("out", "faxbench-out", "directory for api.json")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	counts, err := parseCounts("-clients", *clients, "clients", 1000)
	if err != nil {
		return err
	}
	if *duration <= 0 || *setups <= 0 {
		return fmt.Errorf("%w: -duration and -setups must be positive", errUsage)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep := apiReport{When: time.Now().UTC(), Machine: thisMachine(), Config: bench.APIConfig{Duration: *duration, Setups: *setups}}
	for _, n := range counts {
		fmt.Fprintf(stderr, "faxbench api: %d clients for %v...\n", n, *duration)
		r, err := bench.RunAPI(ctx, bench.APIConfig{Clients: n, Duration: *duration, Setups: *setups})
		if err != nil {
			return err
		}
		rep.Runs = append(rep.Runs, r)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "clients\tdocument\tsubmissions\terrors\tper second\tp50\tp99\tmax\tcpu/submission\tsession set-ups/s\tset-up p50\t")
	for _, r := range rep.Runs {
		per := time.Duration(0)
		if r.Submissions > 0 {
			per = r.CPU / time.Duration(r.Submissions)
		}
		fmt.Fprintf(tw, "%d\t%d B\t%d\t%d\t%.0f\t%.2f ms\t%.2f ms\t%.2f ms\t%.0f µs\t%.0f\t%.2f ms\t\n", r.Clients, r.DocumentBytes, r.Submissions, r.Errors,
			r.PerSecond, ms(r.P50), ms(r.P99), ms(r.Max), float64(per)/1e3, r.SetupsPerSec, ms(r.SetupP50))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(rep, "", "  ")
	return os.WriteFile(filepath.Join(*out, "api.json"), append(b, '\n'), 0o644)
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
