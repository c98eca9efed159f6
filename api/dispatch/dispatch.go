// Package dispatch sends the API's fax jobs through the media server and
// takes what the media server receives into the accounts' inboxes.
//
// The job queue is River (github.com/riverqueue/river) on the store's own
// SQLite database (its riversqlite driver), so a job's work is queued in
// the same transaction that stores the job, and the same code would run on
// PostgreSQL. Each recipient of a job is one River job. Its worker renders
// the documents from the vault, records the attempt's start, submits the
// call to the media server, records every page the far end confirms as it
// is confirmed, and at the call's end records the attempt, its call
// detail record and what comes next, all in one transaction:
//
//   - sent: every page confirmed; the River job completes in that
//     transaction;
//   - a retry, after a delay chosen by the failure's class as HylaFAX
//     chooses it (busy 3 min, no answer and no fax tone 5 min, a protocol
//     or training failure 1 min), starting after the pages already
//     confirmed: the River job is snoozed until then;
//   - failed: the number is unreachable, incompatible, or the attempts
//     (calls that reached a fax machine) or dials ran out.
//
// When a job is final, its documents are destroyed (key and file) and,
// if it asked for one, its webhook is queued in the same transaction.
//
// A server killed at any moment loses no job: on start, River jobs left
// running by the dead process are made available again, an attempt left
// open is closed as "stopped" with the pages it got confirmed, and the
// next attempt starts after them. The one window left is the few
// milliseconds between the far end's confirmation of a page and its
// record's commit: a kill inside it sends that page again, as any fax
// machine whose call is cut does.
//
// Received faxes are taken from the media server as they end, written as
// TIFF Class F (MMR) into the vault under a key of their own, and entered
// in the inbox of the account that holds the dialled number, with their
// call record; a fax to a number no account holds leaves only its call
// record. Images not acknowledged are destroyed after the retention.
package dispatch

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/faxd/faxd/api/audit"
	"github.com/faxd/faxd/api/server"
	"github.com/faxd/faxd/api/store"
	"github.com/faxd/faxd/api/vault"
	"github.com/faxd/faxd/api/webhook"
	"github.com/faxd/faxd/api/wire"
	"github.com/faxd/faxd/hal/media"
	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
)

// Media is what the dispatcher needs of the media server (*media.Server).
type Media interface {
	Submit(media.Job) (media.JobID, error)
	Wait(ctx context.Context, id media.JobID) (*media.Outcome, error)
	Progress(id media.JobID) (int, <-chan struct{}, bool)
	Forget(id media.JobID) bool
	TakeAllInbox() ([]*media.Received, <-chan struct{})
}

// An Auditor records audit entries (*audit.Log).
type Auditor interface {
	Append(audit.Entry) (audit.Entry, error)
}

// Retry sets the delays before another attempt, by the class of the
// failure, and the limits; zero fields take HylaFAX's defaults.
type Retry struct {
	Busy     time.Duration // the number was busy: 3 min (HylaFAX JobReqBusy)
	NoAnswer time.Duration // no answer, or no fax answered: 5 min (JobReqNoAnswer, JobReqNoFCon)
	Protocol time.Duration // training or T.30 failed, or the far end hung up: 1 min (JobReqProto)
	Channel  time.Duration // our line failed: 1 min
	// MaxDials bounds all attempts of a recipient (HylaFAX MaxDials: 12);
	// the request's retry.max_attempts bounds the attempts that reached
	// a fax machine (HylaFAX MaxTries: 3 by default).
	MaxDials int
}

func (r Retry) withDefaults() Retry {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&r.Busy, 3*time.Minute)
	def(&r.NoAnswer, 5*time.Minute)
	def(&r.Protocol, time.Minute)
	def(&r.Channel, time.Minute)
	if r.MaxDials == 0 {
		r.MaxDials = 12
	}
	return r
}

// DefaultMaxTries is a recipient's attempts that reach a fax machine when
// the request does not say.
const DefaultMaxTries = 3

