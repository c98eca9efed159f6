package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/faxd/faxd/api/audit"
	"github.com/faxd/faxd/api/auth"
	"github.com/faxd/faxd/api/client"
	"github.com/faxd/faxd/api/seal"
	"github.com/faxd/faxd/api/server"
	"github.com/faxd/faxd/api/store"
	"github.com/faxd/faxd/api/vault"
	"github.com/faxd/faxd/api/wire"
	"github.com/faxd/faxd/t30/document"
)

// APIConfig shapes an API run.
type APIConfig struct {
	Clients  int           // concurrent clients, each with its token and message session; 0: 16
	Duration time.Duration // how long they submit; 0: 10 s
	// Document is what each submission carries; nil: LetterPage as PDF.
	Document []byte
	// Setups is how long set-ups of message sessions are timed on their
	// own after the submissions; 0: 3 s.
	Setups time.Duration
	// Unsealed submits without message-level encryption, to measure
	// what the seal costs: a plain multipart POST with the bearer token
	// to UnsealedPath, where the bench server (and no other) mounts
	// server.FaxSubmitHandler; no set-ups are timed then.
	Unsealed bool
}

// UnsealedPath is where RunAPI's server takes unsealed submissions when
// APIConfig.Unsealed is set.
const UnsealedPath = "/v1/bench/faxes-unsealed"

// APIRun is what an API run measured: fax submissions over HTTPS (TLS
// 1.3, HTTP/2), each a one-page document, sealed (message-level
// encryption, by the API's own client, api/client) unless Sealed is
// false; sessions and tokens reused as a real client reuses them; then,
// sealed, session set-ups.
type APIRun struct {
	Clients       int           `json:"clients"`
	Sealed        bool          `json:"sealed"`
	DocumentBytes int           `json:"document_bytes"`
	Submissions   int           `json:"submissions"`
	Errors        int           `json:"errors"`
	FirstError    string        `json:"first_error,omitempty"`
	Wall          time.Duration `json:"wall"`
	PerSecond     float64       `json:"per_second"`
	P50           time.Duration `json:"p50"`
	P99           time.Duration `json:"p99"`
	Max           time.Duration `json:"max"`
	CPU           time.Duration `json:"cpu"` // process CPU, clients and server together
	Setups        int           `json:"setups"`
	SetupsPerSec  float64       `json:"setups_per_second"`
	SetupP50      time.Duration `json:"setup_p50"`
}

