package t30

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/t4"
)

func TestBackToBack(t *testing.T) {
	for _, tc := range []struct {
		pages  int
		ecm    bool
		res    document.Resolution
		coding t4.Coding
		f64    bool
	}{
		{1, false, document.Standard, t4.MH, false},
		{3, false, document.Standard, t4.MH, false},
		{1, false, document.Fine, t4.MR, false},
		{3, false, document.Fine, t4.MR, false},
		{1, true, document.Standard, t4.MH, false},
		{3, true, document.Fine, t4.MR, false},
		{1, true, document.Standard, t4.MMR, false},
		{3, true, document.Fine, t4.MMR, true},
		{1, true, document.Superfine, t4.MMR, false},
	} {
		name := fmt.Sprintf("%dp-ecm=%v-%v-%v-f64=%v", tc.pages, tc.ecm, tc.res, tc.coding, tc.f64)
		t.Run(name, func(t *testing.T) {
			pages := testPages(tc.pages, tc.res, 150)
			cfg := Config{ECM: tc.ecm, MaxCoding: tc.coding, Frame64: tc.f64, ScanTime: Scan0ms, Ident: "+1 555 0100"}
			rxc := cfg
			rxc.Ident = "+44 20 7946"
			w, sink := call(t, pages, cfg, rxc, nil)
			mustOK(t, w)
			samePages(t, sink.Pages, pages)
			for i, r := range w.res {
				if r.Coding != tc.coding || r.ECM != tc.ecm || r.Rate != V17_14400 || r.Resolution != tc.res {
					t.Errorf("side %d: %v %v ECM=%v %v", i, r.Coding, r.Rate, r.ECM, r.Resolution)
				}
			}
			if w.res[0].PagesSent != tc.pages || w.res[1].PagesReceived != tc.pages {
				t.Errorf("pages sent %d received %d", w.res[0].PagesSent, w.res[1].PagesReceived)
			}
			if w.res[0].RemoteIdent != "+44 20 7946" || w.res[1].RemoteIdent != "+1 555 0100" {
				t.Errorf("idents %q %q", w.res[0].RemoteIdent, w.res[1].RemoteIdent)
			}
		})
	}
}

// A fine page to a standard-only receiver is sent at standard resolution
// (every other row), and the width is cropped to what the receiver takes.
func TestResolutionDowngrade(t *testing.T) {
	pages := testPages(1, document.Fine, 100)
	w, sink := call(t, pages, Config{ScanTime: Scan0ms}, Config{MaxRes: ResStandard}, nil)
	mustOK(t, w)
	if len(sink.Pages) != 1 || sink.Pages[0].Rows != 50 || sink.Pages[0].YRes != 98 {
		t.Fatalf("got %+v", sink.Pages)
	}
	for y := 0; y < 50; y++ {
		if string(sink.Pages[0].Row(y)) != string(pages[0].Row(2*y)) {
			t.Fatalf("row %d is not source row %d", y, 2*y)
		}
	}
}

// A change of resolution between pages needs EOM and a new phase B.
func TestEOM(t *testing.T) {
	pages := []*document.Page{testPage(document.Standard, 80, 0), testPage(document.Fine, 80, 1), testPage(document.Fine, 80, 2)}
	w, sink := call(t, pages, Config{}, Config{ScanTime: Scan0ms}, nil)
	mustOK(t, w)
	samePages(t, sink.Pages, pages)
	if w.sent[0][EOM] != 1 || w.sent[0][MPS] != 1 || w.sent[0][EOP] != 1 || w.sent[1][DIS] != 2 {
		dump(t, w)
		t.Fatalf("EOM %d MPS %d EOP %d DIS %d", w.sent[0][EOM], w.sent[0][MPS], w.sent[0][EOP], w.sent[1][DIS])
	}
}

// Minimum scan line time: a 20 ms receiver gets filled lines, still decodes.
func TestScanTimeFill(t *testing.T) {
	pages := testPages(1, document.Standard, 60)
	w, sink := call(t, pages, Config{}, Config{ScanTime: Scan20ms}, nil)
	mustOK(t, w)
	samePages(t, sink.Pages, pages)
}

func TestFTTFallback(t *testing.T) {
	pages := testPages(1, document.Standard, 60)
	w, sink := call(t, pages, Config{}, Config{}, func(w *wire) {
		w.tcfZeros = func(r Rate) int {
			if _, bps, _ := r.Modem(); bps > 9600 {
				return 120
			}
			return 1500
		}
	})
	mustOK(t, w)
	samePages(t, sink.Pages, pages)
	if w.res[0].Rate != V17_9600 || w.res[0].FTT != 2 || w.res[1].FTT != 2 {
		t.Fatalf("rate %v FTT %d/%d", w.res[0].Rate, w.res[0].FTT, w.res[1].FTT)
	}
}

