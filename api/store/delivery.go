package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Recipient states (a job's state is derived from its recipients').
const (
	RecipientQueued   = "queued"  // waiting for its first attempt or a retry
	RecipientSending  = "sending" // an attempt is running
	RecipientSent     = "sent"
	RecipientFailed   = "failed"
	RecipientCanceled = "canceled"
)

// A Recipient is one destination of a job, with its attempts.
type Recipient struct {
	N           int // from 0, in the order of the request
	Number      string
	State       string
	PagesSent   int // pages the far end confirmed, over all attempts
	Tries       int // attempts that reached a fax machine
	Dials       int // all attempts
	NextAttempt time.Time
	Attempts    []Attempt
}

// An Attempt is one call placed for a recipient.
type Attempt struct {
	N         int // from 1
	Started   time.Time
	Ended     time.Time // zero while it runs
	Result    string    // "" while it runs
	FirstPage int       // from 1: the pages before were confirmed by earlier attempts
	PagesSent int       // pages this attempt got confirmed
	Call      string    // its call record's ID
	Record    *CallRecord
}

// A CallRecord is a call detail record: kept after the documents and
// images are destroyed, and never holding any of their content.
type CallRecord struct {
	ID          string
	Account     string // "" for a call to a number no account holds
	Direction   string // "in" or "out"
	Fax         string // the job, for an outgoing call
	Inbox       string // the inbox entry, for an incoming one
	Local       string
	Remote      string
	RemoteIdent string
	Started     time.Time
	Answered    time.Time
	Ended       time.Time
	Pages       int
	Rate        int
	Modem       string
	ECM         bool
	Result      string
	Detail      string
}

// SetJobHook sets what CreateJob runs inside its transaction once the
// job's rows are in (the dispatcher queues the job's work there, so a job
// is stored with its work or not at all). j.ID is set.
func (s *Store) SetJobHook(hook func(ctx context.Context, tx *sql.Tx, j Job) error) { s.jobHook = hook }

// DB is the store's database, for the job queue that keeps its tables
// beside the store's (with the store's one connection).
func (s *Store) DB() *sql.DB { return s.db }

