// Command faxd is the fax media server. It is a set of sub-commands:
//
//	faxd hw list [--json] [--sysfs DIR] [--procfs DIR]
//
// lists the machine's telephony cards (PCI IDs and names, bound driver,
// IRQ and its interrupt count, NUMA node) and the DAHDI spans and
// channels they carry.
//
//	faxd init [--data DIR] [--account NAME] [--allow CIDRS] [--host NAMES]
//	faxd serve [--data DIR] [--listen ADDR] [--tls12]
//
// make a data directory (see dataDir) and serve the HTTPS API from it. Each sub-command is one entry of the commands
// table, which is also the usage text.
//
// Exit status: 0 on success, 2 for a command line that does not parse
// (with the usage on stderr), 1 for any other error (one line on stderr).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// A command is one sub-command: faxd NAME ARGS.
type command struct {
	name    string
	args    string // synopsis of the arguments, for the usage
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"hw", "list [--json] [--sysfs DIR] [--procfs DIR]", "telephony cards, drivers, IRQs, DAHDI spans and channels", hwCommand},
	{"init", "[--data DIR] [--account NAME] [--numbers E164S] [--allow CIDRS] [--host NAMES] [--seal p521|hybrid]", "make a data directory: vault and master key, secrets, certificate, store, audit log, first admin (password printed once)", initCommand},
	{"serve", "[--config FILE] [--data DIR] [--listen ADDR] [--tls12] [--cert FILE --key FILE] [--lines NUMBERS] [--metrics ADDR] [--retention D] [--private-webhooks]", "serve the HTTPS API (TLS 1.3, HTTP/2) and the media server (simulated network) from a data directory", serveCommand},
	{"demo", "[--out FILE] [--realtime] [--keep] [-v] [FILE]", "a server in a temporary directory sends a fax over HTTPS to a number it answers itself, fetches it from the inbox as a PDF and prints the call records", demoCommand},
	{"account", "add NAME [--numbers E164S] [--allow CIDRS] | list | disable NAME | enable NAME [--data DIR]", "accounts, with their numbers and first admin (one-time password printed once); the server stopped", accountCommand},
	{"keys", "rotate [--data DIR]", "a new master key: every data key re-wrapped, the old master key destroyed", keysCommand},
	{"audit", "verify [--data DIR]", "check the audit log's chain and name the first broken entry", auditCommand},
}

// errUsage marks errors in how the command was called.
var errUsage = errors.New("usage")

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("usage:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  faxd %s %s\n      %s\n", c.name, c.args, c.summary)
	}
	io.WriteString(w, b.String())
}

// run is main without the process: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	if name := args[0]; name == "help" || name == "-h" || name == "--help" {
		usage(stdout)
		return 0
	}
	var err error
	i := indexCommand(args[0])
	if i < 0 {
		err = fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	} else {
		err = commands[i].run(args[1:], stdout, stderr)
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "faxd: %v\n", err)
		usage(stderr)
		return 2
	default:
		fmt.Fprintf(stderr, "faxd: %v\n", err)
		return 1
	}
}

func indexCommand(name string) int {
	for i, c := range commands {
		if c.name == name {
			return i
		}
	}
	return -1
}
