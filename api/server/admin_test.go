package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/faxd/faxd/api/auth"
	"github.com/faxd/faxd/api/wire"
)

// TestAdmin: an admin makes an API credential whose secret it sees once
// and which then takes a token; lists and deletes credentials of its own
// account only; cannot give a credential the admin role, delete itself, or
// set rules that shut itself out; a sender cannot do any of it.
func TestAdmin(t *testing.T) {
	f := newFixture(t)
	admin := f.token("acme", "admin", "adm1n")
	sender := f.token("acme", "sender", "s3cret")
	post := func(tok string, v any) (*http.Response, []byte) {
		b, _ := json.Marshal(v)
		return f.do("POST", "/v1/admin/credentials", "acme", tok, "application/json", b, nil)
	}
	resp, b := post(admin, wire.NewCredential{Name: "billing", Roles: []auth.Role{auth.RoleReceiver}})
	var cv wire.CredentialView
	json.Unmarshal(b, &cv)
	if resp.StatusCode != 201 || cv.Secret == "" || cv.Kind != "api" {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	f.token("acme", "billing", cv.Secret)
	if resp, b := post(admin, wire.NewCredential{Name: "billing", Roles: []auth.Role{auth.RoleReceiver}}); resp.StatusCode != 409 || errCode(t, b) != wire.CodeExists {
		t.Errorf("twice: %d %s", resp.StatusCode, b)
	}
	if resp, b := post(admin, wire.NewCredential{Name: "root", Roles: []auth.Role{auth.RoleAdmin}}); resp.StatusCode != 400 {
		t.Errorf("admin role: %d %s", resp.StatusCode, b)
	}
	if resp, b := post(sender, wire.NewCredential{Name: "x", Roles: []auth.Role{auth.RoleSender}}); resp.StatusCode != 403 || errCode(t, b) != wire.CodeForbidden {
		t.Errorf("by a sender: %d %s", resp.StatusCode, b)
	}
	resp, b = f.do("GET", "/v1/admin/credentials", "acme", admin, "", nil, nil)
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte(`"billing"`)) || bytes.Contains(b, []byte("argon2")) || bytes.Contains(b, []byte(cv.Secret)) {
		t.Fatalf("list: %d %s", resp.StatusCode, b)
	}
	if resp, _ := f.do("DELETE", "/v1/admin/credentials/admin", "acme", admin, "", nil, nil); resp.StatusCode != 409 {
		t.Errorf("delete itself: %d", resp.StatusCode)
	}
	if resp, _ := f.do("DELETE", "/v1/admin/credentials/sender", "beta", admin, "", nil, nil); resp.StatusCode != 401 {
		t.Errorf("another account's: %d", resp.StatusCode)
	}
	if resp, _ := f.do("DELETE", "/v1/admin/credentials/billing", "acme", admin, "", nil, nil); resp.StatusCode != 204 {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if resp, _ := f.do("DELETE", "/v1/admin/credentials/billing", "acme", admin, "", nil, nil); resp.StatusCode != 404 {
		t.Errorf("delete twice: %d", resp.StatusCode)
	}
	put := func(rules string) (*http.Response, []byte) {
		b, _ := json.Marshal(wire.NetworkRulesBody{Rules: rules})
		return f.do("PUT", "/v1/admin/network-rules", "acme", admin, "application/json", b, nil)
	}
	if resp, b := put("192.0.2.0/24"); resp.StatusCode != 409 || errCode(t, b) != wire.CodeState {
		t.Errorf("rules shutting the admin out: %d %s", resp.StatusCode, b)
	}
	if resp, b := put("10.0.0.1/8"); resp.StatusCode != 400 {
		t.Errorf("host bits: %d %s", resp.StatusCode, b)
	}
	if resp, b := put("127.0.0.1, 192.0.2.0/24"); resp.StatusCode != 200 || !bytes.Contains(b, []byte("127.0.0.1/32, 192.0.2.0/24")) {
		t.Errorf("rules: %d %s", resp.StatusCode, b)
	}
	if resp, b := f.do("GET", "/v1/admin/network-rules", "acme", admin, "", nil, nil); resp.StatusCode != 200 || !bytes.Contains(b, []byte("192.0.2.0/24")) {
		t.Errorf("rules read back: %d %s", resp.StatusCode, b)
	}
}
