// Package server is faxd's HTTPS API: the /v1 resources, and in front of
// each of them, in this order, the account's network rules, the lock-out
// guard, authentication (an access token, taken for an API credential or
// an admin login), the role check, and for everything that carries a
// document or an image, message-level encryption (package seal). Every
// refusal is answered in one JSON shape (wire.ErrorBody) with a
// machine-readable code and written to the audit log. The bodies, headers
// and codes are package wire's.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/faxd/faxd/api/audit"
	"github.com/faxd/faxd/api/auth"
	"github.com/faxd/faxd/api/seal"
	"github.com/faxd/faxd/api/webhook"
	"github.com/faxd/faxd/api/wire"
)

// Account and Credential are auth's.
type (
	Account    = auth.Account
	Credential = auth.Credential
)

// ErrNotFound is what a Directory returns for what it does not hold.
var ErrNotFound = auth.ErrNotFound

// A Directory holds accounts and credentials (the store implements it).
type Directory interface {
	Account(ctx context.Context, id string) (auth.Account, error)
	Credential(ctx context.Context, account, name string) (auth.Credential, error)
	// ChangeSecret replaces a credential's hash and clears its one-time
	// mark (POST /v1/password).
	ChangeSecret(ctx context.Context, account, name, hash string) error
}

// An Auditor records audit entries (*audit.Log).
type Auditor interface {
	Append(audit.Entry) (audit.Entry, error)
}

// Config wires a Server.
type Config struct {
	Directory Directory
	Tokens    *auth.Issuer
	Seal      *seal.Server
	Audit     Auditor
	Guard     *auth.Guard      // nil: a default Guard
	Hash      auth.Params      // costs new hashes should have (zero: auth.DefaultParams)
	Now       func() time.Time // nil: time.Now
	MaxBody   int64            // largest request body; 0: wire.DefaultMaxBody
	// Jobs and Documents serve the fax resources (/v1/faxes); without
	// them those are not served.
	Jobs      Jobs
	Documents Documents
	// Admin serves the admin resources (/v1/admin); without it they are
	// not served.
	Admin Admin
	// Inbox serves the inbox and the call records (/v1/inbox,
	// /v1/calls), with Documents holding the images; without it they are
	// not served.
	Inbox Inbox
	// Webhooks is where webhook URLs may lead (checked at submission; the
	// dispatcher checks again at every dial).
	Webhooks webhook.Policy
}

// A Server serves the API.
type Server struct {
	cfg       Config
	mux       *http.ServeMux
	dummyHash string // checked against when a credential is unknown, so that takes as long
}

// New returns a server for cfg.
func New(cfg Config) *Server {
	if cfg.Guard == nil {
		cfg.Guard = &auth.Guard{}
	}
	if cfg.Hash == (auth.Params{}) {
		cfg.Hash = auth.DefaultParams
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = wire.DefaultMaxBody
	}
	if cfg.Guard.Now == nil {
		cfg.Guard.Now = cfg.Now
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), dummyHash: auth.HashPassword("no such credential", cfg.Hash)}
	s.mux.Handle("POST /v1/tokens", s.account(http.HandlerFunc(s.postToken)))
	s.mux.Handle("GET /v1/seal/key", s.account(http.HandlerFunc(s.getSealKey)))
	s.mux.Handle("POST /v1/seal/sessions", s.account(s.authed(nil, http.HandlerFunc(s.postSealSession))))
	s.mux.Handle("POST /v1/password", s.account(s.authedChange(http.HandlerFunc(s.postPassword))))
	s.faxRoutes()
	s.adminRoutes()
	s.inboxRoutes()
	return s
}

// Handle adds a resource: pattern as http.ServeMux takes it, checked for
// the account's network, a token, and action; sealed requires
// message-level encryption both ways.
func (s *Server) Handle(pattern string, action auth.Action, sealed bool, h http.Handler) {
	if sealed {
		h = s.sealed(h)
	}
	s.mux.Handle(pattern, s.account(s.authed([]auth.Action{action}, h)))
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
	s.mux.ServeHTTP(w, r)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var b wire.ErrorBody
	b.Error.Code, b.Error.Message = code, msg
	writeJSON(w, status, b)
}

