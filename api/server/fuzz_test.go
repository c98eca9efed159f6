package server

import (
	"bytes"
	"net/http/httptest"
	"testing"

	"github.com/faxd/faxd/api/wire"
)

// FuzzTokenBody: any body to POST /v1/tokens is answered with a status
// and, when refused, the error shape; never a panic.
func FuzzTokenBody(f *testing.F) {
	f.Add([]byte(`{"name":"sender","secret":"s3cret"}`))
	f.Add([]byte(`{"name":`))
	f.Add([]byte(`[]`))
	fx := newFixture(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/v1/tokens", bytes.NewReader(body))
		req.RemoteAddr = "127.0.0.1:1234"
		req.Header.Set(wire.HeaderAccount, "acme")
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		fx.srv.ServeHTTP(rec, req)
		if rec.Code != 201 {
			errCode(t, rec.Body.Bytes())
		}
	})
}

// FuzzAdminBodies: any body to the JSON resources that change things
// (numbers, network rules, credentials, users, the password) is answered
// with a status below 500 and, when refused, the error shape.
func FuzzAdminBodies(f *testing.F) {
	for _, s := range []string{`{"numbers":["+15550100"]}`, `{"rules":"127.0.0.1/32"}`, `{"name":"x","roles":["sender"]}`,
		`{"secret":"adm1n","new_secret":"twelve chars!"}`, `{"numbers":[1]}`, `{"name":"x","roles":null}`, `{}`, `null`, "\x00"} {
		for route := range uint8(5) {
			f.Add(route, []byte(s))
		}
	}
	fx := newFixture(f)
	admin := fx.token("acme", "admin", "adm1n")
	routes := []struct{ method, path string }{
		{"PUT", "/v1/admin/numbers"}, {"PUT", "/v1/admin/network-rules"}, {"POST", "/v1/admin/credentials"}, {"POST", "/v1/admin/users"}, {"POST", "/v1/password"},
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		rt := routes[int(route)%len(routes)]
		req := httptest.NewRequest(rt.method, rt.path, bytes.NewReader(body))
		req.RemoteAddr = "127.0.0.1:1234"
		req.Header.Set(wire.HeaderAccount, "acme")
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		fx.srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", rt.method, rt.path, body, rec.Code, rec.Body.Bytes())
		}
		if rec.Code >= 300 {
			errCode(t, rec.Body.Bytes())
		}
	})
}

// FuzzSubmission: any sealed body to POST /v1/faxes is answered with a
// status below 500; a refused one leaves no object in the vault.
func FuzzSubmission(f *testing.F) {
	ct, body := multipartBody(f, `{"to":["+15550100"]}`, []byte("Dear Sir,\nhello\n"))
	f.Add(ct, body)
	f.Add(ct, body[:len(body)/2])
	f.Add("multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"request\"\r\n\r\n{}\r\n--x--\r\n"))
	f.Add("text/plain", []byte("hello"))
	fx := newFixture(f)
	tok := fx.token("acme", "sender", "s3cret")
	c := fx.openSession("acme", tok)
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		fx := *fx
		fx.t = t
		before := fx.objects()
		status, _, rb := fx.sealedDo(c, "acme", tok, "POST", "/v1/faxes", ctype, body)
		if status >= 500 {
			t.Fatalf("%d %s", status, rb)
		}
		if status != 201 {
			errCode(t, rb)
			if n := fx.objects(); n != before {
				t.Fatalf("refused with %d, %d objects kept", status, n-before)
			}
		}
	})
}
