package dispatch

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faxd/faxd/api/audit"
	"github.com/faxd/faxd/api/store"
	"github.com/faxd/faxd/api/vault"
	"github.com/faxd/faxd/api/webhook"
	"github.com/faxd/faxd/api/wire"
	"github.com/faxd/faxd/hal/media"
	"github.com/faxd/faxd/hal/sched"
	"github.com/faxd/faxd/hal/sim"
	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/t4"
	"github.com/faxd/faxd/t30/tiff"
)

// rig is a dispatcher on a store, a vault, an audit log and a media
// server on a sim network running 20 ms of audio a millisecond or two.
type rig struct {
	t     *testing.T
	dir   string
	st    *store.Store
	v     *vault.Vault
	log   *audit.Log
	net   *sim.Network
	media *media.Server
	d     *Dispatcher
}

const (
	acmeNumber = "+15550100"
	busyNumber = "+15550177"
)

func period() time.Duration {
	if raceEnabled {
		return 2 * time.Millisecond
	}
	return time.Millisecond
}

func newRig(t *testing.T, dir string) *rig {
	t.Helper()
	r := &rig{t: t, dir: dir}
	var err error
	if r.st, err = store.Open(filepath.Join(dir, "faxd.db")); err != nil {
		t.Fatal(err)
	}
	if r.v, err = vault.Open(filepath.Join(dir, "vault")); err != nil {
		if r.v, err = vault.Init(filepath.Join(dir, "vault")); err != nil {
			t.Fatal(err)
		}
	}
	if r.log, err = audit.Open(filepath.Join(dir, "audit.log"), bytes.Repeat([]byte{7}, 32), audit.Options{}); err != nil {
		t.Fatal(err)
	}
	r.net = sim.New(sim.Config{Jitter: sim.MaxJitter, NoAnswerTicks: 100})
	// A number that is off hook (it dialled nowhere): busy.
	busy, _ := r.net.NewChannel(busyNumber)
	busy.Dial("999")
	r.media, err = media.New(media.Config{Driver: r.net, Channels: []string{acmeNumber, "+15550190", "+15550191"},
		Sched: sched.Config{Workers: 2, Period: period(), CatchUp: 8}, T30: t30.Config{ECM: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.media.Start(); err != nil {
		t.Fatal(err)
	}
	r.d, err = New(Config{Store: r.st, Vault: r.v, Media: r.media, Audit: r.log, Lines: 2, Poll: 20 * time.Millisecond,
		Webhooks: webhook.Policy{AllowHTTP: true, AllowPrivate: true},
		WebhookRetry: func(first, now time.Time, res webhook.Result) (time.Duration, bool) {
			if _, ok := webhook.ShouldRetry(first, now, res); !ok {
				return 0, false
			}
			return 50 * time.Millisecond, true
		},
		Retry: Retry{Busy: 100 * time.Millisecond, NoAnswer: 100 * time.Millisecond, Protocol: 100 * time.Millisecond, Channel: 100 * time.Millisecond, MaxDials: 2}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.stop)
	return r
}

func (r *rig) start() {
	if err := r.d.Start(context.Background()); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r.media.Stop(ctx)
	r.d.Stop(ctx)
	r.st.Close()
	r.log.Close()
}

// account makes acme, holding acmeNumber.
func (r *rig) account() {
	ctx := context.Background()
	if err := r.st.CreateAccount(ctx, "acme", nil); err != nil {
		r.t.Fatal(err)
	}
	if err := r.st.SetNumbers(ctx, "acme", []string{acmeNumber}); err != nil {
		r.t.Fatal(err)
	}
}

const letter = "Dear customer,\n\nyour statement is enclosed.\n\nfaxd dispatch test\n"

// submit stores a job of the text documents to numbers, as the API does.
func (r *rig) submit(req wire.FaxRequest, docs ...string) string {
	r.t.Helper()
	var ds []store.Document
	for _, doc := range docs {
		id := store.NewID("doc_")
		n, err := r.v.Put(id, strings.NewReader(doc))
		if err != nil {
			r.t.Fatal(err)
		}
		ds = append(ds, store.Document{Object: id, ContentType: "text/plain", Size: n})
	}
	if req.Resolution == "" {
		req.Resolution = "standard"
	}
	spec, _ := json.Marshal(req)
	var rs []store.Recipient
	for _, n := range req.To {
		rs = append(rs, store.Recipient{Number: n})
	}
	id, err := r.st.CreateJob(context.Background(), store.Job{Account: "acme", Submitter: "test", Spec: spec, Priority: 5, NotBefore: time.Now(), Documents: ds, Recipients: rs})
	if err != nil {
		r.t.Fatal(err)
	}
	return id
}

// final waits for job id to be final.
func (r *rig) final(id string) store.Job {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		j, err := r.st.Job(context.Background(), "acme", id)
		if err != nil {
			r.t.Fatal(err)
		}
		if j.State == store.JobSent || j.State == store.JobFailed || j.State == store.JobCanceled {
			return j
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("job %s still %s: %+v", id, j.State, j.Recipients)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *rig) inbox(n int) []store.InboxEntry {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		es, _, err := r.st.ListInbox(context.Background(), "acme", store.InboxOptions{})
		if err != nil {
			r.t.Fatal(err)
		}
		if len(es) >= n {
			return es
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%d inbox entries, want %d", len(es), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// destroyed checks that a final job's documents are gone (they go right
// after the job's final state is committed).
func (r *rig) destroyed(j store.Job) {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, doc := range j.Documents {
		for r.v.Exists(doc.Object) {
			if time.Now().After(deadline) {
				r.t.Errorf("document %s kept after the fax was %s", doc.Object, j.State)
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
}

func ecm(on bool) *bool { return &on }

// TestSendAndReceive: a two-page fax to the server's own number: sent in
// one attempt with its call record, its documents destroyed, and the
// number's account finds it in its inbox as an MMR TIFF of two pages.
func TestSendAndReceive(t *testing.T) {
	r := newRig(t, t.TempDir())
	r.account()
	r.start()
	long := letter + strings.Repeat("\n", 80) + "page two\n"
	id := r.submit(wire.FaxRequest{To: []string{acmeNumber}, Ident: "+1 555 0199", ECM: ecm(true), MaxRate: 14400}, long)
	j := r.final(id)
	rc := j.Recipients[0]
	if j.State != store.JobSent || j.Pages != 2 || rc.PagesSent != 2 || rc.Tries != 1 || len(rc.Attempts) != 1 || rc.Attempts[0].Result != "ok" || rc.Attempts[0].Call == "" ||
		rc.Attempts[0].Record == nil || rc.Attempts[0].Record.Modem != "V.17" || rc.Attempts[0].Record.Pages != 2 {
		t.Fatalf("job %+v", j)
	}
	r.destroyed(j)
	es := r.inbox(1)
	e := es[0]
	if e.Number != acmeNumber || e.Pages != 2 || !e.Complete || e.RemoteIdent != "+1 555 0199" || e.Object == "" {
		t.Fatalf("inbox %+v", e)
	}
	rd, err := r.v.Get(e.Object)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rd)
	rd.Close()
	checkTIFF(t, b, 2, tiff.CompressionG4)
	calls, _, _ := r.st.ListCalls(context.Background(), "acme", store.CallOptions{})
	if len(calls) != 2 {
		t.Fatalf("%d call records", len(calls))
	}
	// Without ECM the page is kept as MR, as the line carried it.
	id = r.submit(wire.FaxRequest{To: []string{acmeNumber}, ECM: ecm(false)}, letter)
	if j := r.final(id); j.State != store.JobSent {
		t.Fatalf("non-ECM: %+v", j)
	}
	e = r.inbox(2)[0]
	rd, _ = r.v.Get(e.Object)
	b, _ = io.ReadAll(rd)
	rd.Close()
	checkTIFF(t, b, 1, tiff.CompressionG3)
	for _, c := range calls {
		if c.Result != "ok" || c.Pages != 2 || c.Modem != "V.17" || c.Rate < 7200 || !c.ECM {
			t.Errorf("call %+v", c)
		}
	}
}

// TestRetryThenFail: a busy number is tried again after the busy delay
// until the dials run out; each attempt is recorded, the job fails and
// its documents are destroyed. An unreachable number fails at once.
func TestRetryThenFail(t *testing.T) {
	r := newRig(t, t.TempDir())
	r.account()
	r.start()
	id := r.submit(wire.FaxRequest{To: []string{busyNumber, "+15550999"}}, letter)
	j := r.final(id)
	if j.State != store.JobFailed {
		t.Fatalf("%+v", j)
	}
	busy, gone := j.Recipients[0], j.Recipients[1]
	if busy.State != store.RecipientFailed || busy.Dials != 2 || len(busy.Attempts) != 2 || busy.Attempts[0].Result != "busy" || busy.Attempts[1].Result != "busy" {
		t.Errorf("busy: %+v", busy)
	}
	if gap := busy.Attempts[1].Started.Sub(busy.Attempts[0].Ended); gap < 100*time.Millisecond {
		t.Errorf("retried after %v, before the busy delay", gap)
	}
	if gone.State != store.RecipientFailed || len(gone.Attempts) != 1 || gone.Attempts[0].Result != "unreachable" {
		t.Errorf("unreachable: %+v", gone)
	}
	r.destroyed(j)
}

// TestResumeAfterKill: a server killed during a two-page fax after the
// first page was confirmed (its River job running, its attempt open):
// the next server closes that attempt as stopped and sends page two
// only; the receiver gets one page; every vault object nobody refers to
// is destroyed.
func TestResumeAfterKill(t *testing.T) {
	dir := t.TempDir()
	r := newRig(t, dir)
	r.account()
	long := letter + strings.Repeat("\n", 80) + "page two\n"
	id := r.submit(wire.FaxRequest{To: []string{acmeNumber}, ECM: ecm(true)}, long)
	ctx := context.Background()
	// What the killed server left: its River job running, the attempt
	// open with page one confirmed, an object half written.
	if _, err := r.st.DB().ExecContext(ctx, `UPDATE river_job SET state = 'running', attempt = 1`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.st.StartAttempt(ctx, id, 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := r.st.SetPagesSent(ctx, id, 0, 1, 1); err != nil {
		t.Fatal(err)
	}
	r.v.Put("img_orphan", strings.NewReader("half a fax"))
	r.v.Put("token-key", strings.NewReader("the server's own"))
	r.start()
	j := r.final(id)
	rc := j.Recipients[0]
	if j.State != store.JobSent || rc.PagesSent != 2 || len(rc.Attempts) != 2 {
		t.Fatalf("%+v", j)
	}
	a1, a2 := rc.Attempts[0], rc.Attempts[1]
	if a1.Result != "stopped" || a1.PagesSent != 1 || a2.Result != "ok" || a2.FirstPage != 2 || a2.PagesSent != 1 {
		t.Errorf("attempts %+v", rc.Attempts)
	}
	if es := r.inbox(1); es[0].Pages != 1 {
		t.Errorf("received %d pages, want page two alone", es[0].Pages)
	}
	if r.v.Exists("img_orphan") {
		t.Error("the orphan object was kept")
	}
	if !r.v.Exists("token-key") {
		t.Error("a secret of the server's was swept away")
	}
}

// TestCancelWhileWaiting: a job waiting for its retry is canceled; the
// dispatcher makes no further attempt. Every retry waits an hour, not
// only the busy number's: on a loaded CI machine the first attempt once
// ended otherwise, its retry started 100 ms later, and the cancel found
// a call in progress.
func TestCancelWhileWaiting(t *testing.T) {
	r := newRig(t, t.TempDir())
	r.d.cfg.Retry.Busy, r.d.cfg.Retry.NoAnswer, r.d.cfg.Retry.Protocol, r.d.cfg.Retry.Channel = time.Hour, time.Hour, time.Hour, time.Hour
	r.account()
	r.start()
	id := r.submit(wire.FaxRequest{To: []string{busyNumber}}, letter)
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for {
		j, _ := r.st.Job(ctx, "acme", id)
		if len(j.Recipients[0].Attempts) == 1 && j.Recipients[0].State == store.RecipientQueued {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no first attempt: %+v", j.Recipients)
		}
		time.Sleep(10 * time.Millisecond)
	}
	docs, err := r.st.CancelJob(ctx, "acme", id)
	if err != nil || len(docs) != 1 {
		j, _ := r.st.Job(ctx, "acme", id)
		t.Fatalf("%v %v; attempts %+v", docs, err, j.Recipients[0].Attempts)
	}
	if j := r.final(id); j.State != store.JobCanceled || len(j.Recipients[0].Attempts) != 1 {
		t.Errorf("%+v", j)
	}
}

// TestWebhook: a final fax's status is delivered to its webhook, signed
// with the account's secret, after a first delivery the receiver
// refused with 503; both carry the same delivery key.
func TestWebhook(t *testing.T) {
	r := newRig(t, t.TempDir())
	r.account()
	secret := webhook.NewSecret()
	if err := r.st.SetWebhookSecret(context.Background(), "acme", secret); err != nil {
		t.Fatal(err)
	}
	type hit struct {
		status   wire.FaxStatus
		delivery string
		err      error
	}
	hits := make(chan hit, 4)
	var n int
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var h hit
		h.err = webhook.Verify(secret, req.Header.Get(webhook.HeaderSignature), body, time.Now(), time.Minute)
		json.Unmarshal(body, &h.status)
		h.delivery = req.Header.Get(webhook.HeaderDelivery)
		hits <- h
		if n++; n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer ts.Close()
	r.start()
	id := r.submit(wire.FaxRequest{To: []string{acmeNumber}, Webhook: ts.URL + "/hooks/fax"}, letter)
	r.final(id)
	var got []hit
	for len(got) < 2 {
		select {
		case h := <-hits:
			got = append(got, h)
		case <-time.After(30 * time.Second):
			t.Fatalf("%d deliveries", len(got))
		}
	}
	for _, h := range got {
		if h.err != nil || h.status.ID != id || h.status.State != "sent" || h.delivery == "" || h.delivery != got[0].delivery {
			t.Errorf("delivery %+v", h)
		}
	}
}

// checkTIFF reads a received fax's TIFF whole with our reader and, when
// installed, has libtiff's tiffcp decode it without a warning.
func checkTIFF(t *testing.T, b []byte, pages, compression int) {
	t.Helper()
	tr, err := tiff.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil || tr.NumPages() != pages {
		t.Fatalf("the image: %v", err)
	}
	for i := range pages {
		info := tr.Page(i)
		if info.Compression != compression || info.FillOrder != t4.MSBFirst {
			t.Errorf("page %d: compression %d, fill order %d", i+1, info.Compression, info.FillOrder)
		}
		rr, err := tr.Rows(i)
		if err != nil {
			t.Fatal(err)
		}
		row := make([]byte, (info.Width+7)/8)
		for y := range info.Height {
			if err := rr.Next(row); err != nil {
				t.Fatalf("page %d row %d: %v", i+1, y, err)
			}
		}
		if st := rr.Stats(); st.BadRows != 0 {
			t.Errorf("page %d: %d bad rows", i+1, st.BadRows)
		}
	}
	if _, err := exec.LookPath("tiffcp"); err != nil {
		return
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.tif")
	os.WriteFile(in, b, 0o600)
	out, err := exec.Command("tiffcp", "-c", "none", in, filepath.Join(dir, "out.tif")).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("tiffcp: %v %s", err, out)
	}
}

// TestReceiveReleases: the dispatcher releases a received fax's pages,
// and only once their image is stored: the stored TIFF holds the page as
// received, though releasing it clears its data.
func TestReceiveReleases(t *testing.T) {
	r := newRig(t, t.TempDir())
	r.account()
	r.start()
	var coded bytes.Buffer
	enc, err := t4.NewEncoder(&coded, t4.Options{Coding: t4.MMR, Width: 1728, FillOrder: t4.LSBFirst})
	if err != nil {
		t.Fatal(err)
	}
	row := make([]byte, 1728/8)
	for y := range 200 {
		for x := range row {
			row[x] = 0
			if x%20 < 3 && y%10 < 5 {
				row[x] = 0xF0
			}
		}
		if err := enc.WriteRow(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	// Data as the engine's pool hands it out: a power of two of room, so
	// that Release clears it.
	data := append(make([]byte, 0, 1<<14), coded.Bytes()...)
	if cap(data) != 1<<14 {
		t.Fatalf("%d octets coded: more than the buffer", coded.Len())
	}
	all := data[:cap(data)]
	rec := &media.Received{Number: acmeNumber, Remote: "+1 555 0100", Ended: time.Now(), Pages: []*t30.ReceivedPage{{
		Width: 1728, Res: document.Fine, Rows: 200, Coding: t4.MMR, Data: data}}}
	r.d.receive(rec)
	if rec.Pages[0].Data != nil || !bytes.Equal(all, make([]byte, len(all))) {
		t.Error("the received page was not released")
	}
	e := r.inbox(1)[0]
	rd, err := r.v.Get(e.Object)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rd)
	rd.Close()
	checkTIFF(t, b, 1, tiff.CompressionG4)
}