func (s *Store) recipients(ctx context.Context, q querier, job string) ([]Recipient, error) {
	rows, err := q.QueryContext(ctx, `SELECT n, number, state, pages_sent, tries, dials, next_attempt FROM recipients WHERE job = ? ORDER BY n`, job)
	if err != nil {
		return nil, err
	}
	var rs []Recipient
	for rows.Next() {
		var r Recipient
		var next int64
		if err := rows.Scan(&r.N, &r.Number, &r.State, &r.PagesSent, &r.Tries, &r.Dials, &next); err != nil {
			rows.Close()
			return nil, err
		}
		if next != 0 {
			r.NextAttempt = time.Unix(0, next).UTC()
		}
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT a.n, a.attempt, a.started, a.ended, a.result, a.first_page, a.pages_sent, a.call, `+callColumns("c")+`
		FROM attempts a LEFT JOIN calls c ON c.id = a.call AND a.call != '' WHERE a.job = ? ORDER BY a.n, a.attempt`, job)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var a Attempt
		var n int
		var started, ended int64
		var cs nullCall
		if err := rows.Scan(append([]any{&n, &a.N, &started, &ended, &a.Result, &a.FirstPage, &a.PagesSent, &a.Call}, cs.dest()...)...); err != nil {
			return nil, err
		}
		a.Started = time.Unix(0, started).UTC()
		if ended != 0 {
			a.Ended = time.Unix(0, ended).UTC()
		}
		a.Record = cs.record()
		if n >= 0 && n < len(rs) {
			rs[n].Attempts = append(rs[n].Attempts, a)
		}
	}
	return rs, rows.Err()
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

// Delivery returns a job (whatever its account: the dispatcher's view)
// with its documents and recipients.
func (s *Store) Delivery(ctx context.Context, job string) (Job, error) {
	var account string
	err := s.db.QueryRowContext(ctx, `SELECT account FROM jobs WHERE id = ?`, job).Scan(&account)
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, fmt.Errorf("%w: job %q", ErrNotFound, job)
	}
	if err != nil {
		return Job{}, err
	}
	return s.Job(ctx, account, job)
}

// SetJobPages records how many pages a job's documents rendered to.
func (s *Store) SetJobPages(ctx context.Context, job string, pages int) error {
	_, err := s.db.ExecContext(ctx, `UPDATE jobs SET pages = ? WHERE id = ?`, pages, job)
	return err
}

// ErrFinal is returned for an attempt at a recipient that is final (sent,
// failed or canceled), or of a job that is.
var ErrFinal = errors.New("store: recipient is final")

// StartAttempt records the start of an attempt at recipient n of job and
// returns its number and the first page it is to send (from 1). An
// attempt left open by a server that stopped without ending it (killed)
// is closed first as "stopped", with the pages confirmed so far.
func (s *Store) StartAttempt(ctx context.Context, job string, n int, now time.Time) (attempt, firstPage int, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	var state, jobState string
	var sent, dials int
	err = tx.QueryRowContext(ctx, `SELECT r.state, r.pages_sent, r.dials, j.state FROM recipients r JOIN jobs j ON j.id = r.job WHERE r.job = ? AND r.n = ?`, job, n).
		Scan(&state, &sent, &dials, &jobState)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, fmt.Errorf("%w: recipient %d of job %q", ErrNotFound, n, job)
	}
	if err != nil {
		return 0, 0, err
	}
	if state != RecipientQueued && state != RecipientSending || jobState == JobCanceled {
		return 0, 0, fmt.Errorf("%w: recipient %d of job %s is %s", ErrFinal, n, job, state)
	}
	t := now.UnixNano()
	if _, err := tx.ExecContext(ctx, `UPDATE attempts SET ended = ?, result = 'stopped' WHERE job = ? AND n = ? AND ended = 0`, t, job, n); err != nil {
		return 0, 0, err
	}
	attempt, firstPage = dials+1, sent+1
	if _, err := tx.ExecContext(ctx, `INSERT INTO attempts (job, n, attempt, started, first_page) VALUES (?, ?, ?, ?, ?)`, job, n, attempt, t, firstPage); err != nil {
		return 0, 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE recipients SET state = 'sending', dials = ?, next_attempt = 0 WHERE job = ? AND n = ?`, attempt, job, n); err != nil {
		return 0, 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'sending', updated = ? WHERE id = ? AND state = 'queued'`, t, job); err != nil {
		return 0, 0, err
	}
	return attempt, firstPage, tx.Commit()
}

// SetPagesSent records that attempt has got pages of its pages confirmed
// (counted from its first page): the recipient's count moves with it, so
// that an attempt after a crash starts after them.
func (s *Store) SetPagesSent(ctx context.Context, job string, n, attempt, pages int) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var first int
	if err := tx.QueryRowContext(ctx, `SELECT first_page FROM attempts WHERE job = ? AND n = ? AND attempt = ? AND ended = 0`, job, n, attempt).Scan(&first); err != nil {
		return fmt.Errorf("store: attempt %d of recipient %d of %s: %w", attempt, n, job, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE attempts SET pages_sent = ? WHERE job = ? AND n = ? AND attempt = ? AND pages_sent < ?`, pages, job, n, attempt, pages); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE recipients SET pages_sent = ? WHERE job = ? AND n = ? AND pages_sent < ?`, first-1+pages, job, n, first-1+pages); err != nil {
		return err
	}
	return tx.Commit()
}

// AttemptEnd is how an attempt ended and what becomes of its recipient.
type AttemptEnd struct {
	Job       string
	N         int // the recipient
	Attempt   int
	Ended     time.Time
	Result    string
	PagesSent int    // this attempt's confirmed pages
	State     string // the recipient's next state: queued (a retry at Next), sent or failed
	Next      time.Time
	Tried     bool // the attempt reached a fax machine (counts toward the tries)
	Call      CallRecord
}

// EndAttempt records an attempt's end, its call record, the recipient's
// state and the job's, and returns the job's new state and whether the
// job became final by it. then, when not nil, runs in the same
// transaction with those two.
func (s *Store) EndAttempt(ctx context.Context, e AttemptEnd, then func(tx *sql.Tx, jobState string, final bool) error) (jobState string, final bool, err error) {
	switch e.State {
	case RecipientQueued, RecipientSent, RecipientFailed:
	default:
		return "", false, fmt.Errorf("%w: recipient state %q after an attempt", ErrInvalid, e.State)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return "", false, err
	}
	defer tx.Rollback()
	var first int
	if err := tx.QueryRowContext(ctx, `SELECT first_page FROM attempts WHERE job = ? AND n = ? AND attempt = ? AND ended = 0`, e.Job, e.N, e.Attempt).Scan(&first); err != nil {
		return "", false, fmt.Errorf("store: open attempt %d of recipient %d of %s: %w", e.Attempt, e.N, e.Job, err)
	}
	if e.Call.ID == "" {
		e.Call.ID = NewID("call_")
	}
	if err := insertCall(ctx, tx, e.Call); err != nil {
		return "", false, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE attempts SET ended = ?, result = ?, pages_sent = max(pages_sent, ?), call = ? WHERE job = ? AND n = ? AND attempt = ?`,
		e.Ended.UnixNano(), e.Result, e.PagesSent, e.Call.ID, e.Job, e.N, e.Attempt); err != nil {
		return "", false, err
	}
	var next int64
	if e.State == RecipientQueued {
		next = e.Next.UnixNano()
	}
	tried := 0
	if e.Tried {
		tried = 1
	}
	if _, err := tx.ExecContext(ctx, `UPDATE recipients SET state = ?, next_attempt = ?, tries = tries + ?, pages_sent = max(pages_sent, ?) WHERE job = ? AND n = ?`,
		e.State, next, tried, first-1+e.PagesSent, e.Job, e.N); err != nil {
		return "", false, err
	}
	return s.settle(ctx, tx, e.Job, e.Ended, then)
}

