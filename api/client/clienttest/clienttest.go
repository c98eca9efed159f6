// Package clienttest serves faxd's API over TLS for the tests of API
// clients, as net/http/httptest serves handlers: NewServer runs the real
// api/server on a real store, vault, audit log, token issuer and seal
// server in a test's temporary directory; NewFake speaks, in API.md's
// shapes, the resources the server does not serve yet (the extended fax
// status, the inbox and its sealed images, call records, password
// changes, numbers, webhook secrets).
//
// Both log the requests they answer (Hits), so that tests can count
// logins and session set-ups, and both keep time by a Clock the test
// moves.
package clienttest

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/faxd/faxd/api/audit"
	"github.com/faxd/faxd/api/auth"
	"github.com/faxd/faxd/api/seal"
	"github.com/faxd/faxd/api/server"
	"github.com/faxd/faxd/api/store"
	"github.com/faxd/faxd/api/vault"
)

// The account both servers serve, and its credentials.
const (
	Account = "acme"

	AdminName      = "admin" // a user with the admin role
	AdminPassword  = "admin-password"
	SenderName     = "sender" // an API credential with the sender role
	SenderSecret   = "sender-secret"
	ReceiverName   = "receiver" // an API credential with the receiver role
	ReceiverSecret = "receiver-secret"
	AuditorName    = "auditor" // an API credential with the auditor role
	AuditorSecret  = "auditor-secret"
)

// Cheap are argon2id costs that keep tests fast.
var Cheap = auth.Params{MemoryKiB: 64, Time: 1, Threads: 1}

// A Clock is a time tests move. It is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// A Hit is a request answered.
type Hit struct {
	Method, Path string
	Status       int
}

// hits logs the requests a handler answers.
type hits struct {
	mu  sync.Mutex
	log []Hit
}

func (h *hits) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		h.mu.Lock()
		h.log = append(h.log, Hit{Method: r.Method, Path: r.URL.Path, Status: sw.status})
		h.mu.Unlock()
	})
}

// Hits returns the requests answered so far.
func (h *hits) Hits() []Hit {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Hit(nil), h.log...)
}

// Count returns how many requests of method to path were answered with
// status (any status if 0).
func (h *hits) Count(method, path string, status int) int {
	n := 0
	for _, x := range h.Hits() {
		if x.Method == method && x.Path == path && (status == 0 || x.Status == status) {
			n++
		}
	}
	return n
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(s int) {
	if !w.wrote {
		w.status, w.wrote = s, true
	}
	w.ResponseWriter.WriteHeader(s)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// startTLS serves h over TLS; failed handshakes (a client refusing the
// certificate, as tests make some do) are not logged.
func startTLS(h http.Handler) *httptest.Server {
	ts := httptest.NewUnstartedServer(h)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	return ts
}

// Options shape a Server.
type Options struct {
	Seal  seal.Limits // the seal server's limits
	Clock *Clock      // nil: a new clock at time.Now()
}

// A Server is the real API server over TLS.
type Server struct {
	hits
	URL         string
	Fingerprint string // of its certificate, as server.Fingerprint writes it
	Clock       *Clock
	Store       *store.Store
	TLS         *httptest.Server
}

// NewServer starts the API server for t, with the account Account
// (loopback allowed) and its admin, sender, receiver and auditor; it is
// closed when t ends.
func NewServer(t testing.TB, o Options) *Server {
	t.Helper()
	clk := o.Clock
	if clk == nil {
		clk = NewClock(time.Now())
	}
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "faxd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	v, err := vault.Init(filepath.Join(dir, "vault"))
	if err != nil {
		t.Fatal(err)
	}
	alog, err := audit.Open(filepath.Join(dir, "audit.log"), bytes.Repeat([]byte{7}, 32), audit.Options{NoSync: true, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { alog.Close() })
	key, err := seal.GenerateKey(seal.SuiteP521())
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewIssuer(bytes.Repeat([]byte{5}, 32))
	if err != nil {
		t.Fatal(err)
	}
	tokens.Now = clk.Now
	loop, _ := auth.ParseNetworkRules("127.0.0.0/8, ::1")
	ctx := context.Background()
	if err := st.CreateAccount(ctx, Account, loop); err != nil {
		t.Fatal(err)
	}
	for _, c := range []auth.Credential{
		{Name: AdminName, Hash: auth.HashPassword(AdminPassword, Cheap), Roles: []auth.Role{auth.RoleAdmin}, Kind: "user"},
		{Name: SenderName, Hash: auth.HashPassword(SenderSecret, Cheap), Roles: []auth.Role{auth.RoleSender}, Kind: "api"},
		{Name: ReceiverName, Hash: auth.HashPassword(ReceiverSecret, Cheap), Roles: []auth.Role{auth.RoleReceiver}, Kind: "api"},
		{Name: AuditorName, Hash: auth.HashPassword(AuditorSecret, Cheap), Roles: []auth.Role{auth.RoleAuditor}, Kind: "api"},
	} {
		c.Account = Account
		if err := st.CreateCredential(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	api := server.New(server.Config{
		Directory: st, Admin: st, Jobs: st, Documents: v,
		Tokens: tokens, Seal: seal.NewServer(key, o.Seal), Audit: alog,
		Hash: Cheap, Now: clk.Now, Guard: &auth.Guard{MaxFailures: 1 << 20},
	})
	s := &Server{Clock: clk, Store: st}
	s.TLS = startTLS(s.wrap(api))
	t.Cleanup(s.TLS.Close)
	s.URL = s.TLS.URL
	s.Fingerprint = server.Fingerprint(s.TLS.TLS.Certificates[0])
	return s
}
