package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
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

// The table for a machine with a TE420 under DAHDI, a Sangoma A101 under
// wanpipe, an X100P without a driver and a dynamic span; its NIC and other
// PCI devices are not listed.
func TestHWList(t *testing.T) {
	sys := hwinfotest.Tree(t, fixtures+"sysfs.txt")
	status, out, errs := runFaxd("hw", "list", "--sysfs", sys, "--procfs", fixtures+"procfs")
	if status != 0 || errs != "" {
		t.Fatalf("status %d, stderr %q", status, errs)
	}
	want := `ADDRESS       VENDOR     ID         MODEL                                           DRIVER           IRQ  INTERRUPTS  NUMA  SPANS  CHANNELS
0000:00:0a.0  Sangoma    1923:0300  A101 single-port T1/E1                          (irq: wanpipe1)  17   30000       0     -      -
0000:00:0b.0  Tiger Jet  e159:0001  Digium X100P/X101P analogue PSTN FXO interface  -                -    -           -     -      -
0000:03:00.0  Digium     d161:1420  Wildcard TE420 (5th Gen)                        wct4xxp          42   8888888     0     4      124

SPAN  NAME        TYPE  CHANNELS  ALARMS   SYNC    CARD          DESCRIPTION
1     TE4/0/1     E1    1-31      OK       master  0000:03:00.0  T4XXP (PCI) Card 0 Span 1
2     TE4/0/2     E1    32-62     RED,LOS  -       0000:03:00.0  T4XXP (PCI) Card 0 Span 2
3     TE4/0/3     E1    63-93     OK       -       0000:03:00.0  T4XXP (PCI) Card 0 Span 3
4     TE4/0/4     E1    94-124    OK       -       0000:03:00.0  T4XXP (PCI) Card 0 Span 4
5     DYN/eth0/0  E1    -         BLUE     -       -             Dynamic 'eth' span at 'eth0/00:1a:2b:3c:4d:5e'
`
	if out != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
	if strings.Contains(out, "8086") || strings.Contains(out, "e1000e") {
		t.Error("a non-telephony device is listed")
	}

	// The same report as JSON.
	status, out, errs = runFaxd("hw", "list", "--json", "--sysfs", sys, "--procfs", fixtures+"procfs")
	if status != 0 || errs != "" {
		t.Fatalf("--json: status %d, stderr %q", status, errs)
	}
	var r hwinfo.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Cards) != 3 || !r.DAHDI || len(r.OtherSpans) != 1 {
		t.Fatalf("JSON report %+v", r)
	}
	te := r.Cards[2]
	if te.Interrupts != 8888888 || len(te.Spans) != 4 || te.Channels() != 124 || te.DAHDI == nil || te.DAHDI.Type != "Wildcard TE420 (5th Gen)" {
		t.Errorf("TE420 from JSON %+v", te)
	}
	for _, field := range []string{`"driver": "wct4xxp"`, `"alarms": 264`, `"numa_node": 0`, `"irq_users": "wanpipe1"`, `"subsystem_vendor": 40976`} {
		if !strings.Contains(out, field) {
			t.Errorf("JSON lacks %s", field)
		}
	}
}

// A DAHDI with spans in /proc/dahdi only: they stand apart from the card.
func TestHWListProcDAHDI(t *testing.T) {
	sys := hwinfotest.Tree(t, fixtures+"sysfs-olddahdi.txt")
	status, out, errs := runFaxd("hw", "list", "--sysfs", sys, "--procfs", fixtures+"procfs")
	if status != 0 || errs != "" {
		t.Fatalf("status %d, stderr %q", status, errs)
	}
	for _, line := range []string{
		"0000:03:00.0  Digium  d161:1420  Wildcard TE420 quad-span T1/E1/J1 card 3.3V (PCI-Express) (5th gen)  wct4xxp  42   8888888     -     -      -",
		"2     TE4/0/2  -     32-62     RED     -       -     T4XXP (PCI) Card 0 Span 2",
	} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("output lacks %q:\n%s", line, out)
		}
	}
}

// A machine without cards or DAHDI says so plainly, and succeeds.
func TestHWListNoCards(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none")
	for _, roots := range [][]string{{t.TempDir(), t.TempDir()}, {missing, missing}} {
		status, out, errs := runFaxd("hw", "list", "--sysfs", roots[0], "--procfs", roots[1])
		want := "no telephony cards found (looked at the PCI devices in " + roots[0] + ")\n\nDAHDI: not loaded (no sysfs bus/dahdi_spans, no /proc/dahdi)\n"
		if status != 0 || errs != "" || out != want {
			t.Errorf("%v: status %d, stderr %q, stdout:\n%s", roots, status, errs, out)
		}
		status, out, _ = runFaxd("hw", "list", "--json", "--sysfs", roots[0], "--procfs", roots[1])
		if status != 0 || out != "{\n  \"cards\": [],\n  \"dahdi\": false\n}\n" {
			t.Errorf("%v --json: status %d:\n%s", roots, status, out)
		}
	}
}

// A tree that cannot be read is an error (status 1, one line naming the
// file), not an empty report.
func TestHWListUnreadable(t *testing.T) {
	sys := hwinfotest.Tree(t, fixtures+"sysfs.txt")
	proc := t.TempDir()
	// interrupts as a directory: no one can read it, root included.
	if err := mkdirs(proc, "interrupts", "1"); err != nil {
		t.Fatal(err)
	}
	status, out, errs := runFaxd("hw", "list", "--sysfs", sys, "--procfs", proc)
	if status != 1 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, filepath.Join(proc, "interrupts")) {
		t.Errorf("status %d, stdout %q, stderr %q", status, out, errs)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{}, {"nonsense"}, {"hw"}, {"hw", "nonsense"}, {"hw", "list", "extra"}, {"hw", "list", "--bogus"},
		{"hw", "list", "--sysfs"}, {"init", "extra"}, {"init", "--bogus"}, {"serve", "--bogus"}, {"serve", "extra"}, {"keys"}, {"keys", "rotate", "x"}, {"audit"}, {"audit", "verify", "--bogus"}, {"demo", "--bogus"}, {"demo", "a", "b"},
	} {
		status, out, errs := runFaxd(args...)
		if status != 2 || out != "" || !strings.Contains(errs, "usage:\n  faxd hw list") {
			t.Errorf("%q: status %d, stdout %q, stderr %q", args, status, out, errs)
		}
		if len(args) > 0 && !strings.HasPrefix(errs, "faxd: usage: ") {
			t.Errorf("%q: no error line before the usage: %q", args, errs)
		}
	}
	for _, h := range []string{"help", "-h", "--help"} {
		if status, out, _ := runFaxd(h); status != 0 || !strings.HasPrefix(out, "usage:\n") {
			t.Errorf("%s: %d %q", h, status, out)
		}
	}
}

func mkdirs(root string, names ...string) error {
	for _, n := range names {
		if err := os.Mkdir(filepath.Join(root, n), 0o755); err != nil {
			return err
		}
	}
	return nil
}
