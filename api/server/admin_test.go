package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
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

// TestUsers: an admin makes a user of any roles; the password answered
// once is one-time (its token changes it and nothing else), and after
// the change the user works with its roles; the admin deletes it.
func TestUsers(t *testing.T) {
	f := newFixture(t)
	admin := f.token("acme", "admin", "adm1n")
	b, _ := json.Marshal(wire.NewCredential{Name: "ops", Roles: []auth.Role{auth.RoleAdmin, auth.RoleAuditor}})
	resp, body := f.do("POST", "/v1/admin/users", "acme", admin, "application/json", b, nil)
	var cv wire.CredentialView
	json.Unmarshal(body, &cv)
	if resp.StatusCode != 201 || cv.Kind != "user" || cv.Secret == "" {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	tb, _ := json.Marshal(wire.TokenRequest{Name: "ops", Secret: cv.Secret})
	_, body = f.do("POST", "/v1/tokens", "acme", "", "application/json", tb, nil)
	var tr wire.TokenResponse
	json.Unmarshal(body, &tr)
	if !tr.ChangeRequired {
		t.Fatalf("a new user's password is not one-time: %s", body)
	}
	if resp, _ := f.do("GET", "/v1/calls", "acme", tr.Token, "", nil, nil); resp.StatusCode != 403 {
		t.Errorf("before the change: %d", resp.StatusCode)
	}
	pb, _ := json.Marshal(wire.PasswordChange{Secret: cv.Secret, NewSecret: "ops team password"})
	if resp, body := f.do("POST", "/v1/password", "acme", tr.Token, "application/json", pb, nil); resp.StatusCode != 200 {
		t.Fatalf("change: %d %s", resp.StatusCode, body)
	}
	ops := f.token("acme", "ops", "ops team password")
	if resp, _ := f.do("GET", "/v1/calls", "acme", ops, "", nil, nil); resp.StatusCode != 200 {
		t.Errorf("the auditor role: %d", resp.StatusCode)
	}
	for _, bad := range []wire.NewCredential{{Name: "x", Roles: []auth.Role{"root"}}, {Name: "", Roles: []auth.Role{auth.RoleSender}}, {Name: "ops", Roles: []auth.Role{auth.RoleSender}}} {
		b, _ := json.Marshal(bad)
		if resp, _ := f.do("POST", "/v1/admin/users", "acme", admin, "application/json", b, nil); resp.StatusCode != 400 && resp.StatusCode != 409 {
			t.Errorf("%+v: %d", bad, resp.StatusCode)
		}
	}
	resp, body = f.do("GET", "/v1/admin/credentials", "acme", admin, "", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"name":"ops","roles":["admin","auditor"],"kind":"user"`) {
		t.Errorf("list: %s", body)
	}
	if resp, _ := f.do("DELETE", "/v1/admin/credentials/ops", "acme", admin, "", nil, nil); resp.StatusCode != 204 {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	// Its token dies with it.
	if resp, body := f.do("GET", "/v1/calls", "acme", ops, "", nil, nil); resp.StatusCode != 401 || errCode(t, body) != wire.CodeUnauthorized {
		t.Errorf("a deleted user's token: %d %s", resp.StatusCode, body)
	}
}
