package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/faxd/faxd/api/audit"
	"github.com/faxd/faxd/api/auth"
	"github.com/faxd/faxd/api/wire"
)

// Password lengths (NIST SP 800-63B §3.1.1.2 asks at least 8 and
// allows long ones; admins' are held to 12).
const (
	minPassword = 12
	maxPassword = 256
)

// maxSmallBody bounds bodies that carry no document.
const maxSmallBody = 16 << 10

// decodeJSON reads one JSON value of at most max octets into v, unknown
// fields refused.
func decodeJSON(r *http.Request, max int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" && ct != "application/json; charset=utf-8" {
		return errMediaType
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, max+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) || errors.Is(err, io.ErrUnexpectedEOF) && r.ContentLength > max {
			return errTooLarge
		}
		return err
	}
	if dec.More() {
		return errors.New("more than one JSON value")
	}
	if dec.InputOffset() > max {
		return errTooLarge
	}
	return nil
}

var (
	errMediaType = errors.New("Content-Type must be application/json")
	errTooLarge  = errors.New("body too large")
)

func (s *Server) badBody(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, errMediaType):
		s.refuse(w, r, http.StatusUnsupportedMediaType, wire.CodeMediaType, err.Error())
	case errors.Is(err, errTooLarge):
		s.refuse(w, r, http.StatusRequestEntityTooLarge, wire.CodeTooLarge, err.Error())
	default:
		s.refuse(w, r, http.StatusBadRequest, wire.CodeBadRequest, "malformed JSON: "+err.Error())
	}
}

// postToken exchanges a credential for an access token. Failures count
// against the credential and against the client's address; a locked one
// is refused before any hashing.
func (s *Server) postToken(w http.ResponseWriter, r *http.Request) {
	a, _ := AccountFrom(r.Context())
	var req wire.TokenRequest
	if err := decodeJSON(r, maxSmallBody, &req); err != nil {
		s.badBody(w, r, err)
		return
	}
	if req.Name == "" || len(req.Name) > 128 || len(req.Secret) > 1024 {
		s.refuse(w, r, http.StatusBadRequest, wire.CodeBadRequest, "name and secret are required (name up to 128 octets)")
		return
	}
	credKey, addrKey := "cred:"+a.ID+"/"+req.Name, "addr:"+remoteAddr(r).String()
	for _, k := range []string{credKey, addrKey} {
		if err := s.cfg.Guard.Check(k); err != nil {
			w.Header().Set("Retry-After", strconv.Itoa(int((15 * time.Minute).Seconds())))
			s.refuse(w, r, http.StatusTooManyRequests, wire.CodeLocked, "too many failed attempts; try later")
			return
		}
	}
	c, err := s.cfg.Directory.Credential(r.Context(), a.ID, req.Name)
	hash := c.Hash
	if err != nil {
		hash = s.dummyHash // as long as a real check, so names cannot be told apart by time
	}
	ok, _, herr := auth.CheckPassword(req.Secret, hash, s.cfg.Hash)
	if err != nil || herr != nil || !ok {
		s.cfg.Guard.Fail(credKey)
		s.cfg.Guard.Fail(addrKey)
		if aerr := s.audit(r, audit.Entry{Actor: req.Name, Action: "token", Outcome: "denied", Detail: "wrong name or secret"}); aerr != nil {
			writeError(w, http.StatusInternalServerError, wire.CodeInternal, "audit log unavailable")
			return
		}
		writeError(w, http.StatusUnauthorized, wire.CodeUnauthorized, "wrong name or secret")
		return
	}
	s.cfg.Guard.Succeed(credKey)
	s.cfg.Guard.Succeed(addrKey)
	tok, claims, err := s.cfg.Tokens.Issue(auth.Claims{Subject: c.Name, Account: a.ID, Roles: c.Roles, Kind: c.Kind, Change: c.MustChange})
	if err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "could not issue a token")
		return
	}
	if err := s.audit(r, audit.Entry{Actor: c.Name, Action: "token", Object: claims.ID, Outcome: "ok"}); err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "audit log unavailable")
		return
	}
	writeJSON(w, http.StatusCreated, wire.TokenResponse{Token: tok, Expires: time.Unix(claims.Expires, 0).UTC(), Roles: claims.Roles, ChangeRequired: claims.Change})
}

// postPassword changes the password of the user the token is for: the
// current one checked again (a stolen token alone cannot change it),
// the new one 12 to 256 characters and not the same.
func (s *Server) postPassword(w http.ResponseWriter, r *http.Request) {
	a, _ := AccountFrom(r.Context())
	cl, _ := ClaimsFrom(r.Context())
	var req wire.PasswordChange
	if err := decodeJSON(r, maxSmallBody, &req); err != nil {
		s.badBody(w, r, err)
		return
	}
	if cl.Kind != "user" {
		s.refuse(w, r, http.StatusForbidden, wire.CodeForbidden, "API credentials get new secrets from an admin")
		return
	}
	if n := utf8.RuneCountInString(req.NewSecret); n < minPassword || n > maxPassword || req.NewSecret == req.Secret {
		s.refuse(w, r, http.StatusBadRequest, wire.CodeBadRequest, fmt.Sprintf("the new password is %d to %d characters and not the current one", minPassword, maxPassword))
		return
	}
	credKey := "cred:" + a.ID + "/" + cl.Subject
	if err := s.cfg.Guard.Check(credKey); err != nil {
		s.refuse(w, r, http.StatusTooManyRequests, wire.CodeLocked, "too many failed attempts; try later")
		return
	}
	c, err := s.cfg.Directory.Credential(r.Context(), a.ID, cl.Subject)
	if err != nil {
		s.refuse(w, r, http.StatusUnauthorized, wire.CodeUnauthorized, "the credential is gone")
		return
	}
	if ok, _, herr := auth.CheckPassword(req.Secret, c.Hash, s.cfg.Hash); herr != nil || !ok {
		s.cfg.Guard.Fail(credKey)
		s.refuse(w, r, http.StatusUnauthorized, wire.CodeUnauthorized, "wrong current password")
		return
	}
	if err := s.cfg.Directory.ChangeSecret(r.Context(), a.ID, cl.Subject, auth.HashPassword(req.NewSecret, s.cfg.Hash)); err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "the store failed")
		return
	}
	if err := s.audit(r, audit.Entry{Action: "password.change", Object: cl.Subject, Outcome: "ok"}); err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "audit log unavailable")
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"changed": true})
}
