// Package hwinfo finds the telephony cards in a machine: PCI devices from a
// known telephony vendor (or bound to a DAHDI or wanpipe driver), the
// driver bound to each, its IRQ line and how often it fired, and the DAHDI
// spans and channels each card carries when DAHDI is loaded.
//
// How it works: PCI devices come from sysfs (bus/pci/devices, through
// github.com/prometheus/procfs/sysfs); the bound driver is the target of
// the device's "driver" link and the IRQ its "irq" file. DAHDI spans come
// from sysfs (bus/dahdi_spans, whose "ddev" link leads to the DAHDI device
// named after the PCI address) or, with older DAHDI, from /proc/dahdi/N.
// Interrupt counts come from /proc/interrupts (procfs). Both roots are
// settings, so tests run on fixture trees.
package hwinfo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/faxd/faxd/hal/dahdi"
	"github.com/prometheus/procfs"
	"github.com/prometheus/procfs/sysfs"
)

// ErrNoSysfs: the sysfs root holds no PCI bus.
var ErrNoSysfs = errors.New("hwinfo: no PCI devices in sysfs")

// Vendor is a PCI vendor whose devices are telephony cards.
type Vendor struct {
	ID   uint32
	Name string
	Note string
}

// Vendors lists the PCI vendor IDs of telephony cards DAHDI or wanpipe
// drive. Tiger Jet and Cologne Chip make bridge chips used on older or
// third-party analogue and ISDN cards (and little else).
var Vendors = []Vendor{
	{0xd161, "Digium", "Wildcard analogue, T1/E1, BRI and transcoder cards (DAHDI)"},
	{0x1923, "Sangoma", "A/B series analogue and T1/E1 cards (wanpipe, DAHDI mode)"},
	{0x1b74, "OpenVox", "A/B/D series cards (DAHDI)"},
	{0xe159, "Tiger Jet", "PCI bridge of older cards (X100P, TDM400P, TE110P clones)"},
	{0x1397, "Cologne Chip", "HFC ISDN controller of BRI cards"},
}

// Drivers are kernel drivers that only telephony cards bind to.
var Drivers = []string{
	"wct4xxp", "wcte12xp", "wcte13xp", "wcte43x", "wct1xxp", "wcte11xp", "wctdm", "wctdm24xxp",
	"wcaxx", "wcb4xxp", "wcfxo", "wctc4xxp", "tor2", "pciradio", "opvxa1200", "opvxa24xx",
	"opvxd115", "wcopenpci", "zaphfc", "wanpipe", "sdladrv",
}

// VendorName names a telephony vendor ID, "" for others.
func VendorName(id uint32) string {
	for _, v := range Vendors {
		if v.ID == id {
			return v.Name
		}
	}
	return ""
}

// Card is one telephony PCI device.
type Card struct {
	Address         string `json:"address"` // PCI segment:bus:device.function
	Vendor          uint32 `json:"vendor"`
	Device          uint32 `json:"device"`
	SubsystemVendor uint32 `json:"subsystem_vendor"`
	SubsystemDevice uint32 `json:"subsystem_device"`
	Class           uint32 `json:"class"`
	VendorName      string `json:"vendor_name"`
	Driver          string `json:"driver,omitempty"` // bound driver, "" when none
	IRQ             int    `json:"irq,omitempty"`    // 0 when none
	// IRQCount is the number of interrupts taken on IRQ, summed over
	// CPUs; IRQCounted tells whether /proc/interrupts listed it.
	IRQCount   uint64   `json:"irq_count"`
	IRQCounted bool     `json:"irq_counted"`
	IRQCPUs    []uint64 `json:"irq_per_cpu,omitempty"`
	// Model and Manufacturer as the DAHDI driver names the card, when it
	// registered one (sysfs bus/dahdi_devices).
	Model        string `json:"model,omitempty"`
	Manufacturer string `json:"manufacturer,omitempty"`
	Spans        []Span `json:"spans,omitempty"`
}

// Span is one DAHDI span.
type Span struct {
	Number     int          `json:"number"`
	Name       string       `json:"name"`
	Desc       string       `json:"desc"`
	Type       string       `json:"type,omitempty"` // T1, E1, BRI, FXS, FXO, ANALOG...; "" from /proc
	Alarms     dahdi.Alarms `json:"alarms"`
	BaseChan   int          `json:"base_channel"` // first channel number, 0 if none
	Channels   int          `json:"channels"`
	SyncMaster bool         `json:"sync_master"`
	Address    string       `json:"pci_address,omitempty"` // the card it belongs to, "" if unknown
	Source     string       `json:"source"`                // "sysfs" or "procfs"
}

// Report is what Discover found.
type Report struct {
	Cards []Card `json:"cards"`
	// DAHDI tells whether DAHDI is loaded (spans in sysfs or /proc/dahdi).
	DAHDI bool `json:"dahdi"`
	// Spans lists spans tied to no listed card.
	Spans []Span `json:"other_spans,omitempty"`
	// Warnings are things that could not be read; the rest is still good.
	Warnings []string `json:"warnings,omitempty"`
}

