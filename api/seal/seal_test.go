package seal

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

// pair opens a session for account on a new server of suite.
func pair(t testing.TB, suite Suite, lim Limits, account string) (*Server, *Client, *Session) {
	t.Helper()
	key, err := GenerateKey(suite)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(key, lim)
	c, err := Open(key.Public(), account, t0, lim)
	if err != nil {
		t.Fatal(err)
	}
	sess, proof, err := srv.Accept(account, c.Setup(), t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Confirm(proof); err != nil {
		t.Fatal(err)
	}
	if sess.ID() != c.ID() || sess.Account() != account {
		t.Fatalf("server session %v %q, client %v", sess.ID(), sess.Account(), c.ID())
	}
	return srv, c, sess
}

// TestRoundTrip: both suites; a request opens at the server, the response
// at the client, each only under its own method, path, number and status.
func TestRoundTrip(t *testing.T) {
	for name, suite := range map[string]Suite{"P-521": SuiteP521(), "ML-KEM-768+X25519": SuiteHybrid()} {
		t.Run(name, func(t *testing.T) {
			_, c, sess := pair(t, suite, Limits{}, "acme-bank")
			body := bytes.Repeat([]byte("%PDF-1.7 page "), 100)
			seq, sealed, err := c.SealRequest(nil, "POST", "/v1/faxes", body)
			if err != nil || seq != 1 || len(sealed) != len(body)+Overhead {
				t.Fatalf("seq %d, %d octets, %v", seq, len(sealed), err)
			}
			if bytes.Contains(sealed, []byte("PDF")) {
				t.Fatal("the sealed body shows the plain text")
			}
			got, err := sess.OpenRequest(nil, t0.Add(2*time.Second), seq, "POST", "/v1/faxes", sealed)
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("open: %v", err)
			}
			resp := []byte(`{"id":"fax_1"}`)
			rs := sess.SealResponse(nil, seq, "POST", "/v1/faxes", 201, resp)
			if got, err := c.OpenResponse(nil, seq, "POST", "/v1/faxes", 201, rs); err != nil || !bytes.Equal(got, resp) {
				t.Fatalf("response: %q %v", got, err)
			}
			for _, bad := range []struct {
				name   string
				seq    uint64
				method string
				path   string
				status int
			}{
				{"status", seq, "POST", "/v1/faxes", 200},
				{"method", seq, "PUT", "/v1/faxes", 201},
				{"path", seq, "POST", "/v1/faxes/2", 201},
				{"number", seq + 1, "POST", "/v1/faxes", 201},
			} {
				if _, err := c.OpenResponse(nil, bad.seq, bad.method, bad.path, bad.status, rs); !errors.Is(err, ErrOpen) {
					t.Errorf("response under another %s: %v", bad.name, err)
				}
			}
		})
	}
}

// TestBinding: a sealed request moved to another method, path, number,
// session or account does not open, and a failed open takes nothing: the
// genuine message still opens after it.
func TestBinding(t *testing.T) {
	srv, c, sess := pair(t, SuiteP521(), Limits{}, "acme-bank")
	now := t0.Add(2 * time.Second)
	seq, sealed, _ := c.SealRequest(nil, "POST", "/v1/faxes", []byte("document"))
	c2, _ := Open(srv.Key().Public(), "acme-bank", t0, Limits{})
	sess2, _, err := srv.Accept("acme-bank", c2.Setup(), now)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := Open(srv.Key().Public(), "other-bank", t0, Limits{})
	sess3, _, err := srv.Accept("other-bank", other.Setup(), now)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(sealed)
	tampered[3] ^= 1
	for _, c := range []struct {
		name   string
		s      *Session
		seq    uint64
		method string
		path   string
		body   []byte
	}{
		{"method", sess, seq, "PUT", "/v1/faxes", sealed},
		{"path", sess, seq, "POST", "/v1/inbox", sealed},
		{"number", sess, seq + 1, "POST", "/v1/faxes", sealed},
		{"session", sess2, seq, "POST", "/v1/faxes", sealed},
		{"account", sess3, seq, "POST", "/v1/faxes", sealed},
		{"tampered", sess, seq, "POST", "/v1/faxes", tampered},
		{"truncated", sess, seq, "POST", "/v1/faxes", sealed[:5]},
	} {
		if _, err := c.s.OpenRequest(nil, now, c.seq, c.method, c.path, c.body); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: %v, want ErrOpen", c.name, err)
		}
	}
	if _, err := sess.OpenRequest(nil, now, seq, "POST", "/v1/faxes", sealed); err != nil {
		t.Fatalf("the genuine message after the failed ones: %v", err)
	}
	if _, err := sess.OpenRequest(nil, now, seq, "POST", "/v1/faxes", sealed); !errors.Is(err, ErrReplay) {
		t.Fatalf("replayed: %v", err)
	}
}

