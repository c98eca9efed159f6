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
