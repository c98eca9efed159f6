package t30

// Error correction mode, T.30 Annex A (and T.4 Annex A for the frames).
//
// The transmitter cuts the coded page into frames of 256 or 64 octets
// (DCS bit 28), numbered from 0, and sends up to 256 of them as a partial
// page (a block) on the fast modem:
//
//	FCD frame: 0xFF 0x03 FCD | frame number | data
//	then three RCP frames: 0xFF 0x03 RCP
//
// then, on V.21, PPS with the post-message command that follows the block
// (NULL inside a page, MPS, EOM or EOP at its end), the page and block
// counters and the number of frames (T.30 §A.4.1). The receiver answers
// MCF when it has every frame, or PPR with a map of those it lacks
// (§A.4.2); the transmitter sends those again and repeats PPS. After the
// fourth PPR for a block it sends CTC to continue at a lower rate (answered
// by CTR), or EOR to give the block up (answered by ERR) (§A.4.3). A
// receiver that cannot take more answers RNR; the transmitter then polls
// with RR until MCF, for at most T5 (§A.4.4).

import (
	"bytes"
	"fmt"

	"github.com/faxd/faxd/t30/internal/pagebuf"
	"github.com/faxd/faxd/t30/t4"
)

// ecmTx is the transmitter's ECM state.
type ecmTx struct {
	data   []byte   // the coded page
	off    int      // start of the current block in data
	frames [][]byte // the current block's frame data
	block  int      // block counter within the page
	page   int      // page counter (PPS, modulo 256)
	fcf2   FCF      // NULL, MPS, EOM or EOP after this block
	resend FrameMap // frames asked for by the last PPR
	ppr    int      // PPRs for this block
	eor    bool     // EOR sent for this block
	rate   Rate
	long   bool // the next block needs long training (after TCF or CTC)
	pendRR bool // RR answered MCF means the PPS was accepted
}

// ecmRx is the receiver's ECM state.
type ecmRx struct {
	got       FrameMap // inverted: bit set when frame i arrived
	size      int
	data      []byte // the page so far
	lastPage  int    // counters of the last block accepted, -1 none
	lastBlock int
	pending   *PartialPage // a complete block held back by RNR
	// run counts the block's frames from the first that have all arrived
	// and are already in data (so the page decodes while it comes).
	run     int
	pendEOR bool
	// blockFrames is how many frames the block under way has: the
	// largest count its PPSs gave. After a PPR some transmitters (SpanDSP
	// among them) count only the frames they sent again.
	blockFrames int

	frames [256][]byte // last: see Engine.Prefetch
}

func (r *ecmRx) reset() {
	r.lastPage, r.lastBlock = -1, -1
	r.data = r.data[:0]
	r.clearBlock()
}

func (r *ecmRx) clearBlock() {
	for i := range r.frames {
		r.frames[i] = r.frames[i][:0]
	}
	r.got = FrameMap{}
	r.pending = nil
	r.blockFrames = 0
	r.run = 0
}

func (r *ecmRx) startPage() {
	if r.data == nil {
		// The first page, or the last one's data went to the sink
		// (PageResult.TakeData).
		r.data = pagebuf.Bytes.Get(pageBufferSize)
	}
	r.data = r.data[:0]
	r.clearBlock()
}

// ---- transmitter ----

// ecmStartPage takes the coded page (most of it coded ahead, see
// ecmPrefetch) and sends its first block.
func (e *Engine) ecmStartPage() {
	data, err := e.prefetchTake(e.page)
	if err != nil {
		e.fail(ErrDocument, "page source: "+err.Error())
		return
	}
	t := &e.ecmTx
	// The last page's octets are done with (its frames went out as
	// copies): their buffer codes a page to come.
	putPageBuf(t.data)
	t.data, t.off, t.block = data, 0, 0
	t.page = e.page & 0xFF
	t.rate = e.sess.rate
	// After the TCF at this rate trained the far receiver, V.17 image data
	// goes with the short train, as for non-ECM pages (and as SpanDSP's
	// receiver, which does not take a long train then, expects); only a
	// rate change by CTC, which has no TCF, needs the long one.
	t.long = false
	e.postCmd = e.nextPostCmd()
	if e.postCmd == MPS {
		e.prefetchStart(e.page + 1)
	}
	e.ecmNextBlock()
}

// ecmPrefetch codes a page for ECM ahead of its sending, a few hundred
// octets each block of time (Engine.Advance): from the DCS for the first
// page of a session, during the page before for the next. Coding a page
// takes milliseconds; done all at once when the page starts, it would
// take them out of a single 20 ms block of audio, which a media server
// running thousands of calls cannot give.
type ecmPrefetch struct {
	on   bool
	key  prefetchKey
	img  *imageReader
	data []byte
	done bool
	err  error
}

