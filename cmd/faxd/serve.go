package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/faxd/faxd/api/audit"
	"github.com/faxd/faxd/api/auth"
	"github.com/faxd/faxd/api/dispatch"
	"github.com/faxd/faxd/api/seal"
	"github.com/faxd/faxd/api/server"
	"github.com/faxd/faxd/api/webhook"
	"github.com/faxd/faxd/hal/media"
	"github.com/faxd/faxd/hal/sched"
	"github.com/faxd/faxd/hal/sim"
	"github.com/faxd/faxd/t30"
)

// initCommand: faxd init [--data DIR] [--account NAME] [--allow CIDRS] [--host NAMES].
func initCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "faxd-data", "the data directory to make")
	account := fs.String("account", "admin", "the first account")
	allow := fs.String("allow", "127.0.0.0/8, ::1", "networks the first account may connect from")
	hosts := fs.String("host", "localhost,127.0.0.1,::1", "names and addresses for the self-signed certificate")
	numbers := fs.String("numbers", "", "E.164 numbers whose faxes go to the first account's inbox, comma-separated")
	suiteName := fs.String("seal", "p521", "the message-level encryption's key: p521 (DHKEM P-521, as etherFAX) or hybrid (ML-KEM-768 + X25519, post-quantum)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return fmt.Errorf("%w: init: %v %v", errUsage, err, fs.Args())
	}
	rules, err := auth.ParseNetworkRules(*allow)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	nums, err := parseNumbers(*numbers)
	if err != nil {
		return err
	}
	var suite seal.Suite
	switch *suiteName {
	case "p521":
		suite = seal.SuiteP521()
	case "hybrid":
		suite = seal.SuiteHybrid()
	default:
		return fmt.Errorf("%w: --seal is p521 or hybrid, not %q", errUsage, *suiteName)
	}
	d, err := initData(*data, strings.Split(*hosts, ","), suite, time.Now())
	if err != nil {
		return err
	}
	defer d.Close()
	ctx := context.Background()
	pw, err := addAccount(ctx, d, *account, rules, nums)
	if err != nil {
		return err
	}
	if _, err := d.audit.Append(audit.Entry{Actor: "faxd init", Account: *account, Action: "init", Object: "admin", Outcome: "ok"}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "data directory:  %s\naccount:         %s (from %s)\nnumbers:         %s\nadmin user:      admin\nadmin password:  %s   (shown this once, to be changed at the first login)\ncertificate:     %s\n",
		*data, *account, rules, strings.Join(nums, ", "), pw, server.Fingerprint(d.cert))
	return nil
}

// serveOptions are faxd serve's settings.
type serveOptions struct {
	data    string
	listen  string
	tls12   bool
	lines   []string // the sim network's lines that place calls
	metrics string   // local address of the Prometheus metrics; "": none
	// certFile and keyFile name a certificate given; "": the data
	// directory's self-signed one.
	certFile, keyFile string
	// Settings tests and faxd demo change.
	period    time.Duration // the media server's tick; 0: 20 ms
	busyPoll  bool          // the scheduler's workers poll the clock between ticks
	steal     bool          // a worker done with its tick takes channels of another's
	nice      int           // the workers' threads' nice value
	poll      time.Duration // the job queue's poll; 0: 1 s
	retention time.Duration
	webhooks  webhook.Policy
	logOut    io.Writer
	logLevel  hclog.Level
}

// serveCommand: faxd serve [--data DIR] [--listen ADDR] [--tls12] [--lines NUMBERS] [--metrics ADDR].
func serveCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := serveOptions{logOut: stderr, logLevel: hclog.Info}
	fs.StringVar(&o.data, "data", "faxd-data", "the data directory (faxd init makes it)")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8443", "address to serve HTTPS on")
	fs.BoolVar(&o.tls12, "tls12", false, "accept TLS 1.2 too (AEAD suites with forward secrecy only)")
	lines := fs.String("lines", "+15550190,+15550191,+15550192,+15550193", "the simulated network's lines that place calls (the accounts' numbers answer)")
	fs.StringVar(&o.certFile, "cert", "", "the server's certificate chain (PEM) instead of the data directory's self-signed one; with --key")
	fs.StringVar(&o.keyFile, "key", "", "the private key (PEM) of --cert")
	fs.StringVar(&o.metrics, "metrics", "", "local address to serve Prometheus metrics on (/metrics); empty: none")
	fs.DurationVar(&o.retention, "retention", 7*24*time.Hour, "how long a received fax not acknowledged is kept")
	gogc := fs.Int("gc-percent", media.GCPercent, "the garbage collector's target percent (GOGC in the environment wins)")
	private := fs.Bool("private-webhooks", false, "let webhooks reach loopback and private networks (never link-local)")
	fs.String("config", "", "a file of settings (name = value, a line each); the command line overrides it")
	fs.DurationVar(&o.period, "tick", 0, "the media server's tick, 20 ms of audio each; below 20 ms the calls run faster than real time (tests, demos)")
	fs.IntVar(&o.nice, "nice", 0, "the media server's workers' threads' nice value: below 0 (e.g. -20, with CAP_SYS_NICE) the rest of the process and of the machine runs in the workers' slack rather than in their ticks (see hal/sched Config.Nice)")
	fs.BoolVar(&o.busyPoll, "busy-poll", false, "the media server's workers wait for their ticks polling the clock, a core each at 100%, instead of sleeping: for a machine given to faxd, whose cores then stay warm (see hal/sched Config.Poll)")
	fs.BoolVar(&o.steal, "steal", true, "a media server worker done with its own tick ticks channels of another's tick still under way, so that a core the machine holds up for a few milliseconds does not miss its deadline (see hal/sched Config.Steal)")
	fs.DurationVar(&o.poll, "poll", 0, "how often the job queue looks for jobs come due (0: 1 s)")
	if err := parseWithConfig(fs, args); err != nil || fs.NArg() > 0 {
		if errors.Is(err, errUsage) {
			return err
		}
		return fmt.Errorf("%w: serve: %v %v", errUsage, err, fs.Args())
	}
	o.lines = splitList(*lines)
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(*gogc)
	}
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(sched.Procs(0))
	}
	o.webhooks.AllowPrivate = *private
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return serve(ctx, o, func(addr net.Addr, fp string) {
		fmt.Fprintf(stdout, "faxd: serving https://%s (certificate %s)\n", addr, fp)
	})
}

