package media_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/faxd/faxd/hal"
	"github.com/faxd/faxd/hal/media"
	"github.com/faxd/faxd/hal/sched"
	"github.com/faxd/faxd/hal/sim"
	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
)

// period is the tests' tick: 20 ms of audio every millisecond (twice that
// under the race detector, which slows the modems down), so a fax call
// of some 18 s of audio takes about a second.
func period() time.Duration {
	if raceEnabled {
		return 2 * time.Millisecond
	}
	return time.Millisecond
}

// netConfig is the sim network of the tests: perfect lines, the most
// slack (with periods of a millisecond, a stall of the machine while
// other tests load it lasts several periods: the buffers cover it), no
// answer after 2 s of audio.
var netConfig = sim.Config{Jitter: sim.MaxJitter, NoAnswerTicks: 100}

var (
	pagesOnce sync.Once
	onePage   []*document.Page
)

func pages(t testing.TB) []*document.Page {
	pagesOnce.Do(func() {
		var err error
		onePage, err = document.RenderText([]byte("faxd media server test\n\nThe quick brown fox jumps over the lazy dog.\n"), &document.Options{PageLength: 60, Header: "faxd media"})
		if err != nil {
			t.Fatal(err)
		}
	})
	if len(onePage) != 1 {
		t.Fatalf("%d pages", len(onePage))
	}
	return onePage
}

// logWriter sends a server's log to the test's.
type logWriter struct {
	t  testing.TB
	mu sync.Mutex
	on bool
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.on {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

func (w *logWriter) off() {
	w.mu.Lock()
	w.on = false
	w.mu.Unlock()
}

// start makes and starts a server on net with the channels named; it
// stops when the test ends.
func start(t testing.TB, net *sim.Network, names []string, tune func(*media.Config)) *media.Server {
	t.Helper()
	lw := &logWriter{t: t, on: true}
	cfg := media.Config{
		Driver:   net,
		Channels: names,
		// A stall of a few milliseconds is a few periods: catch up on them
		// (the network clock too), as a 20 ms server would on a stall of
		// a few 20 ms.
		Sched:  sched.Config{Workers: 2, Period: period(), CatchUp: 8},
		Logger: hclog.New(&hclog.LoggerOptions{Name: "media", Level: hclog.Info, Output: lw}),
		T30:    t30.Config{Ident: "+1 555 0100", ECM: true}, // ECM offered when receiving
	}
	if tune != nil {
		tune(&cfg)
	}
	s, err := media.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Stop(ctx)
		lw.off()
	})
	return s
}

func wait(t testing.TB, s *media.Server, id media.JobID) *media.Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	o, err := s.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func samePages(t testing.TB, got []*t30.ReceivedPage, want []*document.Page) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d pages, want %d", len(got), len(want))
	}
	for i := range want {
		q, err := got[i].Decode()
		if err != nil {
			t.Fatalf("page %d: %v", i+1, err)
		}
		p := want[i]
		if p.Width != q.Width || p.Rows != q.Rows || !bytes.Equal(p.Pix, q.Pix) {
			t.Errorf("page %d differs: %dx%d, want %dx%d", i+1, q.Width, q.Rows, p.Width, p.Rows)
		}
	}
}

