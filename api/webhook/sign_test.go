package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Known answer. The MAC was computed apart from this package with
//
//	printf '%s' '1700000000.{"id":"fax_01","state":"sent"}' |
//	    openssl dgst -sha256 -hmac 'whsec_c2VjcmV0LWZvci10ZXN0cy1vbmx5LW5vdC1hLXJlYWw'
//
// and is recomputed below with crypto/hmac.
const (
	kaSecret = "whsec_c2VjcmV0LWZvci10ZXN0cy1vbmx5LW5vdC1hLXJlYWw"
	kaTime   = 1700000000
	kaBody   = `{"id":"fax_01","state":"sent"}`
	kaMAC    = "724b7e1dcab1bc062eafb550b1cd327fe711466ea91330f44392183c948a9eda"
	kaHeader = "t=1700000000,v1=" + kaMAC
)

func TestSignKnownAnswer(t *testing.T) {
	h := hmac.New(sha256.New, []byte(kaSecret))
	h.Write([]byte("1700000000." + kaBody))
	if got := hex.EncodeToString(h.Sum(nil)); got != kaMAC {
		t.Fatalf("crypto/hmac gives %s, pinned %s", got, kaMAC)
	}
	if got := Sign(kaSecret, time.Unix(kaTime, 0), []byte(kaBody)); got != kaHeader {
		t.Fatalf("Sign = %s, want %s", got, kaHeader)
	}
	if err := Verify(kaSecret, kaHeader, []byte(kaBody), time.Unix(kaTime+60, 0), 0); err != nil {
		t.Fatal(err)
	}
}

func TestNewSecret(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s := NewSecret()
		rest, ok := strings.CutPrefix(s, SecretPrefix)
		if !ok {
			t.Fatalf("%q lacks %s", s, SecretPrefix)
		}
		k, err := base64.RawURLEncoding.DecodeString(rest)
		if err != nil || len(k) != 32 {
			t.Fatalf("%q: %d octets, %v", s, len(k), err)
		}
		if seen[s] {
			t.Fatalf("%q twice", s)
		}
		seen[s] = true
	}
	// The test vector's secret has the same form.
	if k, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(kaSecret, SecretPrefix)); err != nil || len(k) != 32 {
		t.Fatalf("test secret: %d octets, %v", len(k), err)
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, body := range []string{"", "{}", kaBody, strings.Repeat("x", 1<<16), "a.b.c\x00\xff"} {
		s := NewSecret()
		h := Sign(s, now, []byte(body))
		if err := Verify(s, h, []byte(body), now, time.Minute); err != nil {
			t.Errorf("%d-octet body: %v", len(body), err)
		}
	}
}

