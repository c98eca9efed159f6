package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestModemsCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	err := run([]string{"modems", "-modem", "v29/7200,v21", "-seconds", "0.5", "-rounds", "1",
		"-sweep", "-snr", "10,30", "-trials", "1", "-sweep-seconds", "0.5", "-out", dir}, &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "v29") || !strings.Contains(out.String(), "error-free from") {
		t.Errorf("output:\n%s", out.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "modems.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	// Two modems, two SNRs, each implementation.
	if impls := 1 + len(peers); len(rep.Timings) != 2*impls || len(rep.BERSweeps) != 4*impls {
		t.Errorf("%d timings, %d sweep points", len(rep.Timings), len(rep.BERSweeps))
	}
	for _, f := range []string{"ber.csv", "ber.svg", "ber.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"fly"},
		{"modems", "-modem", "v34"},
		{"modems", "-modem", "v29/2400"},
		{"modems", "-seconds", "0"},
		{"modems", "-sweep", "-snr", "30:10:1"},
		{"modems", "extra"},
	} {
		var out, errOut bytes.Buffer
		if err := run(args, &out, &errOut); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v", args, err)
		}
	}
}

func TestParseSNRs(t *testing.T) {
	v, err := parseSNRs("4:10:2")
	if err != nil || len(v) != 4 || v[3] != 10 {
		t.Errorf("4:10:2 = %v, %v", v, err)
	}
}

// TestServerCommand: a tiny density run faster than real time writes its
// table and server.json; bad flags are usage errors.
func TestServerCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	err := run([]string{"server", "-calls", "2", "-ramp", "20ms", "-duration", "50ms", "-period", testPeriod, "-out", dir}, &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "calls/core") {
		t.Fatalf("no table:\n%s", out.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "server.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep serverReport
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Runs) != 1 || rep.Runs[0].Confirmed != rep.Runs[0].Placed || rep.Runs[0].Placed < 2 {
		t.Fatalf("server.json: %v\n%s", err, b)
	}
	for _, args := range [][]string{{"server", "-calls", "x"}, {"server", "-calls", "0"}, {"server", "-duration", "0s"}, {"server", "extra"}} {
		if err := run(args, &out, &errOut); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}

func TestAPICommand(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if err := run([]string{"api", "-clients", "2", "-duration", "200ms", "-setups", "100ms", "-out", dir}, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "session set-ups/s") || !strings.Contains(out.String(), "sealed") || !strings.Contains(out.String(), "2 clients: the seal costs") {
		t.Fatalf("no table:\n%s", out.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "api.json"))
	var rep apiReport
	if err != nil || json.Unmarshal(b, &rep) != nil || len(rep.Runs) != 2 || !rep.Runs[0].Sealed || rep.Runs[1].Sealed {
		t.Fatalf("api.json: %v\n%s", err, b)
	}
	for _, r := range rep.Runs {
		if r.Submissions == 0 || r.Errors != 0 || (r.Setups == 0) == r.Sealed {
			t.Fatalf("api.json: %+v", r)
		}
	}
	for _, args := range [][]string{{"api", "-clients", "0"}, {"api", "-duration", "0s"}, {"api", "x"}} {
		if err := run(args, &out, &errOut); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v", args, err)
		}
	}
}
