package webhook

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testPolicy lets deliveries reach httptest servers.
var testPolicy = Policy{AllowHTTP: true, AllowPrivate: true}

const testBody = `{"id":"fax_01","state":"sent","to":["+15550100"]}`

// A delivery as the receiver saw it.
type delivery struct {
	event, id, sig string
	body           string
}

// receiver is an httptest server that checks every delivery as a
// customer's receiver would — method, headers, the signature with Verify
// — records it, and answers with reply.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	got  []delivery
	hits atomic.Int32
}

func newReceiver(t *testing.T, secret string, now func() time.Time, reply http.HandlerFunc) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.hits.Add(1)
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("receiver: %v", err)
		}
		h := r.Header
		if r.Method != http.MethodPost || h.Get("Content-Type") != "application/json" || h.Get("User-Agent") != DefaultUserAgent {
			t.Errorf("receiver: %s, Content-Type %q, User-Agent %q", r.Method, h.Get("Content-Type"), h.Get("User-Agent"))
		}
		if err := Verify(secret, h.Get(HeaderSignature), body, now(), time.Minute); err != nil {
			t.Errorf("receiver: %v", err)
		}
		rc.mu.Lock()
		rc.got = append(rc.got, delivery{h.Get(HeaderEvent), h.Get(HeaderDelivery), h.Get(HeaderSignature), string(body)})
		rc.mu.Unlock()
		reply(w, r)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) }
}

func TestDeliverOK(t *testing.T) {
	secret := NewSecret()
	rc := newReceiver(t, secret, time.Now, status(http.StatusOK))
	d := &Deliverer{Policy: testPolicy}
	for range 2 { // two attempts at one event
		r := d.Deliver(context.Background(), rc.URL+"/hooks/fax", secret, "fax.final", "dlv_01", []byte(testBody))
		if r.Err != nil || r.Retry || r.Status != 200 || r.RetryAfter != 0 || r.Duration <= 0 {
			t.Fatalf("%+v", r)
		}
	}
	if len(rc.got) != 2 {
		t.Fatalf("%d deliveries", len(rc.got))
	}
	for _, g := range rc.got {
		if g.event != "fax.final" || g.id != "dlv_01" || g.body != testBody {
			t.Errorf("%+v", g)
		}
	}
}

