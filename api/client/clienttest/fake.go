package clienttest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faxd/faxd/api/auth"
	"github.com/faxd/faxd/api/seal"
	"github.com/faxd/faxd/api/server"
	"github.com/faxd/faxd/api/wire"
)

// More credentials of the fake: a user whose password is one-time, as
// faxd init makes the first admin.
const (
	FirstName     = "first"
	FirstPassword = "one-time-password"
)

// Numbers and fax IDs the fake knows.
const (
	// FailNumber is a number the fake never gets a fax through to.
	FailNumber = "+15550666"
	// FaxID is a fax the fake holds from the start, to +15550100.
	FaxID = "fax_fake"
)

// A Fake serves, in API.md's shapes, what the real server does not serve
// yet. Its JSON is written from its own types, not the client's, so that
// the two are checked against each other. It keeps everything in memory.
//
// A fax it holds moves one step each time it is read: queued, sending
// (first attempt), waiting for a retry after a busy line, then sent (or
// failed, for FailNumber; partial when some numbers got it).
type Fake struct {
	hits
	URL         string
	Fingerprint string
	Clock       *Clock
	TLS         *httptest.Server

	seal *seal.Server

	mu      sync.Mutex
	users   map[string]*fakeUser
	tokens  map[string]fakeToken
	faxes   map[string]*fakeFax
	nfax    int
	inbox   []*fakeEntry // newest first
	calls   []fakeCall   // newest first
	numbers []string
	webhook string
}

type fakeUser struct {
	secret  string
	roles   []auth.Role
	oneTime bool
}

type fakeToken struct {
	name    string
	roles   []auth.Role
	limited bool
	expires time.Time
}

type fakeFax struct {
	id        string
	to        []string
	documents int
	created   time.Time
	step      int // 0 queued, 1 sending, 2 waiting for a retry, 3 final
	canceled  bool
}

// The fake's own rendering of API.md.
type (
	fakeAttempt struct {
		N         int        `json:"n"`
		Started   time.Time  `json:"started"`
		Ended     *time.Time `json:"ended,omitempty"`
		Result    string     `json:"result,omitempty"`
		PagesSent int        `json:"pages_sent"`
		FirstPage int        `json:"first_page"`
		Call      string     `json:"call"`
	}
	fakeRecipient struct {
		To          string        `json:"to"`
		State       string        `json:"state"`
		PagesSent   int           `json:"pages_sent"`
		NextAttempt *time.Time    `json:"next_attempt,omitempty"`
		Attempts    []fakeAttempt `json:"attempts"`
	}
	fakeStatus struct {
		ID         string          `json:"id"`
		State      string          `json:"state"`
		To         []string        `json:"to"`
		Documents  int             `json:"documents"`
		Priority   int             `json:"priority"`
		NotBefore  time.Time       `json:"not_before"`
		Created    time.Time       `json:"created"`
		Updated    time.Time       `json:"updated"`
		Pages      int             `json:"pages"`
		Recipients []fakeRecipient `json:"recipients"`
	}
	fakeEntry struct {
		ID           string     `json:"id"`
		Number       string     `json:"number"`
		RemoteIdent  string     `json:"remote_ident"`
		Pages        int        `json:"pages"`
		Received     time.Time  `json:"received"`
		Complete     bool       `json:"complete"`
		Call         string     `json:"call"`
		Acknowledged *time.Time `json:"acknowledged"`
		image        bool
	}
	fakeCall struct {
		ID          string     `json:"id"`
		Direction   string     `json:"direction"`
		Fax         string     `json:"fax"`
		Inbox       string     `json:"inbox"`
		Local       string     `json:"local"`
		Remote      string     `json:"remote"`
		RemoteIdent string     `json:"remote_ident"`
		Started     time.Time  `json:"started"`
		Answered    *time.Time `json:"answered,omitempty"`
		Ended       time.Time  `json:"ended"`
		Pages       int        `json:"pages"`
		Rate        int        `json:"rate"`
		Modem       string     `json:"modem"`
		ECM         bool       `json:"ecm"`
		Result      string     `json:"result"`
		Detail      string     `json:"detail"`
	}
)

