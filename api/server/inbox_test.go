package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/faxd/faxd/api/store"
	"github.com/faxd/faxd/api/wire"
	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/tiff"
)

// faxTIFF is a received fax as the dispatcher keeps it: two MMR pages.
func faxTIFF(t *testing.T) []byte {
	t.Helper()
	pages, err := document.RenderText([]byte("received fax\n\nfor the inbox test\n"), &document.Options{PageLength: 40, Resolution: document.Standard})
	if err != nil {
		t.Fatal(err)
	}
	pages = append(pages, pages[0])
	var b bytes.Buffer
	tw, _ := tiff.NewWriter(&b, tiff.Options{})
	for _, p := range pages {
		pw, err := tw.AddPage(tiff.PageSpec{Width: p.Width, Coding: tiff.MMR, Resolution: tiff.Resolution{X: float64(p.XRes), Y: float64(p.YRes)}})
		if err != nil {
			t.Fatal(err)
		}
		for y := range p.Rows {
			pw.WriteRow(p.Row(y))
		}
		pw.Close()
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestInbox: a receiver lists, reads and fetches (sealed, TIFF and PDF)
// its account's received faxes and acknowledges one, which destroys its
// image; another account and another role see nothing; the auditor reads
// the call records.
func TestInbox(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	img := faxTIFF(t)
	var ids []string
	for i := range 3 {
		obj := "img_test" + string(rune('a'+i))
		if _, err := f.v.Put(obj, bytes.NewReader(img)); err != nil {
			t.Fatal(err)
		}
		e, err := f.st.AddInbox(ctx, store.InboxEntry{Account: "acme", Number: "+15550100", RemoteIdent: "+1 555 0199", Pages: 2, Received: time.Now(), Complete: true, Object: obj},
			store.CallRecord{Account: "acme", Direction: "in", Local: "+15550100", Started: time.Now(), Ended: time.Now(), Pages: 2, Rate: 14400, Modem: "V.17", ECM: true, Result: "ok"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	rd := f.token("acme", "inbox", "r3ad")
	resp, b := f.do("GET", "/v1/inbox?limit=2", "acme", rd, "", nil, nil)
	var list wire.InboxList
	json.Unmarshal(b, &list)
	if resp.StatusCode != 200 || len(list.Faxes) != 2 || list.Next == "" || list.Faxes[0].ID != ids[2] || list.Faxes[0].Pages != 2 || list.Faxes[0].Acknowledged != nil {
		t.Fatalf("list: %d %s", resp.StatusCode, b)
	}
	_, b = f.do("GET", "/v1/inbox?limit=2&after="+list.Next, "acme", rd, "", nil, nil)
	list = wire.InboxList{}
	json.Unmarshal(b, &list)
	if len(list.Faxes) != 1 || list.Faxes[0].ID != ids[0] || list.Next != "" {
		t.Fatalf("page two: %s", b)
	}
	if resp, b := f.do("GET", "/v1/inbox/"+ids[0], "acme", rd, "", nil, nil); resp.StatusCode != 200 || !strings.Contains(string(b), ids[0]) {
		t.Errorf("get: %d %s", resp.StatusCode, b)
	}
	// The image only sealed.
	if resp, b := f.do("GET", "/v1/inbox/"+ids[0]+"/image", "acme", rd, "", nil, nil); resp.StatusCode != 400 || errCode(t, b) != wire.CodeSealRequired {
		t.Errorf("unsealed fetch: %d %s", resp.StatusCode, b)
	}
	c := f.openSession("acme", rd)
	status, ct, body := f.sealedDo(c, "acme", rd, "GET", "/v1/inbox/"+ids[0]+"/image", "", nil)
	if status != 200 || ct != "image/tiff" || !bytes.Equal(body, img) {
		t.Fatalf("tiff: %d %q %d octets", status, ct, len(body))
	}
	status, ct, body = f.sealedDo(c, "acme", rd, "GET", "/v1/inbox/"+ids[0]+"/image?format=pdf", "", nil)
	if status != 200 || ct != "application/pdf" || !bytes.HasPrefix(body, []byte("%PDF-")) || bytes.Count(body, []byte("/Type /Page\n"))+bytes.Count(body, []byte("/Type /Page ")) == 0 && bytes.Count(body, []byte("/Type/Page")) == 0 {
		t.Fatalf("pdf: %d %q %.40s", status, ct, body)
	}
	if status, _, body := f.sealedDo(c, "acme", rd, "GET", "/v1/inbox/"+ids[0]+"/image?format=png", "", nil); status != 400 || errCode(t, body) != wire.CodeBadRequest {
		t.Errorf("png: %d %s", status, body)
	}
	// Another account, another role.
	beta := f.token("beta", "inbox", "b3ta")
	if resp, b := f.do("GET", "/v1/inbox/"+ids[0], "beta", beta, "", nil, nil); resp.StatusCode != 404 {
		t.Errorf("beta reads acme's fax: %d %s", resp.StatusCode, b)
	}
	if resp, b := f.do("POST", "/v1/inbox/"+ids[0]+"/ack", "beta", beta, "", nil, nil); resp.StatusCode != 404 {
		t.Errorf("beta acknowledges acme's fax: %d %s", resp.StatusCode, b)
	}
	sender := f.token("acme", "sender", "s3cret")
	if resp, b := f.do("GET", "/v1/inbox", "acme", sender, "", nil, nil); resp.StatusCode != 403 || errCode(t, b) != wire.CodeForbidden {
		t.Errorf("a sender reads the inbox: %d %s", resp.StatusCode, b)
	}
	// Acknowledged: destroyed, the entry kept.
	resp, b = f.do("POST", "/v1/inbox/"+ids[0]+"/ack", "acme", rd, "", nil, nil)
	var e wire.InboxEntry
	json.Unmarshal(b, &e)
	if resp.StatusCode != 200 || e.Acknowledged == nil {
		t.Fatalf("ack: %d %s", resp.StatusCode, b)
	}
	if f.v.Exists("img_testa") {
		t.Error("the image outlived its acknowledgement")
	}
	if status, _, body := f.sealedDo(c, "acme", rd, "GET", "/v1/inbox/"+ids[0]+"/image", "", nil); status != 404 || errCode(t, body) != wire.CodeNotFound {
		t.Errorf("fetch after ack: %d %s", status, body)
	}
	if resp, _ := f.do("POST", "/v1/inbox/"+ids[0]+"/ack", "acme", rd, "", nil, nil); resp.StatusCode != 200 {
		t.Errorf("ack twice: %d", resp.StatusCode)
	}
	// Call records: the auditor's, not the receiver's.
	aud := f.token("acme", "auditor", "aud")
	resp, b = f.do("GET", "/v1/calls?direction=in", "acme", aud, "", nil, nil)
	var calls wire.CallList
	json.Unmarshal(b, &calls)
	if resp.StatusCode != 200 || len(calls.Calls) != 3 || calls.Calls[0].Inbox != ids[2] || calls.Calls[0].Modem != "V.17" {
		t.Fatalf("calls: %d %s", resp.StatusCode, b)
	}
	if resp, _ := f.do("GET", "/v1/calls?direction=sideways", "acme", aud, "", nil, nil); resp.StatusCode != 400 {
		t.Errorf("bad direction: %d", resp.StatusCode)
	}
	if resp, _ := f.do("GET", "/v1/calls", "acme", rd, "", nil, nil); resp.StatusCode != 403 {
		t.Errorf("a receiver reads the call records: %d", resp.StatusCode)
	}
	for _, want := range []string{`"inbox.fetch"`, `"inbox.ack"`} {
		if log := readFile(t, f.audit); !strings.Contains(log, want) {
			t.Errorf("no %s in the audit log", want)
		}
	}
}

// TestOneTimePassword: a one-time password's token is good for the
// password change alone; the change takes the current password again
// and a new one long enough; after it the login is an ordinary one.
func TestOneTimePassword(t *testing.T) {
	f := newFixture(t)
	b, _ := json.Marshal(wire.TokenRequest{Name: "fresh", Secret: "one-time"})
	resp, body := f.do("POST", "/v1/tokens", "acme", "", "application/json", b, nil)
	var tr wire.TokenResponse
	json.Unmarshal(body, &tr)
	if resp.StatusCode != 201 || !tr.ChangeRequired {
		t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	if resp, b := f.do("GET", "/v1/admin/credentials", "acme", tr.Token, "", nil, nil); resp.StatusCode != 403 || errCode(t, b) != wire.CodeChangePassword {
		t.Errorf("admin with a one-time password: %d %s", resp.StatusCode, b)
	}
	if resp, b := f.do("POST", "/v1/seal/sessions", "acme", tr.Token, "application/octet-stream", []byte("x"), nil); resp.StatusCode != 403 || errCode(t, b) != wire.CodeChangePassword {
		t.Errorf("a session with a one-time password: %d %s", resp.StatusCode, b)
	}
	change := func(tok, cur, next string) (*http.Response, []byte) {
		b, _ := json.Marshal(wire.PasswordChange{Secret: cur, NewSecret: next})
		return f.do("POST", "/v1/password", "acme", tok, "application/json", b, nil)
	}
	if resp, b := change(tr.Token, "wrong", "a long new password"); resp.StatusCode != 401 {
		t.Errorf("wrong current: %d %s", resp.StatusCode, b)
	}
	if resp, b := change(tr.Token, "one-time", "short"); resp.StatusCode != 400 {
		t.Errorf("too short: %d %s", resp.StatusCode, b)
	}
	if resp, b := change(tr.Token, "one-time", "a long new password"); resp.StatusCode != 200 {
		t.Fatalf("change: %d %s", resp.StatusCode, b)
	}
	b, _ = json.Marshal(wire.TokenRequest{Name: "fresh", Secret: "a long new password"})
	resp, body = f.do("POST", "/v1/tokens", "acme", "", "application/json", b, nil)
	json.Unmarshal(body, &tr)
	if resp.StatusCode != 201 || tr.ChangeRequired {
		t.Fatalf("token after the change: %d %s", resp.StatusCode, body)
	}
	if resp, b := f.do("GET", "/v1/admin/credentials", "acme", tr.Token, "", nil, nil); resp.StatusCode != 200 {
		t.Errorf("admin after the change: %d %s", resp.StatusCode, b)
	}
	if tok := f.token("acme", "fresh", "a long new password"); tok == "" {
		t.Error("no token")
	}
	// API credentials get new secrets from an admin.
	sender := f.token("acme", "sender", "s3cret")
	if resp, _ := change(sender, "s3cret", "a long new password"); resp.StatusCode != 403 {
		t.Errorf("an API credential changes its secret: %d", resp.StatusCode)
	}
}

// TestNumbersAndWebhookSecret: an admin sets the account's numbers (E.164,
// not another account's) and gets a webhook secret once.
func TestNumbersAndWebhookSecret(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.st.SetNumbers(ctx, "beta", []string{"+15550200"})
	admin := f.token("acme", "admin", "adm1n")
	put := func(body string) (*http.Response, []byte) {
		return f.do("PUT", "/v1/admin/numbers", "acme", admin, "application/json", []byte(body), nil)
	}
	if resp, b := put(`{"numbers": ["+1 555 0100", "+15550101", "+15550100"]}`); resp.StatusCode != 200 || string(bytes.TrimSpace(b)) != `{"numbers":["+15550100","+15550101"]}` {
		t.Errorf("put: %d %s", resp.StatusCode, b)
	}
	if resp, b := put(`{"numbers": ["5550100"]}`); resp.StatusCode != 400 {
		t.Errorf("not E.164: %d %s", resp.StatusCode, b)
	}
	if resp, b := put(`{"numbers": ["+15550200"]}`); resp.StatusCode != 409 || errCode(t, b) != wire.CodeExists {
		t.Errorf("beta's number: %d %s", resp.StatusCode, b)
	}
	if resp, b := f.do("GET", "/v1/admin/numbers", "acme", admin, "", nil, nil); resp.StatusCode != 200 || !strings.Contains(string(b), "+15550101") {
		t.Errorf("get: %d %s", resp.StatusCode, b)
	}
	resp, b := f.do("POST", "/v1/admin/webhook-secret", "acme", admin, "", nil, nil)
	var ws wire.WebhookSecret
	json.Unmarshal(b, &ws)
	if resp.StatusCode != 201 || !strings.HasPrefix(ws.Secret, "whsec_") || len(ws.Secret) != 6+43 {
		t.Fatalf("webhook secret: %d %s", resp.StatusCode, b)
	}
	if sec, _ := f.st.WebhookSecret(ctx, "acme"); sec != ws.Secret {
		t.Error("not stored")
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
