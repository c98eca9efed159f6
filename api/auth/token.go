package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Claims are what an access token says.
type Claims struct {
	ID      string `json:"jti"`   // random, for audit and revocation
	Subject string `json:"sub"`   // the user or API credential
	Account string `json:"acct"`  // the account it acts in
	Roles   []Role `json:"roles"` // what it may do
	Kind    string `json:"kind"`  // "user" (admin login) or "api"
	// Change marks the token of a one-time password: good only to
	// change it.
	Change  bool  `json:"chg,omitempty"`
	Issued  int64 `json:"iat"` // Unix seconds
	Expires int64 `json:"exp"` // Unix seconds
}

// Token errors.
var (
	ErrToken        = errors.New("auth: invalid token")
	ErrTokenExpired = errors.New("auth: token expired")
	ErrTokenKey     = errors.New("auth: token key shorter than 32 octets")
)

// DefaultTokenTTL is how long a token lives unless the Issuer says.
const DefaultTokenTTL = 15 * time.Minute

// maxToken bounds a token's length before anything else is done with it.
const maxToken = 4096

const tokenPrefix = "fxt1."

// An Issuer makes and checks tokens with its keys: the first signs, all
// verify (so a key can be rotated while tokens signed by the old one
// live out their minutes).
type Issuer struct {
	keys [][]byte
	TTL  time.Duration    // 0: DefaultTokenTTL
	Now  func() time.Time // nil: time.Now
}

// NewIssuer returns an issuer signing with keys[0]; each key at least 32
// octets.
func NewIssuer(keys ...[]byte) (*Issuer, error) {
	if len(keys) == 0 {
		return nil, ErrTokenKey
	}
	for _, k := range keys {
		if len(k) < 32 {
			return nil, fmt.Errorf("%w: %d", ErrTokenKey, len(k))
		}
	}
	return &Issuer{keys: keys}, nil
}

func (is *Issuer) now() time.Time {
	if is.Now != nil {
		return is.Now()
	}
	return time.Now()
}

func sign(key, payload []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(tokenPrefix))
	h.Write(payload)
	return h.Sum(nil)
}

// Issue signs c, setting its ID, issue and expiry times.
func (is *Issuer) Issue(c Claims) (string, Claims, error) {
	var id [12]byte
	rand.Read(id[:])
	c.ID = base64.RawURLEncoding.EncodeToString(id[:])
	now := is.now()
	ttl := is.TTL
	if ttl <= 0 {
		ttl = DefaultTokenTTL
	}
	c.Issued, c.Expires = now.Unix(), now.Add(ttl).Unix()
	payload, err := json.Marshal(c)
	if err != nil {
		return "", c, err
	}
	enc := base64.RawURLEncoding
	return tokenPrefix + enc.EncodeToString(payload) + "." + enc.EncodeToString(sign(is.keys[0], payload)), c, nil
}

// Verify checks a token's signature and expiry and returns its claims.
func (is *Issuer) Verify(token string) (Claims, error) {
	var c Claims
	if len(token) > maxToken {
		return c, fmt.Errorf("%w: %d octets", ErrToken, len(token))
	}
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	p64, s64, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 {
		return c, fmt.Errorf("%w: not a faxd token", ErrToken)
	}
	enc := base64.RawURLEncoding.Strict()
	payload, err1 := enc.DecodeString(p64)
	sig, err2 := enc.DecodeString(s64)
	if err1 != nil || err2 != nil {
		return c, fmt.Errorf("%w: encoding", ErrToken)
	}
	good := false
	for _, k := range is.keys {
		if hmac.Equal(sig, sign(k, payload)) {
			good = true
		}
	}
	if !good {
		return c, fmt.Errorf("%w: signature", ErrToken)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Claims{}, fmt.Errorf("%w: claims: %v", ErrToken, err)
	}
	now := is.now().Unix()
	if now >= c.Expires {
		return Claims{}, fmt.Errorf("%w: at %s", ErrTokenExpired, time.Unix(c.Expires, 0).UTC().Format(time.RFC3339))
	}
	if c.Issued > now+60 {
		return Claims{}, fmt.Errorf("%w: issued in the future", ErrToken)
	}
	return c, nil
}
