// Command faxctl is the command-line client of faxd's HTTPS API: it sends
// faxes and follows them, reads the inbox, call records, and administers
// an account. Run "faxctl help" for the commands; the usage text is the
// commands table below.
//
// Settings come from the flags, else the FAXCTL_* environment, else the
// config file ($XDG_CONFIG_HOME/faxctl/config.json, written by "faxctl
// login --save"), which holds the URL, account, name and certificate
// fingerprint and never a secret. The secret comes from --secret-file,
// else FAXCTL_SECRET, else a prompt on the terminal without echo.
//
// Output is aligned tables, or with --json one JSON document on stdout.
// Exit status: 0 on success, 2 for a command line that does not parse, 1
// for anything else (one line on stderr: faxctl: COMMAND: CODE: MESSAGE
// for the API's errors); send --wait exits 0 only if the fax was sent.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// run is main without the process: it returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c := &cli{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, isTerminal: isTerminal}
	c.readPassword = c.promptTerminal
	return c.main(args)
}

// cli is one run of faxctl, its surroundings injected.
type cli struct {
	ctx            context.Context
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	isTerminal     func(any) bool // is stdin, stdout or stderr a terminal
	// readPassword asks for a secret without echo.
	readPassword func(prompt string) (string, error)
	now          func() time.Time // the client's clock; nil: time.Now

	g globals
}

// A command is one sub-command: faxctl NAME ARGS; admin's have two words.
type command struct {
	name    string
	args    string // synopsis of the flags and arguments, for the usage
	summary string
	run     func(c *cli, fs *flag.FlagSet, args []string) error
}

var commands = []command{
	{"login", "[--save] [--new-password-file FILE]",
		"check the credential; a one-time password is changed here (asked twice, or read from FILE); --save keeps URL, account, name and fingerprint in the config file, never the secret", loginCommand},
	{"send", "--to NUMBER [--to NUMBER...] [--header TEXT] [--ident ID] [--resolution standard|fine|superfine] [--no-ecm] [--max-rate BPS] [--priority 0-9] [--not-before RFC3339] [--attempts N] [--webhook URL] [--wait [--poll DURATION]] FILE...",
		"send documents (PDF, PostScript, TIFF, PNG, JPEG, GIF, text; - for stdin), sealed; --wait follows the fax to its end and exits 0 only if it was sent", sendCommand},
	{"status", "ID", "a fax's state, pages, recipients and attempts", statusCommand},
	{"list", "[--state STATE] [--limit N] [--after CURSOR] [--all]", "faxes, newest first, a page at a time (--all: every page)", listCommand},
	{"cancel", "ID", "cancel a queued fax (or one waiting for a retry) and destroy its documents", cancelCommand},
	{"inbox", "[--number NUMBER] [--limit N] [--after CURSOR] [--all] | inbox ID", "received faxes, or one of them", inboxCommand},
	{"fetch", "ID [--format tiff|pdf] [-o FILE]", "a received fax's image, sealed on the way; to FILE (mode 0600) or stdout, never to a terminal", fetchCommand},
	{"ack", "ID", "acknowledge a received fax: its image is destroyed", ackCommand},
	{"calls", "[--direction in|out] [--limit N] [--after CURSOR] [--all]", "call records", callsCommand},
	{"admin credentials", "[list | create NAME --role ROLE [--role ROLE...] [--user] | delete NAME]", "API credentials (roles sender, receiver, auditor) and users (--user: logins of any roles, with a one-time password); a new one's secret is shown once", credentialsCommand},
	{"admin network-rules", "[get | set RULES...]", `the addresses the account may be used from ("192.0.2.0/24, 2001:db8::/32")`, networkRulesCommand},
	{"admin numbers", "[get | set NUMBER... | clear]", "the numbers whose received faxes go to the account's inbox", numbersCommand},
	{"admin webhook-secret", "", "a new webhook signing secret, shown once; the old one stops signing", webhookSecretCommand},
}

const globalUsage = `global flags (before or after the command):
  --url URL             the server: https://host:port (FAXCTL_URL)
  --account ID          the account (FAXCTL_ACCOUNT)
  --name NAME           the API credential's or user's name (FAXCTL_NAME)
  --fingerprint SHA256  pin the server's certificate, as faxd init prints it: sha256:HEX (FAXCTL_FINGERPRINT)
  --secret-file FILE    read the secret from FILE (else FAXCTL_SECRET, else asked on the terminal)
  --config FILE         settings file (default $XDG_CONFIG_HOME/faxctl/config.json)
  --json                machine output: one JSON document on stdout
exit status: 0 success; 1 failure (send --wait: the fax was not sent); 2 usage
`

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("usage: faxctl [global flags] COMMAND [flags] [args]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  faxctl %s %s\n      %s\n", c.name, c.args, c.summary)
	}
	b.WriteString("\n" + globalUsage)
	io.WriteString(w, b.String())
}

// usageError is an error in how faxctl was called.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

func (c *cli) main(args []string) int {
	top := flag.NewFlagSet("faxctl", flag.ContinueOnError)
	top.SetOutput(io.Discard)
	c.g.register(top)
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(c.stdout)
			return 0
		}
		fmt.Fprintf(c.stderr, "faxctl: %v\n", err)
		usage(c.stderr)
		return 2
	}
	args = top.Args()
	if len(args) == 0 {
		usage(c.stderr)
		return 2
	}
	if args[0] == "help" {
		if cmd, _ := lookup(args[1:]); cmd != nil {
			fmt.Fprintf(c.stdout, "usage: faxctl %s %s\n    %s\n\n%s", cmd.name, cmd.args, cmd.summary, globalUsage)
		} else {
			usage(c.stdout)
		}
		return 0
	}
	cmd, rest := lookup(args)
	if cmd == nil {
		fmt.Fprintf(c.stderr, "faxctl: unknown command %q\n", strings.Join(args[:min(2, len(args))], " "))
		usage(c.stderr)
		return 2
	}
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	err := cmd.run(c, fs, rest)
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(c.stdout, "usage: faxctl %s %s\n    %s\n\nflags:\n", cmd.name, cmd.args, cmd.summary)
		fs.SetOutput(c.stdout)
		fs.PrintDefaults()
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(c.stderr, "faxctl: %s: %v\nusage: faxctl %s %s\n", cmd.name, err, cmd.name, cmd.args)
		return 2
	default:
		fmt.Fprintf(c.stderr, "faxctl: %s: %v\n", cmd.name, err)
		return 1
	}
}

// lookup finds the command args start with, and returns the arguments
// after its name.
func lookup(args []string) (*command, []string) {
	for i := range commands {
		words := strings.Fields(commands[i].name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == commands[i].name {
			return &commands[i], args[len(words):]
		}
	}
	return nil, nil
}

// parse parses a command's flags, which may come before, between and
// after its arguments ("--" ends them), and returns the arguments.
func (c *cli) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	c.g.register(fs)
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue // Parse says so
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	if err := fs.Parse(flags); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, &usageError{err.Error()}
	}
	return pos, nil
}

// stringList is a flag that may be given more than once.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}
