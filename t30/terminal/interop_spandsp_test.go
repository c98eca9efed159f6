//go:build spandsp

package terminal

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/faxd/faxd/dsp/line"
	"github.com/faxd/faxd/dsp/spandsp"
	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/tiff"
)

// writeTIFF writes pages as an MH TIFF for SpanDSP to send.
func writeTIFF(t *testing.T, path string, pages []*document.Page) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := tiff.NewWriter(f, tiff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		pw, err := w.AddPage(tiff.PageSpec{Width: p.Width, Coding: tiff.MH, Resolution: tiff.Resolution{X: float64(p.XRes), Y: float64(p.YRes)}})
		if err != nil {
			t.Fatal(err)
		}
		for y := range p.Rows {
			pw.WriteRow(p.Row(y))
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// readTIFF reads the pages SpanDSP received.
func readTIFF(t *testing.T, path string) []*document.Page {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := tiff.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var pages []*document.Page
	for i := range r.NumPages() {
		info := r.Page(i)
		p := document.NewPage(info.Width, info.Height, document.Resolution{X: int(info.XRes + 0.5), Y: int(info.YRes + 0.5)})
		rows, err := r.Rows(i)
		if err != nil {
			t.Fatal(err)
		}
		for y := range info.Height {
			if err := rows.Next(p.Row(y)); err != nil {
				t.Fatal(err)
			}
		}
		pages = append(pages, p)
	}
	return pages
}

type interopCase struct {
	modems spandsp.FaxModems
	ours   t30.ModemSet
	ecm    bool
}

func (c interopCase) String() string {
	m := map[t30.ModemSet]string{t30.AllModems: "V.17", t30.ModemV27ter | t30.ModemV29: "V.29", t30.ModemV27ter: "V.27ter"}[c.ours]
	return fmt.Sprintf("%s ECM %v", m, c.ecm)
}

var interopCases = []interopCase{
	{spandsp.SupportV17 | spandsp.SupportV29 | spandsp.SupportV27ter, t30.AllModems, false},
	{spandsp.SupportV17 | spandsp.SupportV29 | spandsp.SupportV27ter, t30.AllModems, true},
	{spandsp.SupportV29 | spandsp.SupportV27ter, t30.ModemV27ter | t30.ModemV29, false},
	{spandsp.SupportV29 | spandsp.SupportV27ter, t30.ModemV27ter | t30.ModemV29, true},
	{spandsp.SupportV27ter, t30.ModemV27ter, false},
	{spandsp.SupportV27ter, t30.ModemV27ter, true},
}

// run plays our terminal against SpanDSP's, 160 samples a turn, through a
// line (noise only over the calls: SpanDSP's detectors hold on continuous
// noise above -49 dBm0, so a quiet line), until both are done.
func run(t *testing.T, ours *Terminal, theirs *spandsp.Fax, lc line.Config) {
	t.Helper()
	toThem, toUs := line.New(lc), line.New(line.Config{NoiseDBm0: lc.NoiseDBm0, Seed: lc.Seed + 1})
	a := make([]int16, BlockSize) // ours, out
	b := make([]int16, BlockSize) // theirs, out
	ain := make([]int16, BlockSize)
	bin := make([]int16, BlockSize)
	for i := 0; i < 8000/BlockSize*600 && !(ours.Done() && theirs.Done()); i++ {
		ours.Process(ain, a)
		theirs.Process(bin, b)
		toThem.Process(bin, a)
		toUs.Process(ain, b)
	}
}

// TestInteropOursToSpanDSP: our terminal sends two pages to SpanDSP's.
func TestInteropOursToSpanDSP(t *testing.T) {
	dir := t.TempDir()
	pages := []*document.Page{testPage(document.Fine, 1), testPage(document.Fine, 2)}
	for i, c := range interopCases {
		t.Run(c.String(), func(t *testing.T) {
			rxFile := filepath.Join(dir, fmt.Sprintf("rx%d.tif", i))
			theirs := spandsp.NewFax(false, spandsp.FaxOptions{RxFile: rxFile, ECM: c.ecm, Modems: c.modems, Ident: "SPANDSP"})
			defer theirs.Close()
			ours, err := New(t30.Config{Caller: true, Source: &t30.MemorySource{Pages: pages}, ECM: c.ecm, Modems: c.ours, Ident: "FAXD"}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			run(t, ours, theirs, line.Config{NoiseDBm0: -55, Seed: int64(i)})
			r, sr := ours.Result(), theirs.Result()
			if r == nil || !r.OK() || sr.Code != spandsp.T30ErrOK || sr.PagesRx != len(pages) {
				t.Fatalf("ours %+v; SpanDSP %d %q, %d pages\n%s", r, sr.Code, sr.Text, sr.PagesRx, trace(r))
			}
			got := readTIFF(t, rxFile)
			checkPages(t, pages, got, c.ecm)
			t.Logf("%v: %s %d bit/s ECM %v, SpanDSP says %s, %s", c, r.Modem, r.BitRate, r.ECM, sr.Text, sr.Encoding)
		})
	}
}

// TestInteropSpanDSPToOurs: SpanDSP's terminal sends two pages to ours.
func TestInteropSpanDSPToOurs(t *testing.T) {
	dir := t.TempDir()
	pages := []*document.Page{testPage(document.Fine, 3), testPage(document.Fine, 4)}
	txFile := filepath.Join(dir, "tx.tif")
	writeTIFF(t, txFile, pages)
	for i, c := range interopCases {
		t.Run(c.String(), func(t *testing.T) {
			theirs := spandsp.NewFax(true, spandsp.FaxOptions{TxFile: txFile, ECM: c.ecm, Modems: c.modems, Ident: "SPANDSP"})
			defer theirs.Close()
			sink := &t30.MemorySink{}
			ours, err := New(t30.Config{Sink: sink, ECM: c.ecm, Modems: c.ours, Ident: "FAXD"}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			run(t, ours, theirs, line.Config{NoiseDBm0: -55, Seed: int64(i + 10)})
			r, sr := ours.Result(), theirs.Result()
			if r == nil || !r.OK() || sr.Code != spandsp.T30ErrOK || r.PagesReceived != len(pages) {
				t.Fatalf("ours %+v; SpanDSP %d %q, %d pages\n%s", r, sr.Code, sr.Text, sr.PagesTx, trace(r))
			}
			checkPages(t, pages, sink.Pages, c.ecm)
			t.Logf("%v: %s %d bit/s ECM %v %v, SpanDSP says %s", c, r.Modem, r.BitRate, r.ECM, r.Coding, sr.Text)
		})
	}
}

func trace(r *t30.Result) string {
	if r == nil {
		return ""
	}
	return t30.FormatTrace(r.Trace)
}

// checkPages: with ECM the pages are identical; without, on this quiet
// line, too (a bad row would be concealed and counted).
func checkPages(t *testing.T, want, got []*document.Page, ecm bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d pages received of %d", len(got), len(want))
	}
	for i := range want {
		if !samePage(want[i], got[i]) {
			t.Errorf("page %d differs (ECM %v): %dx%d vs %dx%d", i+1, ecm, got[i].Width, got[i].Rows, want[i].Width, want[i].Rows)
		}
	}
}