// TestReplayConcurrent: requests sealed in order and opened by many
// goroutines in any order all open once; every replay is refused.
func TestReplayConcurrent(t *testing.T) {
	_, c, sess := pair(t, SuiteP521(), Limits{}, "acme-bank")
	now := t0.Add(2 * time.Second)
	const n = 800
	type msg struct {
		seq    uint64
		sealed []byte
	}
	msgs := make([]msg, n)
	for i := range msgs {
		seq, sealed, err := c.SealRequest(nil, "GET", "/v1/inbox", []byte(fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		msgs[i] = msg{seq, sealed}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	opened, replays := 0, 0
	for g := range 8 {
		wg.Go(func() {
			// Each message is tried by two goroutines, from both ends.
			for k := range n / 4 {
				i := (g/2)*(n/4) + k
				if g%2 == 1 {
					i = (g/2)*(n/4) + n/4 - 1 - k
				}
				_, err := sess.OpenRequest(nil, now, msgs[i].seq, "GET", "/v1/inbox", msgs[i].sealed)
				mu.Lock()
				switch {
				case err == nil:
					opened++
				case errors.Is(err, ErrReplay):
					replays++
				default:
					t.Error(err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if opened != n || replays != n {
		t.Fatalf("%d opened, %d refused as replays; want %d each", opened, replays, n)
	}
}

// TestWindow: the anti-replay window's rules, number by number.
func TestWindow(t *testing.T) {
	var w window
	steps := []struct {
		seq  uint64
		want bool
	}{
		{0, false}, {1, true}, {1, false}, {5, true}, {3, true}, {3, false}, {2, true}, {4, true}, {5, false},
		{5 + WindowSize - 1, true}, {5, false}, {6, true}, // 6 is WindowSize-1 behind: still inside
		{5 + WindowSize, true}, {6, false}, {5, false}, {7, true}, // now 5 is WindowSize behind
		{1 << 40, true}, {1<<40 - WindowSize + 1, true}, {1<<40 - WindowSize, false}, {1<<40 + 1, true},
	}
	for i, s := range steps {
		if got := w.take(s.seq); got != s.want {
			t.Fatalf("step %d: take(%d) = %v, want %v", i, s.seq, got, s.want)
		}
	}
}

// TestLimits: a session ends at its lifetime and after MaxMessages; a
// set-up replayed, too old, for another account or of another suite is
// refused; an account's sessions are bounded; a session is unknown to
// another account.
func TestLimits(t *testing.T) {
	lim := Limits{Lifetime: time.Minute, MaxMessages: 2, MaxPerAccount: 2}
	srv, c, sess := pair(t, SuiteP521(), lim, "acme-bank")
	now := t0.Add(2 * time.Second)
	for i := range 3 {
		seq, sealed, err := c.SealRequest(nil, "GET", "/v1/faxes", nil)
		if i == 2 {
			if !errors.Is(err, ErrExhausted) {
				t.Fatalf("third message: %v", err)
			}
			// The server refuses it too, sealed or not.
			if _, err := sess.OpenRequest(nil, now, 3, "GET", "/v1/faxes", make([]byte, Overhead)); !errors.Is(err, ErrExhausted) {
				t.Fatalf("server, third message: %v", err)
			}
			continue
		}
		if _, err := sess.OpenRequest(nil, now, seq, "GET", "/v1/faxes", sealed); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.Session(c.ID(), "acme-bank", t0.Add(time.Minute+time.Second)); !errors.Is(err, ErrExpired) {
		t.Errorf("after its lifetime: %v", err)
	}
	if _, err := sess.OpenRequest(nil, t0.Add(2*time.Minute), 1, "GET", "/v1/faxes", nil); !errors.Is(err, ErrExpired) {
		t.Errorf("open after its lifetime: %v", err)
	}
	if _, err := srv.Session(c.ID(), "other-bank", now); !errors.Is(err, ErrUnknown) {
		t.Errorf("another account's session: %v", err)
	}
	if _, _, err := srv.Accept("acme-bank", c.Setup(), now); !errors.Is(err, ErrReplay) {
		t.Errorf("set-up replayed: %v", err)
	}
	old, _ := Open(srv.Key().Public(), "acme-bank", t0.Add(-10*time.Minute), lim)
	if _, _, err := srv.Accept("acme-bank", old.Setup(), now); !errors.Is(err, ErrSkew) {
		t.Errorf("set-up 10 minutes old: %v", err)
	}
	c2, _ := Open(srv.Key().Public(), "acme-bank", t0, lim)
	if _, _, err := srv.Accept("other-bank", c2.Setup(), now); !errors.Is(err, ErrOpen) {
		t.Errorf("set-up for another account: %v", err)
	}
	if _, _, err := srv.Accept("acme-bank", c2.Setup(), now); err != nil {
		t.Fatal(err)
	}
	c3, _ := Open(srv.Key().Public(), "acme-bank", t0, lim)
	if _, _, err := srv.Accept("acme-bank", c3.Setup(), now); !errors.Is(err, ErrAccount) {
		t.Errorf("third session of an account limited to 2: %v", err)
	}
	srv.Close(c2.ID())
	if _, _, err := srv.Accept("acme-bank", c3.Setup(), now); err != nil {
		t.Errorf("after one closed: %v", err)
	}
	hybrid, _ := GenerateKey(SuiteHybrid())
	h, _ := Open(hybrid.Public(), "acme-bank", t0, lim)
	if _, _, err := srv.Accept("acme-bank", h.Setup(), now); !errors.Is(err, ErrSuite) {
		t.Errorf("set-up of another suite: %v", err)
	}
	for _, bad := range [][]byte{nil, {1}, {2, 0, 0x12, 0, 1, 0}, {1, 0, 0x12, 0, 0}, {1, 0, 0x12, 0xff, 0xff, 1, 2}} {
		if _, _, err := srv.Accept("acme-bank", bad, now); !errors.Is(err, ErrSetup) {
			t.Errorf("set-up %x: %v", bad, err)
		}
	}
	// Expired sessions and old set-ups are pruned.
	srv.Prune(t0.Add(time.Hour))
	if n := srv.Len(); n != 0 {
		t.Errorf("%d sessions left an hour on", n)
	}
}

// TestKey: a key written and read back serves the same sessions.
func TestKey(t *testing.T) {
	for _, suite := range []Suite{SuiteP521(), SuiteHybrid()} {
		key, _ := GenerateKey(suite)
		b, err := key.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseKey(b)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := Open(key.Public(), "a", t0, Limits{})
		_, proof, err := NewServer(back, Limits{}).Accept("a", c.Setup(), t0)
		if err != nil || c.Confirm(proof) != nil {
			t.Fatalf("suite %04x: %v", suite.KEM.ID(), err)
		}
	}
	for _, bad := range [][]byte{nil, {0}, {0x00, 0x12}, {0xff, 0xff, 1}} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("key %x parsed", bad)
		}
	}
	if _, err := Open([]byte{0x00, 0x12, 4}, "a", t0, Limits{}); !errors.Is(err, ErrKey) {
		t.Errorf("bad public key: %v", err)
	}
}

// TestHeaders: session IDs and sequence numbers as headers carry them.
func TestHeaders(t *testing.T) {
	id := ID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	if back, err := ParseID(id.String()); err != nil || back != id {
		t.Fatalf("%v: %v %v", id, back, err)
	}
	for _, bad := range []string{"", "AQIDBAUGBwgJCgsMDQ4PE", "AQIDBAUGBwgJCgsMDQ4PEA==", "AQIDBAUGBwgJCgsMDQ4P!A"} {
		if _, err := ParseID(bad); !errors.Is(err, ErrHeader) {
			t.Errorf("ID %q: %v", bad, err)
		}
	}
	for s, want := range map[string]uint64{"1": 1, "18446744073709551615": 1<<64 - 1} {
		if got, err := ParseSeq(s); err != nil || got != want {
			t.Errorf("%q: %d %v", s, got, err)
		}
	}
	for _, bad := range []string{"", "0", "01", "-1", "+1", "1e3", "18446744073709551616", " 1"} {
		if _, err := ParseSeq(bad); !errors.Is(err, ErrHeader) {
			t.Errorf("seq %q: %v", bad, err)
		}
	}
}