// FakeTIFF and FakePDF are the images the fake's inbox entries have (a
// TIFF and a PDF header, then filler).
var (
	FakeTIFF = append([]byte("II*\x00\x08\x00\x00\x00"), bytes.Repeat([]byte{0}, 120)...)
	FakePDF  = []byte("%PDF-1.4\n% a fake received fax\n%%EOF\n")
)

// NewFake starts a fake for t; it is closed when t ends. Its inbox holds
// rcv_3 (+15550100, 3 pages), rcv_2 (+15550101, 1 page, incomplete) and
// rcv_1 (+15550100, 2 pages), newest first; its call records call_3
// (out, busy), call_2 (in, rcv_1) and call_1 (out, FaxID).
func NewFake(t testing.TB) *Fake {
	t.Helper()
	clk := NewClock(time.Now().UTC().Truncate(time.Second))
	key, err := seal.GenerateKey(seal.SuiteP521())
	if err != nil {
		t.Fatal(err)
	}
	now := clk.Now()
	f := &Fake{
		Clock: clk,
		seal:  seal.NewServer(key, seal.Limits{}),
		users: map[string]*fakeUser{
			AdminName:    {secret: AdminPassword, roles: []auth.Role{auth.RoleAdmin}},
			FirstName:    {secret: FirstPassword, roles: []auth.Role{auth.RoleAdmin}, oneTime: true},
			SenderName:   {secret: SenderSecret, roles: []auth.Role{auth.RoleSender}},
			ReceiverName: {secret: ReceiverSecret, roles: []auth.Role{auth.RoleReceiver}},
			AuditorName:  {secret: AuditorSecret, roles: []auth.Role{auth.RoleAuditor}},
		},
		tokens:  map[string]fakeToken{},
		faxes:   map[string]*fakeFax{FaxID: {id: FaxID, to: []string{"+15550100"}, documents: 1, created: now.Add(-time.Hour)}},
		numbers: []string{"+15550100", "+15550101"},
	}
	h := func(d time.Duration) time.Time { return now.Add(-d) }
	hp := func(d time.Duration) *time.Time { t := h(d); return &t }
	f.inbox = []*fakeEntry{
		{ID: "rcv_3", Number: "+15550100", RemoteIdent: "+1 555 0177", Pages: 3, Received: h(time.Hour), Complete: true, Call: "call_4", image: true},
		{ID: "rcv_2", Number: "+15550101", RemoteIdent: "", Pages: 1, Received: h(2 * time.Hour), Complete: false, Call: "call_2", image: true},
		{ID: "rcv_1", Number: "+15550100", RemoteIdent: "+1 555 0199", Pages: 2, Received: h(3 * time.Hour), Complete: true, Call: "call_0", image: true},
	}
	f.calls = []fakeCall{
		{ID: "call_3", Direction: "out", Fax: "fax_other", Local: "+15550199", Remote: "+15550102", Started: h(30 * time.Minute), Ended: h(29 * time.Minute), Result: "busy", Detail: "busy tone"},
		{ID: "call_2", Direction: "in", Inbox: "rcv_1", Local: "+15550100", Remote: "+15550177", RemoteIdent: "+1 555 0199", Started: h(3 * time.Hour), Answered: hp(3 * time.Hour), Ended: h(3*time.Hour - 90*time.Second), Pages: 2, Rate: 9600, Modem: "V.29", ECM: true, Result: "ok"},
		{ID: "call_1", Direction: "out", Fax: FaxID, Local: "+15550199", Remote: "+15550100", RemoteIdent: "+1 555 0100", Started: h(time.Hour), Answered: hp(time.Hour), Ended: h(time.Hour - 70*time.Second), Pages: 2, Rate: 14400, Modem: "V.17", ECM: true, Result: "ok"},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/tokens", f.postToken)
	mux.HandleFunc("GET /v1/seal/key", f.getSealKey)
	mux.Handle("POST /v1/seal/sessions", f.authed(nil, http.HandlerFunc(f.postSession)))
	mux.Handle("POST /v1/password", f.authed(nil, http.HandlerFunc(f.postPassword)))
	sender := []auth.Role{auth.RoleSender}
	mux.Handle("POST /v1/faxes", f.authed(sender, f.sealed(http.HandlerFunc(f.postFax))))
	mux.Handle("GET /v1/faxes/{id}", f.authed(sender, http.HandlerFunc(f.getFax)))
	mux.Handle("DELETE /v1/faxes/{id}", f.authed(sender, http.HandlerFunc(f.cancelFax)))
	receiver := []auth.Role{auth.RoleReceiver}
	mux.Handle("GET /v1/inbox", f.authed(receiver, http.HandlerFunc(f.listInbox)))
	mux.Handle("GET /v1/inbox/{id}", f.authed(receiver, http.HandlerFunc(f.getEntry)))
	mux.Handle("GET /v1/inbox/{id}/image", f.authed(receiver, f.sealed(http.HandlerFunc(f.getImage))))
	mux.Handle("POST /v1/inbox/{id}/ack", f.authed(receiver, http.HandlerFunc(f.ack)))
	mux.Handle("GET /v1/calls", f.authed([]auth.Role{auth.RoleAdmin, auth.RoleAuditor}, http.HandlerFunc(f.listCalls)))
	admin := []auth.Role{auth.RoleAdmin}
	mux.Handle("GET /v1/admin/numbers", f.authed(admin, http.HandlerFunc(f.getNumbers)))
	mux.Handle("PUT /v1/admin/numbers", f.authed(admin, http.HandlerFunc(f.putNumbers)))
	mux.Handle("POST /v1/admin/webhook-secret", f.authed(admin, http.HandlerFunc(f.postWebhookSecret)))
	f.TLS = startTLS(f.wrap(f.account(mux)))
	t.Cleanup(f.TLS.Close)
	f.URL = f.TLS.URL
	f.Fingerprint = server.Fingerprint(f.TLS.TLS.Certificates[0])
	return f
}

// Password returns a user's password as the fake now has it.
func (f *Fake) Password(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if u := f.users[name]; u != nil {
		return u.secret
	}
	return ""
}

// WebhookSecret returns the webhook secret last made.
func (f *Fake) WebhookSecret() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.webhook
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var b wire.ErrorBody
	b.Error.Code, b.Error.Message = code, msg
	writeJSON(w, status, b)
}

