//go:build spandsp

package terminal

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faxd/faxd/dsp/line"
	"github.com/faxd/faxd/dsp/spandsp"
	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/t4"
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

// burstLine adds a burst of loud noise now and then to what it passes,
// corrupting ECM frames (and sometimes a control frame) without the
// continuous noise SpanDSP cannot stand.
type burstLine struct {
	n, every, length int
	noise            []int16
}

func newBurstLine(every, length int, dBm0 float64, seed int64) *burstLine {
	return &burstLine{every: every, length: length, noise: line.Apply(line.Config{NoiseDBm0: dBm0, Seed: seed}, make([]int16, length))}
}

func (b *burstLine) Process(out, in []int16) {
	for i, s := range in {
		k := b.n % b.every
		if k < b.length {
			s = int16(max(-32768, min(32767, int(s)+int(b.noise[k]))))
		}
		out[i] = s
		b.n++
	}
}

// TestInteropECMRepair: with bursts of noise on the line, ECM frames are
// lost and sent again (PPR), and the pages still arrive identical, both
// ways.
func TestInteropECMRepair(t *testing.T) {
	dir := t.TempDir()
	pages := []*document.Page{testPage(document.Fine, 5), testPage(document.Fine, 6)}
	txFile := filepath.Join(dir, "tx.tif")
	writeTIFF(t, txFile, pages)
	for _, oursSend := range []bool{true, false} {
		name := map[bool]string{true: "ours to SpanDSP", false: "SpanDSP to ours"}[oursSend]
		t.Run(name, func(t *testing.T) {
			rxFile := filepath.Join(dir, "rx-"+strings.ReplaceAll(name, " ", "-")+".tif")
			var ours *Terminal
			var theirs *spandsp.Fax
			sink := &t30.MemorySink{}
			var err error
			if oursSend {
				theirs = spandsp.NewFax(false, spandsp.FaxOptions{RxFile: rxFile, ECM: true, Ident: "SPANDSP"})
				ours, err = New(t30.Config{Caller: true, Source: &t30.MemorySource{Pages: pages}, ECM: true, Ident: "FAXD"}, Options{})
			} else {
				theirs = spandsp.NewFax(true, spandsp.FaxOptions{TxFile: txFile, ECM: true, Ident: "SPANDSP"})
				ours, err = New(t30.Config{Sink: sink, ECM: true, Ident: "FAXD"}, Options{})
			}
			if err != nil {
				t.Fatal(err)
			}
			defer theirs.Close()
			// 40 ms of noise at -20 dBm0 every 1.7 s, on the sender's side
			// of the line only (the receiver's answers get through).
			bursts := newBurstLine(8000*17/10, 320, -20, 7)
			a := make([]int16, BlockSize)
			b := make([]int16, BlockSize)
			ain := make([]int16, BlockSize)
			bin := make([]int16, BlockSize)
			for i := 0; i < 8000/BlockSize*900 && !(ours.Done() && theirs.Done()); i++ {
				ours.Process(ain, a)
				theirs.Process(bin, b)
				if oursSend {
					bursts.Process(bin, a)
					copy(ain, b)
				} else {
					copy(bin, a)
					bursts.Process(ain, b)
				}
			}
			r, sr := ours.Result(), theirs.Result()
			if r == nil || !r.OK() || sr.Code != spandsp.T30ErrOK {
				t.Fatalf("ours %+v; SpanDSP %d %q\n%s", r, sr.Code, sr.Text, trace(r))
			}
			got := sink.Pages
			if oursSend {
				got = readTIFF(t, rxFile)
			}
			checkPages(t, pages, got, true)
			if r.RetransmittedFrames == 0 && sr.ECMRetries == 0 {
				t.Errorf("no ECM frame was sent again: the bursts missed (ours %d, SpanDSP %d)", r.RetransmittedFrames, sr.ECMRetries)
			}
			t.Logf("%s: %s %d bit/s, frames sent again: ours %d, SpanDSP rounds %d, call %v", name, r.Modem, r.BitRate, r.RetransmittedFrames, sr.ECMRetries, r.Duration)
		})
	}
}

// letterPages is a page of a real-looking letter at fine resolution.
func letterPages(tb testing.TB) []*document.Page { return benchLetter(tb) }

// BenchmarkCallVsSpanDSP: one A4 letter page sent by our terminal to
// SpanDSP's and by SpanDSP's to ours, V.17 14400, ECM off and on; each
// side's Process calls timed separately, so ours and SpanDSP's cost per
// call come from the very same call. Reported: ns per sample of audio and
// CPU milliseconds per call for each side, and the call's length.
func BenchmarkCallVsSpanDSP(b *testing.B) {
	dir := b.TempDir()
	pages := letterPages(b)
	txFile := filepath.Join(dir, "tx.tif")
	writeTIFF(&testing.T{}, txFile, pages)
	for _, ecm := range []bool{false, true} {
		for _, oursSend := range []bool{true, false} {
			name := fmt.Sprintf("ECM=%v/%s", ecm, map[bool]string{true: "ours-sends", false: "spandsp-sends"}[oursSend])
			b.Run(name, func(b *testing.B) {
				var oursNs, theirsNs, samples int64
				var dur time.Duration
				for n := range b.N {
					var ours *Terminal
					var theirs *spandsp.Fax
					if oursSend {
						theirs = spandsp.NewFax(false, spandsp.FaxOptions{RxFile: filepath.Join(dir, fmt.Sprintf("rx%d.tif", n)), ECM: ecm})
						ours, _ = New(t30.Config{Caller: true, Source: &t30.MemorySource{Pages: pages}, ECM: ecm}, Options{})
					} else {
						theirs = spandsp.NewFax(true, spandsp.FaxOptions{TxFile: txFile, ECM: ecm})
						ours, _ = New(t30.Config{Sink: &t30.MemorySink{}, ECM: ecm}, Options{})
					}
					a, c := make([]int16, BlockSize), make([]int16, BlockSize)
					ain, cin := make([]int16, BlockSize), make([]int16, BlockSize)
					for i := 0; i < 8000/BlockSize*600 && !(ours.Done() && theirs.Done()); i++ {
						t0 := time.Now()
						ours.Process(ain, a)
						t1 := time.Now()
						theirs.Process(cin, c)
						t2 := time.Now()
						oursNs += int64(t1.Sub(t0))
						theirsNs += int64(t2.Sub(t1))
						samples += BlockSize
						copy(cin, a)
						copy(ain, c)
					}
					if r := ours.Result(); r == nil || !r.OK() {
						b.Fatalf("call failed: %+v", r)
					} else {
						dur += r.Duration
					}
					theirs.Close()
				}
				b.ReportMetric(float64(oursNs)/float64(samples), "ours-ns/sample")
				b.ReportMetric(float64(theirsNs)/float64(samples), "spandsp-ns/sample")
				b.ReportMetric(float64(oursNs)/1e6/float64(b.N), "ours-cpu-ms/call")
				b.ReportMetric(float64(theirsNs)/1e6/float64(b.N), "spandsp-cpu-ms/call")
				b.ReportMetric(dur.Seconds()/float64(b.N), "call-s")
				// The shortest the page itself can take at 14 400 bit/s:
				// its coded bits (MR without ECM, MMR with), no fill.
				coding := t4.MR
				if ecm {
					coding = t4.MMR
				}
				var cw countWriter
				if err := pages[0].EncodeT4(&cw, coding); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(cw)*8/14400, "page-at-line-rate-s")
			})
		}
	}
}

// countWriter counts the octets written to it.
type countWriter int

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}
