package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/faxd/faxd/api/audit"
	"github.com/faxd/faxd/api/vault"
)

// auditCommand: faxd audit verify [--data DIR].
func auditCommand(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return fmt.Errorf("%w: audit wants verify", errUsage)
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "faxd-data", "the data directory")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		return fmt.Errorf("%w: audit verify: %v %v", errUsage, err, fs.Args())
	}
	v, err := vault.Open(filepath.Join(*data, "vault"))
	if err != nil {
		return err
	}
	key, err := getSecret(v, "audit-key")
	if err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(*data, "audit.log"))
	if err != nil {
		return err
	}
	n, err := audit.Verify(bytes.NewReader(b), key)
	var be *audit.BrokenError
	if errors.As(err, &be) {
		return fmt.Errorf("audit log broken at line %d (entry %d): %s; the %d entries before it verify", be.Line, be.Seq, be.Reason, n)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "audit log: %d entries, chain intact\n", n)
	return nil
}

// keysCommand: faxd keys rotate [--data DIR].
func keysCommand(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rotate" {
		return fmt.Errorf("%w: keys wants rotate", errUsage)
	}
	fs := flag.NewFlagSet("keys rotate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "faxd-data", "the data directory")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		return fmt.Errorf("%w: keys rotate: %v %v", errUsage, err, fs.Args())
	}
	lock, err := lockData(*data)
	if err != nil {
		return fmt.Errorf("%w (stop the server first)", err)
	}
	defer lock.Close()
	d, err := openData(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	n, err := d.vault.Rotate()
	outcome := "ok"
	if err != nil {
		outcome = "failed"
	}
	if _, aerr := d.audit.Append(audit.Entry{Actor: "faxd keys rotate", Action: "keys.rotate", Object: fmt.Sprintf("master key %d", d.vault.MasterVersion()), Outcome: outcome, Detail: fmt.Sprintf("%d data keys re-wrapped", n)}); aerr != nil && err == nil {
		err = aerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "master key %d: %d data keys re-wrapped, the old master key destroyed\n", d.vault.MasterVersion(), n)
	return nil
}
