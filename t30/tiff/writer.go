package tiff

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"time"

	"github.com/faxd/faxd/t30/t4"
)

// Options configure a Writer.
type Options struct {
	ByteOrder    binary.ByteOrder // binary.BigEndian ("MM") or binary.LittleEndian ("II", also for nil)
	FillOrder    t4.FillOrder     // 0: MSBFirst (FillOrder 1)
	RowsPerStrip int              // 0: one strip per page
	Software     string           // "": "faxd"
	// RTC ends each G3 strip with RTC (six EOLs, T.4 §4.1.4). Class F files leave it out
	// (libtiff's FAXMODE_CLASSF), which is the default; G4 strips always end with EOFB
	// (T.6 §2.2.3), as libtiff writes them.
	RTC bool
}

// PageSpec describes a page to write.
type PageSpec struct {
	Width      int        // pixels per row; 0: 1728 (A4)
	Coding     Coding     // MH (the zero value), MR, MMR or Uncompressed
	Resolution Resolution // dots per inch; zero: Standard (204 x 98)
	// K is the MR parameter: a 1-D row every K rows. 0 chooses after T.4 §4.2.1 from the
	// vertical resolution: 2 below 150 dpi, 4 below 250 dpi, 8 above.
	K        int
	AlignEOL bool      // G3: fill so that each EOL ends on an octet boundary (T4Options bit 2)
	Time     time.Time // written as DateTime unless zero
	PageName string    // written as PageName unless empty
	Quality  *Quality  // written as the Class F fields unless nil (see also PageWriter.SetQuality)
}

type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// sink is where the file goes: a seekable writer patched in place, or memory.
type sink interface {
	io.Writer
	patch(off int64, b []byte, end int64) error
	flush() error
}

type seekSink struct {
	ws   io.WriteSeeker
	base int64
	bw   *bufio.Writer
}

func (s *seekSink) Write(p []byte) (int, error) { return s.bw.Write(p) }

func (s *seekSink) patch(off int64, b []byte, end int64) error {
	if err := s.bw.Flush(); err != nil {
		return err
	}
	if _, err := s.ws.Seek(s.base+off, io.SeekStart); err != nil {
		return err
	}
	if _, err := s.ws.Write(b); err != nil {
		return err
	}
	_, err := s.ws.Seek(s.base+end, io.SeekStart)
	return err
}

func (s *seekSink) flush() error { return s.bw.Flush() }

type memSink struct {
	w   io.Writer
	buf []byte
}

func (s *memSink) Write(p []byte) (int, error) {
	s.buf = append(s.buf, p...)
	return len(p), nil
}

func (s *memSink) patch(off int64, b []byte, _ int64) error {
	copy(s.buf[off:], b)
	return nil
}

func (s *memSink) flush() error {
	_, err := s.w.Write(s.buf)
	s.buf = nil
	return err
}

// Writer writes a multi-page TIFF Class F file (RFC 2306), one page at a time. When the
// io.Writer given to NewWriter can seek, the file is written as pages close and patched
// in place; otherwise it is kept in memory and written by Close.
type Writer struct {
	opt      Options
	bo       byteOrder
	out      sink
	pos      int64   // offset of the next byte written
	nextPtr  int64   // offset of the pointer to the next IFD to patch
	pageNums []int64 // offsets of the PageNumber values
	page     *PageWriter
	enc      *t4.Encoder
	encOpt   t4.Options
	closed   bool
	err      error
	tmp      []byte
	capture  bool   // strip data goes to tail
	tail     []byte // the end of a strip, as the Encoder's Close wrote it
}

