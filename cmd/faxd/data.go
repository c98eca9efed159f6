package main

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/base32"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/faxd/faxd/api/audit"
	"github.com/faxd/faxd/api/seal"
	"github.com/faxd/faxd/api/server"
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
func initData(root string, hosts []string, suite seal.Suite, now time.Time) (*dataDir, error) {
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
	sk, err := seal.GenerateKey(suite)
	if err != nil {
		return nil, err
	}
	skb, _ := sk.MarshalBinary()
	if err := putSecret(v, "seal-key", skb); err != nil {
		return nil, err
	}
	certPEM, keyDER, err := server.SelfSigned(hosts, now)
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
	if d.cert, err = server.KeyPair(certPEM, keyDER); err != nil {
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

// oneTimePassword is a random password of 26 base32 letters (130 bits).
func oneTimePassword() string {
	b := make([]byte, 16)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}
