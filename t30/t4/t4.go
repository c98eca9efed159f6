// Package t4 implements the ITU-T T.4 and T.6 facsimile image codings, encode and decode,
// row by row:
//
//   - MH, Modified Huffman, the one-dimensional coding of T.4 §4.1: white and black runs
//     coded with the terminating codes (0-63) and make-up codes (64-1728) of Tables 2 and
//     3/T.4, plus the extended make-up codes 1792-2560 of Table 3a/T.4 shared by both
//     colours; every line starts with EOL (§4.1.2), the page ends with RTC, six EOLs (§4.1.4).
//   - MR, Modified READ, the two-dimensional coding of T.4 §4.2: each EOL is followed by a
//     tag bit, 1 = the next line is 1-D coded, 0 = 2-D coded (§4.2.2); at most K-1 lines
//     (K = 2 at standard, 4 at fine resolution) follow a 1-D line in 2-D. The 2-D line is
//     coded in pass, horizontal and vertical modes (V0, VR1-3, VL1-3, Table 4/T.4) from the
//     changing elements a0, a1, a2 of the coding line and b1, b2 of the reference line
//     (§4.2.1.3). RTC is six EOLs each followed by the tag bit 1 (§4.2.4).
//   - MMR, Modified Modified READ, of T.6 §2: 2-D only, the first reference line is all
//     white, no EOLs and no fill, and the page ends with EOFB, two EOLs (T.6 §2.2.3).
//
// Pixels: a row is a []byte of (width+7)/8 octets packed first pixel in the most
// significant bit, 1 = black, 0 = white (the TIFF PhotometricInterpretation 0 convention
// used for fax). Bits after the last pixel of a row are ignored on encode and cleared on
// decode. Widths from 1 to MaxWidth are accepted; T.4 §2 gives 1728, 2048 and 2432 pixels
// (A4, B4, A3) and 3456, 4096, 4864 at the ultra-fine (R16) resolution.
//
// Bit order: the coded stream is a sequence of bits, the first bit of the first code
// word transmitted first on the line. FillOrder tells how those bits are packed into
// octets: MSBFirst (TIFF FillOrder 1) puts the first bit in the most significant bit,
// LSBFirst (TIFF FillOrder 2) in the least significant bit. T.30 and the V-series modems
// send each octet least significant bit first, so octets handed to a T.30 modem or to
// T.38 (which carries the line bits in that same octet order) use LSBFirst.
//
// Fill (T.4 §4.1.3): Options.MinBitsPerLine makes every coded line, data plus fill plus
// the EOL that ends it, at least that many bits long, as the minimum scan line time of the
// DCS asks (bit rate x minimum time, e.g. 9600 bit/s x 20 ms = 192 bits). Options.AlignEOL
// adds fill zeros so that every EOL ends on an octet boundary (TIFF T4Options bit 2).
// Prepare codes a page once without fill, keeping where each line ends, and its
// PreparedReader adds the fill a call asks for as the call reads it: the octets are the
// Encoder's with that MinBitsPerLine.
//
// Errors (non-ECM MH and MR): the Decoder resynchronises at the next EOL after a coding
// error, conceals the bad row by repeating the last good row and counts bad rows and the
// longest run of consecutive bad rows (the figures T.30 uses to choose MCF, RTP or RTN).
// For MR a bad row makes the 2-D rows that follow it bad too, up to the next 1-D row.
// MMR has no EOL to resynchronise on: a coding error ends the page with ErrCorrupt.
package t4

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// Coding selects the T.4/T.6 coding scheme.
type Coding int

const (
	MH  Coding = iota + 1 // T.4 §4.1 one-dimensional Modified Huffman
	MR                    // T.4 §4.2 two-dimensional Modified READ
	MMR                   // T.6 Modified Modified READ
)

func (c Coding) String() string {
	switch c {
	case MH:
		return "MH"
	case MR:
		return "MR"
	case MMR:
		return "MMR"
	}
	return fmt.Sprintf("Coding(%d)", int(c))
}

