package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

const (
	// Version names this protocol in HPKE's info, the exporter contexts
	// and every message's additional data.
	Version = "faxd-seal-v1"
	// IDSize is the size of a session ID.
	IDSize = 16
	// Overhead is what sealing adds to a message (the GCM tag).
	Overhead = 16

	keySize   = 32 // AES-256
	nonceSize = 12
)

// Sentinel errors; the returned errors wrap them with the offending
// values.
var (
	ErrSetup     = errors.New("seal: malformed session set-up")
	ErrSkew      = errors.New("seal: session set-up too old or too new")
	ErrUnknown   = errors.New("seal: unknown session")
	ErrExpired   = errors.New("seal: session expired")
	ErrExhausted = errors.New("seal: session used up")
	ErrReplay    = errors.New("seal: message replayed or too old")
	ErrOpen      = errors.New("seal: message does not open") // wrong key, tampered, or bound elsewhere
	ErrHeader    = errors.New("seal: malformed header")
	ErrAccount   = errors.New("seal: too many sessions for the account")
)

// Limits bound a session.
type Limits struct {
	Lifetime    time.Duration // 0: DefaultLifetime
	MaxMessages uint64        // requests a session may carry; 0: DefaultMaxMessages
	// MaxSkew is how far a set-up's timestamp may be from the server's
	// clock; 0: DefaultMaxSkew.
	MaxSkew time.Duration
	// MaxPerAccount bounds an account's live sessions; 0:
	// DefaultMaxPerAccount.
	MaxPerAccount int
}

// Defaults of Limits.
const (
	DefaultLifetime      = time.Hour
	DefaultMaxMessages   = 1 << 20
	DefaultMaxSkew       = 5 * time.Minute
	DefaultMaxPerAccount = 64
)

func (l Limits) withDefaults() Limits {
	if l.Lifetime <= 0 {
		l.Lifetime = DefaultLifetime
	}
	if l.MaxMessages == 0 {
		l.MaxMessages = DefaultMaxMessages
	}
	if l.MaxSkew <= 0 {
		l.MaxSkew = DefaultMaxSkew
	}
	if l.MaxPerAccount <= 0 {
		l.MaxPerAccount = DefaultMaxPerAccount
	}
	return l
}

// An ID names a session. Both ends derive it from the HPKE context.
type ID [IDSize]byte

// String returns the ID in unpadded base64url, as headers carry it.
func (id ID) String() string { return base64.RawURLEncoding.EncodeToString(id[:]) }

// ParseID reads an ID as String writes it, and only so.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != base64.RawURLEncoding.EncodedLen(IDSize) {
		return id, fmt.Errorf("%w: session ID of %d characters", ErrHeader, len(s))
	}
	_, err := base64.RawURLEncoding.Strict().Decode(id[:], []byte(s))
	if err != nil || id.String() != s {
		// The decoder skips line breaks; the canonical form has none.
		return ID{}, fmt.Errorf("%w: session ID %.32q", ErrHeader, s)
	}
	return id, nil
}

// ParseSeq reads a sequence number: decimal, 1 or more, no sign.
func ParseSeq(s string) (uint64, error) {
	if len(s) == 0 || len(s) > 20 || s[0] < '1' || s[0] > '9' {
		return 0, fmt.Errorf("%w: sequence number %.24q", ErrHeader, s)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: sequence number %.24q", ErrHeader, s)
	}
	return n, nil
}

// Directions, in the additional data.
const (
	dirRequest  = 'Q'
	dirResponse = 'R'
	dirConfirm  = 'C'
)

// keys is what both ends derive from the HPKE context.
type keys struct {
	id        ID
	account   string
	req, resp cipher.AEAD
}

type exporter interface {
	Export(exporterContext string, length int) ([]byte, error)
}

func info(account string) []byte { return append([]byte(Version+"\x00"), account...) }

func derive(ctx exporter, account string) (keys, error) {
	k := keys{account: account}
	id, err := ctx.Export(Version+" session id", IDSize)
	if err != nil {
		return k, err
	}
	copy(k.id[:], id)
	for _, d := range []struct {
		label string
		to    *cipher.AEAD
	}{{Version + " request key", &k.req}, {Version + " response key", &k.resp}} {
		key, err := ctx.Export(d.label, keySize)
		if err != nil {
			return k, err
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return k, err
		}
		if *d.to, err = cipher.NewGCM(block); err != nil {
			return k, err
		}
	}
	return k, nil
}

