package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/faxd/faxd/api/audit"
	"github.com/faxd/faxd/api/wire"
)

// pinned is an HTTPS client that trusts only the certificate with the
// fingerprint fp, as faxctl pins it.
func pinned(fp string, maxVersion uint16) *http.Client {
	return &http.Client{Transport: &http.Transport{
		ForceAttemptHTTP2: true,
		TLSClientConfig: &tls.Config{
			InsecureSkipVerify: true, // the pin below is the check
			MaxVersion:         maxVersion,
			VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
				sum := sha256.Sum256(raw[0])
				if "sha256:"+hex.EncodeToString(sum[:]) != fp {
					return errors.New("certificate does not match the pin")
				}
				return nil
			},
		},
	}}
}

// TestInitServe: init makes a data directory and prints the admin's
// password and the certificate's fingerprint once; serve answers over
// TLS 1.3 and HTTP/2 with a token for that password, refuses TLS 1.2,
// and stops when told.
func TestInitServe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	var out, errOut bytes.Buffer
	if code := run([]string{"init", "--data", dir, "--account", "acme"}, &out, &errOut); code != 0 {
		t.Fatalf("init: %d %s", code, errOut.String())
	}
	pw := regexp.MustCompile(`admin password:  (\S+)`).FindStringSubmatch(out.String())
	fp := regexp.MustCompile(`certificate:     (\S+)`).FindStringSubmatch(out.String())
	if pw == nil || fp == nil {
		t.Fatalf("init printed:\n%s", out.String())
	}
	if code := run([]string{"init", "--data", dir}, &out, &errOut); code != 1 {
		t.Errorf("init twice: %d", code)
	}
	// The secrets are in the vault, encrypted: none lies about in the clear.
	for _, name := range []string{"token-key", "audit-key", "seal-key", "tls-key"} {
		if _, err := os.Stat(filepath.Join(dir, "vault", "objects", name+".obj")); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode %v", st.Mode().Perm())
	}

	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, serveOptions{data: dir, listen: "127.0.0.1:0", lines: []string{"+15550190"}}, func(a net.Addr, got string) {
			if got != fp[1] {
				t.Errorf("serve's fingerprint %s, init's %s", got, fp[1])
			}
			addrc <- a
		})
	}()
	var addr net.Addr
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatal(err)
	}
	token := func(c *http.Client, secret string) (*http.Response, error) {
		b, _ := json.Marshal(wire.TokenRequest{Name: "admin", Secret: secret})
		req, _ := http.NewRequest("POST", "https://"+addr.String()+"/v1/tokens", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(wire.HeaderAccount, "acme")
		return c.Do(req)
	}
	resp, err := token(pinned(fp[1], 0), pw[1])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || resp.ProtoMajor != 2 || resp.TLS.Version != tls.VersionTLS13 {
		t.Fatalf("token: %d over %s, TLS %x", resp.StatusCode, resp.Proto, resp.TLS.Version)
	}
	if resp, err := token(pinned(fp[1], 0), "wrong"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %v %v", resp, err)
	}
	if _, err := token(pinned(fp[1], tls.VersionTLS12), pw[1]); err == nil {
		t.Error("TLS 1.2 accepted without --tls12")
	}
	if _, err := token(pinned("sha256:00", 0), pw[1]); err == nil {
		t.Error("a client pinning another certificate went on")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	// The audit log holds init, the token and the refusal, and verifies.
	d, err := openData(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ak, _ := getSecret(d.vault, "audit-key")
	b, _ := os.ReadFile(filepath.Join(dir, "audit.log"))
	if n, err := audit.Verify(bytes.NewReader(b), ak); err != nil || n != 3 || bytes.Contains(b, []byte(pw[1])) {
		t.Fatalf("audit: %d entries, %v", n, err)
	}
}

// TestKeysAndAudit: after a rotation the server's secrets still open; the
// audit log verifies, and once changed, verify names the entry.
func TestKeysAndAudit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if status, _, errs := runFaxd("init", "--data", dir); status != 0 {
		t.Fatal(errs)
	}
	status, out, errs := runFaxd("keys", "rotate", "--data", dir)
	if status != 0 || !regexp.MustCompile(`master key 2: 4 data keys re-wrapped`).MatchString(out) {
		t.Fatalf("rotate: %d %q %q", status, out, errs)
	}
	d, err := openData(dir)
	if err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	d.Close()
	if _, err := os.Stat(filepath.Join(dir, "vault", "master", "1.key")); !os.IsNotExist(err) {
		t.Errorf("old master key: %v", err)
	}
	status, out, _ = runFaxd("audit", "verify", "--data", dir)
	if status != 0 || out != "audit log: 2 entries, chain intact\n" {
		t.Fatalf("verify: %d %q", status, out)
	}
	path := filepath.Join(dir, "audit.log")
	b, _ := os.ReadFile(path)
	os.WriteFile(path, bytes.Replace(b, []byte(`"outcome":"ok"`), []byte(`"outcome":"no"`), 1), 0o600)
	status, _, errs = runFaxd("audit", "verify", "--data", dir)
	if status != 1 || !regexp.MustCompile(`broken at line 1 \(entry 1\)`).MatchString(errs) {
		t.Fatalf("tampered: %d %q", status, errs)
	}
}
