package capture

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/calldecode"
	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t38"
)

// letter returns n pages of a letter at fine resolution.
func letter(tb testing.TB, n int) []*document.Page {
	tb.Helper()
	text := strings.Repeat("Please find enclosed the signed agreement and the disclosure forms; the deposit has been transferred to the escrow account, reference 2026-11-4471.\n", 20*n)
	pages, err := document.RenderText([]byte(text), &document.Options{Resolution: document.Fine, FontSize: 12})
	if err != nil {
		tb.Fatal(err)
	}
	if len(pages) < n {
		tb.Fatalf("%d pages rendered, want %d", len(pages), n)
	}
	return pages[:n]
}

var (
	callerFlow   = Flow{netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("192.0.2.2:50000")}
	answererFlow = Flow{callerFlow.Dst, callerFlow.Src}
	epoch        = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
)

type datagram struct {
	from int // 0 caller, 1 answerer
	at   time.Time
	data []byte
}

// recordedCall is a T.38 call between two of our terminals, captured.
type recordedCall struct {
	pages     []*document.Page
	sink      *t30.MemorySink
	a, b      *t38.Terminal
	datagrams []datagram
	pcap      []byte
	dropped   int
}

// callConfig describes the call to record.
type callConfig struct {
	ecm     bool
	pages   int
	version int
	scheme  t38.Scheme
	// drop: of every dropEvery datagrams of a flow, drop two in a row
	// from the capture (the terminals still get them); 0 drops none.
	dropEvery int
}

// recordCall runs two terminals against each other through UDPTL
// (redundancy 2 unless the config says FEC), passing each turn's
// datagrams every 20 ms, and captures every datagram.
func recordCall(t testing.TB, cc callConfig) *recordedCall {
	t.Helper()
	rc := &recordedCall{pages: letter(t, cc.pages), sink: &t30.MemorySink{}}
	ecfg := t38.EncoderConfig{Scheme: t38.SchemeRedundancy, Redundancy: 2}
	if cc.scheme == t38.SchemeFEC {
		ecfg = t38.EncoderConfig{Scheme: t38.SchemeFEC, FECSpan: 3, FECEntries: 3}
	}
	var enc [2]*t38.Encoder
	var dec [2]*t38.Decoder
	for i := range 2 {
		var err error
		if enc[i], err = t38.NewEncoder(ecfg); err != nil {
			t.Fatal(err)
		}
		if dec[i], err = t38.NewDecoder(t38.DecoderConfig{Version: cc.version, TrimFEC: true}); err != nil {
			t.Fatal(err)
		}
	}
	now := epoch
	var queue [2][][]byte // datagrams on their way to side i
	send := func(from int) func([]byte) {
		return func(ifp []byte) {
			d, err := enc[from].Append(nil, ifp)
			if err != nil {
				t.Fatal(err)
			}
			now = now.Add(time.Microsecond)
			rc.datagrams = append(rc.datagrams, datagram{from: from, at: now, data: d})
			queue[1-from] = append(queue[1-from], d)
		}
	}
	var err error
	opt := t38.TerminalOptions{Version: cc.version}
	if rc.a, err = t38.NewTerminal(t30.Config{Caller: true, Source: &t30.MemorySource{Pages: rc.pages}, ECM: cc.ecm}, opt, send(0)); err != nil {
		t.Fatal(err)
	}
	if rc.b, err = t38.NewTerminal(t30.Config{Sink: rc.sink, ECM: cc.ecm}, opt, send(1)); err != nil {
		t.Fatal(err)
	}
	term := [2]*t38.Terminal{rc.a, rc.b}
	for turn := 0; turn < 50*600 && !(rc.a.Done() && rc.b.Done()); turn++ {
		for i := range 2 {
			for _, d := range queue[i] {
				if err := dec[i].Receive(d); err != nil {
					t.Fatal(err)
				}
				dec[i].Drain(func(del t38.Delivery) {
					if err := term[i].Receive(del.IFP); err != nil {
						t.Fatal(err)
					}
				})
			}
			queue[i] = queue[i][:0]
		}
		rc.a.Advance(160)
		rc.b.Advance(160)
		now = epoch.Add(time.Duration(turn+1) * 20 * time.Millisecond)
	}
	if !rc.a.Done() || !rc.b.Done() {
		t.Fatalf("the call did not end: %s / %s", rc.a.Engine().State(), rc.b.Engine().State())
	}
	if ra, rb := rc.a.Result(), rc.b.Result(); !ra.OK() || !rb.OK() || len(rc.sink.Pages) != cc.pages {
		t.Fatalf("call failed: %v %q / %v %q\n%s", ra.Code, ra.Cause, rb.Code, rb.Cause, t30.FormatTrace(ra.Trace))
	}

	// Capture, dropping some datagrams (never the last three of a flow:
	// nothing after them could bring them back).
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var total, idx [2]int
	for _, d := range rc.datagrams {
		total[d.from]++
	}
	for _, d := range rc.datagrams {
		i := idx[d.from]
		idx[d.from]++
		if cc.dropEvery > 0 && i >= 3 && i < total[d.from]-3 && i%cc.dropEvery >= cc.dropEvery-2 {
			rc.dropped++
			continue
		}
		f := callerFlow
		if d.from == 1 {
			f = answererFlow
		}
		if err := w.WriteDatagram(d.at, f, d.data); err != nil {
			t.Fatal(err)
		}
	}
	rc.pcap = buf.Bytes()
	return rc
}

