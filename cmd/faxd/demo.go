package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/faxd/faxd/api/audit"
	"github.com/faxd/faxd/api/auth"
	"github.com/faxd/faxd/api/client"
	"github.com/faxd/faxd/api/seal"
	"github.com/faxd/faxd/api/wire"
)

// The demo's numbers on the simulated network.
const (
	demoNumber = "+15550100" // the account's number: the server answers it
	demoLine   = "+15550190" // the line that places the call
)

const demoLetter = `faxd demo

Dear customer,

this page left a faxd client over HTTPS, sealed inside the TLS
session with a key agreed for the session (HPKE, P-521, AES-256-GCM),
waited encrypted in the server's vault, was rendered to a fax page,
and was sent by the server's software fax modem (V.17, 14 400 bit/s,
with error correction) over a simulated telephone line to a number
the same server answers. The receiving side took it into the
account's inbox, encrypted under a key of its own; the client has
fetched it back, as a PDF, and acknowledged it, which destroyed it.

The document and the received image are gone from the server now;
the call records are kept.
`

// demoCommand: faxd demo [--out FILE] [--realtime] [--keep] [FILE].
func demoCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("out", "faxd-demo.pdf", "where the fax received is written, as a PDF")
	realtime := fs.Bool("realtime", false, "run the calls in real time (20 ms of audio every 20 ms; a page takes some 30 s) instead of 4x faster")
	keep := fs.Bool("keep", false, "keep the temporary data directory")
	verbose := fs.Bool("v", false, "the server's log on stderr")
	if err := fs.Parse(args); err != nil || fs.NArg() > 1 {
		return fmt.Errorf("%w: demo: %v %v", errUsage, err, fs.Args())
	}
	doc := client.Document{Name: "letter.txt", Body: strings.NewReader(demoLetter)}
	if fs.NArg() == 1 {
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return err
		}
		defer f.Close()
		st, _ := f.Stat()
		doc = client.Document{Name: fs.Arg(0), Body: f, Size: st.Size()}
	}
	o := demoOptions{out: *out, keep: *keep, period: 5 * time.Millisecond, log: io.Discard}
	if *realtime {
		o.period = 0
	}
	if *verbose {
		o.log = stderr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	return demo(ctx, o, doc, stdout)
}

type demoOptions struct {
	out    string
	keep   bool
	period time.Duration
	log    io.Writer
}

