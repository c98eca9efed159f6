package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/faxd/faxd/api/client"
	"github.com/faxd/faxd/api/client/clienttest"
)

// harness runs faxctl with its surroundings made up: the environment,
// which of stdin, stdout and stderr are terminals, and the answers to
// password prompts.
type harness struct {
	t         *testing.T
	env       map[string]string
	stdin     string
	terminal  map[string]bool // "stdin", "stdout", "stderr"
	passwords []string        // answers to prompts, in order
	prompts   []string        // the prompts asked
}

type result struct {
	code           int
	stdout, stderr string
}

func newHarness(t *testing.T, env map[string]string) *harness {
	h := &harness{t: t, env: map[string]string{"XDG_CONFIG_HOME": t.TempDir(), "HOME": t.TempDir()}, terminal: map[string]bool{}}
	for k, v := range env {
		h.env[k] = v
	}
	return h
}

// forServer: the environment for the real server, as name with secret.
func forServer(t *testing.T, s *clienttest.Server, name, secret string) *harness {
	return newHarness(t, map[string]string{"FAXCTL_URL": s.URL, "FAXCTL_ACCOUNT": clienttest.Account, "FAXCTL_NAME": name, "FAXCTL_SECRET": secret, "FAXCTL_FINGERPRINT": s.Fingerprint})
}

func forFake(t *testing.T, f *clienttest.Fake, name, secret string) *harness {
	return newHarness(t, map[string]string{"FAXCTL_URL": f.URL, "FAXCTL_ACCOUNT": clienttest.Account, "FAXCTL_NAME": name, "FAXCTL_SECRET": secret, "FAXCTL_FINGERPRINT": f.Fingerprint})
}

func (h *harness) run(args ...string) result {
	h.t.Helper()
	var out, errb bytes.Buffer
	in := strings.NewReader(h.stdin)
	c := &cli{ctx: context.Background(), stdin: in, stdout: &out, stderr: &errb, getenv: func(k string) string { return h.env[k] }}
	c.isTerminal = func(v any) bool {
		switch v {
		case c.stdin:
			return h.terminal["stdin"]
		case c.stdout:
			return h.terminal["stdout"]
		case c.stderr:
			return h.terminal["stderr"]
		}
		return false
	}
	c.readPassword = func(prompt string) (string, error) {
		h.prompts = append(h.prompts, prompt)
		if len(h.passwords) == 0 {
			return "", errNoTerminal
		}
		p := h.passwords[0]
		h.passwords = h.passwords[1:]
		return p, nil
	}
	code := c.main(args)
	return result{code, out.String(), errb.String()}
}

// must runs and wants exit status 0.
func (h *harness) must(args ...string) result {
	h.t.Helper()
	r := h.run(args...)
	if r.code != 0 {
		h.t.Fatalf("faxctl %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// fails runs and wants exit status code and stderr holding want.
func (h *harness) fails(code int, want string, args ...string) result {
	h.t.Helper()
	r := h.run(args...)
	if r.code != code || !strings.Contains(r.stderr, want) {
		h.t.Errorf("faxctl %s: exit %d, stderr %q; want exit %d and %q", strings.Join(args, " "), r.code, r.stderr, code, want)
	}
	return r
}

func decodeJSON[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	if dec.More() {
		t.Fatalf("more than one JSON document:\n%s", s)
	}
	return v
}

func writeFile(t *testing.T, name string, b []byte) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pngFile(t *testing.T) string {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)))
	return writeFile(t, "dot.png", b.Bytes())
}

// TestRun: main's wiring, through the real run.
func TestRun(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"help"}, strings.NewReader(""), &out, &errb, func(string) string { return "" }); code != 0 || !strings.Contains(out.String(), "faxctl send --to NUMBER") {
		t.Errorf("help: %d %s", code, out.String())
	}
	out.Reset()
	if code := run(nil, strings.NewReader(""), &out, &errb, func(string) string { return "" }); code != 2 || !strings.Contains(errb.String(), "usage:") || out.Len() > 0 {
		t.Errorf("no command: %d %q", code, errb.String())
	}
}

