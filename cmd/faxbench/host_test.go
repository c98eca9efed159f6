package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faxd/faxd/bench"
)

func TestHostFlags(t *testing.T) {
	var errOut bytes.Buffer
	o, out, err := hostFlags([]string{"-duration", "10s", "-period", "10ms", "-duty", "0.7", "-work", "memory", "-threads", "3",
		"-nice", "-20", "-pin", "-sleep", "-chunk", "500us", "-mem", "16", "-out", "d"}, &errOut)
	want := bench.HostOptions{Duration: 10 * time.Second, Period: 10 * time.Millisecond, Duty: 0.7, Work: bench.HostMemory, Threads: 3,
		Nice: -20, Pin: true, Sleep: true, Chunk: 500 * time.Microsecond, MemBytes: 16 << 20}
	if err != nil || o != want || out != "d" {
		t.Errorf("%+v %q %v", o, out, err)
	}
	o, out, err = hostFlags(nil, &errOut)
	want = bench.HostOptions{Duration: time.Minute, Period: 20 * time.Millisecond, Duty: 0.5, Work: bench.HostBoth, Chunk: time.Millisecond, MemBytes: 64 << 20}
	if err != nil || o != want || out != "faxbench-out" {
		t.Errorf("defaults: %+v %q %v", o, out, err)
	}
	for _, args := range [][]string{
		{"-duration", "0s"}, {"-period", "-1ms"}, {"-duty", "0"}, {"-duty", "1.2"}, {"-duty", "NaN"}, {"-work", "disk"},
		{"-threads", "-1"}, {"-nice", "-21"}, {"-mem", "0"}, {"-chunk", "30ms"}, {"-bogus"}, {"extra"},
	} {
		if err := run(append([]string{"host"}, args...), &errOut, &errOut); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}

// TestHostCommand: a short probe prints its report and writes host.json.
func TestHostCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	err := run([]string{"host", "-duration", "200ms", "-period", "10ms", "-threads", "1", "-mem", "4", "-out", dir}, &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	for _, s := range []string{"chunks, ms", "latest periods", "would miss"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, out.String())
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "host.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep hostReport
	if err := json.Unmarshal(b, &rep); err != nil || rep.Probe == nil || len(rep.Probe.Threads) != 1 || rep.Probe.All.Periods == 0 || rep.Probe.Verdict == "" {
		t.Fatalf("host.json: %v\n%s", err, b)
	}
}