// settle settles the job's state, runs then and commits.
func (s *Store) settle(ctx context.Context, tx *sql.Tx, job string, now time.Time, then func(tx *sql.Tx, jobState string, final bool) error) (string, bool, error) {
	state, final, err := s.settleJob(ctx, tx, job, now)
	if err != nil {
		return "", false, err
	}
	if then != nil {
		if err := then(tx, state, final); err != nil {
			return "", false, err
		}
	}
	if err := tx.Commit(); err != nil {
		return "", false, err
	}
	return state, final, nil
}

// FailRecipient makes a recipient that never got an attempt final (its
// documents do not render, say), returning and running then as
// EndAttempt does.
func (s *Store) FailRecipient(ctx context.Context, job string, n int, result string, now time.Time, then func(tx *sql.Tx, jobState string, final bool) error) (string, bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return "", false, err
	}
	defer tx.Rollback()
	t := now.UnixNano()
	if _, err := tx.ExecContext(ctx, `UPDATE attempts SET ended = ?, result = 'stopped' WHERE job = ? AND n = ? AND ended = 0`, t, job, n); err != nil {
		return "", false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO attempts (job, n, attempt, started, ended, result, first_page)
		SELECT job, n, dials + 1, ?, ?, ?, pages_sent + 1 FROM recipients WHERE job = ? AND n = ? AND state IN ('queued', 'sending')`, t, t, result, job, n); err != nil {
		return "", false, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE recipients SET state = 'failed', dials = dials + 1, next_attempt = 0 WHERE job = ? AND n = ? AND state IN ('queued', 'sending')`, job, n)
	if err != nil {
		return "", false, err
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return "", false, fmt.Errorf("%w: recipient %d of job %s", ErrFinal, n, job)
	}
	return s.settle(ctx, tx, job, now, then)
}

// settleJob derives a job's state from its recipients': sending while
// one is being sent or any has been tried and some are not final; sent
// when all were sent; failed when all are final and one is not sent (the
// API tells a partial one apart); canceled stays canceled.
func (s *Store) settleJob(ctx context.Context, tx *sql.Tx, job string, now time.Time) (state string, final bool, err error) {
	var cur string
	if err := tx.QueryRowContext(ctx, `SELECT state FROM jobs WHERE id = ?`, job).Scan(&cur); err != nil {
		return "", false, err
	}
	if cur == JobCanceled || cur == JobSent || cur == JobFailed {
		return cur, false, nil
	}
	var total, sent, failed, open, dials int
	err = tx.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE state = 'sent'), count(*) FILTER (WHERE state IN ('failed', 'canceled')),
		count(*) FILTER (WHERE state IN ('queued', 'sending')), coalesce(sum(dials), 0) FROM recipients WHERE job = ?`, job).Scan(&total, &sent, &failed, &open, &dials)
	if err != nil {
		return "", false, err
	}
	switch {
	case open > 0 && dials > 0:
		state = JobSending
	case open > 0:
		state = JobQueued
	case sent == total:
		state, final = JobSent, true
	default:
		state, final = JobFailed, true
	}
	if state != cur {
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state = ?, updated = ? WHERE id = ?`, state, now.UnixNano(), job); err != nil {
			return "", false, err
		}
	}
	return state, final, nil
}

