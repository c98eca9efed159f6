package v17

import "fmt"

// V.17 §1 and §2: 2400 symbols per second on an 1800 Hz carrier.
const (
	BaudRate    = 2400
	CarrierFreq = 1800.0
)

// BitsPerSymbol returns how many data bits one symbol carries at rate
// (V.17 §1: 6, 5, 4 or 3), or 0 for a rate V.17 does not define.
func BitsPerSymbol(rate int) int {
	switch rate {
	case 14400, 12000, 9600, 7200:
		return rate / BaudRate
	}
	return 0
}

// Signal elements (V.17 §2.4, the signal-space diagrams for 14400, 12000,
// 9600 and 7200 bit/s), in the diagrams' units, indexed by the binary
// number Q6 Q5 Q4 Q3 Y2 Y1 Y0 (Y0 in bit 0; the rates below 14400 have
// fewer uncoded bits Q). The comment on each row gives the uncoded bits;
// the row runs through Y2 Y1 Y0 = 000 to 111. The low three bits name the
// subset the trellis code chooses; the rest choose a point in it. Every
// alphabet has a mean power close to 40 (14400: 41, 12000: 42, 9600 and
// 7200: 40), as have the training points.
var points14400 = [128]complex64{
	-8 - 3i, 9 + 2i, 2 - 9i, -3 + 8i, 8 + 3i, -9 - 2i, -2 + 9i, 3 - 8i, // 0000xxx
	-8 + 1i, 9 - 2i, -2 - 9i, 1 + 8i, 8 - 1i, -9 + 2i, 2 + 9i, -1 - 8i, // 0001xxx
	-4 - 3i, 5 + 2i, 2 - 5i, -3 + 4i, 4 + 3i, -5 - 2i, -2 + 5i, 3 - 4i, // 0010xxx
	-4 + 1i, 5 - 2i, -2 - 5i, 1 + 4i, 4 - 1i, -5 + 2i, 2 + 5i, -1 - 4i, // 0011xxx
	4 - 3i, -3 + 2i, 2 + 3i, -3 - 4i, -4 + 3i, 3 - 2i, -2 - 3i, 3 + 4i, // 0100xxx
	4 + 1i, -3 - 2i, -2 + 3i, 1 - 4i, -4 - 1i, 3 + 2i, 2 - 3i, -1 + 4i, // 0101xxx
	-3i, 1 + 2i, 2 - 1i, -3, 3i, -1 - 2i, -2 + 1i, 3, // 0110xxx
	1i, 1 - 2i, -2 - 1i, 1, -1i, -1 + 2i, 2 + 1i, -1, // 0111xxx
	8 - 3i, -7 + 2i, 2 + 7i, -3 - 8i, -8 + 3i, 7 - 2i, -2 - 7i, 3 + 8i, // 1000xxx
	8 + 1i, -7 - 2i, -2 + 7i, 1 - 8i, -8 - 1i, 7 + 2i, 2 - 7i, -1 + 8i, // 1001xxx
	-4 - 7i, 5 + 6i, 6 - 5i, -7 + 4i, 4 + 7i, -5 - 6i, -6 + 5i, 7 - 4i, // 1010xxx
	-4 + 5i, 5 - 6i, -6 - 5i, 5 + 4i, 4 - 5i, -5 + 6i, 6 + 5i, -5 - 4i, // 1011xxx
	4 - 7i, -3 + 6i, 6 + 3i, -7 - 4i, -4 + 7i, 3 - 6i, -6 - 3i, 7 + 4i, // 1100xxx
	4 + 5i, -3 - 6i, -6 + 3i, 5 - 4i, -4 - 5i, 3 + 6i, 6 - 3i, -5 + 4i, // 1101xxx
	-7i, 1 + 6i, 6 - 1i, -7, 7i, -1 - 6i, -6 + 1i, 7, // 1110xxx
	5i, 1 - 6i, -6 - 1i, 5, -5i, -1 + 6i, 6 + 1i, -5, // 1111xxx
}

var points12000 = [64]complex64{
	7 + 1i, -5 - 1i, -1 + 5i, 1 - 7i, -7 - 1i, 5 + 1i, 1 - 5i, -1 + 7i, // 000xxx
	3 - 3i, -1 + 3i, 3 + 1i, -3 - 3i, -3 + 3i, 1 - 3i, -3 - 1i, 3 + 3i, // 001xxx
	7 - 7i, -5 + 7i, 7 + 5i, -7 - 7i, -7 + 7i, 5 - 7i, -7 - 5i, 7 + 7i, // 010xxx
	-1 - 7i, 3 + 7i, 7 - 3i, -7 + 1i, 1 + 7i, -3 - 7i, -7 + 3i, 7 - 1i, // 011xxx
	3 + 5i, -1 - 5i, -5 + 1i, 5 - 3i, -3 - 5i, 1 + 5i, 5 - 1i, -5 + 3i, // 100xxx
	-1 + 1i, 3 - 1i, -1 - 3i, 1 + 1i, 1 - 1i, -3 + 1i, 1 + 3i, -1 - 1i, // 101xxx
	-5 + 5i, 7 - 5i, -5 - 7i, 5 + 5i, 5 - 5i, -7 + 5i, 5 + 7i, -5 - 5i, // 110xxx
	-5 - 3i, 7 + 3i, 3 - 7i, -3 + 5i, 5 + 3i, -7 - 3i, -3 + 7i, 3 - 5i, // 111xxx
}

