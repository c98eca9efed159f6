package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Delivery errors, each wrapped with what explains it; a refused URL or
// address is ErrURL or ErrAddress.
var (
	// ErrRequest: the caller's arguments cannot make a delivery (an
	// empty secret, an event or id that is not a header token).
	ErrRequest = errors.New("webhook: bad delivery request")
	// ErrStatus: the receiver answered, but not with 2xx.
	ErrStatus = errors.New("webhook: receiver did not accept")
	// ErrTransport: no answer: the connection, TLS or a timeout failed.
	ErrTransport = errors.New("webhook: no answer")
)

// Request headers besides Content-Type and User-Agent.
const (
	HeaderSignature = "Faxd-Signature" // Sign's value
	HeaderEvent     = "Faxd-Event"     // the event, such as fax.final
	HeaderDelivery  = "Faxd-Delivery"  // the same on every attempt at one event
)

// DefaultUserAgent is the User-Agent unless the Deliverer says.
const DefaultUserAgent = "faxd-webhook/1"

// DefaultMaxResponse is how much of an answer's body is read (and
// discarded) unless the Deliverer says.
const DefaultMaxResponse = 64 << 10

// MaxRetryAfter caps the wait a receiver's Retry-After can ask for.
const MaxRetryAfter = time.Hour

// maxToken bounds an event name or delivery id.
const maxToken = 256

// A Deliverer makes one delivery attempt per call to Deliver. It is safe
// for concurrent use and must not be copied after its first use.
type Deliverer struct {
	// Client sends the requests. Nil: one from NewClient(Policy), made
	// on first use, whose dial guard, timeout and redirect refusal are
	// this package's; a Client given here is used as it is.
	Client *http.Client
	// Policy is checked on every URL (CheckURL), with the Client given
	// or not, and is the nil Client's dial guard.
	Policy Policy
	// UserAgent; "": DefaultUserAgent.
	UserAgent string
	// Now gives the signing time and the base of an HTTP-date
	// Retry-After; nil: time.Now.
	Now func() time.Time
	// MaxResponse bounds the answer's body read; 0 or less:
	// DefaultMaxResponse.
	MaxResponse int64

	resolver *net.Resolver // the nil Client's resolver (tests)
	once     sync.Once
	client   *http.Client
}

// A Result is what one attempt came to.
type Result struct {
	Status     int           // the answer's HTTP status; 0 when none came
	Err        error         // nil when delivered (2xx)
	Retry      bool          // not delivered, and worth another attempt
	RetryAfter time.Duration // the receiver's Retry-After on a Retry, at most MaxRetryAfter; 0 when none
	Duration   time.Duration // how long the attempt took
}

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Deliverer) httpClient() *http.Client {
	if d.Client != nil {
		return d.Client
	}
	d.once.Do(func() { d.client = newClient(d.Policy, d.resolver) })
	return d.client
}

// Deliver POSTs body (the fax's status JSON) to url, signed under secret
// at the current time, with headers
//
//	Content-Type: application/json
//	Faxd-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
//	Faxd-Event: <event>
//	Faxd-Delivery: <id>
//	User-Agent: faxd-webhook/1
//
// id is the receiver's key for dropping duplicates: give the same one on
// every attempt at one event. event and id are 1 to 256 visible ASCII
// characters. One attempt is made; the Result says how it went:
//
//   - 2xx: delivered.
//   - 408, 425, 429, 5xx, no answer (connection refused or reset, TLS
//     failure, timeout, ctx done): Retry, with the receiver's Retry-After
//     (seconds or an HTTP-date) if it gave one.
//   - Any other status, a redirect (3xx, not followed) among them: final;
//     the receiver refuses.
//   - A URL CheckURL refuses, an address the dial guard refuses, bad
//     arguments: final.
//
// At most MaxResponse octets of the answer's body are read, then it is
// closed.
func (d *Deliverer) Deliver(ctx context.Context, url, secret, event, id string, body []byte) Result {
	start := d.now()
	r := d.attempt(ctx, url, secret, event, id, body, start)
	r.Duration = d.now().Sub(start)
	return r
}

func (d *Deliverer) attempt(ctx context.Context, url, secret, event, id string, body []byte, now time.Time) Result {
	if err := CheckURL(url, d.Policy); err != nil {
		return Result{Err: err}
	}
	if secret == "" {
		return Result{Err: fmt.Errorf("%w: empty secret", ErrRequest)}
	}
	if !token(event) {
		return Result{Err: fmt.Errorf("%w: event %.40q (1 to %d visible ASCII characters)", ErrRequest, event, maxToken)}
	}
	if !token(id) {
		return Result{Err: fmt.Errorf("%w: delivery id %.40q (1 to %d visible ASCII characters)", ErrRequest, id, maxToken)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Result{Err: fmt.Errorf("%w: %v", ErrRequest, err)}
	}
	ua := d.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", ua)
	req.Header.Set(HeaderEvent, event)
	req.Header.Set(HeaderDelivery, id)
	req.Header.Set(HeaderSignature, Sign(secret, now, body))

	resp, err := d.httpClient().Do(req)
	if err != nil {
		if errors.Is(err, ErrAddress) {
			return Result{Err: err}
		}
		return Result{Err: fmt.Errorf("%w: %w", ErrTransport, err), Retry: true}
	}
	limit := d.MaxResponse
	if limit <= 0 {
		limit = DefaultMaxResponse
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, limit))
	resp.Body.Close()

	r := Result{Status: resp.StatusCode}
	code := resp.StatusCode
	switch {
	case code >= 200 && code <= 299:
		return r
	case code >= 300 && code <= 399:
		r.Err = fmt.Errorf("%w: %d %s to %.100q (redirects are not followed)", ErrStatus, code, http.StatusText(code), resp.Header.Get("Location"))
		return r
	case retryable(code):
		r.Retry = true
		r.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), now)
	}
	r.Err = fmt.Errorf("%w: %d %s", ErrStatus, code, http.StatusText(code))
	return r
}

// retryable reports whether an answer with this status is worth another
// attempt: 408 Request Timeout (RFC 9110 §15.5.9), 425 Too Early (RFC
// 8470 §5.2), 429 Too Many Requests (RFC 6585 §4), and 5xx (RFC 9110
// §15.6). Other 4xx mean the receiver refuses this request as it is.
func retryable(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
		return true
	}
	return code >= 500 && code <= 599
}

// retryAfter reads a Retry-After value (RFC 9110 §10.2.3): delay-seconds
// or an HTTP-date, taken from now. Anything else, or a time already past,
// is 0; more than MaxRetryAfter is MaxRetryAfter.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if v[0] >= '0' && v[0] <= '9' {
		s, err := strconv.ParseUint(v, 10, 64)
		switch {
		case errors.Is(err, strconv.ErrRange):
			return MaxRetryAfter
		case err != nil:
			return 0
		case s >= uint64(MaxRetryAfter/time.Second):
			return MaxRetryAfter
		}
		d = time.Duration(s) * time.Second
	} else {
		t, err := http.ParseTime(v)
		if err != nil {
			return 0
		}
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}

// token reports whether s is 1 to maxToken visible ASCII characters.
func token(s string) bool {
	if s == "" || len(s) > maxToken {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
