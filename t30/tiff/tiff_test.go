package tiff

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faxd/faxd/t30/t4"
)

var widths = []int{1728, 2048, 2432}

// testPage is a named page of rows.
type testPage struct {
	name  string
	width int
	rows  [][]byte
}

func newRows(width, n int) [][]byte {
	rows := make([][]byte, n)
	for i := range rows {
		rows[i] = make([]byte, (width+7)/8)
	}
	return rows
}

func setPix(r []byte, x int) { r[x>>3] |= 0x80 >> uint(x&7) }

func hline(r []byte, x0, x1 int) {
	for x := x0; x < x1; x++ {
		setPix(r, x)
	}
}

// textRows draws text-like rows: lines of glyphs built from two-pixel strokes (bars,
// stems, diagonals), with margins and line spacing, about 10 pt at fine resolution.
func textRows(width, h int, rng *rand.Rand) [][]byte {
	rows := newRows(width, h)
	const gw, gh = 20, 22 // glyph cell
	type stroke struct{ x0, y0, x1, y1 int }
	segs := []stroke{
		{1, 2, 10, 2}, {1, 10, 10, 10}, {1, 19, 10, 19}, // bars
		{1, 2, 1, 19}, {10, 2, 10, 19}, {5, 2, 5, 19}, // stems
		{1, 19, 10, 2}, {1, 2, 10, 19}, // diagonals
	}
	glyphs := make([][gh]uint16, 60)
	for g := range glyphs {
		for _, s := range segs {
			if rng.Intn(3) != 0 {
				continue
			}
			n := max(abs(s.x1-s.x0), abs(s.y1-s.y0))
			for k := 0; k <= n; k++ {
				x := s.x0 + (s.x1-s.x0)*k/n
				y := s.y0 + (s.y1-s.y0)*k/n
				glyphs[g][y] |= 3 << uint(x)
			}
		}
	}
	margin := width / 12
	for top := 8; top+gh < h; top += gh + 6 + rng.Intn(8) {
		for x := margin; x < width-margin-gw; x += gw {
			if rng.Intn(6) == 0 {
				continue // space
			}
			g := &glyphs[rng.Intn(len(glyphs))]
			for y := 0; y < gh; y++ {
				for b := 0; b < gw; b++ {
					if g[y]&(1<<uint(b)) != 0 {
						setPix(rows[top+y], x+b)
					}
				}
			}
		}
	}
	return rows
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// genPages draws the test pages for one width.
func genPages(width, h int) []testPage {
	rng := rand.New(rand.NewSource(int64(width)))
	var ps []testPage
	add := func(name string, rows [][]byte) { ps = append(ps, testPage{name, width, rows}) }
	add("text", textRows(width, h, rng))
	lines := newRows(width, h)
	for y, r := range lines {
		switch {
		case y%20 == 0:
			hline(r, 0, width)
		case y%7 == 0:
			hline(r, width/3, width/3+y%200)
		}
		setPix(r, (y*5)%width)
		setPix(r, width-1)
	}
	add("lines", lines)
	checker := newRows(width, h)
	for y, r := range checker {
		for x := 0; x < width; x++ {
			if (x/8+y/8)%2 == 0 {
				setPix(r, x)
			}
		}
	}
	add("checkerboard", checker)
	add("white", newRows(width, h))
	black := newRows(width, h)
	for _, r := range black {
		hline(r, 0, width)
	}
	add("black", black)
	noise := newRows(width, h)
	for _, r := range noise {
		rng.Read(r)
		maskRow(r, width)
	}
	add("noise", noise)
	return ps
}

func maskRow(r []byte, width int) {
	if width&7 != 0 {
		r[len(r)-1] &= 0xFF << uint(8-width&7)
	}
}

// wsBuf is an in-memory io.WriteSeeker.
type wsBuf struct {
	b   []byte
	off int
}

func (w *wsBuf) Write(p []byte) (int, error) {
	if n := w.off + len(p); n > len(w.b) {
		w.b = append(w.b, make([]byte, n-len(w.b))...)
	}
	copy(w.b[w.off:], p)
	w.off += len(p)
	return len(p), nil
}

func (w *wsBuf) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		off += int64(w.off)
	case io.SeekEnd:
		off += int64(len(w.b))
	}
	w.off = int(off)
	return off, nil
}

