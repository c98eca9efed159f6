package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/faxd/faxd/api/auth"
)

// Job states.
const (
	JobQueued   = "queued"
	JobSending  = "sending"
	JobSent     = "sent"
	JobFailed   = "failed"
	JobCanceled = "canceled"
)

// ErrState is returned for a change a job's state does not allow.
var ErrState = errors.New("store: not in that state")

// A Job is a fax to send: its submission (Spec, the request's JSON as
// the API checked it) and its documents, kept in the vault.
type Job struct {
	ID        string
	Account   string
	Submitter string
	Spec      json.RawMessage
	State     string
	Priority  int
	NotBefore time.Time
	Created   time.Time
	Updated   time.Time
	Documents []Document
	// Recipients are the numbers to send to (CreateJob takes their
	// numbers), with their states and attempts.
	Recipients []Recipient
	Pages      int // pages the documents rendered to (0 until they are)
}

// A Document is one of a job's documents: the vault object holding it.
type Document struct {
	Object      string
	ContentType string
	Size        int64
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewID makes an unguessable ID (120 random bits) with prefix, e.g.
// fax_k3q...: jobs, inbox entries, call records, and the vault objects of
// documents (doc_) and received images (img_).
func NewID(prefix string) string {
	b := make([]byte, 15)
	rand.Read(b)
	return prefix + strings.ToLower(idEncoding.EncodeToString(b))
}

// CreateJob stores a new queued job with its documents and returns its
// ID.
func (s *Store) CreateJob(ctx context.Context, j Job) (string, error) {
	if !json.Valid(j.Spec) || len(j.Documents) == 0 || len(j.Recipients) == 0 {
		return "", fmt.Errorf("%w: a job needs a JSON spec, a document and a recipient", ErrInvalid)
	}
	id := NewID("fax_")
	now := s.now()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `INSERT INTO jobs (id, account, submitter, spec, state, priority, not_before, created, updated)
		VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?)`, id, j.Account, j.Submitter, string(j.Spec), j.Priority, j.NotBefore.Unix(), now.UnixNano(), now.UnixNano())
	if isConstraint(err) {
		return "", fmt.Errorf("%w: account %q", auth.ErrNotFound, j.Account)
	}
	if err != nil {
		return "", err
	}
	for n, d := range j.Documents {
		if _, err := tx.ExecContext(ctx, `INSERT INTO job_documents (job, n, object, content_type, size) VALUES (?, ?, ?, ?, ?)`,
			id, n, d.Object, d.ContentType, d.Size); err != nil {
			return "", err
		}
	}
	for n, r := range j.Recipients {
		if _, err := tx.ExecContext(ctx, `INSERT INTO recipients (job, n, number, state) VALUES (?, ?, ?, 'queued')`, id, n, r.Number); err != nil {
			return "", err
		}
		j.Recipients[n].N, j.Recipients[n].State = n, RecipientQueued
	}
	if s.jobHook != nil {
		j.ID, j.State, j.Created = id, JobQueued, now
		if err := s.jobHook(ctx, tx, j); err != nil {
			return "", err
		}
	}
	return id, tx.Commit()
}

const jobColumns = `seq, id, account, submitter, spec, state, priority, not_before, created, updated, pages`

func scanJob(row interface{ Scan(...any) error }) (Job, int64, error) {
	var j Job
	var seq, nb, created, updated int64
	var spec string
	err := row.Scan(&seq, &j.ID, &j.Account, &j.Submitter, &spec, &j.State, &j.Priority, &nb, &created, &updated, &j.Pages)
	j.Spec = json.RawMessage(spec)
	j.NotBefore, j.Created, j.Updated = time.Unix(nb, 0).UTC(), time.Unix(0, created).UTC(), time.Unix(0, updated).UTC()
	return j, seq, err
}

// Job returns a job of account, with its documents, recipients and their
// attempts as of one moment.
func (s *Store) Job(ctx context.Context, account, id string) (Job, error) {
	// One transaction, so the job, its recipients and their attempts are
	// read as of one moment: read apart, a recipient could be seen queued
	// and, a query later, with the attempt it had since begun.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Job{}, err
	}
	defer tx.Rollback()
	j, _, err := scanJob(tx.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE account = ? AND id = ?`, account, id))
	if errors.Is(err, sql.ErrNoRows) {
		return j, fmt.Errorf("%w: job %q", ErrNotFound, id)
	}
	if err != nil {
		return j, err
	}
	if j.Documents, err = s.documents(ctx, tx, id); err != nil {
		return j, err
	}
	j.Recipients, err = s.recipients(ctx, tx, id)
	return j, err
}

// ListOptions filter and page a listing.
type ListOptions struct {
	State string // "" for all
	After string // the cursor a previous page returned; "" for the first
	Limit int    // 1 to 500; 0 means 50
}

// ListJobs lists account's jobs, newest first, a page at a time; next is
// the cursor for the page after, "" after the last.
func (s *Store) ListJobs(ctx context.Context, account string, o ListOptions) (jobs []Job, next string, err error) {
	limit, before, err := page(o.Limit, o.After)
	if err != nil {
		return nil, "", err
	}
	q := `SELECT ` + jobColumns + ` FROM jobs WHERE account = ? AND seq < ?`
	args := []any{account, before}
	if o.State != "" {
		q += ` AND state = ?`
		args = append(args, o.State)
	}
	q += ` ORDER BY seq DESC LIMIT ?`
	args = append(args, limit+1)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", err
	}
	// pageOf closes rows: the store's one connection, for the queries below.
	if jobs, next, err = pageOf(rows, limit, func(r *sql.Rows) (Job, int64, error) { return scanJob(r) }); err != nil {
		return nil, "", err
	}
	for i := range jobs {
		if jobs[i].Recipients, err = s.recipients(ctx, s.db, jobs[i].ID); err != nil {
			return nil, "", err
		}
		if jobs[i].Documents, err = s.documents(ctx, s.db, jobs[i].ID); err != nil {
			return nil, "", err
		}
	}
	return jobs, next, nil
}

// SetJobState moves a job of account to state to, if it is in one of
// from; ErrState if it is not, ErrNotFound if there is no such job.
func (s *Store) SetJobState(ctx context.Context, account, id, to string, from ...string) error {
	if len(from) == 0 {
		return fmt.Errorf("%w: no state to move from", ErrInvalid)
	}
	q := `UPDATE jobs SET state = ?, updated = ? WHERE account = ? AND id = ? AND state IN (?` + strings.Repeat(", ?", len(from)-1) + `)`
	args := []any{to, s.now().UnixNano(), account, id}
	for _, f := range from {
		args = append(args, f)
	}
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	j, err := s.Job(ctx, account, id)
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: job %s is %s, not %v", ErrState, id, j.State, from)
}
