package terminal

import (
	"fmt"
	"strings"
	"testing"

	"github.com/faxd/faxd/dsp/line"
	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
)

// holeCall runs a call as call does, and clears n samples of the
// receiver's input (a lost packet, a late block: digital silence) from
// the at-th sample after the page's carrier came up; n == 0 clears
// nothing. It returns both results, the pages received and how many
// blocks the receiver's page carrier was up.
func holeCall(t *testing.T, pages []*document.Page, tune func(*t30.Config), at, n int) (tx, rx *t30.Result, got []*document.Page, pageBlocks int) {
	t.Helper()
	sink := &t30.MemorySink{}
	scfg := t30.Config{Caller: true, Source: &t30.MemorySource{Pages: pages}, Ident: "+1 555 0100"}
	rcfg := t30.Config{Sink: sink, Ident: "+1 555 0199"}
	tune(&scfg)
	tune(&rcfg)
	a, err := New(scfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(rcfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := line.Config{NoiseDBm0: -50}
	ab := line.New(c)
	c.Seed++
	ba := line.New(c)
	aOut := make([]int16, BlockSize)
	bOut := make([]int16, BlockSize)
	aIn := make([]int16, BlockSize)
	bIn := make([]int16, BlockSize)
	inPage := -1 // samples of the receiver's page carrier so far, -1 before it
	for i := 0; i < 8000/BlockSize*400 && !(a.Done() && b.Done()); i++ {
		a.Process(aIn, aOut)
		b.Process(bIn, bOut)
		copy(bIn, aOut)
		copy(aIn, bOut)
		ab.Process(bIn, bIn)
		ba.Process(aIn, aIn)
		st := b.Engine().State()
		if b.fastUp && (st == "rx page" || st == "rx ECM block") {
			pageBlocks++
			if inPage < 0 {
				inPage = 0
			}
		}
		if inPage >= 0 {
			// The hole's part in the block going to the receiver.
			from, to := max(at-inPage, 0), min(at+n-inPage, BlockSize)
			if n > 0 && from < to {
				clear(bIn[from:to])
			}
			inPage += BlockSize
		}
	}
	if !a.Done() || !b.Done() {
		t.Fatalf("the call did not end: sender in %s, receiver in %s", a.Engine().State(), b.Engine().State())
	}
	return a.Result(), b.Result(), sink.Pages, pageBlocks
}

// TestHoleInPage: a 20 ms hole in the receiver's audio (one lost G.711
// packet, or a late block of our own scheduler), at several points of the
// page and across a block boundary, fails no call: V.17 at 14 400 bit/s
// and V.29 at 9600, with and without ECM. The page's carrier stays up
// through the hole (one "image carrier up" in the receiver's trace); the
// page arrives, with ECM intact (the frames of the hole asked again with
// PPR), without it with at most a few bad rows.
func TestHoleInPage(t *testing.T) {
	page := []*document.Page{testPage(document.Fine, 3)}
	for _, c := range []struct {
		name string
		tune func(*t30.Config)
	}{
		{"V.17", func(c *t30.Config) {}},
		{"V.17 ECM", func(c *t30.Config) { c.ECM = true }},
		{"V.29", func(c *t30.Config) { c.Modems = t30.ModemV27ter | t30.ModemV29 }},
		{"V.29 ECM", func(c *t30.Config) { c.Modems = t30.ModemV27ter | t30.ModemV29; c.ECM = true }},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, _, blocks := holeCall(t, page, c.tune, 0, 0)
			if blocks < 20 {
				t.Fatalf("the page's carrier was up %d blocks: too short a page to hole", blocks)
			}
			for _, frac := range []float64{0.1, 0.4, 0.7, 0.95} {
				// 37 samples into a block: the hole spans two.
				at := int(frac*float64(blocks))*BlockSize + 37
				name := fmt.Sprintf("%s, 20 ms hole %.1f s into the page", c.name, float64(at)/8000)
				tx, rx, got, _ := holeCall(t, page, c.tune, at, 160)
				if !tx.OK() || !rx.OK() {
					t.Errorf("%s: sender %v (%s), receiver %v (%s)\nsender:\n%s\nreceiver:\n%s", name, tx.Code, tx.Cause, rx.Code, rx.Cause,
						t30.FormatTrace(tx.Trace), t30.FormatTrace(rx.Trace))
					continue
				}
				if len(got) != 1 || tx.PagesSent != 1 {
					t.Errorf("%s: %d pages received, %d confirmed", name, len(got), tx.PagesSent)
					continue
				}
				if ups := strings.Count(t30.FormatTrace(rx.Trace), "image carrier up"); !rx.ECM && ups != 1 {
					t.Errorf("%s: the page's carrier came up %d times", name, ups)
				}
				if rx.ECM && !samePage(page[0], got[0]) {
					t.Errorf("%s: the ECM page differs", name)
				}
				if !rx.ECM && rx.BadRows > 8 {
					t.Errorf("%s: %d bad rows", name, rx.BadRows)
				}
				t.Logf("%s: %s %d bit/s, bad rows %d, frames again %d, call %v", name, tx.Modem, tx.BitRate, rx.BadRows, rx.RetransmittedFrames, tx.Duration)
			}
		})
	}
}

// TestLongHoleInPage: a hole longer than the fast receiver's hang-over
// (200 ms) ends the page's carrier in its middle while the sender goes on
// sending the rest, for longer than T2. The receiver does not hang up on
// it: it waits for the post-page command as long as the signal goes on,
// then answers a cut non-ECM page RTN (the sender retrains and sends the
// page again) or asks for an ECM block's lost frames with PPR. The call
// completes with the page intact.
func TestLongHoleInPage(t *testing.T) {
	page := []*document.Page{testPage(document.Fine, 3)}
	for _, c := range []struct {
		name string
		tune func(*t30.Config)
	}{
		{"V.17", func(c *t30.Config) {}},
		{"V.17 ECM", func(c *t30.Config) { c.ECM = true }},
	} {
		tx, rx, got, _ := holeCall(t, page, c.tune, 3*8000+37, 1600)
		if !tx.OK() || !rx.OK() {
			t.Errorf("%s: sender %v (%s), receiver %v (%s)\nreceiver:\n%s", c.name, tx.Code, tx.Cause, rx.Code, rx.Cause, t30.FormatTrace(rx.Trace))
			continue
		}
		trace := t30.FormatTrace(rx.Trace)
		if !strings.Contains(trace, "the sender has not finished") {
			t.Errorf("%s: the page's carrier did not drop in the hole: the test proves nothing\n%s", c.name, trace)
		}
		if len(got) != 1 || !samePage(page[0], got[0]) {
			t.Errorf("%s: %d pages received, or the page differs\n%s", c.name, len(got), trace)
		}
		if !rx.ECM && rx.RTN != 1 {
			t.Errorf("%s: %d RTN, want 1 for the cut page", c.name, rx.RTN)
		}
		t.Logf("%s: RTN %d, frames again %d, call %v", c.name, rx.RTN, rx.RetransmittedFrames, tx.Duration)
	}
}