// Config sets a Dispatcher up.
type Config struct {
	Store  *store.Store
	Vault  *vault.Vault
	Media  Media
	Audit  Auditor
	Logger hclog.Logger     // nil: none
	Now    func() time.Time // nil: time.Now

	Lines     int // calls placed at once; 0: 4
	PerNumber int // calls at once to one number; 0: 1
	Retry     Retry
	// Retention bounds how long a received image not acknowledged is
	// kept; 0: 7 days.
	Retention time.Duration
	// Render is the template of the documents' rendering (Ghostscript's
	// path, limits); resolution and header come from the request.
	Render document.Options
	// Poll is how often the queue is looked at for jobs that came due;
	// 0: 1 s. (Jobs submitted through this process are seen at once.)
	Poll time.Duration
	// Webhooks is where webhooks may be delivered (the dial guard's
	// policy).
	Webhooks webhook.Policy
	// WebhookRetry decides whether and when a failed delivery is tried
	// again; nil: webhook.ShouldRetry (backoff from 10 s, for a day).
	WebhookRetry func(first, now time.Time, r webhook.Result) (time.Duration, bool)
}

// A Dispatcher runs the jobs and the inbox: see the package doc.
type Dispatcher struct {
	cfg   Config
	log   hclog.Logger
	river *river.Client[*sql.Tx]
	hooks *webhook.Deliverer

	mu   sync.Mutex
	busy map[string]int // calls in progress by number

	stop chan struct{}
	done chan struct{}
}

// SendArgs is the River job that sends a job to one recipient.
type SendArgs struct {
	Job string `json:"job"`
	N   int    `json:"n"`
}

// Kind implements river.JobArgs.
func (SendArgs) Kind() string { return "fax.send" }

const (
	queue      = "fax"
	hooksQueue = "webhook"
)

// WebhookArgs is the River job that tells a final job's webhook.
type WebhookArgs struct {
	Job      string    `json:"job"`
	Delivery string    `json:"delivery"` // the Faxd-Delivery idempotency key
	First    time.Time `json:"first"`    // when it was queued: delivery gives up webhook.MaxAge after
}

// Kind implements river.JobArgs.
func (WebhookArgs) Kind() string { return "fax.webhook" }

