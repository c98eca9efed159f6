package document

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"
)

// photo returns a w by h photograph-like grey image: smooth gradients and
// blobs with a little noise, mostly mid-tones.
func photo(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(1, 2))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			v := 128 + 60*math.Sin(fx*7+fy*3) + 40*math.Cos(fy*11-fx*2) + 10*rng.NormFloat64()
			img.Pix[y*img.Stride+x] = uint8(min(max(v, 0), 255))
		}
	}
	return img
}

// lineArt returns a w by h RGBA drawing: black frame, cross and filled disc
// on white, with a transparent corner (which must come out white).
func lineArt(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	cx, cy, r := float64(w)/2, float64(h)/2, float64(min(w, h))/4
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{255, 255, 255, 255}
			dx, dy := float64(x)-cx, float64(y)-cy
			switch {
			case x < w/10 && y < h/10:
				c = color.RGBA{} // transparent
			case x < 4 || y < 4 || x >= w-4 || y >= h-4, abs(x-y*w/h) < 3:
				c = color.RGBA{0, 0, 0, 255}
			case dx*dx+dy*dy < r*r:
				c = color.RGBA{20, 20, 120, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func uniform(w, h int, v uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = v
	}
	return img
}

func blackFraction(pages ...*Page) float64 {
	n, b := 0, 0
	for _, p := range pages {
		n += p.Width * p.Rows
		b += p.BlackPixels()
	}
	return float64(b) / float64(n)
}

// diff returns the share of differing pixels of two pages of equal size.
func diff(t *testing.T, a, b *Page) float64 {
	t.Helper()
	if a.Width != b.Width || a.Rows != b.Rows {
		t.Fatalf("sizes differ: %dx%d and %dx%d", a.Width, a.Rows, b.Width, b.Rows)
	}
	d := 0
	for i := range a.Pix {
		d += popcount[a.Pix[i]^b.Pix[i]]
	}
	return float64(d) / float64(a.Width*a.Rows)
}

// tiffGrey writes a multi-page uncompressed 8-bit BlackIsZero TIFF, one
// image per entry, with the given resolutions (TIFF 6.0 baseline).
func tiffGrey(imgs []*image.Gray, res []Resolution) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("II*\x00")
	binary.Write(&b, le, uint32(8))
	for i, img := range imgs {
		w, h := img.Rect.Dx(), img.Rect.Dy()
		start := uint32(b.Len())
		const n = 11
		dataOff := start + 2 + 12*n + 4
		ratOff := dataOff + uint32(w*h)
		next := ratOff + 16
		if i == len(imgs)-1 {
			next = 0
		}
		entry := func(tag, typ uint16, count, val uint32) {
			binary.Write(&b, le, tag)
			binary.Write(&b, le, typ)
			binary.Write(&b, le, count)
			if typ == 3 && count == 1 {
				binary.Write(&b, le, uint16(val))
				binary.Write(&b, le, uint16(0))
			} else {
				binary.Write(&b, le, val)
			}
		}
		binary.Write(&b, le, uint16(n))
		entry(256, 4, 1, uint32(w))   // ImageWidth
		entry(257, 4, 1, uint32(h))   // ImageLength
		entry(258, 3, 1, 8)           // BitsPerSample
		entry(259, 3, 1, 1)           // Compression none
		entry(262, 3, 1, 1)           // BlackIsZero
		entry(273, 4, 1, dataOff)     // StripOffsets
		entry(278, 4, 1, uint32(h))   // RowsPerStrip
		entry(279, 4, 1, uint32(w*h)) // StripByteCounts
		entry(282, 5, 1, ratOff)      // XResolution
		entry(283, 5, 1, ratOff+8)    // YResolution
		entry(296, 3, 1, 2)           // ResolutionUnit inch
		binary.Write(&b, le, next)
		for y := 0; y < h; y++ {
			b.Write(img.Pix[y*img.Stride : y*img.Stride+w])
		}
		binary.Write(&b, le, [4]uint32{uint32(res[i].X), 1, uint32(res[i].Y), 1})
	}
	return b.Bytes()
}