// TestUsage: command lines that do not parse exit 2 with the command's
// synopsis, before anything is sent.
func TestUsage(t *testing.T) {
	h := newHarness(t, map[string]string{"FAXCTL_URL": "https://127.0.0.1:1", "FAXCTL_ACCOUNT": "a", "FAXCTL_NAME": "n", "FAXCTL_SECRET": "s"})
	h.fails(2, `unknown command "frobnicate"`, "frobnicate")
	h.fails(2, `unknown command "admin users"`, "admin", "users")
	h.fails(2, "faxctl: send: --to is required\nusage: faxctl send --to NUMBER", "send", "a.pdf")
	h.fails(2, "faxctl: send: no document", "send", "--to", "+15550100")
	h.fails(2, "faxctl: send: --not-before", "send", "--to", "+15550100", "--not-before", "tomorrow", "a.pdf")
	h.fails(2, "flag provided but not defined: -colour", "send", "--colour", "a.pdf")
	h.fails(2, "faxctl: status: one ID", "status")
	h.fails(2, "faxctl: status: one ID", "status", "a", "b")
	h.fails(2, `--format "png"`, "fetch", "rcv_1", "--format", "png")
	h.fails(2, "--json writes JSON on stdout", "fetch", "rcv_1", "--json")
	h.fails(2, "--direction", "calls", "--direction", "up")
	h.fails(2, `"rename"`, "admin", "credentials", "rename", "x")
	h.fails(2, "at least one --role", "admin", "credentials", "create", "x")
	h.fails(2, "set: at least one number", "admin", "numbers", "set")
	h.fails(2, "URL", "--url", "http://127.0.0.1:1", "list")
	r := h.must("help", "send")
	if !strings.Contains(r.stdout, "usage: faxctl send --to") || !strings.Contains(r.stdout, "--fingerprint") {
		t.Errorf("help send: %s", r.stdout)
	}
	r = h.must("send", "-h")
	if !strings.Contains(r.stdout, "-max-rate") || !strings.Contains(r.stdout, "-json") {
		t.Errorf("send -h: %s", r.stdout)
	}
	bare := newHarness(t, nil)
	bare.fails(2, "no --url, --account, --name", "list")
	bare.fails(2, "no --name", "--url", "https://h", "--account", "a", "list")
}

// TestFaxes: send (with progress on a terminal), status, list page by
// page and whole, cancel, against the real server; human and JSON output;
// the API's errors on one line.
func TestFaxes(t *testing.T) {
	s := clienttest.NewServer(t, clienttest.Options{})
	h := forServer(t, s, clienttest.SenderName, clienttest.SenderSecret)
	txt := writeFile(t, "letter.txt", []byte("Dear Ms. Hansen,\nplease find enclosed...\n"))
	h.terminal["stderr"] = true
	r := h.must("send", "--to", "+1 555 0100", "--to", "+15550101", "--header", "ACME Bank", "--no-ecm", "--priority", "7", "--attempts", "2", txt, pngFile(t), "--json")
	if !strings.Contains(r.stderr, "upload 100% [==============================]") {
		t.Errorf("no progress bar: %q", r.stderr)
	}
	f := decodeJSON[client.Fax](t, r.stdout)
	if f.State != client.StateQueued || f.Documents != 2 || len(f.To) != 2 || f.To[0] != "+15550100" || f.Priority != 7 {
		t.Fatalf("sent: %+v", f)
	}
	h.terminal["stderr"] = false
	r = h.must("send", "--to", "+15550102", txt)
	if r.stderr != "" || !strings.Contains(r.stdout, "state       queued") || !strings.Contains(r.stdout, "priority    5") {
		t.Errorf("sent, human: %q %q", r.stdout, r.stderr)
	}
	h.stdin = "from stdin\n"
	// --priority 0 is the lowest, not the default.
	if low := decodeJSON[client.Fax](t, h.must("--json", "send", "--to", "+15550103", "--priority", "0", "-").stdout); low.Priority != 0 {
		t.Errorf("--priority 0: %+v", low)
	}
	r = h.must("status", f.ID)
	for _, want := range []string{"fax         " + f.ID, "state       queued", "to          +15550100, +15550101", "documents   2", "priority    7"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}
	r = h.must("list", "--limit", "2")
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[0], "ID ") || !strings.Contains(r.stderr, "more: --after ") {
		t.Errorf("list a page: %q %q", r.stdout, r.stderr)
	}
	next := strings.Fields(r.stderr)[2]
	r = h.must("list", "--limit", "2", "--after", next, "--json")
	if p := decodeJSON[client.FaxPage](t, r.stdout); len(p.Faxes) != 1 || p.Faxes[0].ID != f.ID || p.Next != "" {
		t.Errorf("the last page: %+v", p)
	}
	r = h.must("list", "--all", "--limit", "1", "--json")
	if p := decodeJSON[client.FaxPage](t, r.stdout); len(p.Faxes) != 3 {
		t.Errorf("all: %+v", p)
	}
	r = h.must("cancel", f.ID)
	if r.stdout != f.ID+" canceled; its documents are destroyed\n" {
		t.Errorf("cancel: %q", r.stdout)
	}
	h.fails(1, "faxctl: cancel: wrong_state: only a fax waiting for a call can be canceled (it is final, or a call is in progress)\n", "cancel", f.ID)
	r = h.must("list", "--state", "canceled")
	if !strings.Contains(r.stdout, f.ID) || strings.Count(r.stdout, "\n") != 2 {
		t.Errorf("canceled: %q", r.stdout)
	}
	h.fails(1, "faxctl: send: bad_request: invalid fax request: number \"5550100\" is not in E.164 form", "send", "--to", "5550100", txt)
	h.fails(1, "faxctl: status: not_found: no such fax\n", "status", "fax_nosuch")
	h.fails(1, "no such file", "send", "--to", "+15550100", "/nonexistent/letter.pdf")
	h.env["FAXCTL_SECRET"] = "wrong"
	h.fails(1, "faxctl: list: unauthorized: wrong name or secret\n", "list")
	h.env["FAXCTL_FINGERPRINT"] = "sha256:" + strings.Repeat("00", 32)
	h.fails(1, "not the pinned one", "list")
}

