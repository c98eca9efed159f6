package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/faxd/faxd/hal/hwinfo"
)

// hwCommand runs `faxd hw list`.
func hwCommand(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "list" {
		if len(args) == 0 {
			return fmt.Errorf("%w: faxd hw list [--json] [--sysfs DIR] [--procfs DIR]", errUsage)
		}
		return fmt.Errorf("%w: unknown hw command %q (want list)", errUsage, args[0])
	}
	fs := flag.NewFlagSet("faxd hw list", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	sysRoot := fs.String("sysfs", "/sys", "sysfs mount point")
	procRoot := fs.String("procfs", "/proc", "procfs mount point")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	r, err := hwinfo.Discover(hwinfo.Config{SysfsRoot: *sysRoot, ProcfsRoot: *procRoot})
	if err != nil {
		return err
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(stderr, "faxd: warning: %s\n", w)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return printHW(stdout, r)
}

func printHW(out io.Writer, r *hwinfo.Report) error {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	if len(r.Cards) == 0 {
		fmt.Fprintln(w, "no telephony cards found")
	} else {
		fmt.Fprintln(w, "ADDRESS\tVENDOR\tID\tDRIVER\tIRQ\tINTERRUPTS\tMODEL")
		for _, c := range r.Cards {
			irq, count := "-", "-"
			if c.IRQ > 0 {
				irq = strconv.Itoa(c.IRQ)
			}
			if c.IRQCounted {
				count = strconv.FormatUint(c.IRQCount, 10)
			}
			fmt.Fprintf(w, "%s\t%s\t%04x:%04x\t%s\t%s\t%s\t%s\n",
				c.Address, c.VendorName, c.Vendor, c.Device, dash(c.Driver), irq, count, dash(c.Model))
		}
	}
	var spans []hwinfo.Span
	for _, c := range r.Cards {
		spans = append(spans, c.Spans...)
	}
	spans = append(spans, r.Spans...)
	switch {
	case !r.DAHDI:
		fmt.Fprintln(w, "\nDAHDI: not loaded (no sysfs bus/dahdi_spans, no /proc/dahdi)")
	case len(spans) == 0:
		fmt.Fprintln(w, "\nDAHDI: loaded, no spans")
	default:
		fmt.Fprintln(w, "\nSPAN\tNAME\tTYPE\tCHANNELS\tALARMS\tSYNC\tCARD\tDESCRIPTION")
		for _, s := range spans {
			chans := "-"
			if s.Channels > 0 {
				chans = fmt.Sprintf("%d-%d", s.BaseChan, s.BaseChan+s.Channels-1)
			}
			sync := "-"
			if s.SyncMaster {
				sync = "master"
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%v\t%s\t%s\t%s\n",
				s.Number, s.Name, dash(s.Type), chans, s.Alarms, sync, dash(s.Address), s.Desc)
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
