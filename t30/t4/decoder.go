package t4

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"

	"github.com/faxd/faxd/dsp/prefetch"
)

func fmtErr(err error, v int) error { return fmt.Errorf("%w: %d", err, v) }

// Stats counts what the Decoder met on the page so far.
type Stats struct {
	Rows          int  // rows delivered, concealed ones included
	BadRows       int  // rows that failed to decode and were concealed (MH/MR)
	LongestBadRun int  // longest run of consecutive bad rows (MH/MR)
	EndOfPage     bool // RTC (MH/MR) or EOFB (MMR) was seen
}

// Decoder decodes a coded page read from an io.Reader and yields one row per call to
// Next. It allocates only when made.
type Decoder struct {
	decState
	opt  Options
	r    io.Reader
	in   []byte
	iend int
	eof  bool
	rerr error

	// Streaming (Feed): the coded octets so far are d.in[:d.iend]; more
	// may follow until final. A row whose decoding runs out of data is
	// undone (from snap) and tried again after the next Feed. MH and MR
	// rows are not tried while no EOL ends after the position: eolAt is
	// the bit position of the last EOL's final 1 in the data (-1: none).
	stream  bool
	final   bool
	starved bool
	eolAt   int
	noEOLAt int // the position of the last Feed that found no EOL ahead (-1: none)
	noEOLTo int // and the length of its data
	snap    decState
}

// decState is what decoding one row changes, saved before each row in
// streaming mode. The last good row, repeated to conceal a bad one, is
// not kept as pixels: ref lists its changing elements.
type decState struct {
	ip       int
	acc      uint64 // pending bits, left-aligned
	nacc     uint
	ref, cur []int16 // changing elements of the reference line (the last good row) and of the row being decoded
	stats    Stats
	started  bool
	done     bool
	chain    bool // MR: the reference line is bad, so 2-D lines are bad too
	tag      int  // MR: tag bit after the last EOL (1 = 1-D)
	badRun   int
}

// NewDecoder returns a Decoder reading coded octets from r.
func NewDecoder(r io.Reader, opt Options) (*Decoder, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	d := &Decoder{opt: opt, in: make([]byte, 4096)}
	d.ref = make([]int16, 0, opt.Width+8)
	d.cur = make([]int16, 0, opt.Width+8)
	d.Reset(r)
	return d, nil
}

// Reset starts a new page read from r with the same options.
func (d *Decoder) Reset(r io.Reader) {
	if d.stream {
		d.stream, d.final, d.starved = false, false, false
		d.in = make([]byte, 4096)
	}
	d.r = r
	d.ip, d.iend, d.eof, d.rerr = 0, 0, false, nil
	d.acc, d.nacc = 0, 0
	w := int16(d.opt.Width)
	d.ref = append(d.ref[:0], w, w, w, w)
	d.stats = Stats{}
	d.started, d.done, d.tag, d.chain, d.badRun = false, false, 1, false, 0
}

// ErrNeedMore is what Next returns in streaming mode when the next row is
// not all there yet: Feed more and call Next again.
var ErrNeedMore = errors.New("t4: more coded data needed")

// ResetStream starts a new page whose coded octets arrive piecewise through
// Feed (a receiver decoding a page while it comes in, T.30 §5.3.6.1.6
// asking for the counts as soon as the page ends).
func (d *Decoder) ResetStream() {
	d.stream = false // keep Reset from giving back a read buffer
	d.Reset(nil)
	d.stream, d.final, d.starved = true, false, false
	d.in, d.iend, d.eolAt = nil, 0, -1
	d.noEOLAt, d.noEOLTo = -1, 0
}

// Feed gives a streaming Decoder the page's coded octets so far: data is
// the whole page up to now (earlier Feeds' octets as its prefix, unchanged),
// final says no more will come. Next then decodes the rows that data holds
// completely; rows decoded this way are exactly those a Decoder reading
// the whole page at once yields. The Decoder keeps data until the next
// Feed or Reset.
func (d *Decoder) Feed(data []byte, final bool) {
	d.in, d.iend, d.final = data, len(data), final
	if final {
		d.eof = true
	}
	if !final && d.opt.Coding != MMR {
		at := d.ip*8 - int(d.nacc)
		if at != d.noEOLAt {
			d.noEOLTo = 0
		}
		d.eolAt = d.lastEOL(at, max(d.noEOLTo-2, 0))
		if d.eolAt < at {
			// Stuck at at: the next Feed need look only at the octets after these.
			d.noEOLAt, d.noEOLTo = at, d.iend
		}
	}
}

