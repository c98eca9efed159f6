package dahdi

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/faxd/faxd/hal/hwinfo/hwinfotest"
)

// sysfsTree builds testdata/sysfs.txt: a TDM410 as span 1 and an empty
// dynamic span 2.
func sysfsTree(t *testing.T) string {
	return hwinfotest.Tree(t, "testdata/sysfs.txt")
}

func TestListSpansSysfs(t *testing.T) {
	root := sysfsTree(t)
	spans, err := ListSpans(Config{SysfsRoot: root, ProcfsRoot: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != 2 {
		t.Fatalf("%d spans: %+v", len(spans), spans)
	}
	s := spans[0]
	wantPath := filepath.Join(root, "devices/pci0000:00/0000:00:1c.0/0000:05:00.0/pci:0000:05:00.0/span-1")
	if real, err := filepath.EvalSymlinks(wantPath); err == nil {
		wantPath = real
	}
	if s.Path != wantPath {
		t.Errorf("path %q, want %q", s.Path, wantPath)
	}
	s.Path = ""
	want := SpanDesc{
		Number: 1, Name: "WCTDM/0", Desc: "Wildcard TDM410 Board 1", Type: "ANALOG", SyncMaster: true, BaseChan: 1,
		Device: "pci:0000:05:00.0", Source: "sysfs",
		Channels: []ChannelDesc{
			{Number: 1, Position: 1, Name: "WCTDM/0/0", Sig: "FXSKS", InUse: true},
			{Number: 2, Position: 2, Name: "WCTDM/0/1", Sig: "FXSKS", Alarms: AlarmRed},
			{Number: 3, Position: 3, Name: "WCTDM/0/2", Sig: "FXOKS"},
			{Number: 4, Position: 4, Name: "WCTDM/0/3"},
		},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("span 1:\n got %+v\nwant %+v", s, want)
	}
	dyn := spans[1]
	if dyn.Number != 2 || dyn.Alarms != AlarmBlue || dyn.BaseChan != 0 || len(dyn.Channels) != 0 || dyn.Device != "" {
		t.Errorf("span 2: %+v", dyn)
	}
}

// A DAHDI with sysfs spans but no channels bus takes the channels from
// /proc/dahdi.
func TestListSpansSysfsWithoutChannelBus(t *testing.T) {
	root := sysfsTree(t)
	if err := os.RemoveAll(filepath.Join(root, "bus/dahdi_channels")); err != nil {
		t.Fatal(err)
	}
	spans, err := ListSpans(Config{SysfsRoot: root, ProcfsRoot: "testdata/procfs"})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(spans[0].Channels); got != 4 || spans[0].Channels[0].Name != "WCTDM/0/0" {
		t.Errorf("span 1 channels %+v", spans[0].Channels)
	}
}

func TestListSpansProc(t *testing.T) {
	spans, err := ListSpans(Config{SysfsRoot: t.TempDir(), ProcfsRoot: "testdata/procfs"})
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != 2 || spans[0].Number != 1 || spans[1].Number != 2 {
		t.Fatalf("spans %+v", spans)
	}
	if s := spans[1]; s.BaseChan != 5 || len(s.Channels) != 3 || s.Alarms != AlarmYellow || s.Source != "procfs" {
		t.Errorf("span 2 %+v", s)
	}
}

// Files that cannot be read give errors naming them; a missing DAHDI
// wraps ErrNotSupported.
func TestListSpansErrors(t *testing.T) {
	if _, err := ListSpans(Config{SysfsRoot: t.TempDir(), ProcfsRoot: t.TempDir()}); !errors.Is(err, ErrNotSupported) {
		t.Errorf("no DAHDI: %v", err)
	}
	// A span attribute that is a directory (root reads any file, so
	// permissions cannot make one unreadable in a test run as root).
	root := sysfsTree(t)
	name := filepath.Join(root, "devices/dahdi_dynamic/span-2/name")
	if err := os.Remove(name); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(name, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := ListSpans(Config{SysfsRoot: root})
	if err == nil || !strings.Contains(err.Error(), "span-2/name") {
		t.Errorf("unreadable attribute: %v", err)
	}
	// A /proc/dahdi file in a format we do not know.
	proc := t.TempDir()
	os.Mkdir(filepath.Join(proc, "dahdi"), 0o755)
	os.WriteFile(filepath.Join(proc, "dahdi", "3"), []byte("garbage\n"), 0o644)
	_, err = ListSpans(Config{SysfsRoot: t.TempDir(), ProcfsRoot: proc})
	if !errors.Is(err, ErrProcFormat) || !strings.Contains(err.Error(), filepath.Join(proc, "dahdi", "3")) {
		t.Errorf("bad proc file: %v", err)
	}
}

func TestParseProcSpan(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want SpanDesc
	}{
		{"analogue", "Span 1: WCTDM/0 \"Wildcard TDM410P\" (MASTER) \n\n\t   1 WCTDM/0/0 FXOKS (In use) \n\t   2 WCTDM/0/1 FXSKS \n\t   3 WCTDM/0/2 \n",
			SpanDesc{Number: 1, Name: "WCTDM/0", Desc: "Wildcard TDM410P", SyncMaster: true, BaseChan: 1, Source: "procfs", Channels: []ChannelDesc{
				{Number: 1, Position: 1, Name: "WCTDM/0/0", Sig: "FXOKS", InUse: true},
				{Number: 2, Position: 2, Name: "WCTDM/0/1", Sig: "FXSKS"},
				{Number: 3, Position: 3, Name: "WCTDM/0/2"},
			}}},
		{"T1 in alarm with counters", "Span 2: TE2/0/1 \"T2XXP (PCI) Card 0 Span 1\" B8ZS/ESF YELLOW RED ClockSource \n\tBPV count: 3\n\tIRQ misses: 5\n\n\t  25 TE2/0/1/1 Clear YELLOW RED (EC: VPMOCT032 - ACTIVE) \n\t  26 TE2/0/1/2 SF (ToneOnly) (no pcm) \n\t  27 TE2/0/1/3 Hardware-assisted HDLC Master \n",
			SpanDesc{Number: 2, Name: "TE2/0/1", Desc: "T2XXP (PCI) Card 0 Span 1", Alarms: AlarmYellow | AlarmRed, BaseChan: 25, Source: "procfs", Channels: []ChannelDesc{
				{Number: 25, Position: 1, Name: "TE2/0/1/1", Sig: "Clear", Alarms: AlarmYellow | AlarmRed},
				{Number: 26, Position: 2, Name: "TE2/0/1/2", Sig: "SF (ToneOnly)"},
				{Number: 27, Position: 3, Name: "TE2/0/1/3", Sig: "Hardware-assisted HDLC"},
			}}},
		{"no name, no channels", "Span 3: \"\" BLUE LOOP RECOVERING NOTOPEN \n\n",
			SpanDesc{Number: 3, Alarms: AlarmBlue | AlarmLoopback | AlarmRecover | AlarmNotOpen, Source: "procfs"}},
		{"channel without a name", "Span 4: X \"d\"\n\n\t   9 FXSKS \n\t  10 Reserved \n",
			SpanDesc{Number: 4, Name: "X", Desc: "d", BaseChan: 9, Source: "procfs", Channels: []ChannelDesc{
				{Number: 9, Position: 1, Sig: "FXSKS"},
				{Number: 10, Position: 2},
			}}},
	}
	for _, c := range cases {
		got, err := parseProcSpan(strings.NewReader(c.in))
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v %v\nwant %+v", c.name, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "nonsense\n", "Span x: A \"b\"\n", "Span 0: A \"b\"\n", "Span 1: no quotes\n", "Span 1: A \"b\n",
		"Span 1: A \"b\"\n\n\tnot a channel\n"} {
		if _, err := parseProcSpan(strings.NewReader(bad)); !errors.Is(err, ErrProcFormat) {
			t.Errorf("%q: %v, want ErrProcFormat", bad, err)
		}
	}
}

// FuzzParseProcSpan: any input parses or fails with an error, never a
// panic, and what parses is consistent.
func FuzzParseProcSpan(f *testing.F) {
	for _, name := range []string{"testdata/procfs/dahdi/1", "testdata/procfs/dahdi/2"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("Span 3: \"\" BLUE \n\n")
	f.Add("Span 1: A \"b\" (MASTER)\n\n\t 1 x SF (ToneOnly) (In use) (EC: e - ACTIVE) RED\n")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := parseProcSpan(strings.NewReader(in))
		if err != nil {
			return
		}
		if s.Number <= 0 {
			t.Errorf("span number %d", s.Number)
		}
		for i, c := range s.Channels {
			if c.Number <= 0 || c.Position != i+1 {
				t.Errorf("channel %d: %+v", i, c)
			}
		}
		if len(s.Channels) > 0 && s.BaseChan != s.Channels[0].Number {
			t.Errorf("base channel %d, first channel %d", s.BaseChan, s.Channels[0].Number)
		}
	})
}