// NewWriter starts a file on w with the header (TIFF 6.0 section 2).
func NewWriter(w io.Writer, opt Options) (*Writer, error) {
	var bo byteOrder = binary.LittleEndian
	switch opt.ByteOrder {
	case nil, binary.LittleEndian:
	case binary.BigEndian:
		bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("%w: byte order %v", ErrUnsupported, opt.ByteOrder)
	}
	if opt.FillOrder == 0 {
		opt.FillOrder = t4.MSBFirst
	}
	if opt.FillOrder != t4.MSBFirst && opt.FillOrder != t4.LSBFirst {
		return nil, fmt.Errorf("%w: fill order %d", ErrUnsupported, opt.FillOrder)
	}
	if opt.RowsPerStrip < 0 {
		return nil, fmt.Errorf("%w: RowsPerStrip %d", ErrLimit, opt.RowsPerStrip)
	}
	if opt.Software == "" {
		opt.Software = "faxd"
	}
	tw := &Writer{opt: opt, bo: bo, nextPtr: 4}
	if ws, ok := w.(io.WriteSeeker); ok {
		if base, err := ws.Seek(0, io.SeekCurrent); err == nil {
			tw.out = &seekSink{ws: ws, base: base, bw: bufio.NewWriterSize(ws, 64<<10)}
		}
	}
	if tw.out == nil {
		tw.out = &memSink{w: w}
	}
	var h [8]byte
	if tw.bo == binary.BigEndian {
		copy(h[:], "MM")
	} else {
		copy(h[:], "II")
	}
	tw.bo.PutUint16(h[2:], 42)
	tw.write(h[:])
	return tw, tw.err
}

func (w *Writer) write(b []byte) {
	if w.err != nil {
		return
	}
	_, w.err = w.out.Write(b)
	w.pos += int64(len(b))
}

// encOut is the Writer as the io.Writer the t4 Encoder writes strip data to.
type encOut Writer

func (o *encOut) Write(b []byte) (int, error) {
	w := (*Writer)(o)
	if w.capture {
		w.tail = append(w.tail, b...)
		return len(b), nil
	}
	w.write(b)
	return len(b), w.err
}

func (w *Writer) align() {
	if w.pos&1 != 0 {
		w.write([]byte{0})
	}
}

// PageWriter takes the rows of one page.
type PageWriter struct {
	w       *Writer
	spec    PageSpec
	rps     int
	rows    int
	inStrip int // rows in the open strip (0: no strip open)
	offs    []uint32
	cnts    []uint32
	stripAt int64
	row     []byte // uncompressed row buffer
	closed  bool
	coded   bool // WriteCoded gave the page
}

// AddPage starts a page. The previous page must be closed.
func (w *Writer) AddPage(spec PageSpec) (*PageWriter, error) {
	if w.closed {
		return nil, ErrClosed
	}
	if w.err != nil {
		return nil, w.err
	}
	if w.page != nil {
		return nil, ErrPageOpen
	}
	if len(w.pageNums) >= math.MaxUint16 {
		return nil, fmt.Errorf("%w: more than %d pages", ErrTooMany, math.MaxUint16)
	}
	if spec.Width == 0 {
		spec.Width = 1728
	}
	if spec.Width < 1 || spec.Width > t4.MaxWidth {
		return nil, fmt.Errorf("%w: width %d (1..%d)", ErrLimit, spec.Width, t4.MaxWidth)
	}
	if spec.Coding < MH || spec.Coding > Uncompressed {
		return nil, fmt.Errorf("%w: coding %d", ErrUnsupported, int(spec.Coding))
	}
	if spec.Resolution == (Resolution{}) {
		spec.Resolution = Standard
	}
	if r := spec.Resolution; !(r.X > 0 && r.Y > 0 && r.X < 1e6 && r.Y < 1e6) {
		return nil, fmt.Errorf("%w: resolution %v x %v", ErrLimit, r.X, r.Y)
	}
	if spec.K == 0 {
		switch y := spec.Resolution.Y; {
		case y < 150:
			spec.K = 2
		case y < 250:
			spec.K = 4
		default:
			spec.K = 8
		}
	}
	p := &PageWriter{w: w, spec: spec, rps: w.opt.RowsPerStrip}
	if p.rps == 0 {
		p.rps = MaxHeight
	}
	if spec.Coding == Uncompressed {
		p.row = make([]byte, (spec.Width+7)>>3)
	} else {
		opt := t4.Options{
			Coding:    spec.Coding.t4(),
			Width:     spec.Width,
			K:         spec.K,
			FillOrder: w.opt.FillOrder,
			AlignEOL:  spec.AlignEOL,
		}
		if w.enc == nil || w.encOpt != opt {
			enc, err := t4.NewEncoder((*encOut)(w), opt)
			if err != nil {
				return nil, fmt.Errorf("tiff: %w", err)
			}
			w.enc, w.encOpt = enc, opt
		}
	}
	w.page = p
	return p, nil
}

