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