// lastEOL returns the bit position of the 1 that ends the last EOL (eleven
// or more zeros then a one, T.4 §4.1.2) in the data, or -1 when no EOL
// ends at or after bit position from. It reads the data backwards from the
// end, so it stops within a row or so of it, and not before octet lo (an
// EOL ending in octet lo+2 or later has its eleven zeros from there on).
func (d *Decoder) lastEOL(from, lo int) int {
	one, zeros := -1, 0 // the first 1 of the octets after i, and the zeros before it there
	lo = max(lo, from>>3-2, 0)
	for i := d.iend - 1; i >= lo; i-- {
		b := d.in[i]
		if d.opt.FillOrder == LSBFirst {
			b = bits.Reverse8(b)
		}
		if b == 0 {
			zeros += 8
			continue
		}
		if one >= 0 && zeros+bits.TrailingZeros8(b) >= EOLBits-1 {
			return one
		}
		lz := bits.LeadingZeros8(b)
		one, zeros = i*8+lz, lz
	}
	if one >= from && zeros >= EOLBits-1 {
		return one
	}
	return -1
}

// Stats returns the counts so far.
func (d *Decoder) Stats() Stats { return d.stats }

// fill tops the bit accumulator up to at least 56 bits while input lasts.
// Eight octets or more ahead, it loads them in one word: the bits that do
// not fit below d.nacc are those of the octets after, loaded again, the
// same, by the next fill (Fabian Giesen's "variant 4" refill).
//
// Streaming, it tells that the row being decoded starved when the data so
// far ends with fewer than maxCodeBits left: every decision looks at no
// more bits than that after a fill (need refills below 32), so with as
// many it is the one made with the whole page.
func (d *Decoder) fill() {
	if d.nacc > 56 {
		return
	}
	if d.ip+8 <= d.iend {
		w := binary.BigEndian.Uint64(d.in[d.ip:])
		if d.opt.FillOrder == LSBFirst {
			w = bits.Reverse64(bits.ReverseBytes64(w)) // each octet's bits reversed in place
		}
		d.acc |= w >> d.nacc
		d.ip += int(63-d.nacc) >> 3
		d.nacc |= 56
		return
	}
	for d.nacc < 56 {
		if d.ip == d.iend {
			if d.stream {
				if !d.final && d.nacc < maxCodeBits {
					d.starved = true
				}
				return
			}
			if d.eof {
				return
			}
			n, err := 0, error(nil)
			for tries := 0; n == 0 && err == nil && tries < 100; tries++ {
				n, err = d.r.Read(d.in)
			}
			d.ip, d.iend = 0, n
			if err != nil || n == 0 {
				d.eof = true
				if err != nil && !errors.Is(err, io.EOF) {
					d.rerr = err
				}
			}
			if n == 0 {
				return
			}
		}
		b := d.in[d.ip]
		d.ip++
		if d.opt.FillOrder == LSBFirst {
			b = bits.Reverse8(b)
		}
		d.acc |= uint64(b) << (56 - d.nacc)
		d.nacc += 8
	}
}

// need tops the accumulator up when fewer than 32 bits are left, enough
// for any code word looked up before the next call; unlike fill it is
// inlined, and most calls find bits enough.
func (d *Decoder) need() {
	if d.nacc < 32 {
		d.fill()
	}
}

func (d *Decoder) skip(n uint) {
	d.acc <<= n
	d.nacc -= n
}

var errShort = errors.New("t4: coded data ends inside a line")

// syncEOL consumes bits up to and including the next EOL: at least 11 zeros then a 1
// (T.4 §4.1.2; more zeros are fill, §4.1.3). It reports false at the end of the data.
func (d *Decoder) syncEOL() (bool, error) {
	zeros := 0
	for scanned := 0; scanned < maxEOLSearchBits; {
		d.fill()
		if d.nacc == 0 {
			return false, nil
		}
		lz := uint(bits.LeadingZeros64(d.acc))
		if lz >= d.nacc {
			zeros += int(d.nacc)
			scanned += int(d.nacc)
			d.acc, d.nacc = 0, 0
			continue
		}
		zeros += int(lz)
		d.skip(lz + 1)
		scanned += int(lz) + 1
		if zeros >= EOLBits-1 {
			return true, nil
		}
		zeros = 0
	}
	return false, fmt.Errorf("%w: in %d bits", ErrNoEOL, maxEOLSearchBits)
}

