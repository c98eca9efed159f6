package seal

import (
	"crypto/hpke"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// setupVersion is the first octet of a set-up message.
const setupVersion = 1

// maxEnc bounds an encapsulated key in a set-up (ML-KEM-768 + X25519's
// is 1120 octets; P-521's 133).
const maxEnc = 2048

// A Client is the client's end of a session. Its methods are safe for
// concurrent use: each SealRequest takes the next sequence number.
type Client struct {
	keys
	setup   []byte
	seq     atomic.Uint64
	maxSeq  uint64
	expires time.Time
}

// Open opens a session to the server whose public key ([Key.Public]) is
// serverPublic, for account, at time now. Send [Client.Setup] to the
// server and check its answer with [Client.Confirm].
func Open(serverPublic []byte, account string, now time.Time, lim Limits) (*Client, error) {
	lim = lim.withDefaults()
	if len(serverPublic) < 2 {
		return nil, fmt.Errorf("%w: public key of %d octets", ErrKey, len(serverPublic))
	}
	kemID := binary.BigEndian.Uint16(serverPublic)
	suite, err := SuiteFor(kemID)
	if err != nil {
		return nil, err
	}
	pk, err := suite.KEM.NewPublicKey(serverPublic[2:])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	enc, sender, err := hpke.NewSender(pk, suite.KDF, suite.AEAD, info(account))
	if err != nil {
		return nil, err
	}
	k, err := derive(sender, account)
	if err != nil {
		return nil, err
	}
	// The set-up carries its time, sealed in the HPKE context itself, so
	// that a recorded set-up cannot open the session again later.
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(now.UnixNano()))
	sealedTS, err := sender.Seal([]byte(Version), ts[:])
	if err != nil {
		return nil, err
	}
	setup := []byte{setupVersion, byte(kemID >> 8), byte(kemID), byte(len(enc) >> 8), byte(len(enc))}
	setup = append(append(setup, enc...), sealedTS...)
	return &Client{keys: k, setup: setup, maxSeq: lim.MaxMessages, expires: now.Add(lim.Lifetime)}, nil
}

// Setup returns the set-up message for the server.
func (c *Client) Setup() []byte { return c.setup }

// ID returns the session's ID.
func (c *Client) ID() ID { return c.id }

// Expires returns when the session ends, by the client's clock.
func (c *Client) Expires() time.Time { return c.expires }

// Confirm checks the server's answer to the set-up: proof that it holds
// the key and derived the same session.
func (c *Client) Confirm(proof []byte) error {
	if _, err := c.open(c.resp, nil, dirConfirm, "", "", 0, 0, proof); err != nil {
		return fmt.Errorf("seal: server's confirmation: %w", err)
	}
	return nil
}

// SealRequest seals a request's body for method and path under the next
// sequence number, appending to dst. Send the session ID and seq with it.
func (c *Client) SealRequest(dst []byte, method, path string, body []byte) (seq uint64, sealed []byte, err error) {
	seq = c.seq.Add(1)
	if seq > c.maxSeq {
		return 0, nil, fmt.Errorf("%w: message %d of %d", ErrExhausted, seq, c.maxSeq)
	}
	return seq, c.seal(c.req, dst, dirRequest, method, path, seq, 0, body), nil
}

// OpenResponse opens the response to request seq, appending its body to
// dst; status is the HTTP status it came with (bound into the seal).
func (c *Client) OpenResponse(dst []byte, seq uint64, method, path string, status int, sealed []byte) ([]byte, error) {
	return c.open(c.resp, dst, dirResponse, method, path, seq, status, sealed)
}

// A Server accepts sessions to its key and keeps them until they expire.
// Its methods are safe for concurrent use.
type Server struct {
	key *Key
	lim Limits

	mu       sync.Mutex
	sessions map[ID]*Session
	// seen holds the IDs of sessions set up recently, live or not, until
	// their set-up's timestamp is too old to be taken again: a replayed
	// set-up never reopens a session.
	seen       map[ID]time.Time
	perAccount map[string]int
	lastPrune  time.Time
}

// NewServer returns a server for key.
func NewServer(key *Key, lim Limits) *Server {
	return &Server{key: key, lim: lim.withDefaults(), sessions: map[ID]*Session{}, seen: map[ID]time.Time{}, perAccount: map[string]int{}}
}

