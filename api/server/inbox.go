package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/faxd/faxd/api/audit"
	"github.com/faxd/faxd/api/auth"
	"github.com/faxd/faxd/api/store"
	"github.com/faxd/faxd/api/wire"
	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/tiff"
)

// Inbox is what the inbox and call record resources need of the store
// (*store.Store).
type Inbox interface {
	ListInbox(ctx context.Context, account string, o store.InboxOptions) ([]store.InboxEntry, string, error)
	Inbox(ctx context.Context, account, id string) (store.InboxEntry, error)
	AckInbox(ctx context.Context, account, id string, now time.Time) (store.InboxEntry, string, error)
	ListCalls(ctx context.Context, account string, o store.CallOptions) ([]store.CallRecord, string, error)
}

func inboxView(e store.InboxEntry) wire.InboxEntry {
	return wire.InboxEntry{ID: e.ID, Number: e.Number, RemoteIdent: e.RemoteIdent, Pages: e.Pages, Received: e.Received,
		Complete: e.Complete, Call: e.Call, Acknowledged: timePtr(e.Acknowledged)}
}

func (s *Server) inboxRoutes() {
	if s.cfg.Inbox == nil || s.cfg.Documents == nil {
		return
	}
	s.Handle("GET /v1/inbox", auth.InboxRead, false, http.HandlerFunc(s.listInbox))
	s.Handle("GET /v1/inbox/{id}", auth.InboxRead, false, http.HandlerFunc(s.getInbox))
	s.Handle("GET /v1/inbox/{id}/image", auth.InboxRead, true, http.HandlerFunc(s.getInboxImage))
	s.Handle("POST /v1/inbox/{id}/ack", auth.InboxAck, false, http.HandlerFunc(s.ackInbox))
	s.Handle("GET /v1/calls", auth.CDRRead, false, http.HandlerFunc(s.listCalls))
}

// pageQuery reads limit and after.
func (s *Server) pageQuery(w http.ResponseWriter, r *http.Request) (limit int, after string, ok bool) {
	q := r.URL.Query()
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			s.refuse(w, r, http.StatusBadRequest, wire.CodeBadRequest, "limit is a number from 1 to 500")
			return 0, "", false
		}
		limit = n
	}
	return limit, q.Get("after"), true
}

func (s *Server) listInbox(w http.ResponseWriter, r *http.Request) {
	a, _ := AccountFrom(r.Context())
	limit, after, ok := s.pageQuery(w, r)
	if !ok {
		return
	}
	es, next, err := s.cfg.Inbox.ListInbox(r.Context(), a.ID, store.InboxOptions{Number: r.URL.Query().Get("number"), After: after, Limit: limit})
	if errors.Is(err, store.ErrInvalid) {
		s.refuse(w, r, http.StatusBadRequest, wire.CodeBadRequest, "after takes a cursor a page gave")
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "the store failed")
		return
	}
	out := wire.InboxList{Faxes: []wire.InboxEntry{}, Next: next}
	for _, e := range es {
		out.Faxes = append(out.Faxes, inboxView(e))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) inboxEntry(w http.ResponseWriter, r *http.Request) (store.InboxEntry, bool) {
	a, _ := AccountFrom(r.Context())
	e, err := s.cfg.Inbox.Inbox(r.Context(), a.ID, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		s.refuse(w, r, http.StatusNotFound, wire.CodeNotFound, "no such fax in the inbox")
		return e, false
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "the store failed")
		return e, false
	}
	return e, true
}

func (s *Server) getInbox(w http.ResponseWriter, r *http.Request) {
	if e, ok := s.inboxEntry(w, r); ok {
		writeJSON(w, http.StatusOK, inboxView(e))
	}
}

// maxImage bounds a received image read back for a client.
const maxImage = 256 << 20

