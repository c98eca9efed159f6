package seal

import (
	"crypto/ecdh"
	"crypto/hpke"
	"errors"
	"fmt"
)

// A Suite is an HPKE cipher suite for opening sessions.
type Suite struct {
	KEM  hpke.KEM
	KDF  hpke.KDF
	AEAD hpke.AEAD
}

// SuiteP521 is the default: DHKEM(P-521, HKDF-SHA512), HKDF-SHA512,
// AES-256-GCM (RFC 9180 §7).
func SuiteP521() Suite {
	return Suite{KEM: hpke.DHKEM(ecdh.P521()), KDF: hpke.HKDFSHA512(), AEAD: hpke.AES256GCM()}
}

// SuiteHybrid is the post-quantum option: the ML-KEM-768 + X25519 hybrid
// KEM with HKDF-SHA512 and AES-256-GCM.
func SuiteHybrid() Suite {
	return Suite{KEM: hpke.MLKEM768X25519(), KDF: hpke.HKDFSHA512(), AEAD: hpke.AES256GCM()}
}

// SuiteFor returns the suite of a KEM identifier: the KEM's, always with
// HKDF-SHA512 and AES-256-GCM.
func SuiteFor(kemID uint16) (Suite, error) {
	for _, s := range []Suite{SuiteP521(), SuiteHybrid()} {
		if s.KEM.ID() == kemID {
			return s, nil
		}
	}
	return Suite{}, fmt.Errorf("%w: KEM 0x%04x", ErrSuite, kemID)
}

// ErrSuite is returned for a KEM this package does not offer.
var ErrSuite = errors.New("seal: unsupported cipher suite")

// A Key is the server's long-term key pair, to which clients open
// sessions.
type Key struct {
	suite Suite
	priv  hpke.PrivateKey
}

// GenerateKey makes a new server key for suite.
func GenerateKey(suite Suite) (*Key, error) {
	priv, err := suite.KEM.GenerateKey()
	if err != nil {
		return nil, err
	}
	return &Key{suite: suite, priv: priv}, nil
}

// ParseKey reads a key written by [Key.MarshalBinary].
func ParseKey(b []byte) (*Key, error) {
	if len(b) < 2 {
		return nil, fmt.Errorf("%w: %d bytes", ErrKey, len(b))
	}
	suite, err := SuiteFor(uint16(b[0])<<8 | uint16(b[1]))
	if err != nil {
		return nil, err
	}
	priv, err := suite.KEM.NewPrivateKey(b[2:])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	return &Key{suite: suite, priv: priv}, nil
}

// ErrKey is returned for a key that does not parse.
var ErrKey = errors.New("seal: malformed key")

// MarshalBinary writes the key: the KEM identifier (2 octets, big endian)
// and the private key as RFC 9180's SerializePrivateKey gives it. It is
// secret: store it encrypted.
func (k *Key) MarshalBinary() ([]byte, error) {
	b, err := k.priv.Bytes()
	if err != nil {
		return nil, err
	}
	id := k.suite.KEM.ID()
	return append([]byte{byte(id >> 8), byte(id)}, b...), nil
}

// Public returns what clients need: the KEM identifier (2 octets, big
// endian) and the public key as SerializePublicKey gives it.
func (k *Key) Public() []byte {
	id := k.suite.KEM.ID()
	return append([]byte{byte(id >> 8), byte(id)}, k.priv.PublicKey().Bytes()...)
}

// Suite returns the key's suite.
func (k *Key) Suite() Suite { return k.suite }