// CancelJob cancels a job of account none of whose recipients is being
// sent: the recipients not final become canceled, the job too. It
// returns the job's documents (to destroy). ErrState when the job is
// final or a call of it is in progress.
func (s *Store) CancelJob(ctx context.Context, account, id string) ([]Document, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var state string
	err = tx.QueryRowContext(ctx, `SELECT state FROM jobs WHERE account = ? AND id = ?`, account, id).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: job %q", ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	var busy int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM recipients WHERE job = ? AND state = 'sending'`, id).Scan(&busy); err != nil {
		return nil, err
	}
	if (state != JobQueued && state != JobSending) || busy > 0 {
		return nil, fmt.Errorf("%w: job %s is %s with %d calls in progress", ErrState, id, state, busy)
	}
	now := s.now().UnixNano()
	if _, err := tx.ExecContext(ctx, `UPDATE recipients SET state = 'canceled', next_attempt = 0 WHERE job = ? AND state = 'queued'`, id); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'canceled', updated = ? WHERE id = ?`, now, id); err != nil {
		return nil, err
	}
	docs, err := s.documents(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	return docs, tx.Commit()
}

func (s *Store) documents(ctx context.Context, q querier, job string) ([]Document, error) {
	rows, err := q.QueryContext(ctx, `SELECT object, content_type, size FROM job_documents WHERE job = ? ORDER BY n`, job)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var docs []Document
	for rows.Next() {
		var d Document
		if err := rows.Scan(&d.Object, &d.ContentType, &d.Size); err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	return docs, rows.Err()
}

// OpenJobs lists the jobs not final, oldest first (for a dispatcher that
// starts to check its queue against them).
func (s *Store) OpenJobs(ctx context.Context) ([]string, error) {
	return queryStrings(ctx, s.db, `SELECT id FROM jobs WHERE state IN ('queued', 'sending') ORDER BY seq`)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func insertCall(ctx context.Context, q querier, c CallRecord) error {
	if c.Direction != "in" && c.Direction != "out" {
		return fmt.Errorf("%w: call direction %q", ErrInvalid, c.Direction)
	}
	_, err := q.ExecContext(ctx, `INSERT INTO calls (id, account, direction, fax, inbox, local, remote, remote_ident, started, answered, ended, pages, rate, modem, ecm, result, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Account, c.Direction, c.Fax, c.Inbox, c.Local, c.Remote, c.RemoteIdent, unixNano(c.Started), unixNano(c.Answered), unixNano(c.Ended),
		c.Pages, c.Rate, c.Modem, b2i(c.ECM), c.Result, c.Detail)
	return err
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// callColumns are a call record's columns, of the calls table as t.
func callColumns(t string) string {
	cols := []string{"id", "account", "direction", "fax", "inbox", "local", "remote", "remote_ident", "started", "answered", "ended", "pages", "rate", "modem", "ecm", "result", "detail"}
	for i, c := range cols {
		cols[i] = t + "." + c
	}
	return strings.Join(cols, ", ")
}

// nullCall scans callColumns where a LEFT JOIN may have found no call.
type nullCall struct {
	id, account, direction, fax, inbox, local, remote, ident, modem, result, detail sql.NullString
	started, answered, ended, pages, rate, ecm                                      sql.NullInt64
}

func (n *nullCall) dest() []any {
	return []any{&n.id, &n.account, &n.direction, &n.fax, &n.inbox, &n.local, &n.remote, &n.ident, &n.started, &n.answered, &n.ended,
		&n.pages, &n.rate, &n.modem, &n.ecm, &n.result, &n.detail}
}

func (n *nullCall) record() *CallRecord {
	if !n.id.Valid {
		return nil
	}
	return &CallRecord{ID: n.id.String, Account: n.account.String, Direction: n.direction.String, Fax: n.fax.String, Inbox: n.inbox.String,
		Local: n.local.String, Remote: n.remote.String, RemoteIdent: n.ident.String, Started: fromNano(n.started.Int64),
		Answered: fromNano(n.answered.Int64), Ended: fromNano(n.ended.Int64), Pages: int(n.pages.Int64), Rate: int(n.rate.Int64),
		Modem: n.modem.String, ECM: n.ecm.Int64 != 0, Result: n.result.String, Detail: n.detail.String}
}

// CallOptions filter and page the call records.
type CallOptions struct {
	Direction string // "", "in" or "out"
	After     string
	Limit     int
}

// ListCalls lists account's call records, newest first, a page at a time.
func (s *Store) ListCalls(ctx context.Context, account string, o CallOptions) (calls []CallRecord, next string, err error) {
	if o.Direction != "" && o.Direction != "in" && o.Direction != "out" {
		return nil, "", fmt.Errorf("%w: direction %q", ErrInvalid, o.Direction)
	}
	limit, before, err := page(o.Limit, o.After)
	if err != nil {
		return nil, "", err
	}
	q := `SELECT c.seq, ` + callColumns("c") + ` FROM calls c WHERE c.account = ? AND c.seq < ?`
	args := []any{account, before}
	if o.Direction != "" {
		q += ` AND c.direction = ?`
		args = append(args, o.Direction)
	}
	q += ` ORDER BY c.seq DESC LIMIT ?`
	args = append(args, limit+1)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", err
	}
	return pageOf(rows, limit, func(r *sql.Rows) (CallRecord, int64, error) {
		var seq int64
		var nc nullCall
		if err := r.Scan(append([]any{&seq}, nc.dest()...)...); err != nil {
			return CallRecord{}, 0, err
		}
		return *nc.record(), seq, nil
	})
}

