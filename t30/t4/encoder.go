package t4

import (
	"encoding/binary"
	"io"
	"math/bits"
	"slices"
)

// Encoder codes a page row by row (T.4 §4.1, §4.2; T.6 §2) and writes the coded octets to
// an io.Writer as soon as they are complete. It allocates only when made.
type Encoder struct {
	opt    Options
	w      io.Writer
	buf    []byte // complete octets not yet written
	acc    uint64 // pending bits, left-aligned at bit 63
	nacc   uint   // number of pending bits
	out    int64  // bits moved from acc to buf so far; out+nacc were emitted
	lineAt int64  // bit position where the current line's data starts (-1: none yet)
	rows   int
	ref    []int16 // changing elements of the reference line (with sentinels)
	cur    []int16
	closed bool
	err    error
	words  [codeChunk]uint32 // code words found, not yet in the stream
}

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w io.Writer, opt Options) (*Encoder, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	e := &Encoder{
		opt:    opt,
		w:      w,
		buf:    make([]byte, 0, 2*MaxWidth),
		ref:    make([]int16, 0, opt.Width+8),
		cur:    make([]int16, 0, opt.Width+8),
		lineAt: -1,
	}
	e.resetRef()
	return e, nil
}

// Reset starts a new page on w with the same options.
func (e *Encoder) Reset(w io.Writer) {
	e.w = w
	e.buf = e.buf[:0]
	e.acc, e.nacc, e.out, e.lineAt, e.rows = 0, 0, 0, -1, 0
	e.closed, e.err = false, nil
	e.resetRef()
}

func (e *Encoder) resetRef() {
	w := int16(e.opt.Width)
	e.ref = append(e.ref[:0], w, w, w, w) // all-white imaginary line (T.6 §2.2.1)
}

// Rows returns the number of rows coded so far.
func (e *Encoder) Rows() int { return e.rows }

// Bits returns the number of coded bits emitted so far (including fill and EOLs).
func (e *Encoder) Bits() int64 { return e.total() }

func (e *Encoder) total() int64 { return e.out + int64(e.nacc) }

func (e *Encoder) put(c code) {
	e.nacc += uint(c.n)
	e.acc |= uint64(c.bits) << (64 - e.nacc)
	if e.nacc >= 32 {
		e.drain()
	}
}

func (e *Encoder) zeros(n int) {
	for n > 0 {
		k := min(n, 16)
		e.put(code{0, uint8(k)})
		n -= k
	}
}

// The coding loops find a line's code words in two steps: what the codes are
// (the modes, the runs) into a chunk of words (codeWord: a code word of up to
// 27 bits and its length in one uint32), then their bits into the stream
// (putWords). One loop doing both kept more values than there are registers
// and spilled them to the stack at every code; and the bits are packed
// without the branch on a full accumulator, which the processor could not
// predict.
const codeChunk = 256

// runWord is the word of a run of r < 2624 pels of colour c (0 white, 1
// black): its make-up code, if any, and its terminating code, 25 bits at most
// (T.4 §4.1.1, §4.1.2).
func runWord(r, c int) uint32 {
	m, t := encMakeup[c][r>>6], encTerm[c][r&63]
	return m | (t&^31)>>(m&31) + t&31 // the lengths add up in the low bits
}

// runWords puts the words of a run of r pels of colour c at w[n:] and returns
// the count with them: make-up codes of 2560 while more than 2623 pels are
// left (Table 3a/T.4), then the run's word; four words at most (r <= MaxWidth).
func runWords(w *[codeChunk]uint32, n, r, c int) int {
	for ; r > 2623; r -= 2560 {
		w[n] = encMakeup[c][40]
		n++
	}
	w[n] = runWord(r, c)
	return n + 1
}

