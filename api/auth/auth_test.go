package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// cheap keeps the tests quick; the costs' effect is the library's.
var cheap = Params{MemoryKiB: 64, Time: 1, Threads: 1}

func TestPassword(t *testing.T) {
	h := HashPassword("correct horse", cheap)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q", h)
	}
	if h2 := HashPassword("correct horse", cheap); h2 == h {
		t.Fatal("two hashes of one password are the same: no salt")
	}
	for _, c := range []struct {
		pw     string
		p      Params
		ok, re bool
	}{
		{"correct horse", cheap, true, false},
		{"correct horse ", cheap, false, false},
		{"", cheap, false, false},
		{"correct horse", DefaultParams, true, true},
	} {
		ok, re, err := CheckPassword(c.pw, h, c.p)
		if err != nil || ok != c.ok || re != c.re {
			t.Errorf("%q: ok %v rehash %v %v", c.pw, ok, re, err)
		}
	}
	for _, bad := range []string{
		"", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", // 4 TiB
		"$argon2id$v=19$m=64,t=99,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$t=1,m=64,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1$c2Fs$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA$x",
	} {
		if _, _, err := CheckPassword("x", bad, cheap); !errors.Is(err, ErrHash) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func FuzzParseHash(f *testing.F) {
	f.Add(HashPassword("x", cheap))
	f.Add("$argon2id$v=19$m=1048576,t=16,p=16$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := parseHash(s)
		if err == nil && (p.MemoryKiB > maxMemoryKiB || p.Time > maxTime || p.Threads > maxThreads || len(salt) < 8 || len(key) < 16) {
			t.Fatalf("%q parsed out of bounds: %+v", s, p)
		}
	})
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestToken(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	c := &clock{time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	is, err := NewIssuer(k1)
	if err != nil {
		t.Fatal(err)
	}
	is.Now = c.now
	tok, claims, err := is.Issue(Claims{Subject: "cred_1", Account: "acme-bank", Roles: []Role{RoleSender}, Kind: "api"})
	if err != nil || claims.ID == "" || claims.Expires-claims.Issued != int64(DefaultTokenTTL/time.Second) {
		t.Fatalf("%+v %v", claims, err)
	}
	got, err := is.Verify(tok)
	if err != nil || got.Account != "acme-bank" || len(got.Roles) != 1 || got.Roles[0] != RoleSender {
		t.Fatalf("%+v %v", got, err)
	}
	// Rotated: signed by k2 now, k1's tokens still verify until they end.
	rot, _ := NewIssuer(k2, k1)
	rot.Now = c.now
	if _, err := rot.Verify(tok); err != nil {
		t.Errorf("old key's token after rotation: %v", err)
	}
	other, _ := NewIssuer(k2)
	other.Now = c.now
	if _, err := other.Verify(tok); !errors.Is(err, ErrToken) {
		t.Errorf("another key: %v", err)
	}
	// A claim changed (roles raised) breaks the signature.
	p64, s64, _ := strings.Cut(strings.TrimPrefix(tok, tokenPrefix), ".")
	forged := strings.Replace(p64, p64[10:14], "AAAA", 1)
	for name, bad := range map[string]string{
		"forged":    tokenPrefix + forged + "." + s64,
		"no prefix": strings.TrimPrefix(tok, tokenPrefix),
		"no sig":    tokenPrefix + p64,
		"bad b64":   tokenPrefix + p64 + "!." + s64,
		"long":      tokenPrefix + strings.Repeat("A", maxToken),
		"empty":     "",
	} {
		if _, err := is.Verify(bad); !errors.Is(err, ErrToken) {
			t.Errorf("%s: %v", name, err)
		}
	}
	c.t = c.t.Add(DefaultTokenTTL)
	if _, err := is.Verify(tok); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("at expiry: %v", err)
	}
	if _, err := NewIssuer(k1[:31]); !errors.Is(err, ErrTokenKey) {
		t.Errorf("short key: %v", err)
	}
}

func FuzzVerifyToken(f *testing.F) {
	is, _ := NewIssuer(bytes.Repeat([]byte{1}, 32))
	tok, _, _ := is.Issue(Claims{Subject: "u", Account: "a", Roles: []Role{RoleAdmin}})
	f.Add(tok)
	f.Add("fxt1..")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := is.Verify(s)
		if err != nil {
			return
		}
		// Only a token this key signed verifies, and only in the one form
		// Issue writes (a fuzzer's worker issues its own seed, so compare
		// forms, not strings).
		payload, _ := json.Marshal(c)
		enc := base64.RawURLEncoding
		if c.Subject != "u" || s != tokenPrefix+enc.EncodeToString(payload)+"."+enc.EncodeToString(sign(is.keys[0], payload)) {
			t.Fatalf("%q verified: %+v", s, c)
		}
	})
}

