package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/faxd/faxd/api/auth"
	"github.com/faxd/faxd/api/seal"
	"github.com/faxd/faxd/api/server"
	"github.com/faxd/faxd/api/store"
	"github.com/faxd/faxd/api/wire"
)

// TestServerOnStore: the API server takes tokens for credentials kept in
// the store, and refuses another account's.
func TestServerOnStore(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(filepath.Join(t.TempDir(), "faxd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cheap := auth.Params{MemoryKiB: 64, Time: 1, Threads: 1}
	loop, _ := auth.ParseNetworkRules("127.0.0.0/8, ::1")
	st.CreateAccount(ctx, "acme", loop)
	st.CreateAccount(ctx, "beta", loop)
	st.CreateCredential(ctx, auth.Credential{Account: "acme", Name: "sender", Hash: auth.HashPassword("s3cret", cheap), Roles: []auth.Role{auth.RoleSender}, Kind: "api"})
	tokens, _ := auth.NewIssuer(bytes.Repeat([]byte{5}, 32))
	key, _ := seal.GenerateKey(seal.SuiteP521())
	ts := httptest.NewTLSServer(server.New(server.Config{Directory: st, Tokens: tokens, Seal: seal.NewServer(key, seal.Limits{}), Hash: cheap}))
	defer ts.Close()
	for _, c := range []struct {
		account string
		want    int
	}{{"acme", http.StatusCreated}, {"beta", http.StatusUnauthorized}, {"nobody", http.StatusForbidden}} {
		b, _ := json.Marshal(wire.TokenRequest{Name: "sender", Secret: "s3cret"})
		req, _ := http.NewRequest("POST", ts.URL+"/v1/tokens", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(wire.HeaderAccount, c.account)
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d", c.account, resp.StatusCode, c.want)
		}
	}
}
