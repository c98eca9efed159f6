package media

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
)

// Errors, wrapped with the values that explain them.
var (
	// ErrBusy, ErrNoAnswer and ErrUnreachable: the network's answer to a
	// call the server placed.
	ErrBusy        = errors.New("media: busy")
	ErrNoAnswer    = errors.New("media: no answer")
	ErrUnreachable = errors.New("media: unreachable")
	// ErrHangup: the far end hung up before the fax ended.
	ErrHangup = errors.New("media: far end hung up")
	// ErrAlarm: the channel went into alarm during the call.
	ErrAlarm = errors.New("media: channel alarm")
	// ErrStopped: the server stopped before the job ran, or cut its call
	// short; Submit after Stop.
	ErrStopped = errors.New("media: server stopped")
	// ErrChannel: the channel failed (a read, write or dial error).
	ErrChannel = errors.New("media: channel failed")
	// ErrFax: the call ran its course but the fax did not complete
	// (t30.Result.Code says why).
	ErrFax = errors.New("media: fax failed")
	// ErrQueueFull: Submit found the job queue full.
	ErrQueueFull = errors.New("media: job queue full")
	// ErrNoPages: a job with nothing to send.
	ErrNoPages = errors.New("media: job has no pages")
	// ErrUnknownJob: Wait or Result for an ID the server never gave.
	ErrUnknownJob = errors.New("media: unknown job")
	// ErrNoChannel: a job's From, or a configured channel, that the
	// server does not run.
	ErrNoChannel = errors.New("media: no such channel")
)

// A Job is an outgoing fax: what Submit queues for the next idle channel.
type Job struct {
	To    string           // number to dial
	From  string           // the channel to place it on; "": any idle channel (but To's own)
	Pages []*document.Page // what to send

	// Negotiation, over the server's Config.T30 (zero: the server's).
	ECM    bool
	MaxBPS int
	Modems t30.ModemSet
	// Identity: Ident is sent as TSI (""): Config.T30.Ident, else the
	// channel's number); SubAddress and Password as SUB and SID when the
	// receiver offers them.
	Ident, SubAddress, Password string
}

// A JobID names a job; IDs count from 1.
type JobID uint64

// Cause is the telephony side of a call's end: how the line went, beside
// what T.30 says of the fax.
type Cause uint8

// The causes.
const (
	CauseNone        Cause = iota // the call ran until one end's terminal was done: Outcome.Fax says how the fax went
	CauseBusy                     // the number was busy
	CauseNoAnswer                 // it rang until the network gave up
	CauseUnreachable              // no such number, or it cannot be reached
	CauseHangup                   // the far end hung up before the fax ended
	CauseAlarm                    // the channel went into alarm
	CauseStopped                  // the server stopped: the job never ran, or its call was cut short
	CauseError                    // the channel failed
)

var causeNames = [...]string{
	CauseNone: "none", CauseBusy: "busy", CauseNoAnswer: "no-answer", CauseUnreachable: "unreachable",
	CauseHangup: "hangup", CauseAlarm: "alarm", CauseStopped: "stopped", CauseError: "error",
}

func (c Cause) String() string {
	if int(c) < len(causeNames) {
		return causeNames[c]
	}
	return fmt.Sprintf("Cause(%d)", int(c))
}

var causeErrs = [...]error{
	CauseBusy: ErrBusy, CauseNoAnswer: ErrNoAnswer, CauseUnreachable: ErrUnreachable,
	CauseHangup: ErrHangup, CauseAlarm: ErrAlarm, CauseStopped: ErrStopped, CauseError: ErrChannel,
}

// An Outcome is how a job ended.
type Outcome struct {
	ID      JobID
	Job     Job
	Channel string // the channel that placed the call; "" when none did
	Cause   Cause
	// Fax is the T.30 result, nil when no fax call started (busy, no
	// answer, ...). For a call cut short (Cause not CauseNone) it is what
	// the engine had so far, and its Code does not say the fax completed.
	Fax *t30.Result
	// Err is nil when the fax was sent; otherwise it wraps the sentinel of
	// the Cause (ErrBusy, ErrHangup, ...) or ErrFax.
	Err error

	Submitted, Dialled, Answered, Ended time.Time // zero for steps that did not happen
	Ticks                               int       // channel ticks from the answer to the end (20 ms of audio each)
}

// OK reports whether the fax was sent.
func (o *Outcome) OK() bool { return o.Err == nil }

// Received is a fax that came in: an entry of a number's inbox.
type Received struct {
	Number string // the number dialled: the channel's name
	Remote string // the sender's TSI
	// Pages are the pages as the line carried them (their T.4/T.6 data),
	// kept so rather than as pixels: some 15 times smaller, and stored as
	// they are (TIFF Class F); ReceivedPage.Decode gives the pixels.
	Pages           []*t30.ReceivedPage
	Fax             *t30.Result
	Cause           Cause // CauseNone unless the call was cut short
	Err             error // nil when the fax came in completely
	Answered, Ended time.Time
	Ticks           int
}

// OK reports whether the fax came in completely.
func (r *Received) OK() bool { return r.Err == nil }

// Release gives the pages' data back, cleared, to the pool the calls
// receive pages into (t30.ReceivedPage.Release), so that the next faxes
// to come in cost no new buffers. Whoever took the fax from the inbox
// (TakeInbox, TakeAllInbox) calls it once done with the pages' data:
// after they were stored, written out or decoded, and when nothing holds
// a slice of any page's Data any more. The pages stay, their Data nil; a
// second Release does nothing. Not calling it is safe: the collector
// takes the data. A fax still in the inbox (Inbox, WaitInbox) must not be
// released: others may read it.
func (r *Received) Release() {
	for _, p := range r.Pages {
		p.Release()
	}
}

// job is a job's shared state: the channel that runs it writes the outcome
// once and closes done.
type job struct {
	id   JobID
	spec Job
	// src is the pages, prepared by Submit for the session the job
	// will most likely have (t30.LikelyFormat), so that the call's ticks
	// read the coded pages out instead of coding them. The call's end
	// releases the prepared pages (endCallErr): nothing reads src after.
	src      *t30.MemorySource
	out      Outcome
	finished atomic.Bool
	done     chan struct{}
	// pages counts the pages the far end confirmed so far; progress gets
	// a token (never blocking the channel's tick) whenever it grows.
	pages    atomic.Int32
	progress chan struct{}
}

// confirmed publishes the count of confirmed pages n, from the channel's
// tick.
func (j *job) confirmed(n int) {
	if int32(n) == j.pages.Load() {
		return
	}
	j.pages.Store(int32(n))
	select {
	case j.progress <- struct{}{}:
	default:
	}
}

// finish records the outcome, once.
func (j *job) finish(o Outcome) bool {
	if !j.finished.CompareAndSwap(false, true) {
		return false
	}
	o.ID, o.Job, o.Submitted = j.id, j.spec, j.out.Submitted
	j.out = o
	close(j.done)
	return true
}

// outcomeErr is the error an outcome carries.
func outcomeErr(c Cause, r *t30.Result, ch, number string) error {
	if c != CauseNone {
		return fmt.Errorf("%w: %s on channel %s", causeErrs[c], number, ch)
	}
	if r == nil {
		return fmt.Errorf("%w: %s on channel %s: no result", ErrFax, number, ch)
	}
	if !r.OK() {
		return fmt.Errorf("%w: %s on channel %s: %v: %s", ErrFax, number, ch, r.Code, r.Cause)
	}
	return nil
}