// TestSecrets: the secret from --secret-file, FAXCTL_SECRET or a prompt
// on the terminal, and none when there is no terminal.
func TestSecrets(t *testing.T) {
	s := clienttest.NewServer(t, clienttest.Options{})
	h := forServer(t, s, clienttest.SenderName, "")
	h.fails(1, "no secret: give --secret-file, set FAXCTL_SECRET, or run on a terminal", "list")
	h.terminal["stdin"] = true
	h.passwords = []string{clienttest.SenderSecret}
	h.must("list")
	if len(h.prompts) != 1 || h.prompts[0] != "secret of sender in acme: " {
		t.Errorf("prompts: %q", h.prompts)
	}
	h.terminal["stdin"] = false
	file := writeFile(t, "secret", []byte(clienttest.SenderSecret+"\n"))
	h.env["FAXCTL_SECRET"] = "not this one"
	h.must("list", "--secret-file", file)
	h.fails(1, "no such file", "list", "--secret-file", file+".nope")
}

// TestLoginSave: login checks the credential and keeps the settings
// (0600, no secret) for the commands after; a secret put in the file is
// refused.
func TestLoginSave(t *testing.T) {
	s := clienttest.NewServer(t, clienttest.Options{})
	h := newHarness(t, map[string]string{"FAXCTL_SECRET": clienttest.SenderSecret})
	r := h.must("login", "--url", s.URL, "--account", clienttest.Account, "--name", clienttest.SenderName, "--fingerprint", s.Fingerprint, "--save")
	path := filepath.Join(h.env["XDG_CONFIG_HOME"], "faxctl", "config.json")
	if !strings.Contains(r.stdout, "logged in to "+s.URL+" as sender (account acme), roles sender") || !strings.Contains(r.stdout, "settings saved to "+path) {
		t.Errorf("login: %q", r.stdout)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("config: %v %v", st, err)
	}
	b, _ := os.ReadFile(path)
	if bytes.Contains(b, []byte(clienttest.SenderSecret)) || !bytes.Contains(b, []byte(s.Fingerprint)) {
		t.Errorf("config holds: %s", b)
	}
	r = h.must("list", "--json")
	if p := decodeJSON[client.FaxPage](t, r.stdout); p.Faxes == nil {
		t.Errorf("list with the saved settings: %q", r.stdout)
	}
	r = h.must("login", "--json")
	v := decodeJSON[map[string]any](t, r.stdout)
	if v["name"] != "sender" || v["password_changed"] != false || strings.Contains(r.stdout, "fxt1.") {
		t.Errorf("login --json: %s", r.stdout)
	}
	os.WriteFile(path, append(b[:len(b)-2], []byte(`,"secret":"x"}`)...), 0o600)
	h.fails(1, `unknown field "secret"`, "list")
	other := filepath.Join(t.TempDir(), "nope.json")
	h.fails(1, "config:", "list", "--config", other)
}