// New migrates River's tables into the store's database and sets the
// dispatcher up; the store's new jobs are queued from then on.
func New(cfg Config) (*Dispatcher, error) {
	if cfg.Store == nil || cfg.Vault == nil || cfg.Media == nil || cfg.Audit == nil {
		return nil, errors.New("dispatch: Store, Vault, Media and Audit are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Lines <= 0 {
		cfg.Lines = 4
	}
	if cfg.PerNumber <= 0 {
		cfg.PerNumber = 1
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 7 * 24 * time.Hour
	}
	if cfg.WebhookRetry == nil {
		cfg.WebhookRetry = webhook.ShouldRetry
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	cfg.Retry = cfg.Retry.withDefaults()
	db := cfg.Store.DB()
	drv := riversqlite.New(db)
	mig, err := rivermigrate.New(drv, &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	if _, err := mig.Migrate(context.Background(), rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("dispatch: the job queue's tables: %w", err)
	}
	d := &Dispatcher{cfg: cfg, log: cfg.Logger, busy: map[string]int{}, stop: make(chan struct{}), done: make(chan struct{}),
		hooks: &webhook.Deliverer{Policy: cfg.Webhooks, Now: cfg.Now}}
	workers := river.NewWorkers()
	river.AddWorker(workers, &sendWorker{d: d})
	river.AddWorker(workers, &hookWorker{d: d})
	rc, err := river.NewClient(drv, &river.Config{
		Queues:            map[string]river.QueueConfig{queue: {MaxWorkers: cfg.Lines}, hooksQueue: {MaxWorkers: 4}},
		Workers:           workers,
		JobTimeout:        -1, // a call lasts what it lasts; the media server bounds it
		MaxAttempts:       25, // errors here are the store's, not the call's (those are snoozed)
		FetchPollInterval: cfg.Poll,
		FetchCooldown:     min(cfg.Poll, 100*time.Millisecond),
		// One process owns the database (the data directory is locked):
		// jobs a killed process left running are made available at Start,
		// not after this.
		RescueStuckJobsAfter: 24 * time.Hour,
		Logger:               slog.New(slog.DiscardHandler),
		ErrorHandler:         &errorHandler{log: cfg.Logger},
	})
	if err != nil {
		return nil, err
	}
	d.river = rc
	cfg.Store.SetJobHook(d.enqueue)
	return d, nil
}

// enqueue queues a new job's recipients inside CreateJob's transaction.
func (d *Dispatcher) enqueue(ctx context.Context, tx *sql.Tx, j store.Job) error {
	for _, r := range j.Recipients {
		if _, err := d.river.InsertTx(ctx, tx, SendArgs{Job: j.ID, N: r.N}, &river.InsertOpts{
			Queue: queue, Priority: riverPriority(j.Priority), ScheduledAt: j.NotBefore,
		}); err != nil {
			return fmt.Errorf("dispatch: queueing %s to %s: %w", j.ID, r.Number, err)
		}
	}
	return nil
}

// riverPriority maps the API's 0 (lowest) to 9 onto River's 4 (lowest)
// to 1.
func riverPriority(p int) int {
	switch {
	case p >= 7:
		return 1
	case p >= 5:
		return 2
	case p >= 2:
		return 3
	}
	return 4
}

// Start recovers from a killed predecessor (River jobs left running,
// vault objects no row refers to), then starts the queue's workers and
// the inbox.
func (d *Dispatcher) Start(ctx context.Context) error {
	db := d.cfg.Store.DB()
	res, err := db.ExecContext(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running'`)
	if err != nil {
		return fmt.Errorf("dispatch: recovering jobs left running: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		d.log.Warn("jobs left running by a stopped server are queued again", "jobs", n)
	}
	if err := d.sweep(ctx); err != nil {
		return err
	}
	if err := d.river.Start(ctx); err != nil {
		return err
	}
	go d.inboxLoop()
	return nil
}

// sweep destroys the documents and images (vault objects doc_... and
// img_...) no job or inbox entry refers to: what a server killed
// between a vault write and its row left. Other objects (the server's
// own secrets) are not its to judge.
func (d *Dispatcher) sweep(ctx context.Context) error {
	keep, err := d.cfg.Store.Objects(ctx)
	if err != nil {
		return err
	}
	ids, err := d.cfg.Vault.List()
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !keep[id] && (strings.HasPrefix(id, "doc_") || strings.HasPrefix(id, "img_")) {
			if err := d.cfg.Vault.Destroy(id); err != nil {
				return err
			}
			d.audit(audit.Entry{Action: "object.destroy", Object: id, Outcome: "ok", Detail: "orphan"})
		}
	}
	return nil
}

// Stop stops taking jobs and waits (until ctx ends) for the running ones
// to record their ends; stop the media server first, which ends their
// calls. The inbox takes what the media server holds before it stops.
func (d *Dispatcher) Stop(ctx context.Context) error {
	err := d.river.Stop(ctx)
	select {
	case <-d.stop:
	default:
		close(d.stop)
	}
	select {
	case <-d.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return err
}

func (d *Dispatcher) audit(e audit.Entry) {
	if e.Actor == "" {
		e.Actor = "faxd"
	}
	if _, err := d.cfg.Audit.Append(e); err != nil {
		d.log.Error("audit log", "error", err)
	}
}

type errorHandler struct{ log hclog.Logger }

func (h *errorHandler) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	h.log.Error("job failed", "job", job.ID, "kind", job.Kind, "attempt", job.Attempt, "error", err)
	return nil
}

func (h *errorHandler) HandlePanic(ctx context.Context, job *rivertype.JobRow, v any, trace string) *river.ErrorHandlerResult {
	h.log.Error("job panicked", "job", job.ID, "kind", job.Kind, "panic", v, "trace", trace)
	return nil
}

// acquire takes one of a number's call slots.
func (d *Dispatcher) acquire(number string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.busy[number] >= d.cfg.PerNumber {
		return false
	}
	d.busy[number]++
	return true
}

func (d *Dispatcher) release(number string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.busy[number]--; d.busy[number] <= 0 {
		delete(d.busy, number)
	}
}

// render turns a job's documents into pages.
func (d *Dispatcher) render(ctx context.Context, j store.Job, req *wire.FaxRequest) ([]*document.Page, error) {
	o := d.cfg.Render
	switch req.Resolution {
	case "standard":
		o.Resolution = document.Standard
	case "superfine":
		o.Resolution = document.Superfine
	default:
		o.Resolution = document.Fine
	}
	if req.Header != "" {
		o.Header = req.Header
	}
	var pages []*document.Page
	for _, doc := range j.Documents {
		rc, err := d.cfg.Vault.Get(doc.Object)
		if err != nil {
			return nil, fmt.Errorf("document %s: %w", doc.Object, err)
		}
		ps, err := document.Decode(ctx, rc, &o)
		rc.Close()
		d.audit(audit.Entry{Account: j.Account, Action: "document.read", Object: doc.Object, Outcome: outcome(err), Detail: "rendered for " + j.ID})
		if err != nil {
			return nil, fmt.Errorf("document %s (%s): %w", doc.Object, doc.ContentType, err)
		}
		pages = append(pages, ps...)
	}
	if len(pages) == 0 {
		return nil, errors.New("the documents hold no page")
	}
	return pages, nil
}

func outcome(err error) string {
	if err != nil {
		return "failed"
	}
	return "ok"
}

// destroyDocuments destroys a final job's documents.
func (d *Dispatcher) destroyDocuments(j store.Job, state string) {
	for _, doc := range j.Documents {
		if err := d.cfg.Vault.Destroy(doc.Object); err != nil {
			d.log.Error("destroying a document", "job", j.ID, "object", doc.Object, "error", err)
			continue
		}
	}
	d.audit(audit.Entry{Account: j.Account, Action: "fax.destroy", Object: j.ID, Outcome: "ok",
		Detail: fmt.Sprintf("%d documents destroyed: the fax is %s", len(j.Documents), state)})
}

// An outcome's class: what the attempt's result is called, whether it
// reached a fax machine, and when to try again (never, when final).
type class struct {
	result string
	tried  bool
	final  bool
	after  time.Duration
}

func (d *Dispatcher) classify(o *media.Outcome) class {
	r := d.cfg.Retry
	if o.OK() {
		return class{result: "ok", tried: true, final: true}
	}
	identified := o.Fax != nil && (o.Fax.RemoteIdent != "" || o.Fax.Code != t30.ErrT1 && o.Fax.Modem != "")
	switch o.Cause {
	case media.CauseBusy:
		return class{result: "busy", after: r.Busy}
	case media.CauseNoAnswer:
		return class{result: "no_answer", after: r.NoAnswer}
	case media.CauseUnreachable:
		return class{result: "unreachable", final: true}
	case media.CauseHangup:
		if !identified {
			return class{result: "no_fax", after: r.NoAnswer}
		}
		return class{result: "hangup", tried: true, after: r.Protocol}
	case media.CauseAlarm, media.CauseError:
		return class{result: "channel", after: r.Channel}
	case media.CauseStopped:
		return class{result: "stopped"}
	}
	if o.Fax == nil {
		return class{result: "protocol", tried: true, after: r.Protocol}
	}
	switch o.Fax.Code {
	case t30.ErrT1:
		return class{result: "no_fax", after: r.NoAnswer}
	case t30.ErrCannotTrain:
		return class{result: "training", tried: true, after: r.Protocol}
	case t30.ErrIncompatible:
		return class{result: "incompatible", tried: true, final: true}
	}
	return class{result: "protocol", tried: true, after: r.Protocol}
}

// sendWorker works SendArgs.
type sendWorker struct {
	river.WorkerDefaults[SendArgs]
	d *Dispatcher
}

func (w *sendWorker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	return w.d.send(ctx, job)
}

func (d *Dispatcher) send(ctx context.Context, job *river.Job[SendArgs]) error {
	a := job.Args
	j, err := d.cfg.Store.Delivery(ctx, a.Job)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if a.N < 0 || a.N >= len(j.Recipients) {
		return river.JobCancel(fmt.Errorf("dispatch: job %s has no recipient %d", a.Job, a.N))
	}
	rcpt := j.Recipients[a.N]
	if j.State == store.JobCanceled || rcpt.State != store.RecipientQueued && rcpt.State != store.RecipientSending {
		return nil // canceled, or final before a crash let River know
	}
	now := d.cfg.Now()
	if wait := rcpt.NextAttempt.Sub(now); wait > 0 {
		return river.JobSnooze(wait) // a retry recorded before a crash let River know
	}
	if !d.acquire(rcpt.Number) {
		return river.JobSnooze(time.Second) // the number has all the calls it may have: soon again
	}
	defer d.release(rcpt.Number)
	var req wire.FaxRequest
	if err := json.Unmarshal(j.Spec, &req); err != nil {
		return river.JobCancel(fmt.Errorf("dispatch: job %s: its request: %w", j.ID, err))
	}
	pages, err := d.render(ctx, j, &req)
	if err != nil {
		d.log.Warn("documents do not render", "job", j.ID, "error", err)
		return d.complete(ctx, job, j, req.Webhook, func(then func(*sql.Tx, string, bool) error) (string, bool, error) {
			return d.cfg.Store.FailRecipient(ctx, j.ID, a.N, "render", now, then)
		})
	}
	if j.Pages != len(pages) {
		if err := d.cfg.Store.SetJobPages(ctx, j.ID, len(pages)); err != nil {
			return err
		}
	}
	attempt, first, err := d.cfg.Store.StartAttempt(ctx, j.ID, a.N, now)
	if errors.Is(err, store.ErrFinal) {
		return nil
	}
	if err != nil {
		return err
	}
	end := store.AttemptEnd{Job: j.ID, N: a.N, Attempt: attempt,
		Call: store.CallRecord{Account: j.Account, Direction: "out", Fax: j.ID, Remote: rcpt.Number, Started: now}}
	if first > len(pages) {
		// Every page was confirmed before a crash let the attempt end.
		end.Ended, end.Result, end.State, end.Call.Ended, end.Call.Result = now, "ok", store.RecipientSent, now, "ok"
		end.Call.Detail = "every page was confirmed by an earlier attempt"
		return d.complete(ctx, job, j, req.Webhook, func(then func(*sql.Tx, string, bool) error) (string, bool, error) {
			return d.cfg.Store.EndAttempt(ctx, end, then)
		})
	}
	mj := media.Job{To: rcpt.Number, Pages: pages[first-1:], ECM: req.ECM == nil || *req.ECM, MaxBPS: req.MaxRate, Ident: req.Ident}
	id, err := d.cfg.Media.Submit(mj)
	if err != nil {
		end.Ended, end.Result, end.State, end.Next = now, "stopped", store.RecipientQueued, now.Add(d.cfg.Retry.Channel)
		end.Call.Ended, end.Call.Result, end.Call.Detail = now, "stopped", err.Error()
		if _, _, err := d.cfg.Store.EndAttempt(ctx, end, nil); err != nil {
			return err
		}
		return river.JobSnooze(d.cfg.Retry.Channel)
	}
	defer d.cfg.Media.Forget(id)
	d.log.Info("sending", "job", j.ID, "to", rcpt.Number, "attempt", attempt, "pages", fmt.Sprintf("%d-%d", first, len(pages)))
	// The call's end is recorded whatever happens to ctx (River's hard
	// stop): the media server ends every call when it stops.
	bg := context.WithoutCancel(ctx)
	out := make(chan *media.Outcome, 1)
	go func() {
		o, _ := d.cfg.Media.Wait(bg, id)
		out <- o
	}()
	_, grew, _ := d.cfg.Media.Progress(id)
	recorded := 0
	record := func() {
		n, _, _ := d.cfg.Media.Progress(id)
		if n > recorded {
			if err := d.cfg.Store.SetPagesSent(bg, j.ID, a.N, attempt, n); err != nil {
				d.log.Error("recording a confirmed page", "job", j.ID, "error", err)
				return
			}
			recorded = n
		}
	}
	var o *media.Outcome
	for o == nil {
		select {
		case <-grew:
			record()
		case o = <-out:
		}
	}
	record()
	c := d.classify(o)
	sent := recorded
	if o.Fax != nil && o.Fax.PagesSent > sent {
		sent = o.Fax.PagesSent
	}
	end.Ended, end.Result, end.PagesSent, end.Tried = o.Ended, c.result, sent, c.tried
	if end.Ended.IsZero() {
		end.Ended = d.cfg.Now()
	}
	cr := &end.Call
	cr.Local, cr.Ended, cr.Result = o.Channel, end.Ended, c.result
	if !o.Dialled.IsZero() {
		cr.Started = o.Dialled
	}
	cr.Answered = o.Answered
	if o.Fax != nil {
		cr.RemoteIdent, cr.Pages, cr.Rate, cr.Modem, cr.ECM = o.Fax.RemoteIdent, o.Fax.PagesSent, o.Fax.BitRate, o.Fax.Modem, o.Fax.ECM
		cr.Detail = o.Fax.Code.String()
		if o.Fax.Cause != "" {
			cr.Detail += ": " + o.Fax.Cause
		}
	}
	if o.Err != nil && cr.Detail == "" {
		cr.Detail = o.Cause.String()
	}
	maxTries := DefaultMaxTries
	if req.Retry != nil && req.Retry.MaxAttempts > 0 {
		maxTries = req.Retry.MaxAttempts
	}
	var snooze time.Duration
	switch {
	case c.result == "ok":
		end.State = store.RecipientSent
	case c.final:
		end.State = store.RecipientFailed
	case c.tried && rcpt.Tries+1 >= maxTries, attempt >= d.cfg.Retry.MaxDials:
		end.State = store.RecipientFailed
	default:
		end.State, end.Next, snooze = store.RecipientQueued, end.Ended.Add(c.after), c.after
	}
	d.log.Info("attempt ended", "job", j.ID, "to", rcpt.Number, "attempt", attempt, "result", c.result, "pages", sent, "next", end.State)
	if end.State == store.RecipientQueued {
		if _, _, err := d.cfg.Store.EndAttempt(bg, end, nil); err != nil {
			return err
		}
		return river.JobSnooze(snooze)
	}
	return d.complete(bg, job, j, req.Webhook, func(then func(*sql.Tx, string, bool) error) (string, bool, error) {
		return d.cfg.Store.EndAttempt(bg, end, then)
	})
}

// complete makes the recipient final: the River job completes in the
// same transaction; once the job is final, its documents are destroyed
// (after the commit: a crash before that leaves them to the start's
// sweep).
func (d *Dispatcher) complete(ctx context.Context, job *river.Job[SendArgs], j store.Job, webhookURL string,
	do func(then func(tx *sql.Tx, state string, final bool) error) (string, bool, error)) error {
	state, final, err := do(func(tx *sql.Tx, state string, final bool) error {
		if _, err := river.JobCompleteTx[*riversqlite.Driver](ctx, tx, job); err != nil {
			return err
		}
		if !final || webhookURL == "" {
			return nil
		}
		_, err := d.river.InsertTx(ctx, tx, WebhookArgs{Job: j.ID, Delivery: store.NewID("dlv_"), First: d.cfg.Now()}, &river.InsertOpts{Queue: hooksQueue})
		return err
	})
	if err != nil {
		return err
	}
	if final {
		d.destroyDocuments(j, state)
	}
	return nil
}

// inboxLoop takes received faxes into the inbox until Stop, then takes
// what is left.
func (d *Dispatcher) inboxLoop() {
	defer close(d.done)
	expire := time.NewTicker(time.Hour)
	defer expire.Stop()
	d.expire()
	for {
		got, changed := d.cfg.Media.TakeAllInbox()
		for _, r := range got {
			d.receive(r)
		}
		select {
		case <-changed:
		case <-expire.C:
			d.expire()
		case <-d.stop:
			got, _ := d.cfg.Media.TakeAllInbox()
			for _, r := range got {
				d.receive(r)
			}
			return
		}
	}
}

func (d *Dispatcher) expire() {
	objs, err := d.cfg.Store.ExpireInbox(context.Background(), d.cfg.Now().Add(-d.cfg.Retention))
	if err != nil {
		d.log.Error("inbox retention", "error", err)
		return
	}
	for _, o := range objs {
		if err := d.cfg.Vault.Destroy(o); err != nil {
			d.log.Error("inbox retention", "object", o, "error", err)
			continue
		}
		d.audit(audit.Entry{Action: "inbox.destroy", Object: o, Outcome: "ok", Detail: "retention passed"})
	}
}

// receive keeps one received fax, and releases its pages (their buffers
// go back to the media server's calls) once they are stored or lost.
func (d *Dispatcher) receive(r *media.Received) {
	defer r.Release()
	ctx := context.Background()
	cr := store.CallRecord{Direction: "in", Local: r.Number, Started: r.Answered, Answered: r.Answered, Ended: r.Ended, RemoteIdent: r.Remote, Pages: len(r.Pages)}
	cr.Result = "ok"
	if !r.OK() {
		cr.Result = "incomplete"
		if r.Cause != media.CauseNone {
			cr.Detail = r.Cause.String()
		}
	}
	if r.Fax != nil {
		cr.Rate, cr.Modem, cr.ECM = r.Fax.BitRate, r.Fax.Modem, r.Fax.ECM
		if d := r.Fax.Code.String(); cr.Detail == "" {
			cr.Detail = d
		}
	}
	account, err := d.cfg.Store.NumberOwner(ctx, r.Number)
	if err != nil || len(r.Pages) == 0 {
		if err != nil {
			cr.Result, cr.Detail = "no_account", "no account holds the number"
		}
		if _, err := d.cfg.Store.AddCall(ctx, cr); err != nil {
			d.log.Error("call record", "number", r.Number, "error", err)
		}
		return
	}
	cr.Account = account
	obj := store.NewID("img_")
	pr, pw := io.Pipe()
	written := make(chan struct{})
	go func() {
		defer close(written)
		pw.CloseWithError(writeTIFF(pw, r))
	}()
	// writeTIFF reads the pages' data until it returns: the pages are
	// released (above) only after. Closing the reader ends it if the
	// vault stopped reading early.
	defer func() {
		pr.Close()
		<-written
	}()
	if _, err := d.cfg.Vault.Put(obj, pr); err != nil {
		pr.CloseWithError(err)
		d.cfg.Vault.Destroy(obj)
		d.log.Error("keeping a received fax", "number", r.Number, "error", err)
		cr.Result, cr.Detail = "lost", "the image could not be stored: "+err.Error()
		d.cfg.Store.AddCall(ctx, cr)
		return
	}
	e, err := d.cfg.Store.AddInbox(ctx, store.InboxEntry{Account: account, Number: r.Number, RemoteIdent: r.Remote, Pages: len(r.Pages),
		Received: r.Ended, Complete: r.OK(), Object: obj}, cr)
	if err != nil {
		d.cfg.Vault.Destroy(obj)
		d.log.Error("inbox entry", "number", r.Number, "error", err)
		return
	}
	d.audit(audit.Entry{Account: account, Action: "inbox.receive", Object: e.ID, Outcome: "ok", Detail: fmt.Sprintf("%d pages to %s", len(r.Pages), r.Number)})
	d.log.Info("received", "number", r.Number, "account", account, "pages", len(r.Pages), "inbox", e.ID)
}

// hookWorker works WebhookArgs.
type hookWorker struct {
	river.WorkerDefaults[WebhookArgs]
	d *Dispatcher
}

func (w *hookWorker) Work(ctx context.Context, job *river.Job[WebhookArgs]) error {
	return w.d.tell(ctx, job.Args)
}

// tell delivers a final job's status to its webhook, signed with its
// account's secret; a delivery to retry is snoozed for the webhook
// package's backoff, until a day has passed.
func (d *Dispatcher) tell(ctx context.Context, a WebhookArgs) error {
	j, err := d.cfg.Store.Delivery(ctx, a.Job)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var req wire.FaxRequest
	if err := json.Unmarshal(j.Spec, &req); err != nil || req.Webhook == "" {
		return nil
	}
	secret, err := d.cfg.Store.WebhookSecret(ctx, j.Account)
	if err != nil {
		return err
	}
	if secret == "" {
		d.audit(audit.Entry{Account: j.Account, Action: "webhook", Object: j.ID, Outcome: "failed", Detail: "the account has no webhook secret (POST /v1/admin/webhook-secret)"})
		return nil
	}
	body, err := json.Marshal(server.StatusOf(j))
	if err != nil {
		return err
	}
	r := d.hooks.Deliver(ctx, req.Webhook, secret, "fax.final", a.Delivery, body)
	if r.Err == nil {
		d.audit(audit.Entry{Account: j.Account, Action: "webhook", Object: j.ID, Outcome: "ok", Detail: fmt.Sprintf("%d", r.Status)})
		return nil
	}
	if wait, ok := d.cfg.WebhookRetry(a.First, d.cfg.Now(), r); ok {
		d.log.Info("webhook to retry", "job", j.ID, "error", r.Err, "in", wait)
		return river.JobSnooze(wait)
	}
	d.audit(audit.Entry{Account: j.Account, Action: "webhook", Object: j.ID, Outcome: "failed", Detail: r.Err.Error()})
	return nil
}
