package t30

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/faxd/faxd/t30/document"
)

// wire connects two engines back to back with simulated time: what one
// sends reaches the other after the time it takes on the line, if the
// other listens with the matching modem (V.21 is always watched).
type wire struct {
	t   testing.TB
	e   [2]*Engine
	rx  [2]Modem
	res [2]*Result
	now int64

	// Impairments.
	tcfZeros  func(r Rate) int                    // longest zero run in a TCF, ms
	dropFrame func(from int, f Frame, n int) bool // lose a V.21 frame; n counts that FCF from that side, from 1
	ecmBad    func(frameNo, pass int) bool        // corrupt an ECM frame's FCS on the given pass over the block
	image     func(page int, data []byte)         // damage non-ECM image data in place
	sent      [2]map[FCF]int
	images    int
	ecmPass   map[int]int // [0]: ECM bursts sent so far
}

func newWire(t testing.TB, a, b Config) *wire {
	w := &wire{t: t, ecmPass: map[int]int{}}
	w.e[0], w.e[1] = NewEngine(a), NewEngine(b)
	w.sent[0], w.sent[1] = map[FCF]int{}, map[FCF]int{}
	return w
}

func (w *wire) advance(ms int) {
	n := ms * SampleRate / 1000
	w.now += int64(n)
	for i := range w.e {
		if w.res[i] == nil {
			w.e[i].Advance(n)
		}
	}
}

func (w *wire) run(limit time.Duration) {
	for w.now < samples(limit) && (w.res[0] == nil || w.res[1] == nil) {
		progressed := false
		// One command a side at a time, so that each hears the other
		// as it happens (a receiver sets its modem before the signal).
		for i := range 2 {
			if w.res[i] != nil {
				continue
			}
			if c, ok := w.e[i].Next(); ok {
				progressed = true
				w.exec(i, c)
			}
		}
		if !progressed {
			w.advance(50)
		}
	}
}

func (w *wire) listening(o int, fast, hdlc bool, r Rate) bool {
	if w.res[o] != nil {
		return false
	}
	m := w.rx[o]
	if !fast {
		return true
	}
	return m.Fast && m.HDLC == hdlc && m.Rate == r
}

func (w *wire) exec(i int, c Command) {
	o := 1 - i
	switch c := c.(type) {
	case SetRxModem:
		w.rx[i] = c.Modem
	case Silence:
		w.advance(c.Ms)
	case SendFrames:
		v21 := !w.rx[o].Fast
		if v21 && w.res[o] == nil {
			w.e[o].CarrierChange(true)
		}
		bits := 0
		for _, f := range c.Frames {
			bits += (len(f) + 4) * 8
		}
		w.advance(c.PreambleMs + bits*1000/300)
		for _, f := range c.Frames {
			fr, _ := DecodeFrame(f)
			w.sent[i][fr.FCF.Base()]++
			if w.dropFrame != nil && w.dropFrame(i, fr, w.sent[i][fr.FCF.Base()]) {
				continue
			}
			if w.res[o] == nil {
				w.e[o].FrameReceived(f, true)
			}
		}
		if v21 && w.res[o] == nil && !w.rx[o].Fast {
			w.e[o].CarrierChange(false)
		}
		w.e[i].SendDone()
	case SendTCF:
		if w.listening(o, true, false, c.Modem.Rate) {
			w.e[o].CarrierChange(true)
			w.e[o].TrainingDone(true)
			w.advance(c.Ms + 200)
			z := c.Ms
			if w.tcfZeros != nil {
				z = w.tcfZeros(c.Modem.Rate)
			}
			w.e[o].TCFReceived(z)
			if w.res[o] == nil {
				w.e[o].CarrierChange(false)
			}
		} else {
			w.advance(c.Ms + 200)
		}
		w.e[i].SendDone()
	case SendImage:
		data, err := io.ReadAll(c.Data)
		if err != nil {
			w.t.Fatalf("image: %v", err)
		}
		if w.image != nil {
			w.image(w.images, data)
		}
		w.images++
		_, bps, _ := c.Modem.Rate.Modem()
		if w.listening(o, true, false, c.Modem.Rate) {
			w.e[o].CarrierChange(true)
			w.e[o].TrainingDone(true)
			for len(data) > 0 {
				n := min(len(data), 300)
				w.e[o].ImageOctets(data[:n])
				data = data[n:]
			}
			w.advance(200 + len(data)*8000/bps)
			w.e[o].CarrierChange(false)
		} else {
			w.advance(200 + len(data)*8000/bps)
		}
		w.e[i].SendDone()
	case SendECMBlock:
		_, bps, _ := c.Modem.Rate.Modem()
		octets := 0
		ok := w.listening(o, true, true, c.Modem.Rate)
		if ok {
			w.e[o].CarrierChange(true)
		}
		for _, f := range c.Frames {
			octets += len(f) + 3
			good := true
			if len(f) > 3 && FCF(f[2]) == FCD && w.ecmBad != nil {
				good = !w.ecmBad(int(f[3]), w.ecmPass[0])
			}
			if ok && w.res[o] == nil {
				w.e[o].FrameReceived(f, good)
			}
		}
		w.ecmPass[0]++
		w.advance(200 + octets*8000/bps)
		if ok && w.res[o] == nil {
			w.e[o].CarrierChange(false)
		}
		w.e[i].SendDone()
	case CallDone:
		w.res[i] = c.Result
	}
}

