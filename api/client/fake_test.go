package client_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faxd/faxd/api/auth"
	"github.com/faxd/faxd/api/client"
	"github.com/faxd/faxd/api/client/clienttest"
	"github.com/faxd/faxd/api/wire"
)

// The resources below are API.md's that the server does not serve yet;
// they are tested against clienttest's fake.

// TestPasswordChange: a one-time password gives a token good for the
// change only; after it the client logs in with the new password.
func TestPasswordChange(t *testing.T) {
	f := clienttest.NewFake(t)
	c := fakeClient(t, f, clienttest.FirstName, clienttest.FirstPassword)
	tok, err := c.Login(ctx)
	if err != nil || !tok.ChangeRequired || !slices.Equal(tok.Roles, []auth.Role{auth.RoleAdmin}) {
		t.Fatalf("login: %+v %v", tok, err)
	}
	_, err = c.Numbers(ctx)
	if e := apiError(t, err); e.Status != 403 || e.Code != "password_change_required" {
		t.Errorf("before the change: %+v", e)
	}
	if err := c.ChangePassword(ctx, clienttest.FirstPassword, "short"); !client.IsCode(err, wire.CodeBadRequest) {
		t.Errorf("short password: %v", err)
	}
	if err := c.ChangePassword(ctx, "not it", "a long enough password"); !client.IsCode(err, wire.CodeUnauthorized) {
		t.Errorf("wrong password: %v", err)
	}
	if err := c.ChangePassword(ctx, clienttest.FirstPassword, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	if f.Password(clienttest.FirstName) != "a long enough password" {
		t.Error("not changed")
	}
	if nums, err := c.Numbers(ctx); err != nil || len(nums) != 2 {
		t.Errorf("after the change: %v %v", nums, err)
	}
	if n := f.Count("POST", "/v1/tokens", 201); n != 2 {
		t.Errorf("%d logins", n)
	}
}

// TestWait: the extended status (pages, recipients, attempts) decoded;
// Wait follows a fax to its end and tells each change once.
func TestWait(t *testing.T) {
	f := clienttest.NewFake(t)
	c := fakeClient(t, f, clienttest.SenderName, clienttest.SenderSecret)
	fx, err := c.Send(ctx, wire.FaxRequest{To: []string{"+15550100", clienttest.FailNumber}}, textDoc("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if fx.State != client.StateQueued || len(fx.Recipients) != 2 || fx.Pages != 0 {
		t.Fatalf("sent: %+v", fx)
	}
	var states []string
	final, err := c.Wait(ctx, fx.ID, time.Millisecond, func(x client.Fax) {
		states = append(states, x.State+"/"+x.Recipients[0].State)
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"sending/sending", "sending/queued", "partial/sent"}; !slices.Equal(states, want) {
		t.Errorf("changes %v, want %v", states, want)
	}
	r0, r1 := final.Recipients[0], final.Recipients[1]
	if final.Pages != 2 || r0.PagesSent != 2 || len(r0.Attempts) != 2 || r0.Attempts[0].Result != client.ResultBusy ||
		r0.Attempts[1].Result != client.ResultOK || r0.Attempts[1].PagesSent != 2 || r0.Attempts[1].N != 2 ||
		r0.Attempts[1].Ended == nil || r0.Attempts[1].Call == "" || r0.Attempts[1].FirstPage != 1 {
		t.Errorf("sent recipient: %+v", r0)
	}
	if r1.State != client.StateFailed || r1.Attempts[1].Result != client.ResultNoAnswer {
		t.Errorf("failed recipient: %+v", r1)
	}
	// Waiting for the retry: next_attempt.
	g, err := c.Fax(ctx, clienttest.FaxID)
	if err != nil {
		t.Fatal(err)
	}
	g, err = c.Fax(ctx, clienttest.FaxID)
	if err != nil || g.Recipients[0].NextAttempt == nil || g.Recipients[0].Attempts[0].Ended == nil || !g.Recipients[0].Attempts[0].Ended.After(g.Recipients[0].Attempts[0].Started) {
		t.Errorf("retry pending: %+v %v", g, err)
	}
	if _, err := c.Cancel(ctx, clienttest.FaxID); err != nil {
		t.Errorf("cancel while waiting for a retry: %v", err)
	}
	// A wait cut short gives what it saw.
	fx, _ = c.Send(ctx, wire.FaxRequest{To: []string{"+15550100"}}, textDoc("hello"))
	cctx, cancel := context.WithCancel(ctx)
	last, err := c.Wait(cctx, fx.ID, time.Hour, func(client.Fax) { cancel() })
	if !errors.Is(err, client.ErrWait) || !errors.Is(err, context.Canceled) || last == nil || last.State != client.StateSending {
		t.Errorf("canceled wait: %+v %v", last, err)
	}
}

// TestInbox: pages, filter, one entry, its image sealed in both
// formats, acknowledged and then gone.
func TestInbox(t *testing.T) {
	f := clienttest.NewFake(t)
	c := fakeClient(t, f, clienttest.ReceiverName, clienttest.ReceiverSecret)
	p, err := c.Inbox(ctx, client.InboxOptions{Limit: 2})
	if err != nil || len(p.Faxes) != 2 || p.Next == "" || p.Faxes[0].ID != "rcv_3" {
		t.Fatalf("first page: %+v %v", p, err)
	}
	var ids []string
	for e, err := range c.AllInbox(ctx, client.InboxOptions{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	if !slices.Equal(ids, []string{"rcv_3", "rcv_2", "rcv_1"}) {
		t.Errorf("all: %v", ids)
	}
	p, err = c.Inbox(ctx, client.InboxOptions{Number: "+15550101"})
	if err != nil || len(p.Faxes) != 1 || p.Faxes[0].ID != "rcv_2" || p.Faxes[0].Complete || p.Next != "" {
		t.Errorf("by number: %+v %v", p, err)
	}
	e, err := c.InboxEntry(ctx, "rcv_1")
	if err != nil || e.Pages != 2 || e.RemoteIdent != "+1 555 0199" || e.Acknowledged != nil || !e.Complete || e.Received.IsZero() || e.Call == "" {
		t.Fatalf("entry: %+v %v", e, err)
	}
	img, ct, err := c.Fetch(ctx, "rcv_1", client.FormatTIFF)
	if err != nil || ct != "image/tiff" || !bytes.Equal(img, clienttest.FakeTIFF) {
		t.Fatalf("tiff: %q %v", ct, err)
	}
	img, ct, err = c.Fetch(ctx, "rcv_1", client.FormatPDF)
	if err != nil || ct != "application/pdf" || !bytes.Equal(img, clienttest.FakePDF) {
		t.Fatalf("pdf: %q %v", ct, err)
	}
	if _, _, err := c.Fetch(ctx, "rcv_1", "png"); !errors.Is(err, client.ErrConfig) {
		t.Errorf("png: %v", err)
	}
	if f.Count("GET", "/v1/inbox/rcv_1/image", 200) != 2 || f.Count("POST", "/v1/seal/sessions", 201) != 1 {
		t.Errorf("fetches: %v", f.Hits())
	}
	e, err = c.Ack(ctx, "rcv_1")
	if err != nil || e.Acknowledged == nil {
		t.Fatalf("ack: %+v %v", e, err)
	}
	_, _, err = c.Fetch(ctx, "rcv_1", "")
	if e := apiError(t, err); e.Status != 404 || e.Code != wire.CodeNotFound {
		t.Errorf("fetched after the ack (answered sealed): %+v", e)
	}
	if _, err := c.Calls(ctx, client.CallOptions{}); !client.IsCode(err, wire.CodeForbidden) {
		t.Errorf("receiver reads calls: %v", err)
	}
}

// TestCalls: call records by direction and page after page.
func TestCalls(t *testing.T) {
	f := clienttest.NewFake(t)
	c := fakeClient(t, f, clienttest.AuditorName, clienttest.AuditorSecret)
	p, err := c.Calls(ctx, client.CallOptions{Direction: "out"})
	if err != nil || len(p.Calls) != 2 || p.Calls[1].Fax != clienttest.FaxID || p.Calls[1].Rate != 14400 || p.Calls[1].Modem != "V.17" || !p.Calls[1].ECM || p.Calls[1].Answered == nil || p.Calls[0].Answered != nil {
		t.Fatalf("out: %+v %v", p, err)
	}
	var ids []string
	for r, err := range c.AllCalls(ctx, client.CallOptions{Limit: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID+"/"+r.Direction)
	}
	if !slices.Equal(ids, []string{"call_3/out", "call_2/in", "call_1/out"}) {
		t.Errorf("all: %v", ids)
	}
	if _, err := c.Calls(ctx, client.CallOptions{Direction: "sideways"}); !client.IsCode(err, wire.CodeBadRequest) {
		t.Errorf("bad direction: %v", err)
	}
}

// TestNumbers: numbers read and replaced (normalised by the server);
// a webhook secret made.
func TestNumbers(t *testing.T) {
	f := clienttest.NewFake(t)
	c := fakeClient(t, f, clienttest.AdminName, clienttest.AdminPassword)
	nums, err := c.Numbers(ctx)
	if err != nil || !slices.Equal(nums, []string{"+15550100", "+15550101"}) {
		t.Fatalf("numbers: %v %v", nums, err)
	}
	if nums, err = c.SetNumbers(ctx, []string{"+1 555 0102", "+15550102", "+15550103"}); err != nil || !slices.Equal(nums, []string{"+15550102", "+15550103"}) {
		t.Errorf("set: %v %v", nums, err)
	}
	if _, err := c.SetNumbers(ctx, []string{"0800 FAX"}); !client.IsCode(err, wire.CodeBadRequest) {
		t.Errorf("bad number: %v", err)
	}
	if nums, err = c.SetNumbers(ctx, nil); err != nil || len(nums) != 0 {
		t.Errorf("none: %v %v", nums, err)
	}
	s, err := c.NewWebhookSecret(ctx)
	if err != nil || !strings.HasPrefix(s, "whsec_") || s != f.WebhookSecret() {
		t.Errorf("webhook secret: %q %v", s, err)
	}
}
