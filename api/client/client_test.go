package client_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faxd/faxd/api/auth"
	"github.com/faxd/faxd/api/client"
	"github.com/faxd/faxd/api/client/clienttest"
	"github.com/faxd/faxd/api/seal"
	"github.com/faxd/faxd/api/wire"
)

var ctx = context.Background()

func newClient(t *testing.T, url, fp, name, secret string, now func() time.Time) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{URL: url, Account: clienttest.Account, Name: name, Secret: secret, Fingerprint: fp, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func realClient(t *testing.T, s *clienttest.Server, name, secret string) *client.Client {
	return newClient(t, s.URL, s.Fingerprint, name, secret, s.Clock.Now)
}

func fakeClient(t *testing.T, f *clienttest.Fake, name, secret string) *client.Client {
	return newClient(t, f.URL, f.Fingerprint, name, secret, f.Clock.Now)
}

// apiError returns err as *client.Error, failing the test if it is not.
func apiError(t *testing.T, err error) *client.Error {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("%v (%T) is not a *client.Error", err, err)
	}
	return e
}

func pngDoc(t *testing.T) []byte {
	img := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range 16 {
		img.Set(i, i, color.Gray{Y: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func textDoc(s string) client.Document {
	return client.Document{Name: "letter.txt", Body: strings.NewReader(s), Size: int64(len(s))}
}

// TestLogin: a credential gets a token with its roles; the pinned
// certificate is taken, another pin is refused, and without a pin the
// self-signed certificate fails the usual verification unless the HTTP
// client trusts it.
func TestLogin(t *testing.T) {
	s := clienttest.NewServer(t, clienttest.Options{})
	tok, err := realClient(t, s, clienttest.SenderName, clienttest.SenderSecret).Login(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Token == "" || !slices.Equal(tok.Roles, []auth.Role{auth.RoleSender}) || tok.ChangeRequired || !tok.Expires.After(s.Clock.Now()) {
		t.Errorf("token: %+v", tok)
	}
	_, err = realClient(t, s, clienttest.SenderName, "wrong").Login(ctx)
	if e := apiError(t, err); e.Status != 401 || e.Code != wire.CodeUnauthorized {
		t.Errorf("wrong secret: %+v", e)
	}
	wrong := "sha256:" + strings.Repeat("ab", 32)
	_, err = newClient(t, s.URL, wrong, clienttest.SenderName, clienttest.SenderSecret, nil).Login(ctx)
	if !errors.Is(err, client.ErrFingerprint) {
		t.Errorf("wrong pin: %v", err)
	}
	if s.Count("POST", "/v1/tokens", 0) != 2 {
		t.Errorf("a request went past a refused certificate: %v", s.Hits())
	}
	// Another spelling of the right pin.
	upper := strings.ToUpper(strings.TrimPrefix(s.Fingerprint, "sha256:"))
	if _, err := newClient(t, s.URL, upper, clienttest.SenderName, clienttest.SenderSecret, nil).Login(ctx); err != nil {
		t.Errorf("pin in upper case: %v", err)
	}
	if _, err = newClient(t, s.URL, "", clienttest.SenderName, clienttest.SenderSecret, nil).Login(ctx); err == nil || errors.Is(err, client.ErrFingerprint) {
		t.Errorf("no pin, self-signed certificate: %v", err)
	}
	c, err := client.New(client.Config{URL: s.URL, Account: clienttest.Account, Name: clienttest.SenderName, Secret: clienttest.SenderSecret, HTTPClient: s.TLS.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(ctx); err != nil {
		t.Errorf("HTTP client trusting the certificate: %v", err)
	}
	_, err = newClient(t, s.URL, s.Fingerprint, "x", "y", nil).Faxes(ctx, client.ListOptions{})
	if e := apiError(t, err); e.Code != wire.CodeUnauthorized {
		t.Errorf("unknown credential: %+v", e)
	}
}

func TestConfig(t *testing.T) {
	for _, cfg := range []client.Config{
		{URL: "http://127.0.0.1:1", Account: "a", Name: "n"},
		{URL: "https://", Account: "a", Name: "n"},
		{URL: "https://h/?x=1", Account: "a", Name: "n"},
		{URL: "https://u:p@h/", Account: "a", Name: "n"},
		{URL: "https://h", Name: "n"},
		{URL: "https://h", Account: "a"},
		{URL: "https://h", Account: "a", Name: "n", Fingerprint: "sha256:abcd"},
		{URL: "https://h", Account: "a", Name: "n", Fingerprint: strings.Repeat("0", 64), HTTPClient: &http.Client{Transport: http.NewFileTransport(http.Dir("."))}},
	} {
		if _, err := client.New(cfg); !errors.Is(err, client.ErrConfig) {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
	for _, s := range []string{"sha256:" + strings.Repeat("0a", 32), strings.Repeat("0A", 32), strings.TrimSuffix(strings.Repeat("0a:", 32), ":")} {
		if b, err := client.ParseFingerprint(s); err != nil || len(b) != 32 || b[0] != 10 {
			t.Errorf("%q: %x %v", s, b, err)
		}
	}
	if _, err := newClient(t, "https://127.0.0.1:1", "", "n", "", nil).Login(ctx); !errors.Is(err, client.ErrNoSecret) {
		t.Errorf("no secret: %v", err)
	}
}

// TestFaxes: documents sent sealed, the fax read, listed page by page and
// whole, canceled once and not twice; the upload's progress told.
func TestFaxes(t *testing.T) {
	s := clienttest.NewServer(t, clienttest.Options{})
	c := realClient(t, s, clienttest.SenderName, clienttest.SenderSecret)
	var mu sync.Mutex
	var sent, total int64
	progress := func(n, of int64) {
		mu.Lock()
		sent, total = n, of
		mu.Unlock()
	}
	ecm := false
	req := wire.FaxRequest{To: []string{"+1 555 0100"}, Header: "ACME", ECM: &ecm, Resolution: "standard", Retry: &wire.RetryRules{MaxAttempts: 2}}
	f, err := c.SendProgress(ctx, req, progress, textDoc("Dear Ms. Hansen,\n"), client.Document{Name: "dot.png", Body: bytes.NewReader(pngDoc(t))})
	if err != nil {
		t.Fatal(err)
	}
	if f.State != client.StateQueued || f.Documents != 2 || !slices.Equal(f.To, []string{"+15550100"}) || !strings.HasPrefix(f.ID, "fax_") {
		t.Fatalf("sent: %+v", f)
	}
	if sent == 0 || sent != total {
		t.Errorf("progress: %d of %d", sent, total)
	}
	g, err := c.Fax(ctx, f.ID)
	if err != nil || g.ID != f.ID || g.State != client.StateQueued {
		t.Fatalf("fax: %+v %v", g, err)
	}
	for i := range 4 {
		if _, err := c.Send(ctx, wire.FaxRequest{To: []string{"+15550101"}, Priority: new(i + 1)}, textDoc("page")); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	after, pages := "", 0
	for {
		p, err := c.Faxes(ctx, client.ListOptions{Limit: 2, After: after})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, x := range p.Faxes {
			ids = append(ids, x.ID)
		}
		if p.Next == "" {
			break
		}
		after = p.Next
	}
	if pages != 3 || len(ids) != 5 || ids[4] != f.ID {
		t.Errorf("pages: %d, %v", pages, ids)
	}
	var all []string
	for x, err := range c.AllFaxes(ctx, client.ListOptions{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, x.ID)
	}
	if !slices.Equal(all, ids) {
		t.Errorf("AllFaxes: %v, pages gave %v", all, ids)
	}
	for x, err := range c.AllFaxes(ctx, client.ListOptions{Limit: 1000}) {
		if e := apiError(t, err); e.Code != wire.CodeBadRequest {
			t.Errorf("bad limit: %v %+v", x, e)
		}
	}
	cf, err := c.Cancel(ctx, f.ID)
	if err != nil || cf.State != client.StateCanceled {
		t.Fatalf("cancel: %+v %v", cf, err)
	}
	if p, err := c.Faxes(ctx, client.ListOptions{State: client.StateCanceled}); err != nil || len(p.Faxes) != 1 || p.Faxes[0].ID != f.ID {
		t.Errorf("canceled ones: %+v %v", p, err)
	}
	_, err = c.Cancel(ctx, f.ID)
	if e := apiError(t, err); e.Status != 409 || e.Code != wire.CodeState {
		t.Errorf("cancel twice: %+v", e)
	}
	_, err = c.Fax(ctx, "fax_nosuch")
	if !client.IsCode(err, wire.CodeNotFound) {
		t.Errorf("no such fax: %v", err)
	}
	if n := s.Count("POST", "/v1/tokens", 0); n != 1 {
		t.Errorf("%d logins", n)
	}
	if n := s.Count("POST", "/v1/seal/sessions", 0); n != 1 {
		t.Errorf("%d sessions", n)
	}
}

// TestErrors: the API's errors come as *client.Error, sealed ones
// included; the client refuses what it knows is too large before
// sending it.
func TestErrors(t *testing.T) {
	s := clienttest.NewServer(t, clienttest.Options{})
	c := realClient(t, s, clienttest.SenderName, clienttest.SenderSecret)
	_, err := c.Send(ctx, wire.FaxRequest{To: []string{"5550100"}}, textDoc("x"))
	if e := apiError(t, err); e.Status != 400 || e.Code != wire.CodeBadRequest || !strings.Contains(e.Message, "E.164") {
		t.Errorf("not E.164 (answered sealed): %+v", e)
	}
	_, err = c.Send(ctx, wire.FaxRequest{To: []string{"+15550100"}}, client.Document{Body: bytes.NewReader([]byte{0, 1, 2, 0})})
	if e := apiError(t, err); e.Code != "unsupported_document" {
		t.Errorf("binary junk: %+v", e)
	}
	_, err = c.Credentials(ctx)
	if e := apiError(t, err); e.Status != 403 || e.Code != wire.CodeForbidden {
		t.Errorf("sender lists credentials: %+v", e)
	}
	admin := realClient(t, s, clienttest.AdminName, clienttest.AdminPassword)
	_, err = admin.Send(ctx, wire.FaxRequest{To: []string{"+15550100"}}, textDoc("x"))
	if !client.IsCode(err, wire.CodeForbidden) {
		t.Errorf("admin sends: %v", err)
	}
	n := s.Count("POST", "/v1/faxes", 0)
	_, err = c.Send(ctx, wire.FaxRequest{To: []string{"+15550100"}}, client.Document{Body: strings.NewReader("x"), Size: 40 << 20})
	if !errors.Is(err, client.ErrTooLarge) {
		t.Errorf("40 MiB said: %v", err)
	}
	_, err = c.Send(ctx, wire.FaxRequest{To: []string{"+15550100"}}, client.Document{Body: io.LimitReader(zeros{}, client.MaxUpload)})
	if !errors.Is(err, client.ErrTooLarge) {
		t.Errorf("32 MiB read: %v", err)
	}
	if _, err = c.Send(ctx, wire.FaxRequest{To: []string{"+15550100"}}); !errors.Is(err, client.ErrConfig) {
		t.Errorf("no document: %v", err)
	}
	if s.Count("POST", "/v1/faxes", 0) != n {
		t.Error("a request too large went out")
	}
	// An answer not in the API's shape.
	proxy := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream down", http.StatusBadGateway)
	}))
	defer proxy.Close()
	pc, _ := client.New(client.Config{URL: proxy.URL, Account: "a", Name: "n", Secret: "s", HTTPClient: proxy.Client()})
	_, err = pc.Login(ctx)
	if e := apiError(t, err); e.Status != 502 || e.Code != "" || !strings.Contains(e.Error(), "upstream down") {
		t.Errorf("proxy: %+v %q", e, e.Error())
	}
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}

// TestAdmin: credentials made, listed, used, deleted; network rules read
// and replaced, not so as to shut the admin out.
func TestAdmin(t *testing.T) {
	s := clienttest.NewServer(t, clienttest.Options{})
	c := realClient(t, s, clienttest.AdminName, clienttest.AdminPassword)
	cv, err := c.CreateCredential(ctx, "billing", auth.RoleReceiver, auth.RoleAuditor)
	if err != nil || cv.Secret == "" || cv.Kind != "api" || cv.Name != "billing" {
		t.Fatalf("create: %+v %v", cv, err)
	}
	if _, err := realClient(t, s, "billing", cv.Secret).Login(ctx); err != nil {
		t.Errorf("the new credential: %v", err)
	}
	_, err = c.CreateCredential(ctx, "billing", auth.RoleReceiver)
	if e := apiError(t, err); e.Status != 409 || e.Code != wire.CodeExists {
		t.Errorf("twice: %+v", e)
	}
	_, err = c.CreateCredential(ctx, "root", auth.RoleAdmin)
	if !client.IsCode(err, wire.CodeBadRequest) {
		t.Errorf("admin role: %v", err)
	}
	list, err := c.Credentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list, func(v wire.CredentialView) bool { return v.Name == "billing" })
	if len(list) != 5 || i < 0 || list[i].Secret != "" || !slices.Equal(list[i].Roles, []auth.Role{auth.RoleReceiver, auth.RoleAuditor}) {
		t.Errorf("list: %+v", list)
	}
	if err := c.DeleteCredential(ctx, "billing"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteCredential(ctx, "billing"); !client.IsCode(err, wire.CodeNotFound) {
		t.Errorf("delete twice: %v", err)
	}
	if err := c.DeleteCredential(ctx, clienttest.AdminName); !client.IsCode(err, wire.CodeState) {
		t.Errorf("delete itself: %v", err)
	}
	rules, err := c.NetworkRules(ctx)
	if err != nil || rules != "127.0.0.0/8, ::1/128" {
		t.Errorf("rules: %q %v", rules, err)
	}
	if _, err := c.SetNetworkRules(ctx, "192.0.2.0/24"); !client.IsCode(err, wire.CodeState) {
		t.Errorf("rules shutting the admin out: %v", err)
	}
	if rules, err = c.SetNetworkRules(ctx, "127.0.0.1, 192.0.2.0/24"); err != nil || rules != "127.0.0.1/32, 192.0.2.0/24" {
		t.Errorf("set rules: %q %v", rules, err)
	}
	if rules, err = c.NetworkRules(ctx); err != nil || rules != "127.0.0.1/32, 192.0.2.0/24" {
		t.Errorf("rules read back: %q %v", rules, err)
	}
}

// TestTokenRenewal: a token near its end is renewed before use; one the
// server finds expired (the clocks disagreeing) is renewed after the
// refusal, and the request sent again.
func TestTokenRenewal(t *testing.T) {
	s := clienttest.NewServer(t, clienttest.Options{})
	c := realClient(t, s, clienttest.SenderName, clienttest.SenderSecret)
	if _, err := c.Faxes(ctx, client.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Clock.Add(auth.DefaultTokenTTL - 10*time.Second)
	if _, err := c.Faxes(ctx, client.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if n, m := s.Count("POST", "/v1/tokens", 201), s.Count("GET", "/v1/faxes", 401); n != 2 || m != 0 {
		t.Errorf("renewed before use: %d logins, %d refusals", n, m)
	}
	// This client's clock stands still; the server's goes on.
	at := s.Clock.Now()
	lag := newClient(t, s.URL, s.Fingerprint, clienttest.SenderName, clienttest.SenderSecret, func() time.Time { return at })
	if _, err := lag.Send(ctx, wire.FaxRequest{To: []string{"+15550100"}}, textDoc("x")); err != nil {
		t.Fatal(err)
	}
	s.Clock.Add(auth.DefaultTokenTTL + time.Second)
	if _, err := lag.Faxes(ctx, client.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if n, m := s.Count("POST", "/v1/tokens", 201), s.Count("GET", "/v1/faxes", 401); n != 4 || m != 1 {
		t.Errorf("renewed after a refusal: %d logins, %d refusals", n, m)
	}
	// The session outlives the token: a sealed request after the refusal.
	if _, err := lag.Send(ctx, wire.FaxRequest{To: []string{"+15550100"}}, textDoc("x")); err != nil {
		t.Fatal(err)
	}
}

// TestSealRenewal: a session used up is replaced after the server's
// refusal, one near its end before use; the request goes through either
// way.
func TestSealRenewal(t *testing.T) {
	t.Run("exhausted", func(t *testing.T) {
		s := clienttest.NewServer(t, clienttest.Options{Seal: seal.Limits{MaxMessages: 2}})
		c := realClient(t, s, clienttest.SenderName, clienttest.SenderSecret)
		for range 5 {
			if _, err := c.Send(ctx, wire.FaxRequest{To: []string{"+15550100"}}, textDoc("x")); err != nil {
				t.Fatal(err)
			}
		}
		if n, m := s.Count("POST", "/v1/seal/sessions", 201), s.Count("POST", "/v1/faxes", 401); n != 3 || m != 2 {
			t.Errorf("%d sessions, %d refusals", n, m)
		}
		if p, _ := c.Faxes(ctx, client.ListOptions{}); len(p.Faxes) != 5 {
			t.Errorf("%d faxes", len(p.Faxes))
		}
	})
	t.Run("expiring", func(t *testing.T) {
		s := clienttest.NewServer(t, clienttest.Options{Seal: seal.Limits{Lifetime: 5 * time.Minute}})
		c := realClient(t, s, clienttest.SenderName, clienttest.SenderSecret)
		for range 3 {
			if _, err := c.Send(ctx, wire.FaxRequest{To: []string{"+15550100"}}, textDoc("x")); err != nil {
				t.Fatal(err)
			}
			s.Clock.Add(4*time.Minute + 30*time.Second)
		}
		if n, m := s.Count("POST", "/v1/seal/sessions", 201), s.Count("POST", "/v1/faxes", 401); n != 3 || m != 0 {
			t.Errorf("%d sessions, %d refusals", n, m)
		}
	})
}

// TestConcurrent: many goroutines on one client share one login and one
// session.
func TestConcurrent(t *testing.T) {
	s := clienttest.NewServer(t, clienttest.Options{})
	c := realClient(t, s, clienttest.SenderName, clienttest.SenderSecret)
	var wg sync.WaitGroup
	errs := make(chan error, 24)
	for range 8 {
		wg.Go(func() {
			for range 3 {
				_, err := c.Send(ctx, wire.FaxRequest{To: []string{"+15550100"}}, textDoc("x"))
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, m := s.Count("POST", "/v1/tokens", 0), s.Count("POST", "/v1/seal/sessions", 0); n != 1 || m != 1 {
		t.Errorf("%d logins, %d sessions", n, m)
	}
}
