package t4

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"testing"

	"golang.org/x/image/ccitt"
)

var widths = []int{1728, 2048, 2432, 3456, 4096, 4864, 13, 1}

type page struct {
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

func hline(r []byte, x0, x1, width int) {
	for x := max(x0, 0); x < x1 && x < width; x++ {
		setPix(r, x)
	}
}

// genPages draws the test pages for one width.
func genPages(width, h int) []page {
	rng := rand.New(rand.NewSource(int64(width)))
	var ps []page
	add := func(name string, rows [][]byte) { ps = append(ps, page{name, width, rows}) }

	add("white", newRows(width, h))
	black := newRows(width, h)
	for _, r := range black {
		hline(r, 0, width, width)
	}
	add("black", black)

	diag := newRows(width, h)
	for y, r := range diag {
		setPix(r, (y*7)%width)
		setPix(r, width-1-(y*3)%width)
	}
	add("diagonal", diag)

	checker := newRows(width, h)
	for y, r := range checker {
		for x := 0; x < width; x++ {
			if (x/8+y/8)&1 == 1 {
				setPix(r, x)
			}
		}
	}
	add("checkerboard", checker)

	alt := newRows(width, h)
	for y, r := range alt {
		for x := y & 1; x < width; x += 2 {
			setPix(r, x)
		}
	}
	add("alternating", alt)

	noise := newRows(width, h)
	for _, r := range noise {
		rng.Read(r)
	}
	add("noise", noise)

	add("text", textPage(width, h, rng))
	return ps
}

// textPage draws a "real-looking" page: a header line, text blocks of glyph-like marks
// and a ruled table.
func textPage(width, h int, rng *rand.Rand) [][]byte {
	rows := newRows(width, h)
	margin := width / 16
	// Header: a thin rule and a line of dense glyphs.
	for y := 2; y < 14 && y < h; y++ {
		for x := margin; x < width-margin; x += 9 {
			if rng.Intn(3) > 0 {
				hline(rows[y], x, x+1+rng.Intn(6), width)
			}
		}
	}
	if h > 16 {
		hline(rows[16], margin, width-margin, width)
	}
	// Text blocks: lines of words made of glyphs 8 px wide, 12 px high.
	y := 24
	for ; y+14 < h*2/3; y += 16 {
		x := margin
		for x < width-margin-40 {
			wl := 2 + rng.Intn(7)
			for g := 0; g < wl; g++ {
				seed := rng.Int63()
				for gy := 0; gy < 12; gy++ {
					bitsRow := byte(seed >> uint((gy*5)%56))
					for gx := 0; gx < 7; gx++ {
						if bitsRow&(1<<uint(gx)) != 0 && x+gx < width {
							setPix(rows[y+gy], x+gx)
						}
					}
				}
				x += 9
			}
			x += 9
		}
	}
	// Ruled table.
	for ty := y; ty < h; ty++ {
		if (ty-y)%20 == 0 {
			hline(rows[ty], margin, width-margin, width)
			continue
		}
		for tx := margin; tx <= width-margin; tx += max(width/6, 1) {
			if tx < width {
				setPix(rows[ty], tx)
			}
		}
	}
	return rows
}

func encodePage(t testing.TB, opt Options, rows [][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	e, err := NewEncoder(&buf, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := e.WriteRow(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decodePage(t testing.TB, opt Options, data []byte) ([][]byte, Stats, error) {
	t.Helper()
	d, err := NewDecoder(bytes.NewReader(data), opt)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for {
		row := make([]byte, (opt.Width+7)/8)
		err := d.Next(row)
		if err == io.EOF {
			return out, d.Stats(), nil
		}
		if err != nil {
			return out, d.Stats(), err
		}
		out = append(out, row)
	}
}

func maskLast(r []byte, width int) {
	if rem := width & 7; rem != 0 {
		r[len(r)-1] &= 0xFF << uint(8-rem)
	}
}

func samePage(t *testing.T, name string, want, got [][]byte, width int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", name, len(got), len(want))
	}
	for y := range want {
		w := append([]byte(nil), want[y]...)
		maskLast(w, width)
		if !bytes.Equal(w, got[y]) {
			t.Fatalf("%s: row %d differs", name, y)
		}
	}
}

type codingCase struct {
	name string
	opt  Options
}

var codings = []codingCase{
	{"MH", Options{Coding: MH}},
	{"MR-K2", Options{Coding: MR, K: 2}},
	{"MR-K4", Options{Coding: MR, K: 4}},
	{"MMR", Options{Coding: MMR}},
	{"MH-fill-align-LSB", Options{Coding: MH, MinBitsPerLine: 192, AlignEOL: true, FillOrder: LSBFirst}},
	{"MR-K4-fill-LSB", Options{Coding: MR, K: 4, MinBitsPerLine: 400, FillOrder: LSBFirst}},
	{"MMR-LSB", Options{Coding: MMR, FillOrder: LSBFirst}},
}

func TestRoundTrip(t *testing.T) {
	for _, w := range widths {
		for _, p := range genPages(w, 40) {
			for _, c := range codings {
				opt := c.opt
				opt.Width = w
				data := encodePage(t, opt, p.rows)
				got, st, err := decodePage(t, opt, data)
				name := fmt.Sprintf("%s/%s/%d", c.name, p.name, w)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if st.BadRows != 0 || !st.EndOfPage {
					t.Fatalf("%s: stats %+v", name, st)
				}
				samePage(t, name, p.rows, got, w)
			}
		}
	}
}

// TestFillBits checks the minimum line length and EOL alignment of T.4 §4.1.3.
func TestFillBits(t *testing.T) {
	const w = 1728
	rows := genPages(w, 30)[6].rows // text
	for _, c := range []Coding{MH, MR} {
		opt := Options{Coding: c, Width: w, K: 4, MinBitsPerLine: 1000, AlignEOL: true}
		data := encodePage(t, opt, rows)
		// Find the EOLs in the bit stream: each must end on an octet boundary and lines
		// between them must be >= 1000 bits (data+fill+EOL).
		var eolEnds []int
		zeros := 0
		for i := 0; i < len(data)*8; i++ {
			b := data[i>>3] >> uint(7-i&7) & 1
			if b == 0 {
				zeros++
				continue
			}
			if zeros >= 11 {
				eolEnds = append(eolEnds, i+1)
			}
			zeros = 0
		}
		if len(eolEnds) != len(rows)+RTCEOLs {
			t.Fatalf("%v: %d EOLs, want %d", c, len(eolEnds), len(rows)+RTCEOLs)
		}
		tag := 0
		if c == MR {
			tag = 1
		}
		for i := 0; i < len(rows)+1; i++ {
			if eolEnds[i]%8 != 0 {
				t.Fatalf("%v: EOL %d ends at bit %d, not aligned", c, i, eolEnds[i])
			}
			if i > 0 && eolEnds[i]-(eolEnds[i-1]+tag) < 1000 {
				t.Fatalf("%v: line %d is %d bits", c, i, eolEnds[i]-eolEnds[i-1]-tag)
			}
		}
	}
}

func bitString(data []byte, n int) string {
	var sb strings.Builder
	for i := 0; i < n; i++ {
		sb.WriteByte('0' + data[i>>3]>>uint(7-i&7)&1)
	}
	return sb.String()
}

// TestKnownCodes encodes small rows and checks the bits against the code tables of
// T.4 (Tables 2, 3, 3a and 4/T.4).
func TestKnownCodes(t *testing.T) {
	white := func(w int) []byte { return make([]byte, (w+7)/8) }
	row := func(w int, blacks ...[2]int) []byte {
		r := white(w)
		for _, b := range blacks {
			hline(r, b[0], b[1], w)
		}
		return r
	}
	const eol = "000000000001"
	cases := []struct {
		name string
		opt  Options
		rows [][]byte
		want string
	}{
		// 8 white: 10011.
		{"MH 8 white", Options{Coding: MH, Width: 8}, [][]byte{white(8)}, eol + "10011"},
		// 2 white 3 black 3 white: 0111 10 1000.
		{"MH 2w3b3w", Options{Coding: MH, Width: 8}, [][]byte{row(8, [2]int{2, 5})}, eol + "0111" + "10" + "1000"},
		// starts black: white 0 = 00110101, black 8 = 000101.
		{"MH 8 black", Options{Coding: MH, Width: 8}, [][]byte{row(8, [2]int{0, 8})}, eol + "00110101" + "000101"},
		// 1728 white: make-up 1728 = 010011011, term 0 = 00110101.
		{"MH 1728 white", Options{Coding: MH, Width: 1728}, [][]byte{white(1728)}, eol + "010011011" + "00110101"},
		// 64 white 1664 black: 11011 00110101 | black make-up 1664 0000001100100, term 0 0000110111.
		{"MH 64w 1664b", Options{Coding: MH, Width: 1728}, [][]byte{row(1728, [2]int{64, 1728})},
			eol + "11011" + "00110101" + "0000001100100" + "0000110111"},
		// 2560 white: extended make-up 000000011111 + term 0.
		{"MH 2560 white", Options{Coding: MH, Width: 2560}, [][]byte{white(2560)}, eol + "000000011111" + "00110101"},
		// 1792 black after 0 white: 00110101 + 00000001000 + black term 0.
		{"MH 1792 black", Options{Coding: MH, Width: 1792}, [][]byte{row(1792, [2]int{0, 1792})}, eol + "00110101" + "00000001000" + "0000110111"},
		// 4864 white: 2560 + 2304 (000000010111) + term 0.
		{"MH 4864 white", Options{Coding: MH, Width: 4864}, [][]byte{white(4864)}, eol + "000000011111" + "000000010111" + "00110101"},
		// MMR, all-white reference: white row is V0 (1). A row black at 3..5: b1 = 8 (none),
		// so H 001 + white 3 (1000) + black 2 (11), then a0 = 5, a1 = 8 = b1: V0.
		{"MMR", Options{Coding: MMR, Width: 8}, [][]byte{white(8), row(8, [2]int{3, 5})}, "1" + "001" + "1000" + "11" + "1"},
		// MMR: the same row again: V0 V0 V0.
		{"MMR V0", Options{Coding: MMR, Width: 8}, [][]byte{row(8, [2]int{3, 5}), row(8, [2]int{3, 5})},
			"001" + "1000" + "11" + "1" + "1" + "1" + "1"},
		// MMR: VR1 (011) then VL1 (010): black 4..5 below 3..5, end V0.
		{"MMR VR1 VL1", Options{Coding: MMR, Width: 8}, [][]byte{row(8, [2]int{3, 5}), row(8, [2]int{4, 6})},
			"001" + "1000" + "11" + "1" + "011" + "011" + "1"},
		// MMR: pass: ref black 2..4, coding line white: b1=2,b2=4 < a1=8: P (0001), then V0.
		{"MMR pass", Options{Coding: MMR, Width: 8}, [][]byte{row(8, [2]int{2, 4}), white(8)},
			"001" + "0111" + "11" + "1" + "0001" + "1"},
		// MMR: VR3 / VL3 / VR2 / VL2.
		{"MMR VR3", Options{Coding: MMR, Width: 16}, [][]byte{row(16, [2]int{4, 12}), row(16, [2]int{7, 9})},
			"001" + "1011" + "000101" + "1" + "0000011" + "0000010" + "1"},
		{"MMR VR2 VL2", Options{Coding: MMR, Width: 16}, [][]byte{row(16, [2]int{4, 12}), row(16, [2]int{6, 10})},
			"001" + "1011" + "000101" + "1" + "000011" + "000010" + "1"},
		// MR K=2: tag 1 + 1-D row, then tag 0 + 2-D row.
		{"MR", Options{Coding: MR, Width: 8, K: 2}, [][]byte{white(8), white(8)}, eol + "1" + "10011" + eol + "0" + "1"},
	}
	for _, c := range cases {
		data := encodePage(t, c.opt, c.rows)
		got := bitString(data, len(c.want))
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
		// What follows is RTC or EOFB.
		tail := bitString(data, len(data)*8)[len(c.want):]
		var end string
		switch c.opt.Coding {
		case MH:
			end = strings.Repeat(eol, 6)
		case MR:
			end = strings.Repeat(eol+"1", 6)
		case MMR:
			end = eol + eol
		}
		if !strings.HasPrefix(tail, end) || strings.Trim(tail[len(end):], "0") != "" || len(tail)-len(end) >= 8 {
			t.Errorf("%s: page end %s, want %s + padding", c.name, tail, end)
		}
	}
}

// TestCCITT cross-checks our MH and MMR streams with golang.org/x/image/ccitt.
func TestCCITT(t *testing.T) {
	for _, w := range []int{1728, 2048, 2432, 3456, 4096, 4864} {
		for _, p := range genPages(w, 24) {
			for _, c := range []Coding{MH, MMR} {
				for _, fo := range []FillOrder{MSBFirst, LSBFirst} {
					opt := Options{Coding: c, Width: w, FillOrder: fo}
					data := encodePage(t, opt, p.rows)
					sf := ccitt.Group3
					if c == MMR {
						sf = ccitt.Group4
					}
					order := ccitt.MSB
					if fo == LSBFirst {
						order = ccitt.LSB
					}
					r := ccitt.NewReader(bytes.NewReader(data), order, sf, w, len(p.rows),
						&ccitt.Options{Invert: true})
					out, err := io.ReadAll(r)
					name := fmt.Sprintf("%v/%d/%s/fo%d", c, w, p.name, fo)
					if err != nil {
						t.Fatalf("%s: ccitt: %v", name, err)
					}
					nb := (w + 7) / 8
					if len(out) != nb*len(p.rows) {
						t.Fatalf("%s: ccitt gave %d bytes, want %d", name, len(out), nb*len(p.rows))
					}
					got := make([][]byte, len(p.rows))
					for y := range got {
						got[y] = out[y*nb : (y+1)*nb]
						maskLast(got[y], w)
					}
					samePage(t, name, p.rows, got, w)
				}
			}
		}
	}
}

// TestConcealment flips bits in coded MH and MR pages and checks the receiver behaviour.
func TestConcealment(t *testing.T) {
	const w = 1728
	rows := textPage(w, 200, rand.New(rand.NewSource(7)))
	for _, c := range []codingCase{{"MH", Options{Coding: MH}}, {"MR-K4", Options{Coding: MR, K: 4}}} {
		opt := c.opt
		opt.Width = w
		data := encodePage(t, opt, rows)
		// Locate the EOL bit positions so damage goes into a known row's data.
		var eolEnd []int
		zeros := 0
		for i := 0; i < len(data)*8; i++ {
			if data[i>>3]>>uint(7-i&7)&1 == 0 {
				zeros++
				continue
			}
			if zeros >= 11 {
				eolEnd = append(eolEnd, i+1)
			}
			zeros = 0
		}
		rng := rand.New(rand.NewSource(3))
		for trial := 0; trial < 20; trial++ {
			bad := append([]byte(nil), data...)
			row := 30 + rng.Intn(150)
			// Flip a few bits inside the row's data (between its EOL and the next).
			start, end := eolEnd[row], eolEnd[row+1]-12
			if end-start < 4 {
				continue
			}
			for k := 0; k < 3; k++ {
				b := start + rng.Intn(end-start)
				bad[b>>3] ^= 0x80 >> uint(b&7)
			}
			got, st, err := decodePage(t, opt, bad)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			// Damage may swallow the EOL after the row (two rows merge) or fake one.
			if len(got) < len(rows)-2 || len(got) > len(rows)+2 {
				t.Fatalf("%s trial %d: %d rows, want %d", c.name, trial, len(got), len(rows))
			}
			shift := len(got) - len(rows)
			// Rows before the damage and from the next 1-D row on (counted from the
			// end of the page) are exact.
			next1D := row + 2
			if opt.Coding == MR {
				next1D = (row/opt.K+1)*opt.K + opt.K
			}
			for y := range rows {
				if y < row && !bytes.Equal(got[y], rows[y]) {
					t.Fatalf("%s trial %d: row %d wrong (damage in row %d)", c.name, trial, y, row)
				}
				if y >= next1D && !bytes.Equal(got[y+shift], rows[y]) {
					t.Fatalf("%s trial %d: row %d wrong (damage in row %d)", c.name, trial, y, row)
				}
			}
			if st.BadRows > next1D-row+2 || st.LongestBadRun > next1D-row+2 {
				t.Fatalf("%s trial %d: stats %+v, damage in row %d", c.name, trial, st, row)
			}
			// A flip may turn a code into another valid one of the same length; count
			// how often the damage went unseen instead of failing.
			if st.BadRows == 0 && !bytes.Equal(got[row], rows[row]) {
				t.Logf("%s trial %d: undetected damage in row %d", c.name, trial, row)
			}
			if st.BadRows > 0 && shift == 0 {
				// Concealed rows repeat the last good row.
				if !bytes.Equal(got[row], got[row-1]) && bytes.Equal(got[row], rows[row]) {
					t.Fatalf("%s trial %d: bad row not concealed", c.name, trial)
				}
			}
		}
		// Damage an EOL: two rows merge into one bad row; the rest are exact.
		bad := append([]byte(nil), data...)
		b := eolEnd[50] - 1
		bad[b>>3] ^= 0x80 >> uint(b&7)
		got, st, err := decodePage(t, opt, bad)
		if err != nil {
			t.Fatal(err)
		}
		if st.BadRows == 0 || st.LongestBadRun == 0 || st.BadRows > opt.K+1 {
			t.Fatalf("%s: EOL damage: stats %+v", c.name, st)
		}
		if len(got) < len(rows)-1 {
			t.Fatalf("%s: EOL damage: %d rows", c.name, len(got))
		}
		// The last rows (after resync) are exact, shifted by the lost row.
		for k := 1; k <= 50; k++ {
			if !bytes.Equal(got[len(got)-k], rows[len(rows)-k]) {
				t.Fatalf("%s: EOL damage: row %d from the end wrong", c.name, k)
			}
		}
	}
}

func TestMMRCorrupt(t *testing.T) {
	const w = 1728
	rows := textPage(w, 100, rand.New(rand.NewSource(9)))
	opt := Options{Coding: MMR, Width: w}
	data := encodePage(t, opt, rows)
	bad := append([]byte(nil), data...)
	for i := len(bad) / 2; i < len(bad)/2+8; i++ {
		bad[i] = 0 // eight zero octets: no code starts with so many zeros
	}
	got, _, err := decodePage(t, opt, bad)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err %v, want ErrCorrupt", err)
	}
	if len(got) == 0 || len(got) >= len(rows) {
		t.Fatalf("%d rows before the error", len(got))
	}
	t.Logf("MMR stopped after %d rows: %v", len(got), err)
	// Truncated stream.
	_, _, err = decodePage(t, opt, data[:len(data)/3])
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("truncated: err %v, want ErrCorrupt", err)
	}
}

func TestLimits(t *testing.T) {
	if _, err := NewEncoder(io.Discard, Options{Coding: MH, Width: MaxWidth + 1}); !errors.Is(err, ErrWidth) {
		t.Fatal(err)
	}
	if _, err := NewDecoder(nil, Options{Coding: MH, Width: 0}); !errors.Is(err, ErrWidth) {
		t.Fatal(err)
	}
	if _, err := NewDecoder(nil, Options{Coding: 9, Width: 8}); !errors.Is(err, ErrCoding) {
		t.Fatal(err)
	}
	if _, err := NewEncoder(io.Discard, Options{Coding: MH, Width: 8, FillOrder: 3}); !errors.Is(err, ErrFillOrder) {
		t.Fatal(err)
	}
	rows := newRows(64, 50)
	for _, c := range []Coding{MH, MR, MMR} {
		data := encodePage(t, Options{Coding: c, Width: 64}, rows)
		got, _, err := decodePage(t, Options{Coding: c, Width: 64, MaxRows: 20}, data)
		if !errors.Is(err, ErrTooManyRows) || len(got) != 20 {
			t.Fatalf("%v: err %v after %d rows", c, err, len(got))
		}
	}
	e, _ := NewEncoder(io.Discard, Options{Coding: MH, Width: 64})
	if err := e.WriteRow(make([]byte, 7)); !errors.Is(err, ErrRowSize) {
		t.Fatal(err)
	}
	// A stream of zeros has no EOL; garbage of ones has no EOL.
	for _, fill := range []byte{0, 0xFF} {
		data := bytes.Repeat([]byte{fill}, 10000)
		got, _, err := decodePage(t, Options{Coding: MH, Width: 1728}, data)
		if err != nil || len(got) != 0 {
			t.Fatalf("fill %x: %d rows, %v", fill, len(got), err)
		}
	}
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }

// TestZeroAlloc asserts that coding and decoding a row allocates nothing once warm.
func TestZeroAlloc(t *testing.T) {
	const w = 1728
	rows := textPage(w, 64, rand.New(rand.NewSource(1)))
	for _, c := range codings[:4] {
		opt := c.opt
		opt.Width = w
		e, _ := NewEncoder(nopWriter{}, opt)
		i := 0
		if a := testing.AllocsPerRun(200, func() {
			e.WriteRow(rows[i%len(rows)])
			i++
		}); a != 0 {
			t.Errorf("%s encoder: %v allocs/row", c.name, a)
		}
		data := encodePage(t, opt, rows)
		rd := bytes.NewReader(data)
		d, _ := NewDecoder(rd, opt)
		row := make([]byte, w/8)
		if a := testing.AllocsPerRun(50, func() {
			if err := d.Next(row); err != nil {
				rd.Reset(data)
				d.Reset(rd)
			}
		}); a != 0 {
			t.Errorf("%s decoder: %v allocs/row", c.name, a)
		}
	}
}

// TestCompression logs the compression ratio of each coding on the test pages.
func TestCompression(t *testing.T) {
	const w, h = 1728, 400
	for _, p := range genPages(w, h) {
		raw := w / 8 * h
		line := fmt.Sprintf("%-13s", p.name)
		for _, c := range codings[:4] {
			opt := c.opt
			opt.Width = w
			n := len(encodePage(t, opt, p.rows))
			line += fmt.Sprintf(" %s %7.2f", c.name, float64(raw)/float64(n))
		}
		t.Log(line)
	}
}

func fuzzDecode(f *testing.F, c Coding) {
	for _, w := range []int{1728, 64} {
		for _, p := range genPages(w, 6)[:7] {
			f.Add(encodePage(f, Options{Coding: c, Width: w, K: 2}, p.rows), uint16(w))
		}
	}
	f.Add([]byte{0, 1, 0xFF, 0, 0x10}, uint16(8))
	row := make([]byte, MaxWidth/8)
	decs := map[int]*Decoder{}
	f.Fuzz(func(t *testing.T, data []byte, w16 uint16) {
		w := int(w16)%MaxWidth + 1
		if w > 2048 && w != 4864 {
			w = 1728
		}
		d := decs[w]
		if d == nil {
			var err error
			d, err = NewDecoder(nil, Options{Coding: c, Width: w, MaxRows: 3000})
			if err != nil {
				t.Fatal(err)
			}
			decs[w] = d
		}
		d.Reset(bytes.NewReader(data))
		for n := 0; ; n++ {
			if n > 3001 {
				t.Fatal("decoder does not stop")
			}
			if err := d.Next(row); err != nil {
				break
			}
		}
		st := d.Stats()
		if st.BadRows > st.Rows || st.LongestBadRun > st.BadRows {
			t.Fatalf("stats %+v", st)
		}
	})
}

func FuzzDecodeMH(f *testing.F)  { fuzzDecode(f, MH) }
func FuzzDecodeMR(f *testing.F)  { fuzzDecode(f, MR) }
func FuzzDecodeMMR(f *testing.F) { fuzzDecode(f, MMR) }

func benchPage(b *testing.B) [][]byte {
	return textPage(1728, 2287, rand.New(rand.NewSource(5)))
}

func BenchmarkEncode(b *testing.B) {
	rows := benchPage(b)
	for _, c := range codings[:4] {
		b.Run(c.name, func(b *testing.B) {
			opt := c.opt
			opt.Width = 1728
			e, _ := NewEncoder(nopWriter{}, opt)
			b.ReportAllocs()
			for b.Loop() {
				e.Reset(nopWriter{})
				for _, r := range rows {
					e.WriteRow(r)
				}
				e.Close()
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	rows := benchPage(b)
	for _, c := range codings[:4] {
		b.Run(c.name, func(b *testing.B) {
			opt := c.opt
			opt.Width = 1728
			data := encodePage(b, opt, rows)
			rd := bytes.NewReader(data)
			d, _ := NewDecoder(rd, opt)
			row := make([]byte, 1728/8)
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				rd.Reset(data)
				d.Reset(rd)
				n := 0
				for d.Next(row) == nil {
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
