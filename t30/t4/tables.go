package t4

// Code tables of T.4 §4.1.2 (Tables 2/T.4 and 3/T.4: terminating and make-up codes,
// Table 3a/T.4: the extended make-up codes 1792-2560 shared by both colours) and of
// T.4 §4.2.1.3.2 / T.6 §2.2.2 (Table 4/T.4: the two-dimensional mode codes). The
// strings are the code words as printed in the recommendations, first bit first.

var whiteTerm = [64]string{
	"00110101", "000111", "0111", "1000", "1011", "1100", "1110", "1111",
	"10011", "10100", "00111", "01000", "001000", "000011", "110100", "110101",
	"101010", "101011", "0100111", "0001100", "0001000", "0010111", "0000011", "0000100",
	"0101000", "0101011", "0010011", "0100100", "0011000", "00000010", "00000011", "00011010",
	"00011011", "00010010", "00010011", "00010100", "00010101", "00010110", "00010111", "00101000",
	"00101001", "00101010", "00101011", "00101100", "00101101", "00000100", "00000101", "00001010",
	"00001011", "01010010", "01010011", "01010100", "01010101", "00100100", "00100101", "01011000",
	"01011001", "01011010", "01011011", "01001010", "01001011", "00110010", "00110011", "00110100",
}

// whiteMakeup[i] codes a run of 64*(i+1), i.e. 64 .. 1728.
var whiteMakeup = [27]string{
	"11011", "10010", "010111", "0110111", "00110110", "00110111", "01100100", "01100101",
	"01101000", "01100111", "011001100", "011001101", "011010010", "011010011", "011010100", "011010101",
	"011010110", "011010111", "011011000", "011011001", "011011010", "011011011", "010011000", "010011001",
	"010011010", "011000", "010011011",
}

var blackTerm = [64]string{
	"0000110111", "010", "11", "10", "011", "0011", "0010", "00011",
	"000101", "000100", "0000100", "0000101", "0000111", "00000100", "00000111", "000011000",
	"0000010111", "0000011000", "0000001000", "00001100111", "00001101000", "00001101100", "00000110111", "00000101000",
	"00000010111", "00000011000", "000011001010", "000011001011", "000011001100", "000011001101", "000001101000", "000001101001",
	"000001101010", "000001101011", "000011010010", "000011010011", "000011010100", "000011010101", "000011010110", "000011010111",
	"000001101100", "000001101101", "000011011010", "000011011011", "000001010100", "000001010101", "000001010110", "000001010111",
	"000001100100", "000001100101", "000001010010", "000001010011", "000000100100", "000000110111", "000000111000", "000000100111",
	"000000101000", "000001011000", "000001011001", "000000101011", "000000101100", "000001011010", "000001100110", "000001100111",
}

// blackMakeup[i] codes a run of 64*(i+1), i.e. 64 .. 1728.
var blackMakeup = [27]string{
	"0000001111", "000011001000", "000011001001", "000001011011", "000000110011", "000000110100", "000000110101", "0000001101100",
	"0000001101101", "0000001001010", "0000001001011", "0000001001100", "0000001001101", "0000001110010", "0000001110011", "0000001110100",
	"0000001110101", "0000001110110", "0000001110111", "0000001010010", "0000001010011", "0000001010100", "0000001010101", "0000001011010",
	"0000001011011", "0000001100100", "0000001100101",
}

// extMakeup[i] codes a run of 1792+64*i, i.e. 1792 .. 2560, for either colour.
var extMakeup = [13]string{
	"00000001000", "00000001100", "00000001101", "000000010010", "000000010011", "000000010100", "000000010101",
	"000000010110", "000000010111", "000000011100", "000000011101", "000000011110", "000000011111",
}

// Two-dimensional mode codes, Table 4/T.4.
const (
	codePass  = "0001"
	codeHoriz = "001"
)

// vertCodes[d+3] codes vertical mode with a1-b1 = d: VL3 .. V0 .. VR3.
var vertCodes = [7]string{"0000010", "000010", "010", "1", "011", "000011", "0000011"}

// code is a code word of at most 16 bits, right-aligned.
type code struct {
	bits uint16
	n    uint8
}

// codeWord is c as the encoder keeps its code words: the bits from the most
// significant bit on, first bit first, and the length in the five low bits.
func codeWord(c code) uint32 { return uint32(c.bits)<<(32-c.n) | uint32(c.n) }

func parseCode(s string) code {
	var c code
	for i := 0; i < len(s); i++ {
		c.bits = c.bits<<1 | uint16(s[i]-'0')
	}
	c.n = uint8(len(s))
	return c
}

