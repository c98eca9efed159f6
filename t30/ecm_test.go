package t30

import (
	"strings"
	"testing"

	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/t4"
)

// noisyPage codes to many ECM frames.
func noisyPage(rows int) *document.Page {
	p := document.NewPage(document.WidthA4, rows, document.Fine)
	x := uint32(12345)
	for i := range p.Pix {
		x = x*1664525 + 1013904223
		p.Pix[i] = byte(x>>24) & byte(x>>16)
	}
	return p
}

func ecmCfg() Config { return Config{ECM: true, Frame64: true} }

func TestECMMultiBlock(t *testing.T) {
	pages := []*document.Page{noisyPage(120), testPage(document.Fine, 100, 3)}
	w, sink := call(t, pages, ecmCfg(), ecmCfg(), nil)
	mustOK(t, w)
	samePages(t, sink.Pages, pages)
	if w.sent[0][PPS] < 4 {
		t.Fatalf("PPS sent %d times, want several blocks", w.sent[0][PPS])
	}
	if w.res[0].Coding != t4.MMR || !w.res[0].Frame64 {
		t.Fatalf("%v frame64=%v", w.res[0].Coding, w.res[0].Frame64)
	}
}

// Corrupted frames are asked for with PPR and sent again.
func TestECMRetransmission(t *testing.T) {
	for _, f64 := range []bool{false, true} {
		pages := []*document.Page{noisyPage(60), testPage(document.Fine, 100, 1)}
		cfg := Config{ECM: true, Frame64: f64}
		w, sink := call(t, pages, cfg, cfg, func(w *wire) {
			w.ecmBad = func(n, pass int) bool { return pass < 3 && n%5 == 2 }
		})
		mustOK(t, w)
		samePages(t, sink.Pages, pages)
		if w.sent[1][PPR] == 0 || w.res[0].RetransmittedFrames == 0 || w.res[0].RetransmittedFrames != w.res[1].RetransmittedFrames {
			dump(t, w)
			t.Fatalf("PPR %d, retransmitted %d/%d", w.sent[1][PPR], w.res[0].RetransmittedFrames, w.res[1].RetransmittedFrames)
		}
	}
}

// Four PPRs for a block: CTC at a lower rate, then the frames get through.
func TestECMCTC(t *testing.T) {
	pages := []*document.Page{testPage(document.Fine, 100, 1)}
	w, sink := call(t, pages, ecmCfg(), ecmCfg(), func(w *wire) {
		w.ecmBad = func(n, pass int) bool { return pass < 5 && n == 1 }
	})
	mustOK(t, w)
	samePages(t, sink.Pages, pages)
	if testing.Verbose() {
		dump(t, w)
	}
	if w.sent[0][CTC] != 1 || w.sent[1][CTR] != 1 || w.res[0].Rate != V17_12000 || w.res[1].Rate != V17_12000 {
		dump(t, w)
		t.Fatalf("CTC %d CTR %d rate %v/%v", w.sent[0][CTC], w.sent[1][CTR], w.res[0].Rate, w.res[1].Rate)
	}
}

// At the lowest rate, four PPRs end the block with EOR/ERR.
func TestECMEOR(t *testing.T) {
	pages := []*document.Page{testPage(document.Fine, 100, 1)}
	tx := ecmCfg()
	tx.Modems = ModemV27ter
	tx.MaxBPS = 2400
	w, sink := call(t, pages, tx, ecmCfg(), func(w *wire) {
		w.ecmBad = func(n, pass int) bool { return n == 1 }
	})
	mustOK(t, w)
	if w.sent[0][EOR] != 1 || w.sent[1][ERR] != 1 || w.sent[0][CTC] != 0 {
		dump(t, w)
		t.Fatalf("EOR %d ERR %d CTC %d", w.sent[0][EOR], w.sent[1][ERR], w.sent[0][CTC])
	}
	if len(sink.Pages) != 1 || w.res[0].PagesSent != 1 {
		t.Fatalf("pages %d sent %d", len(sink.Pages), w.res[0].PagesSent)
	}
}

// busySink is not ready for its first few blocks.
type busySink struct {
	MemorySink
	busy int
}

func (b *busySink) Ready() bool {
	if b.busy > 0 {
		b.busy--
		return false
	}
	return true
}

func TestECMFlowControl(t *testing.T) {
	pages := testPages(2, document.Fine, 80)
	sink := &busySink{busy: 3}
	rx := ecmCfg()
	rx.Sink = sink
	w, _ := call(t, pages, ecmCfg(), rx, nil)
	mustOK(t, w)
	samePages(t, sink.Pages, pages)
	if w.sent[1][RNR] != 3 || w.sent[0][RR] != 3 {
		t.Fatalf("RNR %d RR %d", w.sent[1][RNR], w.sent[0][RR])
	}
}

func TestECMT5(t *testing.T) {
	sink := &busySink{busy: 1 << 30}
	rx := ecmCfg()
	rx.Sink = sink
	w, _ := call(t, testPages(1, document.Fine, 40), ecmCfg(), rx, nil)
	if w.res[0].Code != ErrT5 || !strings.Contains(w.res[0].Cause, "T5") {
		t.Fatalf("%v %s", w.res[0].Code, w.res[0].Cause)
	}
	if d := w.res[0].Duration; d < T5 {
		t.Fatalf("gave up after %v", d)
	}
}