// TestLoginPasswordChange: a one-time password is changed at login, asked
// twice or read from a file.
func TestLoginPasswordChange(t *testing.T) {
	f := clienttest.NewFake(t)
	h := forFake(t, f, clienttest.FirstName, clienttest.FirstPassword)
	h.fails(1, "the password is one-time and must be changed", "login")
	h.terminal["stdin"] = true
	h.passwords = []string{"a new password 1", "a new password 2"}
	h.fails(1, "the two new passwords differ", "login")
	h.passwords = []string{"a new password 1", "a new password 1"}
	r := h.must("login")
	if !strings.Contains(r.stdout, "password changed") || f.Password(clienttest.FirstName) != "a new password 1" || !strings.Contains(r.stderr, "one-time") {
		t.Errorf("login: %q %q", r.stdout, r.stderr)
	}
	if len(h.prompts) != 4 || h.prompts[3] != "new password again: " {
		t.Errorf("prompts: %q", h.prompts)
	}
	// A script changes it from a file.
	h.terminal["stdin"] = false
	h.env["FAXCTL_SECRET"] = "a new password 1"
	file := writeFile(t, "new", []byte("the third password\n"))
	r = h.must("login", "--new-password-file", file, "--json")
	if v := decodeJSON[map[string]any](t, r.stdout); v["password_changed"] != true || f.Password(clienttest.FirstName) != "the third password" {
		t.Errorf("from a file: %s", r.stdout)
	}
	h.env["FAXCTL_SECRET"] = "the third password"
	h.fails(1, "faxctl: login: password change: bad_request:", "login", "--new-password-file", writeFile(t, "short", []byte("short\n")))
}

// TestSendWait: --wait follows the fax on a live line and exits 0 only
// when it was sent.
func TestSendWait(t *testing.T) {
	f := clienttest.NewFake(t)
	h := forFake(t, f, clienttest.SenderName, clienttest.SenderSecret)
	doc := writeFile(t, "a.txt", []byte("hello\n"))
	h.terminal["stderr"] = true
	r := h.must("send", "--to", "+15550100", "--wait", "--poll", "1ms", doc)
	if !strings.Contains(r.stderr, "\r\x1b[Kfax_new1 sending, 2 pages; +15550100 sending (attempt 1)") || !strings.Contains(r.stderr, "retry at") || !strings.Contains(r.stderr, "fax_new1 sent, 2 pages; +15550100 sent (attempt 2: ok)\n") {
		t.Errorf("live line: %q", r.stderr)
	}
	for _, want := range []string{"state       sent", "RECIPIENT", "+15550100  sent   2/2", "busy", "ok"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("final status lacks %q:\n%s", want, r.stdout)
		}
	}
	h.terminal["stderr"] = false
	r = h.fails(1, "faxctl: send: fax_new2 ended partial\n", "send", "--to", "+15550100", "--to", clienttest.FailNumber, "--wait", "--poll", "1ms", "--json", doc)
	if fx := decodeJSON[client.Fax](t, r.stdout); fx.State != client.StatePartial || len(fx.Recipients) != 2 || fx.Recipients[1].Attempts[1].Result != client.ResultNoAnswer {
		t.Errorf("partial: %+v", fx)
	}
	if strings.Contains(r.stderr, "\r") {
		t.Errorf("a live line off a terminal: %q", r.stderr)
	}
	r = h.must("status", clienttest.FaxID, "--json")
	if fx := decodeJSON[client.Fax](t, r.stdout); fx.Pages != 2 || fx.Recipients[0].Attempts[0].Call == "" {
		t.Errorf("extended status: %+v", fx)
	}
}