// eolNext reports whether the next bits are (fill and) an EOL, without consuming them:
// no line data starts with eight zeros.
func (d *Decoder) eolNext() bool {
	d.fill()
	if d.nacc < 8 {
		return false
	}
	return d.acc>>56 == 0
}

// readTag reads the MR tag bit after an EOL.
func (d *Decoder) readTag() {
	if d.opt.Coding != MR {
		return
	}
	d.fill()
	if d.nacc == 0 {
		d.tag = 1
		return
	}
	d.tag = int(d.acc >> 63)
	d.skip(1)
}

// readRun decodes one run length of the given colour (0 white, 1 black): make-up codes
// then a terminating code (T.4 §4.1.1).
func (d *Decoder) readRun(black bool, limit int) (int, error) {
	colour := 0
	if black {
		colour = 1 << rootBits
	}
	run := 0
	for {
		d.need()
		e := decRun[colour|int(d.acc>>(64-rootBits))]
		if e&15 == runSub {
			e = decRun[int(e>>4)+int(d.acc<<rootBits>>(64-subBits))]
		}
		n := uint(e & 15)
		if n == 0 {
			return 0, ErrCorrupt
		}
		if n > d.nacc {
			return 0, errShort
		}
		d.skip(n)
		r := int(e >> 4)
		run += r
		if run > limit {
			return 0, ErrCorrupt
		}
		if r < 64 {
			return run, nil
		}
	}
}

// shortRun decodes the run whose code is at the head of acc (nacc bits) when it is a
// terminating code of at most rootBits bits, found in the root table (runs 0 to 63 of
// white, 1 to 13 of black: the runs of text); ok is false for any other, left to readRun.
func shortRun(acc uint64, nacc uint, colour int) (run int, n uint, ok bool) {
	e := decRun[colour|int(acc>>(64-rootBits))]
	n, run = uint(e&15), int(e>>4)
	return run, n, run < 64 && n-1 < rootBits && n <= nacc
}

// run reads one run length of the colour (0 white, 1<<rootBits black) from acc, nacc
// (the caller's bits; d.acc and d.nacc are not up to date): shortRun's, or readRun's.
// On error, d.acc and d.nacc are where decoding stopped.
func (d *Decoder) run(acc uint64, nacc uint, colour int, limit int) (int, uint64, uint, error) {
	if r, k, ok := shortRun(acc, nacc, colour); ok {
		acc <<= k
		nacc -= k
		if r > limit {
			d.acc, d.nacc = acc, nacc
			return 0, acc, nacc, ErrCorrupt
		}
		return r, acc, nacc, nil
	}
	d.acc, d.nacc = acc, nacc
	r, err := d.readRun(colour != 0, limit)
	return r, d.acc, d.nacc, err
}

// decode1D decodes a one-dimensional line (T.4 §4.1) into d.cur.
func (d *Decoder) decode1D() error {
	width := d.opt.Width
	cur := d.cur[:cap(d.cur)]
	n := 0
	acc, nacc := d.acc, d.nacc
	x := 0
	colour := 0 // 0 white, 1<<rootBits black
	for x < width {
		if nacc < 32 {
			d.acc, d.nacc = acc, nacc
			d.fill()
			acc, nacc = d.acc, d.nacc
		}
		r, k, ok := shortRun(acc, nacc, colour)
		if ok {
			acc <<= k
			nacc -= k
			if r > width-x {
				d.acc, d.nacc = acc, nacc
				return ErrCorrupt
			}
		} else {
			d.acc, d.nacc = acc, nacc
			var err error
			if r, err = d.readRun(colour != 0, width-x); err != nil {
				return err
			}
			acc, nacc = d.acc, d.nacc
		}
		if r == 0 && x > 0 {
			d.acc, d.nacc = acc, nacc
			return ErrCorrupt
		}
		x += r
		if x < width {
			cur[n] = int16(x)
			n++
		}
		colour ^= 1 << rootBits
	}
	d.acc, d.nacc = acc, nacc
	w := int16(width)
	cur[n], cur[n+1], cur[n+2], cur[n+3] = w, w, w, w
	d.cur = cur[:n+4]
	return nil
}

