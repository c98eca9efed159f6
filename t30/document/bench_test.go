package document

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkRenderText sets full pages of text at fine resolution.
func BenchmarkRenderText(b *testing.B) {
	var s strings.Builder
	for i := range 64 * 10 {
		fmt.Fprintf(&s, "%4d The quick brown fox jumps over the lazy dog; 0123456789 (ÄÖÜ).\n", i)
	}
	text := []byte(s.String())
	b.ReportAllocs()
	pages := 0
	for b.Loop() {
		p, err := RenderText(text, nil)
		if err != nil {
			b.Fatal(err)
		}
		pages += len(p)
	}
	b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
}

// BenchmarkDitherA4Photo scales an A4 photograph scanned at 300 dpi
// (2480x3508 grey) to a fine-resolution page and dithers it.
func BenchmarkDitherA4Photo(b *testing.B) {
	img := photo(2480, 3508)
	o := &Options{Halftone: Dither, FitPage: true}
	b.ReportAllocs()
	pages := 0
	for b.Loop() {
		p, err := Render(img, Resolution{}, o)
		if err != nil {
			b.Fatal(err)
		}
		pages += len(p)
	}
	b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
}

// BenchmarkDitherFaxPhoto dithers a photograph already at fax size (no scaling).
func BenchmarkDitherFaxPhoto(b *testing.B) {
	img := photo(1728, 2292)
	o := &Options{Halftone: Dither}
	pages := 0
	for b.Loop() {
		p, err := Render(img, Fine, o)
		if err != nil {
			b.Fatal(err)
		}
		pages += len(p)
	}
	b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
}

// BenchmarkWritePDF codes text pages with MMR into a PDF.
func BenchmarkWritePDF(b *testing.B) {
	pages := testPages(b)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := WritePDF(&buf, pages); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(pages))*float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}
