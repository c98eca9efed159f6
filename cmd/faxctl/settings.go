package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/faxd/faxd/api/client"
)

// globals are the flags every command takes.
type globals struct {
	url, account, name, fingerprint string
	secretFile, config              string
	json                            bool
}

// register defines the global flags on fs, their values so far as the
// defaults (a command's flag set comes after the top one).
func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.url, "url", g.url, "the server, https://host:port (FAXCTL_URL)")
	fs.StringVar(&g.account, "account", g.account, "the account (FAXCTL_ACCOUNT)")
	fs.StringVar(&g.name, "name", g.name, "the API credential's or user's name (FAXCTL_NAME)")
	fs.StringVar(&g.fingerprint, "fingerprint", g.fingerprint, "the server certificate's SHA-256 to pin, sha256:HEX (FAXCTL_FINGERPRINT)")
	fs.StringVar(&g.secretFile, "secret-file", g.secretFile, "read the secret from this file (else FAXCTL_SECRET, else asked)")
	fs.StringVar(&g.config, "config", g.config, "settings file (default $XDG_CONFIG_HOME/faxctl/config.json)")
	fs.BoolVar(&g.json, "json", g.json, "machine output: one JSON document on stdout")
}

// settings say where and who: the config file's content. Never a secret.
type settings struct {
	URL         string `json:"url"`
	Account     string `json:"account"`
	Name        string `json:"name"`
	Fingerprint string `json:"fingerprint,omitempty"`
}

// configPath returns the config file's path, and whether it was given.
func (c *cli) configPath() (string, bool) {
	if c.g.config != "" {
		return c.g.config, true
	}
	dir := c.getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home := c.getenv("HOME")
		if home == "" {
			return "", false
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "faxctl", "config.json"), false
}

// settings reads the config file (if there is one, or if it was named),
// then the environment over it, then the flags over that.
func (c *cli) settings() (settings, error) {
	var s settings
	if path, named := c.configPath(); path != "" {
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields() // a secret put there by hand is refused, not used
			if err := dec.Decode(&s); err != nil {
				return s, fmt.Errorf("config %s: %v", path, err)
			}
		case named || !errors.Is(err, fs.ErrNotExist):
			return s, fmt.Errorf("config: %w", err)
		}
	}
	fileURL := s.URL
	for _, v := range []struct {
		field      *string
		env, flagv string
	}{
		{&s.URL, "FAXCTL_URL", c.g.url},
		{&s.Account, "FAXCTL_ACCOUNT", c.g.account},
		{&s.Name, "FAXCTL_NAME", c.g.name},
		{&s.Fingerprint, "FAXCTL_FINGERPRINT", c.g.fingerprint},
	} {
		if e := c.getenv(v.env); e != "" {
			*v.field = e
		}
		if v.flagv != "" {
			*v.field = v.flagv
		}
	}
	// A pin belongs to its server: the file's is not taken for another.
	if s.URL != fileURL && s.Fingerprint != "" && c.getenv("FAXCTL_FINGERPRINT") == "" && c.g.fingerprint == "" {
		s.Fingerprint = ""
	}
	var missing []string
	for _, m := range []struct{ v, what string }{{s.URL, "--url"}, {s.Account, "--account"}, {s.Name, "--name"}} {
		if m.v == "" {
			missing = append(missing, m.what)
		}
	}
	if len(missing) > 0 {
		return s, usagef("no %s: give the flags, the FAXCTL_ environment, or keep them with faxctl login --save", strings.Join(missing, ", "))
	}
	return s, nil
}

// saveConfig writes s to the config file, mode 0600, replacing it whole.
func (c *cli) saveConfig(s settings) (string, error) {
	path, _ := c.configPath()
	if path == "" {
		return "", errors.New("no place for the config file: set XDG_CONFIG_HOME or HOME, or give --config")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return "", err
	}
	return path, writeFileAtomic(path, append(b, '\n'))
}

// writeFileAtomic writes b to path, mode 0600, through a temporary file
// in the same directory, so that path is never half written.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// errNoTerminal: a secret was to be asked, and there is no terminal.
var errNoTerminal = errors.New("no terminal to ask on")

// promptTerminal asks on stdin, if that is a terminal, with echo off.
func (c *cli) promptTerminal(prompt string) (string, error) {
	f, ok := c.stdin.(*os.File)
	if !ok {
		return "", errNoTerminal
	}
	return readPassword(c.ctx, f, c.stderr, prompt)
}

// readLine reads up to a line feed, one octet at a time so as to take
// nothing after it; the line feed and a carriage return before it are
// dropped.
func readLine(r io.Reader) (string, error) {
	var b []byte
	var one [1]byte
	for len(b) < 4096 {
		n, err := r.Read(one[:])
		if n == 1 {
			if one[0] == '\n' {
				break
			}
			b = append(b, one[0])
			continue
		}
		if errors.Is(err, io.EOF) {
			if len(b) == 0 {
				return "", io.ErrUnexpectedEOF
			}
			break
		}
		if err != nil {
			return "", err
		}
	}
	return strings.TrimSuffix(string(b), "\r"), nil
}

// readSecretFile reads a secret from a file: its first line.
func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	s, err := readLine(f)
	if err != nil || s == "" {
		return "", fmt.Errorf("%s holds no secret", path)
	}
	return s, nil
}

// secret returns the credential's secret: from --secret-file, else
// FAXCTL_SECRET, else asked on the terminal.
func (c *cli) secret(s settings) (string, error) {
	if c.g.secretFile != "" {
		return readSecretFile(c.g.secretFile)
	}
	if v := c.getenv("FAXCTL_SECRET"); v != "" {
		return v, nil
	}
	if !c.isTerminal(c.stdin) {
		return "", errors.New("no secret: give --secret-file, set FAXCTL_SECRET, or run on a terminal to be asked")
	}
	p, err := c.readPassword(fmt.Sprintf("secret of %s in %s: ", s.Name, s.Account))
	if err != nil {
		return "", err
	}
	if p == "" {
		return "", errors.New("no secret given")
	}
	return p, nil
}

// client makes the API client of the settings and the secret.
func (c *cli) client() (*client.Client, settings, string, error) {
	s, err := c.settings()
	if err != nil {
		return nil, s, "", err
	}
	secret, err := c.secret(s)
	if err != nil {
		return nil, s, "", err
	}
	cl, err := client.New(client.Config{URL: s.URL, Account: s.Account, Name: s.Name, Secret: secret, Fingerprint: s.Fingerprint, Now: c.now})
	if err != nil {
		return nil, s, "", usagef("%v", err)
	}
	return cl, s, secret, nil
}