// getInboxImage answers a received fax's image, sealed: TIFF Class F as
// kept, or a PDF made from it.
func (s *Server) getInboxImage(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "tiff"
	}
	if format != "tiff" && format != "pdf" {
		s.refuse(w, r, http.StatusBadRequest, wire.CodeBadRequest, "format is tiff or pdf")
		return
	}
	e, ok := s.inboxEntry(w, r)
	if !ok {
		return
	}
	if e.Object == "" {
		s.refuse(w, r, http.StatusNotFound, wire.CodeNotFound, "the image was destroyed (acknowledged or past retention)")
		return
	}
	rc, err := s.cfg.Documents.Get(e.Object)
	if err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "the image could not be opened")
		return
	}
	img, err := io.ReadAll(io.LimitReader(rc, maxImage))
	rc.Close()
	if err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "the image could not be read")
		return
	}
	ctype := "image/tiff"
	if format == "pdf" {
		if img, err = tiffToPDF(img); err != nil {
			writeError(w, http.StatusInternalServerError, wire.CodeInternal, "the image could not be made a PDF")
			return
		}
		ctype = "application/pdf"
	}
	if err := s.audit(r, audit.Entry{Action: "inbox.fetch", Object: e.ID, Outcome: "ok", Detail: format}); err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "audit log unavailable")
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(img)
}

// tiffToPDF makes a PDF of a fax TIFF, a page an image, MMR coded.
func tiffToPDF(b []byte) ([]byte, error) {
	tr, err := tiff.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, err
	}
	var pages []*document.Page
	for i := range tr.NumPages() {
		rr, err := tr.Rows(i)
		if err != nil {
			return nil, err
		}
		info := rr.Info()
		xres, yres := int(info.XRes+0.5), int(info.YRes+0.5)
		if xres == 0 || yres == 0 {
			xres, yres = 204, 196
		}
		p := document.NewPage(info.Width, info.Height, document.Resolution{X: xres, Y: yres})
		for y := range info.Height {
			if err := rr.Next(p.Row(y)); err != nil {
				return nil, fmt.Errorf("page %d row %d: %w", i+1, y, err)
			}
		}
		pages = append(pages, p)
	}
	var out bytes.Buffer
	if err := document.WritePDF(&out, pages); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// ackInbox acknowledges a received fax: its image is destroyed.
func (s *Server) ackInbox(w http.ResponseWriter, r *http.Request) {
	a, _ := AccountFrom(r.Context())
	e, obj, err := s.cfg.Inbox.AckInbox(r.Context(), a.ID, r.PathValue("id"), s.cfg.Now())
	if errors.Is(err, store.ErrNotFound) {
		s.refuse(w, r, http.StatusNotFound, wire.CodeNotFound, "no such fax in the inbox")
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "the store failed")
		return
	}
	detail := "acknowledged before"
	if obj != "" {
		if err := s.cfg.Documents.Destroy(obj); err != nil {
			writeError(w, http.StatusInternalServerError, wire.CodeInternal, "the image could not be destroyed")
			return
		}
		detail = "image destroyed"
	}
	if err := s.audit(r, audit.Entry{Action: "inbox.ack", Object: e.ID, Outcome: "ok", Detail: detail}); err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "audit log unavailable")
		return
	}
	writeJSON(w, http.StatusOK, inboxView(e))
}

func (s *Server) listCalls(w http.ResponseWriter, r *http.Request) {
	a, _ := AccountFrom(r.Context())
	limit, after, ok := s.pageQuery(w, r)
	if !ok {
		return
	}
	cs, next, err := s.cfg.Inbox.ListCalls(r.Context(), a.ID, store.CallOptions{Direction: r.URL.Query().Get("direction"), After: after, Limit: limit})
	if errors.Is(err, store.ErrInvalid) {
		s.refuse(w, r, http.StatusBadRequest, wire.CodeBadRequest, "direction is in or out, after a cursor a page gave")
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, "the store failed")
		return
	}
	out := wire.CallList{Calls: []wire.CallRecord{}, Next: next}
	for _, c := range cs {
		out.Calls = append(out.Calls, *callView(&c))
	}
	writeJSON(w, http.StatusOK, out)
}

// callView is a call record as the API shows it.
func callView(c *store.CallRecord) *wire.CallRecord {
	if c == nil {
		return nil
	}
	return &wire.CallRecord{ID: c.ID, Direction: c.Direction, Fax: c.Fax, Inbox: c.Inbox, Local: c.Local, Remote: c.Remote,
		RemoteIdent: c.RemoteIdent, Started: c.Started, Answered: timePtr(c.Answered), Ended: c.Ended, Pages: c.Pages, Rate: c.Rate,
		Modem: c.Modem, ECM: c.ECM, Result: c.Result, Detail: c.Detail}
}
