package main

import (
	"bufio"
	"bytes"
	"context"
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

func startServer(t *testing.T, dir string) *serverProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--data", dir, "--listen", "127.0.0.1:0", "--lines", "+15550190,+15550191",
		"--tick", tick().String(), "--poll", "50ms")
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
