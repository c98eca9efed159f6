//go:build spandsp

package spandsp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/faxd/faxd/dsp/line"
	"github.com/faxd/faxd/t30/tiff"
)

const (
	pageWidth  = 1728
	pageHeight = 1100 // A4 at 98 lines per inch
	faxBlock   = 160
	// maxCallSamples caps a simulated call at 10 minutes.
	maxCallSamples = 600 * 8000
	callerIdent    = "+1 555 0100"
	answererIdent  = "+1 555 0199"
)

// testPage draws page p (from 0): lines of pseudo-random glyphs like text,
// a diagonal line, a checkerboard patch and p+1 solid bars, so every page
// differs and codes to something like a real document.
func testPage(p int) [][]byte {
	rng := rand.New(rand.NewPCG(uint64(p)+7, 42))
	var glyphs [64][12]byte // 8x12 glyphs
	for g := range glyphs {
		// Strokes rather than noise, so the page codes like text.
		strokes := [...]byte{0x00, 0x18, 0x3c, 0x24, 0x42, 0x7e, 0x60, 0x06}
		for r := 2; r < 11; r++ {
			glyphs[g][r] = strokes[rng.IntN(len(strokes))]
		}
	}
	stride := (pageWidth + 7) / 8
	rows := make([][]byte, pageHeight)
	for y := range rows {
		row := make([]byte, stride)
		set := func(x int) { row[x>>3] |= 0x80 >> (x & 7) }
		// Text: 80 rows of margin, then lines of 12-row glyphs 20 rows apart.
		if y >= 80 && y < 900 && (y-80)%20 < 12 {
			line := (y - 80) / 20
			for c := 0; c < 110; c++ {
				if (c+line*7)%11 == 10 { // word gaps
					continue
				}
				g := glyphs[(c*31+line*17+p*5)%64][(y-80)%20]
				row[12+c] = g
			}
		}
		// A diagonal line two pixels wide.
		if x := y * pageWidth / pageHeight; x+1 < pageWidth {
			set(x)
			set(x + 1)
		}
		// A checkerboard patch of 8x8 squares.
		if y >= 920 && y < 1000 {
			for x := 100; x < 420; x++ {
				if ((x/8)+(y/8))%2 == 0 {
					set(x)
				}
			}
		}
		// p+1 solid bars, 10 rows each.
		for b := 0; b <= p; b++ {
			if y >= 1010+b*15 && y < 1020+b*15 {
				for x := 600; x < 1500; x++ {
					set(x)
				}
			}
		}
		rows[y] = row
	}
	return rows
}

