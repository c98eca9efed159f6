package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base32"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/faxd/faxd/api/audit"
	"github.com/faxd/faxd/api/seal"
	"github.com/faxd/faxd/api/store"
	"github.com/faxd/faxd/api/vault"
)

// A data directory holds everything faxd keeps:
//
//	vault/      documents, images and the server's secrets, encrypted (api/vault)
//	faxd.db     accounts, credentials, jobs (api/store)
//	audit.log   the audit log (api/audit)
//	tls.crt     the server's certificate (its key is in the vault)
//
// The secrets in the vault: "token-key" (signs access tokens),
// "audit-key" (chains the audit log), "seal-key" (message sessions) and
// "tls-key".
type dataDir struct {
	root  string
	vault *vault.Vault
	store *store.Store
	audit *audit.Log
	seal  *seal.Key
	token []byte
	cert  tls.Certificate
}

func (d *dataDir) Close() {
	if d.store != nil {
		d.store.Close()
	}
	if d.audit != nil {
		d.audit.Close()
	}
}

func putSecret(v *vault.Vault, id string, b []byte) error {
	_, err := v.Put(id, bytes.NewReader(b))
	return err
}

func getSecret(v *vault.Vault, id string) ([]byte, error) {
	r, err := v.Get(id)
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", id, err)
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, 1<<20))
}

// initData makes a data directory at root: the vault and its master key,
// the secrets, a self-signed certificate for hosts, the store, the audit
// log. It refuses a directory that holds a faxd already.
func initData(root string, hosts []string, now time.Time) (*dataDir, error) {
	if _, err := os.Stat(filepath.Join(root, "faxd.db")); err == nil {
		return nil, fmt.Errorf("%s holds a faxd already", root)
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, err
	}
	v, err := vault.Init(filepath.Join(root, "vault"))
	if err != nil {
		return nil, err
	}
	for _, id := range []string{"token-key", "audit-key"} {
		k := make([]byte, 32)
		rand.Read(k)
		if err := putSecret(v, id, k); err != nil {
			return nil, err
		}
	}
	sk, err := seal.GenerateKey(seal.SuiteP521())
	if err != nil {
		return nil, err
	}
	skb, _ := sk.MarshalBinary()
	if err := putSecret(v, "seal-key", skb); err != nil {
		return nil, err
	}
	certPEM, keyDER, err := selfSigned(hosts, now)
	if err != nil {
		return nil, err
	}
	if err := putSecret(v, "tls-key", keyDER); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(root, "tls.crt"), certPEM, 0o644); err != nil {
		return nil, err
	}
	return openData(root)
}

// openData opens a data directory made by initData.
func openData(root string) (*dataDir, error) {
	v, err := vault.Open(filepath.Join(root, "vault"))
	if err != nil {
		return nil, err
	}
	d := &dataDir{root: root, vault: v}
	if d.token, err = getSecret(v, "token-key"); err != nil {
		return nil, err
	}
	ak, err := getSecret(v, "audit-key")
	if err != nil {
		return nil, err
	}
	skb, err := getSecret(v, "seal-key")
	if err != nil {
		return nil, err
	}
	if d.seal, err = seal.ParseKey(skb); err != nil {
		return nil, err
	}
	keyDER, err := getSecret(v, "tls-key")
	if err != nil {
		return nil, err
	}
	certPEM, err := os.ReadFile(filepath.Join(root, "tls.crt"))
	if err != nil {
		return nil, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	if d.cert, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
		return nil, err
	}
	if d.audit, err = audit.Open(filepath.Join(root, "audit.log"), ak, audit.Options{}); err != nil {
		return nil, err
	}
	if d.store, err = store.Open(filepath.Join(root, "faxd.db")); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// selfSigned makes an ECDSA P-256 certificate for hosts (names or
// addresses), valid for a year.
func selfSigned(hosts []string, now time.Time) (certPEM, keyDER []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "faxd"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err = x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyDER, nil
}

// fingerprint is a certificate's SHA-256, as clients pin it.
func fingerprint(cert tls.Certificate) string {
	sum := sha256.Sum256(cert.Certificate[0])
	return "sha256:" + hex.EncodeToString(sum[:])
}

// oneTimePassword is a random password of 26 base32 letters (130 bits).
func oneTimePassword() string {
	b := make([]byte, 16)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}