// traceFrames lists the T.30 frames of a terminal's trace, sent and
// received, in order, by name.
func traceFrames(tr []t30.TraceEntry) []string {
	known := map[string]bool{}
	for i := range 256 {
		if f := t30.FCF(i); f.Known() {
			known[f.String()] = true
		}
	}
	var out []string
	for _, e := range tr {
		if known[e.Name] && !e.BadFCS {
			out = append(out, e.Name)
		}
	}
	return out
}

// decodeCall decodes a capture into its events and pages.
func decodeCall(t testing.TB, pcap []byte, ropt *Options) ([]calldecode.Event, []*calldecode.Page, Summary) {
	t.Helper()
	var events []calldecode.Event
	var pages []*calldecode.Page
	s, err := Decode(bytes.NewReader(pcap), ropt, CallOptions{
		OnEvent: func(e calldecode.Event) { events = append(events, e) },
		OnPage:  func(p *calldecode.Page) { pages = append(pages, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return events, pages, s
}

func eventFrames(events []calldecode.Event) []string {
	var out []string
	for _, e := range events {
		if e.Kind == calldecode.KindFrame {
			out = append(out, e.Name)
		}
	}
	return out
}

func TestDecodeCall(t *testing.T) {
	for _, tc := range []struct {
		name string
		cc   callConfig
	}{
		{"non-ECM", callConfig{pages: 2}},
		{"ECM", callConfig{pages: 2, ecm: true}},
		{"non-ECM dropped", callConfig{pages: 1, dropEvery: 7}},
		{"ECM dropped", callConfig{pages: 1, ecm: true, dropEvery: 5}},
		{"ECM version 3", callConfig{pages: 1, ecm: true, version: 3, dropEvery: 11}},
		{"non-ECM FEC", callConfig{pages: 1, scheme: t38.SchemeFEC, dropEvery: 13}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := recordCall(t, tc.cc)
			events, pages, s := decodeCall(t, rc.pcap, nil)
			var log strings.Builder
			for _, e := range events {
				log.WriteString(e.String() + "\n")
			}
			if t.Failed() || testing.Verbose() {
				t.Logf("%d datagrams, %d dropped from the capture\n%s", len(rc.datagrams), rc.dropped, log.String())
			}
			if len(s.Flows) != 2 {
				t.Fatalf("%d flows, want 2: %+v", len(s.Flows), s.Flows)
			}
			recovered, lost := 0, 0
			for _, f := range s.Flows {
				recovered += f.Decoder.FromRedundancy + f.Decoder.FromFEC
				lost += f.Decoder.Lost
				if f.BadIFP > 0 {
					t.Errorf("flow %v: %d IFPs did not decode", f.Flow, f.BadIFP)
				}
				if f.Version != tc.cc.version && f.Version != min(tc.cc.version, 1)*t38.MaxVersion {
					t.Errorf("flow %v: version %d detected, want %d", f.Flow, f.Version, tc.cc.version)
				}
			}
			if lost > 0 || (rc.dropped > 0 && recovered < rc.dropped) {
				t.Errorf("%d dropped: %d recovered, %d lost", rc.dropped, recovered, lost)
			}
			if s.Flows[0].Flow != callerFlow {
				t.Errorf("first flow %v, want the caller's %v", s.Flows[0].Flow, callerFlow)
			}

			// The frames, in order, as the caller's trace has them, each
			// on its side.
			want := traceFrames(rc.a.Result().Trace)
			got := eventFrames(events)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("frames\n got %v\nwant %v\n%s", got, want, log.String())
			}
			wantB := traceFrames(rc.b.Result().Trace)
			if strings.Join(got, " ") != strings.Join(wantB, " ") {
				t.Errorf("frames\n got %v\nwant (answerer) %v", got, wantB)
			}
			for _, e := range events {
				if e.Kind == calldecode.KindBadFrame {
					t.Errorf("bad frame: %v", e)
				}
				if e.Kind == calldecode.KindFrame && e.Name == "DCS" && e.Side != calldecode.Calling {
					t.Errorf("DCS on the %v side", e.Side)
				}
				if e.Kind == calldecode.KindFrame && e.Name == "DIS" && (e.Side != calldecode.Called || !strings.Contains(e.Text, "V.17")) {
					t.Errorf("DIS: %v", e)
				}
			}
			if !strings.Contains(log.String(), "TCF") {
				t.Error("no TCF event")
			}

			// The pages, pixel for pixel.
			if len(pages) != len(rc.pages) {
				t.Fatalf("%d pages decoded, want %d", len(pages), len(rc.pages))
			}
			for i, p := range pages {
				src := rc.pages[i]
				if !p.OK() || p.ECM != tc.cc.ecm || p.Side != calldecode.Calling {
					t.Errorf("page %d: OK %v ECM %v side %v err %v stats %+v", i+1, p.OK(), p.ECM, p.Side, p.Err, p.Stats)
				}
				if p.Width != src.Width || len(p.Rows) != src.Rows {
					t.Fatalf("page %d: %d x %d, want %d x %d", i+1, p.Width, len(p.Rows), src.Width, src.Rows)
				}
				for y, row := range p.Rows {
					if !bytes.Equal(row, src.Row(y)) {
						t.Fatalf("page %d: row %d differs", i+1, y)
					}
				}
				if !bytes.Equal(rc.sink.Pages[i].Pix, src.Pix) {
					t.Fatalf("page %d: the terminal received something else", i+1)
				}
			}
		})
	}
}

// TestEventTimes checks that events come in time order and that the
// dialogue starts with the tones.
func TestEventTimes(t *testing.T) {
	rc := recordCall(t, callConfig{pages: 1})
	events, _, _ := decodeCall(t, rc.pcap, nil)
	if len(events) == 0 || events[0].Name != "CNG" || events[0].Time != 0 {
		t.Fatalf("first event %v, want CNG at 0", events[0])
	}
	for i := 1; i < len(events); i++ {
		if events[i].Time < events[i-1].Time {
			t.Errorf("event %d (%v) before event %d (%v)", i, events[i], i-1, events[i-1])
		}
	}
	last := rc.datagrams[len(rc.datagrams)-1].at.Sub(epoch).Seconds()
	if end := events[len(events)-1].Time; end > last+0.001 || end < last-3 {
		t.Errorf("last event at %.3f s, capture ends at %.3f s", end, last)
	}
}
