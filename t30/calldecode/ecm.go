package calldecode

import (
	"fmt"

	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/t4"
)

// ecmSlot holds one FCD frame's data (T.4 §A.3.6.1: up to 256 octets).
type ecmSlot struct {
	n    int16 // octets held
	have bool
	data [256]byte
}

// blockKey names a partial page: the page and block counters of PPS.
type blockKey struct{ page, block uint8 }

// An ECMPage puts a page sent with error correction back together from
// what a listener hears (T.30 Annex A): FCD frames by number, closed into
// a partial page by each PPS; a block named again is a retransmission
// after PPR, whose frames replace the bad ones. The page's octets go, in
// frame order, to the function its methods are given. Both the audio call
// decoder and the T.38 capture decoder use it.
type ECMPage struct {
	pending [256]ecmSlot // frames received since the last PPS
	block   [256]ecmSlot // the partial page the last PPS named
	valid   bool
	key     blockKey
	frames  int
	fcf2    t30.FCF
	// Missing counts the frames of the page never received; the caller
	// clears it when a page starts.
	Missing int
}

// Frame keeps FCD frame n until the PPS that names its partial page.
func (e *ECMPage) Frame(n int, data []byte) {
	if n < 0 || n >= len(e.pending) {
		return
	}
	s := &e.pending[n]
	s.n = int16(copy(s.data[:], data))
	s.have = true
}

// PPS closes a partial page (T.30 §A.4.1): the frames received since the
// last PPS belong to the block pp names. When pp names another block than
// the open one, the open one is committed first (its octets to put), and
// PPS reports whether pp names another page too: the page before ended.
func (e *ECMPage) PPS(pp t30.PartialPage, put func(byte)) (pageEnded bool) {
	key := blockKey{pp.Page, pp.Block}
	if e.valid && key != e.key {
		pageEnded = key.page != e.key.page
		e.Commit(put)
	}
	if !e.valid {
		e.valid, e.key = true, key
		e.frames = 0
		for i := range e.block {
			e.block[i].have = false
		}
	}
	for i := range e.pending {
		p := &e.pending[i]
		if p.have {
			e.block[i] = *p
			p.have = false
		}
	}
	// After a PPR some senders (SpanDSP) count only the frames sent
	// again: the block is as long as the largest count its PPSs gave.
	e.frames, e.fcf2 = max(e.frames, pp.Frames), pp.FCF2.Base()
	return pageEnded
}

// Frames returns how many frames the open partial page has, by its PPSs.
func (e *ECMPage) Frames() int { return e.frames }

// EOR takes an EOR's post-message command for the open partial page.
func (e *ECMPage) EOR(fcf2 t30.FCF) {
	if e.valid {
		e.fcf2 = fcf2.Base()
	}
}

// Confirmed takes MCF or ERR: the open partial page is committed (its
// octets to put), and Confirmed reports whether it ended its page (its
// PPS or EOR carried EOP, EOM or MPS rather than NULL).
func (e *ECMPage) Confirmed(put func(byte)) (pageEnded bool) {
	if !e.valid {
		return false
	}
	pageEnded = e.fcf2 != t30.NULL
	e.Commit(put)
	return pageEnded
}

// Commit appends the open partial page's frames, in order, through put,
// counting the missing ones, and closes it.
func (e *ECMPage) Commit(put func(byte)) {
	if !e.valid {
		return
	}
	e.valid = false
	for i := 0; i < e.frames && i < len(e.block); i++ {
		s := &e.block[i]
		if !s.have {
			e.Missing++
			continue
		}
		for _, o := range s.data[:s.n] {
			put(o)
		}
	}
}

// DescribePage describes a page's coding as a DCS sets it, for a page's
// start event: "V.17 14400, MR, 1728 pels, fine, ECM 256".
func DescribePage(modem string, dcs *t30.Params, ecm bool) string {
	coding, width, res := PageFormat(dcs)
	s := fmt.Sprintf("%s, %s, %d pels, %s", modem, coding, width, ResolutionName(res))
	if ecm {
		size := 256
		if dcs.Frame64 {
			size = 64
		}
		s += fmt.Sprintf(", ECM %d", size)
	}
	return s
}

// Summary describes a decoded page for its end event: rows, bad rows, how
// the data ended, frames missing, truncation, error.
func (p *Page) Summary() string {
	text := fmt.Sprintf("%d rows x %d, %s, %d octets", len(p.Rows), p.Width, p.Coding, p.CodedBytes)
	if p.Stats.BadRows > 0 {
		text += fmt.Sprintf(", %d bad rows (longest run %d)", p.Stats.BadRows, p.Stats.LongestBadRun)
	} else {
		text += ", 0 bad rows"
	}
	switch {
	case p.Stats.EndOfPage && p.Coding == t4.MMR:
		text += ", EOFB"
	case p.Stats.EndOfPage:
		text += ", RTC"
	default:
		text += ", no end of page"
	}
	if p.MissingFrames > 0 {
		text += fmt.Sprintf(", %d ECM frames missing", p.MissingFrames)
	}
	if p.Truncated {
		text += ", truncated"
	}
	if p.Err != nil {
		text += ", " + p.Err.Error()
	}
	return text
}