// TestFaxToOwnNumber: the server sends a page to its own number 102 from
// another of its channels; the job is confirmed and 102's inbox holds the
// page, pixel for pixel.
func TestFaxToOwnNumber(t *testing.T) {
	net := sim.New(netConfig)
	s := start(t, net, []string{"100", "101", "102", "103"}, nil)
	for n, ecm := range []bool{false, true} {
		id, err := s.Submit(media.Job{To: "102", Pages: pages(t), ECM: ecm, Ident: "+1 555 0199"})
		if err != nil {
			t.Fatal(err)
		}
		o := wait(t, s, id)
		if !o.OK() || o.Cause != media.CauseNone || o.Fax == nil || !o.Fax.OK() || o.Fax.PagesSent != 1 {
			t.Fatalf("ECM %v: outcome %+v, fax %v", ecm, o, o.Fax)
		}
		if o.Channel == "102" || o.Channel == "" {
			t.Errorf("placed on channel %q", o.Channel)
		}
		if o.Fax.ECM != ecm {
			t.Errorf("ECM %v, want %v", o.Fax.ECM, ecm)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		in, err := s.WaitInbox(ctx, "102", n+1)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		r := in[n]
		if !r.OK() || r.Remote != "+1 555 0199" || r.Fax.PagesReceived != 1 {
			t.Fatalf("received %+v, fax %v", r, r.Fax)
		}
		samePages(t, r.Pages, pages(t))
		t.Logf("ECM %v: %s %d bit/s on %s, %d ticks (%.1f s of audio) in %v", ecm, o.Fax.Modem, o.Fax.BitRate, o.Channel, o.Ticks, float64(o.Ticks)/50, o.Ended.Sub(o.Dialled).Round(time.Millisecond))
		// The inbox keeps it; the next call adds to it.
		if !s.Forget(id) {
			t.Error("Forget refused a finished job")
		}
		if _, err := s.Wait(context.Background(), id); !errors.Is(err, media.ErrUnknownJob) {
			t.Errorf("Wait after Forget: %v", err)
		}
	}
	if got := len(s.Inbox("102")); got != 2 {
		t.Errorf("inbox of 102: %d entries", got)
	}
}

// TestDialFailures: busy, unreachable and no-answer numbers fail the job
// with their causes, and the channel is free again.
func TestDialFailures(t *testing.T) {
	net := sim.New(netConfig)
	// 200 is off hook (it dialled a number that does not exist and has
	// not hung up): busy. 300 rings and is never answered.
	busy, _ := net.NewChannel("200")
	if _, err := net.NewChannel("300"); err != nil {
		t.Fatal(err)
	}
	if err := busy.Dial("999"); err != nil {
		t.Fatal(err)
	}
	s := start(t, net, []string{"100"}, nil)
	for _, c := range []struct {
		to    string
		cause media.Cause
		err   error
	}{
		{"200", media.CauseBusy, media.ErrBusy},
		{"555", media.CauseUnreachable, media.ErrUnreachable},
		{"300", media.CauseNoAnswer, media.ErrNoAnswer},
		{"12x", media.CauseUnreachable, hal.ErrInvalidNumber},
	} {
		id, err := s.Submit(media.Job{To: c.to, Pages: pages(t)})
		if err != nil {
			t.Fatal(err)
		}
		o := wait(t, s, id)
		if o.Cause != c.cause || !errors.Is(o.Err, c.err) || o.Fax != nil || o.OK() {
			t.Errorf("to %s: cause %v, err %v, fax %v; want %v, %v", c.to, o.Cause, o.Err, o.Fax, c.cause, c.err)
		}
		if !strings.Contains(o.Err.Error(), c.to) {
			t.Errorf("to %s: the error does not name the number: %v", c.to, o.Err)
		}
	}
	if st, _ := s.ChannelState("100"); st != media.StateIdle {
		t.Errorf("channel 100 %v after the failures", st)
	}
}

// TestHangupMidCall: the far end answers and hangs up before the fax is
// through: the job ends with CauseHangup and the engine's result so far.
func TestHangupMidCall(t *testing.T) {
	net := sim.New(netConfig)
	far, _ := net.NewChannel("400")
	s := start(t, net, []string{"100"}, nil)
	id, err := s.Submit(media.Job{To: "400", Pages: pages(t)})
	if err != nil {
		t.Fatal(err)
	}
	// The far end answers at once, and hangs up 300 ticks (6 s of audio)
	// into the call: the sender is still waiting for DIS.
	done := make(chan error, 1)
	go func() {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if e, ok := far.Event(); ok && e.Kind == hal.EventRing {
				if err := far.Answer(); err != nil {
					done <- err
					return
				}
				t0 := net.Ticks()
				for net.Ticks() < t0+300 {
					time.Sleep(period())
				}
				done <- far.Hangup()
				return
			}
			time.Sleep(period())
		}
		done <- errors.New("no ring")
	}()
	o := wait(t, s, id)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if o.Cause != media.CauseHangup || !errors.Is(o.Err, media.ErrHangup) || o.Fax == nil {
		t.Fatalf("outcome %+v", o)
	}
	if o.Ticks < 250 || o.Ticks > 400 {
		t.Errorf("the call lasted %d ticks, the far end hung up after 300", o.Ticks)
	}
	if o.Fax.PagesSent != 0 || !strings.Contains(o.Fax.Cause, "hangup") {
		t.Errorf("fax result %v", o.Fax)
	}
}

