package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/faxd/faxd/api/audit"
	"github.com/faxd/faxd/api/auth"
	"github.com/faxd/faxd/api/store"
	"github.com/faxd/faxd/api/webhook"
	"github.com/faxd/faxd/api/wire"
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

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// StatusOf is a job as the API shows it (and its webhook tells it).
func StatusOf(j store.Job) wire.FaxStatus {
	var spec wire.FaxRequest
	json.Unmarshal(j.Spec, &spec)
	st := wire.FaxStatus{ID: j.ID, State: j.State, To: spec.To, Documents: len(j.Documents), Priority: j.Priority,
		NotBefore: j.NotBefore, Created: j.Created, Updated: j.Updated, Pages: j.Pages, Recipients: []wire.RecipientStatus{}}
	for _, r := range j.Recipients {
		rs := wire.RecipientStatus{To: r.Number, State: r.State, PagesSent: r.PagesSent, NextAttempt: timePtr(r.NextAttempt), Attempts: []wire.AttemptStatus{}}
		for _, a := range r.Attempts {
			rs.Attempts = append(rs.Attempts, wire.AttemptStatus{N: a.N, Started: a.Started, Ended: timePtr(a.Ended), Result: a.Result,
				PagesSent: a.PagesSent, FirstPage: a.FirstPage, Call: a.Call, CallRecord: callView(a.Record)})
		}
		if r.State == store.RecipientSent && j.State == store.JobFailed {
			st.State = wire.StatePartial
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

// FaxSubmitHandler returns the fax submission handler itself: the one
// POST /v1/faxes wraps in the seal, taking the multipart body in the
// clear. It is for measuring the seal's cost (faxbench api mounts it on
// its own server beside the sealed resource, through Handle); faxd never
// mounts it unsealed. Like POST /v1/faxes it needs Config.Jobs and
// Config.Documents, and a request that has passed the account and token
// checks.
func (s *Server) FaxSubmitHandler() http.Handler { return http.HandlerFunc(s.postFax) }

// postFax takes a submission: multipart/form-data (inside the seal) with
// a "request" part (wire.FaxRequest JSON) first and one "document" part per
// document, each of a format the document package reads. The documents go
// encrypted into the vault as they stream in; the job is queued once all
// are in, or nothing is kept.
func (s *Server) postFax(w http.ResponseWriter, r *http.Request) {
	a, _ := AccountFrom(r.Context())
	c, _ := ClaimsFrom(r.Context())
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		s.refuse(w, r, http.StatusUnsupportedMediaType, wire.CodeMediaType, "a submission is multipart/form-data")
		return
	}
	mr, _ := r.MultipartReader()
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "request" {
		s.refuse(w, r, http.StatusBadRequest, wire.CodeBadRequest, `the first part must be "request"`)
		return
	}
	req, err := wire.DecodeFaxRequest(part)
	if err == nil && req.Webhook != "" {
		if werr := webhook.CheckURL(req.Webhook, s.cfg.Webhooks); werr != nil {
			err = fmt.Errorf("%w: webhook: %v", wire.ErrFaxRequest, werr)
		}
	}
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, wire.CodeBadRequest, err.Error())
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
				s.refuse(w, r, http.StatusRequestEntityTooLarge, wire.CodeTooLarge, "body too large")
				return
			}
			s.refuse(w, r, http.StatusBadRequest, wire.CodeBadRequest, "malformed multipart body")
			return
		}
		if part.FormName() != "document" || len(docs) == wire.MaxDocuments {
			s.refuse(w, r, http.StatusBadRequest, wire.CodeBadRequest, "documents come as up to "+strconv.Itoa(wire.MaxDocuments)+` "document" parts`)
			return
		}
		br := bufio.NewReaderSize(part, 8192)
		head, _ := br.Peek(8192)
		f := document.Sniff(head)
		if f == document.Unknown {
			s.refuse(w, r, http.StatusUnsupportedMediaType, wire.CodeDocumentType, "a document is of no format faxd reads (PDF, PostScript, TIFF, PNG, JPEG, GIF, text)")
			return
		}
		id := store.NewID("doc_")
		n, err := s.cfg.Documents.Put(id, br)
		if err != nil {
			s.cfg.Documents.Destroy(id)
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				s.refuse(w, r, http.StatusRequestEntityTooLarge, wire.CodeTooLarge, "body too large")
				return
			}
			s.refuse(w, r, http.StatusBadRequest, wire.CodeBadRequest, "a document could not be read")
			return
		}
		docs = append(docs, store.Document{Object: id, ContentType: f.String(), Size: n})
		if n == 0 {
			s.refuse(w, r, http.StatusBadRequest, wire.CodeBadRequest, "an empty document")
			return
		}
	}
	if len(docs) == 0 {
		s.refuse(w, r, http.StatusBadRequest, wire.CodeBadRequest, "no document")
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
	id, err := s.cfg.Jobs.CreateJob(r.Context(), store.Job{Account: a.ID, Submitter: c.Subject, Spec: spec, Priority: *req.Priority, NotBefore: nb,
		Documents: docs, Recipients: rcpts})
	if err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "the job could not be stored")
		return
	}
	keep = true
	if err := s.audit(r, audit.Entry{Action: "fax.submit", Object: id, Outcome: "ok", Detail: strconv.Itoa(len(docs)) + " documents, " + strconv.Itoa(len(req.To)) + " numbers"}); err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "audit log unavailable")
		return
	}
	j, err := s.cfg.Jobs.Job(r.Context(), a.ID, id)
	if err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "the job could not be read back")
		return
	}
	writeJSON(w, http.StatusCreated, StatusOf(j))
}

func (s *Server) getFax(w http.ResponseWriter, r *http.Request) {
	a, _ := AccountFrom(r.Context())
	j, err := s.cfg.Jobs.Job(r.Context(), a.ID, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		s.refuse(w, r, http.StatusNotFound, wire.CodeNotFound, "no such fax")
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "the store failed")
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
			s.refuse(w, r, http.StatusBadRequest, wire.CodeBadRequest, "limit is a number from 1 to 500")
			return
		}
		o.Limit = n
	}
	jobs, next, err := s.cfg.Jobs.ListJobs(r.Context(), a.ID, o)
	if errors.Is(err, store.ErrInvalid) {
		s.refuse(w, r, http.StatusBadRequest, wire.CodeBadRequest, "limit is 1 to 500 and after a cursor a page gave")
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "the store failed")
		return
	}
	out := wire.FaxList{Faxes: []wire.FaxStatus{}, Next: next}
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
		s.refuse(w, r, http.StatusNotFound, wire.CodeNotFound, "no such fax")
		return
	case errors.Is(err, store.ErrState):
		s.refuse(w, r, http.StatusConflict, wire.CodeState, "only a fax waiting for a call can be canceled (it is final, or a call is in progress)")
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "the store failed")
		return
	}
	for _, d := range docs {
		s.cfg.Documents.Destroy(d.Object)
	}
	if err := s.audit(r, audit.Entry{Action: "fax.cancel", Object: id, Outcome: "ok", Detail: strconv.Itoa(len(docs)) + " documents destroyed"}); err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "audit log unavailable")
		return
	}
	j, err := s.cfg.Jobs.Job(r.Context(), a.ID, id)
	if err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "the store failed")
		return
	}
	writeJSON(w, http.StatusOK, StatusOf(j))
}