// Key returns the server's key.
func (s *Server) Key() *Key { return s.key }

// Accept takes a client's set-up for account at time now, and returns the
// session and the confirmation to send back.
func (s *Server) Accept(account string, setup []byte, now time.Time) (*Session, []byte, error) {
	if len(setup) < 5 || setup[0] != setupVersion {
		return nil, nil, fmt.Errorf("%w: %d octets", ErrSetup, len(setup))
	}
	suite := s.key.suite
	if id := binary.BigEndian.Uint16(setup[1:]); id != suite.KEM.ID() {
		return nil, nil, fmt.Errorf("%w: KEM 0x%04x, the server's is 0x%04x", ErrSuite, id, suite.KEM.ID())
	}
	n := int(binary.BigEndian.Uint16(setup[3:]))
	if n == 0 || n > maxEnc || len(setup) < 5+n {
		return nil, nil, fmt.Errorf("%w: encapsulated key of %d octets in %d", ErrSetup, n, len(setup))
	}
	enc, sealedTS := setup[5:5+n], setup[5+n:]
	r, err := hpke.NewRecipient(enc, s.key.priv, suite.KDF, suite.AEAD, info(account))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrSetup, err)
	}
	ts, err := r.Open([]byte(Version), sealedTS)
	if err != nil || len(ts) != 8 {
		return nil, nil, fmt.Errorf("%w: timestamp does not open for account %q", ErrOpen, account)
	}
	at := time.Unix(0, int64(binary.BigEndian.Uint64(ts)))
	if d := now.Sub(at); d > s.lim.MaxSkew || d < -s.lim.MaxSkew {
		return nil, nil, fmt.Errorf("%w: set up at %v, now %v", ErrSkew, at.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	k, err := derive(r, account)
	if err != nil {
		return nil, nil, err
	}
	sess := &Session{keys: k, expires: now.Add(s.lim.Lifetime), maxSeq: s.lim.MaxMessages}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prune(now)
	if _, dup := s.seen[k.id]; dup {
		return nil, nil, fmt.Errorf("%w: set-up of session %v", ErrReplay, k.id)
	}
	if s.perAccount[account] >= s.lim.MaxPerAccount {
		return nil, nil, fmt.Errorf("%w: %q has %d", ErrAccount, account, s.perAccount[account])
	}
	s.sessions[k.id] = sess
	s.seen[k.id] = at.Add(s.lim.MaxSkew)
	s.perAccount[account]++
	return sess, k.seal(k.resp, nil, dirConfirm, "", "", 0, 0, nil), nil
}

// Session returns live session id for account at time now.
func (s *Server) Session(id ID, account string, now time.Time) (*Session, error) {
	s.mu.Lock()
	sess := s.sessions[id]
	s.mu.Unlock()
	if sess == nil || sess.account != account {
		// Another account's session is as unknown as no session.
		return nil, fmt.Errorf("%w: %v for %q", ErrUnknown, id, account)
	}
	if !now.Before(sess.expires) {
		return nil, fmt.Errorf("%w: session %v at %v", ErrExpired, id, sess.expires.Format(time.RFC3339))
	}
	return sess, nil
}

// Close ends a session before its time.
func (s *Server) Close(id ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess := s.sessions[id]; sess != nil {
		delete(s.sessions, id)
		s.perAccount[sess.account]--
		if s.perAccount[sess.account] <= 0 {
			delete(s.perAccount, sess.account)
		}
	}
}

// Len returns how many sessions are live or not yet pruned.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Prune drops expired sessions and set-ups too old to replay. Accept
// prunes too, at most once a second; a server calls Prune now and then
// so that sessions that end in a quiet time go.
func (s *Server) Prune(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastPrune = time.Time{}
	s.prune(now)
}

func (s *Server) prune(now time.Time) {
	if now.Sub(s.lastPrune) < time.Second && now.After(s.lastPrune) {
		return
	}
	s.lastPrune = now
	for id, sess := range s.sessions {
		if !now.Before(sess.expires) {
			delete(s.sessions, id)
			s.perAccount[sess.account]--
			if s.perAccount[sess.account] <= 0 {
				delete(s.perAccount, sess.account)
			}
		}
	}
	for id, until := range s.seen {
		if now.After(until) {
			if _, live := s.sessions[id]; !live {
				delete(s.seen, id)
			}
		}
	}
}