// TestStop: Stop with a call in progress and jobs waiting ends the call
// with CauseStopped at both ends and every waiting job too; Submit
// afterwards fails.
func TestStop(t *testing.T) {
	net := sim.New(netConfig)
	s := start(t, net, []string{"100", "101", "102"}, nil)
	first, err := s.Submit(media.Job{From: "100", To: "102", Pages: pages(t)})
	if err != nil {
		t.Fatal(err)
	}
	var queued []media.JobID
	for range 5 {
		id, err := s.Submit(media.Job{From: "100", To: "102", Pages: pages(t)}) // wait for 100
		if err != nil {
			t.Fatal(err)
		}
		queued = append(queued, id)
	}
	// Let the call get going, then stop with no time to finish it.
	deadline := time.Now().Add(10 * time.Second)
	for st, _ := s.ChannelState("102"); st != media.StateInCall; st, _ = s.ChannelState("102") {
		if time.Now().After(deadline) {
			t.Fatal("the call never came up")
		}
		time.Sleep(period())
	}
	time.Sleep(100 * period())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Stop(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Stop: %v", err)
	}
	o, ok := s.Result(first)
	if !ok || o.Cause != media.CauseStopped || !errors.Is(o.Err, media.ErrStopped) || o.Fax == nil || o.Channel != "100" {
		t.Fatalf("the call in progress: %+v", o)
	}
	for _, id := range queued {
		o, ok := s.Result(id)
		if !ok || o.Cause != media.CauseStopped || o.Fax != nil || o.Channel != "" {
			t.Errorf("job %d: %v %+v", id, ok, o)
		}
	}
	in := s.Inbox("102")
	if len(in) != 1 || in[0].Cause != media.CauseStopped || in[0].OK() {
		t.Errorf("inbox of 102: %+v", in)
	}
	if _, err := s.Submit(media.Job{To: "102", Pages: pages(t)}); !errors.Is(err, media.ErrStopped) {
		t.Errorf("Submit after Stop: %v", err)
	}
	if net.Calls() != 0 {
		t.Errorf("%d calls on the network after Stop", net.Calls())
	}
	if chans, _ := net.Channels(); len(chans) != 0 {
		t.Errorf("channels still open: %v", chans)
	}
}