// Config holds the roots; empty means /sys and /proc.
type Config struct {
	SysfsRoot  string
	ProcfsRoot string
}

// Discover enumerates the machine's telephony cards.
func Discover(cfg Config) (*Report, error) {
	sysRoot, procRoot := cfg.SysfsRoot, cfg.ProcfsRoot
	if sysRoot == "" {
		sysRoot = sysfs.DefaultMountPoint
	}
	if procRoot == "" {
		procRoot = procfs.DefaultMountPoint
	}
	sfs, err := sysfs.NewFS(sysRoot)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoSysfs, err)
	}
	devs, err := sfs.PciDevices()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoSysfs, err)
	}
	r := &Report{Cards: []Card{}}
	for _, d := range devs {
		addr := pciDir(d.Location)
		dir := filepath.Join(sysRoot, "bus/pci/devices", addr)
		driver := linkBase(filepath.Join(dir, "driver"))
		if VendorName(d.Vendor) == "" && VendorName(d.SubsystemVendor) == "" && !slices.Contains(Drivers, driver) {
			continue
		}
		c := Card{
			Address: addr, Vendor: d.Vendor, Device: d.Device,
			SubsystemVendor: d.SubsystemVendor, SubsystemDevice: d.SubsystemDevice, Class: d.Class,
			VendorName: VendorName(d.Vendor), Driver: driver,
		}
		if c.VendorName == "" {
			c.VendorName = VendorName(d.SubsystemVendor)
		}
		if c.VendorName == "" {
			c.VendorName = fmt.Sprintf("%04x", d.Vendor)
		}
		if s, err := readTrim(filepath.Join(dir, "irq")); err == nil {
			c.IRQ, _ = strconv.Atoi(s)
		}
		r.Cards = append(r.Cards, c)
	}
	slices.SortFunc(r.Cards, func(a, b Card) int { return strings.Compare(a.Address, b.Address) })

	r.countIRQs(procRoot)
	r.readDAHDIDevices(sysRoot)
	spans, dahdiLoaded, err := readSpans(sysRoot, procRoot)
	r.DAHDI = dahdiLoaded
	if err != nil {
		r.Warnings = append(r.Warnings, err.Error())
	}
	for _, s := range spans {
		i := slices.IndexFunc(r.Cards, func(c Card) bool { return c.Address == s.Address && s.Address != "" })
		if i < 0 {
			r.Spans = append(r.Spans, s)
			continue
		}
		r.Cards[i].Spans = append(r.Cards[i].Spans, s)
	}
	return r, nil
}

// pciDir is a device's address as the kernel writes it, the name of its
// directory under bus/pci/devices (procfs' PciDeviceLocation.String puts a
// colon where the kernel has a dot before the function).
func pciDir(l sysfs.PciDeviceLocation) string {
	return fmt.Sprintf("%04x:%02x:%02x.%x", l.Segment, l.Bus, l.Device, l.Function)
}

func (r *Report) countIRQs(procRoot string) {
	need := false
	for _, c := range r.Cards {
		need = need || c.IRQ > 0
	}
	if !need {
		return
	}
	fs, err := procfs.NewFS(procRoot)
	if err != nil {
		r.Warnings = append(r.Warnings, err.Error())
		return
	}
	// /proc/interrupts is system-wide; procfs reaches it through a Proc.
	p, err := fs.Self()
	if err != nil {
		p, err = fs.Proc(1)
	}
	if err != nil {
		r.Warnings = append(r.Warnings, "interrupts: "+err.Error())
		return
	}
	irqs, err := p.Interrupts()
	if err != nil {
		r.Warnings = append(r.Warnings, "interrupts: "+err.Error())
		return
	}
	for i := range r.Cards {
		c := &r.Cards[i]
		in, ok := irqs[strconv.Itoa(c.IRQ)]
		if c.IRQ <= 0 || !ok {
			continue
		}
		c.IRQCounted = true
		for _, v := range in.Values {
			n, _ := strconv.ParseUint(v, 10, 64)
			c.IRQCPUs = append(c.IRQCPUs, n)
			c.IRQCount += n
		}
	}
}

// readDAHDIDevices takes model names from bus/dahdi_devices/devices, whose
// entries DAHDI names "<bus>:<parent device>", e.g. "pci:0000:03:00.0".
func (r *Report) readDAHDIDevices(sysRoot string) {
	dir := filepath.Join(sysRoot, "bus/dahdi_devices/devices")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		addr, ok := strings.CutPrefix(e.Name(), "pci:")
		if !ok {
			continue
		}
		for i := range r.Cards {
			if r.Cards[i].Address == addr {
				r.Cards[i].Model, _ = readTrim(filepath.Join(dir, e.Name(), "type"))
				r.Cards[i].Manufacturer, _ = readTrim(filepath.Join(dir, e.Name(), "manufacturer"))
			}
		}
	}
}

func readTrim(path string) (string, error) {
	b, err := os.ReadFile(path)
	return strings.TrimSpace(string(b)), err
}

// linkBase is the last element of a symbolic link's target, "" if path is
// no link.
func linkBase(path string) string {
	t, err := os.Readlink(path)
	if err != nil {
		return ""
	}
	return filepath.Base(t)
}
