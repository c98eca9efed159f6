package media

import (
	"fmt"

	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
)

// pageSink keeps the pages a channel receives. Unlike t30.MemorySink it
// makes each page's pixels at its start, large enough for an A4 page at
// the page's resolution, so that writing rows during the call does not
// allocate (a longer page grows).
type pageSink struct {
	pages []*document.Page
	cur   *document.Page
}

// a4Rows is how many rows an A4 page (297 mm) has at yres dots per inch.
func a4Rows(yres int) int { return (297*yres*10 + 253) / 254 }

func (s *pageSink) StartPage(info t30.PageInfo) error {
	p := &document.Page{Width: info.Width, XRes: info.Res.X, YRes: info.Res.Y}
	rows := max(info.Rows, a4Rows(info.Res.Y))
	p.Pix = make([]byte, 0, rows*p.Stride())
	s.cur = p
	return nil
}

func (s *pageSink) WriteRow(row []byte) error {
	if s.cur == nil {
		return fmt.Errorf("%w: row outside a page", t30.ErrNoPage)
	}
	s.cur.Pix = append(s.cur.Pix, row[:s.cur.Stride()]...)
	s.cur.Rows++
	return nil
}

func (s *pageSink) EndPage(res t30.PageResult) error {
	if s.cur != nil && res.Accepted {
		s.pages = append(s.pages, s.cur)
	}
	s.cur = nil
	return nil
}
