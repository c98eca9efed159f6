package seal

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkSetup: a session opened (client) and accepted (server), both
// ends' CPU.
func BenchmarkSetup(b *testing.B) {
	for name, suite := range map[string]Suite{"P-521": SuiteP521(), "hybrid": SuiteHybrid()} {
		b.Run(name, func(b *testing.B) {
			key, _ := GenerateKey(suite)
			srv := NewServer(key, Limits{MaxPerAccount: 1 << 30})
			for b.Loop() {
				c, err := Open(key.Public(), "acme", t0, Limits{})
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := srv.Accept("acme", c.Setup(), t0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMessage: a request sealed and opened, and its response sealed
// and opened, for a one-page document's size.
func BenchmarkMessage(b *testing.B) {
	for _, size := range []int{1 << 10, 48 << 10} {
		b.Run(byteSize(size), func(b *testing.B) {
			_, c, sess := pair(b, SuiteP521(), Limits{MaxMessages: 1 << 62}, "acme")
			body := make([]byte, size)
			sealed := make([]byte, 0, size+Overhead)
			plain := make([]byte, 0, size)
			now := t0.Add(time.Second)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				seq, s, err := c.SealRequest(sealed[:0], "POST", "/v1/faxes", body)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := sess.OpenRequest(plain[:0], now, seq, "POST", "/v1/faxes", s); err != nil {
					b.Fatal(err)
				}
				r := sess.SealResponse(sealed[:0], seq, "POST", "/v1/faxes", 201, body[:64])
				if _, err := c.OpenResponse(plain[:0], seq, "POST", "/v1/faxes", 201, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func byteSize(n int) string { return fmt.Sprintf("%dKiB", n>>10) }

// TestMessageAllocs: sealing and opening into the caller's buffers
// allocates nothing.
func TestMessageAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop what it is given")
	}
	_, c, sess := pair(t, SuiteP521(), Limits{MaxMessages: 1 << 62}, "acme")
	body := make([]byte, 4096)
	sealed := make([]byte, 0, len(body)+Overhead)
	plain := make([]byte, 0, len(body))
	now := t0.Add(time.Second)
	allocs := testing.AllocsPerRun(100, func() {
		seq, s, _ := c.SealRequest(sealed[:0], "POST", "/v1/faxes", body)
		if _, err := sess.OpenRequest(plain[:0], now, seq, "POST", "/v1/faxes", s); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations a message", allocs)
	}
}