// Run-length decoding (T.4 §4.1.1) looks the next rootBits bits up in the root table of
// the colour; a code longer than that (makeup codes of 704 and more for white, runs of
// 15 and more for black, the extended makeup codes of both) leads from there to a
// subtable, looked up with the subBits bits after. The tables (2 KiB together) stay in
// the first-level cache.
const (
	rootBits   = 8
	subBits    = 13 - rootBits // the longest run code has 13 bits
	runSub     = 15            // length field of a root entry that leads to a subtable
	decRunSize = 1024
)

// The encoder's tables hold words (codeWord), the run tables indexed by
// colour, 0 white and 1 black: encTerm[c][r] codes a run of r < 64 pels, and
// encMakeup[c][m] the make-up of a run of 64m to 64m+63 pels: none (a code of
// no bits) for m = 0, Table 2 or 3/T.4 for 64 to 1728, Table 3a/T.4 from 1792
// to 2560. A run shorter than 2624 pels is thus its make-up and terminating
// codes without a test of its length (runWord).
var (
	encTerm           [2][64]uint32
	encMakeup         [2][41]uint32
	encPass, encHoriz uint32
	encVert           [7]uint32
	// decRun holds the root tables, white at 0 and black at 1<<rootBits, then the
	// subtables. An entry is run<<4 | code length; length 0: no code starts with these
	// bits; length runSub: run is the index of a subtable.
	decRun [decRunSize]uint16
	// decMode is indexed by the next 7 bits: value 1..7 = VL3..VR3 (+4 offset), 8 = pass, 9 = horizontal.
	decMode [128]struct{ mode, n uint8 }
)

const (
	modeInvalid = 0
	modePass    = 8
	modeHoriz   = 9
)

// addRun enters code c of a run of the given colour (0 white, 1 black) in decRun;
// next is the index of the first free subtable slot.
func addRun(colour int, c code, run int, next *int) {
	n := int(c.n)
	t := decRun[colour<<rootBits : (colour+1)<<rootBits]
	codeBits := int(c.bits)
	shift := rootBits - n
	if n > rootBits {
		p := codeBits >> (n - rootBits)
		if t[p] == 0 {
			if *next+1<<subBits > decRunSize {
				panic("t4: run tables too small")
			}
			t[p] = uint16(*next)<<4 | runSub
			*next += 1 << subBits
		}
		if t[p]&15 != runSub {
			panic("t4: overlapping code in table")
		}
		t = decRun[t[p]>>4:][:1<<subBits]
		codeBits &= 1<<(n-rootBits) - 1
		shift = subBits - (n - rootBits)
	}
	base := codeBits << shift
	for i := 0; i < 1<<shift; i++ {
		if t[base+i] != 0 {
			panic("t4: overlapping code in table")
		}
		t[base+i] = uint16(run)<<4 | uint16(n)
	}
}

func init() {
	next := 2 << rootBits
	for i := 0; i < 64; i++ {
		w, b := parseCode(whiteTerm[i]), parseCode(blackTerm[i])
		encTerm[0][i], encTerm[1][i] = codeWord(w), codeWord(b)
		addRun(0, w, i, &next)
		addRun(1, b, i, &next)
	}
	for i := 0; i < 27; i++ {
		w, b := parseCode(whiteMakeup[i]), parseCode(blackMakeup[i])
		encMakeup[0][i+1], encMakeup[1][i+1] = codeWord(w), codeWord(b)
		addRun(0, w, 64*(i+1), &next)
		addRun(1, b, 64*(i+1), &next)
	}
	for i := 0; i < 13; i++ {
		c := parseCode(extMakeup[i])
		encMakeup[0][28+i], encMakeup[1][28+i] = codeWord(c), codeWord(c)
		addRun(0, c, 1792+64*i, &next)
		addRun(1, c, 1792+64*i, &next)
	}
	set := func(c code, mode uint8) {
		shift := 7 - int(c.n)
		for i := 0; i < 1<<shift; i++ {
			decMode[int(c.bits)<<shift+i] = struct{ mode, n uint8 }{mode, c.n}
		}
	}
	for i := range vertCodes {
		c := parseCode(vertCodes[i])
		encVert[i] = codeWord(c)
		set(c, uint8(i+1))
	}
	pass, horiz := parseCode(codePass), parseCode(codeHoriz)
	encPass, encHoriz = codeWord(pass), codeWord(horiz)
	set(pass, modePass)
	set(horiz, modeHoriz)
}