// prefetchKey is what the coded page depends on.
type prefetchKey struct {
	page       int
	pg         PageInfo
	coding     t4.Coding
	res        Res
	width      Width
	k, minBits int
}

// prefetchRowsPerBlock is the coding budget: 40 rows a 20 ms block code
// an A4 page at fine resolution (2300 rows) in 1.2 s.
const prefetchRowsPerBlock = 40

func (e *Engine) prefetchKey(page int) prefetchKey {
	return prefetchKey{page, e.dcsPg, e.sess.coding, e.sess.res, e.sess.width, e.sess.mrK(), e.sess.minLineBits()}
}

// prefetchStart starts coding page ahead with the session's parameters.
func (e *Engine) prefetchStart(page int) {
	p := &e.prefetch
	key := e.prefetchKey(page)
	if p.on && p.key == key {
		return
	}
	putPageBuf(p.data) // not handed out: prefetchTake clears p
	*p = ecmPrefetch{on: true, key: key, data: pageBuf()}
	r, err := e.pageReader(page)
	if err != nil {
		p.done, p.err = true, err
		return
	}
	if img, ok := r.(*imageReader); ok {
		p.img = img
		return
	}
	// A prepared page: read out at once, a copy of the coded octets.
	b := bytes.NewBuffer(p.data)
	_, p.err = b.ReadFrom(r)
	p.data, p.done = b.Bytes(), true
}

// prefetchStep codes up to n more rows of the page ahead.
func (e *Engine) prefetchStep(n int) {
	p := &e.prefetch
	for ; n > 0 && !p.done; n-- {
		img := p.img
		img.next()
		p.data = append(p.data, img.buf.Bytes()...)
		img.buf.Reset()
		if img.closed {
			p.done, p.err = true, img.err
		}
	}
}

// prefetchTake returns page coded, finishing what the prefetch has not
// done yet, or coding it now when no prefetch for it with the session's
// parameters is under way.
func (e *Engine) prefetchTake(page int) ([]byte, error) {
	p := &e.prefetch
	if !p.on || p.key != e.prefetchKey(page) {
		e.prefetchStart(page)
	}
	for !p.done {
		e.prefetchStep(1 << 20)
	}
	data, err := p.data, p.err
	*p = ecmPrefetch{}
	return data, err
}

// ecmNextBlock sends the block starting at off.
func (e *Engine) ecmNextBlock() {
	t := &e.ecmTx
	size := e.sess.frameSize()
	t.frames = t.frames[:0]
	end := t.off
	for len(t.frames) < 256 && end < len(t.data) {
		n := min(size, len(t.data)-end)
		t.frames = append(t.frames, t.data[end:end+n])
		end += n
	}
	if len(t.frames) == 0 {
		t.frames = append(t.frames, nil) // an empty page still takes a frame
	}
	t.fcf2 = NULL
	if end >= len(t.data) {
		t.fcf2 = e.postCmd
	}
	t.ppr = 0
	t.eor = false
	t.resend = FrameMap{}
	for i := range t.frames {
		t.resend.SetBad(i, true)
	}
	e.ecmSendBlock()
}

// ecmSendBlock sends the frames marked in resend, then PPS.
func (e *Engine) ecmSendBlock() {
	t := &e.ecmTx
	var frames [][]byte
	n := 0
	for i, d := range t.frames {
		if !t.resend.Bad(i) {
			continue
		}
		f := make([]byte, 0, 4+len(d))
		f = append(f, Address, ControlMore, byte(FCD), byte(i))
		frames = append(frames, append(f, d...))
		n++
	}
	for range 3 {
		frames = append(frames, []byte{Address, ControlMore, byte(RCP)})
	}
	e.st = stTxECM
	e.timer = 0
	e.push(Silence{GapMs})
	e.trace(true, fmt.Sprintf("FCD x%d of %d, page %d block %d", n, len(t.frames), t.page, t.block), nil)
	e.busy++
	e.push(SendECMBlock{Modem: Modem{Fast: true, Rate: t.rate, ShortTrain: !t.long && e.isV17(), HDLC: true}, Frames: frames})
	t.long = false
	e.whenSent(func() {
		e.push(Silence{GapMs})
		e.ecmIssue(PPS)
	})
}