// putWords adds the code words w to the bit stream, two at a time. Before
// each two, the pending bits are written whole, eight octets, at the end of
// buf, which moves on by the octets complete (what is written past them is
// written over next): at most 7 bits are left pending, and two words of at
// most 27 bits fit with them in 64. There is no branch but the loop's.
func (e *Encoder) putWords(w []uint32) {
	buf := slices.Grow(e.buf, 4*len(w)+16) // up to 27 bits a word; 31 bits pending; 8 octets written
	nb, acc, nacc := len(buf), e.acc, e.nacc
	buf = buf[:cap(buf)]
	for i := 0; i < len(w); i += 2 {
		binary.BigEndian.PutUint64(buf[nb:], acc)
		nb += int(nacc >> 3)
		acc <<= nacc &^ 7 & 63
		nacc &= 7
		k := w[i]
		acc |= uint64(k&^31) << 32 >> nacc
		nacc += uint(k & 31)
		if i+1 < len(w) {
			k = w[i+1]
			acc |= uint64(k&^31) << 32 >> nacc
			nacc += uint(k & 31)
		}
	}
	binary.BigEndian.PutUint64(buf[nb:], acc)
	nb += int(nacc >> 3)
	acc <<= nacc &^ 7 & 63
	nacc &= 7
	e.out += int64(nb-len(e.buf)) << 3
	e.buf, e.acc, e.nacc = buf[:nb], acc, nacc
}

// drain moves the complete octets of the pending bits to buf.
func (e *Encoder) drain() {
	for e.nacc >= 8 {
		e.buf = append(e.buf, byte(e.acc>>56))
		e.acc <<= 8
		e.nacc -= 8
		e.out += 8
	}
}

// flush writes the complete octets, in the fill order: they are coded first
// bit in the most significant bit, and reversed octet by octet here for
// LSBFirst.
func (e *Encoder) flush() error {
	e.drain()
	if e.opt.FillOrder == LSBFirst {
		reverseOctets(e.buf)
	}
	if len(e.buf) > 0 && e.err == nil {
		_, e.err = e.w.Write(e.buf)
	}
	e.buf = e.buf[:0]
	return e.err
}

// reverseOctets reverses the order of the bits in each octet of b, eight
// octets at a time.
func reverseOctets(b []byte) {
	for ; len(b) >= 8; b = b[8:] {
		v := binary.BigEndian.Uint64(b)
		v = v>>1&0x5555555555555555 | v&0x5555555555555555<<1
		v = v>>2&0x3333333333333333 | v&0x3333333333333333<<2
		v = v>>4&0x0F0F0F0F0F0F0F0F | v&0x0F0F0F0F0F0F0F0F<<4
		binary.BigEndian.PutUint64(b, v)
	}
	for i, o := range b {
		b[i] = bits.Reverse8(o)
	}
}

// eol ends the previous line (if any) with fill, then writes EOL and, for MR, the tag bit.
func (e *Encoder) eol(tag int) {
	if e.lineAt >= 0 {
		n := e.total() - e.lineAt + EOLBits
		if m := int64(e.opt.MinBitsPerLine); n < m {
			e.zeros(int(m - n))
		}
	}
	if e.opt.AlignEOL {
		if r := (e.total() + EOLBits) & 7; r != 0 {
			e.zeros(int(8 - r))
		}
	}
	e.put(code{EOL, EOLBits})
	if e.opt.Coding == MR {
		e.put(code{uint16(tag), 1})
	}
}

// WriteRow codes one row of (Width+7)/8 octets, 1 = black, first pixel in the MSB.
func (e *Encoder) WriteRow(row []byte) error {
	if e.closed {
		return ErrClosed
	}
	if len(row) < (e.opt.Width+7)>>3 {
		return fmtErr(ErrRowSize, len(row))
	}
	var n int
	e.cur, n = rowChanges(e.cur, row, e.opt.Width)
	switch e.opt.Coding {
	case MH:
		e.eol(1)
		e.lineAt = e.total()
		e.code1D(n)
	case MR:
		oneD := e.rows%e.opt.K == 0
		if oneD {
			e.eol(1)
			e.lineAt = e.total()
			e.code1D(n)
		} else {
			e.eol(0)
			e.lineAt = e.total()
			e.code2D()
		}
	case MMR:
		e.code2D()
	}
	e.ref, e.cur = e.cur, e.ref
	e.rows++
	return e.flush()
}

