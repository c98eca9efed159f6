package document

import (
	"fmt"
	"image"
	"math"
	"sync"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// Text page geometry, in millimetres, and the type metrics relative to the
// font size.
const (
	textMarginLeft   = 15.0
	textMarginRight  = 12.0
	textMarginTop    = 8.0
	textMarginBottom = 10.0
	textLineSpacing  = 1.2  // line height over font size
	textAscent       = 0.8  // baseline below the top of a line, over font size
	textTabColumns   = 8    // a tab stop every eight widths of a space
	textCoverage     = 0x60 // a glyph pixel is black from 0x60/0xff coverage up
)

var fonts struct {
	once          sync.Once
	mono, regular *sfnt.Font
	err           error
}

func loadFonts() error {
	fonts.once.Do(func() {
		fonts.mono, fonts.err = sfnt.Parse(gomono.TTF)
		if fonts.err == nil {
			fonts.regular, fonts.err = sfnt.Parse(goregular.TTF)
		}
	})
	return fonts.err
}

// glyph is a rasterised glyph: w by h coverage-thresholded pixels whose top
// left corner lies dx, dy from the pen on the baseline.
type glyph struct {
	w, h, dx, dy int
	black        []bool
}

// typesetter rasterises glyphs of one font at one size and resolution,
// scaling the outlines by the horizontal and the vertical resolution apart.
type typesetter struct {
	f      *sfnt.Font
	buf    sfnt.Buffer
	ppem   fixed.Int26_6 // pixels per em, horizontally
	yScale float64       // vertical over horizontal resolution
	adv    map[rune]float64
	glyphs map[rune]*glyph
	rast   vector.Rasterizer
}

func newTypesetter(f *sfnt.Font, sizePt float64, res Resolution) *typesetter {
	return &typesetter{
		f:      f,
		ppem:   fixed.Int26_6(math.Round(sizePt * float64(res.X) / 72 * 64)),
		yScale: float64(res.Y) / float64(res.X),
		adv:    map[rune]float64{},
		glyphs: map[rune]*glyph{},
	}
}

func (t *typesetter) index(r rune) sfnt.GlyphIndex {
	gi, err := t.f.GlyphIndex(&t.buf, r)
	if err != nil {
		return 0
	}
	return gi // 0, .notdef, when the font lacks r
}

// advance returns the advance width of r in pixels.
func (t *typesetter) advance(r rune) float64 {
	if a, ok := t.adv[r]; ok {
		return a
	}
	a, err := t.f.GlyphAdvance(&t.buf, t.index(r), t.ppem, font.HintingNone)
	if err != nil {
		a = 0
	}
	v := float64(a) / 64
	t.adv[r] = v
	return v
}

// width measures a line, tabs included.
func (t *typesetter) width(line []rune) float64 {
	x := 0.0
	for _, r := range line {
		x = t.next(x, r)
	}
	return x
}

// next returns the pen position after r drawn at x.
func (t *typesetter) next(x float64, r rune) float64 {
	if r == '\t' {
		tab := textTabColumns * t.advance(' ')
		return (math.Floor(x/tab+1e-9) + 1) * tab
	}
	return x + t.advance(r)
}

func (t *typesetter) glyph(r rune) *glyph {
	if g, ok := t.glyphs[r]; ok {
		return g
	}
	g := &glyph{}
	t.glyphs[r] = g
	segs, err := t.f.LoadGlyph(&t.buf, t.index(r), t.ppem, nil)
	if err != nil || len(segs) == 0 {
		return g
	}
	pt := func(p fixed.Point26_6) (float64, float64) {
		return float64(p.X) / 64, float64(p.Y) / 64 * t.yScale
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, s := range segs {
		for _, a := range s.Args[:nargs(s.Op)] {
			x, y := pt(a)
			minX, minY, maxX, maxY = math.Min(minX, x), math.Min(minY, y), math.Max(maxX, x), math.Max(maxY, y)
		}
	}
	x0, y0 := math.Floor(minX), math.Floor(minY)
	w, h := int(math.Ceil(maxX)-x0), int(math.Ceil(maxY)-y0)
	if w <= 0 || h <= 0 || w > 4096 || h > 4096 {
		return g
	}
	t.rast.Reset(w, h)
	open := false
	for _, s := range segs {
		var c [6]float32
		for i, a := range s.Args[:nargs(s.Op)] {
			x, y := pt(a)
			c[2*i], c[2*i+1] = float32(x-x0), float32(y-y0)
		}
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			if open {
				t.rast.ClosePath()
			}
			t.rast.MoveTo(c[0], c[1])
			open = true
		case sfnt.SegmentOpLineTo:
			t.rast.LineTo(c[0], c[1])
		case sfnt.SegmentOpQuadTo:
			t.rast.QuadTo(c[0], c[1], c[2], c[3])
		case sfnt.SegmentOpCubeTo:
			t.rast.CubeTo(c[0], c[1], c[2], c[3], c[4], c[5])
		}
	}
	if open {
		t.rast.ClosePath()
	}
	m := image.NewAlpha(image.Rect(0, 0, w, h)) // once per rune: glyphs are cached
	t.rast.Draw(m, m.Bounds(), image.Opaque, image.Point{})
	g.w, g.h, g.dx, g.dy = w, h, int(x0), int(y0)
	g.black = make([]bool, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			g.black[y*w+x] = m.Pix[y*m.Stride+x] >= textCoverage
		}
	}
	return g
}