// writeTIFF writes pages as a Class F TIFF (MH, 204x98 dpi) with our writer.
func writeTIFF(t testing.TB, path string, pages [][][]byte) {
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
	for _, rows := range pages {
		pw, err := w.AddPage(tiff.PageSpec{Width: pageWidth, Coding: tiff.MH, Resolution: tiff.Standard})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if err := pw.WriteRow(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// readTIFF decodes every page of path with our reader.
func readTIFF(t testing.TB, path string) ([][][]byte, []tiff.Stats) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := tiff.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var pages [][][]byte
	var stats []tiff.Stats
	for i := 0; i < r.NumPages(); i++ {
		rr, err := r.Rows(i)
		if err != nil {
			t.Fatal(err)
		}
		info := rr.Info()
		var rows [][]byte
		for {
			row := make([]byte, (info.Width+7)/8)
			err := rr.Next(row)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("page %d: %v", i, err)
			}
			rows = append(rows, row)
		}
		pages = append(pages, rows)
		stats = append(stats, rr.Stats())
	}
	return pages, stats
}

// callConfig is one back-to-back call: the caller sends, the answerer receives.
type callConfig struct {
	pages  int
	ecm    bool
	modems FaxModems
	line   *line.Config // nil: a perfect connection
	log    bool
}

// callStats is what one call cost.
type callStats struct {
	samples      int           // per side
	sender, recv time.Duration // time inside each side's Process calls
}

// runCall runs a and b in 160-sample lockstep, each one's out the other's
// in (b hears a's current block, a hears b's previous one), through lines
// when given, until both reach phase E or the cap.
func runCall(a, b *Fax, ab, ba *line.Line) callStats {
	var st callStats
	aIn := make([]int16, faxBlock)
	aOut := make([]int16, faxBlock)
	bIn := make([]int16, faxBlock)
	bOut := make([]int16, faxBlock)
	lineBuf := make([]int16, faxBlock+8)
	for st.samples < maxCallSamples && !(a.Done() && b.Done()) {
		t0 := time.Now()
		a.Process(aIn, aOut)
		t1 := time.Now()
		if ab != nil {
			ab.Process(lineBuf, aOut)
			copy(bIn, lineBuf[:faxBlock])
		} else {
			copy(bIn, aOut)
		}
		t2 := time.Now()
		b.Process(bIn, bOut)
		t3 := time.Now()
		if ba != nil {
			ba.Process(lineBuf, bOut)
			copy(aIn, lineBuf[:faxBlock])
		} else {
			copy(aIn, bOut)
		}
		st.sender += t1.Sub(t0)
		st.recv += t3.Sub(t2)
		st.samples += faxBlock
	}
	return st
}

// newPair makes the sending caller and the receiving answerer of cfg,
// writing the source document into dir.
func newPair(t testing.TB, dir string, cfg callConfig) (a, b *Fax, src [][][]byte, rxPath string) {
	t.Helper()
	for p := 0; p < cfg.pages; p++ {
		src = append(src, testPage(p))
	}
	txPath := filepath.Join(dir, "tx.tif")
	rxPath = filepath.Join(dir, "rx.tif")
	writeTIFF(t, txPath, src)
	a = NewFax(true, FaxOptions{TxFile: txPath, ECM: cfg.ecm, Modems: cfg.modems, Ident: callerIdent, Log: cfg.log})
	b = NewFax(false, FaxOptions{RxFile: rxPath, ECM: cfg.ecm, Modems: cfg.modems, Ident: answererIdent, Log: cfg.log})
	return a, b, src, rxPath
}

func (c callConfig) String() string {
	m := "V.17"
	if c.modems == SupportV29 {
		m = "V.29"
	}
	e := "noECM"
	if c.ecm {
		e = "ECM"
	}
	s := fmt.Sprintf("%s/%s/%dpage", m, e, c.pages)
	if c.line != nil {
		s += "/line"
	}
	return s
}

// testCall runs cfg and checks the outcome: with wantOK, T30_ERR_OK on both
// sides and every page pixel for pixel; without, that the call ended in
// phase E with an error on at least one side.
func testCall(t *testing.T, cfg callConfig, wantOK bool) {
	dir := t.TempDir()
	a, b, src, rxPath := newPair(t, dir, cfg)
	var ab, ba *line.Line
	if cfg.line != nil {
		c := *cfg.line
		ab = line.New(c)
		c.Seed++
		ba = line.New(c)
	}
	st := runCall(a, b, ab, ba)
	ra, rb := a.Result(), b.Result()
	a.Close()
	b.Close()
	t.Logf("%v: %.2f s simulated; sender %+v", cfg, float64(st.samples)/8000, ra)
	t.Logf("%v: receiver %+v", cfg, rb)
	t.Logf("%v: CPU sender %.1f ns/sample, receiver %.1f ns/sample", cfg,
		float64(st.sender.Nanoseconds())/float64(st.samples), float64(st.recv.Nanoseconds())/float64(st.samples))
	if ra.Code < 0 || rb.Code < 0 {
		t.Fatalf("phase E not reached in %d s (sender code %d, receiver code %d)", maxCallSamples/8000, ra.Code, rb.Code)
	}
	if !wantOK {
		if ra.Code == T30ErrOK && rb.Code == T30ErrOK {
			t.Errorf("the call succeeded; expected it to fail")
		}
		return
	}
	for _, r := range []struct {
		who   string
		res   FaxResult
		pages int
		ident string
	}{{"sender", ra, ra.PagesTx, answererIdent}, {"receiver", rb, rb.PagesRx, callerIdent}} {
		if r.res.Code != T30ErrOK {
			t.Errorf("%s: completion %d %q, want T30_ERR_OK", r.who, r.res.Code, r.res.Text)
		}
		if r.res.Text != "OK" {
			t.Errorf("%s: completion text %q", r.who, r.res.Text)
		}
		if r.pages != cfg.pages || r.res.Pages != cfg.pages {
			t.Errorf("%s: %d pages (Pages %d), want %d", r.who, r.pages, r.res.Pages, cfg.pages)
		}
		if r.res.ECM != cfg.ecm {
			t.Errorf("%s: ECM %v, want %v", r.who, r.res.ECM, cfg.ecm)
		}
		want := 14400
		if cfg.modems == SupportV29 {
			want = 9600
		}
		if r.res.BitRate != want {
			t.Errorf("%s: %d bit/s, want %d", r.who, r.res.BitRate, want)
		}
		wantEnc := "T.4 2-D" // SpanDSP's choice without ECM
		if cfg.ecm {
			wantEnc = "T.6" // offered by NewFax with ECM
		}
		if r.res.Encoding != wantEnc {
			t.Errorf("%s: coding %q, want %q", r.who, r.res.Encoding, wantEnc)
		}
		if r.res.RemoteIdent != r.ident {
			t.Errorf("%s: remote ident %q, want %q", r.who, r.res.RemoteIdent, r.ident)
		}
		if r.res.BadRows != 0 {
			t.Errorf("%s: %d bad rows", r.who, r.res.BadRows)
		}
	}
	got, stats := readTIFF(t, rxPath)
	if len(got) != len(src) {
		t.Fatalf("received %d pages, want %d", len(got), len(src))
	}
	for p := range src {
		if stats[p].BadRows != 0 || stats[p].MissingRows != 0 {
			t.Errorf("page %d: reader stats %+v", p, stats[p])
		}
		if len(got[p]) != len(src[p]) {
			t.Errorf("page %d: %d rows, want %d", p, len(got[p]), len(src[p]))
			continue
		}
		diff := 0
		for y := range src[p] {
			if !bytes.Equal(got[p][y], src[p][y]) {
				diff++
			}
		}
		if diff != 0 {
			t.Errorf("page %d: %d of %d rows differ", p, diff, len(src[p]))
		}
	}
}

// TestFaxCall: SpanDSP to SpanDSP back to back, 1 and 3 pages, ECM on and
// off, V.17 and V.29 only; every page comes through pixel for pixel.
func TestFaxCall(t *testing.T) {
	for _, modems := range []FaxModems{SupportV17, SupportV29} {
		for _, ecm := range []bool{false, true} {
			for _, pages := range []int{1, 3} {
				cfg := callConfig{pages: pages, ecm: ecm, modems: modems}
				t.Run(cfg.String(), func(t *testing.T) {
					t.Parallel()
					testCall(t, cfg, true)
				})
			}
		}
	}
}

// TestFaxCallLine: calls through our line model, both directions, the
// noise continuous (also while nobody transmits). SpanDSP's terminals send at
// -14 dBm0.
//
// At 30 dB SNR (noise -44 dBm0) SpanDSP cannot complete a call with itself:
// its V.21/HDLC carrier detectors (cutoff -45.5 dBm0) take the noise for
// carrier, the answerer gets "Bad HDLC CRC" instead of TSI/DCS and the caller
// ends with T30_ERR_TX_BADDCS. That is the library's noise floor, not an SNR
// limit (V.17 itself is error-free from 26 dB): this seed fails at -48 dBm0
// and passes at -49. The 30 dB case pins that behaviour down, so interop
// tests against SpanDSP know to keep line noise at or below -50 dBm0; the
// passing case uses 36 dB SNR, with a G.711 mu-law round trip.
func TestFaxCallLine(t *testing.T) {
	t.Run("36dB/ulaw", func(t *testing.T) {
		lc := line.Config{NoiseDBm0: line.NoiseForSNR(-14, 36), Law: line.ULaw, Seed: 11}
		testCall(t, callConfig{pages: 1, modems: SupportV17, line: &lc}, true)
	})
	t.Run("30dB", func(t *testing.T) {
		lc := line.Config{NoiseDBm0: line.NoiseForSNR(-14, 30), Seed: 11}
		testCall(t, callConfig{pages: 1, modems: SupportV17, line: &lc}, false)
	})
}

// TestFaxNotDone: before phase E Result says so; Terminate forces it.
func TestFaxNotDone(t *testing.T) {
	a := NewFax(true, FaxOptions{})
	defer a.Close()
	in := make([]int16, 1600)
	out := make([]int16, 1600)
	a.Process(in, out)
	if a.Done() {
		t.Fatal("done after 200 ms")
	}
	if r := a.Result(); r.Code != -1 || r.Text != "" || r.Samples != 1600 {
		t.Fatalf("result before phase E: %+v", r)
	}
	a.Terminate()
	if !a.Done() {
		t.Fatal("not done after Terminate")
	}
	if r := a.Result(); r.Code != T30ErrCallDropped {
		t.Fatalf("after Terminate: %+v", r)
	}
}

// TestFaxIdentTooLong: SpanDSP refuses idents over 20 characters.
func TestFaxIdentTooLong(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a 21-character ident did not panic")
		}
	}()
	NewFax(true, FaxOptions{Ident: "123456789012345678901"})
}

