package audit

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var key = bytes.Repeat([]byte{7}, 32)

func clock() func() time.Time {
	t := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

// writeLog writes n entries to a new log and returns its path.
func writeLog(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := Open(path, key, Options{Now: clock(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := l.Append(Entry{Actor: "admin", Account: "acme-bank", Action: "fax.fetch", Object: fmt.Sprintf("fax_%d", i), Outcome: "ok", Remote: "192.0.2.7"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func lines(t *testing.T, path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
}

// TestChain: a log verifies; reopened, it goes on with the next number
// and the chain still verifies.
func TestChain(t *testing.T) {
	path := writeLog(t, 5)
	b, _ := os.ReadFile(path)
	if n, err := Verify(bytes.NewReader(b), key); n != 5 || err != nil {
		t.Fatalf("%d entries, %v", n, err)
	}
	l, err := Open(path, key, Options{Now: clock(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	e, err := l.Append(Entry{Actor: "admin", Action: "keys.rotate", Outcome: "ok"})
	if err != nil || e.Seq != 6 {
		t.Fatalf("entry %d, %v", e.Seq, err)
	}
	l.Close()
	b, _ = os.ReadFile(path)
	if n, err := Verify(bytes.NewReader(b), key); n != 6 || err != nil {
		t.Fatalf("%d entries, %v", n, err)
	}
}

// TestTamper: each way of changing a log is found at the entry where it
// starts.
func TestTamper(t *testing.T) {
	path := writeLog(t, 6)
	orig := lines(t, path)
	for _, c := range []struct {
		name string
		edit func(ls []string) []string
		line int
	}{
		{"field changed", func(ls []string) []string {
			ls[2] = strings.Replace(ls[2], "fax_2", "fax_9", 1)
			return ls
		}, 3},
		{"outcome changed", func(ls []string) []string {
			ls[4] = strings.Replace(ls[4], `"ok"`, `"denied"`, 1)
			return ls
		}, 5},
		{"entry removed", func(ls []string) []string { return append(ls[:1], ls[2:]...) }, 2},
		{"last removed", func(ls []string) []string { return ls[:5] }, 0},
		{"entries swapped", func(ls []string) []string {
			ls[3], ls[4] = ls[4], ls[3]
			return ls
		}, 4},
		{"entry inserted", func(ls []string) []string {
			forged := strings.Replace(ls[1], `"seq":2`, `"seq":3`, 1)
			return append(ls[:2], append([]string{forged}, ls[2:]...)...)
		}, 3},
		{"torn", func(ls []string) []string {
			ls[5] = ls[5][:20]
			return ls
		}, 6},
		{"unknown field", func(ls []string) []string {
			ls[0] = strings.Replace(ls[0], `{"seq"`, `{"x":1,"seq"`, 1)
			return ls
		}, 1},
	} {
		ls := c.edit(append([]string(nil), orig...))
		n, err := Verify(strings.NewReader(strings.Join(ls, "")), key)
		var be *BrokenError
		if c.line == 0 {
			// Cutting the end off a log is not seen by the chain alone:
			// that is what the server's own count (and backups) are for.
			if err != nil || n != 5 {
				t.Errorf("%s: %d, %v", c.name, n, err)
			}
			continue
		}
		if !errors.As(err, &be) || be.Line != c.line || !errors.Is(err, ErrBroken) {
			t.Errorf("%s: %v, want broken at line %d", c.name, err, c.line)
		}
	}
	if _, err := Verify(strings.NewReader(strings.Join(orig, "")), bytes.Repeat([]byte{8}, 32)); err == nil {
		t.Error("verified under another key")
	}
	// A broken log is not appended to.
	os.WriteFile(path, []byte(strings.Replace(strings.Join(orig, ""), "fax_1", "fax_7", 1)), 0o600)
	if _, err := Open(path, key, Options{NoSync: true}); !errors.Is(err, ErrBroken) {
		t.Errorf("opened a broken log: %v", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "x"), key[:16], Options{}); !errors.Is(err, ErrKey) {
		t.Errorf("short key: %v", err)
	}
	long := strings.Repeat("x", MaxLine+1)
	if _, err := Verify(strings.NewReader(long), key); !errors.Is(err, ErrBroken) {
		t.Errorf("a line longer than MaxLine: %v", err)
	}
}

// TestConcurrent: entries appended from many goroutines form one chain.
func TestConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := Open(path, key, Options{Now: clock(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				if _, err := l.Append(Entry{Actor: fmt.Sprint("user", g), Action: "login", Outcome: "ok", Detail: fmt.Sprint(i)}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	l.Close()
	if _, err := l.Append(Entry{Action: "x"}); !errors.Is(err, os.ErrClosed) {
		t.Errorf("append after close: %v", err)
	}
	b, _ := os.ReadFile(path)
	if n, err := Verify(bytes.NewReader(b), key); n != 400 || err != nil {
		t.Fatalf("%d entries, %v", n, err)
	}
}

// FuzzVerify: any input verifies or names a broken entry; never a panic.
func FuzzVerify(f *testing.F) {
	f.Add([]byte(`{"seq":1,"time":"","action":"a","outcome":"ok","prev":"00","mac":"00"}` + "\n"))
	f.Add([]byte("\n\n{"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := Verify(bytes.NewReader(b), key)
		var be *BrokenError
		if err != nil && (!errors.As(err, &be) || be.Line < 1 || be.Seq != uint64(n)+1) {
			t.Fatalf("%d, %v", n, err)
		}
	})
}

// TestTornTail: a log whose last entry was cut off mid-write (the process
// killed) opens: the torn line is cut, the cut recorded, the chain whole.
func TestTornTail(t *testing.T) {
	path := writeLog(t, 3)
	b, _ := os.ReadFile(path)
	ls := lines(t, path)
	torn := len(ls[2]) / 2
	start := len(b) - len(ls[2]) - 1 // the third line's first octet
	os.WriteFile(path, b[:start+torn], 0o600)
	l, err := Open(path, key, Options{NoSync: true, Now: clock()})
	if err != nil {
		t.Fatal(err)
	}
	e, err := l.Append(Entry{Action: "login", Outcome: "ok"})
	l.Close()
	if err != nil || e.Seq != 4 {
		t.Fatalf("entry %d, %v", e.Seq, err)
	}
	b, _ = os.ReadFile(path)
	if n, err := Verify(bytes.NewReader(b), key); n != 4 || err != nil {
		t.Fatalf("%d entries, %v", n, err)
	}
	if !strings.Contains(string(b), fmt.Sprintf("cut a torn last line of %d octets", torn)) {
		t.Errorf("the repair is not recorded:\n%s", b)
	}
	// A whole line that is wrong is not cut: that is tampering.
	os.WriteFile(path, append(b, []byte("{\"seq\":5}\n")...), 0o600)
	if _, err := Open(path, key, Options{NoSync: true}); !errors.Is(err, ErrBroken) {
		t.Errorf("a whole bad line: %v", err)
	}
}
