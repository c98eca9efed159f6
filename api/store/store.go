// Package store is faxd's embedded store: accounts, their network rules,
// credentials and (to come) jobs, inbox entries and call records, in
// SQLite through the pure-Go modernc.org/sqlite, so the shipped binary
// needs no cgo. Every query that reads or changes an account's data names
// the account in its WHERE clause: whatever ID a caller guesses, it sees
// only its own account's rows.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/faxd/faxd/api/auth"
)

// A Store is the database. Its methods are safe for concurrent use.
type Store struct {
	db      *sql.DB
	now     func() time.Time
	jobHook func(ctx context.Context, tx *sql.Tx, j Job) error
}

// Sentinel errors, wrapped with the offending values.
var (
	ErrNotFound = auth.ErrNotFound
	ErrExists   = errors.New("store: already exists")
	ErrInvalid  = errors.New("store: invalid value")
)

// Open opens (creating if need be) the database at path and brings its
// schema up to date. Writes are durable when they return (WAL,
// synchronous=FULL).
func Open(path string) (*Store, error) {
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(ON)&_pragma=busy_timeout(5000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	// SQLite takes one writer at a time; writers that find it busy sleep
	// and retry, and under load some waited over a second. One connection
	// queues them in Go instead, in order (a write is one fsync of the
	// WAL).
	db.SetMaxOpenConns(1)
	s := &Store{db: db, now: time.Now}
	if err := s.migrate(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// migrations are the schema's steps, applied in order once each.
var migrations = []string{
	`CREATE TABLE accounts (
		id TEXT PRIMARY KEY,
		rules TEXT NOT NULL DEFAULT '',
		disabled INTEGER NOT NULL DEFAULT 0,
		created INTEGER NOT NULL
	) STRICT;
	CREATE TABLE credentials (
		account TEXT NOT NULL REFERENCES accounts(id),
		name TEXT NOT NULL,
		hash TEXT NOT NULL,
		roles TEXT NOT NULL,
		kind TEXT NOT NULL CHECK (kind IN ('api', 'user')),
		created INTEGER NOT NULL,
		PRIMARY KEY (account, name)
	) STRICT;`,
	`CREATE TABLE jobs (
		seq INTEGER PRIMARY KEY AUTOINCREMENT,
		id TEXT NOT NULL UNIQUE,
		account TEXT NOT NULL REFERENCES accounts(id),
		submitter TEXT NOT NULL,
		spec TEXT NOT NULL,
		state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'canceled')),
		priority INTEGER NOT NULL,
		not_before INTEGER NOT NULL,
		created INTEGER NOT NULL,
		updated INTEGER NOT NULL
	) STRICT;
	CREATE INDEX jobs_by_account ON jobs (account, seq);
	CREATE INDEX jobs_queued ON jobs (state, priority, not_before) WHERE state = 'queued';
	CREATE TABLE job_documents (
		job TEXT NOT NULL REFERENCES jobs(id),
		n INTEGER NOT NULL,
		object TEXT NOT NULL,
		content_type TEXT NOT NULL,
		size INTEGER NOT NULL,
		PRIMARY KEY (job, n)
	) STRICT;`,
	`ALTER TABLE credentials ADD COLUMN must_change INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE accounts ADD COLUMN webhook_secret TEXT NOT NULL DEFAULT '';
	ALTER TABLE jobs ADD COLUMN pages INTEGER NOT NULL DEFAULT 0;
	CREATE TABLE recipients (
		job TEXT NOT NULL REFERENCES jobs(id),
		n INTEGER NOT NULL,
		number TEXT NOT NULL,
		state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'canceled')),
		pages_sent INTEGER NOT NULL DEFAULT 0,
		tries INTEGER NOT NULL DEFAULT 0,
		dials INTEGER NOT NULL DEFAULT 0,
		next_attempt INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (job, n)
	) STRICT;
	CREATE TABLE attempts (
		job TEXT NOT NULL,
		n INTEGER NOT NULL,
		attempt INTEGER NOT NULL,
		started INTEGER NOT NULL,
		ended INTEGER NOT NULL DEFAULT 0,
		result TEXT NOT NULL DEFAULT '',
		first_page INTEGER NOT NULL,
		pages_sent INTEGER NOT NULL DEFAULT 0,
		call TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (job, n, attempt),
		FOREIGN KEY (job, n) REFERENCES recipients(job, n)
	) STRICT;
	CREATE TABLE calls (
		seq INTEGER PRIMARY KEY AUTOINCREMENT,
		id TEXT NOT NULL UNIQUE,
		account TEXT NOT NULL,
		direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
		fax TEXT NOT NULL DEFAULT '',
		inbox TEXT NOT NULL DEFAULT '',
		local TEXT NOT NULL,
		remote TEXT NOT NULL,
		remote_ident TEXT NOT NULL DEFAULT '',
		started INTEGER NOT NULL,
		answered INTEGER NOT NULL DEFAULT 0,
		ended INTEGER NOT NULL,
		pages INTEGER NOT NULL DEFAULT 0,
		rate INTEGER NOT NULL DEFAULT 0,
		modem TEXT NOT NULL DEFAULT '',
		ecm INTEGER NOT NULL DEFAULT 0,
		result TEXT NOT NULL,
		detail TEXT NOT NULL DEFAULT ''
	) STRICT;
	CREATE INDEX calls_by_account ON calls (account, seq);
	CREATE TABLE numbers (
		number TEXT PRIMARY KEY,
		account TEXT NOT NULL REFERENCES accounts(id)
	) STRICT;
	CREATE TABLE inbox (
		seq INTEGER PRIMARY KEY AUTOINCREMENT,
		id TEXT NOT NULL UNIQUE,
		account TEXT NOT NULL REFERENCES accounts(id),
		number TEXT NOT NULL,
		remote_ident TEXT NOT NULL DEFAULT '',
		pages INTEGER NOT NULL,
		received INTEGER NOT NULL,
		complete INTEGER NOT NULL,
		call TEXT NOT NULL,
		object TEXT NOT NULL DEFAULT '',
		acknowledged INTEGER NOT NULL DEFAULT 0
	) STRICT;
	CREATE INDEX inbox_by_account ON inbox (account, seq);`,
}

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL) STRICT`); err != nil {
		return err
	}
	var v int
	err = tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version VALUES (0)`); err != nil {
			return err
		}
	case err != nil:
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("store: database schema %d is newer than this faxd's %d", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("store: migration %d: %w", i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, len(migrations)); err != nil {
		return err
	}
	return tx.Commit()
}

func isConstraint(err error) bool {
	return err != nil && strings.Contains(err.Error(), "constraint failed")
}

// CreateAccount adds an account with its network rules.
func (s *Store) CreateAccount(ctx context.Context, id string, rules auth.NetworkRules) error {
	if id == "" || len(id) > 64 || strings.ContainsAny(id, "/ \t\n") {
		return fmt.Errorf("%w: account ID %.70q", ErrInvalid, id)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO accounts (id, rules, created) VALUES (?, ?, ?)`, id, rules.String(), s.now().Unix())
	if isConstraint(err) {
		return fmt.Errorf("%w: account %q", ErrExists, id)
	}
	return err
}

// SetNetworkRules replaces an account's network rules.
func (s *Store) SetNetworkRules(ctx context.Context, id string, rules auth.NetworkRules) error {
	return s.updateAccount(ctx, id, `UPDATE accounts SET rules = ? WHERE id = ?`, rules.String(), id)
}

// SetDisabled disables or enables an account.
func (s *Store) SetDisabled(ctx context.Context, id string, disabled bool) error {
	return s.updateAccount(ctx, id, `UPDATE accounts SET disabled = ? WHERE id = ?`, disabled, id)
}

func (s *Store) updateAccount(ctx context.Context, id, q string, args ...any) error {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: account %q", ErrNotFound, id)
	}
	return nil
}

// Account returns an account (for the API server's Directory).
func (s *Store) Account(ctx context.Context, id string) (auth.Account, error) {
	var rules string
	var disabled bool
	err := s.db.QueryRowContext(ctx, `SELECT rules, disabled FROM accounts WHERE id = ?`, id).Scan(&rules, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Account{}, fmt.Errorf("%w: account %q", ErrNotFound, id)
	}
	if err != nil {
		return auth.Account{}, err
	}
	rs, err := auth.ParseNetworkRules(rules)
	if err != nil {
		return auth.Account{}, fmt.Errorf("store: account %q: %w", id, err)
	}
	return auth.Account{ID: id, Rules: rs, Disabled: disabled}, nil
}

// ListAccounts lists the accounts' IDs in order.
func (s *Store) ListAccounts(ctx context.Context) ([]string, error) {
	return queryStrings(ctx, s.db, `SELECT id FROM accounts ORDER BY id`)
}

// queryStrings runs a query of one text column and returns its rows.
func queryStrings(ctx context.Context, db querier, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// CreateCredential adds an API credential (kind "api") or an admin login
// ("user") to an account, with its secret's hash and its roles.
func (s *Store) CreateCredential(ctx context.Context, c auth.Credential) error {
	if c.Name == "" || len(c.Name) > 128 || len(c.Roles) == 0 {
		return fmt.Errorf("%w: credential %.130q with %d roles", ErrInvalid, c.Name, len(c.Roles))
	}
	roles := make([]string, len(c.Roles))
	for i, r := range c.Roles {
		if !auth.ValidRole(r) {
			return fmt.Errorf("%w: role %q", ErrInvalid, r)
		}
		roles[i] = string(r)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO credentials (account, name, hash, roles, kind, created, must_change) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.Account, c.Name, c.Hash, strings.Join(roles, ","), c.Kind, s.now().Unix(), b2i(c.MustChange))
	if isConstraint(err) {
		if _, aerr := s.Account(ctx, c.Account); aerr != nil {
			return aerr
		}
		if c.Kind != "api" && c.Kind != "user" {
			return fmt.Errorf("%w: kind %q", ErrInvalid, c.Kind)
		}
		return fmt.Errorf("%w: credential %q of %q", ErrExists, c.Name, c.Account)
	}
	return err
}

// Credential returns a credential of the account, and only of it.
func (s *Store) Credential(ctx context.Context, account, name string) (auth.Credential, error) {
	c := auth.Credential{Account: account, Name: name}
	var roles string
	var must int
	err := s.db.QueryRowContext(ctx, `SELECT hash, roles, kind, must_change FROM credentials WHERE account = ? AND name = ?`, account, name).Scan(&c.Hash, &roles, &c.Kind, &must)
	c.MustChange = must != 0
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("%w: credential %q of %q", ErrNotFound, name, account)
	}
	if err != nil {
		return c, err
	}
	for r := range strings.SplitSeq(roles, ",") {
		c.Roles = append(c.Roles, auth.Role(r))
	}
	return c, nil
}

// SetCredentialHash replaces a credential's hash (the same secret hashed
// at higher costs).
func (s *Store) SetCredentialHash(ctx context.Context, account, name, hash string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE credentials SET hash = ? WHERE account = ? AND name = ?`, hash, account, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: credential %q of %q", ErrNotFound, name, account)
	}
	return nil
}

// ChangeSecret replaces a credential's secret (its hash) and clears its
// one-time mark.
func (s *Store) ChangeSecret(ctx context.Context, account, name, hash string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE credentials SET hash = ?, must_change = 0 WHERE account = ? AND name = ?`, hash, account, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: credential %q of %q", ErrNotFound, name, account)
	}
	return nil
}

// DeleteCredential removes a credential of an account.
func (s *Store) DeleteCredential(ctx context.Context, account, name string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM credentials WHERE account = ? AND name = ?`, account, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: credential %q of %q", ErrNotFound, name, account)
	}
	return nil
}

// CredentialInfo describes a credential without its hash.
type CredentialInfo struct {
	Name    string
	Roles   []auth.Role
	Kind    string
	Created time.Time
}

// ListCredentials lists an account's credentials by name.
func (s *Store) ListCredentials(ctx context.Context, account string) ([]CredentialInfo, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, roles, kind, created FROM credentials WHERE account = ? ORDER BY name`, account)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CredentialInfo
	for rows.Next() {
		var c CredentialInfo
		var roles string
		var created int64
		if err := rows.Scan(&c.Name, &roles, &c.Kind, &created); err != nil {
			return nil, err
		}
		for r := range strings.SplitSeq(roles, ",") {
			c.Roles = append(c.Roles, auth.Role(r))
		}
		c.Created = time.Unix(created, 0).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}
