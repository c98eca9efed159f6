package t30

import (
	"errors"

	"github.com/faxd/faxd/t30/t4"
)

// pageRx decodes a received page into the sink while the page arrives
// (non-ECM: as the image octets come; ECM: as the frames of a block
// complete an unbroken run from its first), so the end of a page costs
// only its last rows, not the whole page in one block of audio: a media
// server running thousands of calls cannot take a page's decoding in one
// 20 ms tick.
type pageRx struct {
	dec  *t4.Decoder
	opt  t4.Options
	row  []byte
	busy bool   // a page is being decoded
	fed  int    // octets there were when the decoder last wanted more
	more bool   // the row budget ran out with rows left in data
	data []byte // the page so far, as last fed
	wait int    // blocks since data grew without a try
	// rowless: the sink has no use for the rows (RowlessSink); they are
	// counted, not drawn.
	rowless bool
}

// pageFeedWait is how many 20 ms blocks new octets short of pageFeedStep
// wait before they are tried anyway (the end of an ECM page, whose PPS
// comes a second or more after its last frame).
const pageFeedWait = 8

// pageRowsPerFeed bounds the rows decoded per feed before the page is
// complete (white rows cost a bit each, so a few octets can hold hundreds);
// the rest wait for the next block (Engine.Advance).
const pageRowsPerFeed = 48

// pageFeedStep is how many new octets make another decoding attempt worth
// it: a row that did not fit is tried again only when this many more have
// come (a row of a text page is some 10 to 40 octets, so a try that fails
// wastes at most part of one row in several decoded).
const pageFeedStep = 256

// rxPageBegin opens a page in the sink and starts decoding it; false when
// the sink refused (the call then fails).
func (e *Engine) rxPageBegin() bool {
	p := &e.pageRx
	info := e.rxInfo()
	if err := e.cfg.Sink.StartPage(info); err != nil {
		e.fail(ErrDocument, "page sink: "+err.Error())
		return false
	}
	e.rxPageOpen = true
	e.rxStats = t4.Stats{}
	opt := t4.Options{Coding: e.sess.coding, Width: info.Width, K: e.sess.mrK(), FillOrder: t4.LSBFirst}
	if p.dec == nil || p.opt != opt {
		dec, err := t4.NewDecoder(nil, opt)
		if err != nil {
			// The DCS chose a layout the decoder cannot take: the page
			// decodes to nothing (RTN without ECM).
			e.event("page decoder: %v", err)
			p.dec, p.busy = nil, false
			return true
		}
		p.dec, p.opt = dec, opt
		p.row = make([]byte, (info.Width+7)/8)
	}
	_, p.rowless = e.cfg.Sink.(RowlessSink)
	p.dec.ResetStream()
	p.busy, p.fed, p.more, p.data, p.wait = true, 0, false, nil, 0
	return true
}

// rxPageFeed decodes the rows data (the page's octets so far) holds into
// the sink; final says the page is complete, and ends its decoding.
func (e *Engine) rxPageFeed(data []byte, final bool) {
	p := &e.pageRx
	if !p.busy {
		return
	}
	if !final && !p.more && len(data) < p.fed+pageFeedStep {
		p.data = data // tried from Advance after pageFeedWait blocks
		return
	}
	p.wait = 0
	p.dec.Feed(data, final)
	p.data, p.more = data, false
	for n := 0; ; n++ {
		if !final && n == pageRowsPerFeed {
			p.more = true
			return
		}
		row := p.row
		if p.rowless {
			row = nil
		}
		err := p.dec.Next(row)
		if err == nil {
			if row != nil {
				if err := e.cfg.Sink.WriteRow(row); err != nil {
					p.busy = false
					e.rxStats = p.dec.Stats()
					e.fail(ErrDocument, "page sink: "+err.Error())
					return
				}
			}
			continue
		}
		e.rxStats = p.dec.Stats()
		if errors.Is(err, t4.ErrNeedMore) {
			p.fed = len(data)
			return
		}
		p.busy = false
		st := e.rxStats
		e.event("page decoded: %d rows, %d bad, longest bad run %d", st.Rows, st.BadRows, st.LongestBadRun)
		return
	}
}

// rxPageTick is the page decoder's share of a block of time: rows the
// budget left, or octets that waited long enough.
func (e *Engine) rxPageTick() {
	p := &e.pageRx
	if !p.busy {
		return
	}
	if p.more {
		e.rxPageFeed(p.data, false)
		return
	}
	if len(p.data) > p.fed {
		if p.wait++; p.wait >= pageFeedWait {
			p.more = true // try now, whatever came
			e.rxPageFeed(p.data, false)
		}
	}
}
