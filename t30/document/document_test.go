package document

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/image/tiff"
)

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Format
	}{
		{"\x89PNG\r\n\x1a\n....", PNG},
		{"\xff\xd8\xff\xe0", JPEG},
		{"GIF89a", GIF},
		{"GIF87a", GIF},
		{"II*\x00\x08\x00\x00\x00", TIFF},
		{"MM\x00*", TIFF},
		{"%PDF-1.7\n", PDF},
		{"junk before\n%PDF-1.4", PDF},
		{"%!PS-Adobe-3.0\n", PostScript},
		{"Hello\tworld\r\n\fpage 2\n", Text},
		{"caf\xe9 cr\xe8me\n", Text}, // Latin-1
		{"bin\x00ary", Unknown},
		{"\x01\x02\x03\x04\x05", Unknown},
		{"", Unknown},
	} {
		if got := Sniff([]byte(c.in)); got != c.want {
			t.Errorf("Sniff(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestResolution(t *testing.T) {
	for _, c := range []struct {
		r          Resolution
		a4, b4, a3 int
		rowsA4     int
	}{
		{Standard, 1728, 2048, 2432, 1146},
		{Fine, 1728, 2048, 2432, 2292},
		{Superfine, 1728, 2048, 2432, 4572},
		{R300, 2592, 3072, 3648, 3508},
		{R400, 3456, 4096, 4864, 4677},
	} {
		if g := [3]int{c.r.Width(A4), c.r.Width(B4), c.r.Width(A3)}; g != [3]int{c.a4, c.b4, c.a3} {
			t.Errorf("%v widths %v", c.r, g)
		}
		if g := c.r.Rows(A4LengthMM); g != c.rowsA4 {
			t.Errorf("%v A4 rows %d, want %d", c.r, g, c.rowsA4)
		}
	}
}

func TestPageImages(t *testing.T) {
	p := NewPage(1003, 37, Fine)
	rng := rand.New(rand.NewPCG(3, 4))
	for y := 0; y < p.Rows; y++ {
		for x := 0; x < p.Width; x++ {
			p.Set(x, y, rng.IntN(3) == 0)
		}
	}
	for name, img := range map[string]image.Image{"paletted": p.Paletted(), "gray": p.Gray()} {
		q := PageFromImage(img, Fine)
		if d := diff(t, p, q); d != 0 {
			t.Errorf("%s round trip differs in %.4f of pixels", name, d)
		}
	}
	if p.Black(5, 5) != (p.Row(5)[0]&(0x80>>5) != 0) {
		t.Error("Black and Row disagree")
	}
	// The bits after the last pixel stay zero.
	for y := 0; y < p.Rows; y++ {
		if p.Row(y)[p.Stride()-1]&0x1f != 0 {
			t.Fatal("padding bits set")
		}
	}
	s := NewPage(16, 3, Standard)
	s.Set(1, 1, true)
	q := s.SquarePixels()
	if q.Rows != 6 || q.YRes != 196 || !q.Black(1, 2) || !q.Black(1, 3) || q.Black(1, 1) {
		t.Errorf("SquarePixels: %d rows at %d dpi", q.Rows, q.YRes)
	}
}

func TestWritePNG(t *testing.T) {
	p := NewPage(1728, 50, Standard)
	for x := 0; x < p.Width; x += 3 {
		p.Set(x, x%50, true)
	}
	var b bytes.Buffer
	if err := WritePNG(&b, p); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(t, p, PageFromImage(img, Standard)); d != 0 {
		t.Errorf("PNG differs in %.4f of pixels", d)
	}
	if r := pngResolution(b.Bytes()); r != Standard {
		t.Errorf("pHYs says %v", r)
	}
	t.Logf("PNG preview of %dx%d: %d octets", p.Width, p.Rows, b.Len())
}

// encodeAll encodes img in each raster format, TIFF as a two-image file.
func encodeAll(t *testing.T, img image.Image) map[Format][]byte {
	t.Helper()
	out := map[Format][]byte{}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	out[PNG] = bytes.Clone(b.Bytes())
	b.Reset()
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	out[JPEG] = bytes.Clone(b.Bytes())
	b.Reset()
	if err := gif.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	out[GIF] = bytes.Clone(b.Bytes())
	b.Reset()
	if err := tiff.Encode(&b, img, &tiff.Options{Compression: tiff.Deflate}); err != nil {
		t.Fatal(err)
	}
	out[TIFF] = bytes.Clone(b.Bytes())
	return out
}

func TestDecodeImages(t *testing.T) {
	ctx := context.Background()
	for name, img := range map[string]image.Image{"lineart": lineArt(800, 600), "photo": photo(800, 600)} {
		ref, err := Render(img, Resolution{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := blackFraction(ref...)
		for f, data := range encodeAll(t, img) {
			if Sniff(data) != f {
				t.Fatalf("%s %v sniffed as %v", name, f, Sniff(data))
			}
			pages, err := Decode(ctx, bytes.NewReader(data), nil)
			if err != nil {
				t.Fatalf("%s %v: %v", name, f, err)
			}
			// 800x600 at 204x196: 1728 wide, 600*1728/800*196/204 rows.
			rows := int(math.Round(600 * 1728.0 / 800 * 196 / 204))
			if len(pages) != 1 || pages[0].Width != 1728 || pages[0].Rows != rows || pages[0].Resolution() != Fine {
				t.Fatalf("%s %v: %d pages, %dx%d", name, f, len(pages), pages[0].Width, pages[0].Rows)
			}
			got := blackFraction(pages...)
			t.Logf("%-8s %-5v %6d octets: %.3f black (reference %.3f)", name, f, len(data), got, want)
			if math.Abs(got-want) > 0.03 {
				t.Errorf("%s %v: %.3f black, want %.3f", name, f, got, want)
			}
		}
	}
}

func TestTIFFMultiPage(t *testing.T) {
	// Two fax-width pages, standard and fine: each keeps its size, no
	// scaling, when the output resolution matches its own.
	a, b := uniform(1728, 300, 255), uniform(1728, 600, 255)
	for y := 0; y < 300; y++ {
		a.Pix[y*1728+y] = 0 // a diagonal
	}
	for x := 0; x < 1728; x++ {
		b.Pix[300*1728+x] = 0 // a horizontal line
	}
	data := tiffGrey([]*image.Gray{a, b}, []Resolution{Standard, Fine})
	pages, err := Decode(context.Background(), bytes.NewReader(data), &Options{Resolution: Fine})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 2 {
		t.Fatalf("%d pages", len(pages))
	}
	// The standard page doubles its rows at fine resolution.
	if pages[0].Rows != 600 || pages[1].Rows != 600 {
		t.Errorf("rows %d, %d; want 600, 600", pages[0].Rows, pages[1].Rows)
	}
	if n := pages[1].BlackPixels(); n != 1728 {
		t.Errorf("fine page: %d black pixels, want the 1728 of its line", n)
	}
	if pages[0].BlackPixels() < 300 {
		t.Errorf("standard page: %d black pixels", pages[0].BlackPixels())
	}
	_, err = Decode(context.Background(), bytes.NewReader(data), &Options{MaxPages: 1})
	if !errors.Is(err, ErrTooManyPages) {
		t.Errorf("MaxPages 1: %v", err)
	}
}

func TestScalingKeepsAspect(t *testing.T) {
	// A black disc on white must stay round in millimetres at every resolution.
	const n = 400
	img := uniform(n, n, 255)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if dx, dy := x-n/2, y-n/2; dx*dx+dy*dy < (n/3)*(n/3) {
				img.Pix[y*n+x] = 0
			}
		}
	}
	for _, r := range []Resolution{Standard, Fine, Superfine, R300, R400} {
		pages, err := Render(img, Resolution{}, &Options{Resolution: r, MaxPages: 10})
		if err != nil {
			t.Fatal(err)
		}
		minX, maxX, minY, maxY := math.MaxInt, -1, math.MaxInt, -1
		y0 := 0
		for _, p := range pages {
			for y := 0; y < p.Rows; y++ {
				for x := 0; x < p.Width; x++ {
					if p.Black(x, y) {
						minX, maxX = min(minX, x), max(maxX, x)
						minY, maxY = min(minY, y0+y), max(maxY, y0+y)
					}
				}
			}
			y0 += p.Rows
		}
		wmm := float64(maxX-minX+1) * 25.4 / float64(r.X)
		hmm := float64(maxY-minY+1) * 25.4 / float64(r.Y)
		// The disc is 2/3 of the 1728-pixel width: 143 mm.
		t.Logf("%v: disc %.1f x %.1f mm, %d page(s)", r, wmm, hmm, len(pages))
		if math.Abs(wmm/hmm-1) > 0.02 || math.Abs(wmm-float64(pages[0].Width)*25.4/float64(r.X)*2/3) > 1 {
			t.Errorf("%v: disc %.1f x %.1f mm", r, wmm, hmm)
		}
	}
}

func TestHalftone(t *testing.T) {
	for _, c := range []struct {
		grey     uint8
		mode     Halftone
		lo, hi   float64
		wantAuto Halftone
	}{
		{255, Dither, 0, 0, Threshold},
		{255, Auto, 0, 0, Threshold},
		{0, Dither, 1, 1, Threshold},
		{0, Auto, 1, 1, Threshold},
		{128, Dither, 0.48, 0.52, Dither},
		{128, Auto, 0.48, 0.52, Dither},
		{64, Auto, 0.73, 0.77, Dither},
		{192, Auto, 0.23, 0.27, Dither},
		{100, Threshold, 1, 1, Dither},
		{160, Threshold, 0, 0, Dither},
	} {
		img := uniform(1000, 700, c.grey)
		pages, err := Render(img, Resolution{}, &Options{Halftone: c.mode})
		if err != nil {
			t.Fatal(err)
		}
		f := blackFraction(pages...)
		if f < c.lo || f > c.hi {
			t.Errorf("grey %d %v: %.4f black, want [%.2f, %.2f]", c.grey, c.mode, f, c.lo, c.hi)
		}
		auto := Threshold
		if newLumSource(img).midGreyFraction() > AutoPhotoFraction {
			auto = Dither
		}
		if auto != c.wantAuto {
			t.Errorf("grey %d: auto chooses %v", c.grey, auto)
		}
	}
	// A ramp: the black share falls steadily from left to right.
	ramp := image.NewGray(image.Rect(0, 0, 1728, 400))
	for y := 0; y < 400; y++ {
		for x := 0; x < 1728; x++ {
			ramp.Pix[y*1728+x] = uint8(x * 256 / 1728)
		}
	}
	pages, _ := Render(ramp, Resolution{}, &Options{Halftone: Dither, Resolution: Standard})
	p := pages[0]
	prev := 2.0
	for band := 0; band < 8; band++ {
		b := 0
		for y := 0; y < p.Rows; y++ {
			for x := band * 216; x < (band+1)*216; x++ {
				if p.Black(x, y) {
					b++
				}
			}
		}
		f := float64(b) / float64(216*p.Rows)
		want := 1 - (float64(band)+0.5)/8
		if f >= prev || math.Abs(f-want) > 0.03 {
			t.Errorf("ramp band %d: %.3f black, want %.3f", band, f, want)
		}
		prev = f
	}
}

func TestAutoKeepsLineArtCrisp(t *testing.T) {
	// A text page rendered to grey and back at the same size is unchanged:
	// Auto thresholds line art.
	pages, err := RenderText([]byte(strings.Repeat("The quick brown fox jumps over the lazy dog.\n", 20)), nil)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Render(pages[0].Gray(), Fine, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(t, pages[0], back[0]); d != 0 {
		t.Errorf("text page changed in %.5f of pixels", d)
	}
}

func TestPagination(t *testing.T) {
	img := lineArt(1000, 5000)
	pages, err := Render(img, Resolution{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	total := int(math.Round(5000 * 1.728 * 196 / 204))
	if len(pages) != 4 || pages[0].Rows != 2292 || pages[3].Rows != total-3*2292 {
		t.Errorf("%d pages, last %d rows", len(pages), pages[len(pages)-1].Rows)
	}
	pages, err = Render(img, Resolution{}, &Options{FitPage: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 1 || pages[0].Rows != 2292 || pages[0].Width != 1728 {
		t.Fatalf("FitPage: %d pages of %dx%d", len(pages), pages[0].Width, pages[0].Rows)
	}
	// Centred: the image, 2292*1000/5000*204/196 = 477 pixels wide, leaves
	// white on both sides.
	p := pages[0]
	for y := 0; y < p.Rows; y++ {
		if p.Black(0, y) || p.Black(p.Width-1, y) || p.Black(600, y) {
			t.Fatalf("FitPage: black at the edge of row %d", y)
		}
	}
	if !p.Black(p.Width/2, 0) {
		t.Error("FitPage: frame missing")
	}
	if _, err := Render(img, Resolution{}, &Options{MaxPages: 3}); !errors.Is(err, ErrTooManyPages) {
		t.Errorf("MaxPages: %v", err)
	}
}

func TestLimits(t *testing.T) {
	ctx := context.Background()
	var b bytes.Buffer
	png.Encode(&b, uniform(100, 100, 200))
	if _, err := Decode(ctx, bytes.NewReader(b.Bytes()), &Options{MaxPixels: 9999}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxPixels: %v", err)
	}
	// A PNG header claiming 100000 x 100000 pixels is refused before decoding.
	data := bytes.Clone(b.Bytes())
	copy(data[16:], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	crc := crc32.ChecksumIEEE(data[12:29])
	data[29], data[30], data[31], data[32] = byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc)
	if _, err := Decode(ctx, bytes.NewReader(data), nil); !errors.Is(err, ErrTooLarge) {
		t.Errorf("10 Gpixel PNG: %v", err)
	}
	if _, err := Decode(ctx, strings.NewReader(strings.Repeat("x", 2000)), &Options{MaxInputBytes: 1000}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxInputBytes: %v", err)
	}
	if _, err := Decode(ctx, bytes.NewReader([]byte{0, 1, 2, 3}), nil); !errors.Is(err, ErrFormat) {
		t.Errorf("binary: %v", err)
	}
	if _, err := Decode(ctx, strings.NewReader("x"), &Options{Width: 100000}); !errors.Is(err, ErrOptions) {
		t.Errorf("bad width: %v", err)
	}
}

func TestText(t *testing.T) {
	o := &Options{Header: "From +49 30 1234567  2026-11-22 10:00"}
	c := o.withDefaults()
	lines := func(n int) []byte {
		var b bytes.Buffer
		for i := range n {
			fmt.Fprintf(&b, "line %d\n", i+1)
		}
		return b.Bytes()
	}
	// At 10 pt, fine resolution, a page holds 64 lines.
	for _, tc := range []struct {
		text  []byte
		pages int
	}{
		{[]byte("one line"), 1},
		{lines(64), 1},
		{lines(65), 2},
		{lines(200), 4},
		{[]byte("page one\fpage two\f"), 2},
		{[]byte("\fpage one\f\f"), 1},
		{[]byte(""), 1},
		{[]byte("caf\xe9 \xe0 la cr\xe8me\n"), 1},
	} {
		pages, err := RenderText(tc.text, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(pages) != tc.pages {
			t.Errorf("%.20q: %d pages, want %d", tc.text, len(pages), tc.pages)
		}
		for _, p := range pages {
			if p.Width != 1728 || p.Rows != 2292 {
				t.Errorf("page %dx%d", p.Width, p.Rows)
			}
		}
	}

	// Header: ink at the left (caller's string) and right ("Page n/m") of the
	// header band; body lines below with ink; bottom margin white.
	pages, err := RenderText(lines(100), o)
	if err != nil {
		t.Fatal(err)
	}
	p := pages[1]
	mm := func(v float64) int { return int(v * 196 / 25.4) }
	ink := func(x0, x1, y0, y1 int) int {
		n := 0
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				if p.Black(x, y) {
					n++
				}
			}
		}
		return n
	}
	if ink(0, 1728, 0, mm(textMarginTop)) != 0 {
		t.Error("ink in the top margin")
	}
	if ink(0, 864, mm(8), mm(14)) == 0 || ink(1300, 1728, mm(8), mm(14)) == 0 {
		t.Error("header missing")
	}
	if ink(0, 1728, p.Rows-mm(textMarginBottom)+mm(2), p.Rows) != 0 {
		t.Error("ink in the bottom margin")
	}
	bands := 0 // text lines on the page: runs of rows with ink below the header
	prev := false
	for y := mm(15); y < p.Rows; y++ {
		on := ink(0, 1728, y, y+1) > 0
		if on && !prev {
			bands++
		}
		prev = on
	}
	if bands != 36 {
		t.Errorf("page 2 of 100 lines shows %d text lines, want 36", bands)
	}
	// "Page 2/2" differs from "Page 1/2".
	alike := true
	for y := mm(8); y < mm(11); y++ {
		alike = alike && bytes.Equal(pages[0].Row(y)[1300/8:], p.Row(y)[1300/8:])
	}
	if alike {
		t.Error("page numbers alike")
	}

	// Wrapping and tabs, on the layout.
	if err := loadFonts(); err != nil {
		t.Fatal(err)
	}
	ts := newTypesetter(fonts.mono, c.FontSize, c.Resolution)
	adv := ts.advance('x')
	cols := 80
	got, err := c.layoutText(ts, []byte(strings.Repeat("word ", 50)+"\n"+strings.Repeat("x", 200)+"\na\tb"), float64(cols)*adv+0.5, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var ls []string
	for _, l := range got[0] {
		ls = append(ls, string(l))
	}
	want := []string{
		strings.TrimSpace(strings.Repeat("word ", 16)), strings.TrimSpace(strings.Repeat("word ", 16)),
		strings.TrimSpace(strings.Repeat("word ", 16)), "word word ",
		strings.Repeat("x", 80), strings.Repeat("x", 80), strings.Repeat("x", 40), "a\tb",
	}
	if strings.Join(ls, "|") != strings.Join(want, "|") {
		t.Errorf("layout:\n%q\nwant\n%q", ls, want)
	}
	if w := ts.width([]rune("a\tb")); math.Abs(w-9*adv) > 0.01 {
		t.Errorf("tab: width %.2f, want %.2f", w, 9*adv)
	}

	if _, err := RenderText(bytes.Repeat([]byte("x\f"), 50), &Options{MaxPages: 10}); !errors.Is(err, ErrTooManyPages) {
		t.Errorf("MaxPages: %v", err)
	}
	// Standard resolution and 12 pt also work.
	for _, o := range []*Options{{Resolution: Standard}, {FontSize: 12, Proportional: true}, {Resolution: R400, NoHeader: true}} {
		pages, err := RenderText(lines(10), o)
		if err != nil || len(pages) != 1 || pages[0].BlackPixels() == 0 {
			t.Errorf("%+v: %v", o, err)
		}
	}
}
