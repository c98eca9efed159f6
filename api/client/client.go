// Package client is the Go client of faxd's HTTPS API (api/API.md).
//
// A Client logs in with its credential when it first needs a token, and
// again when the token is about to expire or the server answers
// token_expired. It opens a message session (package seal) when it first
// sends something sealed, keeps it for every sealed request after, and
// opens another when it nears its end or the server answers
// seal_exhausted or seal_session; either way the request is sent once
// more. A Client is safe for concurrent use: concurrent requests share
// the token and the session, and wait for one login or one set-up rather
// than each making its own.
//
// Errors the API answers, sealed or not, are *Error with the API's code.
// The server's certificate is checked against the system's roots, or,
// when Config.Fingerprint is set, pinned: then that certificate and no
// other is accepted, whoever signed it.
package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/faxd/faxd/api/seal"
	"github.com/faxd/faxd/api/wire"
)

// Sentinel errors; returned errors wrap them with the values that
// explain them.
var (
	ErrConfig      = errors.New("client: bad configuration")
	ErrFingerprint = errors.New("client: the server's certificate is not the pinned one")
	ErrTooLarge    = errors.New("client: request too large")
	ErrNoSecret    = errors.New("client: no secret to log in with")
	ErrSeal        = errors.New("client: message seal") // a sealed answer that does not open, or an answer that should be sealed and is not
	ErrResponse    = errors.New("client: malformed answer")
)

// MaxUpload bounds a sealed request body, as the server bounds it by
// default: a submission's documents, multipart framing and seal
// included. A seal is one AES-GCM message, so the whole body is in memory.
const MaxUpload = wire.DefaultMaxBody

// maxResponse bounds an answer read into memory (an image included).
const maxResponse = 64 << 20

// Margins before the ends the server gave, within which a token or a
// session is renewed before it is used rather than after it is refused.
const (
	tokenMargin = 30 * time.Second
	sealMargin  = time.Minute
)

// Config says where a Client connects and who it is.
type Config struct {
	URL     string // https://host[:port][/prefix]
	Account string // sent as the Faxd-Account header
	Name    string // the API credential's name, or an admin's user name
	Secret  string // its secret or password
	// Fingerprint pins the server's certificate: its SHA-256 as
	// server.Fingerprint writes it ("sha256:" and 64 hex digits; colons
	// and upper case are taken too). Empty: the certificate is verified
	// against the system's roots as usual.
	Fingerprint string
	// HTTPClient sends the requests; nil: one of the Client's own that
	// follows no redirects. With a Fingerprint its Transport must be nil
	// or an *http.Transport, which is cloned and given the pin.
	HTTPClient *http.Client
	Now        func() time.Time // nil: time.Now
}

// A Client talks to one account of one faxd server.
type Client struct {
	base    string // scheme, host and path prefix, no trailing slash
	account string
	name    string
	hc      *http.Client
	now     func() time.Time

	authMu sync.Mutex // held while logging in
	secret string
	tok    Token // zero: none

	sealMu sync.Mutex // held while opening a session
	pub    []byte     // the server's seal key
	sess   *session
}

// session is an open message session.
type session struct {
	c       *seal.Client
	id      string
	expires time.Time // the sooner of the server's and the client's end
}