func TestDeliverStatus(t *testing.T) {
	secret := NewSecret()
	var code atomic.Int32
	rc := newReceiver(t, secret, time.Now, func(w http.ResponseWriter, r *http.Request) {
		c := int(code.Load())
		if c >= 300 && c <= 399 {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(c)
	})
	d := &Deliverer{Policy: testPolicy}
	for _, c := range []struct {
		code  int
		ok    bool
		retry bool
	}{
		{200, true, false}, {201, true, false}, {202, true, false}, {204, true, false},
		{408, false, true}, {425, false, true}, {429, false, true},
		{500, false, true}, {502, false, true}, {503, false, true}, {504, false, true}, {599, false, true},
		{400, false, false}, {401, false, false}, {403, false, false}, {404, false, false},
		{405, false, false}, {409, false, false}, {410, false, false}, {413, false, false},
		{415, false, false}, {422, false, false}, {451, false, false},
		{300, false, false}, {301, false, false}, {302, false, false}, {303, false, false},
		{307, false, false}, {308, false, false},
	} {
		code.Store(int32(c.code))
		before := rc.hits.Load()
		r := d.Deliver(context.Background(), rc.URL+"/hooks/fax", secret, "fax.final", "dlv_01", []byte(testBody))
		if r.Status != c.code || (r.Err == nil) != c.ok || r.Retry != c.retry || !c.ok && !errors.Is(r.Err, ErrStatus) {
			t.Errorf("%d: %+v", c.code, r)
		}
		if n := rc.hits.Load() - before; n != 1 { // a redirect is not followed
			t.Errorf("%d: %d requests", c.code, n)
		}
	}
}

func TestDeliverRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	secret := NewSecret()
	var code atomic.Int32
	var after atomic.Value
	rc := newReceiver(t, secret, clock, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", after.Load().(string))
		w.WriteHeader(int(code.Load()))
	})
	d := &Deliverer{Policy: testPolicy, Now: clock}
	for _, c := range []struct {
		code  int
		after string
		want  time.Duration
	}{
		{429, "120", 120 * time.Second},
		{503, "0", 0},
		{503, now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{429, "86400", MaxRetryAfter},
		{429, now.Add(48 * time.Hour).Format(http.TimeFormat), MaxRetryAfter},
		{503, now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{429, "soon", 0},
		{410, "120", 0}, // final: no retry to delay
		{200, "120", 0},
	} {
		code.Store(int32(c.code))
		after.Store(c.after)
		r := d.Deliver(context.Background(), rc.URL, secret, "fax.final", "dlv_01", []byte(testBody))
		if r.Status != c.code || r.RetryAfter != c.want {
			t.Errorf("%d Retry-After %q: %+v, want %v", c.code, c.after, r, c.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                                0,
		"0":                               0,
		"1":                               time.Second,
		" 30 ":                            30 * time.Second,
		"3599":                            3599 * time.Second,
		"3600":                            time.Hour,
		"3601":                            time.Hour,
		"99999999999999999999":            time.Hour,
		"-5":                              0,
		"1.5":                             0,
		"5s":                              0,
		"Tue, 01 Dec 2026 09:10:00 GMT":   10 * time.Minute,
		"Tuesday, 01-Dec-26 09:10:00 GMT": 10 * time.Minute, // RFC 850
		"Tue Dec  1 09:10:00 2026":        10 * time.Minute, // asctime
		"Tue, 01 Dec 2026 08:00:00 GMT":   0,
		"Fri, 01 Jan 2100 00:00:00 GMT":   time.Hour,
		"tomorrow":                        0,
	} {
		if got := retryAfter(v, now); got != want {
			t.Errorf("%q: %v, want %v", v, got, want)
		}
	}
}

// A slow receiver: the attempt ends at the client's timeout and is
// retried.
func TestDeliverTimeout(t *testing.T) {
	secret := NewSecret()
	release := make(chan struct{})
	rc := newReceiver(t, secret, time.Now, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	c := NewClient(testPolicy)
	c.Timeout = 200 * time.Millisecond
	d := &Deliverer{Policy: testPolicy, Client: c}
	r := d.Deliver(context.Background(), rc.URL, secret, "fax.final", "dlv_01", []byte(testBody))
	var ne net.Error
	if !r.Retry || r.Status != 0 || !errors.Is(r.Err, ErrTransport) || !errors.As(r.Err, &ne) || !ne.Timeout() {
		t.Fatalf("%+v", r)
	}
	if r.Duration < 200*time.Millisecond || r.Duration > 3*time.Second {
		t.Fatalf("took %v", r.Duration)
	}
}

// The caller's context ends the attempt too (faxd stopping): not
// delivered, to be tried again.
func TestDeliverCanceled(t *testing.T) {
	secret := NewSecret()
	release := make(chan struct{})
	rc := newReceiver(t, secret, time.Now, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	d := &Deliverer{Policy: testPolicy}
	r := d.Deliver(ctx, rc.URL, secret, "fax.final", "dlv_01", []byte(testBody))
	if !r.Retry || !errors.Is(r.Err, ErrTransport) || !errors.Is(r.Err, context.DeadlineExceeded) {
		t.Fatalf("%+v", r)
	}
}

func TestDeliverConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	d := &Deliverer{Policy: testPolicy}
	r := d.Deliver(context.Background(), "http://"+addr+"/", NewSecret(), "fax.final", "dlv_01", []byte(testBody))
	if !r.Retry || r.Status != 0 || !errors.Is(r.Err, ErrTransport) {
		t.Fatalf("%+v", r)
	}
}

// countingTransport counts what is read from answers' bodies.
type countingTransport struct {
	base http.RoundTripper
	n    atomic.Int64
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (ct *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := ct.base.RoundTrip(r)
	if resp != nil {
		resp.Body = countingBody{resp.Body, &ct.n}
	}
	return resp, err
}

// An answer with an endless body: MaxResponse of it is read, then the
// attempt ends (reading it all would end only at the timeout, an error).
func TestDeliverLargeAnswer(t *testing.T) {
	secret := NewSecret()
	rc := newReceiver(t, secret, time.Now, func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 32<<10))
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	for _, max := range []int64{0, 1000, 1 << 20} {
		c := NewClient(testPolicy)
		c.Timeout = 3 * time.Second // reading it all would end here
		ct := &countingTransport{base: c.Transport}
		c.Transport = ct
		d := &Deliverer{Policy: testPolicy, Client: c, MaxResponse: max}
		r := d.Deliver(context.Background(), rc.URL, secret, "fax.final", "dlv_01", []byte(testBody))
		if r.Err != nil || r.Status != 200 {
			t.Fatalf("MaxResponse %d: %+v", max, r)
		}
		want := max
		if want == 0 {
			want = DefaultMaxResponse
		}
		if n := ct.n.Load(); n != want {
			t.Errorf("MaxResponse %d: read %d", max, n)
		}
		if r.Duration > 2*time.Second {
			t.Errorf("MaxResponse %d: took %v", max, r.Duration)
		}
	}
}

// The SSRF guard in Deliver: a loopback URL is refused as it stands, a
// name resolving to loopback when dialled; neither is retried, and the
// receiver never hears of them. AllowPrivate lets both through.
func TestDeliverGuard(t *testing.T) {
	secret := NewSecret()
	rc := newReceiver(t, secret, time.Now, status(http.StatusOK))
	_, port, _ := net.SplitHostPort(rc.Listener.Addr().String())
	named := "http://" + net.JoinHostPort("receiver.test", port) + "/hooks/fax"
	res := testResolver(map[string][]netip.Addr{"receiver.test": {netip.MustParseAddr("127.0.0.1")}})

	d := &Deliverer{Policy: Policy{AllowHTTP: true}, resolver: res}
	r := d.Deliver(context.Background(), rc.URL, secret, "fax.final", "dlv_01", []byte(testBody))
	if r.Retry || !errors.Is(r.Err, ErrURL) {
		t.Errorf("loopback URL: %+v", r)
	}
	r = d.Deliver(context.Background(), named, secret, "fax.final", "dlv_01", []byte(testBody))
	if r.Retry || !errors.Is(r.Err, ErrAddress) {
		t.Errorf("name for loopback: %+v", r)
	}
	if n := rc.hits.Load(); n != 0 {
		t.Fatalf("the receiver was reached %d times", n)
	}

	d = &Deliverer{Policy: testPolicy, resolver: res}
	for _, u := range []string{rc.URL, named} {
		if r := d.Deliver(context.Background(), u, secret, "fax.final", "dlv_01", []byte(testBody)); r.Err != nil {
			t.Errorf("%s with AllowPrivate: %+v", u, r)
		}
	}
	if n := rc.hits.Load(); n != 2 {
		t.Fatalf("the receiver was reached %d times", n)
	}
}

func TestDeliverBadRequest(t *testing.T) {
	secret := NewSecret()
	rc := newReceiver(t, secret, time.Now, status(http.StatusOK))
	d := &Deliverer{Policy: testPolicy}
	for _, c := range []struct {
		url, secret, event, id string
		want                   error
	}{
		{rc.URL, "", "fax.final", "dlv_01", ErrRequest},
		{rc.URL, secret, "", "dlv_01", ErrRequest},
		{rc.URL, secret, "fax final", "dlv_01", ErrRequest},
		{rc.URL, secret, "fax.final\r\nX-Evil: 1", "dlv_01", ErrRequest},
		{rc.URL, secret, "fax.final", "", ErrRequest},
		{rc.URL, secret, "fax.final", strings.Repeat("d", maxToken+1), ErrRequest},
		{rc.URL, secret, "fax.final", "dlv_é", ErrRequest},
		{"ftp://example.com/", secret, "fax.final", "dlv_01", ErrURL},
		{"https://user:pw@example.com/", secret, "fax.final", "dlv_01", ErrURL},
	} {
		r := d.Deliver(context.Background(), c.url, c.secret, c.event, c.id, []byte(testBody))
		if r.Retry || !errors.Is(r.Err, c.want) {
			t.Errorf("%q %q %q: %+v", c.url, c.event, c.id, r)
		}
	}
	if rc.hits.Load() != 0 {
		t.Fatal("the receiver was reached")
	}
	if !errors.Is(CheckURL("http://example.com/", Policy{}), ErrURL) {
		t.Fatal("http allowed by the zero Policy")
	}
}

// Over TLS and HTTP/2, with the package's own client given the test
// server's certificate.
func TestDeliverTLS(t *testing.T) {
	secret := NewSecret()
	var proto atomic.Value
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := Verify(secret, r.Header.Get(HeaderSignature), body, time.Now(), time.Minute); err != nil {
			t.Error(err)
		}
		proto.Store(r.Proto)
	}))
	s.EnableHTTP2 = true
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below
	s.StartTLS()
	defer s.Close()
	c := NewClient(Policy{AllowPrivate: true})
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	c.Transport.(*http.Transport).TLSClientConfig.RootCAs = pool
	d := &Deliverer{Policy: Policy{AllowPrivate: true}, Client: c}
	if !strings.HasPrefix(s.URL, "https://") {
		t.Fatal(s.URL)
	}
	r := d.Deliver(context.Background(), s.URL, secret, "fax.final", "dlv_01", []byte(testBody))
	if r.Err != nil || r.Status != 200 {
		t.Fatalf("%+v", r)
	}
	if p, _ := proto.Load().(string); p != "HTTP/2.0" {
		t.Errorf("protocol %q", p)
	}
	// Without the certificate: a TLS failure, retried (a receiver can
	// fix its certificate within the day).
	d = &Deliverer{Policy: Policy{AllowPrivate: true}}
	if r := d.Deliver(context.Background(), s.URL, secret, "fax.final", "dlv_01", []byte(testBody)); !r.Retry || !errors.Is(r.Err, ErrTransport) {
		t.Fatalf("untrusted certificate: %+v", r)
	}
}
