// Package document turns customers' documents into bilevel fax pages and fax
// pages back into documents.
//
// A Page is a bilevel raster at a fax resolution, its rows packed as the t4
// codec wants them (first pixel in the most significant bit, 1 = black).
// Decode takes a document, recognises its format by content (magic bytes,
// never by name) and returns pages at Options.Resolution, Options.Width
// pixels wide (1728 at 204 dpi, T.4 §2.2) and at most Options.PageLength
// (A4, 297 mm) long:
//
//   - PNG, JPEG, GIF and TIFF are decoded with the standard library and
//     golang.org/x/image/tiff, scaled to the page width keeping their aspect
//     ratio (their own resolution, from PNG pHYs, JFIF or the TIFF
//     resolution tags, counts when the pixels are not square) and cut into
//     pages. GIF gives its first frame only. x/image/tiff reads the first
//     image of a file and uncompressed, PackBits, LZW, Deflate, CCITT MH (G3
//     1-D) and G4 data, not G3 2-D (MR): this package walks the IFD chain
//     and decodes each image in turn; for TIFF Class F received or sent by
//     the fax engine use t30/tiff, which keeps the coded data and its
//     resolution without rescaling.
//   - Grey to black and white (Halftone): Floyd–Steinberg error diffusion
//     with serpentine scanning keeps the tones of photographs (the density of
//     black dots follows the grey level); a plain threshold keeps the edges of
//     text and line art crisp, where diffusion would leave stray dots along
//     every anti-aliased edge. Auto picks by the share of mid-grey pixels in
//     the source: line art is black and white but for its edges, photographs
//     are mostly mid-tones. Dithering works on the encoded (sRGB-like) grey,
//     not on linear light, so that 50% grey gives 50% black dots; fax printers'
//     dot gain makes that the closer match.
//   - Scaling is separable with a tent filter: linear interpolation when
//     enlarging, an area average one output pixel wide when reducing, so that
//     fine detail averages to grey before halftoning instead of aliasing.
//   - Plain text (UTF-8, or Latin-1 where it is not valid UTF-8) is set in
//     the bundled Go Mono font (or Go Regular), 10 points by default,
//     rasterised from the outlines at the page's own horizontal and vertical
//     resolution (so standard-resolution glyphs are not squashed), with
//     margins, a header line (Options.Header, then "Page n/m"), word
//     wrapping, tab stops every eight columns and form feed starting a page.
//   - PDF and PostScript go through Ghostscript (gs, Debian package
//     "ghostscript"), run without a shell with -dSAFER, a timeout and a
//     temporary directory that is removed. Each page is rendered in grey at
//     the fax resolution, fitted to the page, and halftoned here like an
//     image. Without gs Decode returns an error wrapping ErrNoGhostscript.
//
// Every input is bounded: Options.MaxInputBytes of input, Options.MaxPixels
// pixels per source image (checked from the header before decoding),
// Options.MaxPages pages.
//
// Back out: WritePDF writes pages as a PDF with one page per fax page at its
// physical size, each an image coded with the t4 MMR (T.6) encoder in a
// CCITTFaxDecode /K -1 stream; WritePNG writes a one-bit PNG preview.
package document

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Errors.
var (
	ErrFormat        = errors.New("document: unknown or unsupported document format")
	ErrTooLarge      = errors.New("document: document too large")
	ErrTooManyPages  = errors.New("document: too many pages")
	ErrNoGhostscript = errors.New(`document: Ghostscript (gs) not found, install the Debian package "ghostscript"`)
	ErrGhostscript   = errors.New("document: Ghostscript failed")
	ErrOptions       = errors.New("document: invalid options")
)

// Options configure Decode, Render and RenderText. The zero value (or nil)
// gives fine resolution A4 pages.
type Options struct {
	Resolution Resolution // zero: Fine (204x196)
	Paper      Paper      // page width, used when Width is 0: A4 (1728 pixels at 204 dpi)
	Width      int        // page width in pixels; zero: Resolution.Width(Paper)
	PageLength float64    // mm; zero: A4LengthMM (297)
	FitPage    bool       // images: scale down to fit one page instead of cutting into pages

	Halftone  Halftone // grey to black and white; zero: Auto
	Threshold uint8    // Threshold halftone: grey below is black; zero: 128

	// Text.
	Header       string  // left part of the header line, e.g. sender and date
	NoHeader     bool    // no header line
	FontSize     float64 // points; zero: 10
	Proportional bool    // Go Regular instead of Go Mono

	// Limits.
	MaxInputBytes int64 // zero: 64 MiB
	MaxPixels     int   // per source image; zero: 100 million
	MaxPages      int   // zero: 200

	// PDF and PostScript.
	Ghostscript string        // path of gs; empty: looked up in PATH
	Timeout     time.Duration // for one Ghostscript run; zero: 2 minutes
}

