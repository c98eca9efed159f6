package document

import (
	"fmt"
	"image"
	"math"
)

// Halftone selects how grey becomes black and white.
type Halftone int

// Halftones.
const (
	// Auto thresholds line art and dithers photographs, judged by the share
	// of mid-grey pixels of the source (see AutoPhotoFraction).
	Auto Halftone = iota
	// Threshold makes a pixel black when its grey is below Options.Threshold:
	// crisp text and line edges, but flat areas of a photo turn all black or
	// all white.
	Threshold
	// Dither is Floyd–Steinberg error diffusion with serpentine scanning:
	// the local share of black pixels follows the grey level, so photographs
	// keep their tones, at the cost of ragged edges on text.
	Dither
)

func (h Halftone) String() string {
	switch h {
	case Auto:
		return "auto"
	case Threshold:
		return "threshold"
	case Dither:
		return "dither"
	}
	return fmt.Sprintf("Halftone(%d)", int(h))
}

// Mid-grey measure of the Auto halftone: a source whose share of pixels with
// a luminance in [MidGreyLow, MidGreyHigh) exceeds AutoPhotoFraction is
// treated as a photograph and dithered. Scanned or rendered text and line art
// are black and white but for anti-aliased edges, a few per cent of the
// pixels; photographs are mostly mid-tones.
const (
	MidGreyLow        = 48
	MidGreyHigh       = 208
	AutoPhotoFraction = 0.15
)

// lumSource reads rows of luminance, 0 black to 255 white, composited over
// white, from an image. Common image types are read directly, the rest
// through At.
type lumSource struct {
	img image.Image
	b   image.Rectangle
	pal *[256]uint8
}

func newLumSource(img image.Image) *lumSource {
	s := &lumSource{img: img, b: img.Bounds()}
	if p, ok := img.(*image.Paletted); ok {
		var t [256]uint8
		for i := range t {
			t[i] = 0xff
			if i < len(p.Palette) {
				r, g, b, a := p.Palette[i].RGBA()
				t[i] = luma16(r, g, b, a)
			}
		}
		s.pal = &t
	}
	return s
}

// luma16 is the Rec. 601 luma of image/color's GrayModel of a premultiplied
// colour, composited over white.
func luma16(r, g, b, a uint32) uint8 {
	y := (19595*r+38470*g+7471*b+1<<15)>>16 + 0xffff - a
	if y > 0xffff {
		y = 0xffff
	}
	return uint8(y >> 8)
}

// row writes row y (in image coordinates) into dst, len(dst) = width.
func (s *lumSource) row(y int, dst []uint8) {
	b := s.b
	w := b.Dx()
	dst = dst[:w]
	switch m := s.img.(type) {
	case *image.Gray:
		o := m.PixOffset(b.Min.X, y)
		copy(dst, m.Pix[o:o+w])
	case *image.YCbCr:
		o := m.YOffset(b.Min.X, y)
		copy(dst, m.Y[o:o+w])
	case *image.Paletted:
		o := m.PixOffset(b.Min.X, y)
		for x, i := range m.Pix[o : o+w] {
			dst[x] = s.pal[i]
		}
	case *image.RGBA:
		o := m.PixOffset(b.Min.X, y)
		p := m.Pix[o : o+4*w]
		for x := range dst {
			r, g, bb, a := uint32(p[4*x]), uint32(p[4*x+1]), uint32(p[4*x+2]), uint32(p[4*x+3])
			v := (19595*r+38470*g+7471*bb+1<<15)>>16 + 255 - a
			dst[x] = uint8(min(v, 255))
		}
	case *image.NRGBA:
		o := m.PixOffset(b.Min.X, y)
		p := m.Pix[o : o+4*w]
		for x := range dst {
			r, g, bb, a := uint32(p[4*x]), uint32(p[4*x+1]), uint32(p[4*x+2]), uint32(p[4*x+3])
			l := (19595*r + 38470*g + 7471*bb + 1<<15) >> 16
			dst[x] = uint8((l*a + 255*(255-a) + 127) / 255)
		}
	case *image.Gray16:
		o := m.PixOffset(b.Min.X, y)
		for x := range dst {
			dst[x] = m.Pix[o+2*x]
		}
	default:
		for x := range dst {
			dst[x] = luma16(s.img.At(b.Min.X+x, y).RGBA())
		}
	}
}

