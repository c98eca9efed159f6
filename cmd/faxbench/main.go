// Command faxbench proves faxd's performance claims with measurements.
//
//	faxbench modems [flags]
//
// times every modem's transmitter and receiver, ours beside SpanDSP's when
// built with the spandsp tag (go build -tags spandsp ./cmd/faxbench; it then
// needs cgo and libspandsp-dev), taking turns in one run, and prints a
// table of ns per sample and real-time channels per core. With -sweep it
// also measures bit error rate against SNR, both receivers fed the very
// same noisy samples. Results go to -out: modems.json (everything),
// ber.csv and ber.svg/ber.png (the sweep).
//
//	faxbench server [flags]
//
// runs N simultaneous fax calls on the media server in real time (see
// bench.RunServer); results in server.json.
//
//	faxbench api [-clients N[,N...]] [-duration D] [-setups D] [-out DIR]
//
// submits faxes (a one-page PDF each) to a faxd API server in a temporary
// data directory over HTTPS by the API's client, with message-level
// encryption, sessions reused, and then times session set-ups on their
// own; then again without the seal, to measure its cost (see
// bench.RunAPI); results in api.json.
//
//	faxbench host [-duration D] [-period D] [-duty F] [-work compute|memory|both]
//	              [-threads N] [-nice N] [-pin] [-sleep] [-out DIR]
//
// measures whether this machine gives threads the CPU time they ask for
// when they ask, with nothing of faxd running: threads working a share of
// every period in chunks of fixed work, as the media server's workers do
// (see bench.ProbeHost); a summary on stdout, everything in host.json.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/faxd/faxd/bench"
	"github.com/faxd/faxd/dsp/modems"
)

// peers are the other implementations built in (SpanDSP with the spandsp
// tag); see spandsp.go.
var peers []peer

type peer struct {
	impl    bench.Impl
	version string
}

var errUsage = errors.New("usage")

const usage = `usage: faxbench modems|server|api|host [flags]   (faxbench modems -h, faxbench server -h, faxbench api -h, faxbench host -h list the flags)`

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "faxbench:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, usage)
	}
	switch args[0] {
	case "modems":
		return runModems(args[1:], stdout, stderr)
	case "server":
		return runServer(args[1:], stdout, stderr)
	case "api":
		return runAPI(args[1:], stdout, stderr)
	case "host":
		return runHost(args[1:], stdout, stderr)
	}
	return fmt.Errorf("%w: unknown command %q; %s", errUsage, args[0], usage)
}

// report is everything modems.json holds.
type report struct {
	When      time.Time         `json:"when"`
	Machine   machine           `json:"machine"`
	Impls     map[string]string `json:"impls"` // name: version
	Config    modemsConfig      `json:"config"`
	Timings   []bench.Timing    `json:"timings"`
	BERSweeps []bench.BERPoint  `json:"ber_sweep,omitempty"`
}

type machine struct {
	CPU    string `json:"cpu"`
	Cores  int    `json:"cores"`
	GOARCH string `json:"goarch"`
	Go     string `json:"go"`
}

type modemsConfig struct {
	Modems       []bench.ModemRate `json:"modems"`
	Seconds      float64           `json:"seconds"`
	Rounds       int               `json:"rounds"`
	SNRs         []float64         `json:"snrs_db,omitempty"`
	Trials       int               `json:"trials,omitempty"`
	SweepSeconds float64           `json:"sweep_seconds,omitempty"`
}

