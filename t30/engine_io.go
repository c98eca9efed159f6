package t30

// Document input and output of the engine: the pages a transmitter sends
// and the pages a receiver builds, with in-memory implementations.

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/internal/pagebuf"
	"github.com/faxd/faxd/t30/t4"
)

// PageInfo describes a page: its width in pixels, its resolution in dots
// per inch, and its rows (0 when not known in advance).
type PageInfo struct {
	Width int
	Res   document.Resolution
	Rows  int
}

// A RowSource yields a page's rows, packed as t4 codes them ((Width+7)/8
// octets, first pixel in the most significant bit, 1 = black). ReadRow
// returns io.EOF after the last row.
type RowSource interface {
	ReadRow(row []byte) error
}

// A PageSource is the document a transmitter sends. Pages are numbered
// from 0; Rows may be called again for the same page when it is sent
// again after RTN.
type PageSource interface {
	// PageInfo describes page i; ok is false past the last page.
	PageInfo(i int) (info PageInfo, ok bool)
	// Rows returns a fresh reader of page i's rows.
	Rows(i int) (RowSource, error)
}

// PageResult is what a receiver knows of a page at its end.
type PageResult struct {
	Rows          int
	BadRows       int  // rows concealed by the decoder (non-ECM)
	LongestBadRun int  // longest run of consecutive bad rows
	Response      FCF  // MCF, RTP or RTN (T.30 §5.3.6.1.6); ERR after EOR
	Accepted      bool // the page is kept (MCF, RTP, ERR); false after RTN

	// Coding and Data are the page's image as the line carried it: the
	// T.4 or T.6 stream, first bit in each octet's least significant bit
	// (non-ECM: every octet from the first EOL to the carrier's end, RTC
	// and what followed it included; ECM: the page's frames in order).
	// A sink that keeps the page as received (a fax server's inbox, which
	// need not code it again) copies Data or takes it (TakeData): it is
	// the engine's, and valid only during EndPage.
	Coding t4.Coding
	Data   []byte

	// owner is the engine's field holding Data's buffer, for TakeData.
	owner *[]byte
}

// TakeData hands the page's data over to a sink that keeps it, instead of
// a copy: a received page's octets copied out for every page were the
// most garbage a media server's receiving calls made. The engine lets go
// of its buffer and takes another from its pool for its next page, so the
// data is the caller's alone: neither this call nor another ever writes
// it. The caller may give it back cleared to that pool when done with it
// (ReceivedPage.Release), or leave it to the collector. Call TakeData
// during EndPage, once; a PageResult the engine did not make (or one whose
// data was already taken) gives a copy, which is the caller's just as
// well.
func (r PageResult) TakeData() []byte {
	if len(r.Data) == 0 {
		return nil
	}
	if r.owner != nil && len(*r.owner) > 0 && &(*r.owner)[0] == &r.Data[0] {
		*r.owner = nil
		return r.Data
	}
	b := pagebuf.Bytes.Get(len(r.Data))
	copy(b, r.Data)
	return b
}

// A PageSink receives pages: StartPage, the decoded rows, EndPage. A page
// that ends with Accepted false will be sent again (RTN) or is lost.
type PageSink interface {
	StartPage(info PageInfo) error
	WriteRow(row []byte) error
	EndPage(res PageResult) error
}

// A RowlessSink is a PageSink that keeps each page as it was coded and
// has no use for its rows (CodedSink): the engine still decodes a page as
// it arrives, to count its rows and bad rows (the copy quality that
// decides between MCF, RTP and RTN), but draws no row and calls WriteRow
// for none.
type RowlessSink interface {
	PageSink
	Rowless()
}

// A ReadySink is a PageSink that may ask for a pause in ECM: while Ready
// reports false the receiver answers a complete block with RNR
// (T.30 Annex A flow control), and the transmitter polls with RR.
type ReadySink interface {
	PageSink
	Ready() bool
}

// MemorySource sends in-memory pages.
type MemorySource struct {
	Pages []*document.Page
	// Prepared holds pages coded ahead (see Prepare): Prepared[i], when
	// there and in the session's format, is sent as it is; other pages
	// are coded as they are sent.
	Prepared []*PreparedPage
}

// PageInfo implements PageSource.
func (m *MemorySource) PageInfo(i int) (PageInfo, bool) {
	if i < 0 || i >= len(m.Pages) {
		return PageInfo{}, false
	}
	p := m.Pages[i]
	return PageInfo{Width: p.Width, Res: p.Resolution(), Rows: p.Rows}, true
}

// Rows implements PageSource.
func (m *MemorySource) Rows(i int) (RowSource, error) {
	if i < 0 || i >= len(m.Pages) {
		return nil, fmt.Errorf("%w: page %d of %d", ErrNoPage, i, len(m.Pages))
	}
	return &pageRows{p: m.Pages[i]}, nil
}

// ErrNoPage is returned by a PageSource asked for a page it does not have.
var ErrNoPage = errors.New("t30: no such page")

type pageRows struct {
	p *document.Page
	y int
}

func (r *pageRows) ReadRow(row []byte) error {
	src, err := r.lendRow()
	copy(row, src)
	return err
}

