package calldecode

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/t4"
	"github.com/faxd/faxd/t30/tiff"
)

// call is the T.30 state the channels share: what the last DCS chose, which
// training comes next, and the page being assembled.
type call struct {
	d *Decoder

	dcs     t30.Params
	haveDCS bool
	dcsCh   *channel // the channel the DCS came on: it carries the image
	sender  Side     // who sends the image (the DCS's side)
	ecm     bool     // the DCS chose ECM
	// short: the next fast-modem transmission starts with V.17's short
	// train; tcfPending: it is the training check.
	short      bool
	tcfPending bool

	pages     int // pages ended so far
	pageOpen  bool
	pageAt    int64
	data      []byte // the page's coded data
	truncated bool   // data was dropped at the cap

	ecmPage ECMPage // an ECM page being put back together
}

func (k *call) init(d *Decoder) { k.d = d }

// sideOf returns who sent a frame (T.30 §5.3.6.1): the X bit is 1 from
// the terminal that received DIS, the calling one; frames without an X
// bit belong to a fixed side.
func sideOf(f t30.FCF) Side {
	switch f.Base() {
	case t30.DIS, t30.CSI, t30.NSF:
		return Called
	case t30.DTC, t30.CIG, t30.NSC, t30.PWD, t30.SEP, t30.PSA, t30.CIA, t30.ISP:
		return Calling
	case t30.FCD, t30.RCP:
		return SideUnknown
	}
	if f.X() {
		return Calling
	}
	return Called
}

// frame takes a T.30 frame heard on channel c.
func (k *call) frame(c *channel, f t30.Frame, ok, ch1 bool) {
	e := Event{Kind: KindFrame, Side: sideOf(f.FCF), Name: f.FCF.String(), FIF: clone(f.FIF), OK: ok}
	if !ok {
		e.Kind = KindBadFrame
	} else {
		e.Text = Describe(f)
	}
	if ch1 {
		e.Text = strings.TrimSpace("(V.21 channel 1) " + e.Text)
	}
	c.emit(e)
	if !ok {
		return
	}
	if len(k.d.chans) > 1 && e.Side != SideUnknown {
		c.side = e.Side // one direction a channel: its V.21 carrier is this side's
	}
	switch f.FCF.Base() {
	case t30.DCS:
		var p t30.Params
		if p.Unmarshal(f.FIF) != nil {
			return
		}
		k.dcs, k.haveDCS, k.ecm = p, true, p.ECM
		k.sender = e.Side
		k.tcfPending, k.short = true, false
		for _, o := range k.d.chans {
			if o != c {
				o.dropFast()
			}
		}
		k.dcsCh = c
		if c.setFast(p.Rate) {
			c.expectShort(false)
		} else {
			c.dropFast() // a reserved rate: no modem to listen for
		}
	case t30.CFR:
		k.tcfPending = false
		k.setShort(true)
	case t30.FTT:
		k.tcfPending = false
	case t30.CTC:
		// T.30 §A.4.3: the next block comes at the CTC's rate after the
		// long train.
		if rate, ok, err := t30.ParseCTC(f.FIF); err == nil && ok && k.dcsCh != nil {
			k.dcsCh.setFast(rate)
		}
		k.setShort(false)
	case t30.CTR:
		k.setShort(false)
	case t30.PPS:
		if pp, err := t30.ParsePPS(f.FIF); err == nil {
			k.pps(c, pp)
		}
	case t30.EOR:
		if fcf2, err := t30.ParseEOR(f.FIF); err == nil {
			k.ecmPage.EOR(fcf2)
		}
	case t30.MCF, t30.ERR:
		if k.ecmPage.Confirmed(k.pageOctet) {
			k.finishPage(c)
		}
	case t30.DCN:
		k.end(c)
	}
}

// setShort records which training comes next and tells the receiver.
func (k *call) setShort(short bool) {
	k.short = short
	if k.dcsCh != nil {
		k.dcsCh.expectShort(short)
	}
}

// startBurst decides what a trained fast-modem transmission carries.
func (k *call) startBurst(c *channel) burstKind {
	switch {
	case k.tcfPending:
		return burstTCF
	case !k.haveDCS:
		return burstNone
	case k.ecm:
		if !k.pageOpen {
			k.openPage(c)
		}
		return burstECM
	}
	if k.pageOpen { // an ECM page left open by a change of mode
		k.finishPage(c)
	}
	k.openPage(c)
	return burstPage
}

