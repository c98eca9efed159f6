// Package audit is faxd's audit log: append-only and hash-chained. Every
// entry carries the MAC of the one before it, and its own MAC over itself
// and that link, keyed by a secret the server holds (HMAC-SHA256), so an
// entry changed, removed, reordered or inserted breaks the chain at that
// point, and someone who can write the file but lacks the key cannot mend
// it. [Verify] walks a log and names the first broken entry.
//
// Entries are JSON lines: one event each (logins and their failures,
// refusals by network rules, administrative changes, access to documents
// and images, their destruction), never any document or image data.
//
// Written by hand on the standard library: the log is a few dozen lines
// of chaining over encoding/json and crypto/hmac.
package audit

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// An Entry is one audited event.
type Entry struct {
	Seq     uint64 `json:"seq"`  // 1, 2, ... in the log's order
	Time    string `json:"time"` // RFC 3339 with nanoseconds, UTC
	Actor   string `json:"actor,omitempty"`
	Account string `json:"account,omitempty"`
	Remote  string `json:"remote,omitempty"` // the client's address
	Action  string `json:"action"`           // e.g. "login", "fax.fetch", "fax.destroy"
	Object  string `json:"object,omitempty"` // what it acted on
	Outcome string `json:"outcome"`          // "ok", "denied", "failed"
	Detail  string `json:"detail,omitempty"`
	Prev    string `json:"prev"` // the previous entry's MAC, hex; 64 zeros for the first
	MAC     string `json:"mac"`  // HMAC-SHA256 over this entry with MAC empty, hex
}

// Sentinel errors, wrapped with the offending values.
var (
	ErrBroken = errors.New("audit: chain broken")
	ErrEntry  = errors.New("audit: malformed entry")
	ErrKey    = errors.New("audit: key too short")
)

// MaxLine bounds an entry's line, so that a damaged log cannot make a
// reader take unbounded memory.
const MaxLine = 64 << 10

var zeroMAC = hex.EncodeToString(make([]byte, sha256.Size))

// mac returns the entry's MAC: over its JSON with MAC empty.
func mac(key []byte, e Entry) (string, error) {
	e.MAC = ""
	b, err := json.Marshal(e)
	if err != nil {
		return "", err
	}
	h := hmac.New(sha256.New, key)
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// A Log appends entries to a file. Its methods are safe for concurrent
// use.
type Log struct {
	key  []byte
	now  func() time.Time
	sync bool

	mu   sync.Mutex
	f    *os.File
	seq  uint64
	prev string
}

// Options configure a Log.
type Options struct {
	Now    func() time.Time // the clock; nil: time.Now
	NoSync bool             // skip the fsync after each entry (tests)
}

// Open opens (or creates) the log at path, keyed by key (at least 32
// octets), and resumes its chain from the last entry; the log is checked
// whole first, and a broken one is not appended to.
func Open(path string, key []byte, o Options) (*Log, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("%w: %d octets", ErrKey, len(key))
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	torn, err := cutTorn(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	n, last, err := verify(f, key)
	if err != nil {
		f.Close()
		return nil, err
	}
	l := &Log{key: bytes.Clone(key), now: o.Now, sync: !o.NoSync, f: f, seq: n, prev: zeroMAC}
	if n > 0 {
		l.prev = last
	}
	if l.now == nil {
		l.now = time.Now
	}
	if torn > 0 {
		if _, err := l.Append(Entry{Actor: "audit", Action: "audit.repair", Outcome: "ok",
			Detail: fmt.Sprintf("cut a torn last line of %d octets (a write the process did not finish)", torn)}); err != nil {
			l.Close()
			return nil, err
		}
	}
	return l, nil
}

// cutTorn cuts a last line that has no line feed: the entry a process
// killed while writing left half written. Every entry is written with its
// line feed in one write, so only such a line lacks one; a whole line,
// however wrong, is left for verify to judge. It returns how many octets
// it cut.
func cutTorn(f *os.File) (int64, error) {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return 0, err
	}
	size := st.Size()
	buf := make([]byte, min(size, MaxLine+1))
	if _, err := f.ReadAt(buf, size-int64(len(buf))); err != nil {
		return 0, err
	}
	if buf[len(buf)-1] == '\n' {
		return 0, nil
	}
	i := bytes.LastIndexByte(buf, '\n')
	if i < 0 && int64(len(buf)) < size {
		return 0, fmt.Errorf("%w: last line longer than %d octets", ErrEntry, MaxLine)
	}
	keep := size - int64(len(buf)) + int64(i+1)
	if err := f.Truncate(keep); err != nil {
		return 0, err
	}
	return size - keep, f.Sync()
}

// Append adds e (Seq, Time, Prev and MAC are set here) and returns it as
// written.
func (l *Log) Append(e Entry) (Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return e, os.ErrClosed
	}
	e.Seq = l.seq + 1
	e.Time = l.now().UTC().Format(time.RFC3339Nano)
	e.Prev = l.prev
	m, err := mac(l.key, e)
	if err != nil {
		return e, err
	}
	e.MAC = m
	b, err := json.Marshal(e)
	if err != nil {
		return e, err
	}
	if len(b) >= MaxLine {
		return e, fmt.Errorf("%w: %d octets", ErrEntry, len(b))
	}
	if _, err := l.f.Write(append(b, '\n')); err != nil {
		return e, err
	}
	if l.sync {
		if err := l.f.Sync(); err != nil {
			return e, err
		}
	}
	l.seq, l.prev = e.Seq, e.MAC
	return e, nil
}

// Close closes the log.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// BrokenError names the first entry where a chain breaks.
type BrokenError struct {
	Line   int    // 1-based line of the file
	Seq    uint64 // the sequence number expected there
	Reason string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("%v at line %d (entry %d): %s", ErrBroken, e.Line, e.Seq, e.Reason)
}

func (e *BrokenError) Unwrap() error { return ErrBroken }

// Verify reads a log and checks its chain under key. It returns the
// number of entries, or a *BrokenError for the first one that is
// malformed, out of sequence, not linked to the one before, or whose MAC
// is wrong.
func Verify(r io.Reader, key []byte) (int, error) {
	n, _, err := verify(r, key)
	return int(n), err
}

func verify(r io.Reader, key []byte) (n uint64, last string, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxLine)
	prev := zeroMAC
	line := 0
	for sc.Scan() {
		line++
		broken := func(reason string) (uint64, string, error) {
			return n, prev, &BrokenError{Line: line, Seq: n + 1, Reason: reason}
		}
		var e Entry
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return broken("malformed: " + err.Error())
		}
		if dec.More() {
			return broken("malformed: more after the entry")
		}
		switch {
		case e.Seq != n+1:
			return broken(fmt.Sprintf("sequence number %d", e.Seq))
		case e.Prev != prev:
			return broken("not linked to the entry before")
		}
		want, err := mac(key, e)
		if err != nil {
			return broken(err.Error())
		}
		if !hmac.Equal([]byte(want), []byte(e.MAC)) {
			return broken("MAC does not match: the entry was changed")
		}
		n, prev = e.Seq, e.MAC
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return n, prev, &BrokenError{Line: line + 1, Seq: n + 1, Reason: fmt.Sprintf("line longer than %d octets", MaxLine)}
		}
		return n, prev, err
	}
	return n, prev, nil
}