// Defaults.
const (
	DefaultMaxInputBytes = 64 << 20
	DefaultMaxPixels     = 100_000_000
	DefaultMaxPages      = 200
	DefaultFontSize      = 10.0
	DefaultTimeout       = 2 * time.Minute
)

func (o *Options) withDefaults() *Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.Resolution == (Resolution{}) {
		c.Resolution = Fine
	}
	if c.Width == 0 {
		c.Width = c.Resolution.Width(c.Paper)
	}
	if c.PageLength == 0 {
		c.PageLength = A4LengthMM
	}
	if c.Threshold == 0 {
		c.Threshold = 128
	}
	if c.FontSize == 0 {
		c.FontSize = DefaultFontSize
	}
	if c.MaxInputBytes == 0 {
		c.MaxInputBytes = DefaultMaxInputBytes
	}
	if c.MaxPixels == 0 {
		c.MaxPixels = DefaultMaxPixels
	}
	if c.MaxPages == 0 {
		c.MaxPages = DefaultMaxPages
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	return &c
}

func (o *Options) check() error {
	switch {
	case !o.Resolution.valid():
		return fmt.Errorf("%w: resolution %v", ErrOptions, o.Resolution)
	case o.Width < 16 || o.Width > 8192:
		return fmt.Errorf("%w: width %d", ErrOptions, o.Width)
	case o.PageLength < 10 || o.PageLength > 2000:
		return fmt.Errorf("%w: page length %g mm", ErrOptions, o.PageLength)
	case o.FontSize < 4 || o.FontSize > 72:
		return fmt.Errorf("%w: font size %g pt", ErrOptions, o.FontSize)
	case o.MaxPixels < 0 || o.MaxPages < 0 || o.MaxInputBytes < 0:
		return fmt.Errorf("%w: negative limit", ErrOptions)
	case o.Halftone < Auto || o.Halftone > Dither:
		return fmt.Errorf("%w: %v", ErrOptions, o.Halftone)
	}
	return nil
}

// Format is a document format recognised by Sniff.
type Format int

// Formats.
const (
	Unknown Format = iota
	PNG
	JPEG
	GIF
	TIFF
	PDF
	PostScript
	Text
)

func (f Format) String() string {
	switch f {
	case PNG:
		return "PNG"
	case JPEG:
		return "JPEG"
	case GIF:
		return "GIF"
	case TIFF:
		return "TIFF"
	case PDF:
		return "PDF"
	case PostScript:
		return "PostScript"
	case Text:
		return "text"
	}
	return "unknown"
}

// Sniff recognises the format of a document from its first octets (magic
// numbers; a PDF header may follow up to 1024 octets of junk, as readers
// allow). Text is what has no NUL and few other control characters in its
// first 8 KiB.
func Sniff(b []byte) Format {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return PNG
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		return JPEG
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return GIF
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")):
		return TIFF
	case bytes.Contains(b[:min(len(b), 1024+5)], []byte("%PDF-")):
		return PDF
	case bytes.HasPrefix(b, []byte("%!")), bytes.HasPrefix(b, []byte("\xc5\xd0\xd3\xc6")):
		return PostScript
	}
	if len(b) == 0 {
		return Unknown
	}
	head := b[:min(len(b), 8192)]
	ctl := 0
	for _, c := range head {
		switch {
		case c == 0:
			return Unknown
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1b && c != '\b',
			c == 0x7f:
			ctl++
		}
	}
	if ctl*100 > len(head) {
		return Unknown
	}
	return Text
}

// Decode reads a document from r, recognises its format with Sniff and
// returns its pages. ctx bounds the Ghostscript run of PDF and PostScript.
func Decode(ctx context.Context, r io.Reader, o *Options) ([]*Page, error) {
	c := o.withDefaults()
	if err := c.check(); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(r, c.MaxInputBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > c.MaxInputBytes {
		return nil, fmt.Errorf("%w: input longer than %d octets", ErrTooLarge, c.MaxInputBytes)
	}
	return c.decode(ctx, data)
}

// decode dispatches on the format; a panic in a decoder becomes an error.
func (o *Options) decode(ctx context.Context, data []byte) (pages []*Page, err error) {
	defer func() {
		if p := recover(); p != nil {
			pages, err = nil, fmt.Errorf("%w: decoder panic: %v", ErrFormat, p)
		}
	}()
	switch f := Sniff(data); f {
	case PNG, JPEG, GIF:
		return o.decodeImage(data, f)
	case TIFF:
		return o.decodeTIFF(data)
	case PDF, PostScript:
		return o.ghostscript(ctx, data, f)
	case Text:
		return o.renderText(data)
	}
	return nil, ErrFormat
}