// writeFile writes pages with one spec each; seek chooses the io.WriteSeeker path.
func writeFile(t testing.TB, opt Options, spec PageSpec, pages []testPage, seek bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	var ws wsBuf
	var out io.Writer = &buf
	if seek {
		out = &ws
	}
	w, err := NewWriter(out, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		spec.Width = p.width
		pw, err := w.AddPage(spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.rows {
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
	if seek {
		return ws.b
	}
	return buf.Bytes()
}

// readFile reads every page of a file.
func readFile(t testing.TB, data []byte) ([][][]byte, []PageInfo, []Stats) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var pages [][][]byte
	var infos []PageInfo
	var stats []Stats
	for i := 0; i < r.NumPages(); i++ {
		rr, err := r.Rows(i)
		if err != nil {
			t.Fatal(err)
		}
		info := r.Page(i)
		rows := newRows(info.Width, info.Height)
		for y := range rows {
			if err := rr.Next(rows[y]); err != nil {
				t.Fatalf("page %d row %d: %v", i, y, err)
			}
		}
		if err := rr.Next(make([]byte, len(rows[0]))); err != io.EOF {
			t.Fatalf("page %d: after the last row: %v", i, err)
		}
		pages = append(pages, rows)
		infos = append(infos, info)
		stats = append(stats, rr.Stats())
	}
	return pages, infos, stats
}

func samePage(t testing.TB, name string, want, got [][]byte) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%s: %d rows, want %d", name, len(got), len(want))
	}
	for y := range want {
		if !bytes.Equal(want[y], got[y]) {
			t.Fatalf("%s: row %d differs\nwant %x\n got %x", name, y, want[y], got[y])
		}
	}
}

var allCodings = []Coding{MH, MR, MMR, Uncompressed}

// rtRows is the height of the generated pages in the round trips: one line of text.
const rtRows = 40

func TestRoundTrip(t *testing.T) {
	for _, width := range widths {
		pages := genPages(width, rtRows)
		for _, c := range allCodings {
			for _, fill := range []t4.FillOrder{t4.MSBFirst, t4.LSBFirst} {
				for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
					name := fmt.Sprintf("%d/%v/fill%d/%v", width, c, fill, bo)
					seek := fill == t4.MSBFirst
					rps := 0
					if bo == binary.BigEndian {
						rps = 13 // several strips, the last one short
					}
					opt := Options{ByteOrder: bo, FillOrder: fill, RowsPerStrip: rps}
					spec := PageSpec{Coding: c, Resolution: Fine}
					data := writeFile(t, opt, spec, pages, seek)
					got, infos, stats := readFile(t, data)
					if len(got) != len(pages) {
						t.Fatalf("%s: %d pages, want %d", name, len(got), len(pages))
					}
					for i, p := range pages {
						samePage(t, name+"/"+p.name, p.rows, got[i])
						in := infos[i]
						if in.Coding() != c || in.FillOrder != fill || in.Width != width ||
							in.PageNumber != i || in.PageTotal != len(pages) || in.SubfileType != 2 ||
							in.XRes != 204 || in.YRes != 196 || in.Software != "faxd" || in.Photometric != 0 {
							t.Fatalf("%s page %d: info %+v", name, i, in)
						}
						if rps != 0 && in.Strips != (rtRows+rps-1)/rps {
							t.Fatalf("%s: %d strips", name, in.Strips)
						}
						if stats[i] != (Stats{Rows: rtRows}) {
							t.Fatalf("%s page %d: stats %+v", name, i, stats[i])
						}
					}
				}
			}
		}
	}
}

