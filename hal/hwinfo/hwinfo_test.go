package hwinfo

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/faxd/faxd/hal/dahdi"
	"github.com/faxd/faxd/hal/hwinfo/hwinfotest"
)

func discover(t *testing.T, spec, proc string) *Report {
	t.Helper()
	r, err := Discover(Config{SysfsRoot: hwinfotest.Tree(t, spec), ProcfsRoot: proc})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDiscover(t *testing.T) {
	r := discover(t, "testdata/sysfs.txt", "testdata/procfs")
	if !r.DAHDI {
		t.Error("DAHDI not seen")
	}
	// The NIC, the root port and the SATA controller are left out.
	type row struct {
		addr, vendor, model, driver string
		irq                         int
		users                       string
		interrupts                  uint64
		spans, channels             int
	}
	want := []row{
		{"0000:00:0a.0", "Sangoma", "A101 single-port T1/E1", "", 17, "wanpipe1", 30000, 0, 0},
		{"0000:00:0b.0", "Tiger Jet", "Digium X100P/X101P analogue PSTN FXO interface", "", 0, "", 0, 0, 0},
		{"0000:03:00.0", "Digium", "Wildcard TE420 (5th Gen)", "wct4xxp", 42, "wct4xxp", 8888888, 4, 124},
	}
	var got []row
	for _, c := range r.Cards {
		got = append(got, row{c.Address, c.VendorName, c.Model(), c.Driver, c.IRQ, c.IRQUsers, c.Interrupts, len(c.Spans), c.Channels()})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cards:\n got %+v\nwant %+v", got, want)
	}
	if len(r.Cards) != 3 {
		t.FailNow()
	}

	te := r.Cards[2]
	if te.Vendor != 0xd161 || te.Device != 0x1420 || te.SubsystemVendor != 0x0005 || te.Class != 0x028000 || te.Revision != 2 {
		t.Errorf("TE420 IDs %+v", te)
	}
	if te.DeviceName != "Wildcard TE420 quad-span T1/E1/J1 card 3.3V (PCI-Express) (5th gen)" {
		t.Errorf("TE420 pci.ids name %q", te.DeviceName)
	}
	if te.NUMANode == nil || *te.NUMANode != 0 {
		t.Errorf("TE420 NUMA node %v", te.NUMANode)
	}
	if !reflect.DeepEqual(te.InterruptsPerCPU, []uint64{1234567, 7654321}) {
		t.Errorf("per-CPU counts %v", te.InterruptsPerCPU)
	}
	wantDev := &DAHDIDevice{Name: "pci:0000:03:00.0", Manufacturer: "Digium", Type: "Wildcard TE420 (5th Gen)",
		Location: "PCI Express Bus 03 Slot 01", HardwareID: "1420:0005:0000:000A1234"}
	if !reflect.DeepEqual(te.DAHDI, wantDev) {
		t.Errorf("DAHDI device %+v", te.DAHDI)
	}
	s1, s2 := te.Spans[0], te.Spans[1]
	if s1.Name != "TE4/0/1" || s1.Type != "E1" || !s1.SyncMaster || s1.BaseChan != 1 || len(s1.Channels) != 31 || s1.Device != "pci:0000:03:00.0" {
		t.Errorf("span 1 %+v", s1)
	}
	if c := s1.Channels[0]; c != (dahdi.ChannelDesc{Number: 1, Position: 1, Name: "TE4/0/1/1", Sig: "Clear", InUse: true}) {
		t.Errorf("channel 1 %+v", c)
	}
	if c := s1.Channels[15]; c.Number != 16 || c.Sig != "" {
		t.Errorf("channel 16 (the D channel, unconfigured) %+v", c)
	}
	if s2.Alarms != dahdi.AlarmRed|dahdi.AlarmLOS || s2.BaseChan != 32 || s2.Channels[0].Alarms != dahdi.AlarmRed {
		t.Errorf("span 2 %+v", s2)
	}
	if a101 := r.Cards[0]; a101.NUMANode == nil || a101.SubsystemVendor != 0xa010 || a101.Spans != nil || a101.DAHDI != nil {
		t.Errorf("A101 %+v", a101)
	}
	if x := r.Cards[1]; x.NUMANode != nil || x.InterruptsPerCPU != nil {
		t.Errorf("X100P %+v", x)
	}
	if len(r.OtherSpans) != 1 || r.OtherSpans[0].Number != 5 || r.OtherSpans[0].Alarms != dahdi.AlarmBlue {
		t.Errorf("other spans %+v", r.OtherSpans)
	}
}

// A DAHDI without sysfs spans: they come from /proc/dahdi, which ties
// them to no card.
func TestDiscoverProcDAHDI(t *testing.T) {
	r := discover(t, "testdata/sysfs-olddahdi.txt", "testdata/procfs")
	if !r.DAHDI || len(r.Cards) != 1 || len(r.Cards[0].Spans) != 0 {
		t.Fatalf("report %+v", r)
	}
	if len(r.OtherSpans) != 4 || r.OtherSpans[0].Source != "procfs" || r.OtherSpans[1].Alarms != dahdi.AlarmRed || len(r.OtherSpans[3].Channels) != 31 {
		t.Errorf("spans %+v", r.OtherSpans)
	}
	if c := r.Cards[0]; c.Interrupts != 8888888 || c.Model() != "Wildcard TE420 quad-span T1/E1/J1 card 3.3V (PCI-Express) (5th gen)" {
		t.Errorf("card %+v", c)
	}
}

// Missing or empty trees are a machine without cards or DAHDI, not an
// error.
func TestDiscoverEmpty(t *testing.T) {
	for name, cfg := range map[string]Config{
		"empty":   {SysfsRoot: t.TempDir(), ProcfsRoot: t.TempDir()},
		"missing": {SysfsRoot: filepath.Join(t.TempDir(), "none"), ProcfsRoot: filepath.Join(t.TempDir(), "none")},
	} {
		r, err := Discover(cfg)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(r.Cards) != 0 || r.Cards == nil || r.DAHDI || len(r.OtherSpans) != 0 {
			t.Errorf("%s: %+v", name, r)
		}
	}
	// Cards but no /proc: no counts.
	r := discover(t, "testdata/sysfs-olddahdi.txt", t.TempDir())
	if r.DAHDI || len(r.Cards) != 1 || r.Cards[0].InterruptsPerCPU != nil {
		t.Errorf("no procfs: %+v", r)
	}
}

// Files that are there but cannot be read are errors naming them. (Tests
// may run as root, who reads any file; a directory where a file belongs
// fails the same way for everyone.)
func TestDiscoverUnreadable(t *testing.T) {
	cases := []struct {
		name, path string // path under the root that becomes a directory
		proc       bool
	}{
		{"irq", "devices/pci0000:00/0000:00:1c.0/0000:03:00.0/irq", false},
		{"vendor", "devices/pci0000:00/0000:00:1c.0/0000:03:00.0/vendor", false},
		{"span", "devices/pci0000:00/0000:00:1c.0/0000:03:00.0/pci:0000:03:00.0/span-1/desc", false},
		{"dahdi device", "devices/pci0000:00/0000:00:1c.0/0000:03:00.0/pci:0000:03:00.0/type", false},
		{"interrupts", "interrupts", true},
	}
	for _, c := range cases {
		sys := hwinfotest.Tree(t, "testdata/sysfs.txt")
		proc := t.TempDir()
		if err := os.CopyFS(proc, os.DirFS("testdata/procfs")); err != nil {
			t.Fatal(err)
		}
		root := sys
		if c.proc {
			root = proc
		}
		p := filepath.Join(root, c.path)
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
		// The error may name the file through a bus/... link.
		tail := filepath.Join(filepath.Base(filepath.Dir(p)), filepath.Base(p))
		_, err := Discover(Config{SysfsRoot: sys, ProcfsRoot: proc})
		if err == nil || !strings.Contains(err.Error(), root) || !strings.Contains(err.Error(), tail) {
			t.Errorf("%s: %v, want an error naming .../%s", c.name, err, tail)
		}
	}
}

func TestDeviceName(t *testing.T) {
	cases := []struct {
		v, d, sv, sd uint32
		want         string
	}{
		{0xe159, 0x0001, 0xb100, 0x0003, "OpenVox A400P 4-port analog card"},
		{0xe159, 0x0001, 0x1234, 0x0001, "Tiger3XX Modem/ISDN interface"},
		{0x1923, 0x0300, 0xa010, 0, "A101 single-port T1/E1"},
		{0x8086, 0x10d3, 0x8086, 0xa01f, ""},
	}
	for _, c := range cases {
		if got := DeviceName(c.v, c.d, c.sv, c.sd); got != c.want {
			t.Errorf("%04x:%04x %04x:%04x: %q, want %q", c.v, c.d, c.sv, c.sd, got, c.want)
		}
	}
	if VendorName(0xd161) != "Digium" || VendorName(0x8086) != "" {
		t.Error("vendor names")
	}
}

func TestIRQUsers(t *testing.T) {
	for in, want := range map[string]string{
		"17-fasteoi   wanpipe1":       "wanpipe1",
		"1572864-edge wct4xxp":        "wct4xxp",
		"ahci[0000:00:1f.2]":          "ahci[0000:00:1f.2]",
		"16-fasteoi ehci_hcd:usb1, x": "ehci_hcd:usb1, x",
	} {
		if got := irqUsers(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// On the machine itself Discover must work, cards or none.
func TestDiscoverHost(t *testing.T) {
	r, err := Discover(Config{})
	if errors.Is(err, os.ErrPermission) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d telephony cards, DAHDI %v", len(r.Cards), r.DAHDI)
}
