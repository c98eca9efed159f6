package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/faxd/faxd/api/auth"
)

func newJob(t *testing.T, s *Store, account string, numbers ...string) string {
	t.Helper()
	var rs []Recipient
	for _, n := range numbers {
		rs = append(rs, Recipient{Number: n})
	}
	id, err := s.CreateJob(ctx, Job{Account: account, Submitter: "sender", Spec: json.RawMessage(`{}`), Priority: 5,
		Documents: []Document{{Object: "doc_" + account, ContentType: "application/pdf", Size: 10}}, Recipients: rs})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func jobState(t *testing.T, s *Store, account, id string) Job {
	t.Helper()
	j, err := s.Job(ctx, account, id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// TestDelivery: two recipients, one sent in two attempts (busy, then
// two pages), one failed; the job goes queued → sending → failed (one
// sent: partial), each attempt and call recorded; the hook sees the job
// become final once.
func TestDelivery(t *testing.T) {
	s, _ := open(t)
	s.CreateAccount(ctx, "acme", nil)
	var hooked []string
	s.SetJobHook(func(_ context.Context, tx *sql.Tx, j Job) error {
		hooked = append(hooked, j.ID)
		if len(j.Recipients) != 2 || j.Recipients[1].N != 1 {
			t.Errorf("hook got %+v", j.Recipients)
		}
		return nil
	})
	id := newJob(t, s, "acme", "+15550100", "+15550101")
	if len(hooked) != 1 || hooked[0] != id {
		t.Fatalf("hook: %v", hooked)
	}
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	a, first, err := s.StartAttempt(ctx, id, 0, now)
	if err != nil || a != 1 || first != 1 {
		t.Fatal(a, first, err)
	}
	if j := jobState(t, s, "acme", id); j.State != JobSending || j.Recipients[0].State != RecipientSending {
		t.Fatalf("%+v", j)
	}
	finals := 0
	then := func(tx *sql.Tx, state string, final bool) error {
		if final {
			finals++
		}
		return nil
	}
	_, _, err = s.EndAttempt(ctx, AttemptEnd{Job: id, N: 0, Attempt: 1, Ended: now.Add(time.Minute), Result: "busy", State: RecipientQueued, Next: now.Add(4 * time.Minute),
		Call: CallRecord{Account: "acme", Direction: "out", Fax: id, Local: "+15550199", Remote: "+15550100", Started: now, Ended: now.Add(time.Minute), Result: "busy"}}, then)
	if err != nil {
		t.Fatal(err)
	}
	j := jobState(t, s, "acme", id)
	r := j.Recipients[0]
	if j.State != JobSending || r.State != RecipientQueued || r.Dials != 1 || r.Tries != 0 || !r.NextAttempt.Equal(now.Add(4*time.Minute)) ||
		len(r.Attempts) != 1 || r.Attempts[0].Result != "busy" || r.Attempts[0].Call == "" || r.Attempts[0].Record == nil || r.Attempts[0].Record.Remote != "+15550100" {
		t.Fatalf("after busy: %+v", r)
	}
	a, first, err = s.StartAttempt(ctx, id, 0, now.Add(5*time.Minute))
	if err != nil || a != 2 || first != 1 {
		t.Fatal(a, first, err)
	}
	if err := s.SetPagesSent(ctx, id, 0, 2, 1); err != nil {
		t.Fatal(err)
	}
	if r := jobState(t, s, "acme", id).Recipients[0]; r.PagesSent != 1 || r.Attempts[1].PagesSent != 1 {
		t.Fatalf("after a page: %+v", r)
	}
	_, _, err = s.EndAttempt(ctx, AttemptEnd{Job: id, N: 0, Attempt: 2, Ended: now.Add(6 * time.Minute), Result: "ok", PagesSent: 2, State: RecipientSent, Tried: true,
		Call: CallRecord{Account: "acme", Direction: "out", Fax: id, Remote: "+15550100", Started: now, Ended: now, Pages: 2, Rate: 14400, Modem: "V.17", ECM: true, Result: "ok"}}, then)
	if err != nil || finals != 0 {
		t.Fatal(err, finals)
	}
	// The second recipient fails before any call (its documents did not
	// render): the job is final now, failed with one recipient sent.
	if _, _, err := s.FailRecipient(ctx, id, 1, "render", now, then); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.FailRecipient(ctx, id, 1, "render", now, then); !errors.Is(err, ErrFinal) {
		t.Errorf("failed twice: %v", err)
	}
	j = jobState(t, s, "acme", id)
	if j.State != JobFailed || finals != 1 || j.Recipients[0].State != RecipientSent || j.Recipients[0].PagesSent != 2 || j.Recipients[0].Tries != 1 ||
		j.Recipients[1].State != RecipientFailed || j.Recipients[1].Attempts[0].Result != "render" {
		t.Fatalf("final: %+v", j)
	}
	if _, _, err := s.StartAttempt(ctx, id, 0, now); !errors.Is(err, ErrFinal) {
		t.Errorf("attempt at a sent recipient: %v", err)
	}
	calls, _, err := s.ListCalls(ctx, "acme", CallOptions{Direction: "out"})
	if err != nil || len(calls) != 2 || calls[0].Result != "ok" || calls[0].Modem != "V.17" || !calls[0].ECM || calls[1].Result != "busy" {
		t.Fatalf("calls %+v %v", calls, err)
	}
	if c, err := s.Call(ctx, "acme", calls[1].ID); err != nil || c.ID != calls[1].ID {
		t.Errorf("Call: %+v %v", c, err)
	}
	s.CreateAccount(ctx, "beta", nil)
	if c, _, _ := s.ListCalls(ctx, "beta", CallOptions{}); len(c) != 0 {
		t.Errorf("beta sees %d calls", len(c))
	}
	if _, err := s.Call(ctx, "beta", calls[1].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("beta reads acme's call: %v", err)
	}
}

// TestAttemptAfterCrash: an attempt left open (the server was killed)
// is closed as stopped, and the next starts after the pages confirmed.
func TestAttemptAfterCrash(t *testing.T) {
	s, path := open(t)
	s.CreateAccount(ctx, "acme", nil)
	id := newJob(t, s, "acme", "+15550100")
	now := time.Now()
	if _, _, err := s.StartAttempt(ctx, id, 0, now); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPagesSent(ctx, id, 0, 1, 3); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if open, _ := s.OpenJobs(ctx); len(open) != 1 || open[0] != id {
		t.Errorf("open jobs %v", open)
	}
	a, first, err := s.StartAttempt(ctx, id, 0, now.Add(time.Second))
	if err != nil || a != 2 || first != 4 {
		t.Fatal(a, first, err)
	}
	r := jobState(t, s, "acme", id).Recipients[0]
	if r.Attempts[0].Result != "stopped" || r.Attempts[0].PagesSent != 3 || r.Attempts[1].FirstPage != 4 {
		t.Fatalf("%+v", r.Attempts)
	}
	if _, _, err := s.EndAttempt(ctx, AttemptEnd{Job: id, N: 0, Attempt: 2, Ended: now, Result: "ok", PagesSent: 2, State: RecipientSent, Tried: true,
		Call: CallRecord{Account: "acme", Direction: "out", Result: "ok"}}, nil); err != nil {
		t.Fatal(err)
	}
	if j := jobState(t, s, "acme", id); j.State != JobSent || j.Recipients[0].PagesSent != 5 {
		t.Fatalf("%+v", j)
	}
	if open, _ := s.OpenJobs(ctx); len(open) != 0 {
		t.Errorf("open jobs %v", open)
	}
}

// TestCancelJob: only a job with no call in progress is canceled; its
// recipients waiting become canceled and its documents are returned.
func TestCancelJob(t *testing.T) {
	s, _ := open(t)
	s.CreateAccount(ctx, "acme", nil)
	s.CreateAccount(ctx, "beta", nil)
	id := newJob(t, s, "acme", "+15550100", "+15550101")
	if _, _, err := s.StartAttempt(ctx, id, 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CancelJob(ctx, "acme", id); !errors.Is(err, ErrState) {
		t.Errorf("canceled with a call in progress: %v", err)
	}
	if _, _, err := s.EndAttempt(ctx, AttemptEnd{Job: id, N: 0, Attempt: 1, Ended: time.Now(), Result: "busy", State: RecipientQueued, Next: time.Now(),
		Call: CallRecord{Account: "acme", Direction: "out", Result: "busy"}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CancelJob(ctx, "beta", id); !errors.Is(err, ErrNotFound) {
		t.Errorf("beta cancels acme's job: %v", err)
	}
	docs, err := s.CancelJob(ctx, "acme", id)
	if err != nil || len(docs) != 1 || docs[0].Object != "doc_acme" {
		t.Fatal(docs, err)
	}
	j := jobState(t, s, "acme", id)
	if j.State != JobCanceled || j.Recipients[0].State != RecipientCanceled || j.Recipients[1].State != RecipientCanceled {
		t.Fatalf("%+v", j)
	}
	if _, _, err := s.StartAttempt(ctx, id, 1, time.Now()); !errors.Is(err, ErrFinal) {
		t.Errorf("attempt after cancel: %v", err)
	}
	if _, err := s.CancelJob(ctx, "acme", id); !errors.Is(err, ErrState) {
		t.Errorf("canceled twice: %v", err)
	}
	if objs, _ := s.Objects(ctx); objs["doc_acme"] {
		t.Error("a canceled job's document still referred to")
	}
}

// TestInbox: numbers belong to one account; a received fax goes to its
// inbox with its call record; acknowledging hands the object back once;
// retention expires the rest; another account sees nothing.
func TestInbox(t *testing.T) {
	s, _ := open(t)
	s.CreateAccount(ctx, "acme", nil)
	s.CreateAccount(ctx, "beta", nil)
	if err := s.SetNumbers(ctx, "acme", []string{"+15550100", "+15550101"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetNumbers(ctx, "beta", []string{"+15550101"}); !errors.Is(err, ErrExists) {
		t.Errorf("a number held twice: %v", err)
	}
	if err := s.SetNumbers(ctx, "beta", []string{"bad number"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad number: %v", err)
	}
	if n, _ := s.Numbers(ctx, "acme"); len(n) != 2 {
		t.Errorf("numbers %v", n)
	}
	if a, err := s.NumberOwner(ctx, "+15550101"); err != nil || a != "acme" {
		t.Errorf("owner %q %v", a, err)
	}
	if _, err := s.NumberOwner(ctx, "+15550199"); !errors.Is(err, ErrNotFound) {
		t.Errorf("owner of nobody's: %v", err)
	}
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 3 {
		e, err := s.AddInbox(ctx, InboxEntry{Account: "acme", Number: "+15550100", RemoteIdent: "+1 555 0199", Pages: i + 1, Received: now.Add(time.Duration(i) * time.Hour), Complete: true, Object: "img_" + string(rune('a'+i))},
			CallRecord{Account: "acme", Direction: "in", Local: "+15550100", Remote: "", Started: now, Ended: now, Pages: i + 1, Result: "ok"})
		if err != nil || e.ID == "" || e.Call == "" {
			t.Fatal(e, err)
		}
		ids = append(ids, e.ID)
	}
	list, next, err := s.ListInbox(ctx, "acme", InboxOptions{Limit: 2})
	if err != nil || len(list) != 2 || list[0].ID != ids[2] || next == "" {
		t.Fatal(list, next, err)
	}
	rest, next, _ := s.ListInbox(ctx, "acme", InboxOptions{Limit: 2, After: next})
	if len(rest) != 1 || rest[0].ID != ids[0] || next != "" {
		t.Fatal(rest, next)
	}
	if l, _, _ := s.ListInbox(ctx, "beta", InboxOptions{}); len(l) != 0 {
		t.Error("beta sees acme's inbox")
	}
	if _, err := s.Inbox(ctx, "beta", ids[0]); !errors.Is(err, ErrNotFound) {
		t.Errorf("beta reads acme's entry: %v", err)
	}
	if _, _, err := s.AckInbox(ctx, "beta", ids[0], now); !errors.Is(err, ErrNotFound) {
		t.Errorf("beta acknowledges acme's entry: %v", err)
	}
	e, obj, err := s.AckInbox(ctx, "acme", ids[0], now)
	if err != nil || obj != "img_a" || e.Object != "" || e.Acknowledged.IsZero() {
		t.Fatal(e, obj, err)
	}
	if _, obj, _ := s.AckInbox(ctx, "acme", ids[0], now); obj != "" {
		t.Error("acknowledged twice gave the object again")
	}
	objs, err := s.ExpireInbox(ctx, now.Add(90*time.Minute))
	if err != nil || len(objs) != 1 || objs[0] != "img_b" {
		t.Fatal(objs, err)
	}
	if m, _ := s.Objects(ctx); len(m) != 1 || !m["img_c"] {
		t.Errorf("objects %v", m)
	}
	if c, _, _ := s.ListCalls(ctx, "acme", CallOptions{Direction: "in"}); len(c) != 3 || c[0].Inbox != ids[2] {
		t.Errorf("calls %+v", c)
	}
}

func TestWebhookSecretAndMustChange(t *testing.T) {
	s, _ := open(t)
	s.CreateAccount(ctx, "acme", nil)
	if sec, err := s.WebhookSecret(ctx, "acme"); err != nil || sec != "" {
		t.Fatal(sec, err)
	}
	if err := s.SetWebhookSecret(ctx, "acme", "whsec_x"); err != nil {
		t.Fatal(err)
	}
	if sec, _ := s.WebhookSecret(ctx, "acme"); sec != "whsec_x" {
		t.Error(sec)
	}
	if _, err := s.WebhookSecret(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Error(err)
	}
	if err := s.CreateCredential(ctx, auth.Credential{Account: "acme", Name: "admin", Hash: "h1", Roles: []auth.Role{auth.RoleAdmin}, Kind: "user", MustChange: true}); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Credential(ctx, "acme", "admin"); !c.MustChange || c.Hash != "h1" {
		t.Errorf("%+v", c)
	}
	if err := s.ChangeSecret(ctx, "acme", "admin", "h2"); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Credential(ctx, "acme", "admin"); c.MustChange || c.Hash != "h2" {
		t.Errorf("after the change: %+v", c)
	}
	if err := s.ChangeSecret(ctx, "beta", "admin", "h3"); !errors.Is(err, ErrNotFound) {
		t.Error(err)
	}
}
