package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faxd/faxd/api/audit"
	"github.com/faxd/faxd/api/auth"
	"github.com/faxd/faxd/api/client"
	"github.com/faxd/faxd/api/server"
	"github.com/faxd/faxd/api/wire"
)

// TestMain lets the test binary run as faxd itself (FAXD_AS_MAIN=1), so
// that the tests can start a real server process and kill it.
func TestMain(m *testing.M) {
	if os.Getenv("FAXD_AS_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// tick is the media server's tick in the tests: 20 ms of audio every
// 2 ms (every 4 ms under the race detector).
func tick() time.Duration {
	if raceEnabled {
		return 4 * time.Millisecond
	}
	return 2 * time.Millisecond
}

// TestDemo: faxd demo sends a fax over HTTPS to its own number, fetches
// it back as a PDF, prints the two call records and leaves nothing
// behind.
func TestDemo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo.pdf")
	var w bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	before, _ := filepath.Glob(filepath.Join(os.TempDir(), "faxd-demo-*"))
	err := demo(ctx, demoOptions{out: out, period: tick(), log: io.Discard}, client.Document{Name: "letter.txt", Body: strings.NewReader(demoLetter)}, &w)
	if err != nil {
		t.Fatalf("%v\n%s", err, w.String())
	}
	t.Log("\n" + w.String())
	pdf, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("the PDF: %v", err)
	}
	for _, want := range []string{"sent, 1 of 1 pages confirmed", "received ", " in  ", " out  ", "V.17", "acknowledged"} {
		if !strings.Contains(w.String(), want) {
			t.Errorf("the demo did not print %q", want)
		}
	}
	after, _ := filepath.Glob(filepath.Join(os.TempDir(), "faxd-demo-*"))
	if len(after) > len(before) {
		t.Errorf("left %v", after)
	}
}

// serverProc is a faxd serve process on a data directory.
type serverProc struct {
	cmd  *exec.Cmd
	addr string
	fp   string
	out  *bytes.Buffer
}

func startServer(t *testing.T, dir string, extra ...string) *serverProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--data", dir, "--listen", "127.0.0.1:0", "--lines", "+15550190,+15550191",
		"--tick", tick().String(), "--poll", "50ms"}, extra...)...)
	cmd.Env = append(os.Environ(), "FAXD_AS_MAIN=1")
	stdout, _ := cmd.StdoutPipe()
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProc{cmd: cmd, out: &logs}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	m := regexp.MustCompile(`serving https://(\S+) \(certificate (\S+)\)`).FindStringSubmatch(line)
	if err != nil || m == nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the server did not start: %q %v\n%s", line, err, logs.String())
	}
	p.addr, p.fp = m[1], m[2]
	go io.Copy(io.Discard, stdout)
	return p
}