func readJSON(r *http.Request, v any) bool {
	if r.Header.Get("Content-Type") != "application/json" {
		return false
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 16<<10))
	dec.DisallowUnknownFields()
	return dec.Decode(v) == nil
}

func (f *Fake) account(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(wire.HeaderAccount) != Account {
			writeError(w, http.StatusForbidden, wire.CodeNetwork, "not allowed from this address")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// fakeKey keys the request's token in its context.
type fakeKey struct{}

func contextWith(r *http.Request, t fakeToken) context.Context {
	return context.WithValue(r.Context(), fakeKey{}, t)
}

func tokenFrom(r *http.Request) fakeToken {
	t, _ := r.Context().Value(fakeKey{}).(fakeToken)
	return t
}

func (f *Fake) authed(roles []auth.Role, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		t, known := f.tokens[tok]
		f.mu.Unlock()
		switch {
		case !ok || !known:
			writeError(w, http.StatusUnauthorized, wire.CodeUnauthorized, "invalid token")
			return
		case !f.Clock.Now().Before(t.expires):
			writeError(w, http.StatusUnauthorized, wire.CodeTokenExpired, "the token has expired")
			return
		case t.limited && r.URL.Path != "/v1/password":
			writeError(w, http.StatusForbidden, "password_change_required", "change the one-time password first")
			return
		}
		if roles != nil && !slices.ContainsFunc(t.roles, func(x auth.Role) bool { return slices.Contains(roles, x) }) {
			writeError(w, http.StatusForbidden, wire.CodeForbidden, "not allowed for this credential")
			return
		}
		next.ServeHTTP(w, r.WithContext(contextWith(r, t)))
	})
}

func (f *Fake) postToken(w http.ResponseWriter, r *http.Request) {
	var req wire.TokenRequest
	if !readJSON(r, &req) {
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest, "malformed JSON")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.users[req.Name]
	if u == nil || u.secret != req.Secret {
		writeError(w, http.StatusUnauthorized, wire.CodeUnauthorized, "wrong name or secret")
		return
	}
	b := make([]byte, 16)
	rand.Read(b)
	tok := "fake." + hex.EncodeToString(b)
	exp := f.Clock.Now().Add(auth.DefaultTokenTTL)
	f.tokens[tok] = fakeToken{name: req.Name, roles: u.roles, limited: u.oneTime, expires: exp}
	writeJSON(w, http.StatusCreated, map[string]any{"token": tok, "expires": exp, "roles": u.roles, "password_change_required": u.oneTime})
}

