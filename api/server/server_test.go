package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faxd/faxd/api/audit"
	"github.com/faxd/faxd/api/auth"
	"github.com/faxd/faxd/api/seal"
	"github.com/faxd/faxd/api/store"
	"github.com/faxd/faxd/api/vault"
	"github.com/faxd/faxd/api/wire"
)

// directory is an in-memory Directory for the tests.
type directory struct {
	accounts map[string]Account
	creds    map[string]Credential // by account/name
}

func (d *directory) Account(_ context.Context, id string) (Account, error) {
	a, ok := d.accounts[id]
	if !ok {
		return a, ErrNotFound
	}
	return a, nil
}

func (d *directory) Credential(_ context.Context, account, name string) (Credential, error) {
	c, ok := d.creds[account+"/"+name]
	if !ok {
		return c, ErrNotFound
	}
	return c, nil
}

var cheap = auth.Params{MemoryKiB: 64, Time: 1, Threads: 1}

type fixture struct {
	t     testing.TB
	ts    *httptest.Server
	srv   *Server
	clock *testClock
	audit string
	key   []byte
	vault string
	st    *store.Store
	v     *vault.Vault
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	loop, _ := auth.ParseNetworkRules("127.0.0.0/8, ::1")
	far, _ := auth.ParseNetworkRules("192.0.2.0/24")
	d := &directory{
		accounts: map[string]Account{
			"acme": {ID: "acme", Rules: loop},
			"far":  {ID: "far", Rules: far},
			"off":  {ID: "off", Rules: loop, Disabled: true},
			"beta": {ID: "beta", Rules: loop},
		},
		creds: map[string]Credential{
			"acme/sender":  {Account: "acme", Name: "sender", Hash: auth.HashPassword("s3cret", cheap), Roles: []auth.Role{auth.RoleSender}, Kind: "api"},
			"acme/admin":   {Account: "acme", Name: "admin", Hash: auth.HashPassword("adm1n", cheap), Roles: []auth.Role{auth.RoleAdmin}, Kind: "user"},
			"beta/sender":  {Account: "beta", Name: "sender", Hash: auth.HashPassword("b3ta", cheap), Roles: []auth.Role{auth.RoleSender}, Kind: "api"},
			"far/sender":   {Account: "far", Name: "sender", Hash: auth.HashPassword("x", cheap), Roles: []auth.Role{auth.RoleSender}, Kind: "api"},
			"acme/auditor": {Account: "acme", Name: "auditor", Hash: auth.HashPassword("aud", cheap), Roles: []auth.Role{auth.RoleAuditor}, Kind: "user"},
			"acme/inbox":   {Account: "acme", Name: "inbox", Hash: auth.HashPassword("r3ad", cheap), Roles: []auth.Role{auth.RoleReceiver}, Kind: "api"},
			"beta/inbox":   {Account: "beta", Name: "inbox", Hash: auth.HashPassword("b3ta", cheap), Roles: []auth.Role{auth.RoleReceiver}, Kind: "api"},
			"acme/fresh":   {Account: "acme", Name: "fresh", Hash: auth.HashPassword("one-time", cheap), Roles: []auth.Role{auth.RoleAdmin}, Kind: "user", MustChange: true},
		},
	}
	clk := &testClock{t: time.Now()}
	tokens, _ := auth.NewIssuer(bytes.Repeat([]byte{3}, 32))
	tokens.Now = clk.now
	key, err := seal.GenerateKey(seal.SuiteP521())
	if err != nil {
		t.Fatal(err)
	}
	auditKey := bytes.Repeat([]byte{9}, 32)
	path := filepath.Join(t.TempDir(), "audit.log")
	log, err := audit.Open(path, auditKey, audit.Options{NoSync: true, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	st, err := store.Open(filepath.Join(t.TempDir(), "faxd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// The store holds what the directory does, and serves as the
	// server's directory.
	for id, a := range d.accounts {
		st.CreateAccount(context.Background(), id, a.Rules)
		if a.Disabled {
			st.SetDisabled(context.Background(), id, true)
		}
	}
	for _, c := range d.creds {
		if err := st.CreateCredential(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	vroot := filepath.Join(t.TempDir(), "vault")
	v, err := vault.Init(vroot)
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Config{Directory: st, Admin: st, Tokens: tokens, Seal: seal.NewServer(key, seal.Limits{}), Audit: log, Hash: cheap, Now: clk.now, MaxBody: 1 << 20,
		Guard: &auth.Guard{MaxFailures: 3}, Jobs: st, Documents: v, Inbox: st})
	// A sealed resource as fax submission will be: it answers with what it
	// was sent.
	srv.Handle("POST /v1/echo", auth.FaxSend, true, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		json.NewEncoder(w).Encode(map[string]string{"got": string(b), "type": r.Header.Get("Content-Type")})
	}))
	ts := httptest.NewTLSServer(srv)
	t.Cleanup(ts.Close)
	return &fixture{t: t, ts: ts, srv: srv, clock: clk, audit: path, key: auditKey, vault: vroot, st: st, v: v}
}

func (f *fixture) do(method, path, account, token, ctype string, body []byte, hdr map[string]string) (*http.Response, []byte) {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.ts.URL+path, bytes.NewReader(body))
	if account != "" {
		req.Header.Set(wire.HeaderAccount, account)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// auditLines returns the audit log's entries as they stand.
func (f *fixture) auditLines() []string {
	b, _ := os.ReadFile(f.audit)
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func (f *fixture) token(account, name, secret string) string {
	f.t.Helper()
	b, _ := json.Marshal(wire.TokenRequest{Name: name, Secret: secret})
	resp, body := f.do("POST", "/v1/tokens", account, "", "application/json", b, nil)
	if resp.StatusCode != http.StatusCreated {
		f.t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	var tr wire.TokenResponse
	json.Unmarshal(body, &tr)
	return tr.Token
}

func errCode(t testing.TB, body []byte) string {
	t.Helper()
	var e wire.ErrorBody
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("not the error shape: %s", body)
	}
	return e.Error.Code
}

// openSession opens a message session over the API.
func (f *fixture) openSession(account, token string) *seal.Client {
	f.t.Helper()
	resp, body := f.do("GET", "/v1/seal/key", account, "", "", nil, nil)
	var k wire.SealKey
	json.Unmarshal(body, &k)
	pub, err := base64.StdEncoding.DecodeString(k.PublicKey)
	if resp.StatusCode != 200 || err != nil {
		f.t.Fatalf("key: %d %s", resp.StatusCode, body)
	}
	c, err := seal.Open(pub, account, f.clock.now(), seal.Limits{})
	if err != nil {
		f.t.Fatal(err)
	}
	resp, body = f.do("POST", "/v1/seal/sessions", account, token, "application/octet-stream", c.Setup(), nil)
	var ss wire.SealSession
	json.Unmarshal(body, &ss)
	proof, _ := base64.StdEncoding.DecodeString(ss.Confirm)
	if resp.StatusCode != http.StatusCreated || ss.Session != c.ID().String() || c.Confirm(proof) != nil {
		f.t.Fatalf("session: %d %s", resp.StatusCode, body)
	}
	return c
}

// sealedDo sends a sealed request and opens the response.
func (f *fixture) sealedDo(c *seal.Client, account, token, method, uri, ctype string, body []byte) (int, string, []byte) {
	f.t.Helper()
	seq, sealed, err := c.SealRequest(nil, method, uri, append([]byte(ctype+"\n"), body...))
	if err != nil {
		f.t.Fatal(err)
	}
	resp, rb := f.do(method, uri, account, token, wire.ContentTypeSealed, sealed,
		map[string]string{wire.HeaderSealSession: c.ID().String(), wire.HeaderSealSeq: strconv.FormatUint(seq, 10)})
	if resp.Header.Get("Content-Type") != wire.ContentTypeSealed {
		return resp.StatusCode, resp.Header.Get("Content-Type"), rb
	}
	plain, err := c.OpenResponse(nil, seq, method, uri, resp.StatusCode, rb)
	if err != nil {
		f.t.Fatalf("response does not open: %v", err)
	}
	ct, b, _ := bytes.Cut(plain, []byte("\n"))
	return resp.StatusCode, string(ct), b
}

// TestSealedRoundTrip: a token taken, a session opened, a sealed request
// answered sealed; the body never shows on the wire.
func TestSealedRoundTrip(t *testing.T) {
	f := newFixture(t)
	tok := f.token("acme", "sender", "s3cret")
	c := f.openSession("acme", tok)
	doc := []byte("%PDF-1.7 confidential statement")
	status, ct, body := f.sealedDo(c, "acme", tok, "POST", "/v1/echo", "application/pdf", doc)
	var got map[string]string
	json.Unmarshal(body, &got)
	if status != http.StatusAccepted || ct != "application/json" || got["got"] != string(doc) || got["type"] != "application/pdf" {
		t.Fatalf("%d %q %s", status, ct, body)
	}
	// Replayed: the same sealed bytes and number again.
	seq, sealed, _ := c.SealRequest(nil, "POST", "/v1/echo", []byte("text/plain\nhi"))
	hdr := map[string]string{wire.HeaderSealSession: c.ID().String(), wire.HeaderSealSeq: strconv.FormatUint(seq, 10)}
	if resp, _ := f.do("POST", "/v1/echo", "acme", tok, wire.ContentTypeSealed, sealed, hdr); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("first: %d", resp.StatusCode)
	}
	resp, b := f.do("POST", "/v1/echo", "acme", tok, wire.ContentTypeSealed, sealed, hdr)
	if resp.StatusCode != http.StatusConflict || errCode(t, b) != wire.CodeSealReplay {
		t.Errorf("replay: %d %s", resp.StatusCode, b)
	}
	// Tampered, or sent to another path.
	seq, sealed, _ = c.SealRequest(nil, "POST", "/v1/echo", []byte("text/plain\nhi"))
	hdr[wire.HeaderSealSeq] = strconv.FormatUint(seq, 10)
	bad := bytes.Clone(sealed)
	bad[2] ^= 1
	if resp, b := f.do("POST", "/v1/echo", "acme", tok, wire.ContentTypeSealed, bad, hdr); resp.StatusCode != http.StatusBadRequest || errCode(t, b) != wire.CodeSealOpen {
		t.Errorf("tampered: %d %s", resp.StatusCode, b)
	}
	if resp, b := f.do("POST", "/v1/echo?x=1", "acme", tok, wire.ContentTypeSealed, sealed, hdr); resp.StatusCode != http.StatusBadRequest || errCode(t, b) != wire.CodeSealOpen {
		t.Errorf("another URI: %d %s", resp.StatusCode, b)
	}
	// Not sealed at all.
	if resp, b := f.do("POST", "/v1/echo", "acme", tok, "application/pdf", doc, nil); resp.StatusCode != http.StatusBadRequest || errCode(t, b) != wire.CodeSealRequired {
		t.Errorf("plain: %d %s", resp.StatusCode, b)
	}
	// Another account's session, with that account's own token.
	btok := f.token("beta", "sender", "b3ta")
	seq, sealed, _ = c.SealRequest(nil, "POST", "/v1/echo", []byte("text/plain\nhi"))
	hdr[wire.HeaderSealSeq] = strconv.FormatUint(seq, 10)
	if resp, b := f.do("POST", "/v1/echo", "beta", btok, wire.ContentTypeSealed, sealed, hdr); resp.StatusCode != http.StatusUnauthorized || errCode(t, b) != wire.CodeSealSession {
		t.Errorf("another account's session: %d %s", resp.StatusCode, b)
	}
}

// TestRefusals: each bad request gets its status and code, and an audit
// entry; the audit chain verifies afterwards.
func TestRefusals(t *testing.T) {
	f := newFixture(t)
	tok := f.token("acme", "sender", "s3cret")
	admin := f.token("acme", "admin", "adm1n")
	btok := f.token("beta", "sender", "b3ta")
	c := f.openSession("acme", tok)
	seq, sealed, _ := c.SealRequest(nil, "POST", "/v1/echo", []byte("text/plain\nx"))
	sealHdr := map[string]string{wire.HeaderSealSession: c.ID().String(), wire.HeaderSealSeq: strconv.FormatUint(seq, 10)}
	tokenBody := func(name, secret string) []byte {
		b, _ := json.Marshal(wire.TokenRequest{Name: name, Secret: secret})
		return b
	}
	for _, tc := range []struct {
		name                  string
		method, path, account string
		token, ctype          string
		body                  []byte
		hdr                   map[string]string
		status                int
		code                  string
	}{
		{"no account", "GET", "/v1/seal/key", "", "", "", nil, nil, 400, wire.CodeNoAccount},
		{"unknown account", "GET", "/v1/seal/key", "nobody", "", "", nil, nil, 403, wire.CodeNetwork},
		{"disabled account", "GET", "/v1/seal/key", "off", "", "", nil, nil, 403, wire.CodeNetwork},
		{"outside the network rules", "POST", "/v1/tokens", "far", "", "application/json", tokenBody("sender", "x"), nil, 403, wire.CodeNetwork},
		{"wrong secret", "POST", "/v1/tokens", "acme", "", "application/json", tokenBody("sender", "nope"), nil, 401, wire.CodeUnauthorized},
		{"unknown credential", "POST", "/v1/tokens", "acme", "", "application/json", tokenBody("ghost", "nope"), nil, 401, wire.CodeUnauthorized},
		{"malformed JSON", "POST", "/v1/tokens", "acme", "", "application/json", []byte(`{"name":`), nil, 400, wire.CodeBadRequest},
		{"unknown field", "POST", "/v1/tokens", "acme", "", "application/json", []byte(`{"name":"a","secret":"b","admin":true}`), nil, 400, wire.CodeBadRequest},
		{"not JSON", "POST", "/v1/tokens", "acme", "", "text/plain", tokenBody("sender", "s3cret"), nil, 415, wire.CodeMediaType},
		{"too large", "POST", "/v1/tokens", "acme", "", "application/json", []byte(`{"name":"` + strings.Repeat("a", 20000) + `"}`), nil, 413, wire.CodeTooLarge},
		{"no token", "POST", "/v1/echo", "acme", "", wire.ContentTypeSealed, sealed, sealHdr, 401, wire.CodeUnauthorized},
		{"forged token", "POST", "/v1/echo", "acme", tok[:len(tok)-2] + "AA", wire.ContentTypeSealed, sealed, sealHdr, 401, wire.CodeUnauthorized},
		{"another account's token", "POST", "/v1/echo", "acme", btok, wire.ContentTypeSealed, sealed, sealHdr, 401, wire.CodeUnauthorized},
		{"wrong role", "POST", "/v1/echo", "acme", admin, wire.ContentTypeSealed, sealed, sealHdr, 403, wire.CodeForbidden},
		{"set-up garbage", "POST", "/v1/seal/sessions", "acme", tok, "application/octet-stream", []byte("xyz"), nil, 400, wire.CodeSealSession},
		{"body over the limit", "POST", "/v1/echo", "acme", tok, wire.ContentTypeSealed, make([]byte, 2<<20), sealHdr, 413, wire.CodeTooLarge},
	} {
		before := f.auditLines()
		resp, body := f.do(tc.method, tc.path, tc.account, tc.token, tc.ctype, tc.body, tc.hdr)
		if resp.StatusCode != tc.status || errCode(t, body) != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, resp.StatusCode, body, tc.status, tc.code)
		}
		// Each refusal leaves one audit entry saying so.
		if after := f.auditLines(); len(after) != len(before)+1 || !strings.Contains(after[len(after)-1], `"outcome":"denied"`) {
			t.Errorf("%s: %d audit entries for it", tc.name, len(after)-len(before))
		}
	}
	// Expired token.
	f.clock.add(auth.DefaultTokenTTL)
	if resp, body := f.do("POST", "/v1/seal/sessions", "acme", tok, "application/octet-stream", nil, nil); resp.StatusCode != 401 || errCode(t, body) != wire.CodeTokenExpired {
		t.Errorf("expired: %d %s", resp.StatusCode, body)
	}
	b, _ := os.ReadFile(f.audit)
	n, err := audit.Verify(bytes.NewReader(b), f.key)
	if err != nil || n < 17 {
		t.Fatalf("audit: %d entries, %v", n, err)
	}
	if !bytes.Contains(b, []byte(`"outcome":"denied"`)) || bytes.Contains(b, []byte("s3cret")) {
		t.Error("audit log lacks the refusals or holds a secret")
	}
}

// TestLockout: repeated failures lock the credential, even for the right
// secret, until the lock-out ends.
func TestLockout(t *testing.T) {
	f := newFixture(t)
	body := func(secret string) []byte {
		b, _ := json.Marshal(wire.TokenRequest{Name: "sender", Secret: secret})
		return b
	}
	for range 3 {
		f.do("POST", "/v1/tokens", "acme", "", "application/json", body("guess"), nil)
	}
	resp, b := f.do("POST", "/v1/tokens", "acme", "", "application/json", body("s3cret"), nil)
	if resp.StatusCode != http.StatusTooManyRequests || errCode(t, b) != wire.CodeLocked || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("locked: %d %s", resp.StatusCode, b)
	}
	f.clock.add(16 * time.Minute)
	f.token("acme", "sender", "s3cret")
}