func (k *call) openPage(c *channel) {
	if k.dcsCh != nil {
		c = k.dcsCh
	}
	k.pageOpen, k.pageAt = true, c.trainedAt
	k.data, k.truncated, k.ecmPage.Missing = k.data[:0], false, 0
	c.emit(Event{Kind: KindPageStart, Side: k.sender, Name: fmt.Sprintf("page %d", k.pages+1), Page: k.pages + 1,
		Text: DescribePage(c.fastName, &k.dcs, k.ecm)})
}

// endBurst closes a fast-modem transmission.
func (k *call) endBurst(c *channel, kind burstKind) {
	switch kind {
	case burstTCF:
		secs := float64(c.now()-c.trainedAt) / dsp.SampleRate
		pct := 0.0
		if c.bits > 0 {
			pct = 100 * float64(c.zeros) / float64(c.bits)
		}
		// T.30 §5.3.6.2.1 leaves the judgement to the receiver; SpanDSP
		// wants a second of unbroken zeros.
		c.emit(Event{Kind: KindTCF, Side: k.sender, Name: "TCF", OK: c.maxZeros >= int64(bpsOf(c.fastRate)),
			Text: fmt.Sprintf("%.2f s, %d bits, %.1f%% zeros, longest run of zeros %d bits (%.2f s)",
				secs, c.bits, pct, c.maxZeros, float64(c.maxZeros)/float64(max(bpsOf(c.fastRate), 1)))})
		k.tcfPending = false
		k.setShort(true)
	case burstPage:
		if c.nacc > 0 {
			k.pageOctet(c.acc)
			c.acc, c.nacc = 0, 0
		}
		k.finishPage(c)
	case burstECM:
		text := fmt.Sprintf("%d frames", c.ecmFrames)
		if c.ecmFrames > 0 {
			text += fmt.Sprintf(" (%d to %d)", c.ecmLo, c.ecmHi)
		}
		if c.ecmBad > 0 {
			text += fmt.Sprintf(", %d bad", c.ecmBad)
		}
		if c.ecmRCP > 0 {
			text += ", RCP"
		}
		c.emit(Event{Kind: KindECMBlock, Side: k.sender, Name: "FCD", Text: text, OK: c.ecmBad == 0})
		k.setShort(true)
	}
}

func bpsOf(r t30.Rate) int {
	_, bps, _ := r.Modem()
	return bps
}

// pageOctet adds an octet of non-ECM page data.
func (k *call) pageOctet(o byte) {
	if len(k.data) >= k.d.opt.MaxPageBytes {
		k.truncated = true
		return
	}
	k.data = append(k.data, o)
}

// fcd keeps an ECM frame until the PPS that names its partial page.
func (k *call) fcd(c *channel, n int, data []byte) { k.ecmPage.Frame(n, data) }

// pps closes a partial page (T.30 §A.4.1).
func (k *call) pps(c *channel, pp t30.PartialPage) {
	if k.ecmPage.PPS(pp, k.pageOctet) {
		k.finishPage(c)
	}
	if !k.pageOpen && k.ecmPage.Frames() > 0 {
		k.openPage(c)
	}
}

// end closes the page in progress at DCN or the end of the recording.
func (k *call) end(c *channel) {
	if k.dcsCh != nil && k.dcsCh.fastC {
		return // the page is still coming (DCN heard in the middle of it?)
	}
	k.ecmPage.Commit(k.pageOctet)
	if k.pageOpen {
		k.finishPage(c)
	}
}

// coding returns the page coding, width and resolution the DCS chose.
func (k *call) coding() (t4.Coding, int, tiff.Resolution) { return PageFormat(&k.dcs) }

// PageFormat returns the page coding, width in pels and resolution a DCS
// chose (T.30 Table 2: bits 16, 31 with ECM; 17-18; 15, 41-43).
func PageFormat(p *t30.Params) (t4.Coding, int, tiff.Resolution) {
	coding := t4.MH
	switch {
	case p.MMR && p.ECM:
		coding = t4.MMR
	case p.MR:
		coding = t4.MR
	}
	width := p.Width.Pels()
	if width == 0 {
		width = 1728
	}
	res := tiff.Standard
	switch {
	case p.Res400x400 && !p.Fine && !p.Superfine:
		res, width = tiff.R400, width*2
	case p.Res300x300:
		res, width = tiff.R300, width*3/2
	case p.Superfine:
		res = tiff.Superfine
	case p.Fine:
		res = tiff.Fine
	}
	return coding, width, res
}

// ResolutionName names a fax resolution: standard, fine, superfine, or
// its dots per inch.
func ResolutionName(r tiff.Resolution) string {
	switch r {
	case tiff.Standard:
		return "standard"
	case tiff.Fine:
		return "fine"
	case tiff.Superfine:
		return "superfine"
	}
	return fmt.Sprintf("%gx%g", r.X, r.Y)
}