func nargs(op sfnt.SegmentOp) int {
	switch op {
	case sfnt.SegmentOpQuadTo:
		return 2
	case sfnt.SegmentOpCubeTo:
		return 3
	}
	return 1
}

// draw draws r with its pen at x, baseline y, and returns the next pen position.
func (t *typesetter) draw(p *Page, x float64, y int, r rune) float64 {
	nx := t.next(x, r)
	if r == '\t' || r == ' ' {
		return nx
	}
	g := t.glyph(r)
	px := int(math.Round(x)) + g.dx
	py := y + g.dy
	for j := 0; j < g.h; j++ {
		if py+j < 0 || py+j >= p.Rows {
			continue
		}
		row := p.Row(py + j)
		for i, b := range g.black[j*g.w : (j+1)*g.w] {
			if b && px+i >= 0 && px+i < p.Width {
				row[(px+i)>>3] |= 0x80 >> ((px + i) & 7)
			}
		}
	}
	return nx
}

// RenderText sets plain text (UTF-8, or Latin-1 where it is not valid UTF-8)
// on pages: a header line, margins, word wrapping, tab stops every eight
// columns, form feed starting a new page.
func RenderText(text []byte, o *Options) ([]*Page, error) {
	c := o.withDefaults()
	if err := c.check(); err != nil {
		return nil, err
	}
	if int64(len(text)) > c.MaxInputBytes {
		return nil, fmt.Errorf("%w: text longer than %d octets", ErrTooLarge, c.MaxInputBytes)
	}
	return c.renderText(text)
}