func (f *Fake) postPassword(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Secret    string `json:"secret"`
		NewSecret string `json:"new_secret"`
	}
	if !readJSON(r, &req) {
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest, "malformed JSON")
		return
	}
	t := tokenFrom(r)
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.users[t.name]
	switch {
	case u == nil || u.secret != req.Secret:
		writeError(w, http.StatusUnauthorized, wire.CodeUnauthorized, "wrong password")
	case len([]rune(req.NewSecret)) < 12 || len([]rune(req.NewSecret)) > 256:
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest, "the new password has 12 to 256 characters")
	case req.NewSecret == req.Secret:
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest, "the new password is the old one")
	default:
		u.secret, u.oneTime = req.NewSecret, false
		writeJSON(w, http.StatusOK, map[string]bool{"changed": true})
	}
}

func (f *Fake) getSealKey(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, wire.SealKey{PublicKey: base64.StdEncoding.EncodeToString(f.seal.Key().Public())})
}

func (f *Fake) postSession(w http.ResponseWriter, r *http.Request) {
	setup, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
	sess, proof, err := f.seal.Accept(Account, setup, f.Clock.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, wire.CodeSealSession, "set-up refused")
		return
	}
	writeJSON(w, http.StatusCreated, wire.SealSession{Session: sess.ID().String(), Expires: sess.Expires(), Confirm: base64.StdEncoding.EncodeToString(proof)})
}

// sealed opens a sealed request and seals the answer, as API.md's
// "Message-level encryption" says.
func (f *Fake) sealed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err1 := seal.ParseID(r.Header.Get(wire.HeaderSealSession))
		seq, err2 := seal.ParseSeq(r.Header.Get(wire.HeaderSealSeq))
		if err1 != nil || err2 != nil || r.Header.Get("Content-Type") != wire.ContentTypeSealed {
			writeError(w, http.StatusBadRequest, wire.CodeSealRequired, "this resource takes sealed requests only")
			return
		}
		now := f.Clock.Now()
		sess, err := f.seal.Session(id, Account, now)
		if err != nil {
			writeError(w, http.StatusUnauthorized, wire.CodeSealSession, "no such session")
			return
		}
		body, _ := io.ReadAll(r.Body)
		uri := r.URL.RequestURI()
		plain, err := sess.OpenRequest(nil, now, seq, r.Method, uri, body)
		switch {
		case errors.Is(err, seal.ErrReplay):
			writeError(w, http.StatusConflict, wire.CodeSealReplay, "replayed")
			return
		case errors.Is(err, seal.ErrExhausted), errors.Is(err, seal.ErrExpired):
			writeError(w, http.StatusUnauthorized, wire.CodeSealExhausted, "session used up")
			return
		case err != nil:
			writeError(w, http.StatusBadRequest, wire.CodeSealOpen, "does not open")
			return
		}
		ct, inner, ok := bytes.Cut(plain, []byte("\n"))
		if !ok {
			writeError(w, http.StatusBadRequest, wire.CodeSealOpen, "no content type")
			return
		}
		r.Header.Set("Content-Type", string(ct))
		r.Body = io.NopCloser(bytes.NewReader(inner))
		r.ContentLength = int64(len(inner))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		out := sess.SealResponse(nil, seq, r.Method, uri, rec.Code, append([]byte(rec.Header().Get("Content-Type")+"\n"), rec.Body.Bytes()...))
		w.Header().Set("Content-Type", wire.ContentTypeSealed)
		w.Header().Set(wire.HeaderSealSession, id.String())
		w.Header().Set(wire.HeaderSealSeq, strconv.FormatUint(seq, 10))
		w.WriteHeader(rec.Code)
		w.Write(out)
	})
}