// finishPage decodes the page assembled so far and reports it.
func (k *call) finishPage(c *channel) {
	if !k.pageOpen {
		return
	}
	k.pageOpen = false
	k.pages++
	coding, width, res := k.coding()
	p := &Page{
		Number: k.pages, Sample: k.pageAt, Time: float64(k.pageAt) / dsp.SampleRate,
		Side: k.sender, Channel: c.idx, Modem: c.fastName, ECM: k.ecm,
		Coding: coding, Width: width, Resolution: res,
		CodedBytes: len(k.data), Truncated: k.truncated, MissingFrames: k.ecmPage.Missing,
	}
	if k.dcsCh != nil {
		p.Channel, p.Modem = k.dcsCh.idx, k.dcsCh.fastName
	}
	p.Decode(k.data, k.d.opt.MaxRows)
	k.data, k.ecmPage.Missing, k.truncated = k.data[:0], 0, false
	if cap(k.data) > 1<<20 {
		k.data = nil // do not keep a big page's buffer for the rest of the call
	}

	if k.dcsCh != nil {
		c = k.dcsCh // page events belong to the channel that carried the page
	}
	c.emit(Event{Kind: KindPageEnd, Side: k.sender, Name: fmt.Sprintf("page %d", p.Number), Page: p.Number,
		Rows: len(p.Rows), BadRows: p.Stats.BadRows, LongestBadRun: p.Stats.LongestBadRun, OK: p.OK(), Text: p.Summary()})
	if k.d.opt.OnPage != nil {
		k.d.opt.OnPage(p)
	}
}

// A Page is a decoded page.
type Page struct {
	Number     int     // from 1, in the order heard
	Sample     int64   // when its data began
	Time       float64 // the same in seconds
	Side       Side    // who sent it
	Channel    int
	Modem      string // "V.17 14400"
	ECM        bool
	Coding     t4.Coding
	Width      int             // pels per row
	Resolution tiff.Resolution // as the DCS chose
	// Rows holds the image, one row of (Width+7)/8 octets each, first
	// pixel in the most significant bit, 1 = black; bad rows are
	// concealed by repeating the last good one (T.4 decoding).
	Rows          [][]byte
	Stats         t4.Stats
	CodedBytes    int   // octets of coded data
	Truncated     bool  // coded data beyond Options.MaxPageBytes was dropped
	MissingFrames int   // ECM frames never received
	Err           error // the coding error that ended decoding early, if any
}

// OK reports whether the page decoded to its end with nothing missing.
func (p *Page) OK() bool {
	return p.Err == nil && p.Stats.EndOfPage && p.Stats.BadRows == 0 && !p.Truncated && p.MissingFrames == 0
}

// Decode runs the page's coded data (first bit in the least significant
// bit, as the line carries it) through the t4 Decoder, with p's Coding and
// Width, filling Rows, Stats and Err.
func (p *Page) Decode(data []byte, maxRows int) {
	dec, err := t4.NewDecoder(bytes.NewReader(data), t4.Options{
		Coding: p.Coding, Width: p.Width, FillOrder: t4.LSBFirst, MaxRows: maxRows,
	})
	if err != nil {
		p.Err = err
		return
	}
	stride := (p.Width + 7) / 8
	var buf []byte
	for {
		if len(buf) < stride {
			buf = make([]byte, 64*stride)
		}
		row := buf[:stride:stride]
		err := dec.Next(row)
		if err == io.EOF {
			break
		}
		if err != nil {
			p.Err = err
			break
		}
		p.Rows = append(p.Rows, row)
		buf = buf[stride:]
	}
	p.Stats = dec.Stats()
}

// WritePage adds p to a TIFF file as coding (tiff.MH, MR or MMR), with
// its resolution and, for a page with bad rows, the Class F quality
// fields (RFC 2306).
func WritePage(w *tiff.Writer, p *Page, coding tiff.Coding) error {
	if len(p.Rows) == 0 {
		return fmt.Errorf("calldecode: page %d: %w", p.Number, tiff.ErrNoRows)
	}
	pw, err := w.AddPage(tiff.PageSpec{Width: p.Width, Coding: coding, Resolution: p.Resolution})
	if err != nil {
		return err
	}
	if p.Stats.BadRows > 0 {
		pw.SetQuality(tiff.Quality{BadFaxLines: p.Stats.BadRows, CleanFaxData: tiff.Regenerated,
			ConsecutiveBadFaxLines: p.Stats.LongestBadRun})
	}
	for _, r := range p.Rows {
		if err := pw.WriteRow(r); err != nil {
			return err
		}
	}
	return pw.Close()
}
