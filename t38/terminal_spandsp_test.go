//go:build spandsp

package t38

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/faxd/faxd/dsp/spandsp"
	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/tiff"
)

func writeTIFF(t *testing.T, path string, pages []*document.Page) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, _ := tiff.NewWriter(f, tiff.Options{})
	for _, p := range pages {
		pw, err := w.AddPage(tiff.PageSpec{Width: p.Width, Coding: tiff.MH, Resolution: tiff.Resolution{X: float64(p.XRes), Y: float64(p.YRes)}})
		if err != nil {
			t.Fatal(err)
		}
		for y := range p.Rows {
			pw.WriteRow(p.Row(y))
		}
		pw.Close()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func readTIFF(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := tiff.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var pages [][]byte
	for i := range r.NumPages() {
		info := r.Page(i)
		rows, _ := r.Rows(i)
		pix := make([]byte, info.Height*((info.Width+7)/8))
		stride := (info.Width + 7) / 8
		for y := range info.Height {
			if err := rows.Next(pix[y*stride : (y+1)*stride]); err != nil {
				t.Fatal(err)
			}
		}
		pages = append(pages, pix)
	}
	return pages
}

// TestTerminalInteropSpanDSP: our T.38 terminal against SpanDSP's
// t38_terminal, IFP packets passed directly, both directions, ECM on and
// off, two pages identical.
func TestTerminalInteropSpanDSP(t *testing.T) {
	dir := t.TempDir()
	pages := letter(t, 2)
	txFile := filepath.Join(dir, "tx.tif")
	writeTIFF(t, txFile, pages)
	for i, c := range []struct{ oursSend, ecm bool }{{true, false}, {true, true}, {false, false}, {false, true}} {
		name := fmt.Sprintf("%s/ECM=%v", map[bool]string{true: "ours-to-spandsp", false: "spandsp-to-ours"}[c.oursSend], c.ecm)
		t.Run(name, func(t *testing.T) {
			rxFile := filepath.Join(dir, fmt.Sprintf("rx%d.tif", i))
			var theirs *spandsp.T38Terminal
			sink := &t30.MemorySink{}
			var toUs [][]byte
			var toThem [][]byte
			var cfg t30.Config
			if c.oursSend {
				theirs = spandsp.NewT38Terminal(false, spandsp.T38Options{RxFile: rxFile, ECM: c.ecm})
				cfg = t30.Config{Caller: true, Source: &t30.MemorySource{Pages: pages}, ECM: c.ecm}
			} else {
				theirs = spandsp.NewT38Terminal(true, spandsp.T38Options{TxFile: txFile, ECM: c.ecm})
				cfg = t30.Config{Sink: sink, ECM: c.ecm}
			}
			defer theirs.Close()
			ours, err := NewTerminal(cfg, TerminalOptions{}, func(p []byte) { toThem = append(toThem, bytes.Clone(p)) })
			if err != nil {
				t.Fatal(err)
			}
			seq := 0
			var packets, octets int
			for n := 0; n < 50*900 && !(ours.Done() && theirs.Done()); n++ {
				for _, p := range theirs.TxPackets() {
					toUs = append(toUs, p.IFP) // each copy once: no loss here
				}
				for _, p := range toUs {
					if err := ours.Receive(p); err != nil {
						t.Errorf("ours rejects %x: %v", p, err)
					}
				}
				toUs = toUs[:0]
				for _, p := range toThem {
					if err := theirs.Receive(p, seq); err != nil {
						t.Errorf("SpanDSP rejects %x: %v", p, err)
					}
					seq++
					packets++
					octets += len(p)
				}
				toThem = toThem[:0]
				ours.Advance(160)
				theirs.Advance(160)
			}
			r, sr := ours.Result(), theirs.Result()
			if r == nil || !r.OK() || sr.Code != spandsp.T30ErrOK {
				var tr string
				if r != nil {
					tr = t30.FormatTrace(r.Trace)
				} else {
					tr = t30.FormatTrace(ours.Engine().Result().Trace)
				}
				t.Fatalf("ours %+v; SpanDSP %d %q\n%s", r, sr.Code, sr.Text, tr)
			}
			var got [][]byte
			if c.oursSend {
				got = readTIFF(t, rxFile)
			} else {
				for _, p := range sink.Pages {
					got = append(got, p.Pix)
				}
			}
			if len(got) != len(pages) {
				t.Fatalf("%d pages of %d", len(got), len(pages))
			}
			for k := range pages {
				if !bytes.Equal(got[k], pages[k].Pix) {
					t.Errorf("page %d differs", k+1)
				}
			}
			t.Logf("%s: %s %d bit/s %v, %d packets %d octets from us, call %v", name, r.Modem, r.BitRate, r.Coding, packets, octets, r.Duration)
		})
	}
}