// demo runs a server in a temporary data directory and, as a customer
// would over HTTPS, sends a fax to the number the server answers, follows
// it until it is sent, fetches the received fax from the inbox as a PDF,
// acknowledges it and prints the call records.
func demo(ctx context.Context, o demoOptions, doc client.Document, w io.Writer) error {
	dir, err := os.MkdirTemp("", "faxd-demo-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintf(w, "data directory    %s (kept)\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	secret, err := demoData(dir)
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(context.Background())
	defer stop()
	type ready struct {
		addr net.Addr
		fp   string
	}
	readyc := make(chan ready, 1)
	served := make(chan error, 1)
	go func() {
		served <- serve(sctx, serveOptions{data: dir, listen: "127.0.0.1:0", lines: []string{demoLine}, period: o.period, poll: 100 * time.Millisecond,
			logOut: o.log, logLevel: hclog.Info}, func(a net.Addr, fp string) { readyc <- ready{a, fp} })
	}()
	var r ready
	select {
	case r = <-readyc:
	case err := <-served:
		return fmt.Errorf("the server did not start: %w", err)
	}
	err = demoClient(ctx, o, "https://"+r.addr.String(), r.fp, secret, doc, w)
	stop()
	if serr := <-served; serr != nil && err == nil {
		err = serr
	}
	return err
}

// demoData makes the demo's data directory: account "demo" on loopback,
// holding demoNumber, with an API credential "demo" that sends, receives
// and reads call records; it returns its secret.
func demoData(dir string) (string, error) {
	d, err := initData(dir, []string{"localhost", "127.0.0.1", "::1"}, seal.SuiteP521(), time.Now())
	if err != nil {
		return "", err
	}
	defer d.Close()
	ctx := context.Background()
	loop, _ := auth.ParseNetworkRules("127.0.0.0/8, ::1")
	if err := d.store.CreateAccount(ctx, "demo", loop); err != nil {
		return "", err
	}
	if err := d.store.SetNumbers(ctx, "demo", []string{demoNumber}); err != nil {
		return "", err
	}
	b := make([]byte, 20)
	rand.Read(b)
	secret := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	if err := d.store.CreateCredential(ctx, auth.Credential{Account: "demo", Name: "demo", Hash: auth.HashPassword(secret, auth.DefaultParams),
		Roles: []auth.Role{auth.RoleSender, auth.RoleReceiver, auth.RoleAuditor}, Kind: "api"}); err != nil {
		return "", err
	}
	if _, err := d.audit.Append(audit.Entry{Actor: "faxd demo", Account: "demo", Action: "init", Object: "demo", Outcome: "ok"}); err != nil {
		return "", err
	}
	return secret, nil
}

func demoClient(ctx context.Context, o demoOptions, url, fp, secret string, doc client.Document, w io.Writer) error {
	c, err := client.New(client.Config{URL: url, Account: "demo", Name: "demo", Secret: secret, Fingerprint: fp})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "server            %s (certificate %s, pinned)\n", url, fp)
	start := time.Now()
	f, err := c.Send(ctx, wire.FaxRequest{To: []string{demoNumber}, Header: "faxd demo", Ident: "+1 555 0190"}, doc)
	if err != nil {
		return fmt.Errorf("sending: %w", err)
	}
	fmt.Fprintf(w, "submitted         %s to %s (sealed: HPKE P-521 session, AES-256-GCM)\n", f.ID, demoNumber)
	f, err = c.Wait(ctx, f.ID, 200*time.Millisecond, func(f client.Fax) {
		line := f.State
		if len(f.Recipients) == 1 && f.Pages > 0 {
			rc := f.Recipients[0]
			line = fmt.Sprintf("%s, %d of %d pages confirmed, %d attempts", f.State, rc.PagesSent, f.Pages, len(rc.Attempts))
		}
		fmt.Fprintf(w, "  %6.1f s        %s\n", time.Since(start).Seconds(), line)
	})
	if err != nil {
		return err
	}
	if f.State != client.StateSent {
		return fmt.Errorf("the fax was not sent: %s", f.State)
	}
	var entry *client.InboxEntry
	for entry == nil {
		page, err := c.Inbox(ctx, client.InboxOptions{Number: demoNumber, Limit: 1})
		if err != nil {
			return err
		}
		if len(page.Faxes) > 0 {
			entry = &page.Faxes[0]
			break
		}
		select {
		case <-ctx.Done():
			return errors.New("the fax never reached the inbox")
		case <-time.After(100 * time.Millisecond):
		}
	}
	fmt.Fprintf(w, "received          %s: %d pages to %s from %q\n", entry.ID, entry.Pages, entry.Number, entry.RemoteIdent)
	pdf, _, err := c.Fetch(ctx, entry.ID, client.FormatPDF)
	if err != nil {
		return fmt.Errorf("fetching: %w", err)
	}
	if err := os.WriteFile(o.out, pdf, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(w, "fetched           %s (%d octets, sealed in transit)\n", o.out, len(pdf))
	if _, err := c.Ack(ctx, entry.ID); err != nil {
		return err
	}
	fmt.Fprintf(w, "acknowledged      the received image is destroyed\n\ncall records\n")
	calls, err := c.Calls(ctx, client.CallOptions{})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDIR\tLOCAL\tREMOTE\tREMOTE IDENT\tPAGES\tMODEM\tRATE\tECM\tDURATION\tRESULT")
	for _, cr := range calls.Calls {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%d\t%v\t%s\t%s\n", cr.ID, cr.Direction, cr.Local, cr.Remote, cr.RemoteIdent, cr.Pages, cr.Modem, cr.Rate, cr.ECM,
			cr.Ended.Sub(cr.Started).Round(100*time.Millisecond), cr.Result)
	}
	return tw.Flush()
}
