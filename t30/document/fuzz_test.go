package document

import (
	"bytes"
	"context"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/tiff"
)

// FuzzDecode feeds arbitrary octets to the sniffing and decoding path, with
// small limits and no Ghostscript: it must never panic and must stay within
// its limits.
func FuzzDecode(f *testing.F) {
	img := lineArt(40, 30)
	var b bytes.Buffer
	png.Encode(&b, img)
	f.Add(bytes.Clone(b.Bytes()))
	b.Reset()
	jpeg.Encode(&b, photo(40, 30), nil)
	f.Add(bytes.Clone(b.Bytes()))
	b.Reset()
	gif.Encode(&b, img, nil)
	f.Add(bytes.Clone(b.Bytes()))
	b.Reset()
	tiff.Encode(&b, img, nil)
	f.Add(bytes.Clone(b.Bytes()))
	f.Add(tiffGrey([]*image.Gray{uniform(8, 4, 0), uniform(8, 8, 200)}, []Resolution{Standard, Fine}))
	f.Add([]byte("Hello\tfax\fpage two\r\n\xe9\n"))
	f.Add([]byte(helloPDF))
	f.Add([]byte("\x00\x01"))
	o := &Options{Resolution: Standard, MaxPixels: 1 << 20, MaxPages: 3, MaxInputBytes: 1 << 16, Ghostscript: "/nonexistent/gs"}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		pages, err := Decode(context.Background(), bytes.NewReader(data), o)
		if err != nil {
			if strings.Contains(err.Error(), "panic") {
				t.Fatalf("%v", err)
			}
			return
		}
		if len(pages) == 0 || len(pages) > 3 {
			t.Fatalf("%d pages", len(pages))
		}
		for _, p := range pages {
			if p.Width != 1728 || p.Rows < 1 || p.Rows > 1146 || len(p.Pix) != p.Rows*p.Stride() {
				t.Fatalf("page %dx%d", p.Width, p.Rows)
			}
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("took %v", d)
		}
	})
}