func splitList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// lockData takes the data directory for this process alone: one server
// a directory (the job queue's recovery at start counts on it).
func lockData(root string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(root, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s is in use by another faxd: %w", root, err)
	}
	return f, nil
}

// serve runs the HTTPS API, the media server (on the sim network: the
// lines, and every number an account holds) and the dispatcher between
// them on the data directory until ctx ends; then it stops the API,
// the calls (each recorded as cut short) and the queue, in that order.
func serve(ctx context.Context, o serveOptions, ready func(net.Addr, string)) error {
	lock, err := lockData(o.data)
	if err != nil {
		return err
	}
	defer lock.Close()
	d, err := openData(o.data)
	if err != nil {
		return err
	}
	defer d.Close()
	tokens, err := auth.NewIssuer(d.token)
	if err != nil {
		return err
	}
	cert := d.cert
	if o.certFile != "" || o.keyFile != "" {
		if cert, err = tls.LoadX509KeyPair(o.certFile, o.keyFile); err != nil {
			return fmt.Errorf("%w: --cert and --key: %v", errUsage, err)
		}
	}
	if o.logOut == nil {
		o.logOut = io.Discard
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: "faxd", Level: o.logLevel, Output: o.logOut})
	numbers, err := d.store.AllNumbers(ctx)
	if err != nil {
		return err
	}
	chans := append(slices.Clone(o.lines), numbers...)
	slices.Sort(chans)
	chans = slices.Compact(chans)
	ms, err := media.New(media.Config{
		Driver:   sim.New(sim.Config{}),
		Channels: chans,
		Sched:    sched.Config{Period: o.period, CatchUp: 8, Poll: o.busyPoll, Nice: o.nice, Steal: o.steal},
		Logger:   logger.Named("media"),
		T30:      t30.Config{ECM: true},
	})
	if err != nil {
		return err
	}
	if err := ms.Start(); err != nil {
		return err
	}
	stopping := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), 30*time.Second)
	}
	defer func() { // on the way out early; the orderly stop below has stopped it already
		c, cancel := stopping()
		defer cancel()
		ms.Stop(c)
	}()
	disp, err := dispatch.New(dispatch.Config{Store: d.store, Vault: d.vault, Media: ms, Audit: d.audit, Logger: logger.Named("dispatch"),
		Lines: len(o.lines), Retention: o.retention, Poll: o.poll, Webhooks: o.webhooks})
	if err != nil {
		return err
	}
	if err := disp.Start(ctx); err != nil {
		return err
	}
	api := server.New(server.Config{Directory: d.store, Tokens: tokens, Seal: seal.NewServer(d.seal, seal.Limits{}), Audit: d.audit,
		Jobs: d.store, Documents: d.vault, Admin: d.store, Inbox: d.store, Webhooks: o.webhooks})
	hs := &http.Server{
		Handler:           api,
		TLSConfig:         server.TLSConfig(cert, o.tls12),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // uploads of documents
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          logger.Named("http").StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}),
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	var metrics *http.Server
	if o.metrics != "" {
		mln, err := net.Listen("tcp", o.metrics)
		if err != nil {
			ln.Close()
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", ms.Handler())
		metrics = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go metrics.Serve(mln)
		logger.Info("metrics", "address", mln.Addr().String())
	}
	if ready != nil {
		ready(ln.Addr(), server.Fingerprint(cert))
	}
	logger.Info("serving", "address", ln.Addr().String(), "channels", len(chans), "numbers", len(numbers))
	errc := make(chan error, 1)
	go func() { errc <- hs.ServeTLS(ln, "", "") }()
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if serr := hs.Shutdown(sctx); serr != nil && err == nil {
		err = serr
	}
	if metrics != nil {
		metrics.Shutdown(sctx)
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	mctx, mcancel := stopping()
	defer mcancel()
	if serr := ms.Stop(mctx); serr != nil && err == nil {
		err = serr
	}
	if serr := disp.Stop(mctx); serr != nil && err == nil {
		err = serr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