// TestStopLetsCallsFinish: with time to spare, Stop waits for the call in
// progress, which completes.
func TestStopLetsCallsFinish(t *testing.T) {
	net := sim.New(netConfig)
	s := start(t, net, []string{"100", "101"}, nil)
	id, err := s.Submit(media.Job{From: "100", To: "101", Pages: pages(t)})
	if err != nil {
		t.Fatal(err)
	}
	for st, _ := s.ChannelState("100"); st == media.StateIdle; st, _ = s.ChannelState("100") {
		time.Sleep(period())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if o, ok := s.Result(id); !ok || !o.OK() {
		t.Fatalf("%v %+v", ok, o)
	}
}

// TestMetrics: the handler serves metrics that parse, and show the call.
func TestMetrics(t *testing.T) {
	net := sim.New(netConfig)
	s := start(t, net, []string{"100", "101", "102", "103"}, func(c *media.Config) { c.Name = "a" })
	id, err := s.Submit(media.Job{To: "103", Pages: pages(t)})
	if err != nil {
		t.Fatal(err)
	}
	if o := wait(t, s, id); !o.OK() {
		t.Fatal(o.Err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.WaitInbox(ctx, "103", 1); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	value := func(name string, labels map[string]string) (float64, bool) {
		f := fams[name]
		if f == nil {
			return 0, false
		}
	next:
		for _, m := range f.Metric {
			have := map[string]string{}
			for _, l := range m.Label {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue(), true
			case m.Gauge != nil:
				return m.Gauge.GetValue(), true
			case m.Summary != nil:
				return float64(m.Summary.GetSampleCount()), true
			}
		}
		return 0, false
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		check  func(float64) bool
	}{
		{"faxd_calls_total", map[string]string{"server": "a", "direction": "out", "outcome": "ok"}, func(v float64) bool { return v == 1 }},
		{"faxd_calls_total", map[string]string{"server": "a", "direction": "in", "outcome": "ok"}, func(v float64) bool { return v == 1 }},
		{"faxd_pages_total", map[string]string{"direction": "out"}, func(v float64) bool { return v == 1 }},
		{"faxd_pages_total", map[string]string{"direction": "in"}, func(v float64) bool { return v == 1 }},
		{"faxd_channels", map[string]string{"state": "idle"}, func(v float64) bool { return v == 4 }},
		{"faxd_channels", map[string]string{"state": "in-call"}, func(v float64) bool { return v == 0 }},
		{"faxd_sched_ticks_total", map[string]string{"worker": "0"}, func(v float64) bool { return v > 500 }},
		{"faxd_sched_deadline_misses_total", map[string]string{"worker": "1"}, func(v float64) bool { return v >= 0 }},
		{"faxd_sched_tick_seconds", map[string]string{"worker": "0"}, func(v float64) bool { return v > 500 }},
		{"faxd_network_ticks_total", nil, func(v float64) bool { return v > 500 }},
	} {
		v, ok := value(c.name, c.labels)
		if !ok || !c.check(v) {
			t.Errorf("%s%v = %v (found %v)", c.name, c.labels, v, ok)
		}
	}
	if t.Failed() {
		t.Logf("%s", body)
	}
}

// TestTwoServers: two servers on one sim network, one ticking it: the
// first sends, the second receives.
func TestTwoServers(t *testing.T) {
	net := sim.New(netConfig)
	a := start(t, net, []string{"100", "101"}, func(c *media.Config) { c.T30.Ident = "+1 555 0001" })
	b := start(t, net, []string{"200", "201"}, func(c *media.Config) { c.ExternalTick = true; c.T30.Ident = "+1 555 0002" })
	id, err := a.Submit(media.Job{To: "201", Pages: pages(t), ECM: true})
	if err != nil {
		t.Fatal(err)
	}
	o := wait(t, a, id)
	if !o.OK() {
		t.Fatalf("%v\n%s", o.Err, t30.FormatTrace(o.Fax.Trace))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	in, err := b.WaitInbox(ctx, "201", 1)
	if err != nil {
		t.Fatal(err)
	}
	if in[0].Remote != "+1 555 0001" || o.Fax.RemoteIdent != "+1 555 0002" || !o.Fax.ECM {
		t.Errorf("idents: receiver heard %q, sender %q; ECM %v", in[0].Remote, o.Fax.RemoteIdent, o.Fax.ECM)
	}
	samePages(t, in[0].Pages, pages(t))
	if took := b.TakeInbox("201"); len(took) != 1 || took[0] != in[0] || len(b.Inbox("201")) != 0 || len(b.TakeInbox("201")) != 0 {
		t.Errorf("taken: %d, left %d", len(took), len(b.Inbox("201")))
	}
	if st := b.Stats(); st.NetworkTicks != 0 {
		t.Errorf("the second server ticked the network %d times", st.NetworkTicks)
	}
}

// TestDensityAPI: n pairs, n jobs at once, every outcome and the
// scheduler's accounting back.
func TestDensityAPI(t *testing.T) {
	const n = 4
	net := sim.New(netConfig)
	senders, receivers := media.Pairs(5000, n)
	s := start(t, net, append(senders, receivers...), nil)
	ids, err := s.SubmitAll(media.PairJobs(senders, receivers, media.Job{Pages: pages(t), ECM: true}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	outs, err := s.WaitAll(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outs {
		if !o.OK() || o.Channel != senders[i] || o.Job.To != receivers[i] {
			t.Errorf("pair %d: %+v", i, o)
		}
		// The receiver hangs up when it hears the sender's hang-up, a
		// tick or so after the sender's outcome.
		if in, err := s.WaitInbox(ctx, receivers[i], 1); err != nil || len(in) != 1 || !in[0].OK() {
			t.Errorf("pair %d: inbox %+v, %v", i, in, err)
		}
	}
	st := s.Stats()
	var ticks, misses uint64
	for _, w := range st.Workers {
		ticks += w.Ticks
		misses += w.Misses
	}
	if ticks == 0 || st.States[media.StateIdle] != 2*n || st.NetworkTicks == 0 {
		t.Errorf("stats %+v", st)
	}
	var frames sim.FrameStats
	for _, name := range s.Channels() {
		fs := s.Channel(name).(*sim.Channel).FrameStats()
		frames.Missed += fs.Missed
		frames.Underruns += fs.Underruns
		frames.Overruns += fs.Overruns
		frames.TxFull += fs.TxFull
	}
	t.Logf("%d calls; %d worker ticks, %d late or overrun; %d network ticks; frame path %+v", n, ticks, misses, st.NetworkTicks, frames)
}

func TestSubmitErrors(t *testing.T) {
	net := sim.New(netConfig)
	s, err := media.New(media.Config{Driver: net, Channels: []string{"100"}, QueueLen: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Submit(media.Job{To: "101"}); !errors.Is(err, media.ErrNoPages) {
		t.Errorf("no pages: %v", err)
	}
	if _, err := s.Submit(media.Job{To: "101", From: "999", Pages: pages(t)}); !errors.Is(err, media.ErrNoChannel) {
		t.Errorf("from an unknown channel: %v", err)
	}
	for i := range 3 {
		_, err := s.Submit(media.Job{To: "101", Pages: pages(t)})
		if (i < 2) != (err == nil) || (i == 2 && !errors.Is(err, media.ErrQueueFull)) {
			t.Errorf("submit %d to a queue of 2: %v", i, err)
		}
	}
	if _, err := s.Wait(context.Background(), 77); !errors.Is(err, media.ErrUnknownJob) {
		t.Errorf("unknown job: %v", err)
	}
	if _, err := media.New(media.Config{Driver: net, Channels: []string{"100"}}); !errors.Is(err, hal.ErrInUse) {
		t.Errorf("a channel opened twice: %v", err)
	}
	// Stop without Start ends the jobs waiting.
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	for id := media.JobID(1); id <= 2; id++ {
		if o, ok := s.Result(id); !ok || o.Cause != media.CauseStopped {
			t.Errorf("job %d after Stop: %v %+v", id, ok, o)
		}
	}
}

// TestProgressAndTakeAll: a job's confirmed pages are published while
// its call runs, one step a page; TakeAllInbox hands the received fax
// over once and leaves the inbox empty.
func TestProgressAndTakeAll(t *testing.T) {
	net := sim.New(netConfig)
	s := start(t, net, []string{"200", "201"}, nil)
	two := append(append([]*document.Page{}, pages(t)...), pages(t)...)
	_, changed := s.TakeAllInbox()
	id, err := s.Submit(media.Job{To: "201", Pages: two, ECM: true})
	if err != nil {
		t.Fatal(err)
	}
	n, grew, ok := s.Progress(id)
	if !ok || n != 0 {
		t.Fatalf("Progress before the call: %d %v", n, ok)
	}
	var steps []int
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan *media.Outcome, 1)
	go func() { o, _ := s.Wait(ctx, id); done <- o }()
	var o *media.Outcome
	for o == nil {
		select {
		case <-grew:
			n, _, _ := s.Progress(id)
			steps = append(steps, n)
		case o = <-done:
		}
	}
	if !o.OK() || o.Fax.PagesSent != 2 {
		t.Fatalf("outcome %+v", o)
	}
	if n, _, _ := s.Progress(id); n != 2 {
		t.Errorf("Progress after the call: %d", n)
	}
	if len(steps) == 0 || steps[0] != 1 && steps[0] != 2 || steps[len(steps)-1] > 2 {
		t.Errorf("progress steps %v", steps)
	}
	select {
	case <-changed:
	case <-ctx.Done():
		t.Fatal("no inbox change")
	}
	got, _ := s.TakeAllInbox()
	for len(got) == 0 && ctx.Err() == nil { // the receiver may end a tick after the sender
		time.Sleep(time.Millisecond)
		got, _ = s.TakeAllInbox()
	}
	if len(got) != 1 || got[0].Number != "201" || len(got[0].Pages) != 2 {
		t.Fatalf("took %d entries", len(got))
	}
	if again, _ := s.TakeAllInbox(); len(again) != 0 || len(s.Inbox("201")) != 0 {
		t.Errorf("the inbox kept a copy")
	}
}