// A rowLender is a RowSource that can lend its next row instead of copying
// it: the image reader codes a MemorySource's rows where they are.
type rowLender interface {
	lendRow() ([]byte, error) // the next row, not to be written; io.EOF after the last
}

func (r *pageRows) lendRow() ([]byte, error) {
	if r.y >= r.p.Rows {
		return nil, io.EOF
	}
	r.y++
	return r.p.Row(r.y - 1), nil
}

// MemorySink keeps the accepted pages in memory.
type MemorySink struct {
	Pages    []*document.Page
	Results  []PageResult // one per page ended, accepted or not
	Rejected int          // pages ended with RTN
	cur      *document.Page
}

// StartPage implements PageSink.
func (m *MemorySink) StartPage(info PageInfo) error {
	m.cur = &document.Page{Width: info.Width, XRes: info.Res.X, YRes: info.Res.Y}
	// Room for the rows announced, else for an A4 page (297 mm), so that
	// taking rows does not copy the page again and again as it grows.
	rows := info.Rows
	if rows <= 0 {
		rows = info.Res.Rows(297)
	}
	if rows > 0 && rows <= 1<<15 {
		m.cur.Pix = make([]byte, 0, rows*m.cur.Stride())
	}
	return nil
}

// WriteRow implements PageSink.
func (m *MemorySink) WriteRow(row []byte) error {
	if m.cur == nil {
		return fmt.Errorf("%w: row outside a page", ErrNoPage)
	}
	m.cur.Pix = append(m.cur.Pix, row[:m.cur.Stride()]...)
	m.cur.Rows++
	return nil
}

// EndPage implements PageSink.
func (m *MemorySink) EndPage(res PageResult) error {
	m.Results = append(m.Results, res)
	if m.cur != nil && res.Accepted {
		m.Pages = append(m.Pages, m.cur)
	} else {
		m.Rejected++
	}
	m.cur = nil
	return nil
}

// rowFeed reads a page's rows for a session: each cropped or padded to
// the session's width, rows dropped to reach its vertical resolution.
type rowFeed struct {
	rows   RowSource
	lender rowLender // rows, when it lends them
	src    []byte    // a row of the source page (read from rows when it does not lend)
	row    []byte    // a row at the session's width
	step   int       // source rows per line sent
}

func newRowFeed(rows RowSource, info PageInfo, width int, res Res) *rowFeed {
	f := &rowFeed{
		rows: rows,
		row:  make([]byte, (width+7)/8),
		step: 1,
	}
	if l, ok := rows.(rowLender); ok {
		f.lender = l
	} else {
		f.src = make([]byte, (info.Width+7)/8)
	}
	if w := resOf(info.Res.Y); w > res {
		f.step = 1 << (w - res)
	}
	return f
}

// next returns the next line to send, or io.EOF after the last: a lent row
// of the session's width where it is, else a copy cropped or padded.
func (f *rowFeed) next() ([]byte, error) {
	line := f.row
	for i := 0; i < f.step; i++ {
		src, err := f.src, error(nil)
		if f.lender != nil {
			src, err = f.lender.lendRow()
		} else {
			err = f.rows.ReadRow(f.src)
		}
		if err == io.EOF {
			if i == 0 {
				return nil, io.EOF
			}
			break
		}
		if err != nil {
			return nil, err
		}
		if i == 0 {
			if f.lender != nil && len(src) == len(f.row) {
				line = src
			} else {
				n := copy(f.row, src)
				clear(f.row[n:])
			}
		}
	}
	return line, nil
}

// imageReader codes a page for the line as it is read: T.4/T.6 octets,
// first bit in the least significant bit (the order T.30 sends), each
// line filled to the minimum length (T.4 §4.1.3). It crops or pads the
// page to the session's width and drops rows to reach the session's
// vertical resolution.
type imageReader struct {
	feed   *rowFeed
	enc    *t4.Encoder
	buf    bytes.Buffer
	closed bool
	err    error
}

func newImageReader(rows RowSource, info PageInfo, s *session) (*imageReader, error) {
	width := s.width.Pels()
	r := &imageReader{feed: newRowFeed(rows, info, width, s.res)}
	enc, err := t4.NewEncoder(&r.buf, t4.Options{
		Coding:         s.coding,
		Width:          width,
		K:              s.mrK(),
		FillOrder:      t4.LSBFirst,
		MinBitsPerLine: s.minLineBits(),
	})
	if err != nil {
		return nil, err
	}
	r.enc = enc
	return r, nil
}

// next codes one more line, or ends the page.
func (r *imageReader) next() {
	row, err := r.feed.next()
	if err == io.EOF {
		r.closed = true
		r.err = r.enc.Close()
		return
	}
	if err != nil {
		r.closed, r.err = true, err
		return
	}
	r.err = r.enc.WriteRow(row)
	if r.err != nil {
		r.closed = true
	}
}

// Read implements io.Reader.
func (r *imageReader) Read(p []byte) (int, error) {
	for r.buf.Len() == 0 && !r.closed {
		r.next()
	}
	if r.buf.Len() == 0 {
		if r.err != nil {
			return 0, r.err
		}
		return 0, io.EOF
	}
	return r.buf.Read(p)
}