// RunAPI starts a faxd API server in a temporary data directory (store,
// vault, audit log, all synced to disk as in production) on loopback and
// drives it with cfg.Clients clients. Each is a *client.Client of its
// own (its own token and message session) over one shared connection
// pool that trusts the server's certificate, just made, and no other.
// Each logs in and submits once before the clock starts (the client
// opens its session on its first sealed request), then submits until
// the end.
func RunAPI(ctx context.Context, cfg APIConfig) (*APIRun, error) {
	if cfg.Clients <= 0 {
		cfg.Clients = 16
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 10 * time.Second
	}
	if cfg.Setups <= 0 {
		cfg.Setups = 3 * time.Second
	}
	if cfg.Document == nil {
		page, err := LetterPage()
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		if err := document.WritePDF(&b, []*document.Page{page}); err != nil {
			return nil, err
		}
		cfg.Document = b.Bytes()
	}
	dir, err := os.MkdirTemp("", "faxbench-api-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(filepath.Join(dir, "faxd.db"))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	v, err := vault.Init(filepath.Join(dir, "vault"))
	if err != nil {
		return nil, err
	}
	alog, err := audit.Open(filepath.Join(dir, "audit.log"), bytes.Repeat([]byte{1}, 32), audit.Options{})
	if err != nil {
		return nil, err
	}
	defer alog.Close()
	sk, err := seal.GenerateKey(seal.SuiteP521())
	if err != nil {
		return nil, err
	}
	tk := make([]byte, 32)
	rand.Read(tk)
	tokens, _ := auth.NewIssuer(tk)
	loop, _ := auth.ParseNetworkRules("127.0.0.0/8, ::1")
	bg := context.Background()
	if err := st.CreateAccount(bg, "bench", loop); err != nil {
		return nil, err
	}
	if err := st.CreateCredential(bg, auth.Credential{Account: "bench", Name: "sender", Hash: auth.HashPassword("bench-secret", auth.DefaultParams),
		Roles: []auth.Role{auth.RoleSender}, Kind: "api"}); err != nil {
		return nil, err
	}
	api := server.New(server.Config{Directory: st, Tokens: tokens, Seal: seal.NewServer(sk, seal.Limits{MaxPerAccount: 1 << 20}), Audit: alog,
		Jobs: st, Documents: v, Guard: &auth.Guard{MaxFailures: 1 << 30}})
	if cfg.Unsealed {
		// This server's only: faxd mounts the handler sealed and nowhere else.
		api.Handle("POST "+UnsealedPath, auth.FaxSend, false, api.FaxSubmitHandler())
	}
	certPEM, keyDER, err := server.SelfSigned([]string{"127.0.0.1"}, time.Now())
	if err != nil {
		return nil, err
	}
	cert, err := server.KeyPair(certPEM, keyDER)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: api, TLSConfig: server.TLSConfig(cert, false)}
	go hs.ServeTLS(ln, "", "")
	defer hs.Close()
	base := "https://" + ln.Addr().String()
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ForceAttemptHTTP2, tr.MaxIdleConnsPerHost = true, cfg.Clients
	tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS13}
	hc := &http.Client{Transport: tr}
	defer hc.CloseIdleConnections()

	run := &APIRun{Clients: cfg.Clients, Sealed: !cfg.Unsealed, DocumentBytes: len(cfg.Document)}
	req := wire.FaxRequest{To: []string{"+15550100"}, Header: "faxbench"}
	bcs := make([]*benchClient, cfg.Clients)
	for i := range bcs {
		c, err := client.New(client.Config{URL: base, Account: "bench", Name: "sender", Secret: "bench-secret", HTTPClient: hc})
		if err != nil {
			return nil, err
		}
		tok, err := c.Login(ctx)
		if err != nil {
			return nil, err
		}
		bcs[i] = &benchClient{c: c, hc: hc, base: base, token: tok.Token}
		if err := bcs[i].submit(ctx, cfg.Unsealed, req, cfg.Document); err != nil {
			return nil, fmt.Errorf("bench: the first submission: %w", err)
		}
	}
	var mu sync.Mutex
	var lat []time.Duration
	cpu0, start := CPUTime(), time.Now()
	end := start.Add(cfg.Duration)
	var wg sync.WaitGroup
	for _, bc := range bcs {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(end) && ctx.Err() == nil {
				t0 := time.Now()
				err := bc.submit(ctx, cfg.Unsealed, req, cfg.Document)
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					run.Errors++
					if run.FirstError == "" {
						run.FirstError = err.Error()
					}
				} else {
					run.Submissions++
				}
				mu.Unlock()
				mine = append(mine, d)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	run.Wall, run.CPU = time.Since(start), CPUTime()-cpu0
	run.PerSecond = float64(run.Submissions) / run.Wall.Seconds()
	run.P50, run.P99, run.Max = quantiles(lat)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if cfg.Unsealed {
		return run, nil
	}
	// Set-ups on their own: each client opens sessions back to back, as
	// the client does (seal.Open, POST /v1/seal/sessions, Confirm), with
	// its token; the client has no call that opens one on demand.
	b, err := bcs[0].do(ctx, "GET", "/v1/seal/key", "", nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var k wire.SealKey
	json.Unmarshal(b, &k)
	pub, err := base64.StdEncoding.DecodeString(k.PublicKey)
	if err != nil {
		return nil, err
	}
	var setups []time.Duration
	send := time.Now().Add(cfg.Setups)
	for _, bc := range bcs {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(send) && ctx.Err() == nil {
				t0 := time.Now()
				if err := bc.openSession(ctx, pub); err != nil {
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			setups = append(setups, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	run.Setups = len(setups)
	run.SetupsPerSec = float64(len(setups)) / cfg.Setups.Seconds()
	run.SetupP50, _, _ = quantiles(setups)
	return run, nil
}

func quantiles(d []time.Duration) (p50, p99, max time.Duration) {
	if len(d) == 0 {
		return 0, 0, 0
	}
	slices.Sort(d)
	return d[len(d)/2], d[len(d)*99/100], d[len(d)-1]
}

// benchClient is one client: the API's client, and beside it the token
// it logged in with, for what it has no call for (an unsealed
// submission, a set-up on demand) over the same connection pool.
type benchClient struct {
	c     *client.Client
	hc    *http.Client
	base  string
	token string
}

// submit sends one fax: by the client, sealed, or unsealed to
// UnsealedPath with the body built as the client builds it.
func (bc *benchClient) submit(ctx context.Context, unsealed bool, req wire.FaxRequest, doc []byte) error {
	if !unsealed {
		_, err := bc.c.Send(ctx, req, client.Document{Name: "letter.pdf", Body: bytes.NewReader(doc), Size: int64(len(doc))})
		return err
	}
	meta, err := json.Marshal(req)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	w, _ := mw.CreateFormField("request")
	w.Write(meta)
	w, _ = mw.CreateFormFile("document", "letter.pdf")
	w.Write(doc)
	if err := mw.Close(); err != nil {
		return err
	}
	rb, err := bc.do(ctx, "POST", UnsealedPath, mw.FormDataContentType(), b.Bytes(), http.StatusCreated)
	if err != nil {
		return err
	}
	var f wire.FaxStatus
	return json.Unmarshal(rb, &f)
}

// openSession sets up a message session and throws it away.
func (bc *benchClient) openSession(ctx context.Context, pub []byte) error {
	c, err := seal.Open(pub, "bench", time.Now(), seal.Limits{})
	if err != nil {
		return err
	}
	b, err := bc.do(ctx, "POST", "/v1/seal/sessions", "application/octet-stream", c.Setup(), http.StatusCreated)
	if err != nil {
		return err
	}
	var ss wire.SealSession
	json.Unmarshal(b, &ss)
	proof, _ := base64.StdEncoding.DecodeString(ss.Confirm)
	return c.Confirm(proof)
}

// do sends a request with the account and the token, and reads the
// answer, which must have status want. A token that has expired is
// renewed through the client, and the request sent once more.
func (bc *benchClient) do(ctx context.Context, method, path, ctype string, body []byte, want int) ([]byte, error) {
	b, status, err := bc.exchange(ctx, method, path, ctype, body)
	var eb wire.ErrorBody
	if err == nil && status == http.StatusUnauthorized && json.Unmarshal(b, &eb) == nil && eb.Error.Code == wire.CodeTokenExpired {
		tok, lerr := bc.c.Login(ctx)
		if lerr != nil {
			return nil, lerr
		}
		bc.token = tok.Token
		b, status, err = bc.exchange(ctx, method, path, ctype, body)
	}
	if err != nil {
		return nil, err
	}
	if status != want {
		return nil, fmt.Errorf("%s %s: %d %.200s", method, path, status, b)
	}
	return b, nil
}

func (bc *benchClient) exchange(ctx context.Context, method, path, ctype string, body []byte) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, method, bc.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set(wire.HeaderAccount, "bench")
	req.Header.Set("Authorization", "Bearer "+bc.token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := bc.hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, resp.StatusCode, err
}