// New returns a client for cfg. It does not connect: the first request
// logs in.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("%w: URL %q: %v", ErrConfig, cfg.URL, err)
	}
	if u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: URL %q: an https URL with a host, and no user, query or fragment", ErrConfig, cfg.URL)
	}
	if cfg.Account == "" || cfg.Name == "" {
		return nil, fmt.Errorf("%w: an account and a credential name are required", ErrConfig)
	}
	c := &Client{
		base:    strings.TrimSuffix(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"),
		account: cfg.Account,
		name:    cfg.Name,
		secret:  cfg.Secret,
		hc:      cfg.HTTPClient,
		now:     cfg.Now,
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.hc == nil {
		c.hc = &http.Client{
			Transport:     newTransport(nil),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if cfg.Fingerprint != "" {
		fp, err := ParseFingerprint(cfg.Fingerprint)
		if err != nil {
			return nil, err
		}
		var base *http.Transport
		switch t := c.hc.Transport.(type) {
		case nil:
		case *http.Transport:
			base = t
		default:
			return nil, fmt.Errorf("%w: a pinned fingerprint needs an *http.Transport, not %T", ErrConfig, t)
		}
		hc := *c.hc
		hc.Transport = pinnedTransport(base, fp)
		c.hc = &hc
	}
	return c, nil
}

// ParseFingerprint reads a certificate's SHA-256 as server.Fingerprint
// writes it; the "sha256:" prefix may be left out, and colons and upper
// case are taken.
func ParseFingerprint(s string) ([]byte, error) {
	h := strings.ToLower(strings.TrimSpace(s))
	h = strings.TrimPrefix(h, "sha256:")
	h = strings.ReplaceAll(h, ":", "")
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("%w: fingerprint %.80q is not a SHA-256 (sha256: and 64 hex digits)", ErrConfig, s)
	}
	return b, nil
}

func newTransport(base *http.Transport) *http.Transport {
	if base == nil {
		base = http.DefaultTransport.(*http.Transport)
	}
	t := base.Clone()
	t.ForceAttemptHTTP2 = true
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return t
}

// pinnedTransport accepts the certificate whose SHA-256 is fp and no
// other: the chain and the name are not checked, the pin is the check
// (a self-signed certificate, as faxd init makes, has no chain).
func pinnedTransport(base *http.Transport, fp []byte) *http.Transport {
	t := newTransport(base)
	tc := t.TLSClientConfig.Clone()
	tc.InsecureSkipVerify = true
	tc.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return fmt.Errorf("%w: no certificate", ErrFingerprint)
		}
		sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
		if subtle.ConstantTimeCompare(sum[:], fp) != 1 {
			return fmt.Errorf("%w: it has sha256:%x", ErrFingerprint, sum)
		}
		return nil
	}
	t.TLSClientConfig = tc
	return t
}

// Error is an error the API answered: its HTTP status and, in the API's
// error shape, a machine-readable code and a message. Code is empty when
// the answer was not in that shape (a proxy's page, say).
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("http %d: %s", e.Status, e.Message)
	}
	return e.Code + ": " + e.Message
}

// IsCode reports whether err is an *Error with code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// errorFrom reads an error answer.
func errorFrom(status int, body []byte) *Error {
	var eb wire.ErrorBody
	if json.Unmarshal(body, &eb) == nil && eb.Error.Code != "" {
		return &Error{Status: status, Code: eb.Error.Code, Message: eb.Error.Message}
	}
	msg := http.StatusText(status)
	if s := strings.TrimSpace(string(body)); s != "" {
		if len(s) > 200 {
			s = s[:200] + "..."
		}
		msg += ": " + s
	}
	return &Error{Status: status, Message: msg}
}

// request is one API call.
type request struct {
	method string
	path   string // under the base URL, with the query
	ctype  string
	body   []byte
	sealed bool
	noAuth bool                    // no token: the token and seal key resources
	upload func(sent, total int64) // progress of the body's upload
}

// response is an answer, opened if it came sealed.
type response struct {
	status int
	ctype  string
	body   []byte
}

// do sends r, logging in and opening a session as needed, and retries
// it once after a token_expired and once after a seal_exhausted or
// seal_session (the server refuses those before it acts on a request).
// An answer of 400 or more is returned as *Error.
func (c *Client) do(ctx context.Context, r request) (*response, error) {
	if r.sealed && len(r.ctype)+1+len(r.body)+seal.Overhead > MaxUpload {
		return nil, fmt.Errorf("%w: %d octets sealed, at most %d", ErrTooLarge, len(r.ctype)+1+len(r.body)+seal.Overhead, MaxUpload)
	}
	var buf []byte // the sealed body, kept for a retry
	relogged, reopened := false, false
	for {
		var tok string
		if !r.noAuth {
			t, err := c.token(ctx)
			if err != nil {
				return nil, err
			}
			tok = t
		}
		var s *session
		if r.sealed {
			var err error
			if s, err = c.session(ctx); err != nil {
				return nil, err
			}
		}
		resp, err := c.exchange(ctx, r, tok, s, &buf)
		if errors.Is(err, seal.ErrExhausted) && !reopened {
			// Our own count of the session's messages ran out.
			reopened = true
			c.dropSession(s)
			continue
		}
		if err != nil {
			return nil, err
		}
		if resp.status < 400 {
			return resp, nil
		}
		e := errorFrom(resp.status, resp.body)
		switch {
		case e.Code == wire.CodeTokenExpired && !r.noAuth && !relogged:
			relogged = true
			c.dropToken(tok)
			continue
		case (e.Code == wire.CodeSealExhausted || e.Code == wire.CodeSealSession) && r.sealed && !reopened:
			reopened = true
			c.dropSession(s)
			continue
		}
		return nil, e
	}
}

