package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
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
	"strconv"
	"sync"
	"time"

	"github.com/faxd/faxd/api/audit"
	"github.com/faxd/faxd/api/auth"
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
}

// APIRun is what an API run measured: fax submissions over HTTPS (TLS
// 1.3, HTTP/2) with message-level encryption, each a one-page document,
// sessions reused as a real client reuses them; then session set-ups.
type APIRun struct {
	Clients       int           `json:"clients"`
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
// drives it with cfg.Clients clients.
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
	certPEM, keyDER, err := server.SelfSigned([]string{"127.0.0.1"}, time.Now())
	if err != nil {
		return nil, err
	}
	cert, err := server.KeyPair(certPEM, keyDER)
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
	client := &http.Client{Transport: &http.Transport{ForceAttemptHTTP2: true, MaxIdleConnsPerHost: cfg.Clients,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // our own certificate, just made
	defer client.CloseIdleConnections()

	var mw bytes.Buffer
	w := multipart.NewWriter(&mw)
	fw, _ := w.CreateFormField("request")
	fw.Write([]byte(`{"to":["+15550100"],"header":"faxbench"}`))
	fw, _ = w.CreateFormFile("document", "letter.pdf")
	fw.Write(cfg.Document)
	w.Close()
	inner := append([]byte(w.FormDataContentType()+"\n"), mw.Bytes()...)

	run := &APIRun{Clients: cfg.Clients, DocumentBytes: len(cfg.Document)}
	// Each client: a token, a session, then submissions until the end.
	sess := make([]*clientSession, cfg.Clients)
	for i := range sess {
		if sess[i], err = newClientSession(client, base); err != nil {
			return nil, err
		}
	}
	var mu sync.Mutex
	var lat []time.Duration
	cpu0, start := CPUTime(), time.Now()
	end := start.Add(cfg.Duration)
	var wg sync.WaitGroup
	for _, cs := range sess {
		wg.Go(func() {
			var mine []time.Duration
			buf := make([]byte, 0, len(inner)+seal.Overhead)
			for time.Now().Before(end) && ctx.Err() == nil {
				t0 := time.Now()
				err := cs.submit(inner, buf)
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
	// Set-ups on their own: each client opens sessions back to back.
	var setups []time.Duration
	send := time.Now().Add(cfg.Setups)
	for _, cs := range sess {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(send) {
				t0 := time.Now()
				if err := cs.openSession(); err != nil {
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

// clientSession is one client: its token and message session.
type clientSession struct {
	c     *http.Client
	base  string
	token string
	pub   []byte
	seal  *seal.Client
}

func newClientSession(c *http.Client, base string) (*clientSession, error) {
	cs := &clientSession{c: c, base: base}
	body, _ := json.Marshal(wire.TokenRequest{Name: "sender", Secret: "bench-secret"})
	b, err := cs.do("POST", "/v1/tokens", "application/json", body, nil, http.StatusCreated)
	if err != nil {
		return nil, err
	}
	var tr wire.TokenResponse
	json.Unmarshal(b, &tr)
	cs.token = tr.Token
	b, err = cs.do("GET", "/v1/seal/key", "", nil, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var k wire.SealKey
	json.Unmarshal(b, &k)
	if cs.pub, err = base64.StdEncoding.DecodeString(k.PublicKey); err != nil {
		return nil, err
	}
	return cs, cs.openSession()
}

func (cs *clientSession) openSession() error {
	c, err := seal.Open(cs.pub, "bench", time.Now(), seal.Limits{})
	if err != nil {
		return err
	}
	b, err := cs.do("POST", "/v1/seal/sessions", "application/octet-stream", c.Setup(), nil, http.StatusCreated)
	if err != nil {
		return err
	}
	var ss wire.SealSession
	json.Unmarshal(b, &ss)
	proof, _ := base64.StdEncoding.DecodeString(ss.Confirm)
	if err := c.Confirm(proof); err != nil {
		return err
	}
	cs.seal = c
	return nil
}

func (cs *clientSession) submit(inner, buf []byte) error {
	seq, sealed, err := cs.seal.SealRequest(buf[:0], "POST", "/v1/faxes", inner)
	if err != nil {
		return err
	}
	hdr := map[string]string{wire.HeaderSealSession: cs.seal.ID().String(), wire.HeaderSealSeq: strconv.FormatUint(seq, 10)}
	b, err := cs.do("POST", "/v1/faxes", wire.ContentTypeSealed, sealed, hdr, http.StatusCreated)
	if err != nil {
		return err
	}
	_, err = cs.seal.OpenResponse(nil, seq, "POST", "/v1/faxes", http.StatusCreated, b)
	return err
}

func (cs *clientSession) do(method, path, ctype string, body []byte, hdr map[string]string, want int) ([]byte, error) {
	req, _ := http.NewRequest(method, cs.base+path, bytes.NewReader(body))
	req.Header.Set(wire.HeaderAccount, "bench")
	if cs.token != "" {
		req.Header.Set("Authorization", "Bearer "+cs.token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := cs.c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: %d %.200s", method, path, resp.StatusCode, b)
	}
	return b, nil
}
