package server

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/faxd/faxd/api/audit"
	"github.com/faxd/faxd/api/seal"
	"github.com/faxd/faxd/api/wire"
)

func (s *Server) getSealKey(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, wire.SealKey{PublicKey: base64.StdEncoding.EncodeToString(s.cfg.Seal.Key().Public())})
}

// postSealSession opens a message session: the body is seal.Client.Setup.
func (s *Server) postSealSession(w http.ResponseWriter, r *http.Request) {
	a, _ := AccountFrom(r.Context())
	if r.Header.Get("Content-Type") != "application/octet-stream" {
		s.refuse(w, r, http.StatusUnsupportedMediaType, wire.CodeMediaType, "the set-up is application/octet-stream")
		return
	}
	setup, err := io.ReadAll(io.LimitReader(r.Body, 4097))
	if err != nil || len(setup) > 4096 {
		s.refuse(w, r, http.StatusRequestEntityTooLarge, wire.CodeTooLarge, "set-up too large")
		return
	}
	sess, proof, err := s.cfg.Seal.Accept(a.ID, setup, s.cfg.Now())
	switch {
	case errors.Is(err, seal.ErrReplay):
		s.refuse(w, r, http.StatusConflict, wire.CodeSealReplay, "set-up replayed")
		return
	case errors.Is(err, seal.ErrAccount):
		s.refuse(w, r, http.StatusTooManyRequests, wire.CodeSealSession, "too many sessions for the account")
		return
	case err != nil:
		s.refuse(w, r, http.StatusBadRequest, wire.CodeSealSession, "set-up refused")
		return
	}
	if err := s.audit(r, audit.Entry{Action: "seal.open", Object: sess.ID().String(), Outcome: "ok"}); err != nil {
		s.cfg.Seal.Close(sess.ID())
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "audit log unavailable")
		return
	}
	w.Header().Set(wire.HeaderSealSession, sess.ID().String())
	writeJSON(w, http.StatusCreated, wire.SealSession{Session: sess.ID().String(), Expires: sess.Expires(), Confirm: base64.StdEncoding.EncodeToString(proof)})
}

// sealed opens a sealed request before h and seals h's response. Both
// bind method and request URI (path and query), the response its status
// too; each one's plaintext is its content type, a line feed, and its
// body, so neither shows outside.
func (s *Server) sealed(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, _ := AccountFrom(r.Context())
		idh, seqh := r.Header.Get(wire.HeaderSealSession), r.Header.Get(wire.HeaderSealSeq)
		if idh == "" || seqh == "" || r.Header.Get("Content-Type") != wire.ContentTypeSealed {
			s.refuse(w, r, http.StatusBadRequest, wire.CodeSealRequired, "this resource takes sealed requests only")
			return
		}
		id, err1 := seal.ParseID(idh)
		seq, err2 := seal.ParseSeq(seqh)
		if err1 != nil || err2 != nil {
			s.refuse(w, r, http.StatusBadRequest, wire.CodeSealRequired, "malformed seal headers")
			return
		}
		now := s.cfg.Now()
		sess, err := s.cfg.Seal.Session(id, a.ID, now)
		if err != nil {
			s.refuse(w, r, http.StatusUnauthorized, wire.CodeSealSession, "no such session, or it has expired")
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			s.refuse(w, r, http.StatusRequestEntityTooLarge, wire.CodeTooLarge, "body too large")
			return
		}
		method, uri := r.Method, r.URL.RequestURI()
		plain, err := sess.OpenRequest(nil, now, seq, method, uri, body)
		switch {
		case errors.Is(err, seal.ErrReplay):
			s.refuse(w, r, http.StatusConflict, wire.CodeSealReplay, "message replayed or too old")
			return
		case errors.Is(err, seal.ErrExhausted), errors.Is(err, seal.ErrExpired):
			s.refuse(w, r, http.StatusUnauthorized, wire.CodeSealExhausted, "session used up or expired: open another")
			return
		case err != nil:
			s.refuse(w, r, http.StatusBadRequest, wire.CodeSealOpen, "the sealed message does not open")
			return
		}
		i := bytes.IndexByte(plain, '\n')
		if i < 0 || i > 255 {
			s.refuse(w, r, http.StatusBadRequest, wire.CodeSealOpen, "the sealed message lacks its content type")
			return
		}
		r.Header.Set("Content-Type", string(plain[:i]))
		plain = plain[i+1:]
		r.Body = io.NopCloser(bytes.NewReader(plain))
		r.ContentLength = int64(len(plain))
		r.Header.Del(wire.HeaderSealSession)
		r.Header.Del(wire.HeaderSealSeq)
		rec := &recorder{header: http.Header{}, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		inner := append([]byte(rec.header.Get("Content-Type")+"\n"), rec.body.Bytes()...)
		out := sess.SealResponse(nil, seq, method, uri, rec.status, inner)
		w.Header().Set("Content-Type", wire.ContentTypeSealed)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set(wire.HeaderSealSession, idh)
		w.Header().Set(wire.HeaderSealSeq, strconv.FormatUint(seq, 10))
		w.WriteHeader(rec.status)
		w.Write(out)
	})
}

// recorder buffers a sealed handler's response.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.wrote = true
	return r.body.Write(p)
}
