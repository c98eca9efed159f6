package server

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/faxd/faxd/api/audit"
	"github.com/faxd/faxd/api/auth"
	"github.com/faxd/faxd/api/store"
	"github.com/faxd/faxd/api/webhook"
	"github.com/faxd/faxd/t30/document"
)

// Jobs is what the fax resources need of the store (*store.Store).
type Jobs interface {
	CreateJob(ctx context.Context, j store.Job) (string, error)
	Job(ctx context.Context, account, id string) (store.Job, error)
	ListJobs(ctx context.Context, account string, o store.ListOptions) ([]store.Job, string, error)
	CancelJob(ctx context.Context, account, id string) ([]store.Document, error)
}

// Documents keeps documents and images encrypted (*vault.Vault).
type Documents interface {
	Put(id string, r io.Reader) (int64, error)
	Get(id string) (io.ReadCloser, error)
	Destroy(id string) error
}

// MaxDocuments bounds the documents of one fax.
const MaxDocuments = 20

// FaxStatus is a fax job as the API shows it.
type FaxStatus struct {
	ID         string            `json:"id"`
	State      string            `json:"state"` // queued, sending, sent, failed, canceled, partial
	To         []string          `json:"to"`
	Documents  int               `json:"documents"`
	Priority   int               `json:"priority"`
	NotBefore  time.Time         `json:"not_before"`
	Created    time.Time         `json:"created"`
	Updated    time.Time         `json:"updated"`
	Pages      int               `json:"pages"` // 0 until the documents are rendered
	Recipients []RecipientStatus `json:"recipients"`
}

// RecipientStatus is one destination of a fax, with its attempts.
type RecipientStatus struct {
	To          string          `json:"to"`
	State       string          `json:"state"`
	PagesSent   int             `json:"pages_sent"`
	NextAttempt *time.Time      `json:"next_attempt,omitempty"`
	Attempts    []AttemptStatus `json:"attempts"`
}

// AttemptStatus is one call placed for a recipient.
type AttemptStatus struct {
	N         int        `json:"n"`
	Started   time.Time  `json:"started"`
	Ended     *time.Time `json:"ended,omitempty"`
	Result    string     `json:"result,omitempty"`
	PagesSent int        `json:"pages_sent"`
	FirstPage int        `json:"first_page"`
	Call      string     `json:"call,omitempty"`
}

// StatePartial is the state of a failed fax that some recipients got.
const StatePartial = "partial"

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// FaxList is a page of faxes; Next is the cursor for the next page.
type FaxList struct {
	Faxes []FaxStatus `json:"faxes"`
	Next  string      `json:"next,omitempty"`
}

// StatusOf is a job as the API shows it (and its webhook tells it).
func StatusOf(j store.Job) FaxStatus {
	var spec FaxRequest
	json.Unmarshal(j.Spec, &spec)
	st := FaxStatus{ID: j.ID, State: j.State, To: spec.To, Documents: len(j.Documents), Priority: j.Priority,
		NotBefore: j.NotBefore, Created: j.Created, Updated: j.Updated, Pages: j.Pages, Recipients: []RecipientStatus{}}
	for _, r := range j.Recipients {
		rs := RecipientStatus{To: r.Number, State: r.State, PagesSent: r.PagesSent, NextAttempt: timePtr(r.NextAttempt), Attempts: []AttemptStatus{}}
		for _, a := range r.Attempts {
			rs.Attempts = append(rs.Attempts, AttemptStatus{N: a.N, Started: a.Started, Ended: timePtr(a.Ended), Result: a.Result,
				PagesSent: a.PagesSent, FirstPage: a.FirstPage, Call: a.Call})
		}
		if r.State == store.RecipientSent && j.State == store.JobFailed {
			st.State = StatePartial
		}
		st.Recipients = append(st.Recipients, rs)
	}
	return st
}