// code1D codes the current line's runs (T.4 §4.1.1): they end at its changes
// and the last at the end of the line, where the first sentinel is; a line
// always has a white run first.
func (e *Encoder) code1D(n int) {
	w := &e.words
	k, prev, c := 0, 0, 0
	for _, x := range e.cur[:n+1] {
		if k > codeChunk-4 {
			e.putWords(w[:k])
			k = 0
		}
		k = runWords(w, k, int(x)-prev, c)
		prev, c = int(x), c^1
	}
	e.putWords(w[:k])
}

// code2D codes the current line against the reference line (T.4 §4.2.1.3.4, Figure 7/T.4).
// a0 only moves right, and so do ai, the index of a1 in cur (the first change right of
// a0), and bi, that of b1 in ref: the first change right of a0 of the colour opposite to
// a0's (§4.2.1.3.1), so that the parity of bi is a0's colour (even entries are changes
// to black). Each mode moves bi by what it knows rather than by a search:
//   - pass mode puts a0 on b2 (§4.2.1.3.2 a)): b1 is the change after b2;
//   - vertical mode puts a0 on a1 and changes its colour: b1 is the change after b1, or
//     the one after b2 when b2 is on a1 (VR1 to VR3), or the change before b1 when that
//     is right of a1 (VL2, VL3).
//
// Only horizontal mode, which moves a0 to a2 anywhere right, searches ref. The vertical
// modes, most of a page's codes, all take one path but for those two rare cases, which
// the processor predicts and runs ahead on: a test for the common modes apart (V0 is
// more than half the codes of a text page) made it mispredict at each change of mode.
// Both lists end with sentinels equal to width, right of any a0 < width.
func (e *Encoder) code2D() {
	cur, ref := e.cur, e.ref
	width := int16(e.opt.Width)
	w := &e.words
	a0 := int16(-1)
	bi, ai := 0, 0
	for a0 < width {
		k := 0
		for a0 < width && k <= codeChunk-9 { // a horizontal mode takes up to 9 words
			b1, b2 := ref[bi], ref[bi+1]
			a1 := cur[ai]
			if b2 < a1 {
				w[k] = encPass
				k++
				a0 = b2
				bi += 2
				continue
			}
			if v := uint16(a1 - b1 + 3); v <= 6 {
				w[k] = encVert[v]
				k++
				a0 = a1
				ai++
				bi++
				if b2 == a1 {
					bi += 2 // VR1 to VR3 with b2 on a1
				} else if v < 2 && bi > 1 && ref[bi-2] > a1 {
					bi -= 2 // VL2 or VL3 with a change between a1 and b1
				}
				continue
			}
			a2 := cur[ai+1]
			w[k] = encHoriz
			c := bi & 1 // a0's colour
			k = runWords(w, k+1, int(a1-max(a0, 0)), c)
			k = runWords(w, k, int(a2-a1), c^1)
			a0 = a2
			ai += 2
			for a0 < width && ref[bi] <= a0 {
				bi += 2
			}
		}
		e.putWords(w[:k])
	}
}

// Close ends the page: RTC for MH (six EOLs) and MR (six EOL+1), EOFB for MMR, then
// zero bits up to the octet boundary, and writes what is left.
func (e *Encoder) Close() error {
	if e.closed {
		return e.err
	}
	e.closed = true
	switch e.opt.Coding {
	case MH, MR:
		e.eol(1)
		for i := 1; i < RTCEOLs; i++ {
			e.put(code{EOL, EOLBits})
			if e.opt.Coding == MR {
				e.put(code{1, 1})
			}
		}
	case MMR:
		e.put(code{EOL, EOLBits})
		e.put(code{EOL, EOLBits})
	}
	if r := e.nacc & 7; r != 0 {
		e.zeros(int(8 - r))
	}
	return e.flush()
}