// decode2D decodes a two-dimensional line (T.4 §4.2.1.3, T.6 §2.2) against d.ref.
//
// b1 is the first changing element of the reference line right of a0 whose
// colour is opposite to a0's (§4.2.1.3.1): a0 only moves right, so j, the
// first element of ref right of a0, does too, and b1 is j or, when the
// colour does not match, the one after.
func (d *Decoder) decode2D() error {
	width := int16(d.opt.Width)
	ref := d.ref // ends with sentinels equal to width, right of any a0 < width
	cur := d.cur[:cap(d.cur)]
	n := 0
	acc, nacc := d.acc, d.nacc
	a0 := int16(-1)
	c, j := 0, 0
	var err error
loop:
	for a0 < width {
		if nacc < 32 {
			d.acc, d.nacc = acc, nacc
			d.fill()
			acc, nacc = d.acc, d.nacc
		}
		m := decMode[acc>>57]
		if m.n == 0 {
			err = ErrCorrupt
			break
		}
		if uint(m.n) > nacc {
			err = errShort
			break
		}
		acc <<= m.n
		nacc -= uint(m.n)
		for ref[j] <= a0 {
			j++
		}
		bi := j + (j^c)&1
		switch m.mode {
		case modePass:
			b2 := ref[bi+1]
			if b2 >= width {
				err = ErrCorrupt
				break loop
			}
			a0 = b2
		case modeHoriz:
			start := max(a0, 0)
			r1, err1 := 0, error(nil)
			r1, acc, nacc, err1 = d.run(acc, nacc, c<<rootBits, int(width-start))
			if err1 != nil {
				return err1
			}
			a1 := start + int16(r1)
			if nacc < 32 {
				d.acc, d.nacc = acc, nacc
				d.fill()
				acc, nacc = d.acc, d.nacc
			}
			r2, err2 := 0, error(nil)
			r2, acc, nacc, err2 = d.run(acc, nacc, (c^1)<<rootBits, int(width-a1))
			if err2 != nil {
				return err2
			}
			a2 := a1 + int16(r2)
			if (r1 == 0 && a0 >= 0) || (r2 == 0 && a2 < width) {
				err = ErrCorrupt
				break loop
			}
			if a1 < width {
				cur[n] = a1
				n++
			}
			if a2 < width {
				cur[n] = a2
				n++
			}
			a0 = a2
		default:
			a1 := ref[bi] + int16(m.mode) - 4
			if a1 <= a0 || a1 > width {
				err = ErrCorrupt
				break loop
			}
			if a1 < width {
				cur[n] = a1
				n++
			}
			a0 = a1
			c ^= 1
		}
	}
	d.acc, d.nacc = acc, nacc
	if err != nil {
		return err
	}
	cur[n], cur[n+1], cur[n+2], cur[n+3] = width, width, width, width
	d.cur = cur[:n+4]
	return nil
}

// Next decodes the next row into row ((Width+7)/8 octets, 1 = black). It returns io.EOF
// at the end of the page (RTC, EOFB or the end of the data; Stats tells which).
// A nil row decodes and counts the row without drawing it, for a reader
// that wants only the page's rows and bad rows (a receiver keeping the
// page as it was coded).
func (d *Decoder) Next(row []byte) error {
	nb := (d.opt.Width + 7) >> 3
	if row != nil && len(row) < nb {
		return fmtErr(ErrRowSize, len(row))
	}
	if d.done {
		return io.EOF
	}
	if d.stats.Rows >= d.opt.MaxRows {
		d.done = true
		return fmt.Errorf("%w: more than %d", ErrTooManyRows, d.opt.MaxRows)
	}
	if d.stream && !d.final {
		return d.nextStream(row)
	}
	var err error
	if d.opt.Coding == MMR {
		err = d.nextMMR(row)
	} else {
		err = d.nextT4(row)
	}
	if err == nil && d.rerr != nil {
		d.done = true
		return d.rerr
	}
	return err
}