// Call returns one of account's call records.
func (s *Store) Call(ctx context.Context, account, id string) (CallRecord, error) {
	calls, _, err := s.listCallsWhere(ctx, account, id)
	if err != nil {
		return CallRecord{}, err
	}
	if len(calls) == 0 {
		return CallRecord{}, fmt.Errorf("%w: call %q", ErrNotFound, id)
	}
	return calls[0], nil
}

func (s *Store) listCallsWhere(ctx context.Context, account, id string) ([]CallRecord, string, error) {
	row := s.db.QueryRowContext(ctx, `SELECT seq FROM calls WHERE account = ? AND id = ?`, account, id)
	var seq int64
	if err := row.Scan(&seq); errors.Is(err, sql.ErrNoRows) {
		return nil, "", nil
	} else if err != nil {
		return nil, "", err
	}
	return s.ListCalls(ctx, account, CallOptions{After: cursor(seq + 1), Limit: 1})
}

// page checks a listing's limit and cursor.
func page(limit int, after string) (int, int64, error) {
	if limit == 0 {
		limit = 50
	}
	if limit < 1 || limit > 500 {
		return 0, 0, fmt.Errorf("%w: limit %d (1 to 500)", ErrInvalid, limit)
	}
	before := int64(1<<63 - 1)
	if after != "" {
		var err error
		if before, err = parseCursor(after); err != nil {
			return 0, 0, err
		}
	}
	return limit, before, nil
}

// ---- numbers ----

// SetNumbers makes numbers the account's: the faxes received on them go
// to its inbox. A number another account holds is refused (ErrExists).
func (s *Store) SetNumbers(ctx context.Context, account string, numbers []string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM numbers WHERE account = ?`, account); err != nil {
		return err
	}
	for _, n := range numbers {
		if n == "" || len(n) > 32 || strings.ContainsAny(n, " \t\n,") {
			return fmt.Errorf("%w: number %.40q", ErrInvalid, n)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO numbers (number, account) VALUES (?, ?)`, n, account)
		if isConstraint(err) {
			var owner string
			if tx.QueryRowContext(ctx, `SELECT account FROM numbers WHERE number = ?`, n).Scan(&owner) == nil {
				return fmt.Errorf("%w: number %s is held (by this account twice, or by another)", ErrExists, n)
			}
			return fmt.Errorf("%w: account %q", ErrNotFound, account)
		}
		if err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Numbers lists the account's numbers.
func (s *Store) Numbers(ctx context.Context, account string) ([]string, error) {
	ns, err := queryStrings(ctx, s.db, `SELECT number FROM numbers WHERE account = ? ORDER BY number`, account)
	if ns == nil && err == nil {
		ns = []string{}
	}
	return ns, err
}

// AllNumbers lists every number an account holds.
func (s *Store) AllNumbers(ctx context.Context) ([]string, error) {
	return queryStrings(ctx, s.db, `SELECT number FROM numbers ORDER BY number`)
}

// NumberOwner returns the account that holds number (ErrNotFound: none).
func (s *Store) NumberOwner(ctx context.Context, number string) (string, error) {
	var a string
	err := s.db.QueryRowContext(ctx, `SELECT account FROM numbers WHERE number = ?`, number).Scan(&a)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("%w: number %q", ErrNotFound, number)
	}
	return a, err
}

// ---- webhook secrets ----

// SetWebhookSecret replaces the account's webhook signing secret.
func (s *Store) SetWebhookSecret(ctx context.Context, account, secret string) error {
	return s.updateAccount(ctx, account, `UPDATE accounts SET webhook_secret = ? WHERE id = ?`, secret, account)
}

// WebhookSecret returns the account's webhook signing secret ("" when it
// has none).
func (s *Store) WebhookSecret(ctx context.Context, account string) (string, error) {
	var sec string
	err := s.db.QueryRowContext(ctx, `SELECT webhook_secret FROM accounts WHERE id = ?`, account).Scan(&sec)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("%w: account %q", ErrNotFound, account)
	}
	return sec, err
}
