package tiff

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"

	"github.com/faxd/faxd/t30/t4"
)

// order is the file's byte order; concrete so that slices passed to it do not escape.
type order struct{ big bool }

func (o order) u16(b []byte) uint16 {
	if o.big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (o order) u32(b []byte) uint32 {
	if o.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// entry is one 12-byte IFD entry (TIFF 6.0 section 2, "IFD Entry").
type entry struct {
	tag, typ uint16
	count    uint32
	val      [4]byte // the value when it fits in four bytes, else its offset
}

type page struct {
	info       PageInfo
	offs, cnts entry // StripOffsets and StripByteCounts, read when the page is opened
}

// Reader reads the pages of a TIFF file. Its methods are safe for concurrent use; each
// RowReader is for one goroutine.
type Reader struct {
	r      io.ReaderAt
	size   int64
	bo     order
	pages  []page
	strBuf int // ASCII bytes still allowed
}

// Strip locates one strip of coded or uncompressed data in the file.
type Strip struct {
	Offset, Size int64
}

// NewReader reads the header and every IFD of a TIFF file of size bytes (TIFF 6.0
// section 2). Image data is read only by Rows.
func NewReader(r io.ReaderAt, size int64) (rd *Reader, err error) {
	defer func() {
		if p := recover(); p != nil {
			rd, err = nil, fmt.Errorf("%w: panic while reading IFDs: %v", ErrCorrupt, p)
		}
	}()
	rd = &Reader{r: r, size: size, strBuf: maxStrBuf}
	if err := rd.readIFDs(); err != nil {
		return nil, err
	}
	return rd, nil
}

// NumPages returns the number of pages (IFDs).
func (r *Reader) NumPages() int { return len(r.pages) }

// Page returns the description of page i, or a PageInfo with Index -1 when there is no
// page i.
func (r *Reader) Page(i int) PageInfo {
	if i < 0 || i >= len(r.pages) {
		return PageInfo{Index: -1}
	}
	return r.pages[i].info
}

// read returns n bytes at off, checked against the file size.
func (r *Reader) read(off int64, n int64, buf []byte) ([]byte, error) {
	if off < 0 || n < 0 || off > r.size || n > r.size-off {
		return nil, fmt.Errorf("%w: %d bytes at %d, file size %d", ErrRange, n, off, r.size)
	}
	if int64(cap(buf)) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	m, err := r.r.ReadAt(buf, off)
	if m < len(buf) {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("tiff: reading %d bytes at %d: %w", n, off, err)
	}
	return buf, nil
}

func (r *Reader) readIFDs() error {
	h, err := r.read(0, 8, nil)
	if err != nil {
		return fmt.Errorf("%w: %d bytes, no 8-byte header", ErrFormat, r.size)
	}
	switch string(h[:2]) {
	case "II":
	case "MM":
		r.bo.big = true
	default:
		return fmt.Errorf("%w: byte order %q", ErrFormat, h[:2])
	}
	switch v := r.bo.u16(h[2:]); v {
	case 42:
	case 43:
		return fmt.Errorf("%w: BigTIFF", ErrUnsupported)
	default:
		return fmt.Errorf("%w: version %d, want 42", ErrFormat, v)
	}
	first := r.bo.u32(h[4:])
	if first == 0 {
		return fmt.Errorf("%w: no IFD", ErrFormat)
	}
	// Walk the chain first (entry counts and next pointers only), so that the pages are
	// allocated once and loops and bad offsets are found before any parsing.
	seen := make(map[uint32]bool)
	var tmp [4]byte
	for off := first; off != 0; {
		if len(seen) >= MaxPages {
			return fmt.Errorf("%w: more than %d IFDs", ErrTooMany, MaxPages)
		}
		if seen[off] {
			return fmt.Errorf("%w: IFD %d at offset %d seen before", ErrIFDLoop, len(seen), off)
		}
		seen[off] = true
		b, err := r.read(int64(off), 2, tmp[:0])
		if err != nil {
			return fmt.Errorf("IFD %d: %w", len(seen)-1, err)
		}
		n := int64(r.bo.u16(b))
		if n == 0 || n > maxIFDLen {
			return fmt.Errorf("%w: IFD %d at %d has %d entries (1..%d)", ErrLimit, len(seen)-1, off, n, maxIFDLen)
		}
		if b, err = r.read(int64(off)+2+12*n, 4, tmp[:0]); err != nil {
			return fmt.Errorf("IFD %d: %w", len(seen)-1, err)
		}
		off = r.bo.u32(b)
	}
	r.pages = make([]page, len(seen))
	var buf []byte
	off := first
	for i := range r.pages {
		var err error
		off, buf, err = r.parseIFD(&r.pages[i], int64(off), i, buf)
		if err != nil {
			return err
		}
	}
	return nil
}

// parseIFD reads the IFD at off and returns the page it describes and the offset of the
// next IFD.
func (r *Reader) parseIFD(p *page, off int64, idx int, buf []byte) (uint32, []byte, error) {
	b, err := r.read(off, 2, buf)
	if err != nil {
		return 0, buf, fmt.Errorf("IFD %d: %w", idx, err)
	}
	n := int64(r.bo.u16(b))
	if n == 0 || n > maxIFDLen {
		return 0, buf, fmt.Errorf("%w: IFD %d at %d has %d entries (1..%d)", ErrLimit, idx, off, n, maxIFDLen)
	}
	b, err = r.read(off+2, 12*n+4, b)
	if err != nil {
		return 0, b, fmt.Errorf("IFD %d: %w", idx, err)
	}
	next := r.bo.u32(b[12*n:])
	info := &p.info
	*info = PageInfo{
		Index:          idx,
		Compression:    CompressionNone,
		FillOrder:      t4.MSBFirst,
		ResolutionUnit: ResUnitInch,
		PageNumber:     -1,
		PageTotal:      -1,
	}
	var (
		have        uint8 // checked tags seen, by checkedTag bit
		width       uint32
		height      uint32
		rps         = ^uint32(0)
		bps, spp    = uint32(1), uint32(1)
		fill, photo = uint32(1), uint32(0)
		comp        = uint32(CompressionNone)
		xres, yres  float64
		unit        = uint32(ResUnitInch)
		q           Quality
		haveQ       bool
	)
	for i := int64(0); i < n; i++ {
		eb := b[12*i : 12*i+12]
		e := entry{tag: r.bo.u16(eb), typ: r.bo.u16(eb[2:]), count: r.bo.u32(eb[4:])}
		copy(e.val[:], eb[8:12])
		have |= checkedTag(e.tag)
		var err error
		switch e.tag {
		case tagNewSubfileType:
			info.SubfileType, err = r.uintVal(&e, 0)
		case tagImageWidth:
			width, err = r.uintVal(&e, 0)
		case tagImageLength:
			height, err = r.uintVal(&e, 0)
		case tagBitsPerSample:
			bps, err = r.uintVal(&e, 0)
		case tagCompression:
			comp, err = r.uintVal(&e, 0)
		case tagPhotometric:
			photo, err = r.uintVal(&e, 0)
		case tagFillOrder:
			fill, err = r.uintVal(&e, 0)
		case tagSamplesPerPixel:
			spp, err = r.uintVal(&e, 0)
		case tagRowsPerStrip:
			rps, err = r.uintVal(&e, 0)
		case tagStripOffsets:
			p.offs = e
		case tagStripByteCounts:
			p.cnts = e
		case tagXResolution:
			xres = r.rational(&e)
		case tagYResolution:
			yres = r.rational(&e)
		case tagResolutionUnit:
			unit, err = r.uintVal(&e, 0)
		case tagT4Options:
			info.T4Options, err = r.uintVal(&e, 0)
		case tagT6Options:
			info.T6Options, err = r.uintVal(&e, 0)
		case tagPageNumber:
			if v, err := r.uintVal(&e, 0); err == nil {
				info.PageNumber = int(v)
			}
			if v, err := r.uintVal(&e, 1); err == nil {
				info.PageTotal = int(v)
			}
		case tagSoftware:
			info.Software = r.str(&e)
		case tagDateTime:
			info.DateTime = r.str(&e)
		case tagPageName:
			info.PageName = r.str(&e)
		case tagDocumentName:
			info.DocumentName = r.str(&e)
		case tagImageDescription:
			info.Description = r.str(&e)
		case tagMake:
			info.Make = r.str(&e)
		case tagModel:
			info.Model = r.str(&e)
		case tagHostComputer:
			info.HostComputer = r.str(&e)
		case tagBadFaxLines:
			if v, err := r.uintVal(&e, 0); err == nil {
				q.BadFaxLines, haveQ = int(v), true
			}
		case tagCleanFaxData:
			if v, err := r.uintVal(&e, 0); err == nil {
				q.CleanFaxData, haveQ = CleanFaxData(v), true
			}
		case tagConsecutiveBadFaxLns:
			if v, err := r.uintVal(&e, 0); err == nil {
				q.ConsecutiveBadFaxLines, haveQ = int(v), true
			}
		case tagFaxRecvParams:
			info.FaxRecvParams, _ = r.uintVal(&e, 0)
		case tagFaxRecvTime:
			info.FaxRecvTime, _ = r.uintVal(&e, 0)
		case tagFaxSubAddress:
			info.FaxSubAddress = r.str(&e)
		case tagFaxDCS:
			info.FaxDCS = r.str(&e)
		}
		if err != nil {
			return 0, b, fmt.Errorf("IFD %d tag %d: %w", idx, e.tag, err)
		}
	}
	for _, t := range []uint16{tagImageWidth, tagImageLength, tagStripOffsets, tagStripByteCounts} {
		if have&checkedTag(t) == 0 {
			return 0, b, fmt.Errorf("%w: IFD %d has no tag %d", ErrMissing, idx, t)
		}
	}
	if width == 0 || width > t4.MaxWidth {
		return 0, b, fmt.Errorf("%w: IFD %d width %d (1..%d)", ErrLimit, idx, width, t4.MaxWidth)
	}
	if height == 0 || height > MaxHeight {
		return 0, b, fmt.Errorf("%w: IFD %d height %d (1..%d)", ErrLimit, idx, height, MaxHeight)
	}
	if have&checkedTag(tagTileWidth) != 0 {
		return 0, b, fmt.Errorf("%w: IFD %d is tiled", ErrUnsupported, idx)
	}
	if bps != 1 || spp != 1 {
		return 0, b, fmt.Errorf("%w: IFD %d has %d samples of %d bits, want 1 of 1", ErrUnsupported, idx, spp, bps)
	}
	switch comp {
	case CompressionNone, CompressionG3, CompressionG4:
	default:
		return 0, b, fmt.Errorf("%w: IFD %d compression %d", ErrUnsupported, idx, comp)
	}
	if photo > 1 {
		return 0, b, fmt.Errorf("%w: IFD %d photometric interpretation %d", ErrUnsupported, idx, photo)
	}
	if fill != 1 && fill != 2 {
		return 0, b, fmt.Errorf("%w: IFD %d fill order %d", ErrUnsupported, idx, fill)
	}
	if rps == 0 {
		return 0, b, fmt.Errorf("%w: IFD %d RowsPerStrip 0", ErrFormat, idx)
	}
	info.Width, info.Height = int(width), int(height)
	info.Compression, info.Photometric, info.FillOrder = int(comp), int(photo), t4.FillOrder(fill)
	info.RowsPerStrip = int(min(rps, height))
	want := (info.Height + info.RowsPerStrip - 1) / info.RowsPerStrip
	for _, e := range []*entry{&p.offs, &p.cnts} {
		if err := r.checkArray(e); err != nil {
			return 0, b, fmt.Errorf("IFD %d tag %d: %w", idx, e.tag, err)
		}
	}
	info.Strips = min(want, int(p.offs.count), int(p.cnts.count))
	info.ResolutionUnit = int(unit)
	info.RawXRes, info.RawYRes = xres, yres
	switch unit {
	case ResUnitInch:
		info.XRes, info.YRes = xres, yres
	case ResUnitCM:
		info.XRes, info.YRes = xres*2.54, yres*2.54
	}
	if haveQ {
		qq := q
		info.Quality = &qq
	}
	return next, b, nil
}

// checkedTag returns a bit for the tags whose presence parseIFD checks.
func checkedTag(tag uint16) uint8 {
	switch tag {
	case tagImageWidth:
		return 1
	case tagImageLength:
		return 2
	case tagStripOffsets:
		return 4
	case tagStripByteCounts:
		return 8
	case tagTileWidth:
		return 16
	}
	return 0
}

// checkArray checks that a strip array has SHORT or LONG values inside the file.
func (r *Reader) checkArray(e *entry) error {
	if e.typ != typeShort && e.typ != typeLong {
		return fmt.Errorf("%w: strip array of type %d", ErrFormat, e.typ)
	}
	if e.count == 0 {
		return fmt.Errorf("%w: empty strip array", ErrFormat)
	}
	n := int64(e.count) * int64(typeSize[e.typ])
	if n > 4 {
		off := int64(r.bo.u32(e.val[:]))
		if off > r.size || n > r.size-off {
			return fmt.Errorf("%w: %d bytes at %d, file size %d", ErrRange, n, off, r.size)
		}
	}
	return nil
}

// uintVal returns element i of a BYTE, SHORT or LONG entry.
func (r *Reader) uintVal(e *entry, i uint32) (uint32, error) {
	if i >= e.count {
		return 0, fmt.Errorf("%w: element %d of %d", ErrFormat, i, e.count)
	}
	var ts int64
	switch e.typ {
	case typeByte, typeShort, typeLong:
		ts = int64(typeSize[e.typ])
	default:
		return 0, fmt.Errorf("%w: type %d where an unsigned integer is expected", ErrFormat, e.typ)
	}
	var v []byte
	if int64(e.count)*ts <= 4 {
		v = e.val[int64(i)*ts:]
	} else {
		var tmp [4]byte
		off := int64(r.bo.u32(e.val[:])) + int64(i)*ts
		var err error
		if v, err = r.read(off, ts, tmp[:0]); err != nil {
			return 0, err
		}
	}
	switch ts {
	case 1:
		return uint32(v[0]), nil
	case 2:
		return uint32(r.bo.u16(v)), nil
	}
	return r.bo.u32(v), nil
}

// rational returns the first value of a RATIONAL (or integer) entry, 0 when unusable.
func (r *Reader) rational(e *entry) float64 {
	if e.typ != typeRational {
		v, err := r.uintVal(e, 0)
		if err != nil {
			return 0
		}
		return float64(v)
	}
	if e.count == 0 {
		return 0
	}
	var tmp [8]byte
	v, err := r.read(int64(r.bo.u32(e.val[:])), 8, tmp[:0])
	if err != nil {
		return 0
	}
	num, den := r.bo.u32(v), r.bo.u32(v[4:])
	if den == 0 {
		return 0
	}
	return float64(num) / float64(den)
}

// str returns an ASCII entry up to its first NUL, cut to maxString bytes; "" when the
// entry is unusable or the file's ASCII budget is spent.
func (r *Reader) str(e *entry) string {
	if e.typ != typeASCII && e.typ != typeByte && e.typ != typeUndefined {
		return ""
	}
	n := int64(e.count)
	var v []byte
	if n <= 4 {
		v = e.val[:n]
	} else {
		off := int64(r.bo.u32(e.val[:]))
		if off > r.size || n > r.size-off {
			return ""
		}
		n = min(n, maxString, int64(r.strBuf))
		var err error
		if v, err = r.read(off, n, nil); err != nil {
			return ""
		}
	}
	for i, c := range v {
		if c == 0 {
			v = v[:i]
			break
		}
	}
	if len(v) > r.strBuf {
		return ""
	}
	r.strBuf -= len(v)
	return string(v)
}

// Strips returns where the strips of page i are, each checked to lie inside the file.
func (r *Reader) Strips(i int) ([]Strip, error) {
	if i < 0 || i >= len(r.pages) {
		return nil, fmt.Errorf("%w: %d of %d", ErrPage, i, len(r.pages))
	}
	p := &r.pages[i]
	n := p.info.Strips
	offs, err := r.array(&p.offs, n)
	if err != nil {
		return nil, fmt.Errorf("page %d StripOffsets: %w", i, err)
	}
	cnts, err := r.array(&p.cnts, n)
	if err != nil {
		return nil, fmt.Errorf("page %d StripByteCounts: %w", i, err)
	}
	s := make([]Strip, n)
	for k := range s {
		s[k] = Strip{int64(offs[k]), int64(cnts[k])}
		if s[k].Offset > r.size || s[k].Size > r.size-s[k].Offset {
			return nil, fmt.Errorf("%w: page %d strip %d: %d bytes at %d, file size %d",
				ErrRange, i, k, s[k].Size, s[k].Offset, r.size)
		}
	}
	return s, nil
}

// array reads the first n values of a SHORT or LONG array checked by checkArray.
func (r *Reader) array(e *entry, n int) ([]uint32, error) {
	ts := int64(typeSize[e.typ])
	var raw []byte
	if int64(e.count)*ts <= 4 {
		raw = e.val[:]
	} else {
		var err error
		raw, err = r.read(int64(r.bo.u32(e.val[:])), int64(n)*ts, nil)
		if err != nil {
			return nil, err
		}
	}
	v := make([]uint32, n)
	for k := range v {
		if ts == 2 {
			v[k] = uint32(r.bo.u16(raw[2*k:]))
		} else {
			v[k] = r.bo.u32(raw[4*k:])
		}
	}
	return v, nil
}

// section reads the bytes [off, end) of an io.ReaderAt; unlike io.SectionReader it can be
// reset without allocating.
type section struct {
	r        io.ReaderAt
	off, end int64
}

func (s *section) Read(p []byte) (int, error) {
	if s.off >= s.end {
		return 0, io.EOF
	}
	if rem := s.end - s.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := s.r.ReadAt(p, s.off)
	s.off += int64(n)
	if n == len(p) {
		err = nil
	} else if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// RowReader yields the rows of one page, decoding strip after strip.
type RowReader struct {
	info     PageInfo
	strips   []Strip
	coding   Coding
	coded    bool
	dec      *t4.Decoder
	br       *bufio.Reader
	sec      section
	nb       int // octets per row
	strip    int // current strip
	left     int // rows still to come from the current strip
	dataEnd  bool
	row      int
	badRun   int
	stats    Stats
	err      error
	lastMask byte
}

// Rows returns a RowReader for page i.
func (r *Reader) Rows(i int) (rr *RowReader, err error) {
	defer func() {
		if p := recover(); p != nil {
			rr, err = nil, fmt.Errorf("%w: page %d: panic: %v", ErrCorrupt, i, p)
		}
	}()
	strips, err := r.Strips(i)
	if err != nil {
		return nil, err
	}
	info := r.pages[i].info
	rr = &RowReader{
		info:   info,
		strips: strips,
		nb:     (info.Width + 7) >> 3,
		strip:  -1,
		sec:    section{r: r.r},
	}
	rr.lastMask = 0xFF << uint((8-info.Width&7)&7)
	rr.coding = info.Coding()
	rr.coded = rr.coding != Uncompressed
	if rr.coded {
		rr.dec, err = t4.NewDecoder(nil, t4.Options{
			Coding: rr.coding.t4(), Width: info.Width, FillOrder: info.FillOrder, MaxRows: MaxHeight,
		})
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", i, err)
		}
	} else {
		rr.br = bufio.NewReaderSize(nil, 32<<10)
	}
	return rr, nil
}

// Info returns the description of the page.
func (rr *RowReader) Info() PageInfo { return rr.info }

// Stats returns the counts so far.
func (rr *RowReader) Stats() Stats { return rr.stats }

func (rr *RowReader) openStrip(s int) {
	rr.strip = s
	rps := rr.info.RowsPerStrip
	rr.left = min(rps, rr.info.Height-s*rps)
	rr.dataEnd = s >= len(rr.strips)
	if rr.dataEnd {
		return
	}
	st := rr.strips[s]
	rr.sec.off, rr.sec.end = st.Offset, st.Offset+st.Size
	if rr.coded {
		rr.dec.Reset(&rr.sec)
	} else {
		rr.br.Reset(&rr.sec)
	}
}

// Next reads the next row into row, which must hold (Width+7)/8 octets: first pixel in
// the most significant bit, 1 = black. It returns io.EOF after the last row. G3 rows that
// fail to decode are concealed (Stats.BadRows); rows missing from the data are white
// (Stats.MissingRows); a G4 coding error ends the page with an error wrapping ErrCorrupt.
func (rr *RowReader) Next(row []byte) (err error) {
	if rr.err != nil {
		return rr.err
	}
	if len(row) < rr.nb {
		return fmt.Errorf("%w: %d octets, want %d", t4.ErrRowSize, len(row), rr.nb)
	}
	if rr.row >= rr.info.Height {
		return io.EOF
	}
	defer func() {
		if p := recover(); p != nil {
			rr.err = fmt.Errorf("%w: page %d row %d: panic: %v", ErrCorrupt, rr.info.Index, rr.row, p)
			err = rr.err
		}
	}()
	for rr.left == 0 {
		rr.openStrip(rr.strip + 1)
	}
	row = row[:rr.nb]
	bad, missing := false, rr.dataEnd
	if !missing {
		if rr.coded {
			before := rr.dec.Stats().BadRows
			switch e := rr.dec.Next(row); {
			case e == nil:
				bad = rr.dec.Stats().BadRows > before
			case errors.Is(e, io.EOF), rr.coding != MMR && errors.Is(e, t4.ErrNoEOL):
				missing = true
			case errors.Is(e, t4.ErrCorrupt):
				rr.err = fmt.Errorf("%w: page %d row %d (strip %d): %w", ErrCorrupt, rr.info.Index, rr.row, rr.strip, e)
				return rr.err
			default:
				rr.err = fmt.Errorf("tiff: page %d row %d: %w", rr.info.Index, rr.row, e)
				return rr.err
			}
		} else {
			_, e := io.ReadFull(rr.br, row)
			switch {
			case e == nil:
				if rr.info.FillOrder == t4.LSBFirst {
					for k, b := range row {
						row[k] = bits.Reverse8(b)
					}
				}
			case errors.Is(e, io.EOF) || errors.Is(e, io.ErrUnexpectedEOF):
				missing = true
			default:
				rr.err = fmt.Errorf("tiff: page %d row %d: %w", rr.info.Index, rr.row, e)
				return rr.err
			}
		}
	}
	if missing {
		rr.dataEnd = true
		clear(row)
		rr.stats.MissingRows++
	} else if rr.info.Photometric == 1 {
		for k, b := range row {
			row[k] = ^b
		}
	}
	row[rr.nb-1] &= rr.lastMask
	if bad {
		rr.stats.BadRows++
		rr.badRun++
		rr.stats.LongestBadRun = max(rr.stats.LongestBadRun, rr.badRun)
	} else {
		rr.badRun = 0
	}
	rr.stats.Rows++
	rr.row++
	rr.left--
	return nil
}
