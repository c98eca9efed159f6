package t4

import (
	"encoding/binary"
	"io"
	"math/bits"
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

func (e *Encoder) drain() {
	for e.nacc >= 8 {
		b := byte(e.acc >> 56)
		if e.opt.FillOrder == LSBFirst {
			b = bits.Reverse8(b)
		}
		e.buf = append(e.buf, b)
		e.acc <<= 8
		e.nacc -= 8
		e.out += 8
	}
}

// drain32 moves the first 32 of the pending bits acc, nacc to buf and returns the rest:
// the loops of code1D and code2D keep the pending bits in locals.
func (e *Encoder) drain32(acc uint64, nacc uint) (uint64, uint) {
	v := uint32(acc >> 32)
	if e.opt.FillOrder == LSBFirst {
		v = bits.Reverse32(bits.ReverseBytes32(v)) // each octet's bits reversed in place
	}
	e.buf = binary.BigEndian.AppendUint32(e.buf, v)
	e.out += 32
	return acc << 32, nacc - 32
}

func (e *Encoder) flush() error {
	e.drain()
	if len(e.buf) > 0 && e.err == nil {
		_, e.err = e.w.Write(e.buf)
	}
	e.buf = e.buf[:0]
	return e.err
}

func (e *Encoder) putRun(run int, black bool) {
	term, makeup := &encWhiteTerm, &encWhiteMakeup
	if black {
		term, makeup = &encBlackTerm, &encBlackMakeup
	}
	for run > 2623 {
		e.put(encExt[12])
		run -= 2560
	}
	if run >= 64 {
		m := run >> 6
		if m <= 27 {
			e.put(makeup[m-1])
		} else {
			e.put(encExt[m-28])
		}
		run &= 63
	}
	e.put(term[run])
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

func (e *Encoder) code1D(n int) {
	cur, width := e.cur, e.opt.Width
	acc, nacc := e.acc, e.nacc
	prev := 0
	// The runs end at the changes and the last at the end of the line; a line
	// always has a white run first (T.4 §4.1.1).
	for i := 0; i <= n; i++ {
		x := width
		if i < n {
			x = int(cur[i])
		}
		run := x - prev
		prev = x
		if run >= 64 {
			e.acc, e.nacc = acc, nacc
			e.putRun(run, i&1 == 1)
			acc, nacc = e.acc, e.nacc
			continue
		}
		t := &encWhiteTerm
		if i&1 == 1 {
			t = &encBlackTerm
		}
		k := t[run]
		nacc += uint(k.n) // fewer than 32 + 12 bits
		acc |= uint64(k.bits) << (64 - nacc)
		if nacc >= 32 {
			acc, nacc = e.drain32(acc, nacc)
		}
	}
	e.acc, e.nacc = acc, nacc
}

// code2D codes the current line against the reference line (T.4 §4.2.1.3.4, Figure 7/T.4).
// a0 only moves right, and so do j, the first element of ref right of a0 (b1 is j or,
// when its colour is a0's, the one after: §4.2.1.3.1), and ai, the first of cur (a1).
// Both lists end with sentinels equal to width, right of any a0 < width.
func (e *Encoder) code2D() {
	cur, ref := e.cur, e.ref
	width := int16(e.opt.Width)
	acc, nacc := e.acc, e.nacc
	a0 := int16(-1)
	c, j, ai := 0, 0, 0
	for a0 < width {
		for ref[j] <= a0 {
			j++
		}
		bi := j + (j^c)&1
		b1, b2 := ref[bi], ref[bi+1]
		for cur[ai] <= a0 {
			ai++
		}
		a1 := cur[ai]
		var k code
		if b2 < a1 {
			k = encPass
			a0 = b2
		} else if d := a1 - b1; d >= -3 && d <= 3 {
			k = encVert[d+3]
			a0 = a1
			c ^= 1
		} else {
			a2 := cur[ai+1]
			start := max(a0, 0)
			if r1, r2 := int(a1-start), int(a2-a1); r1 < 64 && r2 < 64 {
				// Horizontal mode with two terminating codes: at most 3+12+12 bits.
				t1, t2 := &encWhiteTerm, &encBlackTerm
				if c == 1 {
					t1, t2 = t2, t1
				}
				k1, k2 := t1[r1], t2[r2]
				nacc += uint(encHoriz.n)
				acc |= uint64(encHoriz.bits) << (64 - nacc)
				nacc += uint(k1.n)
				acc |= uint64(k1.bits) << (64 - nacc)
				nacc += uint(k2.n)
				acc |= uint64(k2.bits) << (64 - nacc)
				if nacc >= 32 {
					acc, nacc = e.drain32(acc, nacc)
				}
				a0 = a2
				continue
			}
			e.acc, e.nacc = acc, nacc
			e.put(encHoriz)
			e.putRun(int(a1-start), c == 1)
			e.putRun(int(a2-a1), c == 0)
			acc, nacc = e.acc, e.nacc
			a0 = a2
			continue
		}
		nacc += uint(k.n) // fewer than 32 + 7 bits
		acc |= uint64(k.bits) << (64 - nacc)
		if nacc >= 32 {
			acc, nacc = e.drain32(acc, nacc)
		}
	}
	e.acc, e.nacc = acc, nacc
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
