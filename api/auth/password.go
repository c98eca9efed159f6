package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's costs (RFC 9106 §4).
type Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultParams: 64 MiB, 2 passes, 2 lanes (about 100 ms of two cores
// here). Passwords are checked at login and API secrets when a token is
// taken, never on every request.
var DefaultParams = Params{MemoryKiB: 64 << 10, Time: 2, Threads: 2}

// Bounds on what a stored hash may ask for, so that a damaged or hostile
// one cannot make a check take unbounded memory or time.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 16
	maxThreads   = 16
	saltLen      = 16
	keyLen       = 32
)

var b64 = base64.RawStdEncoding

// ErrHash is returned for a stored hash that does not parse.
var ErrHash = errors.New("auth: malformed password hash")

// HashPassword hashes a password or secret with argon2id under a random
// salt, in the PHC string format:
// $argon2id$v=19$m=65536,t=2,p=2$salt$hash.
func HashPassword(password string, p Params) string {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// CheckPassword reports whether password matches the stored hash, and
// whether the hash should be made again with p (its costs are lower).
func CheckPassword(password, stored string, p Params) (ok, rehash bool, err error) {
	hp, salt, key, err := parseHash(stored)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(password), salt, hp.Time, hp.MemoryKiB, hp.Threads, uint32(len(key)))
	ok = subtle.ConstantTimeCompare(got, key) == 1
	rehash = hp.MemoryKiB < p.MemoryKiB || hp.Time < p.Time || hp.Threads < p.Threads
	return ok, rehash, nil
}

// parseHash reads a PHC string that HashPassword could have written.
func parseHash(s string) (p Params, salt, key []byte, err error) {
	bad := func(what string) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, fmt.Errorf("%w: %s", ErrHash, what)
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return bad("not $argon2id$v=..$m=..,t=..,p=..$salt$hash")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("version " + strconv.Quote(parts[2]))
	}
	var m, t, th uint64
	for i, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil || i > 2 || k != [...]string{"m", "t", "p"}[i] {
			return bad("parameters " + strconv.Quote(parts[3]))
		}
		*[...]*uint64{&m, &t, &th}[i] = n
	}
	if m < 8 || m > maxMemoryKiB || t < 1 || t > maxTime || th < 1 || th > maxThreads || m < 8*th {
		return bad("costs out of bounds: " + parts[3])
	}
	salt, err1 := b64.Strict().DecodeString(parts[4])
	key, err2 := b64.Strict().DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(salt) > 64 || len(key) < 16 || len(key) > 64 {
		return bad("salt or hash")
	}
	return Params{MemoryKiB: uint32(m), Time: uint32(t), Threads: uint8(th)}, salt, key, nil
}
