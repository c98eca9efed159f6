package document

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"

	"github.com/faxd/faxd/t30/t4"
)

// Resolution is a fax resolution in dots per inch, horizontal by vertical.
//
// T.4 §2 defines the resolutions in metric units (8 pels/mm by 3.85, 7.7 or
// 15.4 lines/mm, and 16 pels/mm) or in inch units (200, 300, 400 pels/25.4 mm).
// TIFF Class F and Ghostscript use the rounded inch values below; a page's
// physical size is computed from them.
type Resolution struct{ X, Y int }

// Resolutions of T.30 (DIS/DCS bits) with their customary inch values.
var (
	Standard  = Resolution{204, 98}  // R8 x 3.85 lines/mm, "normal"
	Fine      = Resolution{204, 196} // R8 x 7.7 lines/mm
	Superfine = Resolution{204, 391} // R8 x 15.4 lines/mm
	R300      = Resolution{300, 300} // 300 x 300 pels/25.4 mm
	R400      = Resolution{400, 400} // 400 x 400 pels/25.4 mm (same widths as R16)
)

func (r Resolution) String() string { return fmt.Sprintf("%dx%d", r.X, r.Y) }

func (r Resolution) valid() bool { return r.X >= 50 && r.X <= 1200 && r.Y >= 50 && r.Y <= 1200 }

// Paper is the scan line length of T.4 §2.2: A4 (215 mm), B4 (255 mm), A3 (303 mm).
type Paper int

// Papers.
const (
	A4 Paper = iota
	B4
	A3
)

// Page widths in pixels of T.4 §2.2 (Table 1/T.4).
const (
	WidthA4 = 1728 // 215 mm at 8 pels/mm (R8, 204 dpi)
	WidthB4 = 2048 // 255 mm
	WidthA3 = 2432 // 303 mm

	WidthA4R300 = 2592 // 300 pels/25.4 mm
	WidthB4R300 = 3072
	WidthA3R300 = 3648

	WidthA4R16 = 3456 // 16 pels/mm and 400 pels/25.4 mm
	WidthB4R16 = 4096
	WidthA3R16 = 4864

	A4LengthMM = 297.0 // ISO 216 A4 page length
)

// Width returns the number of pixels of a scan line of paper p at resolution r
// (T.4 §2.2): the R8 widths up to 250 dpi, the 300 dpi widths up to 350 dpi and
// the R16 widths above.
func (r Resolution) Width(p Paper) int {
	var w [3]int
	switch {
	case r.X < 250:
		w = [3]int{WidthA4, WidthB4, WidthA3}
	case r.X < 350:
		w = [3]int{WidthA4R300, WidthB4R300, WidthA3R300}
	default:
		w = [3]int{WidthA4R16, WidthB4R16, WidthA3R16}
	}
	if p < A4 || p > A3 {
		p = A4
	}
	return w[p]
}

// Rows returns the number of rows of a page mm millimetres long at
// resolution r, rounded: 1146 for A4 at 98 dpi, 2292 at 196 dpi.
func (r Resolution) Rows(mm float64) int {
	return int(math.Round(mm * float64(r.Y) / 25.4))
}

// Page is a bilevel fax page. Rows are packed as t4 codes them: Stride()
// octets a row, first pixel in the most significant bit, 1 = black; the bits
// after the last pixel of a row are zero.
type Page struct {
	Width, Rows int    // pixels
	XRes, YRes  int    // dots per inch
	Pix         []byte // Rows*Stride() octets
}

// NewPage returns a white page.
func NewPage(width, rows int, res Resolution) *Page {
	return &Page{Width: width, Rows: rows, XRes: res.X, YRes: res.Y, Pix: make([]byte, rows*((width+7)/8))}
}

// Stride returns the number of octets of a row, (Width+7)/8.
func (p *Page) Stride() int { return (p.Width + 7) / 8 }

// Resolution returns XRes by YRes.
func (p *Page) Resolution() Resolution { return Resolution{p.XRes, p.YRes} }

// Row returns row y (shared with the page, not a copy).
func (p *Page) Row(y int) []byte {
	s := p.Stride()
	return p.Pix[y*s : (y+1)*s : (y+1)*s]
}

// Black reports whether the pixel at x, y is black.
func (p *Page) Black(x, y int) bool {
	return p.Pix[y*p.Stride()+x>>3]&(0x80>>(x&7)) != 0
}

// Set makes the pixel at x, y black or white.
func (p *Page) Set(x, y int, black bool) {
	i, m := y*p.Stride()+x>>3, byte(0x80>>(x&7))
	if black {
		p.Pix[i] |= m
	} else {
		p.Pix[i] &^= m
	}
}

// BlackPixels counts the black pixels.
func (p *Page) BlackPixels() int {
	n := 0
	for _, b := range p.Pix {
		n += popcount[b]
	}
	return n
}

