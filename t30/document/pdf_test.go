package document

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func testPages(t testing.TB) []*Page {
	t.Helper()
	text, err := RenderText([]byte(strings.Repeat("PDF round trip through Ghostscript, 0123456789.\n", 30)), &Options{Header: "faxd"})
	if err != nil {
		t.Fatal(err)
	}
	photoPages, err := Render(photo(600, 400), Resolution{}, &Options{Resolution: Standard})
	if err != nil {
		t.Fatal(err)
	}
	art, err := Render(lineArt(500, 500), Resolution{}, &Options{Resolution: R300})
	if err != nil {
		t.Fatal(err)
	}
	return []*Page{text[0], photoPages[0], art[0]}
}

// TestPDFStructure checks the cross-reference table against the objects.
func TestPDFStructure(t *testing.T) {
	pages := testPages(t)
	var b bytes.Buffer
	if err := WritePDF(&b, pages); err != nil {
		t.Fatal(err)
	}
	pdf := b.Bytes()
	m := regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`).FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no startxref")
	}
	xref, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(pdf[xref:], []byte("xref\n0 13\n")) {
		t.Fatalf("xref at %d: %.20q", xref, pdf[xref:])
	}
	entries := pdf[xref+len("xref\n0 13\n"):]
	for id := 0; id < 13; id++ {
		e := entries[20*id : 20*id+20]
		if id == 0 {
			continue
		}
		off, _ := strconv.Atoi(string(e[:10]))
		if want := fmt.Sprintf("%d 0 obj\n", id); !bytes.HasPrefix(pdf[off:], []byte(want)) {
			t.Errorf("object %d: xref %q points at %.12q", id, e, pdf[off:])
		}
	}
	t.Logf("PDF of 3 pages: %d octets", len(pdf))
	if err := WritePDF(&b, nil); !errors.Is(err, ErrOptions) {
		t.Errorf("no pages: %v", err)
	}
}

func needGS(t *testing.T) string {
	t.Helper()
	gs, err := exec.LookPath("gs")
	if err != nil {
		t.Skip("Ghostscript (gs) not installed")
	}
	return gs
}

// TestPDFGhostscriptRoundTrip renders our PDF back with Ghostscript at each
// page's own resolution and size and compares pixels.
func TestPDFGhostscriptRoundTrip(t *testing.T) {
	gs := needGS(t)
	pages := testPages(t)
	dir := t.TempDir()
	var b bytes.Buffer
	if err := WritePDF(&b, pages); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "out.pdf"), b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, p := range pages {
		png1 := filepath.Join(dir, fmt.Sprintf("back%d.png", i+1))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, err := exec.CommandContext(ctx, gs, "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pngmono",
			fmt.Sprintf("-r%dx%d", p.XRes, p.YRes), fmt.Sprintf("-g%dx%d", p.Width, p.Rows), "-dFIXEDMEDIA",
			fmt.Sprintf("-dFirstPage=%d", i+1), fmt.Sprintf("-dLastPage=%d", i+1),
			"-sOutputFile="+png1, filepath.Join(dir, "out.pdf")).CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("gs: %v: %s", err, out)
		}
		f, err := os.Open(png1)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		back := PageFromImage(img, p.Resolution())
		d := diff(t, p, back)
		t.Logf("page %d %dx%d at %v: %.5f of pixels differ after gs", i+1, p.Width, p.Rows, p.Resolution(), d)
		if d > 0.001 {
			t.Errorf("page %d: %.4f of pixels differ", i+1, d)
		}
	}
}

// TestDecodePDF sends PDF and PostScript in through Ghostscript.
func TestDecodePDF(t *testing.T) {
	ctx := context.Background()
	// Without gs: an error naming the Debian package.
	_, err := Decode(ctx, strings.NewReader(helloPDF), &Options{Ghostscript: "/nonexistent/gs"})
	if !errors.Is(err, ErrNoGhostscript) || !strings.Contains(err.Error(), `"ghostscript"`) {
		t.Errorf("no gs: %v", err)
	}
	needGS(t)

	// Our own PDF at fax size comes back nearly unchanged.
	src := testPages(t)[0]
	var b bytes.Buffer
	if err := WritePDF(&b, []*Page{src, src, src}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	pages, err := Decode(ctx, bytes.NewReader(b.Bytes()), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("3-page PDF through gs in %v", time.Since(start).Round(time.Millisecond))
	if len(pages) != 3 {
		t.Fatalf("%d pages", len(pages))
	}
	if d := diff(t, src, pages[2]); d > 0.002 {
		t.Errorf("page differs in %.4f of pixels", d)
	}
	if _, err := Decode(ctx, bytes.NewReader(b.Bytes()), &Options{MaxPages: 2}); !errors.Is(err, ErrTooManyPages) {
		t.Errorf("MaxPages: %v", err)
	}

	// A hand-written PDF with text, and PostScript, at standard resolution.
	for name, doc := range map[string]string{"pdf": helloPDF, "ps": helloPS} {
		pages, err := Decode(ctx, strings.NewReader(doc), &Options{Resolution: Standard})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(pages) != 1 || pages[0].Width != 1728 || pages[0].Rows != 1146 {
			t.Fatalf("%s: %d pages of %dx%d", name, len(pages), pages[0].Width, pages[0].Rows)
		}
		if n := pages[0].BlackPixels(); n < 500 {
			t.Errorf("%s: %d black pixels", name, n)
		}
	}
	if _, err := Decode(ctx, strings.NewReader("%PDF-1.4\ngarbage\n"), nil); err == nil {
		t.Error("garbage PDF accepted")
	}
}

const helloPS = "%!PS-Adobe-3.0\n/Helvetica findfont 36 scalefont setfont 72 700 moveto (Hello, fax) show\n72 600 moveto 500 600 lineto 8 setlinewidth stroke showpage\n"

// helloPDF is a minimal PDF; readers rebuild its missing xref table.
const helloPDF = `%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >> endobj
4 0 obj << /Length 74 >> stream
BT /F1 36 Tf 72 700 Td (Hello, fax) Tj ET 72 600 m 500 600 l 8 w S
endstream endobj
5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj
trailer << /Root 1 0 R >>
%%EOF
`