// TestFileWriter writes through an *os.File (the seeking path with a real file, started
// at a non-zero offset is not supported by TIFF, so from 0).
func TestFileWriter(t *testing.T) {
	pages := genPages(1728, 50)
	f, err := os.Create(filepath.Join(t.TempDir(), "f.tif"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := NewWriter(f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 11, 30, 12, 34, 56, 0, time.Local)
	for i, p := range pages {
		pw, err := w.AddPage(PageSpec{Coding: MR, Resolution: Superfine, Time: when, PageName: "p" + fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.AddPage(PageSpec{}); !errors.Is(err, ErrPageOpen) {
			t.Fatalf("second AddPage: %v", err)
		}
		for _, r := range p.rows {
			pw.WriteRow(r)
		}
		pw.SetQuality(Quality{BadFaxLines: 3, CleanFaxData: Regenerated, ConsecutiveBadFaxLines: 2})
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := pw.WriteRow(p.rows[0]); !errors.Is(err, ErrClosed) {
			t.Fatalf("WriteRow after Close: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	got, infos, _ := readFile(t, data)
	for i, p := range pages {
		samePage(t, p.name, p.rows, got[i])
		in := infos[i]
		tm, err := in.Time()
		if err != nil || !tm.Equal(when) {
			t.Fatalf("time %v %v", tm, err)
		}
		if in.PageName != "p"+fmt.Sprint(i) || in.YRes != 391 || in.Quality == nil ||
			*in.Quality != (Quality{3, Regenerated, 2}) || in.T4Options != T4TwoD {
			t.Fatalf("page %d info %+v q %+v", i, in, in.Quality)
		}
	}
}

func TestResolutions(t *testing.T) {
	rows := genPages(1728, 4)[0].rows
	for _, res := range []Resolution{Standard, Fine, Superfine, R300, R400, {203.2, 97.79}} {
		data := writeFile(t, Options{}, PageSpec{Resolution: res}, []testPage{{"", 1728, rows}}, false)
		_, infos, _ := readFile(t, data)
		if d := infos[0].XRes - res.X + infos[0].YRes - res.Y; d > 1e-9 || d < -1e-9 || infos[0].ResolutionUnit != ResUnitInch {
			t.Errorf("%v: read %v x %v", res, infos[0].XRes, infos[0].YRes)
		}
	}
}

// TestNoRTC checks that G3 pages end without RTC unless asked (RFC 2306) and that a G4
// page ends with EOFB.
func TestNoRTC(t *testing.T) {
	rows := genPages(1728, 10)[0].rows
	for _, c := range []Coding{MH, MR, MMR} {
		for _, rtc := range []bool{false, true} {
			for _, fill := range []t4.FillOrder{t4.MSBFirst, t4.LSBFirst} {
				data := writeFile(t, Options{RTC: rtc, FillOrder: fill}, PageSpec{Coding: c}, []testPage{{"", 1728, rows}}, false)
				r, err := NewReader(bytes.NewReader(data), int64(len(data)))
				if err != nil {
					t.Fatal(err)
				}
				s, _ := r.Strips(0)
				strip := data[s[0].Offset : s[0].Offset+s[0].Size]
				var enc bytes.Buffer
				e, _ := t4.NewEncoder(&enc, t4.Options{Coding: c.t4(), Width: 1728, K: 2, FillOrder: fill})
				for _, row := range rows {
					e.WriteRow(row)
				}
				e.Close()
				full := enc.Bytes()
				if c == MMR || rtc {
					if !bytes.Equal(strip, full) {
						t.Fatalf("%v rtc=%v: strip differs from the t4 page", c, rtc)
					}
					continue
				}
				// Without RTC: the page minus (7*6 or 13*6 bits of) RTC and padding.
				rtcBits := 6 * 12
				if c == MR {
					rtcBits = 6 * 13
				}
				if len(strip) >= len(full) || len(full)-len(strip) > (rtcBits+7)/8+1 || !bytes.Equal(strip[:len(strip)-1], full[:len(strip)-1]) {
					t.Fatalf("%v fill %d: strip %d bytes, page %d", c, fill, len(strip), len(full))
				}
				_, _, st := readFile(t, data)
				if st[0] != (Stats{Rows: 10}) {
					t.Fatalf("%v: %+v", c, st[0])
				}
			}
		}
	}
}

// tb builds small TIFF files field by field for the error and corner-case tests.
type tb struct {
	bo     binary.ByteOrder
	data   []byte
	fields map[uint16]tbField
	next   []uint32
}

type tbField struct {
	typ   uint16
	count uint32
	val   []byte // the 4-byte value field, or the value written out of line when longer
}

func newTB(bo binary.ByteOrder) *tb { return &tb{bo: bo, fields: map[uint16]tbField{}} }

func (b *tb) short(tag uint16, v ...uint16) *tb {
	buf := make([]byte, 2*len(v))
	for i, x := range v {
		b.bo.PutUint16(buf[2*i:], x)
	}
	b.fields[tag] = tbField{typeShort, uint32(len(v)), buf}
	return b
}

func (b *tb) long(tag uint16, v ...uint32) *tb {
	buf := make([]byte, 4*len(v))
	for i, x := range v {
		b.bo.PutUint32(buf[4*i:], x)
	}
	b.fields[tag] = tbField{typeLong, uint32(len(v)), buf}
	return b
}

func (b *tb) raw(tag, typ uint16, count uint32, val []byte) *tb {
	b.fields[tag] = tbField{typ, count, val}
	return b
}

func (b *tb) rational(tag uint16, num, den uint32) *tb {
	buf := make([]byte, 8)
	b.bo.PutUint32(buf, num)
	b.bo.PutUint32(buf[4:], den)
	b.fields[tag] = tbField{typeRational, 1, buf}
	return b
}

// bilevel sets the fields of an uncompressed page of one strip holding data.
func (b *tb) bilevel(width, height int, data []byte) *tb {
	b.data = data
	return b.long(tagImageWidth, uint32(width)).long(tagImageLength, uint32(height)).
		short(tagBitsPerSample, 1).short(tagCompression, 1).short(tagPhotometric, 0).
		long(tagStripOffsets, 8).long(tagRowsPerStrip, uint32(height)).long(tagStripByteCounts, uint32(len(data)))
}

// bytes lays out: header, strip data, out-of-line values, IFD; repeat IFD count times
// chaining them (next pointers from b.next when set).
func (b *tb) bytes(nIFD int) []byte {
	var out []byte
	if b.bo == binary.BigEndian {
		out = append(out, "MM"...)
	} else {
		out = append(out, "II"...)
	}
	out = b.bo.(binary.AppendByteOrder).AppendUint16(out, 42)
	out = append(out, 0, 0, 0, 0)
	out = append(out, b.data...)
	tags := make([]int, 0, len(b.fields))
	for t := range b.fields {
		tags = append(tags, int(t))
	}
	sortInts(tags)
	offs := map[uint16]uint32{}
	for _, t := range tags {
		f := b.fields[uint16(t)]
		if len(f.val) > 4 {
			if len(out)&1 == 1 {
				out = append(out, 0)
			}
			offs[uint16(t)] = uint32(len(out))
			out = append(out, f.val...)
		}
	}
	var ifds []int
	for k := 0; k < nIFD; k++ {
		if len(out)&1 == 1 {
			out = append(out, 0)
		}
		ifds = append(ifds, len(out))
		ab := b.bo.(binary.AppendByteOrder)
		out = ab.AppendUint16(out, uint16(len(tags)))
		for _, t := range tags {
			f := b.fields[uint16(t)]
			out = ab.AppendUint16(out, uint16(t))
			out = ab.AppendUint16(out, f.typ)
			out = ab.AppendUint32(out, f.count)
			if len(f.val) > 4 {
				out = ab.AppendUint32(out, offs[uint16(t)])
			} else {
				var v [4]byte
				copy(v[:], f.val)
				out = append(out, v[:]...)
			}
		}
		out = append(out, 0, 0, 0, 0)
	}
	b.bo.PutUint32(out[4:], uint32(ifds[0]))
	for k := 0; k+1 < len(ifds); k++ {
		b.bo.PutUint32(out[ifds[k]+2+12*len(tags):], uint32(ifds[k+1]))
	}
	for k, n := range b.next {
		if k < len(ifds) {
			b.bo.PutUint32(out[ifds[k]+2+12*len(tags):], n)
		}
	}
	return out
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

func TestResolutionUnit(t *testing.T) {
	for _, c := range []struct {
		unit       uint16
		num, den   uint32
		want, rawV float64
	}{
		{ResUnitInch, 204, 1, 204, 204},
		{ResUnitCM, 77, 1, 77 * 2.54, 77},
		{ResUnitCM, 385, 10, 38.5 * 2.54, 38.5},
		{ResUnitNone, 2, 1, 0, 2},
		{ResUnitInch, 98, 0, 0, 0},
	} {
		data := newTB(binary.LittleEndian).bilevel(8, 1, []byte{0}).
			rational(tagXResolution, c.num, c.den).rational(tagYResolution, c.num, c.den).
			short(tagResolutionUnit, c.unit).bytes(1)
		_, infos, _ := readFile(t, data)
		in := infos[0]
		if d := in.YRes - c.want; d > 1e-9 || d < -1e-9 || in.RawYRes != c.rawV || in.ResolutionUnit != int(c.unit) {
			t.Errorf("%+v: got %v (raw %v unit %d)", c, in.YRes, in.RawYRes, in.ResolutionUnit)
		}
	}
}

// TestPhotometric checks BlackIsZero (1) data comes out inverted, 1 = black, and that a
// FillOrder 2 uncompressed page is bit reversed.
func TestPhotometric(t *testing.T) {
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		data := newTB(bo).bilevel(12, 2, []byte{0x0F, 0xF0, 0xFF, 0x00}).short(tagPhotometric, 1).bytes(1)
		got, _, _ := readFile(t, data)
		samePage(t, "photometric 1", [][]byte{{0xF0, 0x00}, {0x00, 0xF0}}, got[0])
		data = newTB(bo).bilevel(12, 2, []byte{0x01, 0x03, 0x80, 0x0F}).short(tagFillOrder, 2).bytes(1)
		got, _, _ = readFile(t, data)
		samePage(t, "fill order 2", [][]byte{{0x80, 0xC0}, {0x01, 0xF0}}, got[0])
	}
}

func TestStrings(t *testing.T) {
	long := strings.Repeat("x", 3000)
	data := newTB(binary.BigEndian).bilevel(8, 1, []byte{0}).
		raw(tagSoftware, typeASCII, 4, []byte("abc\x00")).
		raw(tagImageDescription, typeASCII, uint32(len(long)+1), append([]byte(long), 0)).
		raw(tagFaxSubAddress, typeASCII, 6, []byte("12345\x00")).
		raw(tagDateTime, typeASCII, 20, []byte("2026:01:02 03:04:05\x00")).
		short(tagPageNumber, 2, 5).
		long(tagBadFaxLines, 7).short(tagCleanFaxData, 2).
		bytes(1)
	_, infos, _ := readFile(t, data)
	in := infos[0]
	if in.Software != "abc" || len(in.Description) != maxString || in.FaxSubAddress != "12345" ||
		in.DateTime != "2026:01:02 03:04:05" || in.PageNumber != 2 || in.PageTotal != 5 ||
		in.Quality == nil || *in.Quality != (Quality{BadFaxLines: 7, CleanFaxData: Unclean}) {
		t.Fatalf("%+v", in)
	}
}

func TestErrors(t *testing.T) {
	le := binary.LittleEndian
	good := func() *tb { return newTB(le).bilevel(8, 2, []byte{1, 2}) }
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrFormat},
		{"short", []byte("II*\x00"), ErrFormat},
		{"order", []byte("IM*\x00\x08\x00\x00\x00"), ErrFormat},
		{"version", []byte("II\x2b\x00\x08\x00\x00\x00"), ErrUnsupported},
		{"version 41", []byte("II\x29\x00\x08\x00\x00\x00"), ErrFormat},
		{"no IFD", []byte("II\x2a\x00\x00\x00\x00\x00"), ErrFormat},
		{"IFD outside", []byte("II\x2a\x00\x00\x01\x00\x00"), ErrRange},
		{"IFD cut", append([]byte("II\x2a\x00\x08\x00\x00\x00"), 3, 0, 1, 2), ErrRange},
		{"zero entries", []byte("II\x2a\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00"), ErrLimit},
		{"no width", func() []byte { b := good(); delete(b.fields, tagImageWidth); return b.bytes(1) }(), ErrMissing},
		{"no strips", func() []byte { b := good(); delete(b.fields, tagStripOffsets); return b.bytes(1) }(), ErrMissing},
		{"width 0", good().long(tagImageWidth, 0).bytes(1), ErrLimit},
		{"too wide", good().long(tagImageWidth, t4.MaxWidth+1).bytes(1), ErrLimit},
		{"too long", good().long(tagImageLength, MaxHeight+1).bytes(1), ErrLimit},
		{"8 bits", good().short(tagBitsPerSample, 8).bytes(1), ErrUnsupported},
		{"RGB", good().short(tagSamplesPerPixel, 3).bytes(1), ErrUnsupported},
		{"LZW", good().short(tagCompression, 5).bytes(1), ErrUnsupported},
		{"palette", good().short(tagPhotometric, 3).bytes(1), ErrUnsupported},
		{"fill 3", good().short(tagFillOrder, 3).bytes(1), ErrUnsupported},
		{"tiled", good().long(tagTileWidth, 16).bytes(1), ErrUnsupported},
		{"rps 0", good().long(tagRowsPerStrip, 0).bytes(1), ErrFormat},
		{"width type", good().raw(tagImageWidth, typeASCII, 2, []byte("8\x00")).bytes(1), ErrFormat},
		{"strip array outside", good().raw(tagStripOffsets, typeLong, 1000, []byte{0, 0, 1, 0}).bytes(1), ErrRange},
		{"strip array type", good().raw(tagStripOffsets, typeRational, 1, []byte{0, 0, 0, 0}).bytes(1), ErrFormat},
		{"loop", loop(good().bytes(2)), ErrIFDLoop},
		{"self loop", func() []byte { d := good().bytes(1); return selfLoop(d) }(), ErrIFDLoop},
		{"next outside", func() []byte { b := good(); b.next = []uint32{1 << 30}; return b.bytes(1) }(), ErrRange},
	}
	for _, c := range cases {
		_, err := NewReader(bytes.NewReader(c.data), int64(len(c.data)))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// Strip data outside the file: found when the page is opened.
	for _, d := range [][]byte{
		good().long(tagStripOffsets, 1<<20).bytes(1),
		good().long(tagStripByteCounts, 1<<20).bytes(1),
	} {
		r, err := NewReader(bytes.NewReader(d), int64(len(d)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Rows(0); !errors.Is(err, ErrRange) {
			t.Errorf("strip outside: %v", err)
		}
	}
	d := good().bytes(1)
	r, _ := NewReader(bytes.NewReader(d), int64(len(d)))
	if _, err := r.Rows(1); !errors.Is(err, ErrPage) {
		t.Errorf("Rows(1): %v", err)
	}
	if r.Page(5).Index != -1 {
		t.Error("Page(5)")
	}
	// Too many pages: MaxPages+1 IFDs sharing one strip.
	d = good().bytes(MaxPages + 1)
	if _, err := NewReader(bytes.NewReader(d), int64(len(d))); !errors.Is(err, ErrTooMany) {
		t.Errorf("too many pages: %v", err)
	}
	d = good().bytes(MaxPages)
	if r, err := NewReader(bytes.NewReader(d), int64(len(d))); err != nil || r.NumPages() != MaxPages {
		t.Errorf("MaxPages pages: %v", err)
	}
	// A size larger than what the ReaderAt holds.
	d = good().bytes(1)
	r, err := NewReader(bytes.NewReader(d[:len(d)-3]), int64(len(d)))
	if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("lying size: %v", err)
	}
	_ = r
}

// loop points the second IFD of a two-IFD file back at the first.
func loop(d []byte) []byte {
	first := binary.LittleEndian.Uint32(d[4:])
	n := int(binary.LittleEndian.Uint16(d[first:]))
	second := binary.LittleEndian.Uint32(d[int(first)+2+12*n:])
	binary.LittleEndian.PutUint32(d[int(second)+2+12*n:], first)
	return d
}

func selfLoop(d []byte) []byte {
	first := binary.LittleEndian.Uint32(d[4:])
	n := int(binary.LittleEndian.Uint16(d[first:]))
	binary.LittleEndian.PutUint32(d[int(first)+2+12*n:], first)
	return d
}

// TestDamagedData checks concealment of G3 coding errors, white rows for data that ends
// early or strips that are missing, and the G4 error.
func TestDamagedData(t *testing.T) {
	p := genPages(1728, 60)[0]
	for _, c := range []Coding{MH, MR, MMR, Uncompressed} {
		data := writeFile(t, Options{}, PageSpec{Coding: c}, []testPage{p}, false)
		r, _ := NewReader(bytes.NewReader(data), int64(len(data)))
		s, _ := r.Strips(0)
		// Cut the strip to a third: the rest is missing.
		cut := bytes.Clone(data)
		le := binary.LittleEndian
		ifd := le.Uint32(cut[4:])
		n := int(le.Uint16(cut[ifd:]))
		for k := 0; k < n; k++ {
			e := cut[int(ifd)+2+12*k:]
			if le.Uint16(e) == tagStripByteCounts {
				le.PutUint32(e[8:], uint32(s[0].Size/3))
			}
		}
		if c == MMR {
			// MMR data ending inside a row is a coding error.
			rd, _ := NewReader(bytes.NewReader(cut), int64(len(cut)))
			rr, _ := rd.Rows(0)
			var err error
			for err == nil {
				err = rr.Next(make([]byte, 216))
			}
			if !errors.Is(err, ErrCorrupt) || rr.Stats().Rows < 15 {
				t.Errorf("MMR cut: %v after %d rows", err, rr.Stats().Rows)
			}
		} else if got, _, st := readFile(t, cut); st[0].MissingRows < 20 || st[0].MissingRows > 45 || st[0].Rows != 60 {
			t.Errorf("%v cut: %+v", c, st[0])
		} else {
			for y := 60 - st[0].MissingRows; y < 60; y++ {
				if !bytes.Equal(got[0][y], make([]byte, 216)) {
					t.Fatalf("%v: missing row %d not white", c, y)
				}
			}
		}
		if c == Uncompressed {
			continue
		}
		// Damage the middle of the strip.
		bad := bytes.Clone(data)
		mid := s[0].Offset + s[0].Size/2
		for k := int64(0); k < 6; k++ {
			bad[mid+k] ^= 0xA5
		}
		rd, _ := NewReader(bytes.NewReader(bad), int64(len(bad)))
		rr, _ := rd.Rows(0)
		row := make([]byte, 216)
		var err error
		for err == nil {
			err = rr.Next(row)
		}
		st1 := rr.Stats()
		switch c {
		case MMR:
			if !errors.Is(err, ErrCorrupt) || !errors.Is(err, t4.ErrCorrupt) {
				t.Errorf("MMR damaged: %v", err)
			}
			if rr.Next(row) != err {
				t.Error("MMR error not sticky")
			}
		default:
			if err != io.EOF || st1.BadRows == 0 || st1.LongestBadRun == 0 || st1.Rows != 60 {
				t.Errorf("%v damaged: %v %+v", c, err, st1)
			}
		}
	}
	// Fewer strips than rows need: the rows of the missing strips are white.
	d := newTB(binary.LittleEndian).bilevel(8, 4, []byte{1, 2}).long(tagRowsPerStrip, 2).bytes(1)
	got, _, st := readFile(t, d)
	samePage(t, "missing strip", [][]byte{{1}, {2}, {0}, {0}}, got[0])
	if st[0].MissingRows != 2 {
		t.Errorf("missing strip: %+v", st[0])
	}
}

func TestWriterErrors(t *testing.T) {
	var buf bytes.Buffer
	if _, err := NewWriter(&buf, Options{FillOrder: 3}); !errors.Is(err, ErrUnsupported) {
		t.Error(err)
	}
	w, _ := NewWriter(&buf, Options{})
	for _, s := range []PageSpec{{Width: t4.MaxWidth + 1}, {Coding: 9}, {Resolution: Resolution{-1, 2}}} {
		if _, err := w.AddPage(s); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
	pw, _ := w.AddPage(PageSpec{})
	if err := pw.WriteRow(make([]byte, 3)); !errors.Is(err, t4.ErrRowSize) {
		t.Error(err)
	}
	if err := pw.Close(); !errors.Is(err, ErrNoRows) {
		t.Error(err)
	}
	if err := w.Close(); !errors.Is(err, ErrNoRows) {
		t.Error(err)
	}
	if err := w.Close(); !errors.Is(err, ErrClosed) {
		t.Error(err)
	}
	// An open page is closed by Writer.Close.
	buf.Reset()
	w, _ = NewWriter(&buf, Options{})
	pw, _ = w.AddPage(PageSpec{})
	pw.WriteRow(make([]byte, 216))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, infos, _ := readFile(t, buf.Bytes()); infos[0].Height != 1 || infos[0].PageTotal != 1 {
		t.Errorf("%+v", infos[0])
	}
}

func benchRows() [][]byte { return textRows(1728, 2287, rand.New(rand.NewSource(5))) }

// BenchmarkWrite writes an A4 fine-resolution text page.
func BenchmarkWrite(b *testing.B) {
	rows := benchRows()
	for _, c := range allCodings {
		b.Run(c.String(), func(b *testing.B) {
			var buf bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				w, _ := NewWriter(&buf, Options{})
				pw, _ := w.AddPage(PageSpec{Coding: c, Resolution: Fine})
				for _, r := range rows {
					pw.WriteRow(r)
				}
				pw.Close()
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
			b.ReportMetric(float64(buf.Len()), "bytes/page")
		})
	}
}

// BenchmarkRead reads an A4 fine-resolution text page.
func BenchmarkRead(b *testing.B) {
	rows := benchRows()
	for _, c := range allCodings {
		b.Run(c.String(), func(b *testing.B) {
			data := writeFile(b, Options{}, PageSpec{Coding: c, Resolution: Fine}, []testPage{{"", 1728, rows}}, false)
			row := make([]byte, 216)
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				r, err := NewReader(bytes.NewReader(data), int64(len(data)))
				if err != nil {
					b.Fatal(err)
				}
				rr, _ := r.Rows(0)
				n := 0
				for rr.Next(row) == nil {
					n++
				}
				if n != len(rows) {
					b.Fatalf("%d rows", n)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}