// ecmIssue sends PPS, EOR, CTC or RR and waits for the response.
func (e *Engine) ecmIssue(cmd FCF) {
	t := &e.ecmTx
	var fif []byte
	st := stWaitPPSResp
	name := cmd.String()
	switch cmd {
	case PPS:
		fif = PartialPage{FCF2: t.fcf2.WithX(e.x), Page: uint8(t.page), Block: uint8(t.block), Frames: len(t.frames)}.AppendTo(nil)
		name = "PPS-" + t.fcf2.String()
	case EOR:
		fif = []byte{byte(t.fcf2.WithX(e.x))}
		st = stWaitERR
		name = "EOR-" + t.fcf2.String()
	case CTC:
		fif = AppendCTC(nil, e.rates[e.rateI])
		st = stWaitCTR
	case RR:
		st = stWaitRRResp
	}
	e.issue(name, st, maxTries, func() {
		e.sendFrames(e.frame(cmd, true, fif))
	})
}

// ecmResponse handles the response to PPS, CTC, EOR or RR.
func (e *Engine) ecmResponse(fcf FCF, fif []byte) {
	t := &e.ecmTx
	switch fcf {
	case MCF, PIP:
		if e.st == stWaitCTR || e.st == stWaitERR {
			e.repeat()
			return
		}
		e.t5 = 0
		e.ecmBlockDone()
	case ERR:
		if e.st != stWaitERR && !(e.st == stWaitRRResp && t.eor) {
			e.repeat()
			return
		}
		e.t5 = 0
		e.ecmBlockDone()
	case PPR:
		if e.st != stWaitPPSResp && e.st != stWaitRRResp {
			e.repeat()
			return
		}
		m, err := ParsePPR(fif)
		if err != nil {
			e.repeat()
			return
		}
		t.ppr++
		t.resend = FrameMap{}
		count := 0
		for i := range t.frames {
			if m.Bad(i) {
				t.resend.SetBad(i, true)
				count++
			}
		}
		e.event("PPR %d: %d frames to send again", t.ppr, count)
		if t.ppr >= pprLimit {
			// T.30 §A.4.3: continue at a lower rate, or end retransmission.
			if e.rateI+1 < len(e.rates) {
				e.rateI++
				e.ecmIssue(CTC)
			} else {
				t.eor = true
				e.ecmIssue(EOR)
			}
			return
		}
		e.res.RetransmittedFrames += count
		e.ecmSendBlock()
	case CTR:
		if e.st != stWaitCTR {
			e.repeat()
			return
		}
		t.rate = e.rates[e.rateI]
		e.sess.rate = t.rate
		e.updateResult()
		t.ppr = 0
		t.long = true
		e.res.RetransmittedFrames += t.resend.Count()
		e.ecmSendBlock()
	case RNR:
		// T.30 §A.4.4: the receiver is busy; poll with RR, for at most T5.
		if e.t5 == 0 {
			e.t5 = samples(T5)
		}
		e.ecmIssue(RR)
	case CRP:
		e.repeat()
	default:
		e.repeat()
	}
}

// ecmBlockDone moves on after MCF (or ERR) for a block.
func (e *Engine) ecmBlockDone() {
	t := &e.ecmTx
	e.cmdSend = nil
	e.timer = 0
	if t.fcf2 == NULL {
		for _, f := range t.frames {
			t.off += len(f)
		}
		t.block++
		e.ecmNextBlock()
		return
	}
	e.pageDone()
}

// ---- receiver ----

// ecmFrame takes an FCD or RCP frame from the fast modem.
func (e *Engine) ecmFrame(fr Frame, ok bool) {
	if e.st != stRxECM || !e.sess.ecm {
		return
	}
	if fr.FCF != FCD || !ok || len(fr.FIF) < 1 {
		return
	}
	r := &e.ecmRx
	i := int(fr.FIF[0])
	d := fr.FIF[1:]
	if len(d) > e.sess.frameSize() {
		return
	}
	if i < r.run {
		return // already in the page (a copy sent again)
	}
	r.frames[i] = append(r.frames[i][:0], d...)
	r.got.SetBad(i, true)
	if i == r.run {
		if !e.rxPageOpen && !e.rxPageBegin() {
			return
		}
		for r.run < 256 && r.got.Bad(r.run) {
			r.data = append(r.data, r.frames[r.run]...)
			r.run++
		}
		e.rxPageFeed(r.data, false)
	}
}

