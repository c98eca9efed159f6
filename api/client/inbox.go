package client

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"strconv"

	"github.com/faxd/faxd/api/wire"
)

// The inbox's bodies are package wire's, under the client's names.
type (
	// InboxEntry is a fax received on one of the account's numbers.
	InboxEntry = wire.InboxEntry
	// InboxPage is a page of the inbox; Next is the cursor of the
	// following page, "" after the last.
	InboxPage = wire.InboxList
)

// InboxOptions filter and page the inbox.
type InboxOptions struct {
	Number string // only faxes received on this number; "" for all
	Limit  int    // 0: the server's default
	After  string // a page's Next
}

// Inbox returns a page of the account's received faxes.
func (c *Client) Inbox(ctx context.Context, o InboxOptions) (*InboxPage, error) {
	q := url.Values{}
	setQuery(q, "number", o.Number)
	setQuery(q, "after", o.After)
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	var p InboxPage
	if err := c.call(ctx, "GET", withQuery("/v1/inbox", q), nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// AllInbox yields the inbox page after page; it stops at the first
// error, which it yields.
func (c *Client) AllInbox(ctx context.Context, o InboxOptions) iter.Seq2[InboxEntry, error] {
	return pages(func(after string) ([]InboxEntry, string, error) {
		o.After = after
		p, err := c.Inbox(ctx, o)
		if err != nil {
			return nil, "", err
		}
		return p.Faxes, p.Next, nil
	}, o.After)
}

// InboxEntry returns one received fax.
func (c *Client) InboxEntry(ctx context.Context, id string) (*InboxEntry, error) {
	var e InboxEntry
	if err := c.call(ctx, "GET", "/v1/inbox/"+url.PathEscape(id), nil, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// Image formats of Fetch.
const (
	FormatTIFF = "tiff" // TIFF Class F, MMR: image/tiff
	FormatPDF  = "pdf"  // application/pdf
)

// Fetch returns a received fax's image, sealed on the way, in format
// (FormatTIFF or FormatPDF; "" is TIFF), and its content type.
func (c *Client) Fetch(ctx context.Context, id, format string) ([]byte, string, error) {
	if format == "" {
		format = FormatTIFF
	}
	if format != FormatTIFF && format != FormatPDF {
		return nil, "", fmt.Errorf("%w: image format %q (tiff or pdf)", ErrConfig, format)
	}
	path := "/v1/inbox/" + url.PathEscape(id) + "/image?" + url.Values{"format": {format}}.Encode()
	resp, err := c.do(ctx, request{method: "GET", path: path, sealed: true})
	if err != nil {
		return nil, "", err
	}
	return resp.body, resp.ctype, nil
}

// Ack acknowledges a received fax: its image is destroyed and can no
// longer be fetched. It returns the entry with Acknowledged set.
func (c *Client) Ack(ctx context.Context, id string) (*InboxEntry, error) {
	var e InboxEntry
	if err := c.call(ctx, "POST", "/v1/inbox/"+url.PathEscape(id)+"/ack", nil, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// The call records' bodies are package wire's, under the client's names.
type (
	// CallRecord is one call, made or taken.
	CallRecord = wire.CallRecord
	// CallPage is a page of call records; Next is the cursor of the
	// following page, "" after the last.
	CallPage = wire.CallList
)

// CallOptions filter and page the call records.
type CallOptions struct {
	Direction string // "in", "out" or "" for both
	Limit     int    // 0: the server's default
	After     string // a page's Next
}

// Calls returns a page of the account's call records.
func (c *Client) Calls(ctx context.Context, o CallOptions) (*CallPage, error) {
	q := url.Values{}
	setQuery(q, "direction", o.Direction)
	setQuery(q, "after", o.After)
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	var p CallPage
	if err := c.call(ctx, "GET", withQuery("/v1/calls", q), nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// AllCalls yields the call records page after page; it stops at the
// first error, which it yields.
func (c *Client) AllCalls(ctx context.Context, o CallOptions) iter.Seq2[CallRecord, error] {
	return pages(func(after string) ([]CallRecord, string, error) {
		o.After = after
		p, err := c.Calls(ctx, o)
		if err != nil {
			return nil, "", err
		}
		return p.Calls, p.Next, nil
	}, o.After)
}
