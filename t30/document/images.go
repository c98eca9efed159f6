package document

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math"

	"golang.org/x/image/tiff"
)

// decodeImage decodes a PNG, JPEG or GIF (first frame) after checking its
// size from the header.
func (o *Options) decodeImage(data []byte, f Format) ([]*Page, error) {
	var (
		cfgFn func(io.Reader) (image.Config, error)
		decFn func(io.Reader) (image.Image, error)
		res   Resolution
	)
	switch f {
	case PNG:
		cfgFn, decFn, res = png.DecodeConfig, png.Decode, pngResolution(data)
	case JPEG:
		cfgFn, decFn, res = jpeg.DecodeConfig, jpeg.Decode, jfifResolution(data)
	case GIF:
		cfgFn, decFn = gif.DecodeConfig, gif.Decode
	default:
		return nil, ErrFormat
	}
	img, err := o.decodeBounded(data, cfgFn, decFn)
	if err != nil {
		return nil, fmt.Errorf("%w: %v: %w", ErrFormat, f, err)
	}
	return o.render(img, res)
}

func (o *Options) decodeBounded(data []byte, cfgFn func(io.Reader) (image.Config, error), decFn func(io.Reader) (image.Image, error)) (image.Image, error) {
	cfg, err := cfgFn(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > int64(o.MaxPixels) {
		return nil, fmt.Errorf("%w: %dx%d pixels, at most %d", ErrTooLarge, cfg.Width, cfg.Height, o.MaxPixels)
	}
	return decFn(bytes.NewReader(data))
}

// pngResolution reads the pHYs chunk (PNG §11.3.5.3) ahead of IDAT. Only
// the ratio matters here, so unit 0 (aspect only) serves as well.
func pngResolution(b []byte) Resolution {
	for i := 8; i+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		typ := string(b[i+4 : i+8])
		if typ == "IDAT" || n < 0 || n > len(b)-i-12 {
			break
		}
		if typ == "pHYs" && n == 9 {
			x, y := binary.BigEndian.Uint32(b[i+8:]), binary.BigEndian.Uint32(b[i+12:])
			if b[i+16] == 1 { // per metre
				return Resolution{int(math.Round(float64(x) * 0.0254)), int(math.Round(float64(y) * 0.0254))}
			}
			if x > 0 && y > 0 && x < 1<<20 && y < 1<<20 {
				return Resolution{int(x), int(y)}
			}
			break
		}
		i += n + 12
	}
	return Resolution{}
}

// jfifResolution reads the density of a JFIF APP0 segment right after SOI:
// units 0 (aspect only), 1 (per inch) or 2 (per cm); only the ratio matters.
func jfifResolution(b []byte) Resolution {
	if len(b) < 18 || b[2] != 0xff || b[3] != 0xe0 || string(b[6:11]) != "JFIF\x00" {
		return Resolution{}
	}
	x, y := int(binary.BigEndian.Uint16(b[14:])), int(binary.BigEndian.Uint16(b[16:]))
	if x == 0 || y == 0 {
		return Resolution{}
	}
	return Resolution{x, y}
}

// tiffIFD is what decodeTIFF needs of an image file directory (TIFF 6.0 §2).
type tiffIFD struct {
	offset uint32
	res    Resolution
}

// tiffIFDs walks the IFD chain, at most max+1 directories, refusing loops.
func tiffIFDs(b []byte, max int) ([]tiffIFD, error) {
	if len(b) < 8 {
		return nil, io.ErrUnexpectedEOF
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if b[0] == 'M' {
		bo = binary.BigEndian
	}
	seen := map[uint32]bool{}
	var ifds []tiffIFD
	for off := bo.Uint32(b[4:]); off != 0; {
		if seen[off] {
			return nil, fmt.Errorf("IFD loop at %d", off)
		}
		seen[off] = true
		if uint64(off)+2 > uint64(len(b)) {
			return nil, fmt.Errorf("IFD offset %d beyond the file", off)
		}
		n := int(bo.Uint16(b[off:]))
		end := uint64(off) + 2 + 12*uint64(n)
		if end+4 > uint64(len(b)) {
			return nil, fmt.Errorf("IFD at %d truncated", off)
		}
		ifd := tiffIFD{offset: off}
		var xr, yr float64
		for i := 0; i < n; i++ {
			e := b[int(off)+2+12*i:]
			tag, typ := bo.Uint16(e), bo.Uint16(e[2:])
			if (tag == 282 || tag == 283) && typ == 5 { // X/YResolution, RATIONAL
				p := uint64(bo.Uint32(e[8:]))
				if p+8 <= uint64(len(b)) {
					num, den := bo.Uint32(b[p:]), bo.Uint32(b[p+4:])
					if den != 0 {
						if tag == 282 {
							xr = float64(num) / float64(den)
						} else {
							yr = float64(num) / float64(den)
						}
					}
				}
			}
		}
		if xr >= 1 && yr >= 1 && xr < 1e5 && yr < 1e5 {
			ifd.res = Resolution{int(math.Round(xr)), int(math.Round(yr))}
		}
		ifds = append(ifds, ifd)
		if len(ifds) > max {
			break
		}
		off = bo.Uint32(b[end:])
	}
	return ifds, nil
}

// ifdReader presents a TIFF file whose header points at another IFD, so that
// x/image/tiff, which reads the first image only, decodes any of them.
type ifdReader struct {
	b   []byte
	hdr [8]byte
}

func (r *ifdReader) Read([]byte) (int, error) { return 0, io.ErrNoProgress } // unused: tiff uses ReadAt

func (r *ifdReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("negative offset")
	}
	if off >= int64(len(r.b)) {
		return 0, io.EOF
	}
	n := copy(p, r.b[off:])
	if off < 8 {
		copy(p, r.hdr[off:])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// decodeTIFF decodes every image of a TIFF file, each with its resolution.
func (o *Options) decodeTIFF(data []byte) ([]*Page, error) {
	ifds, err := tiffIFDs(data, o.MaxPages)
	if err != nil {
		return nil, fmt.Errorf("%w: TIFF: %w", ErrFormat, err)
	}
	if len(ifds) == 0 {
		return nil, fmt.Errorf("%w: TIFF without images", ErrFormat)
	}
	if len(ifds) > o.MaxPages {
		return nil, fmt.Errorf("%w: TIFF with more than %d images", ErrTooManyPages, o.MaxPages)
	}
	var pages []*Page
	for i, ifd := range ifds {
		r := &ifdReader{b: data}
		copy(r.hdr[:], data[:8])
		if data[0] == 'M' {
			binary.BigEndian.PutUint32(r.hdr[4:], ifd.offset)
		} else {
			binary.LittleEndian.PutUint32(r.hdr[4:], ifd.offset)
		}
		img, err := o.decodeBounded(nil,
			func(io.Reader) (image.Config, error) { return tiff.DecodeConfig(r) },
			func(io.Reader) (image.Image, error) { return tiff.Decode(r) })
		if err != nil {
			return nil, fmt.Errorf("%w: TIFF image %d: %w", ErrFormat, i+1, err)
		}
		p, err := o.render(img, ifd.res)
		if err != nil {
			return nil, err
		}
		pages = append(pages, p...)
		if len(pages) > o.MaxPages {
			return nil, fmt.Errorf("%w: more than %d", ErrTooManyPages, o.MaxPages)
		}
	}
	return pages, nil
}
