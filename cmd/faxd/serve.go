package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/faxd/faxd/api/audit"
	"github.com/faxd/faxd/api/auth"
	"github.com/faxd/faxd/api/seal"
	"github.com/faxd/faxd/api/server"
)

// initCommand: faxd init [--data DIR] [--account NAME] [--allow CIDRS] [--host NAMES].
func initCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "faxd-data", "the data directory to make")
	account := fs.String("account", "admin", "the first account")
	allow := fs.String("allow", "127.0.0.0/8, ::1", "networks the first account may connect from")
	hosts := fs.String("host", "localhost,127.0.0.1,::1", "names and addresses for the self-signed certificate")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return fmt.Errorf("%w: init: %v %v", errUsage, err, fs.Args())
	}
	rules, err := auth.ParseNetworkRules(*allow)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	d, err := initData(*data, strings.Split(*hosts, ","), time.Now())
	if err != nil {
		return err
	}
	defer d.Close()
	ctx := context.Background()
	if err := d.store.CreateAccount(ctx, *account, rules); err != nil {
		return err
	}
	pw := oneTimePassword()
	cred := auth.Credential{Account: *account, Name: "admin", Hash: auth.HashPassword(pw, auth.DefaultParams), Roles: []auth.Role{auth.RoleAdmin}, Kind: "user"}
	if err := d.store.CreateCredential(ctx, cred); err != nil {
		return err
	}
	if _, err := d.audit.Append(audit.Entry{Actor: "faxd init", Account: *account, Action: "init", Object: "admin", Outcome: "ok"}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "data directory:  %s\naccount:         %s (from %s)\nadmin user:      admin\nadmin password:  %s   (shown this once)\ncertificate:     %s\n",
		*data, *account, rules, pw, server.Fingerprint(d.cert))
	return nil
}

// serveCommand: faxd serve [--data DIR] [--listen ADDR] [--tls12].
func serveCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "faxd-data", "the data directory (faxd init makes it)")
	listen := fs.String("listen", "127.0.0.1:8443", "address to serve HTTPS on")
	tls12 := fs.Bool("tls12", false, "accept TLS 1.2 too (AEAD suites with forward secrecy only)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return fmt.Errorf("%w: serve: %v %v", errUsage, err, fs.Args())
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return serve(ctx, *data, *listen, *tls12, func(addr net.Addr, fp string) {
		fmt.Fprintf(stdout, "faxd: serving https://%s (certificate %s)\n", addr, fp)
	})
}

// serve runs the HTTPS API on the data directory until ctx ends.
func serve(ctx context.Context, root, listen string, tls12 bool, ready func(net.Addr, string)) error {
	d, err := openData(root)
	if err != nil {
		return err
	}
	defer d.Close()
	tokens, err := auth.NewIssuer(d.token)
	if err != nil {
		return err
	}
	api := server.New(server.Config{Directory: d.store, Tokens: tokens, Seal: seal.NewServer(d.seal, seal.Limits{}), Audit: d.audit,
		Jobs: d.store, Documents: d.vault, Admin: d.store})
	hs := &http.Server{
		Handler:           api,
		TLSConfig:         server.TLSConfig(d.cert, tls12),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // uploads of documents
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr(), server.Fingerprint(d.cert))
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.ServeTLS(ln, "", "") }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
