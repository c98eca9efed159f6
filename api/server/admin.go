package server

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/faxd/faxd/api/audit"
	"github.com/faxd/faxd/api/auth"
	"github.com/faxd/faxd/api/store"
	"github.com/faxd/faxd/api/webhook"
	"github.com/faxd/faxd/api/wire"
)

// Admin is what the admin resources need of the store (*store.Store).
type Admin interface {
	CreateCredential(ctx context.Context, c auth.Credential) error
	ListCredentials(ctx context.Context, account string) ([]store.CredentialInfo, error)
	DeleteCredential(ctx context.Context, account, name string) error
	SetNetworkRules(ctx context.Context, account string, rules auth.NetworkRules) error
	SetNumbers(ctx context.Context, account string, numbers []string) error
	Numbers(ctx context.Context, account string) ([]string, error)
	SetWebhookSecret(ctx context.Context, account, secret string) error
}

func (s *Server) adminRoutes() {
	if s.cfg.Admin == nil {
		return
	}
	s.Handle("POST /v1/admin/credentials", auth.AdminManage, false, http.HandlerFunc(s.postCredential))
	s.Handle("POST /v1/admin/users", auth.AdminManage, false, http.HandlerFunc(s.postUser))
	s.Handle("GET /v1/admin/credentials", auth.AdminManage, false, http.HandlerFunc(s.listCredentials))
	s.Handle("DELETE /v1/admin/credentials/{name}", auth.AdminManage, false, http.HandlerFunc(s.deleteCredential))
	s.Handle("GET /v1/admin/network-rules", auth.AdminManage, false, http.HandlerFunc(s.getNetworkRules))
	s.Handle("PUT /v1/admin/network-rules", auth.AdminManage, false, http.HandlerFunc(s.putNetworkRules))
	s.Handle("GET /v1/admin/numbers", auth.AdminManage, false, http.HandlerFunc(s.getNumbers))
	s.Handle("PUT /v1/admin/numbers", auth.AdminManage, false, http.HandlerFunc(s.putNumbers))
	s.Handle("POST /v1/admin/webhook-secret", auth.AdminManage, false, http.HandlerFunc(s.postWebhookSecret))
}

// newSecret is an API credential's secret: 160 random bits in base32.
func newSecret() string {
	b := make([]byte, 20)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// postCredential makes an API credential (never an admin login: admin and
// API credentials are apart) and answers its secret, this once.
func (s *Server) postCredential(w http.ResponseWriter, r *http.Request) { s.create(w, r, "api") }

// postUser makes a user (a login to the API and the admin resources, of
// any roles) and answers a one-time password, this once: the user's
// first token is good only to change it.
func (s *Server) postUser(w http.ResponseWriter, r *http.Request) { s.create(w, r, "user") }

func (s *Server) create(w http.ResponseWriter, r *http.Request, kind string) {
	a, _ := AccountFrom(r.Context())
	var req wire.NewCredential
	if err := decodeJSON(r, maxSmallBody, &req); err != nil {
		s.badBody(w, r, err)
		return
	}
	if req.Name == "" || len(req.Name) > 128 || strings.ContainsAny(req.Name, "/ \t\n") || len(req.Roles) == 0 {
		s.refuse(w, r, http.StatusBadRequest, wire.CodeBadRequest, "a name (up to 128 octets, no spaces or slashes) and roles are required")
		return
	}
	for _, role := range req.Roles {
		if !auth.ValidRole(role) || kind == "api" && role == auth.RoleAdmin {
			msg := "roles are admin, sender, receiver and auditor"
			if kind == "api" {
				msg = "API credentials take the roles sender, receiver and auditor"
			}
			s.refuse(w, r, http.StatusBadRequest, wire.CodeBadRequest, msg)
			return
		}
	}
	secret := newSecret()
	err := s.cfg.Admin.CreateCredential(r.Context(), auth.Credential{Account: a.ID, Name: req.Name, Hash: auth.HashPassword(secret, s.cfg.Hash),
		Roles: req.Roles, Kind: kind, MustChange: kind == "user"})
	if errors.Is(err, store.ErrExists) {
		s.refuse(w, r, http.StatusConflict, wire.CodeExists, "a credential of that name exists")
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "the store failed")
		return
	}
	action := "admin.credential.create"
	if kind == "user" {
		action = "admin.user.create"
	}
	if err := s.audit(r, audit.Entry{Action: action, Object: req.Name, Outcome: "ok", Detail: fmt.Sprint(req.Roles)}); err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "audit log unavailable")
		return
	}
	writeJSON(w, http.StatusCreated, wire.CredentialView{Name: req.Name, Roles: req.Roles, Kind: kind, Secret: secret})
}

func (s *Server) listCredentials(w http.ResponseWriter, r *http.Request) {
	a, _ := AccountFrom(r.Context())
	cs, err := s.cfg.Admin.ListCredentials(r.Context(), a.ID)
	if err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "the store failed")
		return
	}
	out := wire.CredentialList{Credentials: []wire.CredentialView{}}
	for _, c := range cs {
		out.Credentials = append(out.Credentials, wire.CredentialView{Name: c.Name, Roles: c.Roles, Kind: c.Kind, Created: c.Created})
	}
	writeJSON(w, http.StatusOK, out)
}