// FillOrder is the packing of the coded bit stream into octets (TIFF tag 266).
type FillOrder int

const (
	MSBFirst FillOrder = 1 // first bit in the most significant bit (TIFF FillOrder 1)
	LSBFirst FillOrder = 2 // first bit in the least significant bit (TIFF FillOrder 2; T.30 line order)
)

// Code words of T.4 §4.1.2 and T.6 §2.2.3, right-aligned.
const (
	EOL      = 0x001 // end of line, 000000000001, 12 bits
	EOLBits  = 12
	RTCEOLs  = 6 // return to control: six consecutive EOLs (T.4 §4.1.4)
	EOFBEOLs = 2 // end of facsimile block: two consecutive EOLs (T.6 §2.2.3)
)

// Limits.
const (
	MaxWidth         = 8192  // widest row accepted
	DefaultMaxRows   = 10000 // default Options.MaxRows for the Decoder
	maxEOLSearchBits = 1 << 20
	maxCodeBits      = 13 // the longest code word (Table 3/T.4) and more than an EOL
)

// Sentinel errors.
var (
	ErrWidth       = errors.New("t4: page width out of range")
	ErrCoding      = errors.New("t4: unknown coding")
	ErrK           = errors.New("t4: MR K parameter out of range")
	ErrFillOrder   = errors.New("t4: unknown fill order")
	ErrRowSize     = errors.New("t4: row buffer too short for the page width")
	ErrTooManyRows = errors.New("t4: page has more rows than the limit")
	ErrCorrupt     = errors.New("t4: corrupt coded data")
	ErrNoEOL       = errors.New("t4: no EOL found")
	ErrClosed      = errors.New("t4: encoder already closed")
)

// Options configure an Encoder or a Decoder.
type Options struct {
	Coding    Coding
	Width     int       // pixels per row, 1..MaxWidth
	K         int       // MR only: a 1-D line every K lines (T.4 §4.2.1: 2 or 4); 0 means 2
	FillOrder FillOrder // 0 means MSBFirst
	// Encoder only.
	MinBitsPerLine int  // MH/MR: minimum bits of a coded line including its EOL (T.4 §4.1.3)
	AlignEOL       bool // MH/MR: fill so that each EOL ends on an octet boundary
	// Decoder only.
	MaxRows int // refuse pages with more rows; 0 means DefaultMaxRows
}

func (o *Options) check() error {
	switch o.Coding {
	case MH, MR, MMR:
	default:
		return fmt.Errorf("%w: %d", ErrCoding, int(o.Coding))
	}
	if o.Width < 1 || o.Width > MaxWidth {
		return fmt.Errorf("%w: %d (1..%d)", ErrWidth, o.Width, MaxWidth)
	}
	if o.K == 0 {
		o.K = 2
	}
	if o.K < 1 || o.K > 1000 {
		return fmt.Errorf("%w: %d", ErrK, o.K)
	}
	if o.FillOrder == 0 {
		o.FillOrder = MSBFirst
	}
	if o.FillOrder != MSBFirst && o.FillOrder != LSBFirst {
		return fmt.Errorf("%w: %d", ErrFillOrder, int(o.FillOrder))
	}
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxRows
	}
	if o.MinBitsPerLine < 0 {
		o.MinBitsPerLine = 0
	}
	return nil
}

// Changing elements are kept as int16, half the bytes of int32 to touch per
// row: pel positions and the sentinels run from -1 to MaxWidth+3, and what
// rowChanges writes past its sentinels is below MaxWidth+64.
const _ = uint(math.MaxInt16 - (MaxWidth + 64))