// TestAllow: every role against every action: only the table's grants.
func TestAllow(t *testing.T) {
	actions := []Action{FaxSend, FaxRead, FaxCancel, InboxRead, InboxAck, CDRRead, AuditRead, AdminManage}
	want := map[Role]string{
		RoleAdmin:    ".....xxx",
		RoleSender:   "xxx.....",
		RoleReceiver: "...xx...",
		RoleAuditor:  ".....xx.",
	}
	for r, row := range want {
		for i, a := range actions {
			err := Allow([]Role{r}, a)
			if (err == nil) != (row[i] == 'x') {
				t.Errorf("%s %s: %v", r, a, err)
			}
		}
	}
	if err := Allow(nil, FaxRead); !errors.Is(err, ErrDenied) {
		t.Errorf("no roles: %v", err)
	}
	if err := Allow([]Role{"root"}, AdminManage); !errors.Is(err, ErrDenied) {
		t.Errorf("unknown role: %v", err)
	}
	if err := Allow([]Role{RoleReceiver, RoleSender}, FaxSend); err != nil {
		t.Errorf("two roles: %v", err)
	}
	if ValidRole("root") || !ValidRole(RoleAuditor) {
		t.Error("ValidRole")
	}
}

func TestNetworkRules(t *testing.T) {
	rs, err := ParseNetworkRules("192.0.2.0/24, 2001:db8::/32 ,198.51.100.7")
	if err != nil || rs.String() != "192.0.2.0/24, 2001:db8::/32, 198.51.100.7/32" {
		t.Fatalf("%v %v", rs, err)
	}
	for a, ok := range map[string]bool{
		"192.0.2.1": true, "192.0.3.1": false, "::ffff:192.0.2.9": true, "2001:db8::1": true,
		"2001:db9::1": false, "198.51.100.7": true, "198.51.100.8": false,
	} {
		if err := rs.Check(netip.MustParseAddr(a)); (err == nil) != ok {
			t.Errorf("%s: %v", a, err)
		}
	}
	if err := (NetworkRules{}).Check(netip.MustParseAddr("127.0.0.1")); !errors.Is(err, ErrNetwork) {
		t.Errorf("no rules: %v", err)
	}
	for _, bad := range []string{"192.0.2.1/24", "300.1.1.1", "10.0.0.0/33", "example.com"} {
		if _, err := ParseNetworkRules(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParseNetworkRules(f *testing.F) {
	f.Add("192.0.2.0/24, 2001:db8::/32")
	f.Fuzz(func(t *testing.T, s string) {
		rs, err := ParseNetworkRules(s)
		if err != nil {
			return
		}
		back, err := ParseNetworkRules(rs.String())
		if err != nil || back.String() != rs.String() {
			t.Fatalf("%q -> %q -> %v", s, rs.String(), err)
		}
	})
}

func TestGuard(t *testing.T) {
	c := &clock{time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	g := &Guard{MaxFailures: 3, Window: time.Minute, Lockout: 10 * time.Minute, MaxKeys: 100, Now: c.now}
	for i := range 2 {
		if g.Fail("alice") {
			t.Fatalf("locked after %d", i+1)
		}
	}
	g.Succeed("alice")
	g.Fail("alice")
	g.Fail("alice")
	if err := g.Check("alice"); err != nil {
		t.Fatalf("a success forgets failures: %v", err)
	}
	if !g.Fail("alice") {
		t.Fatal("not locked after 3 failures in the window")
	}
	if err := g.Check("alice"); !errors.Is(err, ErrLocked) {
		t.Fatalf("%v", err)
	}
	g.Succeed("alice") // a success does not lift a lock-out
	if err := g.Check("alice"); !errors.Is(err, ErrLocked) {
		t.Fatalf("after a success: %v", err)
	}
	c.t = c.t.Add(10 * time.Minute)
	if err := g.Check("alice"); err != nil {
		t.Fatalf("after the lock-out: %v", err)
	}
	// Failures further apart than the window do not add up.
	for range 5 {
		c.t = c.t.Add(2 * time.Minute)
		if g.Fail("bob") {
			t.Fatal("locked by failures spread out")
		}
	}
	// A flood of names stays bounded, and a lock-out outlives it.
	for range 3 {
		g.Fail("mallory")
	}
	for i := range 1000 {
		g.Fail(fmt.Sprint("name", i))
		if len(g.keys) > 100 {
			t.Fatalf("%d keys kept", len(g.keys))
		}
	}
	if err := g.Check("mallory"); !errors.Is(err, ErrLocked) {
		t.Errorf("lock-out forgotten in a flood: %v", err)
	}
}

// BenchmarkHashPassword: a hash at DefaultParams, as a login or a token
// for an API secret costs.
func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		HashPassword("correct horse battery staple", DefaultParams)
	}
}
