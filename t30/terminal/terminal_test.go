package terminal

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/faxd/faxd/dsp/line"
	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
)

// testPage is a page of text-like marks at res.
func testPage(res document.Resolution, seed uint64) *document.Page {
	rows := res.Rows(60) // 60 mm of page keeps the test quick
	p := document.NewPage(document.WidthA4, rows, res)
	rng := rand.New(rand.NewPCG(seed, 1))
	for y := 10; y < rows-10; y += 12 {
		for x := 100; x < p.Width-100; x += 9 {
			if rng.IntN(4) == 0 {
				continue
			}
			for dy := 0; dy < 7; dy++ {
				for dx := 0; dx < 6; dx++ {
					if dx == 0 || dy == 0 || rng.IntN(5) == 0 {
						p.Set(x+dx, y+dy, true)
					}
				}
			}
		}
	}
	return p
}

// call runs a sender (caller) and a receiver (answerer) against each other
// in 160-sample lockstep, through a line in each direction when cfg is
// not nil, and returns both results and the pages received.
func call(t *testing.T, pages []*document.Page, tune func(*t30.Config), lineCfg *line.Config) (tx, rx *t30.Result, got []*document.Page) {
	t.Helper()
	sink, coded := &t30.MemorySink{}, &t30.CodedSink{}
	scfg := t30.Config{Caller: true, Source: &t30.MemorySource{Pages: pages}, Ident: "+1 555 0100"}
	rcfg := t30.Config{Sink: tee{sink, coded}, Ident: "+1 555 0199"}
	if tune != nil {
		tune(&scfg)
		tune(&rcfg)
	}
	a, err := New(scfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(rcfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ab, ba *line.Line
	if lineCfg != nil {
		c := *lineCfg
		ab = line.New(c)
		c.Seed++
		ba = line.New(c)
	}
	aOut := make([]int16, BlockSize)
	bOut := make([]int16, BlockSize)
	aIn := make([]int16, BlockSize)
	bIn := make([]int16, BlockSize)
	for i := 0; i < 8000/BlockSize*400 && !(a.Done() && b.Done()); i++ {
		// As a server's scheduler does, every block: a hint that must
		// change nothing, in every phase of every call these tests run.
		a.Prefetch()
		b.Prefetch()
		a.Process(aIn, aOut)
		b.Process(bIn, bOut)
		copy(bIn, aOut)
		copy(aIn, bOut)

		if ab != nil {
			ab.Process(bIn, bIn)
			ba.Process(aIn, aIn)
		}
	}
	if !a.Done() || !b.Done() {
		t.Fatalf("the call did not end: sender in %s, receiver in %s", a.Engine().State(), b.Engine().State())
	}
	// The pages kept as received decode to the very pixels the receiver
	// decoded during the call, bad rows concealed alike.
	if len(coded.Pages) != len(sink.Pages) {
		t.Fatalf("%d pages kept coded, %d decoded", len(coded.Pages), len(sink.Pages))
	}
	for i, cp := range coded.Pages {
		p, err := cp.Decode()
		if err != nil || !samePage(p, sink.Pages[i]) || cp.Rows != sink.Pages[i].Rows {
			t.Errorf("page %d kept coded (%v, %d octets) decodes otherwise: %v", i+1, cp.Coding, len(cp.Data), err)
		}
	}
	return a.Result(), b.Result(), sink.Pages
}

// tee is two sinks at once.
type tee [2]t30.PageSink

func (s tee) StartPage(info t30.PageInfo) error {
	return errors.Join(s[0].StartPage(info), s[1].StartPage(info))
}

func (s tee) WriteRow(row []byte) error { return errors.Join(s[0].WriteRow(row), s[1].WriteRow(row)) }

func (s tee) EndPage(res t30.PageResult) error {
	return errors.Join(s[0].EndPage(res), s[1].EndPage(res))
}

func samePage(a, b *document.Page) bool {
	return a.Width == b.Width && a.Rows == b.Rows && bytes.Equal(a.Pix, b.Pix)
}

func TestAudioCall(t *testing.T) {
	for _, c := range []struct {
		name  string
		pages int
		res   document.Resolution
		tune  func(*t30.Config)
	}{
		{"V.17 non-ECM", 1, document.Fine, nil},
		{"V.17 non-ECM 3 pages standard", 3, document.Standard, nil},
		{"V.17 ECM 3 pages", 3, document.Fine, func(c *t30.Config) { c.ECM = true }},
		{"V.29 non-ECM", 1, document.Fine, func(c *t30.Config) { c.Modems = t30.ModemV27ter | t30.ModemV29 }},
		{"V.29 ECM standard", 1, document.Standard, func(c *t30.Config) { c.Modems = t30.ModemV27ter | t30.ModemV29; c.ECM = true }},
		{"V.27ter non-ECM 3 pages", 3, document.Fine, func(c *t30.Config) { c.Modems = t30.ModemV27ter }},
		{"V.27ter ECM", 1, document.Fine, func(c *t30.Config) { c.Modems = t30.ModemV27ter; c.ECM = true }},
	} {
		t.Run(c.name, func(t *testing.T) {
			var pages []*document.Page
			for i := range c.pages {
				pages = append(pages, testPage(c.res, uint64(i)))
			}
			tx, rx, got := call(t, pages, c.tune, &line.Config{NoiseDBm0: -50})
			if !tx.OK() || !rx.OK() {
				t.Fatalf("sender %v (%s), receiver %v (%s)\n%s\nreceiver:\n%s", tx.Code, tx.Cause, rx.Code, rx.Cause, t30.FormatTrace(tx.Trace), t30.FormatTrace(rx.Trace))
			}
			if len(got) != len(pages) {
				t.Fatalf("%d pages received of %d", len(got), len(pages))
			}
			// On this quiet line non-ECM pages arrive intact too.
			for i := range pages {
				if !samePage(pages[i], got[i]) {
					t.Errorf("page %d differs (ECM %v)", i+1, rx.ECM)
				}
			}
			t.Logf("%s: %s %d bit/s, ECM %v, %v, %d pages, bad rows %d, call %v", c.name, tx.Modem, tx.BitRate, tx.ECM, tx.Coding, rx.PagesReceived, rx.BadRows, tx.Duration)
		})
	}
}
