package server

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faxd/faxd/api/auth"
	"github.com/faxd/faxd/api/store"
	"github.com/faxd/faxd/api/wire"
)

// multipartBody makes a submission: the request part, then documents.
func multipartBody(t testing.TB, request string, docs ...[]byte) (string, []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	w, _ := mw.CreateFormField("request")
	w.Write([]byte(request))
	for i, d := range docs {
		w, _ := mw.CreateFormFile("document", filepath.Join("doc", string(rune('a'+i))))
		w.Write(d)
	}
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

func (f *fixture) objects() int {
	ents, _ := os.ReadDir(filepath.Join(f.vault, "objects"))
	return len(ents)
}

// TestFaxes: a fax submitted sealed, its documents encrypted in the
// vault; seen, listed, canceled (its documents destroyed) by its account
// only; bad submissions keep nothing.
func TestFaxes(t *testing.T) {
	f := newFixture(t)
	tok := f.token("acme", "sender", "s3cret")
	c := f.openSession("acme", tok)
	pdf := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("confidential "), 300)...)
	ct, body := multipartBody(t, `{"to":["+1 555 0100"],"header":"ACME Bank"}`, pdf, []byte("Dear Ms. Hansen,\nplease find enclosed...\n"))
	status, rct, rb := f.sealedDo(c, "acme", tok, "POST", "/v1/faxes", ct, body)
	var fs wire.FaxStatus
	json.Unmarshal(rb, &fs)
	if status != http.StatusCreated || rct != "application/json" || fs.State != "queued" || fs.Documents != 2 || len(fs.To) != 1 || fs.To[0] != "+15550100" ||
		len(fs.Recipients) != 1 || fs.Recipients[0].To != "+15550100" || fs.Recipients[0].State != "queued" || fs.Recipients[0].Attempts == nil {
		t.Fatalf("submit: %d %s", status, rb)
	}
	if n := f.objects(); n != 2 {
		t.Fatalf("%d objects in the vault", n)
	}
	for _, e := range must(os.ReadDir(filepath.Join(f.vault, "objects"))) {
		raw, _ := os.ReadFile(filepath.Join(f.vault, "objects", e.Name()))
		if bytes.Contains(raw, []byte("confidential")) || bytes.Contains(raw, []byte("Hansen")) {
			t.Fatal("a document lies in the vault in the clear")
		}
	}
	resp, b := f.do("GET", "/v1/faxes/"+fs.ID, "acme", tok, "", nil, nil)
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte(fs.ID)) {
		t.Fatalf("get: %d %s", resp.StatusCode, b)
	}
	btok := f.token("beta", "sender", "b3ta")
	if resp, b := f.do("GET", "/v1/faxes/"+fs.ID, "beta", btok, "", nil, nil); resp.StatusCode != 404 || errCode(t, b) != wire.CodeNotFound {
		t.Errorf("another account's fax: %d %s", resp.StatusCode, b)
	}
	if resp, b := f.do("DELETE", "/v1/faxes/"+fs.ID, "beta", btok, "", nil, nil); resp.StatusCode != 404 {
		t.Errorf("another account cancels: %d %s", resp.StatusCode, b)
	}
	resp, b = f.do("GET", "/v1/faxes?limit=10", "acme", tok, "", nil, nil)
	var list wire.FaxList
	json.Unmarshal(b, &list)
	if resp.StatusCode != 200 || len(list.Faxes) != 1 {
		t.Fatalf("list: %d %s", resp.StatusCode, b)
	}
	if resp, b := f.do("GET", "/v1/faxes", "beta", btok, "", nil, nil); resp.StatusCode != 200 || !bytes.Contains(b, []byte(`"faxes":[]`)) {
		t.Errorf("beta's list: %d %s", resp.StatusCode, b)
	}
	if resp, b := f.do("GET", "/v1/faxes?limit=x", "acme", tok, "", nil, nil); resp.StatusCode != 400 {
		t.Errorf("bad limit: %d %s", resp.StatusCode, b)
	}
	// Bad submissions: nothing kept.
	junk := []byte{0, 1, 2, 3, 0, 0, 9}
	for name, sub := range map[string]struct {
		request string
		docs    [][]byte
		status  int
		code    string
	}{
		"unknown format":    {`{"to":["+15550100"]}`, [][]byte{pdf, junk}, 415, wire.CodeDocumentType},
		"malformed request": {`{"to":["+15550100"],`, [][]byte{pdf}, 400, wire.CodeBadRequest},
		"unknown field":     {`{"to":["+15550100"],"cc":["+15550101"]}`, [][]byte{pdf}, 400, wire.CodeBadRequest},
		"oversized upload":  {`{"to":["+15550100"]}`, [][]byte{pdf, bytes.Repeat([]byte("%PDF-1.7\n"), 150<<10)}, 413, wire.CodeTooLarge},
		"private webhook":   {`{"to":["+15550100"],"webhook":"https://10.0.0.1/hook"}`, [][]byte{pdf}, 400, wire.CodeBadRequest},
		"bad number":        {`{"to":["555 0100"]}`, [][]byte{pdf}, 400, wire.CodeBadRequest},
		"no document":       {`{"to":["+15550100"]}`, nil, 400, wire.CodeBadRequest},
	} {
		ct, body := multipartBody(t, sub.request, sub.docs...)
		status, _, rb := f.sealedDo(c, "acme", tok, "POST", "/v1/faxes", ct, body)
		if status != sub.status || errCode(t, rb) != sub.code {
			t.Errorf("%s: %d %s", name, status, rb)
		}
		if n := f.objects(); n != 2 {
			t.Errorf("%s: %d objects in the vault", name, n)
		}
		if jobs, _, _ := f.st.ListJobs(context.Background(), "acme", store.ListOptions{}); len(jobs) != 1 {
			t.Errorf("%s: %d jobs stored", name, len(jobs))
		}
		if l := f.auditLines(); !strings.Contains(l[len(l)-1], `"outcome":"denied"`) {
			t.Errorf("%s: no audit entry", name)
		}
	}
	// Unsealed submission refused.
	if resp, b := f.do("POST", "/v1/faxes", "acme", tok, ct, body, nil); resp.StatusCode != 400 || errCode(t, b) != wire.CodeSealRequired {
		t.Errorf("unsealed: %d %s", resp.StatusCode, b)
	}
	// Canceled: its documents destroyed; twice is a conflict.
	resp, b = f.do("DELETE", "/v1/faxes/"+fs.ID, "acme", tok, "", nil, nil)
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte(`"state":"canceled"`)) || f.objects() != 0 {
		t.Fatalf("cancel: %d %s, %d objects left", resp.StatusCode, b, f.objects())
	}
	if resp, b := f.do("DELETE", "/v1/faxes/"+fs.ID, "acme", tok, "", nil, nil); resp.StatusCode != 409 || errCode(t, b) != wire.CodeState {
		t.Errorf("canceled twice: %d %s", resp.StatusCode, b)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestFaxSubmitHandler: the submission handler is reached unsealed only
// where a caller mounts it itself (faxbench api, on its own server); the
// server's own routes refuse an unsealed submission, before and after.
func TestFaxSubmitHandler(t *testing.T) {
	f := newFixture(t)
	tok := f.token("acme", "sender", "s3cret")
	ct, body := multipartBody(t, `{"to":["+15550100"]}`, []byte("%PDF-1.7\nmeasured\n"))
	refused := func(when string) {
		t.Helper()
		if resp, b := f.do("POST", "/v1/faxes", "acme", tok, ct, body, nil); resp.StatusCode != http.StatusBadRequest || errCode(t, b) != wire.CodeSealRequired {
			t.Errorf("%s: unsealed POST /v1/faxes: %d %s", when, resp.StatusCode, b)
		}
		if resp, b := f.do("POST", "/v1/faxes/", "acme", tok, ct, body, nil); resp.StatusCode < 400 {
			t.Errorf("%s: unsealed POST /v1/faxes/: %d %s", when, resp.StatusCode, b)
		}
	}
	refused("before")
	if resp, b := f.do("POST", "/v1/bench/faxes-unsealed", "acme", tok, ct, body, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("not mounted: %d %s", resp.StatusCode, b)
	}
	if n := f.objects(); n != 0 {
		t.Fatalf("%d objects in the vault after refusals", n)
	}
	// Mounted as faxbench mounts it: the account and token checks stay,
	// the seal is gone, and what it takes is a submission.
	f.srv.Handle("POST /v1/bench/faxes-unsealed", auth.FaxSend, false, f.srv.FaxSubmitHandler())
	resp, b := f.do("POST", "/v1/bench/faxes-unsealed", "acme", tok, ct, body, nil)
	var fs wire.FaxStatus
	json.Unmarshal(b, &fs)
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Content-Type") != "application/json" || fs.State != "queued" || f.objects() != 1 {
		t.Fatalf("mounted: %d %s", resp.StatusCode, b)
	}
	if resp, b := f.do("POST", "/v1/bench/faxes-unsealed", "acme", "", ct, body, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("mounted, no token: %d %s", resp.StatusCode, b)
	}
	rtok := f.token("acme", "inbox", "r3ad")
	if resp, b := f.do("POST", "/v1/bench/faxes-unsealed", "acme", rtok, ct, body, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("mounted, a receiver's token: %d %s", resp.StatusCode, b)
	}
	refused("after")
}