func (o *Options) renderText(text []byte) ([]*Page, error) {
	if err := loadFonts(); err != nil {
		return nil, err
	}
	f := fonts.mono
	if o.Proportional {
		f = fonts.regular
	}
	res := o.Resolution
	t := newTypesetter(f, o.FontSize, res)
	mmX := func(mm float64) float64 { return mm * float64(res.X) / 25.4 }
	mmY := func(mm float64) float64 { return mm * float64(res.Y) / 25.4 }
	ptY := func(pt float64) float64 { return pt * float64(res.Y) / 72 }

	rows := res.Rows(o.PageLength)
	left := math.Round(mmX(textMarginLeft))
	usable := float64(o.Width) - left - mmX(textMarginRight)
	lineH := ptY(o.FontSize * textLineSpacing)
	headerBase := mmY(textMarginTop) + ptY(o.FontSize*textAscent)
	firstBase := headerBase + 2*lineH
	if o.NoHeader {
		firstBase = headerBase
	}
	perPage := int((float64(rows)-mmY(textMarginBottom)-firstBase)/lineH) + 1
	if usable < 4*t.advance('M') || perPage < 1 {
		return nil, fmt.Errorf("%w: page too small for %g pt text", ErrOptions, o.FontSize)
	}

	pages, err := o.layoutText(t, text, usable, perPage)
	if err != nil {
		return nil, err
	}

	// Render.
	out := make([]*Page, len(pages))
	for n, lines := range pages {
		p := NewPage(o.Width, rows, res)
		if !o.NoHeader {
			y := int(math.Round(headerBase))
			num := []rune(fmt.Sprintf("Page %d/%d", n+1, len(pages)))
			right := left + usable - t.width(num)
			x := left
			for _, r := range o.Header {
				if r < 0x20 || r == 0x7f {
					continue
				}
				if t.next(x, r) > right-t.advance(' ') {
					break
				}
				x = t.draw(p, x, y, r)
			}
			x = right
			for _, r := range num {
				x = t.draw(p, x, y, r)
			}
		}
		for k, line := range lines {
			y := int(math.Round(firstBase + float64(k)*lineH))
			x := left
			for _, r := range line {
				x = t.draw(p, x, y, r)
			}
		}
		out[n] = p
	}
	return out, nil
}

// layoutText breaks text into lines of at most usable pixels, perPage lines
// a page.
func (o *Options) layoutText(t *typesetter, text []byte, usable float64, perPage int) ([][][]rune, error) {
	var (
		pages [][][]rune
		page  [][]rune
		cur   []rune
		curX  float64
	)
	emit := func() error {
		page = append(page, cur)
		cur, curX = nil, 0
		if len(page) == perPage {
			pages, page = append(pages, page), nil
			if len(pages) > o.MaxPages {
				return fmt.Errorf("%w: text needs more than %d pages", ErrTooManyPages, o.MaxPages)
			}
		}
		return nil
	}
	if len(text) >= 3 && string(text[:3]) == "\ufeff" {
		text = text[3:]
	}
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRune(text[i:])
		if r == utf8.RuneError && n == 1 {
			r = rune(text[i]) // Latin-1
		}
		i += n
		switch {
		case r == '\r':
			if i < len(text) && text[i] == '\n' {
				continue
			}
			continue // a lone CR (overprint) is dropped
		case r == '\n' || r == '\v' || r == 0x85 || r == 0x2028:
			if err := emit(); err != nil {
				return nil, err
			}
			continue
		case r == '\f':
			if len(cur) > 0 {
				if err := emit(); err != nil {
					return nil, err
				}
			}
			if len(page) > 0 {
				pages, page = append(pages, page), nil
				if len(pages) > o.MaxPages {
					return nil, fmt.Errorf("%w: text needs more than %d pages", ErrTooManyPages, o.MaxPages)
				}
			}
			continue
		case r != '\t' && (r < 0x20 || (r >= 0x7f && r < 0xa0)):
			continue // other control characters
		}
		nx := t.next(curX, r)
		if nx > usable && len(cur) > 0 {
			// Wrap at the last space, or else at the margin.
			sp := -1
			for k := len(cur) - 1; k > 0; k-- {
				if cur[k] == ' ' {
					sp = k
					break
				}
			}
			var rest []rune
			if sp > 0 {
				rest = append(rest, cur[sp+1:]...)
				cur = cur[:sp]
			}
			if err := emit(); err != nil {
				return nil, err
			}
			cur = rest
			curX = t.width(cur)
			if r == ' ' && len(cur) == 0 {
				continue
			}
			nx = t.next(curX, r)
		}
		cur = append(cur, r)
		curX = nx
	}
	if len(cur) > 0 {
		if err := emit(); err != nil {
			return nil, err
		}
	}
	if len(page) > 0 || len(pages) == 0 {
		pages = append(pages, page)
	}
	if len(pages) > o.MaxPages {
		return nil, fmt.Errorf("%w: text needs more than %d pages", ErrTooManyPages, o.MaxPages)
	}
	return pages, nil
}
