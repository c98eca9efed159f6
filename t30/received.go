package t30

import (
	"errors"
	"fmt"
	"io"

	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/internal/pagebuf"
	"github.com/faxd/faxd/t30/t4"
)

// A ReceivedPage is a page as the line carried it: its coded image
// (PageResult.Data, taken from the engine: PageResult.TakeData) and what
// describes it. Keeping a page so,
// rather than its pixels, costs a fax server some 15 times less memory and
// spares it coding the page again to store it (TIFF Class F takes the
// stream as it is, as HylaFAX stores what it receives); Decode gives the
// pixels when they are wanted.
type ReceivedPage struct {
	Width         int
	Res           document.Resolution
	Rows          int // rows the receiver decoded
	BadRows       int // of them, rows concealed (non-ECM)
	LongestBadRun int
	Coding        t4.Coding
	// Data is the T.4/T.6 stream, first bit in each octet's least
	// significant bit (T.30's order). It is the page's own: no call
	// writes it, until Release.
	Data []byte
}

// Release clears the page's data and gives its buffer back to the pool
// the engine takes received pages' buffers from, so that the next page
// received costs no new buffer. The caller must be done with the page
// and with every slice of Data (a page stored, its data written out):
// another call's page is received into that buffer next. After Release,
// Data is nil (Decode gives an empty page) and a second Release does
// nothing. Not calling Release is safe: the collector takes the data.
func (p *ReceivedPage) Release() {
	pagebuf.Bytes.Put(p.Data)
	p.Data = nil
}

// Decode returns the page's pixels, decoded (and bad rows concealed) as
// the receiver decoded them.
func (p *ReceivedPage) Decode() (*document.Page, error) {
	dec, err := t4.NewDecoder(nil, t4.Options{Coding: p.Coding, Width: p.Width, FillOrder: t4.LSBFirst})
	if err != nil {
		return nil, err
	}
	dec.ResetStream()
	dec.Feed(p.Data, true)
	pg := &document.Page{Width: p.Width, XRes: p.Res.X, YRes: p.Res.Y}
	row := make([]byte, pg.Stride())
	for pg.Rows < max(p.Rows, 1)<<2 { // bounded: a page decodes to the rows the receiver counted
		err := dec.Next(row)
		if errors.Is(err, io.EOF) {
			return pg, nil
		}
		if err != nil {
			return nil, fmt.Errorf("t30: received page: %w", err)
		}
		pg.Pix = append(pg.Pix, row...)
		pg.Rows++
	}
	return pg, nil
}

// CodedSink keeps the pages a receiver accepts as they were received
// (ReceivedPage), not their pixels: a fax server's inbox. It takes each
// page's data from the engine (PageResult.TakeData), copying nothing; the
// pages are the caller's, to Release when done with them.
type CodedSink struct {
	Pages    []*ReceivedPage
	Rejected int // pages ended with RTN
	cur      PageInfo
	open     bool
}

// StartPage implements PageSink.
func (s *CodedSink) StartPage(info PageInfo) error {
	s.cur, s.open = info, true
	return nil
}

// WriteRow implements PageSink: the rows are the engine's to count.
func (s *CodedSink) WriteRow([]byte) error {
	if !s.open {
		return fmt.Errorf("%w: row outside a page", ErrNoPage)
	}
	return nil
}

// Rowless implements RowlessSink: the engine counts the rows without
// drawing them.
func (s *CodedSink) Rowless() {}

// EndPage implements PageSink.
func (s *CodedSink) EndPage(res PageResult) error {
	if !s.open || !res.Accepted {
		s.Rejected++
		s.open = false
		return nil
	}
	s.open = false
	if s.Pages == nil {
		// Room for a few pages at once: most faxes have one to four, and
		// growing the slice page by page made one allocation each.
		s.Pages = make([]*ReceivedPage, 0, 4)
	}
	s.Pages = append(s.Pages, &ReceivedPage{Width: s.cur.Width, Res: s.cur.Res, Rows: res.Rows, BadRows: res.BadRows,
		LongestBadRun: res.LongestBadRun, Coding: res.Coding, Data: res.TakeData()})
	return nil
}
