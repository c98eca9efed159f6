package t4_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/t4"
)

// letterPage is the page of the call benchmarks (bench.LetterPage): one
// A4 page of a business letter rendered at fine resolution, 1728 pels.
func letterPage(tb testing.TB) *document.Page {
	tb.Helper()
	text := strings.Repeat("Dear Ms. Hansen,\n\nPlease find enclosed the signed purchase agreement for the property at 14 Harbour Street, together with the completed disclosure forms. Our bank has confirmed the transfer of the deposit of EUR 45,000.00 to the escrow account (reference 2026-11-4471).\n\n", 7)
	pages, err := document.RenderText([]byte(text), &document.Options{Resolution: document.Fine, Header: "ACME Bank"})
	if err != nil {
		tb.Fatal(err)
	}
	return pages[0]
}

// letterCodings are the codings a T.30 call uses, with the options it
// gives them (T.30 sends each octet least significant bit first).
var letterCodings = []struct {
	name string
	opt  t4.Options
}{
	{"MH", t4.Options{Coding: t4.MH, Width: 1728, FillOrder: t4.LSBFirst}},
	{"MR", t4.Options{Coding: t4.MR, K: 4, Width: 1728, FillOrder: t4.LSBFirst}},
	{"MMR", t4.Options{Coding: t4.MMR, Width: 1728, FillOrder: t4.LSBFirst}},
}

// cpuTime is the process's CPU time so far, user plus system: on a
// machine shared with other work it measures a benchmark better than the
// wall clock does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per page since start as cpu-ns/page.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/page")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func encodeLetter(tb testing.TB, p *document.Page, opt t4.Options) []byte {
	tb.Helper()
	var buf bytes.Buffer
	e, err := t4.NewEncoder(&buf, opt)
	if err != nil {
		tb.Fatal(err)
	}
	for y := range p.Rows {
		if err := e.WriteRow(p.Row(y)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := e.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// letterFeed is how many octets the streaming benchmark feeds at a time.
const letterFeed = 100

// streamLetter decodes data fed letterFeed octets at a time, as t30's
// pageRx does while a page comes in, and returns the rows decoded; check,
// if not nil, sees each row.
func streamLetter(d *t4.Decoder, data, row []byte, check func(y int, row []byte)) (int, error) {
	d.ResetStream()
	rows := 0
	for n := 0; ; {
		n = min(n+letterFeed, len(data))
		d.Feed(data[:n], n == len(data))
		for {
			err := d.Next(row)
			if err == nil {
				if check != nil {
					check(rows, row)
				}
				rows++
				continue
			}
			if errors.Is(err, t4.ErrNeedMore) {
				break
			}
			if err == io.EOF {
				return rows, nil
			}
			return rows, err
		}
	}
}

// TestLetterStream: the letter decodes to itself in every coding, whole
// and streamed, and streaming it allocates nothing.
func TestLetterStream(t *testing.T) {
	p := letterPage(t)
	for _, c := range letterCodings {
		data := encodeLetter(t, p, c.opt)
		row := make([]byte, p.Stride())
		d, err := t4.NewDecoder(bytes.NewReader(data), c.opt)
		if err != nil {
			t.Fatal(err)
		}
		for y := 0; ; y++ {
			err := d.Next(row)
			if err == io.EOF && y == p.Rows {
				break
			}
			if err != nil || y >= p.Rows || !bytes.Equal(row, p.Row(y)) {
				t.Fatalf("%s whole: row %d of %d: %v", c.name, y, p.Rows, err)
			}
		}
		bad := -1
		rows, err := streamLetter(d, data, row, func(y int, row []byte) {
			if bad < 0 && !bytes.Equal(row, p.Row(y)) {
				bad = y
			}
		})
		if err != nil || rows != p.Rows || bad >= 0 {
			t.Fatalf("%s stream: %d rows of %d, %v, row %d differs", c.name, rows, p.Rows, err, bad)
		}
		if a := testing.AllocsPerRun(3, func() { streamLetter(d, data, row, nil) }); a != 0 {
			t.Fatalf("%s: %v allocations per streamed page", c.name, a)
		}
	}
}

// letterGolden is the first twelve hex digits of the SHA-256 of the letter
// page's rows (page) and of its octets in each of letterCodings, as the
// encoder wrote them before its word-at-a-time rewrite.
var letterGolden = map[string]string{
	"page": "ebacf833d88e",
	"MH":   "6509f1a9b035",
	"MR":   "cd33fa6f92c6",
	"MMR":  "37b5241a976a",
}

func shortHash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])[:12]
}