// appendAAD appends a message's additional data: version, direction,
// method, path, account, session, sequence number and status, each string
// length-prefixed.
func (k *keys) appendAAD(dst []byte, dir byte, method, path string, seq uint64, status int) []byte {
	dst = append(dst, Version...)
	dst = append(dst, dir)
	for _, s := range []string{method, path, k.account} {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	dst = append(dst, k.id[:]...)
	dst = binary.BigEndian.AppendUint64(dst, seq)
	return binary.BigEndian.AppendUint16(dst, uint16(status))
}

func nonce(seq uint64) (n [nonceSize]byte) {
	binary.BigEndian.PutUint64(n[4:], seq)
	return n
}

// scratch holds a message's nonce and additional data while the AEAD
// reads them: they escape through the interface call, so they come from a
// pool rather than the heap each time.
type scratch struct {
	nonce [nonceSize]byte
	aad   []byte
}

var scratches = sync.Pool{New: func() any { return &scratch{aad: make([]byte, 0, 256)} }}

func (k *keys) seal(a cipher.AEAD, dst []byte, dir byte, method, path string, seq uint64, status int, plain []byte) []byte {
	sc := scratches.Get().(*scratch)
	sc.nonce = nonce(seq)
	sc.aad = k.appendAAD(sc.aad[:0], dir, method, path, seq, status)
	out := a.Seal(dst, sc.nonce[:], plain, sc.aad)
	scratches.Put(sc)
	return out
}

func (k *keys) open(a cipher.AEAD, dst []byte, dir byte, method, path string, seq uint64, status int, sealed []byte) ([]byte, error) {
	sc := scratches.Get().(*scratch)
	sc.nonce = nonce(seq)
	sc.aad = k.appendAAD(sc.aad[:0], dir, method, path, seq, status)
	out, err := a.Open(dst, sc.nonce[:], sealed, sc.aad)
	scratches.Put(sc)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s, message %d of session %v", ErrOpen, method, path, seq, k.id)
	}
	return out, nil
}

// A Session is the server's end of a session. Its methods are safe for
// concurrent use.
type Session struct {
	keys
	expires time.Time
	maxSeq  uint64

	mu  sync.Mutex
	win window
}

// ID returns the session's ID.
func (s *Session) ID() ID { return s.id }

// Account returns the account the session was opened for.
func (s *Session) Account() string { return s.account }

// Expires returns when the session ends.
func (s *Session) Expires() time.Time { return s.expires }

// OpenRequest opens request number seq of the session, sealed for method
// and path, appending the body to dst. A sequence number taken before, or
// WindowSize behind the newest, is refused; one that does not open is
// not taken.
func (s *Session) OpenRequest(dst []byte, now time.Time, seq uint64, method, path string, sealed []byte) ([]byte, error) {
	if !now.Before(s.expires) {
		return nil, fmt.Errorf("%w: session %v at %v", ErrExpired, s.id, s.expires.Format(time.RFC3339))
	}
	if seq > s.maxSeq {
		return nil, fmt.Errorf("%w: message %d of %d", ErrExhausted, seq, s.maxSeq)
	}
	s.mu.Lock()
	fresh := s.win.fresh(seq)
	s.mu.Unlock()
	if !fresh {
		return nil, fmt.Errorf("%w: message %d of session %v", ErrReplay, seq, s.id)
	}
	out, err := s.open(s.req, dst, dirRequest, method, path, seq, 0, sealed)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	taken := s.win.take(seq) // a concurrent copy of the same message may have won
	s.mu.Unlock()
	if !taken {
		return nil, fmt.Errorf("%w: message %d of session %v", ErrReplay, seq, s.id)
	}
	return out, nil
}

// SealResponse seals the response to request seq, with its status,
// appending to dst.
func (s *Session) SealResponse(dst []byte, seq uint64, method, path string, status int, body []byte) []byte {
	return s.seal(s.resp, dst, dirResponse, method, path, seq, status, body)
}