func (s *Server) faxRoutes() {
	if s.cfg.Jobs == nil || s.cfg.Documents == nil {
		return
	}
	s.Handle("POST /v1/faxes", auth.FaxSend, true, http.HandlerFunc(s.postFax))
	s.Handle("GET /v1/faxes", auth.FaxRead, false, http.HandlerFunc(s.listFaxes))
	s.Handle("GET /v1/faxes/{id}", auth.FaxRead, false, http.HandlerFunc(s.getFax))
	s.Handle("DELETE /v1/faxes/{id}", auth.FaxCancel, false, http.HandlerFunc(s.cancelFax))
}

var objEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func newObjectID() string {
	b := make([]byte, 15)
	rand.Read(b)
	return "doc_" + strings.ToLower(objEncoding.EncodeToString(b))
}

// postFax takes a submission: multipart/form-data (inside the seal) with
// a "request" part (FaxRequest JSON) first and one "document" part per
// document, each of a format the document package reads. The documents go
// encrypted into the vault as they stream in; the job is queued once all
// are in, or nothing is kept.
func (s *Server) postFax(w http.ResponseWriter, r *http.Request) {
	a, _ := AccountFrom(r.Context())
	c, _ := ClaimsFrom(r.Context())
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		s.refuse(w, r, http.StatusUnsupportedMediaType, CodeMediaType, "a submission is multipart/form-data")
		return
	}
	mr, _ := r.MultipartReader()
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "request" {
		s.refuse(w, r, http.StatusBadRequest, CodeBadRequest, `the first part must be "request"`)
		return
	}
	req, err := DecodeFaxRequest(part)
	if err == nil && req.Webhook != "" {
		if werr := webhook.CheckURL(req.Webhook, s.cfg.Webhooks); werr != nil {
			err = fmt.Errorf("%w: webhook: %v", ErrFaxRequest, werr)
		}
	}
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	var docs []store.Document
	keep := false
	defer func() {
		if !keep {
			for _, d := range docs {
				s.cfg.Documents.Destroy(d.Object)
			}
		}
	}()
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				s.refuse(w, r, http.StatusRequestEntityTooLarge, CodeTooLarge, "body too large")
				return
			}
			s.refuse(w, r, http.StatusBadRequest, CodeBadRequest, "malformed multipart body")
			return
		}
		if part.FormName() != "document" || len(docs) == MaxDocuments {
			s.refuse(w, r, http.StatusBadRequest, CodeBadRequest, "documents come as up to "+strconv.Itoa(MaxDocuments)+` "document" parts`)
			return
		}
		br := bufio.NewReaderSize(part, 8192)
		head, _ := br.Peek(8192)
		f := document.Sniff(head)
		if f == document.Unknown {
			s.refuse(w, r, http.StatusUnsupportedMediaType, CodeDocumentType, "a document is of no format faxd reads (PDF, PostScript, TIFF, PNG, JPEG, GIF, text)")
			return
		}
		id := newObjectID()
		n, err := s.cfg.Documents.Put(id, br)
		if err != nil {
			s.cfg.Documents.Destroy(id)
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				s.refuse(w, r, http.StatusRequestEntityTooLarge, CodeTooLarge, "body too large")
				return
			}
			s.refuse(w, r, http.StatusBadRequest, CodeBadRequest, "a document could not be read")
			return
		}
		docs = append(docs, store.Document{Object: id, ContentType: f.String(), Size: n})
		if n == 0 {
			s.refuse(w, r, http.StatusBadRequest, CodeBadRequest, "an empty document")
			return
		}
	}
	if len(docs) == 0 {
		s.refuse(w, r, http.StatusBadRequest, CodeBadRequest, "no document")
		return
	}
	spec, _ := json.Marshal(req)
	nb := s.cfg.Now()
	if req.NotBefore != nil && req.NotBefore.After(nb) {
		nb = *req.NotBefore
	}
	rcpts := make([]store.Recipient, len(req.To))
	for i, n := range req.To {
		rcpts[i].Number = n
	}
	id, err := s.cfg.Jobs.CreateJob(r.Context(), store.Job{Account: a.ID, Submitter: c.Subject, Spec: spec, Priority: req.Priority, NotBefore: nb,
		Documents: docs, Recipients: rcpts})
	if err != nil {
		writeError(w, http.StatusInternalServerError, CodeInternal, "the job could not be stored")
		return
	}
	keep = true
	if err := s.audit(r, audit.Entry{Action: "fax.submit", Object: id, Outcome: "ok", Detail: strconv.Itoa(len(docs)) + " documents, " + strconv.Itoa(len(req.To)) + " numbers"}); err != nil {
		writeError(w, http.StatusInternalServerError, CodeInternal, "audit log unavailable")
		return
	}
	j, err := s.cfg.Jobs.Job(r.Context(), a.ID, id)
	if err != nil {
		writeError(w, http.StatusInternalServerError, CodeInternal, "the job could not be read back")
		return
	}
	writeJSON(w, http.StatusCreated, StatusOf(j))
}

