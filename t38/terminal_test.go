package t38

import (
	"bytes"
	"strings"
	"testing"

	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
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

// wire runs two terminals against each other, passing every packet at
// once, 20 ms a turn.
func wire(t *testing.T, scfg, rcfg t30.Config) (*Terminal, *Terminal) {
	t.Helper()
	var toA, toB [][]byte
	a, err := NewTerminal(scfg, TerminalOptions{}, func(p []byte) { toB = append(toB, bytes.Clone(p)) })
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewTerminal(rcfg, TerminalOptions{}, func(p []byte) { toA = append(toA, bytes.Clone(p)) })
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50*600 && !(a.Done() && b.Done()); i++ {
		for _, p := range toB {
			b.Receive(p)
		}
		toB = toB[:0]
		for _, p := range toA {
			a.Receive(p)
		}
		toA = toA[:0]
		a.Advance(160)
		b.Advance(160)
	}
	if !a.Done() || !b.Done() {
		t.Fatalf("the call did not end: %s / %s", a.Engine().State(), b.Engine().State())
	}
	return a, b
}

func TestTerminalCall(t *testing.T) {
	for _, ecm := range []bool{false, true} {
		pages := letter(t, 2)
		sink := &t30.MemorySink{}
		a, b := wire(t, t30.Config{Caller: true, Source: &t30.MemorySource{Pages: pages}, ECM: ecm},
			t30.Config{Sink: sink, ECM: ecm})
		ra, rb := a.Result(), b.Result()
		if !ra.OK() || !rb.OK() || len(sink.Pages) != 2 {
			t.Fatalf("ECM %v: %v %q / %v %q, %d pages\n%s", ecm, ra.Code, ra.Cause, rb.Code, rb.Cause, len(sink.Pages), t30.FormatTrace(ra.Trace))
		}
		for i := range pages {
			if !bytes.Equal(pages[i].Pix, sink.Pages[i].Pix) {
				t.Errorf("ECM %v: page %d differs", ecm, i+1)
			}
		}
		t.Logf("ECM %v: %s %d bit/s, %v, call %v", ecm, ra.Modem, ra.BitRate, ra.Coding, ra.Duration)
	}
}

// TestNetworkDelay: with 1.4 s of delay each way, a response comes back
// 2.8 s after its command plus the far end's own time, past T.30's T4 of 3
// s; the terminal's allowance for the IP leg keeps the call clean (no
// repeated command).
func TestNetworkDelay(t *testing.T) {
	const delay = 8000 * 14 / 10
	type inflight struct {
		at int
		p  []byte
	}
	pages := letter(t, 1)
	sink := &t30.MemorySink{}
	var toA, toB []inflight
	now := 0
	a, _ := NewTerminal(t30.Config{Caller: true, Source: &t30.MemorySource{Pages: pages}}, TerminalOptions{}, func(p []byte) { toB = append(toB, inflight{now + delay, bytes.Clone(p)}) })
	b, _ := NewTerminal(t30.Config{Sink: sink}, TerminalOptions{}, func(p []byte) { toA = append(toA, inflight{now + delay, bytes.Clone(p)}) })
	deliver := func(q *[]inflight, term *Terminal) {
		for len(*q) > 0 && (*q)[0].at <= now {
			term.Receive((*q)[0].p)
			*q = (*q)[1:]
		}
	}
	for i := 0; i < 50*900 && !(a.Done() && b.Done()); i++ {
		deliver(&toB, b)
		deliver(&toA, a)
		a.Advance(160)
		b.Advance(160)
		now += 160
	}
	r := a.Result()
	if r == nil || !r.OK() || len(sink.Pages) != 1 {
		t.Fatalf("call %+v, %d pages", r, len(sink.Pages))
	}
	if strings.Contains(t30.FormatTrace(r.Trace), "expired") {
		t.Errorf("a timer expired on the delayed line:\n%s", t30.FormatTrace(r.Trace))
	}
}