// TestLetterGolden: the encoder codes the letter page as it did when
// letterGolden was recorded. A letter rendered otherwise (a change to
// package document) cannot be compared and skips the test.
func TestLetterGolden(t *testing.T) {
	p := letterPage(t)
	var rows []byte
	for y := range p.Rows {
		rows = append(rows, p.Row(y)...)
	}
	if h := shortHash(rows); h != letterGolden["page"] {
		t.Skipf("the letter page renders to %s, not the %s the golden hashes were recorded from", h, letterGolden["page"])
	}
	for _, c := range letterCodings {
		if h := shortHash(encodeLetter(t, p, c.opt)); h != letterGolden[c.name] {
			t.Errorf("%s: %s, want %s", c.name, h, letterGolden[c.name])
		}
	}
}

// BenchmarkLetterEncode codes the letter page.
func BenchmarkLetterEncode(b *testing.B) {
	p := letterPage(b)
	for _, c := range letterCodings {
		b.Run(c.name, func(b *testing.B) {
			e, _ := t4.NewEncoder(discard{}, c.opt)
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				e.Reset(discard{})
				for y := range p.Rows {
					e.WriteRow(p.Row(y))
				}
				e.Close()
			}
			reportCPU(b, start)
		})
	}
}

// BenchmarkLetterPrepare prepares the letter page (t4.Prepare, as a media
// server's Submit does for each job): its B/op is the garbage a job's
// page leaves.
func BenchmarkLetterPrepare(b *testing.B) {
	p := letterPage(b)
	for _, c := range letterCodings {
		opt := c.opt
		opt.FillOrder = t4.MSBFirst // Prepare codes without fill order; readers apply it
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				y := 0
				if _, err := t4.Prepare(opt, func(row []byte) error {
					if y == p.Rows {
						return io.EOF
					}
					copy(row, p.Row(y))
					y++
					return nil
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLetterDecode decodes the letter page read whole from a reader
// ("whole") and fed letterFeed octets at a time ("stream").
func BenchmarkLetterDecode(b *testing.B) {
	p := letterPage(b)
	for _, c := range letterCodings {
		data := encodeLetter(b, p, c.opt)
		row := make([]byte, p.Stride())
		b.Run(c.name+"/whole", func(b *testing.B) {
			rd := bytes.NewReader(data)
			d, _ := t4.NewDecoder(rd, c.opt)
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			start := cpuTime()
			for b.Loop() {
				rd.Reset(data)
				d.Reset(rd)
				n := 0
				for d.Next(row) == nil {
					n++
				}
				if n != p.Rows {
					b.Fatalf("%d rows", n)
				}
			}
			reportCPU(b, start)
		})
		b.Run(c.name+"/stream", func(b *testing.B) {
			d, _ := t4.NewDecoder(nil, c.opt)
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			start := cpuTime()
			for b.Loop() {
				if n, err := streamLetter(d, data, row, nil); n != p.Rows || err != nil {
					b.Fatalf("%d rows, %v", n, err)
				}
			}
			reportCPU(b, start)
		})
	}
}

// BenchmarkLetterCalls decodes the letter in 2000 calls at once, the way a
// media server does: each call has its own decoder and its own copy of the
// page, and each 20 ms tick every call is fed the 36 octets V.17 brings
// at 14400 bit/s, decoded as t30's pageRx does (a try when 256 octets
// have come since the last that wanted more). The state of a call is cold
// in the caches by its next turn, as it is among thousands of calls.
// cpu-ns/page is the cost of one call's page.
func BenchmarkLetterCalls(b *testing.B) {
	const calls, perTick, step = 2000, 36, 256
	p := letterPage(b)
	for _, c := range letterCodings {
		data := encodeLetter(b, p, c.opt)
		b.Run(c.name, func(b *testing.B) {
			type call struct {
				d    *t4.Decoder
				data []byte
				row  []byte
				n    int // octets come so far
				fed  int // octets there were when the decoder last wanted more
				rows int
			}
			cs := make([]call, calls)
			for i := range cs {
				d, _ := t4.NewDecoder(nil, c.opt)
				cs[i] = call{d: d, data: bytes.Clone(data), row: make([]byte, p.Stride())}
			}
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				for i := range cs {
					cs[i].d.ResetStream()
					cs[i].n, cs[i].fed, cs[i].rows = 0, 0, 0
				}
				for busy := true; busy; {
					busy = false
					for i := range cs {
						k := &cs[i]
						if k.n == len(k.data) {
							continue
						}
						busy = true
						k.n = min(k.n+perTick, len(k.data))
						final := k.n == len(k.data)
						if !final && k.n < k.fed+step {
							continue
						}
						k.d.Feed(k.data[:k.n], final)
						for {
							err := k.d.Next(k.row)
							if err == nil {
								k.rows++
								continue
							}
							if errors.Is(err, t4.ErrNeedMore) {
								k.fed = k.n
							} else if k.rows != p.Rows {
								b.Fatalf("%d rows, %v", k.rows, err)
							}
							break
						}
					}
				}
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N*calls), "cpu-ns/page")
		})
	}
}
