package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Signature errors, each wrapped with what explains it.
var (
	// ErrHeader: the Faxd-Signature header is malformed.
	ErrHeader = errors.New("webhook: malformed signature header")
	// ErrSignature: no v1 signature in the header matches the body
	// under the secret.
	ErrSignature = errors.New("webhook: signature does not match")
	// ErrTimestamp: the signature is good but its time is outside the
	// tolerance (a replay, or clocks apart).
	ErrTimestamp = errors.New("webhook: timestamp outside tolerance")
)

// SecretPrefix starts every webhook secret.
const SecretPrefix = "whsec_"

// DefaultTolerance is how far a signature's time may be from the
// receiver's clock when Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// maxHeader bounds the header Verify reads: room for dozens of
// signatures, and no more work than that for whoever sends one.
const maxHeader = 4096

// macSize is the length of an HMAC-SHA256 in octets.
const macSize = sha256.Size

// NewSecret returns a new webhook secret: SecretPrefix and the unpadded
// base64url of 32 octets from crypto/rand.
func NewSecret() string {
	var k [32]byte
	rand.Read(k[:]) // never fails (crypto/rand, Go 1.24)
	return SecretPrefix + base64.RawURLEncoding.EncodeToString(k[:])
}

// mac is HMAC-SHA256 over "<t>.<body>" keyed by the secret's bytes.
func mac(secret string, t int64, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	var b [20]byte
	h.Write(strconv.AppendInt(b[:0], t, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Sign returns the Faxd-Signature header value for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">". Times before
// 1970 make a header Verify refuses.
func Sign(secret string, t time.Time, body []byte) string {
	ts := t.Unix()
	return "t=" + strconv.FormatInt(ts, 10) + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

// Verify checks a Faxd-Signature header against the raw body as received:
// the header must parse (ErrHeader), one of its v1 signatures must match
// the body under secret (ErrSignature; compared in constant time), and
// its time must be within tolerance of now, either side (ErrTimestamp).
// A tolerance of 0 or less is DefaultTolerance. The signature is checked
// before the time, so ErrTimestamp means a genuine but stale or early
// message, and a forged one is always ErrSignature.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return fmt.Errorf("%w: empty secret", ErrSignature)
	}
	ts, sigs, err := parseHeader(header)
	if err != nil {
		return err
	}
	want := mac(secret, ts, body)
	ok := 0
	for _, s := range sigs {
		// Every signature is compared, matched or not, so the time
		// taken does not say which one matched.
		ok |= subtle.ConstantTimeCompare(want, s)
	}
	if ok == 0 {
		return fmt.Errorf("%w: %d v1 signature(s) at t=%d", ErrSignature, len(sigs), ts)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	// Unix seconds up to 19 digits may lie outside time.Duration's range;
	// Sub saturates, so the comparison still holds.
	d := now.Sub(time.Unix(ts, 0))
	if d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: t=%d is %v from now (tolerance %v)", ErrTimestamp, ts, d.Truncate(time.Second), tolerance)
	}
	return nil
}

// parseHeader reads "t=<digits>,v1=<hex>[,v1=<hex>...]" with other keys
// ignored, spaces and tabs around elements allowed.
func parseHeader(h string) (ts int64, sigs [][]byte, err error) {
	if len(h) > maxHeader {
		return 0, nil, fmt.Errorf("%w: %d octets (at most %d)", ErrHeader, len(h), maxHeader)
	}
	if strings.TrimSpace(h) == "" {
		return 0, nil, fmt.Errorf("%w: empty", ErrHeader)
	}
	haveT := false
	for i, e := range strings.Split(h, ",") {
		e = strings.Trim(e, " \t")
		k, v, found := strings.Cut(e, "=")
		if !found || k == "" {
			return 0, nil, fmt.Errorf("%w: element %d %.40q is not key=value", ErrHeader, i+1, e)
		}
		switch k {
		case "t":
			if haveT {
				return 0, nil, fmt.Errorf("%w: more than one t", ErrHeader)
			}
			if ts, err = parseUnix(v); err != nil {
				return 0, nil, err
			}
			haveT = true
		case "v1":
			if len(v) != 2*macSize {
				return 0, nil, fmt.Errorf("%w: v1 has %d characters (want %d hex digits)", ErrHeader, len(v), 2*macSize)
			}
			s, err := hex.DecodeString(v)
			if err != nil {
				return 0, nil, fmt.Errorf("%w: v1 is not hexadecimal", ErrHeader)
			}
			sigs = append(sigs, s)
		}
	}
	if !haveT {
		return 0, nil, fmt.Errorf("%w: no t", ErrHeader)
	}
	if len(sigs) == 0 {
		return 0, nil, fmt.Errorf("%w: no v1 signature", ErrHeader)
	}
	return ts, sigs, nil
}

// parseUnix reads 1 to 19 decimal digits, no sign.
func parseUnix(v string) (int64, error) {
	if len(v) == 0 || len(v) > 19 {
		return 0, fmt.Errorf("%w: t %.40q is not 1 to 19 digits", ErrHeader, v)
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, fmt.Errorf("%w: t %.40q is not decimal", ErrHeader, v)
		}
	}
	ts, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: t %s out of range", ErrHeader, v)
	}
	return ts, nil
}