func threadCPU() time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSpanDSPFaxCall times whole 1-page calls (set-up and TIFF writing
// not timed) between two SpanDSP terminals, the yardstick for issue 5:
// ns/sample per side (monotonic clock around each side's Process calls,
// including T.4 coding and libtiff I/O), CPU ms per call for the pair
// (RUSAGE_THREAD, the goroutine locked to its thread) and the simulated
// call length. Compare with the notes (V.17 non-ECM: sender 22.5, receiver
// 82.7 ns/sample, 37.84 s, 32 ms for both).
func BenchmarkSpanDSPFaxCall(b *testing.B) {
	for _, cfg := range []callConfig{
		{pages: 1, ecm: false, modems: SupportV17},
		{pages: 1, ecm: true, modems: SupportV17},
		{pages: 1, ecm: false, modems: SupportV29},
	} {
		b.Run(cfg.String(), func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var total callStats
			var cpu time.Duration
			calls := 0
			for b.Loop() {
				b.StopTimer()
				dir := b.TempDir()
				a, r, _, _ := newPair(b, dir, cfg)
				b.StartTimer()
				c0 := threadCPU()
				st := runCall(a, r, nil, nil)
				cpu += threadCPU() - c0
				b.StopTimer()
				ra, rr := a.Result(), r.Result()
				a.Close()
				r.Close()
				if ra.Code != T30ErrOK || rr.Code != T30ErrOK {
					b.Fatalf("call failed: %+v / %+v", ra, rr)
				}
				b.StartTimer()
				total.samples += st.samples
				total.sender += st.sender
				total.recv += st.recv
				calls++
			}
			n := float64(total.samples)
			b.ReportMetric(float64(total.sender.Nanoseconds())/n, "sender-ns/sample")
			b.ReportMetric(float64(total.recv.Nanoseconds())/n, "receiver-ns/sample")
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(calls), "cpu-ms/call")
			b.ReportMetric(n/8000/float64(calls), "sim-s/call")
		})
	}
}