func runModems(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("modems", flag.ContinueOnError)
	fs.SetOutput(stderr)
	which := fs.String("modem", "all", "modems to measure: all, or a comma-separated list of names or name/rate (v29,v27ter/4800)")
	seconds := fs.Float64("seconds", 10, "seconds of data per timed transmission")
	rounds := fs.Int("rounds", 3, "transmissions timed per implementation, taking turns")
	sweep := fs.Bool("sweep", false, "also measure bit error rate against SNR")
	snrs := fs.String("snr", "4:30:1", "SNRs for the sweep in dB: from:to:step, or a comma-separated list")
	trials := fs.Int("trials", 3, "transmissions per SNR in the sweep")
	sweepSeconds := fs.Float64("sweep-seconds", 4, "seconds of data per sweep transmission")
	out := fs.String("out", "faxbench-out", "directory for modems.json, ber.csv, ber.svg and ber.png")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *seconds <= 0 || *seconds > 600 || *rounds < 1 || *trials < 1 || *sweepSeconds <= 0 || *sweepSeconds > 600 {
		return fmt.Errorf("%w: -seconds and -sweep-seconds must be in (0, 600], -rounds and -trials at least 1", errUsage)
	}
	list, err := selectModems(*which)
	if err != nil {
		return err
	}
	cfg := modemsConfig{Modems: list, Seconds: *seconds, Rounds: *rounds}
	if *sweep {
		if cfg.SNRs, err = parseSNRs(*snrs); err != nil {
			return err
		}
		cfg.Trials, cfg.SweepSeconds = *trials, *sweepSeconds
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}

	impls := []bench.Impl{bench.Ours()}
	rep := report{When: time.Now().UTC(), Machine: thisMachine(), Impls: map[string]string{"faxd": "this build"}, Config: cfg}
	for _, p := range peers {
		impls = append(impls, p.impl)
		rep.Impls[p.impl.Name] = p.version
	}
	if len(peers) == 0 {
		fmt.Fprintln(stderr, "faxbench: no peer built in; build with -tags spandsp to time SpanDSP beside ours")
	}
	for _, m := range list {
		ts, err := bench.TimeModems(impls, m, bench.TimeConfig{Seconds: *seconds, Rounds: *rounds, Seed: uint64(m.Rate)})
		if err != nil {
			return fmt.Errorf("%v: %w", m, err)
		}
		rep.Timings = append(rep.Timings, ts...)
	}
	if err := bench.WriteTimingTable(stdout, rep.Timings); err != nil {
		return err
	}
	if *sweep {
		for _, m := range list {
			pts, err := bench.BERSweep(impls, m, bench.SweepConfig{SNRs: cfg.SNRs, Trials: *trials, Seconds: *sweepSeconds, Seed: uint64(m.Rate) * 7})
			if err != nil {
				return fmt.Errorf("%v: %w", m, err)
			}
			rep.BERSweeps = append(rep.BERSweeps, pts...)
		}
		if err := writeFile(filepath.Join(*out, "ber.csv"), func(w io.Writer) error { return bench.WriteBERCSV(w, rep.BERSweeps) }); err != nil {
			return err
		}
		for _, ext := range []string{"svg", "png"} {
			if err := bench.PlotBER(filepath.Join(*out, "ber."+ext), rep.BERSweeps); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "\nerror-free from (dB SNR, %d x %g s per point):\n", *trials, *sweepSeconds)
		for _, l := range errorFreeFrom(rep.BERSweeps) {
			fmt.Fprintln(stdout, l)
		}
	}
	if err := writeFile(filepath.Join(*out, "modems.json"), func(w io.Writer) error { return bench.WriteJSON(w, rep) }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwritten to %s\n", *out)
	return nil
}

// errorFreeFrom lists, per modem, rate and implementation, the lowest SNR
// from which every higher point of the sweep was error-free.
func errorFreeFrom(pts []bench.BERPoint) []string {
	type key struct {
		bench.ModemRate
		impl string
	}
	var order []key
	best := map[key]float64{}
	broken := map[key]bool{}
	// Walk each series from the highest SNR down.
	byKey := map[key][]bench.BERPoint{}
	for _, p := range pts {
		k := key{p.ModemRate, p.Impl}
		if _, ok := byKey[k]; !ok {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], p)
	}
	var lines []string
	for _, k := range order {
		ps := byKey[k]
		best[k] = -1
		for i := len(ps) - 1; i >= 0; i-- {
			if broken[k] {
				break
			}
			if ps[i].Errors == 0 {
				best[k] = ps[i].SNR
			} else {
				broken[k] = true
			}
		}
		s := "none"
		if best[k] >= 0 {
			s = fmt.Sprintf("%g dB", best[k])
		}
		lines = append(lines, fmt.Sprintf("  %-8s %5d  %-8s %s", k.Modem, k.Rate, k.impl, s))
	}
	return lines
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// selectModems turns the -modem flag into modem/rate pairs.
func selectModems(spec string) ([]bench.ModemRate, error) {
	var out []bench.ModemRate
	if spec == "all" {
		for _, m := range modems.All {
			for _, r := range m.Rates {
				out = append(out, bench.ModemRate{Modem: m.Name, Rate: r})
			}
		}
		return out, nil
	}
	for _, item := range strings.Split(spec, ",") {
		name, rateStr, hasRate := strings.Cut(strings.TrimSpace(item), "/")
		var m *modems.Modem
		for i := range modems.All {
			if modems.All[i].Name == strings.ToLower(name) {
				m = &modems.All[i]
			}
		}
		if m == nil {
			return nil, fmt.Errorf("%w: unknown modem %q", errUsage, name)
		}
		if !hasRate {
			for _, r := range m.Rates {
				out = append(out, bench.ModemRate{Modem: m.Name, Rate: r})
			}
			continue
		}
		rate, err := strconv.Atoi(rateStr)
		if err != nil {
			return nil, fmt.Errorf("%w: rate %q", errUsage, rateStr)
		}
		if _, err := modems.Find(m.Name, rate, 2); err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		out = append(out, bench.ModemRate{Modem: m.Name, Rate: rate})
	}
	return out, nil
}

// parseSNRs reads "from:to:step" or "a,b,c".
func parseSNRs(s string) ([]float64, error) {
	bad := fmt.Errorf("%w: -snr %q: want from:to:step or a list", errUsage, s)
	if parts := strings.Split(s, ":"); len(parts) == 3 {
		var v [3]float64
		for i, p := range parts {
			f, err := strconv.ParseFloat(p, 64)
			if err != nil {
				return nil, bad
			}
			v[i] = f
		}
		if v[2] <= 0 || v[1] < v[0] || (v[1]-v[0])/v[2] > 200 {
			return nil, bad
		}
		var out []float64
		for x := v[0]; x <= v[1]+1e-9; x += v[2] {
			out = append(out, x)
		}
		return out, nil
	}
	var out []float64
	for _, p := range strings.Split(s, ",") {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, bad
		}
		out = append(out, f)
	}
	return out, nil
}

func thisMachine() machine {
	m := machine{Cores: runtime.NumCPU(), GOARCH: runtime.GOARCH, Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// parseCounts reads a flag's comma-separated counts of what, each 1 to
// max.
func parseCounts(flag, s, what string, max int) ([]int, error) {
	var counts []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > max {
			return nil, fmt.Errorf("%w: %s: %q is not a number of %s (1 to %d)", errUsage, flag, f, what, max)
		}
		counts = append(counts, n)
	}
	return counts, nil
}