// midGreyFraction returns the share of mid-grey pixels of about a million
// pixels sampled on evenly spaced rows.
func (s *lumSource) midGreyFraction() float64 {
	w, h := s.b.Dx(), s.b.Dy()
	step := max(1, w*h/(1<<20))
	step = min(step, h)
	row := make([]uint8, w)
	mid, n := 0, 0
	for y := 0; y < h; y += step {
		s.row(s.b.Min.Y+y, row)
		for _, v := range row {
			if v >= MidGreyLow && v < MidGreyHigh {
				mid++
			}
		}
		n += w
	}
	if n == 0 {
		return 0
	}
	return float64(mid) / float64(n)
}

// axis holds the filter of a resampling from src to dst samples: output d is
// the sum over k < taps of w[d*taps+k] times input start[d]+k. The filter is
// a tent, one input sample wide on either side when enlarging (linear
// interpolation) and one output sample wide when reducing (an area average
// that does not alias fine detail such as halftone screens).
type axis struct {
	identity bool
	taps     int
	start    []int
	w        []float32
}

func newAxis(src, dst int) *axis {
	if src == dst {
		return &axis{identity: true, taps: 1}
	}
	r := math.Max(1, float64(src)/float64(dst))
	taps := int(math.Ceil(2*r)) + 1
	if taps > src {
		taps = src
	}
	a := &axis{taps: taps, start: make([]int, dst), w: make([]float32, dst*taps)}
	for d := 0; d < dst; d++ {
		c := (float64(d) + 0.5) * float64(src) / float64(dst)
		lo := int(math.Floor(c - r - 0.5))
		st := min(max(lo, 0), src-taps)
		a.start[d] = st
		w := a.w[d*taps : (d+1)*taps]
		var sum float64
		for s := lo; s <= int(math.Ceil(c+r)); s++ {
			wt := 1 - math.Abs(float64(s)+0.5-c)/r
			if wt <= 0 {
				continue
			}
			w[min(max(s, 0), src-1)-st] += float32(wt)
			sum += wt
		}
		for k := range w {
			w[k] = float32(float64(w[k]) / sum)
		}
	}
	return a
}

// apply resamples one row.
func (a *axis) apply(dst []float32, src []uint8) {
	if a.identity {
		for x, v := range src[:len(dst)] {
			dst[x] = float32(v)
		}
		return
	}
	t := a.taps
	for d := range dst {
		in := src[a.start[d] : a.start[d]+t]
		w := a.w[d*t : d*t+t]
		var s float32
		for k, v := range in {
			s += w[k] * float32(v)
		}
		dst[d] = s
	}
}

// halftoner turns rows of grey, 0 black to 255 white, into packed bits.
type halftoner struct {
	dither    bool
	threshold float32
	cur, next []float32 // diffused error for this row and the next, index x+1
	rtl       bool      // this row runs right to left
}

func newHalftoner(h Halftone, width int, threshold uint8) *halftoner {
	ht := &halftoner{dither: h == Dither, threshold: float32(threshold)}
	if ht.dither {
		ht.cur = make([]float32, width+2)
		ht.next = make([]float32, width+2)
		ht.threshold = 128
	}
	return ht
}

// row halftones v into dst starting at pixel xoff.
func (h *halftoner) row(v []float32, dst []byte, xoff int) {
	if !h.dither {
		for x, g := range v {
			if g < h.threshold {
				px := x + xoff
				dst[px>>3] |= 0x80 >> (px & 7)
			}
		}
		return
	}
	// Floyd–Steinberg: 7/16 ahead, 3/16 behind below, 5/16 below, 1/16
	// ahead below. Serpentine scanning alternates the direction so that the
	// error does not drift to one side and patterns do not line up.
	cur, next := h.cur, h.next
	n := len(v)
	for i := 0; i < n; i++ {
		x, dx := i, 1
		if h.rtl {
			x, dx = n-1-i, -1
		}
		g := v[x] + cur[x+1]
		var e float32
		if g < 128 {
			px := x + xoff
			dst[px>>3] |= 0x80 >> (px & 7)
			e = g
		} else {
			e = g - 255
		}
		cur[x+1+dx] += e * (7.0 / 16)
		next[x+1-dx] += e * (3.0 / 16)
		next[x+1] += e * (5.0 / 16)
		next[x+1+dx] += e * (1.0 / 16)
	}
	clear(cur)
	h.cur, h.next = next, cur
	h.rtl = !h.rtl
}