// TestKillMidQueue: a server killed with SIGKILL while it sends a queue
// of faxes, and started again, loses no fax and sends no confirmed page
// twice: every fax is sent, each recipient's attempts take up after the
// pages confirmed before, the attempt the kill cut is closed as stopped;
// after the faxes are final their documents (file and key) are gone
// from the vault, and the audit chain verifies.
func TestKillMidQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	dir := filepath.Join(t.TempDir(), "data")
	if status, _, errs := runFaxd("init", "--data", dir, "--account", "acme", "--numbers", "+15550100"); status != 0 {
		t.Fatal(errs)
	}
	secret := "e2e-sender-secret"
	d, err := openData(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = d.store.CreateCredential(context.Background(), auth.Credential{Account: "acme", Name: "e2e", Hash: auth.HashPassword(secret, auth.Params{MemoryKiB: 64, Time: 1, Threads: 1}),
		Roles: []auth.Role{auth.RoleSender, auth.RoleReceiver}, Kind: "api"})
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	p := startServer(t, dir)
	c, err := client.New(client.Config{URL: "https://" + p.addr, Account: "acme", Name: "e2e", Secret: secret, Fingerprint: p.fp})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// Three faxes of a few pages each, one at a time to the one number.
	pages := strings.Repeat("page\n"+strings.Repeat("\n", 60), 2)
	var ids []string
	for i := range 3 {
		f, err := c.Send(ctx, wire.FaxRequest{To: []string{"+15550100"}, Resolution: "standard"},
			client.Document{Name: "doc.txt", Body: strings.NewReader(fmt.Sprintf("fax %d\n%s", i, pages))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, f.ID)
	}
	// Kill it once the first fax has a page confirmed and not all.
	for {
		f, err := c.Fax(ctx, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		if n := f.Recipients[0].PagesSent; n >= 1 && n < f.Pages && f.State == client.StateSending {
			break
		}
		if client.Final(f.State) || ctx.Err() != nil {
			t.Fatalf("fax %s went %s before the kill", f.ID, f.State)
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	p = startServer(t, dir)
	defer func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.cmd.Wait()
	}()
	c, _ = client.New(client.Config{URL: "https://" + p.addr, Account: "acme", Name: "e2e", Secret: secret, Fingerprint: p.fp})
	for _, id := range ids {
		f, err := c.Wait(ctx, id, 50*time.Millisecond, nil)
		if err != nil {
			t.Fatalf("%s: %v\n%s", id, err, p.out.String())
		}
		rc := f.Recipients[0]
		if f.State != client.StateSent || f.Pages < 2 || rc.PagesSent != f.Pages {
			t.Errorf("%s: %s, %d of %d pages", id, f.State, rc.PagesSent, f.Pages)
		}
		next := 1
		for _, a := range rc.Attempts {
			if a.FirstPage != next {
				t.Errorf("%s: attempt %d starts at page %d, after %d confirmed", id, a.N, a.FirstPage, next-1)
			}
			next += a.PagesSent
		}
		if next != f.Pages+1 {
			t.Errorf("%s: attempts confirmed %d pages in all", id, next-1)
		}
		if id == ids[0] && (len(rc.Attempts) < 2 || rc.Attempts[0].Result != "stopped") {
			t.Errorf("the killed fax's attempts: %+v", rc.Attempts)
		}
	}
	// The documents are gone, file and key.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var left []string
		for _, sub := range []string{"keys", "objects"} {
			m, _ := filepath.Glob(filepath.Join(dir, "vault", sub, "doc_*"))
			left = append(left, m...)
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("documents left in the vault: %v", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("the server's exit: %v\n%s", err, p.out.String())
	}
	d, err = openData(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ak, _ := getSecret(d.vault, "audit-key")
	b, _ := os.ReadFile(filepath.Join(dir, "audit.log"))
	n, err := audit.Verify(bytes.NewReader(b), ak)
	if err != nil || !bytes.Contains(b, []byte(`"fax.destroy"`)) {
		t.Errorf("audit: %d entries, %v", n, err)
	}
	var calls int
	for _, id := range ids {
		j, _ := d.store.Job(context.Background(), "acme", id)
		for _, a := range j.Recipients[0].Attempts {
			if a.Call != "" {
				calls++
			}
		}
	}
	t.Logf("%d faxes sent over %d calls across a SIGKILL", len(ids), calls)
}

// TestFaxctlEndToEnd: over real HTTPS on loopback with faxctl as the
// client, against a faxd serve process: the admin's first login changes
// the one-time password, makes an API credential; with it a fax is sent
// and followed until sent, found in the inbox, fetched as a PDF and
// acknowledged; the call records show both calls.
func TestFaxctlEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds faxctl and runs a server process")
	}
	tmp := t.TempDir()
	faxctl := filepath.Join(tmp, "bin", "faxctl")
	if out, err := exec.Command("go", "build", "-o", faxctl, "github.com/faxd/faxd/cmd/faxctl").CombinedOutput(); err != nil {
		t.Fatalf("building faxctl: %v\n%s", err, out)
	}
	dir := filepath.Join(tmp, "data")
	// The post-quantum hybrid key: the client follows the server's suite.
	status, out, errs := runFaxd("init", "--data", dir, "--account", "acme", "--numbers", "+15550100", "--seal", "hybrid")
	pw := regexp.MustCompile(`admin password:  (\S+)`).FindStringSubmatch(out)
	if status != 0 || pw == nil {
		t.Fatal(errs)
	}
	p := startServer(t, dir)
	defer func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.cmd.Wait()
	}()
	env := []string{"FAXCTL_URL=https://" + p.addr, "FAXCTL_ACCOUNT=acme", "FAXCTL_FINGERPRINT=" + p.fp, "HOME=" + tmp, "XDG_CONFIG_HOME=" + tmp}
	ctl := func(name, secret string, args ...string) (string, string, int) {
		t.Helper()
		cmd := exec.Command(faxctl, args...)
		cmd.Env = append(env, "FAXCTL_NAME="+name, "FAXCTL_SECRET="+secret)
		cmd.Dir = tmp
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return o.String(), e.String(), code
	}
	must := func(name, secret string, args ...string) string {
		t.Helper()
		o, e, code := ctl(name, secret, args...)
		if code != 0 {
			t.Fatalf("faxctl %v: exit %d\n%s%s\nserver:\n%s", args, code, o, e, p.out.String())
		}
		return o
	}
	newpw := filepath.Join(tmp, "new-password")
	os.WriteFile(newpw, []byte("a new admin password\n"), 0o600)
	must("admin", pw[1], "login", "--new-password-file", newpw)
	if _, e, code := ctl("admin", pw[1], "list"); code != 1 {
		t.Errorf("the one-time password after the change: exit %d %s", code, e)
	}
	o := must("admin", "a new admin password", "admin", "credentials", "create", "app", "--role", "sender", "--role", "receiver", "--role", "auditor", "--json")
	secret := regexp.MustCompile(`"secret": *"([^"]+)"`).FindStringSubmatch(o)
	if secret == nil {
		t.Fatalf("no secret in %s", o)
	}
	letter := filepath.Join(tmp, "letter.txt")
	os.WriteFile(letter, []byte("faxd end to end\n\nDear Ms. Hansen,\nplease find enclosed...\n"), 0o600)
	o = must("app", secret[1], "send", "--to", "+1 555 0100", "--ident", "+1 555 0190", "--wait", "--poll", "100ms", letter)
	if !strings.Contains(o, "sent") {
		t.Errorf("send: %s", o)
	}
	var id string
	for deadline := time.Now().Add(20 * time.Second); id == ""; {
		o = must("app", secret[1], "inbox", "--json")
		if m := regexp.MustCompile(`"id": *"(rcv_[a-z0-9]+)"`).FindStringSubmatch(o); m != nil {
			id = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("inbox: %s", o)
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
	pdf := filepath.Join(tmp, "fax.pdf")
	must("app", secret[1], "fetch", id, "--format", "pdf", "-o", pdf)
	if b, err := os.ReadFile(pdf); err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("fetched: %v", err)
	}
	must("app", secret[1], "ack", id)
	if _, e, code := ctl("app", secret[1], "fetch", id, "-o", filepath.Join(tmp, "again.tiff")); code != 1 || !strings.Contains(e, "not_found") {
		t.Errorf("fetch after ack: %d %s", code, e)
	}
	o = must("app", secret[1], "calls")
	if strings.Count(o, " ok") < 2 || !strings.Contains(o, "V.17") {
		t.Errorf("calls:\n%s", o)
	}
}

// TestGivenCertificate: serve --cert/--key serves the certificate given,
// not the data directory's.
func TestGivenCertificate(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "data")
	if status, _, errs := runFaxd("init", "--data", dir); status != 0 {
		t.Fatal(errs)
	}
	certPEM, keyDER, err := server.SelfSigned([]string{"fax.example.com", "127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(tmp, "cert.pem"), filepath.Join(tmp, "key.pem")
	os.WriteFile(certFile, certPEM, 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	given, _ := server.KeyPair(certPEM, keyDER)
	if status, _, errs := runFaxd("serve", "--data", dir, "--cert", certFile, "--key", certFile); status != 2 || !strings.Contains(errs, "--cert and --key") {
		t.Errorf("a bad key: %d %q", status, errs)
	}
	p := startServer(t, dir, "--cert", certFile, "--key", keyFile)
	defer func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.cmd.Wait()
	}()
	if p.fp != server.Fingerprint(given) {
		t.Errorf("serving %s, not the certificate given (%s)", p.fp, server.Fingerprint(given))
	}
}