// SetQuality sets the Class F fields BadFaxLines, CleanFaxData and ConsecutiveBadFaxLines
// written when the page closes.
func (p *PageWriter) SetQuality(q Quality) { p.spec.Quality = &q }

// Rows returns the number of rows written so far.
func (p *PageWriter) Rows() int { return p.rows }

// WriteRow adds one row of (Width+7)/8 octets, first pixel in the most significant bit,
// 1 = black.
func (p *PageWriter) WriteRow(row []byte) error {
	w := p.w
	if p.closed {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	if p.coded {
		return fmt.Errorf("%w: a row after coded data", ErrUnsupported)
	}
	nb := (p.spec.Width + 7) >> 3
	if len(row) < nb {
		return fmt.Errorf("%w: %d octets, want %d", t4.ErrRowSize, len(row), nb)
	}
	if p.rows >= MaxHeight {
		return fmt.Errorf("%w: more than %d rows", ErrLimit, MaxHeight)
	}
	if p.inStrip == 0 {
		p.stripAt = w.pos
		if w.enc != nil && p.spec.Coding != Uncompressed {
			w.enc.Reset((*encOut)(w))
		}
	}
	if p.spec.Coding == Uncompressed {
		copy(p.row, row[:nb])
		p.row[nb-1] &= 0xFF << uint((8-p.spec.Width&7)&7)
		if w.opt.FillOrder == t4.LSBFirst {
			for k, b := range p.row {
				p.row[k] = bits.Reverse8(b)
			}
		}
		w.write(p.row)
	} else if err := w.enc.WriteRow(row); err != nil && w.err == nil {
		w.err = err
	}
	p.rows++
	p.inStrip++
	if p.inStrip == p.rps {
		p.endStrip()
	}
	return w.err
}

// WriteCoded gives the page, instead of its rows, its rows already coded
// as the page's Coding says (MH, MR or MMR, in the Writer's FillOrder):
// rows rows, written as they are in one strip. A fax received is stored so,
// as it came (RFC 2306 §2: Class F keeps the data a receiver got; a G3
// strip may then end with RTC, which readers stop at after ImageLength
// rows). It may not follow WriteRow, nor be called twice for a page.
func (p *PageWriter) WriteCoded(data []byte, rows int) error {
	w := p.w
	switch {
	case p.closed:
		return ErrClosed
	case w.err != nil:
		return w.err
	case p.rows > 0 || len(p.offs) > 0:
		return fmt.Errorf("%w: coded data after rows", ErrUnsupported)
	case p.spec.Coding == Uncompressed:
		return fmt.Errorf("%w: coded data for an uncompressed page", ErrUnsupported)
	case rows < 1 || rows > MaxHeight:
		return fmt.Errorf("%w: %d rows (1..%d)", ErrLimit, rows, MaxHeight)
	case len(data) == 0 || int64(len(data)) > math.MaxUint32:
		return fmt.Errorf("%w: %d octets of coded data", ErrLimit, len(data))
	}
	at := w.pos
	w.write(data)
	p.offs, p.cnts = append(p.offs, uint32(at)), append(p.cnts, uint32(len(data)))
	p.rows, p.rps, p.coded = rows, rows, true
	return w.err
}

// endStrip ends the open strip: RTC (if asked) or EOFB, octet padding.
func (p *PageWriter) endStrip() {
	w := p.w
	if p.spec.Coding != Uncompressed {
		data := w.enc.Bits()
		w.capture, w.tail = true, w.tail[:0]
		err := w.enc.Close()
		w.capture = false
		if err != nil && w.err == nil {
			w.err = err
		}
		tail := w.tail
		if p.spec.Coding != MMR && !w.opt.RTC {
			// Keep only the data bits of the last, partial octet: no RTC (Class F).
			tail = tail[:0]
			if r := data & 7; r != 0 && len(w.tail) > 0 {
				mask := byte(0xFF) << uint(8-r)
				if w.opt.FillOrder == t4.LSBFirst {
					mask = bits.Reverse8(mask)
				}
				tail = append(tail, w.tail[0]&mask)
			}
		}
		w.write(tail)
	}
	p.offs = append(p.offs, uint32(p.stripAt))
	p.cnts = append(p.cnts, uint32(w.pos-p.stripAt))
	p.inStrip = 0
}

// field is an IFD entry to write.
type field struct {
	tag, typ uint16
	count    uint32
	data     []byte
}

// Close ends the page and writes its IFD.
func (p *PageWriter) Close() error {
	w := p.w
	if p.closed {
		return ErrClosed
	}
	p.closed = true
	w.page = nil
	if w.err != nil {
		return w.err
	}
	if p.rows == 0 {
		return ErrNoRows
	}
	if p.inStrip > 0 {
		p.endStrip()
	}
	if w.pos > math.MaxUint32 {
		return fmt.Errorf("%w: file larger than 4 GiB", ErrLimit)
	}
	bo := w.bo
	short := func(tag uint16, v ...uint16) field {
		b := make([]byte, 2*len(v))
		for i, x := range v {
			bo.PutUint16(b[2*i:], x)
		}
		return field{tag, typeShort, uint32(len(v)), b}
	}
	long := func(tag uint16, v ...uint32) field {
		b := make([]byte, 4*len(v))
		for i, x := range v {
			bo.PutUint32(b[4*i:], x)
		}
		return field{tag, typeLong, uint32(len(v)), b}
	}
	rational := func(tag uint16, v float64) field {
		num, den := toRational(v)
		b := make([]byte, 8)
		bo.PutUint32(b, num)
		bo.PutUint32(b[4:], den)
		return field{tag, typeRational, 1, b}
	}
	ascii := func(tag uint16, s string) field {
		b := append([]byte(s), 0)
		return field{tag, typeASCII, uint32(len(b)), b}
	}
	sp := p.spec
	comp := map[Coding]uint16{MH: CompressionG3, MR: CompressionG3, MMR: CompressionG4, Uncompressed: CompressionNone}[sp.Coding]
	fs := []field{
		long(tagNewSubfileType, 2),
		long(tagImageWidth, uint32(sp.Width)),
		long(tagImageLength, uint32(p.rows)),
		short(tagBitsPerSample, 1),
		short(tagCompression, comp),
		short(tagPhotometric, 0),
		short(tagFillOrder, uint16(w.opt.FillOrder)),
		long(tagStripOffsets, p.offs...),
		short(tagOrientation, 1),
		short(tagSamplesPerPixel, 1),
		long(tagRowsPerStrip, uint32(min(p.rps, p.rows))),
		long(tagStripByteCounts, p.cnts...),
		rational(tagXResolution, sp.Resolution.X),
		rational(tagYResolution, sp.Resolution.Y),
		short(tagPlanarConfiguration, 1),
		short(tagResolutionUnit, ResUnitInch),
		short(tagPageNumber, uint16(len(w.pageNums)), 0),
		ascii(tagSoftware, w.opt.Software),
	}
	switch sp.Coding {
	case MH, MR:
		var o uint32
		if sp.Coding == MR {
			o |= T4TwoD
		}
		if sp.AlignEOL {
			o |= T4FillBits
		}
		fs = append(fs, long(tagT4Options, o))
	case MMR:
		fs = append(fs, long(tagT6Options, 0))
	}
	if sp.PageName != "" {
		fs = append(fs, ascii(tagPageName, sp.PageName))
	}
	if !sp.Time.IsZero() {
		fs = append(fs, ascii(tagDateTime, sp.Time.Format(dateLayout)))
	}
	if q := sp.Quality; q != nil && sp.Coding != Uncompressed {
		// libtiff knows these fields only with the fax codecs.
		fs = append(fs,
			long(tagBadFaxLines, uint32(max(q.BadFaxLines, 0))),
			short(tagCleanFaxData, uint16(q.CleanFaxData)),
			long(tagConsecutiveBadFaxLns, uint32(max(q.ConsecutiveBadFaxLines, 0))))
	}
	slices.SortFunc(fs, func(a, b field) int { return cmp.Compare(a.tag, b.tag) })

	// Values that do not fit in an entry go before the IFD, each on a word boundary
	// (TIFF 6.0 section 2).
	offs := make([]int64, len(fs))
	for i, f := range fs {
		if len(f.data) > 4 {
			w.align()
			offs[i] = w.pos
			w.write(f.data)
		}
	}
	w.align()
	ifd := w.pos
	b := w.tmp[:0]
	b = bo.AppendUint16(b, uint16(len(fs)))
	var pageNum int64
	for i, f := range fs {
		b = bo.AppendUint16(b, f.tag)
		b = bo.AppendUint16(b, f.typ)
		b = bo.AppendUint32(b, f.count)
		if f.tag == tagPageNumber {
			pageNum = ifd + int64(len(b))
		}
		if len(f.data) > 4 {
			b = bo.AppendUint32(b, uint32(offs[i]))
		} else {
			var v [4]byte
			copy(v[:], f.data)
			b = append(b, v[:]...)
		}
	}
	b = bo.AppendUint32(b, 0)
	w.tmp = b
	w.write(b)
	if w.err != nil {
		return w.err
	}
	if w.pos > math.MaxUint32 {
		return fmt.Errorf("%w: file larger than 4 GiB", ErrLimit)
	}
	var ptr [4]byte
	bo.PutUint32(ptr[:], uint32(ifd))
	if err := w.out.patch(w.nextPtr, ptr[:], w.pos); err != nil {
		w.err = err
		return err
	}
	w.nextPtr = ifd + 2 + 12*int64(len(fs))
	w.pageNums = append(w.pageNums, pageNum)
	return nil
}

// toRational writes v as a fraction, exactly for integers.
func toRational(v float64) (uint32, uint32) {
	if v == math.Trunc(v) && v < math.MaxUint32 {
		return uint32(v), 1
	}
	num, den := uint64(math.Round(v*1000)), uint64(1000)
	for a, b := num, den; ; {
		if b == 0 {
			num, den = num/a, den/a
			break
		}
		a, b = b, a%b
	}
	return uint32(num), uint32(den)
}

// Pages returns the number of pages written so far.
func (w *Writer) Pages() int { return len(w.pageNums) }

// Close closes an open page, sets the page total of every PageNumber field (RFC 2306:
// PageNumber is n of total) and flushes the file. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return ErrClosed
	}
	if w.page != nil {
		if err := w.page.Close(); err != nil {
			w.closed = true
			return err
		}
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if len(w.pageNums) == 0 {
		return fmt.Errorf("%w: no pages written", ErrNoRows)
	}
	total := uint16(len(w.pageNums))
	for i, off := range w.pageNums {
		var v [4]byte
		w.bo.PutUint16(v[:], uint16(i))
		w.bo.PutUint16(v[2:], total)
		if err := w.out.patch(off, v[:], w.pos); err != nil {
			w.err = err
			return err
		}
	}
	w.err = w.out.flush()
	return w.err
}