// testPage draws a page with shapes that exercise every coding mode.
func testPage(res document.Resolution, rows, seed int) *document.Page {
	p := document.NewPage(document.WidthA4, rows, res)
	for y := 0; y < rows; y++ {
		for x := 0; x < p.Width; x++ {
			black := (x/(13+seed)+y/(7+seed))%5 == 0 ||
				(x+y*3+seed*17)%211 < 4 ||
				(y > rows/3 && y < rows/2 && x > 300 && x < 900)
			if black {
				p.Set(x, y, true)
			}
		}
	}
	return p
}

func testPages(n int, res document.Resolution, rows int) []*document.Page {
	var ps []*document.Page
	for i := range n {
		ps = append(ps, testPage(res, rows, i))
	}
	return ps
}

func samePages(t *testing.T, got, want []*document.Page) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("received %d pages, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].Width != want[i].Width || got[i].Rows != want[i].Rows || !bytes.Equal(got[i].Pix, want[i].Pix) {
			t.Fatalf("page %d differs: %dx%d vs %dx%d", i+1, got[i].Width, got[i].Rows, want[i].Width, want[i].Rows)
		}
		if got[i].YRes != want[i].YRes {
			t.Fatalf("page %d: resolution %d, want %d", i+1, got[i].YRes, want[i].YRes)
		}
	}
}

// call runs a sender (caller) against a receiver (answerer).
func call(t *testing.T, pages []*document.Page, tx, rx Config, setup func(*wire)) (*wire, *MemorySink) {
	t.Helper()
	sink := &MemorySink{}
	tx.Caller = true
	tx.Source = &MemorySource{Pages: pages}
	if rx.Sink == nil {
		rx.Sink = sink
	}
	w := newWire(t, tx, rx)
	if setup != nil {
		setup(w)
	}
	w.run(30 * time.Minute)
	if w.res[0] == nil || w.res[1] == nil {
		t.Fatalf("call did not end: %v %v\ntx:\n%s\nrx:\n%s", w.e[0].State(), w.e[1].State(),
			FormatTrace(w.e[0].Result().Trace), FormatTrace(w.e[1].Result().Trace))
	}
	return w, sink
}

func dump(t *testing.T, w *wire) {
	t.Helper()
	t.Logf("tx: %v\n%s", w.res[0], FormatTrace(w.res[0].Trace))
	t.Logf("rx: %v\n%s", w.res[1], FormatTrace(w.res[1].Trace))
}

func mustOK(t *testing.T, w *wire) {
	t.Helper()
	if !w.res[0].OK() || !w.res[1].OK() {
		dump(t, w)
		t.Fatalf("tx %v: %s; rx %v: %s", w.res[0].Code, w.res[0].Cause, w.res[1].Code, w.res[1].Cause)
	}
}