var points9600 = [32]complex64{
	-8 + 2i, -6 - 4i, -4 + 6i, 2 + 8i, 8 - 2i, 6 + 4i, 4 - 6i, -2 - 8i, // 00xxx
	2i, -6 + 4i, 4 + 6i, 2, -2i, 6 - 4i, -4 - 6i, -2, // 01xxx
	-6i, 2 - 4i, -4 - 2i, -6, 6i, -2 + 4i, 4 + 2i, 6, // 10xxx
	8 + 2i, 2 + 4i, 4 - 2i, 2 - 8i, -8 - 2i, -2 - 4i, -4 + 2i, -2 + 8i, // 11xxx
}

var points7200 = [16]complex64{
	6 - 6i, -2 + 6i, 6 + 2i, -6 - 6i, -6 + 6i, 2 - 6i, -6 - 2i, 6 + 6i, // 0xxx
	-2 + 2i, 6 - 2i, -2 - 6i, 2 + 2i, 2 - 2i, -6 + 2i, 2 + 6i, -2 - 2i, // 1xxx
}

// constellation returns the signal elements for rate, or nil.
func constellation(rate int) []complex64 {
	switch rate {
	case 14400:
		return points14400[:]
	case 12000:
		return points12000[:]
	case 9600:
		return points9600[:]
	case 7200:
		return points7200[:]
	}
	return nil
}

// The training signal elements A, B, C and D (V.17 §2.5): each is the one
// before it turned through 90 degrees, and all four are points of the 4800
// bit/s alphabet of V.32bis, of power 40.
const (
	pointA = iota
	pointB
	pointC
	pointD
)

var abcd = [4]complex64{-6 - 2i, 2 - 6i, 6 + 2i, -2 + 6i}

// convNext is the 8-state systematic convolutional encoder of V.17 §2.4
// (the encoder of V.32's trellis-coded alternative): from state s (three
// delay elements w1 w2 w3 in bits 0, 1, 2) and the differentially encoded
// bits y (Y1 in bit 0, Y2 in bit 1) it returns the next state. The
// redundant bit Y0 of a symbol is w1 of the state before it (convY0). The
// code is non-linear (the AND terms), which is what makes it transparent to
// 90-degree rotations:
//
//	w1' = w2 ⊕ Y2 ⊕ w1·Y1
//	w2' = w3 ⊕ Y1 ⊕ Y2 ⊕ w1·(w2 ⊕ Y2)
//	w3' = w1
func convNext(s, y uint8) uint8 {
	w1, w2, w3 := s&1, s>>1&1, s>>2&1
	y1, y2 := y&1, y>>1&1
	n1 := w2 ^ y2 ^ w1&y1
	n2 := w3 ^ y1 ^ y2 ^ w1&(w2^y2)
	return n1 | n2<<1 | w1<<2
}

// convY0 returns the redundant bit Y0 sent in the symbol that leaves state s.
func convY0(s uint8) uint8 { return s & 1 }

// An Encoder is V.17's trellis-coded mapper at one rate (V.17 §2.4): it
// takes the data bits of a symbol (already scrambled), differentially
// encodes Q1 Q2 into Y1 Y2, adds Y0 from the convolutional encoder and
// returns the signal element. The zero value is not usable; make one with
// NewEncoder.
type Encoder struct {
	points []complex64
	nbits  int
	y      uint8 // Y2 Y1 of the last symbol (Y1 in bit 0)
	s      uint8 // convolutional encoder state
}

// NewEncoder returns an encoder for rate (14400, 12000, 9600 or 7200 bit/s),
// reset to Y2 Y1 = 00.
func NewEncoder(rate int) (*Encoder, error) {
	e := &Encoder{}
	if err := e.init(rate); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *Encoder) init(rate int) error {
	pts := constellation(rate)
	if pts == nil {
		return fmt.Errorf("%w: %d", ErrRate, rate)
	}
	e.points, e.nbits = pts, BitsPerSymbol(rate)
	e.Reset(0)
	return nil
}

// Reset puts the convolutional encoder in state 0 and sets the previous
// Y2 Y1 of the differential encoder to y (Y1 in bit 0). SpanDSP starts a
// long train's trellis with y = 1 and a short train's with y = 0; its
// receiver expects that.
func (e *Encoder) Reset(y uint8) {
	e.y, e.s = y&3, 0
}

// Index codes one symbol's data bits q (Q1 in bit 0, then Q2, Q3...; as
// many as the rate carries, higher bits are ignored) and returns the index
// of its signal element, Q6..Q3 Y2 Y1 Y0.
func (e *Encoder) Index(q uint8) uint8 {
	q &= 1<<e.nbits - 1
	// Differential encoding (V.17 §2.4): Y2Y1 = Y2Y1(previous) + Q2Q1,
	// modulo 4, read as two-bit numbers with Y1 and Q1 the low bits.
	e.y = (e.y + q) & 3
	y0 := convY0(e.s)
	e.s = convNext(e.s, e.y)
	return (q&^3)<<1 | e.y<<1 | y0
}

// Encode codes one symbol's data bits q (as Index) and returns its signal
// element.
func (e *Encoder) Encode(q uint8) complex64 { return e.points[e.Index(q)] }

// BitsPerSymbol returns how many data bits Encode takes.
func (e *Encoder) BitsPerSymbol() int { return e.nbits }
