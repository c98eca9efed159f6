package seal

import (
	"testing"
	"time"
)

// FuzzAccept: any set-up is refused with an error or opens a session;
// never a panic.
func FuzzAccept(f *testing.F) {
	key, err := GenerateKey(SuiteP521())
	if err != nil {
		f.Fatal(err)
	}
	c, _ := Open(key.Public(), "acme", t0, Limits{})
	f.Add(c.Setup())
	f.Add([]byte{1, 0, 0x12, 0, 1, 4})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, setup []byte) {
		srv := NewServer(key, Limits{})
		sess, proof, err := srv.Accept("acme", setup, t0)
		if err == nil && (sess == nil || len(proof) != Overhead) {
			t.Fatal("accepted without a session or proof")
		}
	})
}

// FuzzOpenRequest: any message to a live session is refused or opens;
// a message opens at most once.
func FuzzOpenRequest(f *testing.F) {
	key, err := GenerateKey(SuiteP521())
	if err != nil {
		f.Fatal(err)
	}
	srv := NewServer(key, Limits{})
	c, _ := Open(key.Public(), "acme", t0, Limits{})
	sess, _, err := srv.Accept("acme", c.Setup(), t0)
	if err != nil {
		f.Fatal(err)
	}
	seq, sealed, _ := c.SealRequest(nil, "POST", "/v1/faxes", []byte("body"))
	f.Add(seq, "POST", "/v1/faxes", sealed)
	f.Add(uint64(0), "", "", []byte{})
	f.Add(uint64(1<<63), "GET", "/", make([]byte, 40))
	f.Fuzz(func(t *testing.T, seq uint64, method, path string, msg []byte) {
		s := &Session{keys: sess.keys, expires: sess.expires, maxSeq: sess.maxSeq}
		now := t0.Add(time.Second)
		if _, err := s.OpenRequest(nil, now, seq, method, path, msg); err == nil {
			if _, err := s.OpenRequest(nil, now, seq, method, path, msg); err == nil {
				t.Fatal("a message opened twice")
			}
		}
	})
}

// FuzzHeaders: header values parse or give ErrHeader; what parses prints
// back the same.
func FuzzHeaders(f *testing.F) {
	f.Add("AQIDBAUGBwgJCgsMDQ4PEA", "1")
	f.Add("", "0")
	f.Fuzz(func(t *testing.T, id, seq string) {
		if v, err := ParseID(id); err == nil && v.String() != id {
			t.Fatalf("ID %q reads back as %q", id, v.String())
		}
		ParseSeq(seq)
	})
}