// exchange sends r once, sealed in s if s is not nil, into *buf.
func (c *Client) exchange(ctx context.Context, r request, tok string, s *session, buf *[]byte) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, r.method, c.base+r.path, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s: %v", ErrConfig, r.method, r.path, err)
	}
	// What is sealed is bound to the request URI as it goes out.
	uri := req.URL.RequestURI()
	body, ctype := r.body, r.ctype
	var seq uint64
	if s != nil {
		plain := make([]byte, 0, len(r.ctype)+1+len(r.body))
		plain = append(append(append(plain, r.ctype...), '\n'), r.body...)
		if *buf == nil {
			*buf = make([]byte, 0, len(plain)+seal.Overhead)
		}
		if seq, body, err = s.c.SealRequest((*buf)[:0], r.method, uri, plain); err != nil {
			return nil, err
		}
		ctype = wire.ContentTypeSealed
		req.Header.Set(wire.HeaderSealSession, s.id)
		req.Header.Set(wire.HeaderSealSeq, strconv.FormatUint(seq, 10))
	}
	if body != nil {
		req.ContentLength = int64(len(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		var rd io.Reader = bytes.NewReader(body)
		if r.upload != nil {
			rd = &progressReader{r: rd, total: int64(len(body)), f: r.upload}
		}
		req.Body = io.NopCloser(rd)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set(wire.HeaderAccount, c.account)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxResponse {
		return nil, fmt.Errorf("%w: %s %s: more than %d octets", ErrResponse, r.method, uri, maxResponse)
	}
	rct := resp.Header.Get("Content-Type")
	if s == nil || rct != wire.ContentTypeSealed {
		if s != nil && resp.StatusCode < 400 {
			return nil, fmt.Errorf("%w: %s %s: answered %d unsealed", ErrSeal, r.method, uri, resp.StatusCode)
		}
		return &response{status: resp.StatusCode, ctype: rct, body: b}, nil
	}
	plain, err := s.c.OpenResponse(b[:0], seq, r.method, uri, resp.StatusCode, b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSeal, err)
	}
	ict, ib, ok := bytes.Cut(plain, []byte("\n"))
	if !ok {
		return nil, fmt.Errorf("%w: %s %s: the sealed answer lacks its content type", ErrSeal, r.method, uri)
	}
	return &response{status: resp.StatusCode, ctype: string(ict), body: ib}, nil
}

// progressReader tells f how much of total has been read.
type progressReader struct {
	r     io.Reader
	n     int64
	total int64
	f     func(sent, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.n += int64(n)
		p.f(p.n, p.total)
	}
	return n, err
}

// call sends in as JSON (none if nil) and decodes the answer into out
// (ignored if nil).
func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	r := request{method: method, path: path}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		r.ctype, r.body = "application/json", b
	}
	resp, err := c.do(ctx, r)
	if err != nil {
		return err
	}
	return decode(method, path, resp, out)
}

func decode(method, path string, resp *response, out any) error {
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		return fmt.Errorf("%w: %s %s: %v", ErrResponse, method, path, err)
	}
	return nil
}

// Token is an access token as POST /v1/tokens answers it; with
// ChangeRequired, the password is one-time and the token good for
// ChangePassword only.
type Token = wire.TokenResponse

// Login exchanges the credential for a new token, which the client keeps
// for the requests after, and returns it.
func (c *Client) Login(ctx context.Context) (*Token, error) {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	return c.login(ctx)
}

// login does Login's work with authMu held.
func (c *Client) login(ctx context.Context) (*Token, error) {
	if c.secret == "" {
		return nil, ErrNoSecret
	}
	b, err := json.Marshal(wire.TokenRequest{Name: c.name, Secret: c.secret})
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, request{method: "POST", path: "/v1/tokens", ctype: "application/json", body: b, noAuth: true})
	if err != nil {
		return nil, err
	}
	var t Token
	if err := decode("POST", "/v1/tokens", resp, &t); err != nil {
		return nil, err
	}
	if t.Token == "" {
		return nil, fmt.Errorf("%w: POST /v1/tokens: no token", ErrResponse)
	}
	c.tok = t
	return &t, nil
}

