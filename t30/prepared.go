package t30

// Pages coded ahead of the call: a fax server codes a job's pages once,
// before it dials (HylaFAX's faxq prepares a job's documents for the
// destination's capabilities, and its faxsend sends them as they are when
// the session settles on the same), so that the call's real-time path
// only reads them out, adding the fill the session's minimum scan line
// time asks for.

import (
	"fmt"
	"io"

	"github.com/faxd/faxd/t30/t4"
)

// A PageFormat is how a session codes a page for the line: the coding,
// recording width and vertical resolution a DCS settles (Table 2/T.30).
// The MR K factor follows from the resolution (T.4 §4.2.1); the fill, from
// the bit rate, is added as the page is sent.
type PageFormat struct {
	Coding t4.Coding
	Width  Width
	Res    Res
}

func (f PageFormat) String() string {
	return fmt.Sprintf("%v %d pels %v", f.Coding, f.Width.Pels(), f.Res)
}

// options returns the coder's options for f (without fill).
func (f PageFormat) options() t4.Options {
	s := session{coding: f.Coding, width: f.Width, res: f.Res}
	return t4.Options{Coding: f.Coding, Width: f.Width.Pels(), K: s.mrK()}
}

// format returns the format s codes pages in.
func (s *session) format() PageFormat {
	return PageFormat{Coding: s.coding, Width: s.width, Res: s.res}
}

// A PreparedSource is a PageSource whose pages may be coded already. The
// engine sends a prepared page as it is when the session's format is the
// one it was prepared in, and codes the page as it sends it otherwise.
type PreparedSource interface {
	PageSource
	// PreparedPage returns page i coded in format f, or nil.
	PreparedPage(i int, f PageFormat) *t4.Prepared
}

// LikelyFormat returns the format a session would code a page described
// by info in when the far end offers what cfg offers itself: the format
// to prepare a page in before the call, when nothing more is known of the
// far end (most fax terminals today take T.6 with ECM and T.4 2-D
// without, at fine resolution and A4 width).
func LikelyFormat(cfg *Config, info PageInfo) PageFormat {
	remote := localParams(cfg, false)
	s := chooseSession(cfg, &remote, info, remote.Rate)
	return s.format()
}

// PreparePage codes page i of src in format f: cropped or padded to its
// width and with rows dropped to its resolution, as the engine codes a
// page it sends in a session of that format.
func PreparePage(src PageSource, i int, f PageFormat) (*t4.Prepared, error) {
	info, ok := src.PageInfo(i)
	if !ok {
		return nil, fmt.Errorf("%w: page %d", ErrNoPage, i)
	}
	rows, err := src.Rows(i)
	if err != nil {
		return nil, err
	}
	feed := newRowFeed(rows, info, f.Width.Pels(), f.Res)
	return t4.Prepare(f.options(), func(row []byte) error {
		r, err := feed.next()
		if err != nil {
			return err
		}
		copy(row, r)
		return nil
	})
}

// A PreparedPage is a page coded ahead in one format.
type PreparedPage struct {
	Format PageFormat
	Page   *t4.Prepared
}

// Prepare codes every page of m in the format LikelyFormat gives for cfg,
// into m.Prepared. It takes a millisecond or so of CPU a page: call it
// before the call, not from a call's real-time path.
func (m *MemorySource) Prepare(cfg *Config) error {
	prepared, err := PrepareAll(cfg, m)
	if err != nil {
		return err
	}
	m.Prepared = prepared
	return nil
}

// PrepareAll codes every page of src in the format LikelyFormat gives for
// cfg, for MemorySource.Prepared.
func PrepareAll(cfg *Config, src PageSource) ([]*PreparedPage, error) {
	var prepared []*PreparedPage
	for i := 0; ; i++ {
		info, ok := src.PageInfo(i)
		if !ok {
			return prepared, nil
		}
		f := LikelyFormat(cfg, info)
		p, err := PreparePage(src, i, f)
		if err != nil {
			return nil, err
		}
		prepared = append(prepared, &PreparedPage{Format: f, Page: p})
	}
}

// Release gives m's prepared pages' buffers back (t4.Prepared.Release)
// and forgets them: m sends its pages coded as they are sent from then on.
// Call it when no call sends from m any more (a job's call has ended):
// a call still reading a prepared page would read an empty one. The
// pages (m.Pages) are untouched. Not calling it is safe: the collector
// takes the buffers.
func (m *MemorySource) Release() {
	for _, p := range m.Prepared {
		if p != nil {
			p.Page.Release()
		}
	}
	m.Prepared = nil
}

// PreparedPage implements PreparedSource.
func (m *MemorySource) PreparedPage(i int, f PageFormat) *t4.Prepared {
	if i < 0 || i >= len(m.Prepared) || m.Prepared[i] == nil || m.Prepared[i].Format != f {
		return nil
	}
	return m.Prepared[i].Page
}

// pageReader returns page i's octets for the line in the session's
// format: read out of the source's prepared page when it has one in that
// format, else coded as they are read.
func (e *Engine) pageReader(i int) (io.Reader, error) {
	if ps, ok := e.cfg.Source.(PreparedSource); ok {
		if p := ps.PreparedPage(i, e.sess.format()); p != nil {
			return p.NewReader(e.sess.minLineBits(), t4.LSBFirst)
		}
	}
	rows, err := e.cfg.Source.Rows(i)
	if err != nil {
		return nil, err
	}
	return newImageReader(rows, e.dcsPg, &e.sess)
}