// deleteCredential removes a credential of the account; not the one making
// the request.
func (s *Server) deleteCredential(w http.ResponseWriter, r *http.Request) {
	a, _ := AccountFrom(r.Context())
	c, _ := ClaimsFrom(r.Context())
	name := r.PathValue("name")
	if name == c.Subject {
		s.refuse(w, r, http.StatusConflict, wire.CodeState, "a credential cannot delete itself")
		return
	}
	err := s.cfg.Admin.DeleteCredential(r.Context(), a.ID, name)
	if errors.Is(err, store.ErrNotFound) {
		s.refuse(w, r, http.StatusNotFound, wire.CodeNotFound, "no such credential")
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "the store failed")
		return
	}
	if err := s.audit(r, audit.Entry{Action: "admin.credential.delete", Object: name, Outcome: "ok"}); err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "audit log unavailable")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getNetworkRules(w http.ResponseWriter, r *http.Request) {
	a, _ := AccountFrom(r.Context())
	writeJSON(w, http.StatusOK, wire.NetworkRulesBody{Rules: a.Rules.String()})
}

// putNetworkRules replaces the account's network rules; rules that would
// shut out the address making the change are refused.
func (s *Server) putNetworkRules(w http.ResponseWriter, r *http.Request) {
	a, _ := AccountFrom(r.Context())
	var req wire.NetworkRulesBody
	if err := decodeJSON(r, maxSmallBody, &req); err != nil {
		s.badBody(w, r, err)
		return
	}
	rules, err := auth.ParseNetworkRules(req.Rules)
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, wire.CodeBadRequest, err.Error())
		return
	}
	if err := rules.Check(remoteAddr(r)); err != nil {
		s.refuse(w, r, http.StatusConflict, wire.CodeState, "the new rules would shut out the address making the change")
		return
	}
	if err := s.cfg.Admin.SetNetworkRules(r.Context(), a.ID, rules); err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "the store failed")
		return
	}
	if err := s.audit(r, audit.Entry{Action: "admin.network-rules", Object: a.ID, Outcome: "ok", Detail: rules.String()}); err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "audit log unavailable")
		return
	}
	writeJSON(w, http.StatusOK, wire.NetworkRulesBody{Rules: rules.String()})
}

func (s *Server) getNumbers(w http.ResponseWriter, r *http.Request) {
	a, _ := AccountFrom(r.Context())
	ns, err := s.cfg.Admin.Numbers(r.Context(), a.ID)
	if err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "the store failed")
		return
	}
	writeJSON(w, http.StatusOK, wire.NumbersBody{Numbers: ns})
}

// maxNumbers bounds the numbers of one account.
const maxNumbers = 1000

// putNumbers replaces the account's numbers; a number another account
// holds is refused.
func (s *Server) putNumbers(w http.ResponseWriter, r *http.Request) {
	a, _ := AccountFrom(r.Context())
	var req wire.NumbersBody
	if err := decodeJSON(r, 64<<10, &req); err != nil {
		s.badBody(w, r, err)
		return
	}
	if len(req.Numbers) > maxNumbers {
		s.refuse(w, r, http.StatusBadRequest, wire.CodeBadRequest, "at most "+strconv.Itoa(maxNumbers)+" numbers")
		return
	}
	ns := make([]string, 0, len(req.Numbers))
	seen := map[string]bool{}
	for _, n := range req.Numbers {
		e, err := wire.ParseE164(n)
		if err != nil {
			s.refuse(w, r, http.StatusBadRequest, wire.CodeBadRequest, err.Error())
			return
		}
		if !seen[e] {
			seen[e] = true
			ns = append(ns, e)
		}
	}
	err := s.cfg.Admin.SetNumbers(r.Context(), a.ID, ns)
	if errors.Is(err, store.ErrExists) {
		s.refuse(w, r, http.StatusConflict, wire.CodeExists, "a number is held by another account")
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "the store failed")
		return
	}
	if err := s.audit(r, audit.Entry{Action: "admin.numbers", Object: a.ID, Outcome: "ok", Detail: strings.Join(ns, ",")}); err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "audit log unavailable")
		return
	}
	writeJSON(w, http.StatusOK, wire.NumbersBody{Numbers: ns})
}

// postWebhookSecret makes the account a new webhook signing secret and
// answers it, this once; the old one signs no more.
func (s *Server) postWebhookSecret(w http.ResponseWriter, r *http.Request) {
	a, _ := AccountFrom(r.Context())
	sec := webhook.NewSecret()
	if err := s.cfg.Admin.SetWebhookSecret(r.Context(), a.ID, sec); err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "the store failed")
		return
	}
	if err := s.audit(r, audit.Entry{Action: "admin.webhook-secret", Object: a.ID, Outcome: "ok"}); err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "audit log unavailable")
		return
	}
	writeJSON(w, http.StatusCreated, wire.WebhookSecret{Secret: sec})
}
