package t4

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"sync"

	"github.com/faxd/faxd/dsp/prefetch"
	"github.com/faxd/faxd/t30/internal/pagebuf"
)

// A Prepared page is a page coded once, ahead of the calls that send it,
// as a fax server prepares a job's documents before it dials (HylaFAX's
// faxq does): the coded stream without fill, and where each coded line
// ends. A call that sends it adds, as it reads it (PreparedReader), the
// fill its minimum scan line time asks for (T.4 §4.1.3), which depends on
// the bit rate the call reaches and so cannot be coded ahead; the octets
// it reads are those an Encoder with the same options and that
// MinBitsPerLine would have written. A Prepared page never changes once
// made, until Release: any number of readers may read it at once.
type Prepared struct {
	opt   Options // Coding, Width, K; no fill, no alignment, MSBFirst
	rows  int
	bits  []byte // the stream, first bit in the most significant bit
	nbits int64  // its length in bits, before the final octet's padding
	// marks[i] is the bit at which the EOL ending a coded line starts
	// (MH and MR: where fill goes), lens[i] that line's length with the
	// EOL and without fill (the length MinBitsPerLine is held against).
	marks []int64
	lens  []int32
}

// ErrPrepared is returned for options a prepared page cannot be coded or
// read with.
var ErrPrepared = errors.New("t4: prepared page")