// ctxKey keys what the checks found, for the handlers after them.
type ctxKey int

const (
	keyAccount ctxKey = iota
	keyClaims
)

// AccountFrom returns the request's account (after the network check).
func AccountFrom(ctx context.Context) (Account, bool) {
	a, ok := ctx.Value(keyAccount).(Account)
	return a, ok
}

// ClaimsFrom returns the request's token claims (after authentication).
func ClaimsFrom(ctx context.Context) (auth.Claims, bool) {
	c, ok := ctx.Value(keyClaims).(auth.Claims)
	return c, ok
}

func remoteAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

// audit records an entry; a log that cannot be written fails the request
// rather than let it pass unrecorded.
func (s *Server) audit(r *http.Request, e audit.Entry) error {
	if s.cfg.Audit == nil {
		return nil
	}
	if e.Remote == "" {
		e.Remote = remoteAddr(r).String()
	}
	if e.Account == "" {
		if a, ok := AccountFrom(r.Context()); ok {
			e.Account = a.ID
		}
	}
	if e.Actor == "" {
		if c, ok := ClaimsFrom(r.Context()); ok {
			e.Actor = c.Subject
		}
	}
	_, err := s.cfg.Audit.Append(e)
	return err
}

// refuse answers an error and audits it.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	if err := s.audit(r, audit.Entry{Action: r.Method + " " + r.URL.Path, Outcome: "denied", Detail: code + ": " + msg}); err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "audit log unavailable")
		return
	}
	writeError(w, status, code, msg)
}

// account runs first: the request names its account, which must exist,
// be enabled, and allow the client's address.
func (s *Server) account(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(wire.HeaderAccount)
		if id == "" || len(id) > 64 {
			s.refuse(w, r, http.StatusBadRequest, wire.CodeNoAccount, "the "+wire.HeaderAccount+" header names no account")
			return
		}
		a, err := s.cfg.Directory.Account(r.Context(), id)
		if err != nil || a.Disabled {
			// Unknown and disabled answer alike: no probing for names.
			s.refuse(w, r, http.StatusForbidden, wire.CodeNetwork, "not allowed from this address")
			return
		}
		ctx := context.WithValue(r.Context(), keyAccount, a)
		r = r.WithContext(ctx)
		if err := a.Rules.Check(remoteAddr(r)); err != nil {
			s.refuse(w, r, http.StatusForbidden, wire.CodeNetwork, "not allowed from this address")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authed checks the bearer token (for the request's account) and that
// one of its roles allows every action.
func (s *Server) authed(actions []auth.Action, next http.Handler) http.Handler {
	return s.authedAs(actions, false, next)
}

// authedChange admits the tokens of one-time passwords too (the password
// resource and nothing else).
func (s *Server) authedChange(next http.Handler) http.Handler { return s.authedAs(nil, true, next) }

func (s *Server) authedAs(actions []auth.Action, change bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, _ := AccountFrom(r.Context())
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="faxd"`)
			s.refuse(w, r, http.StatusUnauthorized, wire.CodeUnauthorized, "a bearer token is required")
			return
		}
		c, err := s.cfg.Tokens.Verify(tok)
		switch {
		case errors.Is(err, auth.ErrTokenExpired):
			s.refuse(w, r, http.StatusUnauthorized, wire.CodeTokenExpired, "the token has expired")
			return
		case err != nil || c.Account != a.ID:
			// A token of another account is as bad as a forged one.
			s.refuse(w, r, http.StatusUnauthorized, wire.CodeUnauthorized, "invalid token")
			return
		}
		// A credential deleted since takes its tokens with it.
		if _, err := s.cfg.Directory.Credential(r.Context(), a.ID, c.Subject); err != nil {
			s.refuse(w, r, http.StatusUnauthorized, wire.CodeUnauthorized, "the token's credential is gone")
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), keyClaims, c))
		if c.Change && !change {
			s.refuse(w, r, http.StatusForbidden, wire.CodeChangePassword, "the password is one-time: change it (POST /v1/password), then log in again")
			return
		}
		for _, act := range actions {
			if err := auth.Allow(c.Roles, act); err != nil {
				s.refuse(w, r, http.StatusForbidden, wire.CodeForbidden, fmt.Sprintf("%s is not allowed for this credential", act))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