func TestFTTToV27ter(t *testing.T) {
	pages := testPages(1, document.Standard, 40)
	w, _ := call(t, pages, Config{}, Config{}, func(w *wire) {
		w.tcfZeros = func(r Rate) int {
			if r == V27ter2400 {
				return 1400
			}
			return 0
		}
	})
	mustOK(t, w)
	if w.res[0].Rate != V27ter2400 || w.res[0].FTT != 7 {
		t.Fatalf("rate %v FTT %d", w.res[0].Rate, w.res[0].FTT)
	}
}

func TestCannotTrain(t *testing.T) {
	w, _ := call(t, testPages(1, document.Standard, 40), Config{}, Config{}, func(w *wire) {
		w.tcfZeros = func(Rate) int { return 10 }
	})
	if w.res[0].Code != ErrCannotTrain || !strings.Contains(w.res[0].Cause, "FTT at every rate") {
		t.Fatalf("tx: %v %s", w.res[0].Code, w.res[0].Cause)
	}
	if w.res[1].Code != ErrUnexpectedDCN {
		t.Fatalf("rx: %v %s", w.res[1].Code, w.res[1].Cause)
	}
}

// Lost frames are recovered by repeating the command.
func TestLostFramesRepeated(t *testing.T) {
	for _, lost := range []FCF{CFR, MCF, DCS, MPS, DIS} {
		for _, ecm := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v-ecm=%v", lost, ecm), func(t *testing.T) {
				pages := testPages(2, document.Standard, 60)
				w, sink := call(t, pages, Config{ECM: ecm}, Config{ECM: ecm, ScanTime: Scan0ms}, func(w *wire) {
					w.dropFrame = func(from int, f Frame, n int) bool { return f.FCF.Base() == lost && n == 1 }
				})
				mustOK(t, w)
				samePages(t, sink.Pages, pages)
			})
		}
	}
}

func TestNoResponseToDCS(t *testing.T) {
	w, _ := call(t, testPages(1, document.Standard, 40), Config{}, Config{}, func(w *wire) {
		w.dropFrame = func(from int, f Frame, n int) bool { return from == 1 && f.FCF.Base() != DIS }
	})
	if w.res[0].Code != ErrNoResponse || w.res[0].Cause != "no response to DCS after 3 tries" {
		dump(t, w)
		t.Fatalf("tx: %v %q", w.res[0].Code, w.res[0].Cause)
	}
	if w.sent[0][DCS] != 3 {
		t.Fatalf("DCS sent %d times", w.sent[0][DCS])
	}
}

func TestNoResponseToEOP(t *testing.T) {
	w, _ := call(t, testPages(1, document.Standard, 40), Config{}, Config{ScanTime: Scan0ms}, func(w *wire) {
		w.dropFrame = func(from int, f Frame, n int) bool { return from == 1 && f.FCF.Base() == MCF }
	})
	if w.res[0].Code != ErrNoResponse || w.res[0].Cause != "no response to EOP after 3 tries" {
		dump(t, w)
		t.Fatalf("tx: %v %q", w.res[0].Code, w.res[0].Cause)
	}
}

func TestNoResponseToPPS(t *testing.T) {
	w, _ := call(t, testPages(1, document.Standard, 40), Config{ECM: true}, Config{ECM: true}, func(w *wire) {
		w.dropFrame = func(from int, f Frame, n int) bool { return from == 1 && f.FCF.Base() == MCF }
	})
	if w.res[0].Code != ErrNoResponse || w.res[0].Cause != "no response to PPS-EOP after 3 tries" {
		dump(t, w)
		t.Fatalf("tx: %v %q", w.res[0].Code, w.res[0].Cause)
	}
}

// A caller that never hears DIS gives up when T1 expires; an answerer
// that never hears DCS likewise, having repeated DIS.
func TestT1(t *testing.T) {
	for _, caller := range []bool{true, false} {
		cfg := Config{Caller: caller, Source: &MemorySource{Pages: testPages(1, document.Standard, 10)}, Sink: &MemorySink{}}
		e := NewEngine(cfg)
		var done *Result
		dis := 0
		for i := 0; i < 100000 && done == nil; i++ {
			for {
				c, ok := e.Next()
				if !ok {
					break
				}
				switch c := c.(type) {
				case SendFrames:
					if f, _ := DecodeFrame(c.Frames[len(c.Frames)-1]); f.FCF == DIS {
						dis++
					}
					e.Advance(SampleRate)
					e.SendDone()
				case CallDone:
					done = c.Result
				}
			}
			e.Advance(SampleRate / 10)
		}
		if done == nil || done.Code != ErrT1 {
			t.Fatalf("caller=%v: %v", caller, done)
		}
		if d := done.Duration; d < T1 || d > T1+5e9 {
			t.Errorf("caller=%v: ended after %v", caller, d)
		}
		if !caller && dis < 5 {
			t.Errorf("DIS sent %d times", dis)
		}
	}
}