func (s *Server) getFax(w http.ResponseWriter, r *http.Request) {
	a, _ := AccountFrom(r.Context())
	j, err := s.cfg.Jobs.Job(r.Context(), a.ID, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		s.refuse(w, r, http.StatusNotFound, CodeNotFound, "no such fax")
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, CodeInternal, "the store failed")
		return
	}
	writeJSON(w, http.StatusOK, StatusOf(j))
}

func (s *Server) listFaxes(w http.ResponseWriter, r *http.Request) {
	a, _ := AccountFrom(r.Context())
	q := r.URL.Query()
	o := store.ListOptions{State: q.Get("state"), After: q.Get("after")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			s.refuse(w, r, http.StatusBadRequest, CodeBadRequest, "limit is a number from 1 to 500")
			return
		}
		o.Limit = n
	}
	jobs, next, err := s.cfg.Jobs.ListJobs(r.Context(), a.ID, o)
	if errors.Is(err, store.ErrInvalid) {
		s.refuse(w, r, http.StatusBadRequest, CodeBadRequest, "limit is 1 to 500 and after a cursor a page gave")
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, CodeInternal, "the store failed")
		return
	}
	out := FaxList{Faxes: []FaxStatus{}, Next: next}
	for _, j := range jobs {
		out.Faxes = append(out.Faxes, StatusOf(j))
	}
	writeJSON(w, http.StatusOK, out)
}

// cancelFax cancels a fax none of whose calls is in progress (queued, or
// waiting for a retry) and destroys its documents.
func (s *Server) cancelFax(w http.ResponseWriter, r *http.Request) {
	a, _ := AccountFrom(r.Context())
	id := r.PathValue("id")
	docs, err := s.cfg.Jobs.CancelJob(r.Context(), a.ID, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.refuse(w, r, http.StatusNotFound, CodeNotFound, "no such fax")
		return
	case errors.Is(err, store.ErrState):
		s.refuse(w, r, http.StatusConflict, CodeState, "only a fax waiting for a call can be canceled (it is final, or a call is in progress)")
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, CodeInternal, "the store failed")
		return
	}
	for _, d := range docs {
		s.cfg.Documents.Destroy(d.Object)
	}
	if err := s.audit(r, audit.Entry{Action: "fax.cancel", Object: id, Outcome: "ok", Detail: strconv.Itoa(len(docs)) + " documents destroyed"}); err != nil {
		writeError(w, http.StatusInternalServerError, CodeInternal, "audit log unavailable")
		return
	}
	j, err := s.cfg.Jobs.Job(r.Context(), a.ID, id)
	if err != nil {
		writeError(w, http.StatusInternalServerError, CodeInternal, "the store failed")
		return
	}
	writeJSON(w, http.StatusOK, StatusOf(j))
}
