package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/faxd/faxd/api/auth"
)

var ctx = context.Background()

func open(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "faxd.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

var cheap = auth.Params{MemoryKiB: 64, Time: 1, Threads: 1}

func TestAccounts(t *testing.T) {
	s, path := open(t)
	rules, _ := auth.ParseNetworkRules("192.0.2.0/24, 2001:db8::/32")
	if err := s.CreateAccount(ctx, "acme", rules); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAccount(ctx, "acme", nil); !errors.Is(err, ErrExists) {
		t.Errorf("twice: %v", err)
	}
	for _, bad := range []string{"", "a/b", "a b", string(make([]byte, 65))} {
		if err := s.CreateAccount(ctx, bad, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("ID %q: %v", bad, err)
		}
	}
	a, err := s.Account(ctx, "acme")
	if err != nil || a.Rules.String() != rules.String() || a.Disabled {
		t.Fatalf("%+v %v", a, err)
	}
	if _, err := s.Account(ctx, "nobody"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
	if err := s.SetDisabled(ctx, "acme", true); err != nil {
		t.Fatal(err)
	}
	loop, _ := auth.ParseNetworkRules("127.0.0.1")
	if err := s.SetNetworkRules(ctx, "acme", loop); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDisabled(ctx, "nobody", true); !errors.Is(err, ErrNotFound) {
		t.Errorf("disable unknown: %v", err)
	}
	// Reopened: the schema is not made again and the data is there.
	s.Close()
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	a, err = s2.Account(ctx, "acme")
	if err != nil || !a.Disabled || a.Rules.String() != "127.0.0.1/32" {
		t.Fatalf("reopened: %+v %v", a, err)
	}
}

// TestCredentials: a credential is seen only through its own account,
// whatever name is asked for.
func TestCredentials(t *testing.T) {
	s, _ := open(t)
	s.CreateAccount(ctx, "acme", nil)
	s.CreateAccount(ctx, "beta", nil)
	c := auth.Credential{Account: "acme", Name: "sender", Hash: auth.HashPassword("s3cret", cheap), Roles: []auth.Role{auth.RoleSender, auth.RoleReceiver}, Kind: "api"}
	if err := s.CreateCredential(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.Credential(ctx, "acme", "sender")
	if err != nil || got.Hash != c.Hash || len(got.Roles) != 2 || got.Roles[1] != auth.RoleReceiver || got.Kind != "api" {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := s.Credential(ctx, "beta", "sender"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("through another account: %v", err)
	}
	for name, bad := range map[string]auth.Credential{
		"twice":        c,
		"no account":   {Account: "nobody", Name: "x", Hash: "h", Roles: []auth.Role{auth.RoleSender}, Kind: "api"},
		"unknown role": {Account: "acme", Name: "y", Hash: "h", Roles: []auth.Role{"root"}, Kind: "api"},
		"no roles":     {Account: "acme", Name: "z", Hash: "h", Kind: "api"},
		"bad kind":     {Account: "acme", Name: "w", Hash: "h", Roles: []auth.Role{auth.RoleSender}, Kind: "robot"},
	} {
		if err := s.CreateCredential(ctx, bad); err == nil {
			t.Errorf("%s: created", name)
		}
	}
	if err := s.SetCredentialHash(ctx, "beta", "sender", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("rehash through another account: %v", err)
	}
	if err := s.SetCredentialHash(ctx, "acme", "sender", auth.HashPassword("n3w", cheap)); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Credential(ctx, "acme", "sender")
	if ok, _, _ := auth.CheckPassword("n3w", got.Hash, cheap); !ok {
		t.Error("new secret does not check")
	}
	if err := s.DeleteCredential(ctx, "beta", "sender"); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete through another account: %v", err)
	}
	if err := s.DeleteCredential(ctx, "acme", "sender"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Credential(ctx, "acme", "sender"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
}

// TestConcurrentWrites: writers from many goroutines all land.
func TestConcurrentWrites(t *testing.T) {
	s, _ := open(t)
	s.CreateAccount(ctx, "acme", nil)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 10 {
				c := auth.Credential{Account: "acme", Name: fmt.Sprintf("c%d-%d", g, i), Hash: "h", Roles: []auth.Role{auth.RoleSender}, Kind: "api"}
				if err := s.CreateCredential(ctx, c); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	var n int
	s.db.QueryRow(`SELECT count(*) FROM credentials`).Scan(&n)
	if n != 80 {
		t.Fatalf("%d credentials", n)
	}
}

func TestListCredentials(t *testing.T) {
	s, _ := open(t)
	s.CreateAccount(ctx, "acme", nil)
	s.CreateAccount(ctx, "beta", nil)
	for _, n := range []string{"b", "a"} {
		s.CreateCredential(ctx, auth.Credential{Account: "acme", Name: n, Hash: "h", Roles: []auth.Role{auth.RoleSender, auth.RoleReceiver}, Kind: "api"})
	}
	s.CreateCredential(ctx, auth.Credential{Account: "beta", Name: "z", Hash: "h", Roles: []auth.Role{auth.RoleAdmin}, Kind: "user"})
	cs, err := s.ListCredentials(ctx, "acme")
	if err != nil || len(cs) != 2 || cs[0].Name != "a" || len(cs[0].Roles) != 2 || cs[1].Kind != "api" {
		t.Fatalf("%+v %v", cs, err)
	}
}
