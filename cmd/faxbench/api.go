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

// runAPI: faxbench api [-clients N[,N...]] [-duration D] [-setups D]
// [-out DIR]. Each client count runs twice: sealed, by the API's client
// as a real client submits, then unsealed, to measure what the seal
// costs.
func runAPI(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	fs.SetOutput(stderr)
	clients := fs.String("clients", "8,32", "concurrent clients per run: N, or a comma-separated list run in turn")
	duration := fs.Duration("duration", 10*time.Second, "how long each run submits")
	setups := fs.Duration("setups", 3*time.Second, "how long session set-ups are timed after each sealed run")
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
		for _, unsealed := range []bool{false, true} {
			fmt.Fprintf(stderr, "faxbench api: %d clients for %v, %s...\n", n, *duration, yesNo(!unsealed, "sealed", "unsealed"))
			r, err := bench.RunAPI(ctx, bench.APIConfig{Clients: n, Duration: *duration, Setups: *setups, Unsealed: unsealed})
			if err != nil {
				return err
			}
			rep.Runs = append(rep.Runs, r)
		}
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "clients\tsealed\tdocument\tsubmissions\terrors\tper second\tp50\tp99\tmax\tcpu/submission\tsession set-ups/s\tset-up p50\t")
	for _, r := range rep.Runs {
		setups, setupP50 := "-", "-"
		if r.Sealed {
			setups, setupP50 = fmt.Sprintf("%.0f", r.SetupsPerSec), fmt.Sprintf("%.2f ms", ms(r.SetupP50))
		}
		fmt.Fprintf(tw, "%d\t%s\t%d B\t%d\t%d\t%.0f\t%.2f ms\t%.2f ms\t%.2f ms\t%.0f µs\t%s\t%s\t\n", r.Clients, yesNo(r.Sealed, "yes", "no"), r.DocumentBytes,
			r.Submissions, r.Errors, r.PerSecond, ms(r.P50), ms(r.P99), ms(r.Max), float64(cpuPer(r))/1e3, setups, setupP50)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// The seal's cost, each client count's sealed run against its
	// unsealed one.
	for i := 0; i+1 < len(rep.Runs); i += 2 {
		s, u := rep.Runs[i], rep.Runs[i+1]
		if u.PerSecond > 0 {
			fmt.Fprintf(stdout, "%d clients: the seal costs %+.0f µs CPU a submission; sealed, %.0f%% of the unsealed rate\n", s.Clients,
				float64(cpuPer(s)-cpuPer(u))/1e3, 100*s.PerSecond/u.PerSecond)
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(rep, "", "  ")
	return os.WriteFile(filepath.Join(*out, "api.json"), append(b, '\n'), 0o644)
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// cpuPer is a run's process CPU per submission.
func cpuPer(r *bench.APIRun) time.Duration {
	if r.Submissions == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Submissions)
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}