func (f *Fake) postFax(w http.ResponseWriter, r *http.Request) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		writeError(w, http.StatusUnsupportedMediaType, wire.CodeMediaType, "a submission is multipart/form-data")
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest, "malformed multipart body")
		return
	}
	p, err := mr.NextPart()
	if err != nil || p.FormName() != "request" {
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest, `the first part must be "request"`)
		return
	}
	req, err := wire.DecodeFaxRequest(p)
	if err != nil {
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest, err.Error())
		return
	}
	docs := 0
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || p.FormName() != "document" {
			writeError(w, http.StatusBadRequest, wire.CodeBadRequest, "documents come as document parts")
			return
		}
		if n, _ := io.Copy(io.Discard, p); n == 0 {
			writeError(w, http.StatusBadRequest, wire.CodeBadRequest, "an empty document")
			return
		}
		docs++
	}
	if docs == 0 {
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest, "no document")
		return
	}
	f.mu.Lock()
	f.nfax++
	fx := &fakeFax{id: "fax_new" + strconv.Itoa(f.nfax), to: req.To, documents: docs, created: f.Clock.Now()}
	f.faxes[fx.id] = fx
	st := f.status(fx)
	f.mu.Unlock()
	writeJSON(w, http.StatusCreated, st)
}

// status renders a fax at its step.
func (f *Fake) status(fx *fakeFax) fakeStatus {
	t0 := fx.created
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Minute) }
	st := fakeStatus{ID: fx.id, To: fx.to, Documents: fx.documents, Priority: 5, NotBefore: t0, Created: t0, Updated: at(fx.step)}
	if fx.step > 0 {
		st.Pages = 2
	}
	sent := 0
	for i, to := range fx.to {
		call := func(n int) string { return "call_" + fx.id + "_" + strconv.Itoa(i+1) + "_" + strconv.Itoa(n) }
		rc := fakeRecipient{To: to, State: "queued", Attempts: []fakeAttempt{}}
		fail := to == FailNumber
		busy := func() fakeAttempt {
			e := at(2)
			return fakeAttempt{N: 1, Started: at(1), Ended: &e, Result: "busy", FirstPage: 1, Call: call(1)}
		}
		switch {
		case fx.canceled:
			rc.State = "canceled"
		case fx.step == 1:
			rc.State = "sending"
			rc.Attempts = append(rc.Attempts, fakeAttempt{N: 1, Started: at(1), FirstPage: 1, Call: call(1)})
		case fx.step == 2:
			next := at(5)
			rc.NextAttempt = &next
			rc.Attempts = append(rc.Attempts, busy())
		case fx.step >= 3 && fail:
			rc.State = "failed"
			e := at(3)
			rc.Attempts = append(rc.Attempts, busy(), fakeAttempt{N: 2, Started: at(2), Ended: &e, Result: "no_answer", FirstPage: 1, Call: call(2)})
		case fx.step >= 3:
			rc.State, rc.PagesSent = "sent", 2
			e := at(3)
			rc.Attempts = append(rc.Attempts, busy(), fakeAttempt{N: 2, Started: at(2), Ended: &e, Result: "ok", PagesSent: 2, FirstPage: 1, Call: call(2)})
			sent++
		}
		st.Recipients = append(st.Recipients, rc)
	}
	switch {
	case fx.canceled:
		st.State = "canceled"
	case fx.step == 0:
		st.State = "queued"
	case fx.step < 3:
		st.State = "sending"
	case sent == len(fx.to):
		st.State = "sent"
	case sent == 0:
		st.State = "failed"
	default:
		st.State = "partial"
	}
	return st
}

func (f *Fake) getFax(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fx := f.faxes[r.PathValue("id")]
	if fx == nil {
		writeError(w, http.StatusNotFound, wire.CodeNotFound, "no such fax")
		return
	}
	if fx.step < 3 && !fx.canceled {
		fx.step++
	}
	writeJSON(w, http.StatusOK, f.status(fx))
}

func (f *Fake) cancelFax(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fx := f.faxes[r.PathValue("id")]
	switch {
	case fx == nil:
		writeError(w, http.StatusNotFound, wire.CodeNotFound, "no such fax")
	case fx.step == 1 || fx.step >= 3 || fx.canceled:
		writeError(w, http.StatusConflict, wire.CodeState, "only a queued fax can be canceled")
	default:
		fx.canceled = true
		writeJSON(w, http.StatusOK, f.status(fx))
	}
}