// Damaged image data: RTN, retrain, the page again.
func TestRTN(t *testing.T) {
	pages := testPages(2, document.Standard, 100)
	w, sink := call(t, pages, Config{}, Config{ScanTime: Scan0ms}, func(w *wire) {
		w.image = func(n int, data []byte) {
			if n == 0 {
				for i := len(data) / 10; i < len(data)*6/10; i += 7 {
					data[i] ^= 0x5A
				}
			}
		}
	})
	mustOK(t, w)
	samePages(t, sink.Pages, pages)
	if w.res[0].RTN != 1 || w.res[1].RTN != 1 || sink.Rejected != 1 {
		t.Fatalf("RTN %d/%d rejected %d", w.res[0].RTN, w.res[1].RTN, sink.Rejected)
	}
	if w.res[0].Rate != V17_12000 {
		t.Errorf("after RTN rate %v, want one step down", w.res[0].Rate)
	}
	if w.sent[0][DCS] != 2 {
		t.Errorf("DCS sent %d times, want 2 (retrain)", w.sent[0][DCS])
	}
}

func TestRTNGiveUp(t *testing.T) {
	w, _ := call(t, testPages(1, document.Standard, 100), Config{}, Config{ScanTime: Scan0ms}, func(w *wire) {
		w.image = func(n int, data []byte) {
			for i := 10; i < len(data); i += 5 {
				data[i] ^= 0xFF
			}
		}
	})
	if w.res[0].Code != ErrPageRejected || !strings.Contains(w.res[0].Cause, "rejected with RTN 3 times") {
		dump(t, w)
		t.Fatalf("%v %s", w.res[0].Code, w.res[0].Cause)
	}
}

// A few bad rows: RTP, the page is kept, the next page follows a retrain.
func TestRTP(t *testing.T) {
	pages := testPages(2, document.Standard, 200)
	w, sink := call(t, pages, Config{MaxCoding: t4.MH}, Config{ScanTime: Scan0ms}, func(w *wire) {
		w.image = func(n int, data []byte) {
			if n == 0 {
				for k := 1; k <= 20; k++ {
					data[len(data)*k/21] ^= 0x10
				}
			}
		}
	})
	mustOK(t, w)
	if w.res[1].RTP != 1 || len(sink.Pages) != 2 || w.res[1].BadRows == 0 {
		dump(t, w)
		t.Fatalf("RTP %d pages %d bad rows %d", w.res[1].RTP, len(sink.Pages), w.res[1].BadRows)
	}
	samePages(t, sink.Pages[1:], pages[1:])
}

func TestPolling(t *testing.T) {
	pages := testPages(2, document.Fine, 80)
	sink := &MemorySink{}
	poller := Config{Caller: true, Sink: sink, ScanTime: Scan0ms, Ident: "123"}
	polled := Config{Source: &MemorySource{Pages: pages}, Ident: "456"}
	w := newWire(t, poller, polled)
	w.run(10 * 60e9)
	if w.res[0] == nil || w.res[1] == nil {
		t.Fatal("did not end")
	}
	mustOK(t, w)
	samePages(t, sink.Pages, pages)
	if w.sent[0][DTC] != 1 || w.res[0].RemoteIdent != "456" {
		t.Fatalf("DTC %d ident %q", w.sent[0][DTC], w.res[0].RemoteIdent)
	}
}

func TestNothingToPoll(t *testing.T) {
	w := newWire(t, Config{Caller: true, Sink: &MemorySink{}}, Config{Sink: &MemorySink{}})
	w.run(10 * 60e9)
	if w.res[0] == nil || w.res[0].Code != ErrNothingToPoll {
		t.Fatalf("%v", w.res[0])
	}
}

// A receiver whose line drops after it answered EOP (the DCN lost here)
// has the whole document: LineDropped ends the call completed. Dropped
// in the middle of a page, it ends nothing.
func TestLineDropped(t *testing.T) {
	pages := testPages(1, document.Fine, 60)
	sink := &MemorySink{}
	w := newWire(t, Config{Caller: true, Source: &MemorySource{Pages: pages}}, Config{Sink: sink})
	w.dropFrame = func(from int, f Frame, n int) bool { return from == 0 && f.FCF.Base() == DCN }
	var limit time.Duration
	midPage := false
	for w.res[0] == nil && limit < time.Minute {
		limit += 20 * time.Millisecond
		w.run(limit)
		if w.e[1].State() == "rx page" && !midPage {
			midPage = true
			if w.e[1].LineDropped() || w.e[1].Done() {
				t.Fatal("a call dropped mid-page ended complete")
			}
		}
	}
	if !midPage || w.res[0] == nil || !w.res[0].OK() || w.e[1].State() != "wait DCN" {
		t.Fatalf("mid page seen %v, sender %v, receiver in %q", midPage, w.res[0], w.e[1].State())
	}
	if !w.e[1].LineDropped() || !w.e[1].Done() {
		t.Fatal("LineDropped after EOP's MCF: not complete")
	}
	r := w.e[1].Result()
	if !r.OK() || r.PagesReceived != 1 || len(sink.Pages) != 1 {
		t.Fatalf("receiver: %v, %d pages kept", r, len(sink.Pages))
	}
}
