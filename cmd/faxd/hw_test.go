package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/faxd/faxd/hal/hwinfo"
	"github.com/faxd/faxd/hal/hwinfo/hwinfotest"
)

const fixtures = "../../hal/hwinfo/testdata/"

func runFaxd(args ...string) (status int, stdout, stderr string) {
	var out, errb bytes.Buffer
	status = run(args, &out, &errb)
	return status, out.String(), errb.String()
}

func TestHWList(t *testing.T) {
	sys := hwinfotest.Tree(t, fixtures+"sysfs.txt")
	status, out, errs := runFaxd("hw", "list", "--sysfs", sys, "--procfs", fixtures+"procfs")
	if status != 0 || errs != "" {
		t.Fatalf("status %d, stderr %q", status, errs)
	}
	want := `ADDRESS       VENDOR     ID         DRIVER      IRQ  INTERRUPTS  MODEL
0000:00:0a.0  OpenVox    1b74:1200  opvxa1200   17   300000      -
0000:00:0b.0  Tiger Jet  e159:0001  -           -    -           -
0000:00:0c.0  Sangoma    1923:0100  wanpipe     18   30          -
0000:00:0d.0  10ee       10ee:0007  wctdm24xxp  19   -           -
0000:03:00.0  Digium     d161:800e  wct4xxp     42   8888888     Wildcard TE420 (5th Gen)

SPAN  NAME         TYPE  CHANNELS  ALARMS   SYNC    CARD          DESCRIPTION
3     OPVXA1200/0  FXO   63-74     OK       -       0000:00:0a.0  OpenVox A1200 Board 1
1     TE4/0/1      E1    1-31      OK       master  0000:03:00.0  T4XXP (PCI) Card 0 Span 1
2     TE4/0/2      E1    32-62     RED,LOS  -       0000:03:00.0  T4XXP (PCI) Card 0 Span 2
4     DYN/eth0/0   E1    75-105    BLUE     -       -             Dynamic 'eth' span at 'eth0/00:1a:2b:3c:4d:5e'
`
	if out != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}

	// The same report as JSON.
	status, out, _ = runFaxd("hw", "list", "--json", "--sysfs", sys, "--procfs", fixtures+"procfs")
	if status != 0 {
		t.Fatalf("--json: status %d", status)
	}
	var r hwinfo.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Cards) != 5 || r.Cards[4].IRQCount != 8888888 || len(r.Cards[4].Spans) != 2 || !r.DAHDI || len(r.Spans) != 1 {
		t.Errorf("JSON report %+v", r)
	}
	if !strings.Contains(out, `"driver": "wct4xxp"`) || !strings.Contains(out, `"alarms": 264`) {
		t.Errorf("JSON lacks fields:\n%s", out)
	}
}

func TestHWListNoDAHDI(t *testing.T) {
	sys := hwinfotest.Tree(t, fixtures+"sysfs-olddahdi.txt")
	status, out, errs := runFaxd("hw", "list", "--sysfs", sys, "--procfs", t.TempDir())
	if status != 0 {
		t.Fatalf("status %d %q", status, errs)
	}
	if !strings.Contains(out, "DAHDI: not loaded") || !strings.Contains(out, "wct4xxp") {
		t.Errorf("output:\n%s", out)
	}
	// /proc/interrupts missing: one warning line, the table still printed.
	if strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "faxd: warning:") {
		t.Errorf("stderr %q", errs)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{}, {"nonsense"}, {"hw"}, {"hw", "nonsense"}, {"hw", "list", "extra"}, {"hw", "list", "--bogus"},
		{"hw", "list", "--sysfs"},
	} {
		status, _, errs := runFaxd(args...)
		if status != 2 {
			t.Errorf("%q: status %d, want 2", args, status)
		}
		if len(args) > 0 && strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%q: want one error line, got %q", args, errs)
		}
	}
	// A sysfs root with no PCI bus is an error, not a usage error.
	if status, _, errs := runFaxd("hw", "list", "--sysfs", t.TempDir()); status != 1 || !strings.Contains(errs, "no PCI devices") {
		t.Errorf("empty sysfs: status %d %q", status, errs)
	}
	if status, out, _ := runFaxd("help"); status != 0 || !strings.Contains(out, "hw list") {
		t.Errorf("help: %d %q", status, out)
	}
}