// Prepare codes a page for opt (its Coding, Width and K; MinBitsPerLine,
// AlignEOL and FillOrder are a reader's business and must be zero) from
// the rows next fills in turn ((Width+7)/8 octets), until next returns
// io.EOF.
func Prepare(opt Options, next func(row []byte) error) (*Prepared, error) {
	if opt.MinBitsPerLine != 0 || opt.AlignEOL || opt.FillOrder > MSBFirst {
		return nil, fmt.Errorf("%w: coded with fill (%d bits a line), aligned EOLs (%v) or fill order %d", ErrPrepared, opt.MinBitsPerLine, opt.AlignEOL, opt.FillOrder)
	}
	if err := opt.check(); err != nil {
		return nil, err
	}
	// The page is coded into buffers kept from page to page, and the
	// result copied out at its size: coding into fresh ones made about
	// twice the page's size of garbage as they grew, the most of what a
	// media server's jobs gave its collector.
	sc := prepareScratch.Get().(*prepareBufs)
	defer prepareScratch.Put(sc)
	sc.buf.Reset()
	enc := sc.enc
	if enc == nil || enc.opt != opt {
		var err error
		if enc, err = NewEncoder(&sc.buf, opt); err != nil {
			return nil, err
		}
		sc.enc = enc
	}
	enc.Reset(&sc.buf)
	p := &Prepared{opt: opt, marks: sc.marks[:0], lens: sc.lens[:0]}
	row := make([]byte, (opt.Width+7)/8)
	for {
		err := next(row)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		// Every MH and MR row starts with the EOL that ends the row
		// before it: its fill would go here.
		if opt.Coding != MMR && p.rows > 0 {
			p.mark(enc.Bits())
		}
		if err := enc.WriteRow(row); err != nil {
			return nil, err
		}
		p.rows++
	}
	end := enc.Bits()
	tail := int64(2 * EOLBits) // EOFB
	if opt.Coding != MMR {
		if p.rows > 0 {
			p.mark(end) // RTC's first EOL ends the last row
		}
		tail = RTCEOLs * EOLBits
		if opt.Coding == MR {
			tail += RTCEOLs
		}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	p.nbits = end + tail
	sc.marks, sc.lens = p.marks, p.lens // grown, for the next page
	// The result is copied out at its size into pooled buffers, which
	// Release gives back: a letter page's are some 70 KB, made for
	// every job a media server sends.
	p.bits = pagebuf.Bytes.Get(sc.buf.Len())
	copy(p.bits, sc.buf.Bytes())
	p.marks = marksPool.Get(len(sc.marks))
	copy(p.marks, sc.marks)
	p.lens = lensPool.Get(len(sc.lens))
	copy(p.lens, sc.lens)
	return p, nil
}

// The pools of Prepared's marks and lens (its bits are pagebuf.Bytes').
var (
	marksPool pagebuf.Pool[int64]
	lensPool  pagebuf.Pool[int32]
)

// Release gives the page's buffers back, cleared, for other pages to be
// prepared in. The caller must be the page's last user: no reader of it
// may be reading, nor read again (it would read part of another page),
// and PreparedPage and the like must no longer hand it out. After Release
// the page is empty: a reader made from it, before or after, reads no
// octet (io.EOF) rather than another page's, and a second Release does
// nothing. Not calling Release is safe: the collector takes the buffers.
func (p *Prepared) Release() {
	if p == nil {
		return
	}
	pagebuf.Bytes.Put(p.bits)
	marksPool.Put(p.marks)
	lensPool.Put(p.lens)
	p.bits, p.marks, p.lens, p.nbits, p.rows = nil, nil, nil, 0, 0
}

// prepareBufs are Prepare's working buffers, and the Encoder it last made
// (its buffers too).
type prepareBufs struct {
	buf   bytes.Buffer
	marks []int64
	lens  []int32
	enc   *Encoder
}

var prepareScratch = sync.Pool{New: func() any { return new(prepareBufs) }}

// mark notes that the line ending at bit at (where its EOL starts) may
// take fill.
func (p *Prepared) mark(at int64) {
	start := int64(0) // the first line's data follow the first EOL
	if n := len(p.marks); n > 0 {
		start = p.marks[n-1]
	}
	start += EOLBits
	if p.opt.Coding == MR {
		start++ // the tag bit
	}
	p.marks = append(p.marks, at)
	p.lens = append(p.lens, int32(at-start+EOLBits))
}

// Options returns the options the page was coded with.
func (p *Prepared) Options() Options { return p.opt }

// Rows returns the page's rows.
func (p *Prepared) Rows() int { return p.rows }

// A PreparedReader reads a prepared page as the line carries it. Make one
// with NewReader; it allocates only then.
type PreparedReader struct {
	p    *Prepared
	min  int64
	lsb  bool
	pos  int64 // the next bit of p.bits to take
	mark int   // the next mark
	fill int64 // zeros to give before the bit at pos
	acc  uint64
	nacc uint
	done bool
}

// NewReader returns a reader of p with fill up to minBitsPerLine a coded
// line (T.4 §4.1.3; MH and MR only) in fill order fo: its octets are
// those an Encoder with p's options, that MinBitsPerLine and fo writes.
func (p *Prepared) NewReader(minBitsPerLine int, fo FillOrder) (*PreparedReader, error) {
	if minBitsPerLine < 0 || minBitsPerLine > maxMinBits || fo != MSBFirst && fo != LSBFirst {
		return nil, fmt.Errorf("%w: %d bits a line (0..%d), fill order %d", ErrPrepared, minBitsPerLine, maxMinBits, fo)
	}
	if p.opt.Coding == MMR {
		minBitsPerLine = 0
	}
	return &PreparedReader{p: p, min: int64(minBitsPerLine), lsb: fo == LSBFirst}, nil
}

// maxMinBits bounds the fill a line may ask for: 14400 bit/s for 40 ms.
const maxMinBits = 1 << 16

// take moves bits from the page or the fill into the accumulator, up to
// 56 in it; it returns false at the page's end.
func (r *PreparedReader) take() bool {
	room := 56 - r.nacc
	if r.fill > 0 {
		k := min(r.fill, int64(room))
		r.nacc += uint(k) // zeros: the accumulator's low bits are clear
		r.fill -= k
		return true
	}
	end := r.p.nbits
	if r.mark < len(r.p.marks) {
		end = r.p.marks[r.mark]
		if r.pos == end {
			r.fill = max(0, r.min-int64(r.p.lens[r.mark]))
			r.mark++
			return true
		}
	}
	if r.pos >= end {
		return false
	}
	k := uint(min(end-r.pos, int64(room)))
	// Eight octets from the one holding bit pos: at least 57 bits from
	// pos on, of which k are wanted.
	i := int(r.pos >> 3)
	var w uint64
	if i+8 <= len(r.p.bits) {
		w = uint64(r.p.bits[i])<<56 | uint64(r.p.bits[i+1])<<48 | uint64(r.p.bits[i+2])<<40 | uint64(r.p.bits[i+3])<<32 |
			uint64(r.p.bits[i+4])<<24 | uint64(r.p.bits[i+5])<<16 | uint64(r.p.bits[i+6])<<8 | uint64(r.p.bits[i+7])
	} else {
		for j := 0; j < 8; j++ {
			w <<= 8
			if i+j < len(r.p.bits) {
				w |= uint64(r.p.bits[i+j])
			}
		}
	}
	w <<= uint(r.pos & 7)
	w = w >> (64 - k) << (64 - k) // the k bits wanted, left-aligned
	r.acc |= w >> r.nacc
	r.nacc += k
	r.pos += int64(k)
	return true
}

// Read implements io.Reader.
func (r *PreparedReader) Read(b []byte) (int, error) {
	if r.min == 0 {
		// No line takes fill: the octets are the page's as they are
		// (none once the page is released).
		n := copy(b, r.p.bits[min(r.pos>>3, int64(len(r.p.bits))):])
		if r.lsb {
			for i, o := range b[:n] {
				b[i] = bits.Reverse8(o)
			}
		}
		r.pos += int64(n) << 3
		if n == 0 && len(b) > 0 {
			return 0, io.EOF
		}
		return n, nil
	}
	n := 0
	for n < len(b) {
		for r.nacc < 8 && !r.done {
			if !r.take() {
				r.done = true
			}
		}
		if r.nacc == 0 {
			break
		}
		// The last octet is padded with zeros, as Encoder.Close pads it.
		o := byte(r.acc >> 56)
		r.acc <<= 8
		r.nacc -= min(r.nacc, 8)
		if r.lsb {
			o = bits.Reverse8(o)
		}
		b[n] = o
		n++
	}
	if n == 0 && len(b) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// Prefetch asks the CPU to fetch the reader's state and the coded bits it
// reads next into its caches (see package dsp/prefetch).
func (r *PreparedReader) Prefetch() {
	prefetch.Object(r)
	p := r.p
	prefetch.Object(p)
	if i := r.pos >> 3; i >= 0 && i < int64(len(p.bits)) {
		prefetch.Slice(p.bits[i:min(int64(len(p.bits)), i+256)])
	}
	if r.mark < len(p.marks) {
		prefetch.Slice(p.marks[r.mark:min(len(p.marks), r.mark+8)])
	}
}