// token returns a token good for a while yet, logging in for it if need be.
func (c *Client) token(ctx context.Context) (string, error) {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	if c.tok.Token != "" && c.now().Add(tokenMargin).Before(c.tok.Expires) {
		return c.tok.Token, nil
	}
	t, err := c.login(ctx)
	if err != nil {
		return "", err
	}
	return t.Token, nil
}

// dropToken forgets tok, if it is still the one kept.
func (c *Client) dropToken(tok string) {
	c.authMu.Lock()
	if c.tok.Token == tok {
		c.tok = Token{}
	}
	c.authMu.Unlock()
}

// ChangePassword replaces the password of the client's user, old with
// new (12 to 256 characters). The client logs in with the new one from
// then on: a token that was limited to this change stays so.
func (c *Client) ChangePassword(ctx context.Context, old, new string) error {
	var out struct {
		Changed bool `json:"changed"`
	}
	if err := c.call(ctx, "POST", "/v1/password", wire.PasswordChange{Secret: old, NewSecret: new}, &out); err != nil {
		return err
	}
	if !out.Changed {
		return fmt.Errorf("%w: POST /v1/password: not changed", ErrResponse)
	}
	c.authMu.Lock()
	c.secret, c.tok = new, Token{}
	c.authMu.Unlock()
	return nil
}

// session returns a message session good for a while yet, opening one if
// need be.
func (c *Client) session(ctx context.Context) (*session, error) {
	c.sealMu.Lock()
	defer c.sealMu.Unlock()
	if s := c.sess; s != nil && c.now().Add(sealMargin).Before(s.expires) {
		return s, nil
	}
	s, err := c.openSession(ctx)
	if err != nil && c.pub != nil && (errors.Is(err, ErrSeal) || IsCode(err, wire.CodeSealSession) || IsCode(err, wire.CodeSealReplay)) {
		// The server may have a new key since it was fetched.
		c.pub = nil
		s, err = c.openSession(ctx)
	}
	if err != nil {
		return nil, err
	}
	c.sess = s
	return s, nil
}

// openSession sets up a session, with sealMu held.
func (c *Client) openSession(ctx context.Context) (*session, error) {
	if c.pub == nil {
		var k wire.SealKey
		resp, err := c.do(ctx, request{method: "GET", path: "/v1/seal/key", noAuth: true})
		if err != nil {
			return nil, err
		}
		if err := decode("GET", "/v1/seal/key", resp, &k); err != nil {
			return nil, err
		}
		pub, err := base64.StdEncoding.DecodeString(k.PublicKey)
		if err != nil || len(pub) == 0 {
			return nil, fmt.Errorf("%w: GET /v1/seal/key: public_key is not base64", ErrResponse)
		}
		c.pub = pub
	}
	sc, err := seal.Open(c.pub, c.account, c.now(), seal.Limits{})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSeal, err)
	}
	resp, err := c.do(ctx, request{method: "POST", path: "/v1/seal/sessions", ctype: "application/octet-stream", body: sc.Setup()})
	if err != nil {
		return nil, err
	}
	var ss wire.SealSession
	if err := decode("POST", "/v1/seal/sessions", resp, &ss); err != nil {
		return nil, err
	}
	proof, err := base64.StdEncoding.DecodeString(ss.Confirm)
	if err != nil {
		return nil, fmt.Errorf("%w: POST /v1/seal/sessions: confirm is not base64", ErrResponse)
	}
	if err := sc.Confirm(proof); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSeal, err)
	}
	if ss.Session != sc.ID().String() {
		return nil, fmt.Errorf("%w: the server named session %.40q, not %s", ErrSeal, ss.Session, sc.ID())
	}
	exp := sc.Expires()
	if !ss.Expires.IsZero() && ss.Expires.Before(exp) {
		exp = ss.Expires
	}
	return &session{c: sc, id: ss.Session, expires: exp}, nil
}

// dropSession forgets s, if it is still the one kept.
func (c *Client) dropSession(s *session) {
	c.sealMu.Lock()
	if c.sess == s {
		c.sess = nil
	}
	c.sealMu.Unlock()
}