// rowChanges lists the changing elements of a row (T.4 §4.2.1.3.1): the positions where
// the colour differs from the pixel before, the pixel before the first being white. Even
// entries are changes to black, odd ones to white. It appends four sentinels equal to
// width and returns the number of real changes. dst is reused when it has room for
// width+8 entries: the changes are written four at a time, past the last.
//
// A white row, the most of a page's rows, is found white with one comparison of its
// octets (memory comparison, many octets at a time). Other rows are scanned
// 64 pels at a time: a word XOR itself shifted by one pel (the last pel of the word
// before coming in) has a 1 at each change. A word without one, as most of a page's
// are, costs a test; the changes of the others are taken from the bit-reversed word,
// the first pel in bit 0, with a count of trailing zeros each and the lowest set bit
// cleared, so that finding one does not wait on finding the one before.
func rowChanges(dst []int16, row []byte, width int) ([]int16, int) {
	if cap(dst) < width+8 {
		dst = make([]int16, width+8)
	}
	dst = dst[:cap(dst)]
	n := 0
	var last uint64 // the pel before the word, in bit 63
	x := 0
	if whole := width >> 3; bytes.Equal(row[:whole], whiteRow[:whole]) {
		x = whole << 3 // the pels of a last partial octet are left, if any
	} else {
		for words := row[:width>>6<<3]; len(words) >= 8; words, x = words[8:], x+64 {
			w := binary.BigEndian.Uint64(words)
			t := w ^ (w>>1 | last)
			last = w << 63
			if t != 0 {
				n = putChanges(dst, n, x, t)
			}
		}
	}
	if x < width {
		// The last pels, fewer than 64, those past width cleared.
		var w uint64
		for i, k := x>>3, 56; i < (width+7)>>3; i, k = i+1, k-8 {
			w |= uint64(row[i]) << uint(k)
		}
		in := ^uint64(0) << uint(64-(width-x))
		w &= in
		if t := (w ^ (w>>1 | last)) & in; t != 0 {
			n = putChanges(dst, n, x, t)
		}
	}
	w := int16(width)
	dst[n], dst[n+1], dst[n+2], dst[n+3] = w, w, w, w
	return dst[:n+4], n
}

// putChanges writes the changes marked in t, the pel at x in its bit 63, at dst[n:]
// and returns the count with them. It writes four entries at a time, the last ones
// past the changes: dst has room for them.
func putChanges(dst []int16, n, x int, t uint64) int {
	r := bits.Reverse64(t)
	end := n + bits.OnesCount64(r)
	for ; r != 0; n += 4 {
		d := (*[4]int16)(dst[n : n+4])
		d[0] = int16(x + bits.TrailingZeros64(r))
		r &= r - 1
		d[1] = int16(x + bits.TrailingZeros64(r))
		r &= r - 1
		d[2] = int16(x + bits.TrailingZeros64(r))
		r &= r - 1
		d[3] = int16(x + bits.TrailingZeros64(r))
		r &= r - 1
	}
	return end
}

// whiteRow is a row of MaxWidth white pels.
var whiteRow [MaxWidth / 8]byte

// renderChanges draws a row from its changing elements (ascending positions < width that
// alternate to black, to white, ...), 64 pels at a time: each change inverts the pels
// from it to the end of its word, and the colour after it fills the words up to the next.
func renderChanges(row []byte, ch []int16, width int) {
	nb := (width + 7) >> 3
	row = row[:nb]
	var w, fill uint64 // the word being drawn; the colour after the last change, all ones for black
	wi := 0            // octet index of w in row
	for _, x := range ch {
		at := int(x) >> 6 << 3
		for wi < at {
			binary.BigEndian.PutUint64(row[wi:], w)
			w = fill
			wi += 8
		}
		w ^= ^uint64(0) >> (uint(x) & 63)
		fill = ^fill
	}
	for ; wi+8 <= nb; wi += 8 {
		binary.BigEndian.PutUint64(row[wi:], w)
		w = fill
	}
	for ; wi < nb; wi++ {
		row[wi] = byte(w >> 56)
		w <<= 8
	}
	if r := width & 7; r != 0 {
		row[nb-1] &= 0xFF << (8 - r) // bits after the last pel are cleared
	}
}
