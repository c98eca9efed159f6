package document

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/faxd/faxd/t30/t4"
)

// WritePDF writes the pages as a PDF 1.4 file (ISO 32000-1): one page per fax
// page at its physical size (Width/XRes by Rows/YRes inches), each page a
// single bilevel image XObject, /DeviceGray, one bit per component, coded by
// the t4 MMR encoder and decoded by /CCITTFaxDecode with /K -1 (T.6, §7.4.6
// of ISO 32000-1). /BlackIs1 is left false, so decoded 0 bits are black as
// in /DeviceGray.
func WritePDF(w io.Writer, pages []*Page) error {
	if len(pages) == 0 {
		return fmt.Errorf("%w: no pages", ErrOptions)
	}
	for i, p := range pages {
		if p.Width < 1 || p.Width > t4.MaxWidth || p.Rows < 1 || p.XRes <= 0 || p.YRes <= 0 || len(p.Pix) < p.Rows*p.Stride() {
			return fmt.Errorf("%w: page %d: %dx%d at %dx%d dpi", ErrOptions, i+1, p.Width, p.Rows, p.XRes, p.YRes)
		}
	}
	pw := &pdfWriter{w: bufio.NewWriter(w)}
	n := len(pages)
	// Objects: 1 catalog, 2 page tree, 3 info, then page, contents, image per page.
	pageObj := func(i int) int { return 4 + 3*i }
	pw.header()
	pw.object(1, "<< /Type /Catalog /Pages 2 0 R >>")
	var kids bytes.Buffer
	for i := range n {
		fmt.Fprintf(&kids, "%d 0 R ", pageObj(i))
	}
	pw.object(2, fmt.Sprintf("<< /Type /Pages /Count %d /Kids [ %s] >>", n, kids.String()))
	pw.object(3, "<< /Producer (faxd t30/document) >>")
	var coded bytes.Buffer
	for i, p := range pages {
		w, h := num(float64(p.Width)*72/float64(p.XRes)), num(float64(p.Rows)*72/float64(p.YRes))
		pw.object(pageObj(i), fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] /Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>",
			w, h, pageObj(i)+2, pageObj(i)+1))
		content := fmt.Sprintf("q %s 0 0 %s 0 0 cm /Im0 Do Q\n", w, h)
		pw.stream(pageObj(i)+1, "", []byte(content))
		coded.Reset()
		if err := p.EncodeT4(&coded, t4.MMR); err != nil {
			return fmt.Errorf("document: page %d: %w", i+1, err)
		}
		pw.stream(pageObj(i)+2, fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns %d /Rows %d >> ",
			p.Width, p.Rows, p.Width, p.Rows), coded.Bytes())
	}
	pw.trailer(3*n+4, 1, 3)
	if pw.err != nil {
		return pw.err
	}
	return pw.w.Flush()
}

// num formats a PDF real with at most four decimals.
func num(v float64) string {
	s := strconv.FormatFloat(v, 'f', 4, 64)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

// pdfWriter writes numbered objects and remembers their offsets for the
// cross-reference table (ISO 32000-1 §7.5.4).
type pdfWriter struct {
	w       *bufio.Writer
	off     int64
	offsets map[int]int64
	err     error
}

func (pw *pdfWriter) write(s string) {
	if pw.err != nil {
		return
	}
	n, err := pw.w.WriteString(s)
	pw.off += int64(n)
	pw.err = err
}

func (pw *pdfWriter) writeBytes(b []byte) {
	if pw.err != nil {
		return
	}
	n, err := pw.w.Write(b)
	pw.off += int64(n)
	pw.err = err
}

func (pw *pdfWriter) header() {
	pw.offsets = map[int]int64{}
	pw.write("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n") // binary comment: the file holds binary data
}

func (pw *pdfWriter) object(id int, body string) {
	pw.offsets[id] = pw.off
	pw.write(fmt.Sprintf("%d 0 obj\n%s\nendobj\n", id, body))
}

func (pw *pdfWriter) stream(id int, dict string, data []byte) {
	pw.offsets[id] = pw.off
	pw.write(fmt.Sprintf("%d 0 obj\n<< %s/Length %d >>\nstream\n", id, dict, len(data)))
	pw.writeBytes(data)
	pw.write("\nendstream\nendobj\n")
}

func (pw *pdfWriter) trailer(size, root, info int) {
	xref := pw.off
	var b bytes.Buffer
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", size)
	for id := 1; id < size; id++ {
		fmt.Fprintf(&b, "%010d 00000 n \n", pw.offsets[id])
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", size, root, info, xref)
	pw.writeBytes(b.Bytes())
}