var popcount = func() (t [256]int) {
	for i := range t {
		for b := i; b != 0; b &= b - 1 {
			t[i]++
		}
	}
	return
}()

// Size returns the physical size of the page in millimetres.
func (p *Page) Size() (w, h float64) {
	return float64(p.Width) * 25.4 / float64(p.XRes), float64(p.Rows) * 25.4 / float64(p.YRes)
}

// Palette is the palette of Paletted: index 0 white, 1 black, as the bits.
var Palette = color.Palette{color.Gray{0xff}, color.Gray{0}}

// Paletted returns the page as a two-colour image (index 1 = black), which
// image/png writes at one bit per pixel.
func (p *Page) Paletted() *image.Paletted {
	img := image.NewPaletted(image.Rect(0, 0, p.Width, p.Rows), Palette)
	for y := 0; y < p.Rows; y++ {
		unpack(p.Row(y), img.Pix[y*img.Stride:y*img.Stride+p.Width], 1, 0)
	}
	return img
}

// Gray returns the page as a grey image, black 0 and white 255.
func (p *Page) Gray() *image.Gray {
	img := image.NewGray(image.Rect(0, 0, p.Width, p.Rows))
	for y := 0; y < p.Rows; y++ {
		unpack(p.Row(y), img.Pix[y*img.Stride:y*img.Stride+p.Width], 0, 0xff)
	}
	return img
}

func unpack(row, dst []byte, black, white byte) {
	for x := range dst {
		if row[x>>3]&(0x80>>(x&7)) != 0 {
			dst[x] = black
		} else {
			dst[x] = white
		}
	}
}

// PageFromImage converts img pixel for pixel, without scaling: a pixel is
// black when its luminance, composited over white, is below half. Use Render
// to scale and halftone a picture.
func PageFromImage(img image.Image, res Resolution) *Page {
	b := img.Bounds()
	p := NewPage(b.Dx(), b.Dy(), res)
	src := newLumSource(img)
	lum := make([]uint8, b.Dx())
	for y := 0; y < p.Rows; y++ {
		src.row(b.Min.Y+y, lum)
		row := p.Row(y)
		for x, v := range lum {
			if v < 128 {
				row[x>>3] |= 0x80 >> (x & 7)
			}
		}
	}
	return p
}

// SquarePixels returns the page with each row repeated so that the vertical
// resolution is at least nine tenths of the horizontal one (a standard
// resolution page, 204x98, becomes 204x196), for previews in viewers that
// ignore the pixel aspect. Other pages are returned unchanged.
func (p *Page) SquarePixels() *Page {
	n := 1
	for p.YRes*n*10 < p.XRes*9 {
		n++
	}
	if n == 1 {
		return p
	}
	q := NewPage(p.Width, p.Rows*n, Resolution{p.XRes, p.YRes * n})
	for y := 0; y < q.Rows; y++ {
		copy(q.Row(y), p.Row(y/n))
	}
	return q
}

// WritePNG writes the page as a one-bit PNG with a pHYs chunk giving its
// resolution (PNG §11.3.5.3, pixels per metre).
func WritePNG(w io.Writer, p *Page) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, p.Paletted()); err != nil {
		return err
	}
	b := buf.Bytes()
	const ihdrEnd = 8 + 8 + 13 + 4 // signature, IHDR length+type, data, CRC
	if len(b) < ihdrEnd {
		return fmt.Errorf("document: short PNG")
	}
	var c [4 + 4 + 9 + 4]byte
	binary.BigEndian.PutUint32(c[0:], 9)
	copy(c[4:], "pHYs")
	binary.BigEndian.PutUint32(c[8:], uint32(math.Round(float64(p.XRes)/0.0254)))
	binary.BigEndian.PutUint32(c[12:], uint32(math.Round(float64(p.YRes)/0.0254)))
	c[16] = 1 // unit: metre
	binary.BigEndian.PutUint32(c[17:], crc32.ChecksumIEEE(c[4:17]))
	for _, part := range [][]byte{b[:ihdrEnd], c[:], b[ihdrEnd:]} {
		if _, err := w.Write(part); err != nil {
			return err
		}
	}
	return nil
}

// EncodeT4 codes the page with t4 (MH, MR or MMR, first bit in the MSB).
func (p *Page) EncodeT4(w io.Writer, coding t4.Coding) error {
	k := 4 // T.4 §4.2.1: K = 2 at standard resolution, 4 at fine and above
	if p.YRes < 150 {
		k = 2
	}
	e, err := t4.NewEncoder(w, t4.Options{Coding: coding, Width: p.Width, K: k})
	if err != nil {
		return err
	}
	for y := 0; y < p.Rows; y++ {
		if err := e.WriteRow(p.Row(y)); err != nil {
			return err
		}
	}
	return e.Close()
}
