package hwinfo

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/faxd/faxd/hal/dahdi"
	"github.com/faxd/faxd/hal/hwinfo/hwinfotest"
)

func discover(t *testing.T, spec string) *Report {
	t.Helper()
	r, err := Discover(Config{SysfsRoot: hwinfotest.Tree(t, spec), ProcfsRoot: "testdata/procfs"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDiscover(t *testing.T) {
	r := discover(t, "testdata/sysfs.txt")
	if len(r.Warnings) != 0 {
		t.Errorf("warnings: %q", r.Warnings)
	}
	if !r.DAHDI {
		t.Error("DAHDI not seen")
	}
	type row struct {
		addr, vendor, driver string
		irq                  int
		counted              bool
		count                uint64
		model                string
		spans                []int
	}
	want := []row{
		{"0000:00:0a.0", "OpenVox", "opvxa1200", 17, true, 300000, "", []int{3}},
		{"0000:00:0b.0", "Tiger Jet", "", 0, false, 0, "", nil},
		{"0000:00:0c.0", "Sangoma", "wanpipe", 18, true, 30, "", nil},
		{"0000:00:0d.0", "10ee", "wctdm24xxp", 19, false, 0, "", nil},
		{"0000:03:00.0", "Digium", "wct4xxp", 42, true, 8888888, "Wildcard TE420 (5th Gen)", []int{1, 2}},
	}
	if len(r.Cards) != len(want) {
		t.Fatalf("%d cards, want %d: %+v", len(r.Cards), len(want), r.Cards)
	}
	for i, w := range want {
		c := r.Cards[i]
		var spans []int
		for _, s := range c.Spans {
			spans = append(spans, s.Number)
		}
		got := row{c.Address, c.VendorName, c.Driver, c.IRQ, c.IRQCounted, c.IRQCount, c.Model, spans}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("card %d:\n got %+v\nwant %+v", i, got, w)
		}
	}
	te := r.Cards[4]
	if te.Vendor != 0xd161 || te.Device != 0x800e || te.SubsystemDevice != 0x8b01 || te.Manufacturer != "Digium" {
		t.Errorf("TE420 ids %+v", te)
	}
	if !reflect.DeepEqual(te.IRQCPUs, []uint64{1234567, 7654321}) {
		t.Errorf("per-CPU counts %v", te.IRQCPUs)
	}
	s1, s2 := te.Spans[0], te.Spans[1]
	if s1 != (Span{Number: 1, Name: "TE4/0/1", Desc: "T4XXP (PCI) Card 0 Span 1", Type: "E1", BaseChan: 1, Channels: 31, SyncMaster: true, Address: "0000:03:00.0", Source: "sysfs"}) {
		t.Errorf("span 1 %+v", s1)
	}
	if s2.Alarms != dahdi.AlarmRed|dahdi.AlarmLOS || s2.BaseChan != 32 || s2.SyncMaster {
		t.Errorf("span 2 %+v", s2)
	}
	if ov := r.Cards[0].Spans[0]; ov.Type != "FXO" || ov.Channels != 12 || ov.Address != "0000:00:0a.0" {
		t.Errorf("OpenVox span %+v", ov)
	}
	if len(r.Spans) != 1 || r.Spans[0].Number != 4 || r.Spans[0].Address != "" || r.Spans[0].Alarms != dahdi.AlarmBlue {
		t.Errorf("other spans %+v", r.Spans)
	}
}

func TestDiscoverProcDAHDI(t *testing.T) {
	r := discover(t, "testdata/sysfs-olddahdi.txt")
	if !r.DAHDI || len(r.Cards) != 1 {
		t.Fatalf("report %+v", r)
	}
	// /proc/dahdi names no PCI address: the spans stand apart.
	if len(r.Spans) != 2 || r.Spans[0].Source != "procfs" || r.Spans[1].Alarms != dahdi.AlarmRed {
		t.Errorf("spans %+v", r.Spans)
	}
}

func TestDiscoverNoDAHDI(t *testing.T) {
	r, err := Discover(Config{SysfsRoot: hwinfotest.Tree(t, "testdata/sysfs-olddahdi.txt"), ProcfsRoot: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if r.DAHDI || len(r.Spans) != 0 || len(r.Cards) != 1 {
		t.Errorf("report %+v", r)
	}
	// No /proc/interrupts: the count is missing, with a warning.
	if r.Cards[0].IRQCounted || len(r.Warnings) == 0 {
		t.Errorf("card %+v warnings %q", r.Cards[0], r.Warnings)
	}
}

func TestDiscoverNoSysfs(t *testing.T) {
	if _, err := Discover(Config{SysfsRoot: t.TempDir()}); !errors.Is(err, ErrNoSysfs) {
		t.Errorf("empty sysfs: %v", err)
	}
}

func TestParseProcSpan(t *testing.T) {
	cases := []struct {
		in   string
		want Span
	}{
		{"Span 1: WCTDM/0 \"Wildcard TDM410P\" (MASTER) \n\n           1 WCTDM/0/0 FXOKS (In use) \n           2 WCTDM/0/1 FXOKS \n           3 WCTDM/0/2 \n",
			Span{Number: 1, Name: "WCTDM/0", Desc: "Wildcard TDM410P", SyncMaster: true, BaseChan: 1, Channels: 3, Source: "procfs"}},
		{"Span 2: TE2/0/1 \"T2XXP (PCI) Card 0 Span 1\" B8ZS/ESF YELLOW \n\tIRQ misses: 5\n\tbpvcount: 3\n\n\t  25 TE2/0/1/1 Clear YELLOW\n",
			Span{Number: 2, Name: "TE2/0/1", Desc: "T2XXP (PCI) Card 0 Span 1", Alarms: dahdi.AlarmYellow, BaseChan: 25, Channels: 1, Source: "procfs"}},
		{"Span 3: DYN/eth0 \"dynamic\" BLUE RECOVERING \n", Span{Number: 3, Name: "DYN/eth0", Desc: "dynamic", Alarms: dahdi.AlarmBlue | dahdi.AlarmRecover, Source: "procfs"}},
	}
	for _, c := range cases {
		got, err := parseProcSpan(strings.NewReader(c.in))
		if err != nil || got != c.want {
			t.Errorf("%q:\n got %+v %v\nwant %+v", c.in, got, err, c.want)
		}
	}
	if _, err := parseProcSpan(strings.NewReader("nonsense\n")); err == nil {
		t.Error("no Span line accepted")
	}
}

// On a real machine Discover must work (there may be no card).
func TestDiscoverHost(t *testing.T) {
	r, err := Discover(Config{})
	if errors.Is(err, ErrNoSysfs) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d cards, DAHDI %v, warnings %q", len(r.Cards), r.DAHDI, r.Warnings)
}
