// Command faxd is the fax media server. For now it has one command:
//
//	faxd hw list [--json] [--sysfs DIR] [--procfs DIR]
//
// which lists the machine's telephony cards (PCI vendor, bound driver, IRQ
// and its interrupt count) and the DAHDI spans they carry. Errors print
// one line on stderr; usage errors exit with status 2, others with 1.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks errors in how the command was called.
var errUsage = errors.New("usage")

const usage = `usage:
  faxd hw list [--json] [--sysfs DIR] [--procfs DIR]   telephony cards, drivers, IRQs, DAHDI spans`

// run is main without the process: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) (status int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "faxd: internal error: %v\n", r)
			status = 3
		}
	}()
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "hw":
		err = hwCommand(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return 0
	default:
		err = fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
	if err != nil {
		fmt.Fprintf(stderr, "faxd: %v\n", err)
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}
