package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/faxd/faxd/hal/dahdi"
	"github.com/faxd/faxd/hal/hwinfo"
)

// hwCommand runs `faxd hw list`: the telephony cards hwinfo finds, as a
// table or as JSON.
func hwCommand(args []string, stdout, _ io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: faxd hw needs a command (list)", errUsage)
	}
	if args[0] != "list" {
		return fmt.Errorf("%w: unknown hw command %q (want list)", errUsage, args[0])
	}
	fs := flag.NewFlagSet("faxd hw list", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	sysRoot := fs.String("sysfs", "/sys", "sysfs mount point")
	procRoot := fs.String("procfs", "/proc", "procfs mount point")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: hw list: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: hw list: unexpected argument %q", errUsage, fs.Arg(0))
	}
	r, err := hwinfo.Discover(hwinfo.Config{SysfsRoot: *sysRoot, ProcfsRoot: *procRoot})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return printHW(stdout, r, *sysRoot)
}

// printHW writes the report as two tables: the cards, then the DAHDI
// spans with the card each is on.
func printHW(out io.Writer, r *hwinfo.Report, sysRoot string) error {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	if len(r.Cards) == 0 {
		fmt.Fprintf(w, "no telephony cards found (looked at the PCI devices in %s)\n", sysRoot)
	} else {
		fmt.Fprintln(w, "ADDRESS\tVENDOR\tID\tMODEL\tDRIVER\tIRQ\tINTERRUPTS\tNUMA\tSPANS\tCHANNELS")
		for i := range r.Cards {
			c := &r.Cards[i]
			vendor := c.VendorName
			if vendor == "" {
				vendor = fmt.Sprintf("%04x", c.Vendor)
			}
			driver := c.Driver
			if driver == "" && c.IRQUsers != "" {
				driver = "(irq: " + c.IRQUsers + ")" // wanpipe binds no PCI driver
			}
			irq, count, numa := "-", "-", "-"
			if c.IRQ > 0 {
				irq = strconv.Itoa(c.IRQ)
			}
			if c.InterruptsPerCPU != nil {
				count = strconv.FormatUint(c.Interrupts, 10)
			}
			if c.NUMANode != nil {
				numa = strconv.Itoa(*c.NUMANode)
			}
			spans, chans := "-", "-"
			if len(c.Spans) > 0 {
				spans, chans = strconv.Itoa(len(c.Spans)), strconv.Itoa(c.Channels())
			}
			fmt.Fprintf(w, "%s\t%s\t%04x:%04x\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
				c.Address, vendor, c.Vendor, c.Device, dash(c.Model()), dash(driver), irq, count, numa, spans, chans)
		}
	}
	type row struct {
		s    dahdi.SpanDesc
		card string
	}
	var rows []row
	for _, c := range r.Cards {
		for _, s := range c.Spans {
			rows = append(rows, row{s, c.Address})
		}
	}
	for _, s := range r.OtherSpans {
		rows = append(rows, row{s, ""})
	}
	switch {
	case !r.DAHDI:
		fmt.Fprintln(w, "\nDAHDI: not loaded (no sysfs bus/dahdi_spans, no /proc/dahdi)")
	case len(rows) == 0:
		fmt.Fprintln(w, "\nDAHDI: loaded, no spans")
	default:
		fmt.Fprintln(w, "\nSPAN\tNAME\tTYPE\tCHANNELS\tALARMS\tSYNC\tCARD\tDESCRIPTION")
		for _, r := range rows {
			s := r.s
			chans := "-"
			if n := len(s.Channels); n > 0 {
				chans = fmt.Sprintf("%d-%d", s.Channels[0].Number, s.Channels[n-1].Number)
			}
			sync := "-"
			if s.SyncMaster {
				sync = "master"
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%v\t%s\t%s\t%s\n",
				s.Number, dash(s.Name), dash(s.Type), chans, s.Alarms, sync, dash(r.card), s.Desc)
		}
	}
	return w.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