// TestInbox: the inbox listed and read, an image fetched (never onto a
// terminal), acknowledged and then gone.
func TestInbox(t *testing.T) {
	f := clienttest.NewFake(t)
	h := forFake(t, f, clienttest.ReceiverName, clienttest.ReceiverSecret)
	r := h.must("inbox")
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[1], "rcv_3 ") || !strings.Contains(lines[2], "no") {
		t.Errorf("inbox: %q", r.stdout)
	}
	r = h.must("inbox", "--number", "+15550101", "--json")
	if p := decodeJSON[client.InboxPage](t, r.stdout); len(p.Faxes) != 1 || p.Faxes[0].ID != "rcv_2" {
		t.Errorf("by number: %s", r.stdout)
	}
	r = h.must("inbox", "--all", "--limit", "1", "--json")
	if p := decodeJSON[map[string][]client.InboxEntry](t, r.stdout); len(p["faxes"]) != 3 {
		t.Errorf("all: %s", r.stdout)
	}
	r = h.must("inbox", "rcv_1")
	if !strings.Contains(r.stdout, "+1 555 0199") {
		t.Errorf("one: %q", r.stdout)
	}
	h.terminal["stdout"] = true
	h.fails(2, "refusing to write image bytes to a terminal", "fetch", "rcv_1")
	if f.Count("GET", "/v1/inbox/rcv_1/image", 0) != 0 {
		t.Error("fetched for a terminal")
	}
	h.terminal["stdout"] = false
	r = h.must("fetch", "rcv_1")
	if r.stdout != string(clienttest.FakeTIFF) {
		t.Errorf("tiff on stdout: %q", r.stdout)
	}
	out := filepath.Join(t.TempDir(), "rcv_1.pdf")
	h.terminal["stdout"] = true
	r = h.must("fetch", "rcv_1", "--format", "pdf", "-o", out)
	if b, _ := os.ReadFile(out); !bytes.Equal(b, clienttest.FakePDF) || !strings.Contains(r.stdout, "application/pdf written to "+out) {
		t.Errorf("pdf to a file: %q", r.stdout)
	}
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("image file mode: %v %v", st, err)
	}
	r = h.must("ack", "rcv_1", "--json")
	if e := decodeJSON[client.InboxEntry](t, r.stdout); e.Acknowledged == nil {
		t.Errorf("ack: %s", r.stdout)
	}
	h.fails(1, "faxctl: fetch: not_found: no such image\n", "fetch", "rcv_1", "-o", out)
	r = h.must("ack", "rcv_2")
	if !strings.HasPrefix(r.stdout, "rcv_2 acknowledged at ") {
		t.Errorf("ack: %q", r.stdout)
	}
	h.fails(1, "faxctl: calls: forbidden:", "calls")
}

// TestCalls: call records as a table and as JSON.
func TestCalls(t *testing.T) {
	f := clienttest.NewFake(t)
	h := forFake(t, f, clienttest.AuditorName, clienttest.AuditorSecret)
	r := h.must("calls", "--direction", "out")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID ") || !strings.Contains(lines[2], "1m10s") || !strings.Contains(lines[2], "V.17") || !strings.Contains(lines[2], clienttest.FaxID) {
		t.Errorf("calls: %q", r.stdout)
	}
	r = h.must("calls", "--all", "--limit", "2", "--json")
	if p := decodeJSON[map[string][]client.CallRecord](t, r.stdout); len(p["calls"]) != 3 || p["calls"][1].Inbox != "rcv_1" {
		t.Errorf("all: %s", r.stdout)
	}
}

