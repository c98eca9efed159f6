// Package hwinfo finds the telephony cards in a machine: the PCI devices
// of a telephony vendor or bound to a telephony driver (pciids.go), with
// their IDs and names, bound driver, IRQ and how often it fired, NUMA
// node, and, when DAHDI is loaded, the DAHDI device and the spans and
// channels each card carries.
//
// How it works: PCI devices come from sysfs bus/pci/devices through
// github.com/prometheus/procfs/sysfs (PciDevices); the bound driver is the
// target of each device's "driver" link and the IRQ its "irq" file, which
// procfs does not read. Interrupt counts come from /proc/interrupts
// (procfs Proc.Interrupts). DAHDI's spans and channels come from
// dahdi.ListSpans, and belong to the card whose directory the span's
// sysfs directory is under; DAHDI devices (bus/dahdi_devices: manufacturer,
// type, location, hardware_id as dahdi-sysfs.c writes them) likewise.
// Both roots are settings, so tests run on fixture trees.
//
// A missing or empty tree is a machine without cards: an empty report,
// no error. A file that is there but cannot be read is an error naming
// it.
package hwinfo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/faxd/faxd/hal/dahdi"
	"github.com/prometheus/procfs"
	"github.com/prometheus/procfs/sysfs"
)

// Config holds the roots; empty means /sys and /proc.
type Config struct {
	SysfsRoot  string
	ProcfsRoot string
}

// Card is one telephony PCI device.
type Card struct {
	Address         string `json:"address"` // segment:bus:device.function, as sysfs names it
	Vendor          uint32 `json:"vendor"`
	Device          uint32 `json:"device"`
	SubsystemVendor uint32 `json:"subsystem_vendor"`
	SubsystemDevice uint32 `json:"subsystem_device"`
	Class           uint32 `json:"class"`
	Revision        uint32 `json:"revision"`
	VendorName      string `json:"vendor_name,omitempty"` // "" for a vendor not in Vendors
	DeviceName      string `json:"device_name,omitempty"` // pci.ids' name, "" when not in the table
	Driver          string `json:"driver,omitempty"`      // bound driver, "" when none
	NUMANode        *int   `json:"numa_node,omitempty"`   // nil when the kernel knows none
	IRQ             int    `json:"irq,omitempty"`         // 0 when none
	// IRQUsers is what /proc/interrupts lists on the IRQ (the names the
	// drivers gave request_irq), and Interrupts the count it shows summed
	// over CPUs, InterruptsPerCPU per CPU; nil when it does not list the
	// IRQ or cannot be read.
	IRQUsers         string   `json:"irq_users,omitempty"`
	Interrupts       uint64   `json:"interrupts"`
	InterruptsPerCPU []uint64 `json:"interrupts_per_cpu,omitempty"`
	// DAHDI is the DAHDI device registered on the card, Spans its spans.
	DAHDI *DAHDIDevice     `json:"dahdi_device,omitempty"`
	Spans []dahdi.SpanDesc `json:"spans,omitempty"`
}

// Model is the card's name: DAHDI's when it registered the card (the
// most exact), else pci.ids'; "" when neither knows it.
func (c *Card) Model() string {
	if c.DAHDI != nil && c.DAHDI.Type != "" {
		return c.DAHDI.Type
	}
	return c.DeviceName
}

// Channels counts the DAHDI channels on the card.
func (c *Card) Channels() int {
	n := 0
	for _, s := range c.Spans {
		n += len(s.Channels)
	}
	return n
}

// DAHDIDevice is a directory of sysfs bus/dahdi_devices.
type DAHDIDevice struct {
	Name         string `json:"name"` // "pci:0000:03:00.0"
	Manufacturer string `json:"manufacturer,omitempty"`
	Type         string `json:"type,omitempty"`
	Location     string `json:"location,omitempty"`
	HardwareID   string `json:"hardware_id,omitempty"`
}

// Report is what Discover found.
type Report struct {
	Cards []Card `json:"cards"`
	// DAHDI tells whether DAHDI is loaded (sysfs spans or /proc/dahdi).
	DAHDI bool `json:"dahdi"`
	// OtherSpans are DAHDI spans on no card found (dynamic spans over
	// Ethernet, USB Astribanks).
	OtherSpans []dahdi.SpanDesc `json:"other_spans,omitempty"`
}

// Discover finds the telephony cards under cfg's roots.
func Discover(cfg Config) (*Report, error) {
	sysRoot, procRoot := cfg.SysfsRoot, cfg.ProcfsRoot
	if sysRoot == "" {
		sysRoot = sysfs.DefaultMountPoint
	}
	if procRoot == "" {
		procRoot = procfs.DefaultMountPoint
	}
	r := &Report{Cards: []Card{}}
	if err := r.readCards(sysRoot); err != nil {
		return nil, err
	}
	if err := r.countInterrupts(procRoot); err != nil {
		return nil, err
	}
	if err := r.readDAHDIDevices(sysRoot); err != nil {
		return nil, err
	}
	spans, err := dahdi.ListSpans(dahdi.Config{SysfsRoot: sysRoot, ProcfsRoot: procRoot})
	switch {
	case errors.Is(err, dahdi.ErrNotSupported):
	case err != nil:
		return nil, fmt.Errorf("hwinfo: %w", err)
	default:
		r.DAHDI = true
	}
	for _, s := range spans {
		if c := r.card(pciAddress(s.Path)); c != nil {
			c.Spans = append(c.Spans, s)
		} else {
			r.OtherSpans = append(r.OtherSpans, s)
		}
	}
	return r, nil
}

