package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime/multipart"
	"net/url"
	"strconv"
	"time"

	"github.com/faxd/faxd/api/seal"
	"github.com/faxd/faxd/api/wire"
)

// States of a fax and of each of its recipients (a recipient is never
// partial).
const (
	StateQueued   = "queued"
	StateSending  = "sending"
	StateSent     = "sent"
	StateFailed   = "failed"
	StateCanceled = "canceled"
	StatePartial  = wire.StatePartial
)

// Final reports whether a fax in state will change no more.
func Final(state string) bool {
	switch state {
	case StateSent, StateFailed, StateCanceled, StatePartial:
		return true
	}
	return false
}

// Results of an attempt (API.md, Faxes).
const (
	ResultOK          = "ok"
	ResultBusy        = "busy"
	ResultNoAnswer    = "no_answer"
	ResultUnreachable = "unreachable"
	ResultNoFax       = "no_fax"   // no fax tone or answer
	ResultTraining    = "training" // training failed at every rate
	ResultProtocol    = "protocol" // T.30 failure after training
	ResultHangup      = "hangup"   // the far end hung up
	ResultChannel     = "channel"  // our line failed
	ResultStopped     = "stopped"  // the server stopped
	ResultCanceled    = "canceled"
	ResultRender      = "render" // the documents could not be rendered: final
)

// The fax resources' bodies are package wire's, under the client's
// names.
type (
	// Fax is a fax's status, with its pages and, per recipient, its
	// state and attempts.
	Fax = wire.FaxStatus
	// Recipient is one number of a fax.
	Recipient = wire.RecipientStatus
	// Attempt is one call made for a recipient.
	Attempt = wire.AttemptStatus
	// FaxPage is a page of faxes; Next is the cursor of the following
	// page, "" after the last.
	FaxPage = wire.FaxList
)

// ListOptions filter and page the list of faxes.
type ListOptions struct {
	State string // "" for all
	Limit int    // 1 to 500; 0: the server's default
	After string // a page's Next
}

// A Document is one document of a submission.
type Document struct {
	Name string // the part's file name (the server sniffs the format, not the name)
	Body io.Reader
	Size int64 // 0 or less: unknown; else checked against MaxUpload before anything is read
}

// Send submits a fax: req, then docs (1 to wire.MaxDocuments), as a
// sealed multipart body. The whole body is built in memory first; more
// than MaxUpload is refused with ErrTooLarge before anything is sent.
func (c *Client) Send(ctx context.Context, req wire.FaxRequest, docs ...Document) (*Fax, error) {
	return c.SendProgress(ctx, req, nil, docs...)
}

// SendProgress is Send telling progress how many octets of the sealed
// body have gone out, of how many. It is called from the goroutine that
// writes the body (not the caller's); a retry, after a session ran out,
// starts again from 0.
func (c *Client) SendProgress(ctx context.Context, req wire.FaxRequest, progress func(sent, total int64), docs ...Document) (*Fax, error) {
	if len(docs) == 0 || len(docs) > wire.MaxDocuments {
		return nil, fmt.Errorf("%w: %d documents, 1 to %d", ErrConfig, len(docs), wire.MaxDocuments)
	}
	// Room for the inner content type line and the seal; the multipart
	// framing is counted as it is written.
	const slack = 256 + seal.Overhead
	var known int64
	for _, d := range docs {
		if d.Size > 0 {
			known += d.Size
		}
	}
	if known > MaxUpload-slack {
		return nil, fmt.Errorf("%w: documents of %d octets, at most %d in all", ErrTooLarge, known, MaxUpload-slack)
	}
	meta, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	w, err := mw.CreateFormField("request")
	if err != nil {
		return nil, err
	}
	w.Write(meta)
	for i, d := range docs {
		name := d.Name
		if name == "" {
			name = "document-" + strconv.Itoa(i+1)
		}
		w, err := mw.CreateFormFile("document", name)
		if err != nil {
			return nil, err
		}
		room := MaxUpload - slack - int64(b.Len())
		n, err := io.Copy(w, io.LimitReader(d.Body, room+1))
		if err != nil {
			return nil, fmt.Errorf("client: reading document %q: %w", name, err)
		}
		if n > room {
			return nil, fmt.Errorf("%w: the documents come to more than %d octets", ErrTooLarge, MaxUpload-slack)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, request{method: "POST", path: "/v1/faxes", ctype: mw.FormDataContentType(), body: b.Bytes(), sealed: true, upload: progress})
	if err != nil {
		return nil, err
	}
	var f Fax
	return &f, decode("POST", "/v1/faxes", resp, &f)
}

// Fax returns fax id's status.
func (c *Client) Fax(ctx context.Context, id string) (*Fax, error) {
	var f Fax
	if err := c.call(ctx, "GET", "/v1/faxes/"+url.PathEscape(id), nil, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// Faxes returns a page of the account's faxes, newest first.
func (c *Client) Faxes(ctx context.Context, o ListOptions) (*FaxPage, error) {
	q := url.Values{}
	setQuery(q, "state", o.State)
	setQuery(q, "after", o.After)
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	var p FaxPage
	if err := c.call(ctx, "GET", withQuery("/v1/faxes", q), nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// AllFaxes yields the account's faxes page after page from o.After on,
// o.Limit a page; it stops at the first error, which it yields.
func (c *Client) AllFaxes(ctx context.Context, o ListOptions) iter.Seq2[Fax, error] {
	return pages(func(after string) ([]Fax, string, error) {
		o.After = after
		p, err := c.Faxes(ctx, o)
		if err != nil {
			return nil, "", err
		}
		return p.Faxes, p.Next, nil
	}, o.After)
}

// Cancel cancels a fax that is queued or waiting for a retry, and
// destroys its documents; a fax whose call is in progress is not cut
// (wrong_state).
func (c *Client) Cancel(ctx context.Context, id string) (*Fax, error) {
	var f Fax
	if err := c.call(ctx, "DELETE", "/v1/faxes/"+url.PathEscape(id), nil, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// ErrWait is what Wait returns, wrapping the context's error, when the
// context ends before the fax is final.
var ErrWait = errors.New("client: stopped waiting")

// Wait polls fax id every interval (a second if 0 or less) until it is
// final, and returns it. onChange, if not nil, is called with the first
// status and each one that differs from the one before. If ctx ends
// first, Wait returns the last status seen and an error wrapping ErrWait
// and ctx's error.
func (c *Client) Wait(ctx context.Context, id string, interval time.Duration, onChange func(Fax)) (*Fax, error) {
	if interval <= 0 {
		interval = time.Second
	}
	var last []byte
	t := time.NewTimer(0)
	defer t.Stop()
	var f *Fax
	for {
		select {
		case <-ctx.Done():
			return f, fmt.Errorf("%w: %w", ErrWait, ctx.Err())
		case <-t.C:
		}
		g, err := c.Fax(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return f, fmt.Errorf("%w: %w", ErrWait, ctx.Err())
			}
			return f, err
		}
		f = g
		if b, _ := json.Marshal(f); !bytes.Equal(b, last) {
			last = b
			if onChange != nil {
				onChange(*f)
			}
		}
		if Final(f.State) {
			return f, nil
		}
		t.Reset(interval)
	}
}

// pages yields the items of the pages fetch returns, from the page after
// cursor after on, until one has no next.
func pages[T any](fetch func(after string) ([]T, string, error), after string) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			items, next, err := fetch(after)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if next == "" || next == after {
				return
			}
			after = next
		}
	}
}

func setQuery(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}

func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