// TestAdmin: credentials and network rules on the real server; numbers
// and the webhook secret on the fake.
func TestAdmin(t *testing.T) {
	s := clienttest.NewServer(t, clienttest.Options{})
	h := forServer(t, s, clienttest.AdminName, clienttest.AdminPassword)
	r := h.must("admin", "credentials", "create", "billing", "--role", "receiver", "--role", "auditor", "--json")
	v := decodeJSON[map[string]any](t, r.stdout)
	if v["name"] != "billing" || v["secret"] == "" || v["kind"] != "api" {
		t.Errorf("create: %s", r.stdout)
	}
	r = h.must("admin", "credentials", "create", "ops", "--role", "sender")
	if !strings.Contains(r.stdout, "credential ops made, roles sender\nsecret: ") || !strings.Contains(r.stderr, "shown this once") {
		t.Errorf("create, human: %q %q", r.stdout, r.stderr)
	}
	h.fails(1, "faxctl: admin credentials: bad_request:", "admin", "credentials", "create", "root", "--role", "admin")
	r = h.must("admin", "credentials", "create", "root", "--role", "admin", "--user")
	if !strings.Contains(r.stdout, "user root made, roles admin\none-time password: ") {
		t.Errorf("create a user: %q", r.stdout)
	}
	h.fails(2, "--role and --user are for create", "admin", "credentials", "delete", "root", "--user")
	h.must("admin", "credentials", "delete", "root")
	r = h.must("admin", "credentials")
	if !regexp.MustCompile(`(?m)^billing +api +receiver,auditor +\d{4}-`).MatchString(r.stdout) || !strings.HasPrefix(r.stdout, "NAME ") {
		t.Errorf("list: %q", r.stdout)
	}
	h.must("admin", "credentials", "delete", "billing")
	r = h.must("admin", "credentials", "list", "--json")
	if l := decodeJSON[map[string][]map[string]any](t, r.stdout); len(l["credentials"]) != 5 {
		t.Errorf("list after delete: %s", r.stdout)
	}
	r = h.must("admin", "network-rules", "set", "127.0.0.1,", "192.0.2.0/24")
	if r.stdout != "127.0.0.1/32, 192.0.2.0/24\n" {
		t.Errorf("set rules: %q", r.stdout)
	}
	r = h.must("admin", "network-rules", "--json")
	if v := decodeJSON[map[string]string](t, r.stdout); v["rules"] != "127.0.0.1/32, 192.0.2.0/24" {
		t.Errorf("rules: %s", r.stdout)
	}
	h.fails(1, "faxctl: admin network-rules: wrong_state: the new rules would shut out", "admin", "network-rules", "set", "192.0.2.0/24")
	sender := forServer(t, s, clienttest.SenderName, clienttest.SenderSecret)
	sender.fails(1, "faxctl: admin credentials: forbidden: admin.manage is not allowed for this credential\n", "admin", "credentials")

	f := clienttest.NewFake(t)
	h = forFake(t, f, clienttest.AdminName, clienttest.AdminPassword)
	r = h.must("admin", "numbers")
	if r.stdout != "+15550100\n+15550101\n" {
		t.Errorf("numbers: %q", r.stdout)
	}
	r = h.must("admin", "numbers", "set", "+1 555 0102", "+15550103")
	if r.stdout != "+15550102\n+15550103\n" {
		t.Errorf("set numbers: %q", r.stdout)
	}
	r = h.must("admin", "numbers", "clear", "--json")
	if r.stdout != "{\n  \"numbers\": []\n}\n" {
		t.Errorf("clear: %q", r.stdout)
	}
	h.fails(1, "faxctl: admin numbers: bad_request:", "admin", "numbers", "set", "12345")
	r = h.must("admin", "webhook-secret", "--json")
	if v := decodeJSON[map[string]string](t, r.stdout); v["secret"] != f.WebhookSecret() {
		t.Errorf("webhook secret: %s", r.stdout)
	}
}

func TestReadLine(t *testing.T) {
	for in, want := range map[string]string{"abc\ndef": "abc", "abc\r\n": "abc", "abc": "abc", "\n": ""} {
		r := strings.NewReader(in)
		got, err := readLine(r)
		if err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	if _, err := readLine(strings.NewReader("")); err != io.ErrUnexpectedEOF {
		t.Errorf("empty: %v", err)
	}
}

// TestPinFollowsURL: the config file's fingerprint is the config file's
// server's; another URL given goes without it, or with its own.
func TestPinFollowsURL(t *testing.T) {
	s := clienttest.NewServer(t, clienttest.Options{})
	h := newHarness(t, map[string]string{"FAXCTL_SECRET": clienttest.SenderSecret})
	path := filepath.Join(h.env["XDG_CONFIG_HOME"], "faxctl", "config.json")
	os.MkdirAll(filepath.Dir(path), 0o700)
	os.WriteFile(path, []byte(`{"url":"https://127.0.0.1:1","account":"acme","name":"sender","fingerprint":"sha256:`+strings.Repeat("00", 32)+`"}`), 0o600)
	c := &cli{getenv: func(k string) string { return h.env[k] }}
	c.g.url = s.URL
	st, err := c.settings()
	if err != nil || st.Fingerprint != "" || st.URL != s.URL || st.Name != "sender" {
		t.Errorf("another URL: %+v %v", st, err)
	}
	h.must("list", "--url", s.URL, "--fingerprint", s.Fingerprint)
	h.fails(1, "not the pinned one", "list", "--url", s.URL, "--fingerprint", "sha256:"+strings.Repeat("00", 32))
}