// page cuts a list at the cursor after (an index) to limit entries.
func page[T any](w http.ResponseWriter, r *http.Request, all []T) ([]T, string, bool) {
	q := r.URL.Query()
	limit, start := 50, 0
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			writeError(w, http.StatusBadRequest, wire.CodeBadRequest, "limit is a number from 1 to 500")
			return nil, "", false
		}
		limit = n
	}
	if a := q.Get("after"); a != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(a, "c"))
		if err != nil || n < 0 || n > len(all) {
			writeError(w, http.StatusBadRequest, wire.CodeBadRequest, "after is a cursor a page gave")
			return nil, "", false
		}
		start = n
	}
	end, next := min(start+limit, len(all)), ""
	if end < len(all) {
		next = "c" + strconv.Itoa(end)
	}
	return all[start:end], next, true
}

func (f *Fake) listInbox(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var sel []fakeEntry
	for _, e := range f.inbox {
		if n := r.URL.Query().Get("number"); n == "" || n == e.Number {
			sel = append(sel, *e)
		}
	}
	list, next, ok := page(w, r, sel)
	if !ok {
		return
	}
	if list == nil {
		list = []fakeEntry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"faxes": list, "next": next})
}

func (f *Fake) entry(id string) *fakeEntry {
	for _, e := range f.inbox {
		if e.ID == id {
			return e
		}
	}
	return nil
}

func (f *Fake) getEntry(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.entry(r.PathValue("id"))
	if e == nil {
		writeError(w, http.StatusNotFound, wire.CodeNotFound, "no such received fax")
		return
	}
	writeJSON(w, http.StatusOK, e)
}

func (f *Fake) getImage(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	e := f.entry(r.PathValue("id"))
	f.mu.Unlock()
	if e == nil || !e.image {
		writeError(w, http.StatusNotFound, wire.CodeNotFound, "no such image")
		return
	}
	switch r.URL.Query().Get("format") {
	case "", "tiff":
		w.Header().Set("Content-Type", "image/tiff")
		w.Write(FakeTIFF)
	case "pdf":
		w.Header().Set("Content-Type", "application/pdf")
		w.Write(FakePDF)
	default:
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest, "format is tiff or pdf")
	}
}

func (f *Fake) ack(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.entry(r.PathValue("id"))
	if e == nil {
		writeError(w, http.StatusNotFound, wire.CodeNotFound, "no such received fax")
		return
	}
	if e.Acknowledged == nil {
		now := f.Clock.Now()
		e.Acknowledged, e.image = &now, false
	}
	writeJSON(w, http.StatusOK, e)
}

func (f *Fake) listCalls(w http.ResponseWriter, r *http.Request) {
	d := r.URL.Query().Get("direction")
	if d != "" && d != "in" && d != "out" {
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest, "direction is in or out")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var sel []fakeCall
	for _, c := range f.calls {
		if d == "" || c.Direction == d {
			sel = append(sel, c)
		}
	}
	list, next, ok := page(w, r, sel)
	if !ok {
		return
	}
	if list == nil {
		list = []fakeCall{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"calls": list, "next": next})
}

func (f *Fake) getNumbers(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string][]string{"numbers": f.numbers})
}

func (f *Fake) putNumbers(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Numbers []string `json:"numbers"`
	}
	if !readJSON(r, &req) || req.Numbers == nil {
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest, "malformed JSON")
		return
	}
	nums := []string{}
	for _, s := range req.Numbers {
		n, err := wire.ParseE164(s)
		if err != nil {
			writeError(w, http.StatusBadRequest, wire.CodeBadRequest, err.Error())
			return
		}
		if !slices.Contains(nums, n) {
			nums = append(nums, n)
		}
	}
	f.mu.Lock()
	f.numbers = nums
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string][]string{"numbers": nums})
}

func (f *Fake) postWebhookSecret(w http.ResponseWriter, r *http.Request) {
	b := make([]byte, 24)
	rand.Read(b)
	s := "whsec_" + hex.EncodeToString(b)
	f.mu.Lock()
	f.webhook = s
	f.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]string{"secret": s})
}