// nextStream decodes a row from data that may still grow: if the row ran
// into the end of the data so far, everything it changed is undone.
func (d *Decoder) nextStream(row []byte) error {
	if d.opt.Coding != MMR {
		// Without an EOL ahead the row cannot end (nor can the search
		// for an EOL, short of maxEOLSearchBits): it would starve.
		if at := d.ip*8 - int(d.nacc); at > d.eolAt && d.iend*8-at < maxEOLSearchBits {
			return ErrNeedMore
		}
	}
	d.snap = d.decState
	d.starved = false
	var err error
	if d.opt.Coding == MMR {
		err = d.nextMMR(row)
	} else {
		err = d.nextT4(row)
	}
	if !d.starved {
		return err
	}
	d.decState = d.snap
	return ErrNeedMore
}

func (d *Decoder) nextMMR(row []byte) error {
	d.fill()
	if d.nacc == 0 {
		d.done = true
		return io.EOF
	}
	if d.nacc >= EOLBits && d.acc>>(64-EOLBits) == EOL {
		// EOFB (T.6 §2.2.3).
		d.done = true
		d.stats.EndOfPage = true
		return io.EOF
	}
	if d.acc>>(64-EOLBits) == 0 && d.nacc < EOLBits {
		// Only padding zeros left.
		d.done = true
		return io.EOF
	}
	if err := d.decode2D(); err != nil {
		d.done = true
		if d.starved && !d.final {
			return err // undone by nextStream; no message to format
		}
		if errors.Is(err, errShort) {
			return fmt.Errorf("%w: data ends inside row %d", ErrCorrupt, d.stats.Rows)
		}
		return fmt.Errorf("%w: at row %d", ErrCorrupt, d.stats.Rows)
	}
	d.good(row)
	return nil
}

// good delivers d.cur as a correctly decoded row.
func (d *Decoder) good(row []byte) {
	if row != nil {
		renderChanges(row, d.cur[:len(d.cur)-4], d.opt.Width)
	}
	d.ref, d.cur = d.cur, d.ref
	d.stats.Rows++
	d.badRun = 0
	d.chain = false
}

// bad conceals a row by repeating the last good one, drawn again from its
// changing elements.
func (d *Decoder) bad(row []byte) {
	if row != nil {
		renderChanges(row, d.ref[:len(d.ref)-4], d.opt.Width)
	}
	d.stats.Rows++
	d.stats.BadRows++
	d.badRun++
	d.stats.LongestBadRun = max(d.stats.LongestBadRun, d.badRun)
	d.chain = true
}

func (d *Decoder) nextT4(row []byte) error {
	if !d.started {
		d.started = true
		ok, err := d.syncEOL()
		if err != nil || !ok {
			d.done = true
			if err != nil {
				return err
			}
			return io.EOF
		}
		d.readTag()
	}
	// Positioned just after an EOL (and tag). An EOL right after it is RTC (T.4 §4.1.4).
	if d.eolNext() {
		for i := 1; i < RTCEOLs && d.eolNext(); i++ {
			if ok, _ := d.syncEOL(); !ok {
				break
			}
			d.readTag()
		}
		d.done = true
		d.stats.EndOfPage = true
		return io.EOF
	}
	d.fill()
	if d.nacc == 0 {
		d.done = true
		return io.EOF
	}
	var err error
	twoD := d.opt.Coding == MR && d.tag == 0
	if twoD {
		err = d.decode2D()
	} else {
		err = d.decode1D()
	}
	if err == nil && !d.eolNext() {
		d.fill()
		if d.nacc >= 8 {
			err = ErrCorrupt // the line is longer than the page width
		}
	}
	if errors.Is(err, errShort) {
		// The data stops inside the line: the page ends without RTC.
		d.done = true
		return io.EOF
	}
	if err != nil || (twoD && d.chain) {
		d.bad(row)
	} else {
		d.good(row)
	}
	ok, serr := d.syncEOL()
	if serr != nil {
		d.done = true
		return serr
	}
	if !ok {
		d.done = true // data ends: no RTC; this row was the last
		return nil
	}
	d.readTag()
	return nil
}

// Prefetch asks the CPU to fetch the decoder's state and the coded octets
// it reads next into its caches, ahead of the next Feed (see package
// dsp/prefetch).
func (d *Decoder) Prefetch() {
	prefetch.Object(d)
	prefetch.Slice(d.ref[:min(len(d.ref), 64)])
	prefetch.Slice(d.cur[:min(len(d.cur), 64)])
	if i := d.ip >> 3; i < d.iend && d.iend <= len(d.in) {
		prefetch.Slice(d.in[i:min(d.iend, i+256)])
	}
}