func (r *Report) card(addr string) *Card {
	if addr == "" {
		return nil
	}
	for i := range r.Cards {
		if r.Cards[i].Address == addr {
			return &r.Cards[i]
		}
	}
	return nil
}

func (r *Report) readCards(sysRoot string) error {
	dir := filepath.Join(sysRoot, "bus", "pci", "devices")
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	fs, err := sysfs.NewFS(sysRoot)
	if err != nil {
		return fmt.Errorf("hwinfo: %w", err)
	}
	devs, err := fs.PciDevices()
	if err != nil {
		return fmt.Errorf("hwinfo: PCI devices in %s: %w", dir, err)
	}
	for _, d := range devs {
		// sysfs names the directory with a dot before the function, where
		// PciDeviceLocation.String puts a colon.
		l := d.Location
		addr := fmt.Sprintf("%04x:%02x:%02x.%x", l.Segment, l.Bus, l.Device, l.Function)
		devDir := filepath.Join(dir, addr)
		driver := ""
		if t, err := os.Readlink(filepath.Join(devDir, "driver")); err == nil {
			driver = filepath.Base(t)
		}
		vendor := VendorName(d.Vendor)
		if vendor == "" {
			vendor = VendorName(d.SubsystemVendor)
		}
		if vendor == "" && !slices.Contains(Drivers, driver) {
			continue
		}
		c := Card{
			Address: addr, Vendor: d.Vendor, Device: d.Device,
			SubsystemVendor: d.SubsystemVendor, SubsystemDevice: d.SubsystemDevice,
			Class: d.Class, Revision: d.Revision,
			VendorName: vendor, DeviceName: DeviceName(d.Vendor, d.Device, d.SubsystemVendor, d.SubsystemDevice),
			Driver: driver,
		}
		if d.NumaNode != nil && *d.NumaNode >= 0 {
			n := int(*d.NumaNode)
			c.NUMANode = &n
		}
		irq, err := readAttr(filepath.Join(devDir, "irq"))
		if err != nil {
			return err
		}
		if irq != "" {
			if c.IRQ, err = strconv.Atoi(irq); err != nil {
				return fmt.Errorf("hwinfo: %s: %q is no IRQ", filepath.Join(devDir, "irq"), irq)
			}
		}
		r.Cards = append(r.Cards, c)
	}
	slices.SortFunc(r.Cards, func(a, b Card) int { return strings.Compare(a.Address, b.Address) })
	return nil
}

// readAttr reads a sysfs attribute, "" when it does not exist.
func readAttr(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("hwinfo: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// countInterrupts reads /proc/interrupts for the cards' IRQs. procfs
// reaches the file through a process; any will do.
func (r *Report) countInterrupts(procRoot string) (err error) {
	if !slices.ContainsFunc(r.Cards, func(c Card) bool { return c.IRQ > 0 }) {
		return nil
	}
	path := filepath.Join(procRoot, "interrupts")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	fs, err := procfs.NewFS(procRoot)
	if err != nil {
		return fmt.Errorf("hwinfo: %w", err)
	}
	p, err := fs.Self()
	if err != nil {
		p, err = fs.Proc(1)
	}
	if err != nil {
		return fmt.Errorf("hwinfo: reading %s: no process to read it through: %w", path, err)
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("hwinfo: %s: unexpected format (%v)", path, v)
		}
	}()
	irqs, err := p.Interrupts()
	if err != nil {
		return fmt.Errorf("hwinfo: %s: %w", path, err)
	}
	for i := range r.Cards {
		c := &r.Cards[i]
		in, ok := irqs[strconv.Itoa(c.IRQ)]
		if c.IRQ <= 0 || !ok {
			continue
		}
		c.IRQUsers = irqUsers(in.Devices)
		c.InterruptsPerCPU = make([]uint64, len(in.Values))
		for j, v := range in.Values {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return fmt.Errorf("hwinfo: %s: IRQ %d: count %q", path, c.IRQ, v)
			}
			c.InterruptsPerCPU[j] = n
			c.Interrupts += n
		}
	}
	return nil
}

var hwirq = regexp.MustCompile(`^[0-9]+-[a-z]+ `)

// irqUsers cuts the "hwirq-trigger" word procfs leaves at the start of an
// IRQ's devices ("17-fasteoi wanpipe1"), which newer kernels write
// between the chip's name and the users.
func irqUsers(devices string) string {
	return strings.TrimSpace(hwirq.ReplaceAllString(devices, ""))
}

// readDAHDIDevices reads bus/dahdi_devices. DAHDI names a device after
// its parent ("pci:0000:03:00.0") and makes it the parent's child.
func (r *Report) readDAHDIDevices(sysRoot string) error {
	dir := filepath.Join(sysRoot, "bus", "dahdi_devices", "devices")
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("hwinfo: %w", err)
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			real = p
		}
		c := r.card(pciAddress(real))
		if c == nil {
			continue
		}
		d := &DAHDIDevice{Name: e.Name()}
		for _, a := range []struct {
			name string
			dst  *string
		}{{"manufacturer", &d.Manufacturer}, {"type", &d.Type}, {"location", &d.Location}, {"hardware_id", &d.HardwareID}} {
			if *a.dst, err = readAttr(filepath.Join(p, a.name)); err != nil {
				return err
			}
		}
		c.DAHDI = d
	}
	return nil
}

var pciAddr = regexp.MustCompile(`^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$`)

// pciAddress is the last PCI device on a /sys/devices path: the card a
// DAHDI device, span or channel hangs off. "" when there is none.
func pciAddress(path string) string {
	addr := ""
	for _, el := range strings.Split(filepath.ToSlash(path), "/") {
		if pciAddr.MatchString(el) {
			addr = el
		}
	}
	return addr
}