func TestVerifyRefuses(t *testing.T) {
	now := time.Unix(kaTime, 0)
	body := []byte(kaBody)
	other := kaMAC[:10] + "0" + kaMAC[11:] // one hex digit changed
	cases := []struct {
		name   string
		secret string
		header string
		body   []byte
		want   error
	}{
		{"tampered body", kaSecret, kaHeader, []byte(`{"id":"fax_01","state":"failed"}`), ErrSignature},
		{"body with a space added", kaSecret, kaHeader, []byte(kaBody + " "), ErrSignature},
		{"tampered timestamp", kaSecret, "t=1700000001,v1=" + kaMAC, body, ErrSignature},
		{"other secret", NewSecret(), kaHeader, body, ErrSignature},
		{"secret without prefix", strings.TrimPrefix(kaSecret, SecretPrefix), kaHeader, body, ErrSignature},
		{"empty secret", "", kaHeader, body, ErrSignature},
		{"one digit of the MAC", kaSecret, "t=1700000000,v1=" + other, body, ErrSignature},
		{"empty", kaSecret, "", body, ErrHeader},
		{"no t", kaSecret, "v1=" + kaMAC, body, ErrHeader},
		{"no v1", kaSecret, "t=1700000000", body, ErrHeader},
		{"only v0", kaSecret, "t=1700000000,v0=" + kaMAC, body, ErrHeader},
		{"two t", kaSecret, "t=1700000000,t=1700000000,v1=" + kaMAC, body, ErrHeader},
		{"signed t", kaSecret, "t=+1700000000,v1=" + kaMAC, body, ErrHeader},
		{"negative t", kaSecret, "t=-1,v1=" + kaMAC, body, ErrHeader},
		{"t too long", kaSecret, "t=99999999999999999999,v1=" + kaMAC, body, ErrHeader},
		{"t overflow", kaSecret, "t=9999999999999999999,v1=" + kaMAC, body, ErrHeader},
		{"short v1", kaSecret, "t=1700000000,v1=" + kaMAC[:62], body, ErrHeader},
		{"v1 not hex", kaSecret, "t=1700000000,v1=" + strings.Repeat("g", 64), body, ErrHeader},
		{"bare word", kaSecret, "t=1700000000,v1=" + kaMAC + ",junk", body, ErrHeader},
		{"trailing comma", kaSecret, kaHeader + ",", body, ErrHeader},
		{"empty key", kaSecret, kaHeader + ",=x", body, ErrHeader},
		{"semicolons", kaSecret, "t=1700000000;v1=" + kaMAC, body, ErrHeader},
		{"too long", kaSecret, kaHeader + strings.Repeat(",v1="+kaMAC, 60), body, ErrHeader},
	}
	for _, c := range cases {
		err := Verify(c.secret, c.header, c.body, now, time.Minute)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestVerifyAccepts(t *testing.T) {
	now := time.Unix(kaTime, 0)
	body := []byte(kaBody)
	wrong := strings.Repeat("0", 64)
	for name, h := range map[string]string{
		"plain":                kaHeader,
		"v1 first":             "v1=" + kaMAC + ",t=1700000000",
		"spaces":               " t=1700000000 ,\tv1=" + kaMAC + " ",
		"upper-case hex":       "t=1700000000,v1=" + strings.ToUpper(kaMAC),
		"unknown keys ignored": "t=1700000000,v2=whatever,v1=" + kaMAC + ",x=",
		"second of two":        "t=1700000000,v1=" + wrong + ",v1=" + kaMAC,
		"first of two":         "t=1700000000,v1=" + kaMAC + ",v1=" + wrong,
		"leading zeros":        "t=0001700000000,v1=" + kaMAC,
		"many, one matching":   "t=1700000000" + strings.Repeat(",v1="+wrong, 40) + ",v1=" + kaMAC,
		"value holding =":      "t=1700000000,v9=a=b,v1=" + kaMAC,
	} {
		if err := Verify(kaSecret, h, body, now, time.Minute); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A sender rotating its secret signs under both; a receiver holding
// either accepts.
func TestVerifySeveralSecrets(t *testing.T) {
	now := time.Unix(kaTime, 0)
	body := []byte(kaBody)
	old, cur := NewSecret(), NewSecret()
	a, b := Sign(old, now, body), Sign(cur, now, body)
	both := a + "," + strings.SplitN(b, ",", 2)[1]
	for _, s := range []string{old, cur} {
		if err := Verify(s, both, body, now, 0); err != nil {
			t.Error(err)
		}
	}
	if err := Verify(NewSecret(), both, body, now, 0); !errors.Is(err, ErrSignature) {
		t.Errorf("third secret: %v", err)
	}
}

func TestVerifyTolerance(t *testing.T) {
	signed := time.Unix(kaTime, 0)
	body := []byte(kaBody)
	cases := []struct {
		now time.Duration // after signing
		tol time.Duration
		ok  bool
	}{
		{0, time.Minute, true},
		{time.Minute, time.Minute, true},
		{time.Minute + time.Second, time.Minute, false},
		{-time.Minute, time.Minute, true},
		{-time.Minute - time.Second, time.Minute, false}, // from the future
		{DefaultTolerance, 0, true},
		{DefaultTolerance + time.Second, 0, false},
		{DefaultTolerance + time.Second, -1, false},
		{-DefaultTolerance - time.Second, 0, false},
		{1000 * time.Hour, time.Hour, false},
		// A fraction of a second past the signing second counts.
		{time.Minute + 500*time.Millisecond, time.Minute, false},
	}
	for _, c := range cases {
		err := Verify(kaSecret, kaHeader, body, signed.Add(c.now), c.tol)
		if c.ok && err != nil || !c.ok && !errors.Is(err, ErrTimestamp) {
			t.Errorf("now %+v, tolerance %v: %v", c.now, c.tol, err)
		}
	}
	// Far-off timestamps that are validly signed do not overflow.
	for _, ts := range []int64{0, 1, 9223372036854775807} {
		h := fmt.Sprintf("t=%d,v1=%x", ts, mac(kaSecret, ts, body))
		if err := Verify(kaSecret, h, body, signed, time.Hour); !errors.Is(err, ErrTimestamp) {
			t.Errorf("t=%d: %v", ts, err)
		}
	}
}

func TestParseHeader(t *testing.T) {
	ts, sigs, err := parseHeader("t=12,v1=" + kaMAC + ",v2=x,v1=" + strings.Repeat("ab", 32))
	if err != nil || ts != 12 || len(sigs) != 2 || hex.EncodeToString(sigs[0]) != kaMAC || sigs[1][0] != 0xab {
		t.Fatalf("%d %x %v", ts, sigs, err)
	}
}

// ExampleVerify shows a receiver that holds its old and new secret while
// it rotates them: either may have signed a delivery.
func ExampleVerify() {
	secrets := []string{kaSecret, "whsec_the-new-one"}
	header := kaHeader // r.Header.Get("Faxd-Signature")
	body := []byte(kaBody)
	now := time.Unix(kaTime+30, 0) // time.Now()

	var err error
	for _, s := range secrets {
		if err = Verify(s, header, body, now, 0); err == nil || !errors.Is(err, ErrSignature) {
			break
		}
	}
	fmt.Println(err)
	// Output: <nil>
}