// Render scales img to the page width of o keeping its aspect ratio,
// halftones it and cuts it into pages of o.PageLength; the last page is as
// long as what is left of the image. src is the resolution of img: only the
// ratio of its X and Y matters, and the zero value means square pixels.
func Render(img image.Image, src Resolution, o *Options) ([]*Page, error) {
	c := o.withDefaults()
	if err := c.check(); err != nil {
		return nil, err
	}
	return c.render(img, src)
}

// render is Render with the source resolution, zero when unknown (square).
func (o *Options) render(img image.Image, srcRes Resolution) ([]*Page, error) {
	b := img.Bounds()
	W, H := b.Dx(), b.Dy()
	if W <= 0 || H <= 0 {
		return nil, fmt.Errorf("%w: empty image", ErrFormat)
	}
	if int64(W)*int64(H) > int64(o.MaxPixels) {
		return nil, fmt.Errorf("%w: %dx%d pixels > %d", ErrTooLarge, W, H, o.MaxPixels)
	}
	aspect := 1.0 // source pixel height over width
	if srcRes.X > 0 && srcRes.Y > 0 {
		aspect = float64(srcRes.X) / float64(srcRes.Y)
		aspect = min(max(aspect, 1.0/16), 16)
	}
	res, pageW, pageRows := o.Resolution, o.Width, o.Resolution.Rows(o.PageLength)
	// Physical height over width of the picture, then in rows at res.
	hw := float64(H) * aspect / float64(W)
	tw := pageW
	th := hw * float64(tw) * float64(res.Y) / float64(res.X)
	if o.FitPage && th > float64(pageRows) {
		tw = int(math.Round(float64(tw) * float64(pageRows) / th))
		th = float64(pageRows)
	}
	tw = max(tw, 1)
	sh := max(int(math.Round(th)), 1)
	if np := (sh + pageRows - 1) / pageRows; np > o.MaxPages {
		return nil, fmt.Errorf("%w: the image needs %d pages > %d", ErrTooManyPages, np, o.MaxPages)
	}
	xoff := (pageW - tw) / 2

	src := newLumSource(img)
	mode := o.Halftone
	if mode == Auto {
		mode = Threshold
		if src.midGreyFraction() > AutoPhotoFraction {
			mode = Dither
		}
	}
	ht := newHalftoner(mode, tw, o.Threshold)
	hx, vy := newAxis(W, tw), newAxis(H, sh)
	ring := make([][]float32, vy.taps)
	tag := make([]int, vy.taps)
	for i := range ring {
		ring[i] = make([]float32, tw)
		tag[i] = -1
	}
	lum := make([]uint8, W)
	out := make([]float32, tw)

	var pages []*Page
	var pg *Page
	for j := 0; j < sh; j++ {
		if j%pageRows == 0 {
			pg = NewPage(pageW, min(pageRows, sh-j), res)
			pages = append(pages, pg)
		}
		if vy.identity {
			src.row(b.Min.Y+j, lum)
			hx.apply(out, lum)
		} else {
			clear(out)
			st := vy.start[j]
			for k := 0; k < vy.taps; k++ {
				w := vy.w[j*vy.taps+k]
				if w == 0 {
					continue
				}
				s := st + k
				slot := s % vy.taps
				if tag[slot] != s {
					src.row(b.Min.Y+s, lum)
					hx.apply(ring[slot], lum)
					tag[slot] = s
				}
				for x, v := range ring[slot] {
					out[x] += w * v
				}
			}
		}
		ht.row(out, pg.Row(j%pageRows), xoff)
	}
	return pages, nil
}
