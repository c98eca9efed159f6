package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// An InboxEntry is a fax received on one of an account's numbers. Its
// image is the vault object Object until it is acknowledged (or its
// retention passes): then Object is "" and the image is gone.
type InboxEntry struct {
	ID           string
	Account      string
	Number       string
	RemoteIdent  string
	Pages        int
	Received     time.Time
	Complete     bool
	Call         string
	Object       string
	Acknowledged time.Time // zero until acknowledged
}

// AddInbox stores a received fax and its call record in one transaction.
// e.ID and c.ID are made when empty; c.Inbox is set to the entry.
func (s *Store) AddInbox(ctx context.Context, e InboxEntry, c CallRecord) (InboxEntry, error) {
	if e.ID == "" {
		e.ID = NewID("rcv_")
	}
	if c.ID == "" {
		c.ID = NewID("call_")
	}
	c.Inbox, e.Call = e.ID, c.ID
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return e, err
	}
	defer tx.Rollback()
	if err := insertCall(ctx, tx, c); err != nil {
		return e, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO inbox (id, account, number, remote_ident, pages, received, complete, call, object) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.Account, e.Number, e.RemoteIdent, e.Pages, e.Received.UnixNano(), b2i(e.Complete), e.Call, e.Object)
	if isConstraint(err) {
		return e, fmt.Errorf("%w: account %q", ErrNotFound, e.Account)
	}
	if err != nil {
		return e, err
	}
	return e, tx.Commit()
}

// AddCall stores a call record on its own (an incoming call that left
// nothing in an inbox).
func (s *Store) AddCall(ctx context.Context, c CallRecord) (string, error) {
	if c.ID == "" {
		c.ID = NewID("call_")
	}
	return c.ID, insertCall(ctx, s.db, c)
}

const inboxColumns = `seq, id, account, number, remote_ident, pages, received, complete, call, object, acknowledged`

func scanInbox(row interface{ Scan(...any) error }) (InboxEntry, int64, error) {
	var e InboxEntry
	var seq, received, acked int64
	var complete int
	err := row.Scan(&seq, &e.ID, &e.Account, &e.Number, &e.RemoteIdent, &e.Pages, &received, &complete, &e.Call, &e.Object, &acked)
	e.Received, e.Acknowledged, e.Complete = fromNano(received), fromNano(acked), complete != 0
	return e, seq, err
}

// Inbox returns one of account's inbox entries.
func (s *Store) Inbox(ctx context.Context, account, id string) (InboxEntry, error) {
	e, _, err := scanInbox(s.db.QueryRowContext(ctx, `SELECT `+inboxColumns+` FROM inbox WHERE account = ? AND id = ?`, account, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("%w: inbox entry %q", ErrNotFound, id)
	}
	return e, err
}

// InboxOptions filter and page an inbox listing.
type InboxOptions struct {
	Number string // "" for all the account's numbers
	After  string
	Limit  int
}

// ListInbox lists account's inbox, newest first, a page at a time.
func (s *Store) ListInbox(ctx context.Context, account string, o InboxOptions) (entries []InboxEntry, next string, err error) {
	limit, before, err := page(o.Limit, o.After)
	if err != nil {
		return nil, "", err
	}
	q := `SELECT ` + inboxColumns + ` FROM inbox WHERE account = ? AND seq < ?`
	args := []any{account, before}
	if o.Number != "" {
		q += ` AND number = ?`
		args = append(args, o.Number)
	}
	q += ` ORDER BY seq DESC LIMIT ?`
	args = append(args, limit+1)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", err
	}
	return pageOf(rows, limit, func(r *sql.Rows) (InboxEntry, int64, error) { return scanInbox(r) })
}

// AckInbox marks one of account's entries acknowledged and forgets its
// image object, which it returns for the caller to destroy (""
// when it was acknowledged before).
func (s *Store) AckInbox(ctx context.Context, account, id string, now time.Time) (e InboxEntry, object string, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return e, "", err
	}
	defer tx.Rollback()
	e, _, err = scanInbox(tx.QueryRowContext(ctx, `SELECT `+inboxColumns+` FROM inbox WHERE account = ? AND id = ?`, account, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, "", fmt.Errorf("%w: inbox entry %q", ErrNotFound, id)
	}
	if err != nil {
		return e, "", err
	}
	object = e.Object
	if e.Acknowledged.IsZero() {
		e.Acknowledged = now.UTC()
	}
	e.Object = ""
	if _, err := tx.ExecContext(ctx, `UPDATE inbox SET object = '', acknowledged = ? WHERE id = ?`, e.Acknowledged.UnixNano(), id); err != nil {
		return e, "", err
	}
	return e, object, tx.Commit()
}

// ExpireInbox forgets the images of entries received before cutoff and
// not acknowledged (retention), returning their objects to destroy.
func (s *Store) ExpireInbox(ctx context.Context, cutoff time.Time) ([]string, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	objs, err := queryStrings(ctx, tx, `SELECT object FROM inbox WHERE object != '' AND received < ?`, cutoff.UnixNano())
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE inbox SET object = '' WHERE object != '' AND received < ?`, cutoff.UnixNano()); err != nil {
		return nil, err
	}
	return objs, tx.Commit()
}

// Objects lists every vault object the store still refers to (documents
// of jobs not final, images not acknowledged): a vault object outside it
// is an orphan of a crash, to destroy.
func (s *Store) Objects(ctx context.Context) (map[string]bool, error) {
	objs, err := queryStrings(ctx, s.db, `SELECT d.object FROM job_documents d JOIN jobs j ON j.id = d.job WHERE j.state IN ('queued', 'sending')
		UNION SELECT object FROM inbox WHERE object != ''`)
	if err != nil {
		return nil, err
	}
	m := make(map[string]bool, len(objs))
	for _, o := range objs {
		m[o] = true
	}
	return m, nil
}

func cursor(seq int64) string { return strconv.FormatInt(seq, 36) }

// pageOf reads up to limit rows of a listing newest first (a query that
// asked for limit+1), each scanned with its seq, and returns them with the
// cursor of the page after ("" when there is none). It closes rows.
func pageOf[T any](rows *sql.Rows, limit int, scan func(*sql.Rows) (T, int64, error)) ([]T, string, error) {
	defer rows.Close()
	var out []T
	var last int64
	for rows.Next() {
		if len(out) == limit {
			return out, cursor(last), rows.Err()
		}
		v, seq, err := scan(rows)
		if err != nil {
			return nil, "", err
		}
		out, last = append(out, v), seq
	}
	return out, "", rows.Err()
}

func parseCursor(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 36, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w: cursor %.40q", ErrInvalid, s)
	}
	return n, nil
}