// ecmCommand handles PPS, EOR, CTC and RR.
func (e *Engine) ecmCommand(fcf FCF, fif []byte) {
	r := &e.ecmRx
	switch fcf {
	case PPS:
		pp, err := ParsePPS(fif)
		if err != nil {
			return
		}
		if int(pp.Page) == r.lastPage && int(pp.Block) == r.lastBlock {
			e.resendResp(e.afterECMState(postBase(pp.FCF2)))
			return
		}
		r.blockFrames = max(r.blockFrames, pp.Frames)
		n := r.blockFrames
		pp.Frames = n
		var missing FrameMap
		count := 0
		for i := 0; i < n; i++ {
			if !r.got.Bad(i) {
				missing.SetBad(i, true)
				count++
			}
		}
		if count > 0 {
			e.res.RetransmittedFrames += count
			e.event("block page %d block %d: %d of %d frames missing", pp.Page, pp.Block, count, n)
			e.respond(PPR, missing[:], func() {
				e.setRx(Modem{Fast: true, Rate: e.sess.rate, HDLC: true})
				e.await(stRxECM)
			})
			return
		}
		r.pending = &pp
		e.ecmAccept()
	case RR:
		if r.pending != nil {
			e.ecmAccept()
			return
		}
		e.resendResp(e.st)
	case CTC:
		rate, ok, err := ParseCTC(fif)
		if err != nil {
			return
		}
		if ok {
			if _, _, valid := rate.Modem(); valid {
				e.sess.rate = rate
				e.updateResult()
			}
		}
		e.respond(CTR, nil, func() {
			e.setRx(Modem{Fast: true, Rate: e.sess.rate, HDLC: true})
			e.await(stRxECM)
		})
	case EOR:
		f2, err := ParseEOR(fif)
		if err != nil {
			return
		}
		if r.got.Count() == 0 && e.lastResp != nil && FCF(e.lastResp[2]).Base() == ERR {
			e.resendResp(e.afterECMState(postBase(f2))) // our ERR was lost
			return
		}
		// §A.4.3: keep what arrived of the block and go on.
		n := 0
		for i := 0; i < 256; i++ {
			if r.got.Bad(i) {
				n = i + 1
			}
		}
		pp := PartialPage{FCF2: f2, Page: uint8(max(r.lastPage+1, 0)), Block: 0xFF, Frames: n}
		r.pending = &pp
		r.pendEOR = true
		e.ecmAccept()
	}
}

// ecmAccept takes a complete block (or one ended by EOR) unless the sink
// asks for a pause (RNR).
func (e *Engine) ecmAccept() {
	r := &e.ecmRx
	pp := *r.pending
	if rs, ok := e.cfg.Sink.(ReadySink); ok && !rs.Ready() {
		e.respond(RNR, nil, func() { e.await(stRxECMPost) })
		return
	}
	// The frames from the first gap on (an EOR block keeps its gaps
	// empty); those before it are in data already. A block whose count is
	// below frames that came anyway keeps them.
	for i := r.run; i < pp.Frames; i++ {
		r.data = append(r.data, r.frames[i]...)
	}
	eor := r.pendEOR
	r.pendEOR = false
	r.clearBlock()
	if !eor {
		r.lastPage, r.lastBlock = int(pp.Page), int(pp.Block)
	}
	resp := MCF
	if eor {
		resp = ERR
	}
	base := postBase(pp.FCF2)
	if base != NULL {
		if !e.rxPageOpen && !e.rxPageBegin() {
			return
		}
		e.rxPageFeed(r.data, true)
		if e.st == stDCN || e.st == stDone {
			return
		}
		e.rxPageOpen = false
		if err := e.cfg.Sink.EndPage(PageResult{Rows: e.rxStats.Rows, BadRows: e.rxStats.BadRows,
			LongestBadRun: e.rxStats.LongestBadRun, Response: resp, Accepted: true, Coding: e.sess.coding, Data: r.data, owner: &r.data}); err != nil {
			e.fail(ErrDocument, "page sink: "+err.Error())
			return
		}
		e.res.PagesReceived++
		e.res.BadRows += e.rxStats.BadRows
		r.data = r.data[:0]
	}
	e.lastPost = base
	next := e.afterECMState(base)
	e.respond(resp, nil, func() {
		switch base {
		case EOP:
			e.eopDone = true
			e.await(stRxWaitDCN)
		case EOM:
			e.phaseBAgain()
		default:
			if base == MPS {
				e.ecmRx.startPage()
			}
			e.setRx(Modem{Fast: true, Rate: e.sess.rate, HDLC: true})
			e.await(next)
		}
	})
}

// afterECMState is where the receiver waits after answering a block that
// ended with base.
func (e *Engine) afterECMState(base FCF) state {
	switch base {
	case EOP:
		return stRxWaitDCN
	case EOM:
		return stWaitDCS
	}
	return stRxECM
}
