package t30

// T.30 frames (T.30 §5.3.6): the octets between the HDLC flags, FCS
// excluded.
//
//	address | control            | FCF | FIF (0 or more octets)
//	0xFF    | 0x03 or 0x13 (final) |     |
//
// Octet values in this package are as received least significant bit
// first, the way a UART or HDLC controller stores them. T.30 writes its
// tables in the order the bits are sent, first bit on the left, so the DIS
// of Table 2, "0000 0001", is the octet 0x80 here; the control field
// "1100 1000" (final frame) is 0x13. Captures and test suites that print
// octets in T.30's order (ETSI TS 103 909 / TSB85 scripts: "FF C8 01 ...")
// show every octet bit-reversed.

import (
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strings"
)

// Fixed fields of the frame (T.30 §5.3.6.1).
const (
	Address      = 0xFF // all stations (T.30 §5.3.6.1: "1111 1111")
	ControlFinal = 0x13 // "1100 1000": the last frame of a command or response
	ControlMore  = 0x03 // "1100 0000": more frames follow
)

// Errors of the frame codec.
var (
	// ErrShortFrame is returned for a frame without address, control and
	// FCF, or an FIF shorter than its frame type requires.
	ErrShortFrame = errors.New("t30: frame too short")
	// ErrAddress is returned for an address field other than 0xFF.
	ErrAddress = errors.New("t30: bad address field")
	// ErrControl is returned for a control field other than 0x03 or 0x13.
	ErrControl = errors.New("t30: bad control field")
	// ErrFIF is returned for an information field that does not fit its
	// frame type (wrong length, characters outside the allowed set).
	ErrFIF = errors.New("t30: bad information field")
)

// An FCF is a facsimile control field (T.30 §5.3.6.1, Table 2/T.30 "FCF"),
// as an octet received LSB first: the X bit, sent first, is bit 0 (0x01).
type FCF uint8

// The facsimile control fields of T.30 §5.3.6.1 and T.4 Annex A, with the
// X bit clear. The bit patterns in the comments are T.30's, first bit sent
// on the left; X is set by the station that received a valid DIS (see
// [FCF.WithX]). Frames of the initial identification and "commands to send"
// groups have no X bit: their first bit is fixed.
const (
	// Initial identification (T.30 §5.3.6.1.1), from the called terminal.
	DIS FCF = 0x80 // 0000 0001 digital identification signal
	CSI FCF = 0x40 // 0000 0010 called subscriber identification
	NSF FCF = 0x20 // 0000 0100 non-standard facilities

	// Commands to send (§5.3.6.1.2), from a caller that wants to receive.
	DTC FCF = 0x81 // 1000 0001 digital transmit command
	CIG FCF = 0x41 // 1000 0010 calling subscriber identification
	NSC FCF = 0x21 // 1000 0100 non-standard facilities command
	PWD FCF = 0xC1 // 1000 0011 password (for polling)
	SEP FCF = 0xA1 // 1000 0101 selective polling
	PSA FCF = 0x61 // 1000 0110 polled subaddress
	CIA FCF = 0xE1 // 1000 0111 calling subscriber internet address
	ISP FCF = 0x11 // 1000 1000 internet selective polling address

	// Commands to receive (§5.3.6.1.3).
	DCS FCF = 0x82 // X100 0001 digital command signal
	TSI FCF = 0x42 // X100 0010 transmitting subscriber identification
	NSS FCF = 0x22 // X100 0100 non-standard facilities set-up
	SUB FCF = 0xC2 // X100 0011 subaddress
	SID FCF = 0xA2 // X100 0101 sender identification (password for sending)
	CTC FCF = 0x12 // X100 1000 continue to correct (Annex A)
	TSA FCF = 0x62 // X100 0110 transmitting subscriber internet address
	IRA FCF = 0xE2 // X100 0111 internet routing address

	// Pre-message responses (§5.3.6.1.4).
	CFR FCF = 0x84 // X010 0001 confirmation to receive
	FTT FCF = 0x44 // X010 0010 failure to train
	CTR FCF = 0xC4 // X010 0011 response for continue to correct
	CSA FCF = 0x24 // X010 0100 called subscriber internet address

	// Post-message commands (§5.3.6.1.5).
	EOM     FCF = 0x8E // X111 0001 end of message
	MPS     FCF = 0x4E // X111 0010 multipage signal
	EOP     FCF = 0x2E // X111 0100 end of procedure
	EOS     FCF = 0x1E // X111 1000 end of selection
	PRI_EOM FCF = 0x9E // X111 1001 procedure interrupt, end of message
	PRI_MPS FCF = 0x5E // X111 1010 procedure interrupt, multipage signal
	PRI_EOP FCF = 0x3E // X111 1100 procedure interrupt, end of procedure
	PPS     FCF = 0xBE // X111 1101 partial page signal (Annex A)
	EOR     FCF = 0xCE // X111 0011 end of retransmission (Annex A)
	RR      FCF = 0x6E // X111 0110 receive ready (Annex A)

	// Post-message responses (§5.3.6.1.6).
	MCF FCF = 0x8C // X011 0001 message confirmation
	RTN FCF = 0x4C // X011 0010 retrain negative
	RTP FCF = 0xCC // X011 0011 retrain positive
	PIN FCF = 0x2C // X011 0100 procedure interrupt negative
	PIP FCF = 0xAC // X011 0101 procedure interrupt positive
	PID FCF = 0x6C // X011 0110 procedure interrupt disconnect
	RNR FCF = 0xEC // X011 0111 receive not ready (Annex A)
	ERR FCF = 0x1C // X011 1000 response for end of retransmission (Annex A)
	PPR FCF = 0xBC // X011 1101 partial page request (Annex A)
	FDM FCF = 0xFC // X011 1111 file diagnostics message

	// Other line control signals (§5.3.6.1.7).
	DCN FCF = 0xFA // X101 1111 disconnect
	CRP FCF = 0x1A // X101 1000 command repeat
	DNK FCF = 0x9A // X101 1001 digital not acknowledge
	FNV FCF = 0xCA // X101 0011 field not valid
	TNR FCF = 0xEA // X101 0111 transmit not ready
	TR  FCF = 0x6A // X101 0110 transmit ready

	// ECM facsimile frames of T.4 Annex A, sent by the message modem;
	// they have no X bit.
	FCD FCF = 0x06 // 0110 0000 facsimile coded data
	RCP FCF = 0x86 // 0110 0001 return to control for partial page

	// NULL is the FCF2 of a PPS or EOR that ends a partial page
	// (T.30 §A.4.1: "PPS-NULL").
	NULL FCF = 0x00
)

// noXList lists the FCFs whose first bit is part of the code, not an X bit.
var noXList = []FCF{
	DIS, CSI, NSF,
	DTC, CIG, NSC, PWD, SEP, PSA, CIA, ISP,
	FCD, RCP, NULL,
}

var fcfNameList = map[FCF]string{
	DIS: "DIS", CSI: "CSI", NSF: "NSF",
	DTC: "DTC", CIG: "CIG", NSC: "NSC", PWD: "PWD", SEP: "SEP", PSA: "PSA", CIA: "CIA", ISP: "ISP",
	DCS: "DCS", TSI: "TSI", NSS: "NSS", SUB: "SUB", SID: "SID", CTC: "CTC", TSA: "TSA", IRA: "IRA",
	CFR: "CFR", FTT: "FTT", CTR: "CTR", CSA: "CSA",
	EOM: "EOM", MPS: "MPS", EOP: "EOP", EOS: "EOS", PRI_EOM: "PRI-EOM", PRI_MPS: "PRI-MPS", PRI_EOP: "PRI-EOP",
	PPS: "PPS", EOR: "EOR", RR: "RR",
	MCF: "MCF", RTN: "RTN", RTP: "RTP", PIN: "PIN", PIP: "PIP", PID: "PID", RNR: "RNR", ERR: "ERR", PPR: "PPR", FDM: "FDM",
	DCN: "DCN", CRP: "CRP", DNK: "DNK", FNV: "FNV", TNR: "TNR", TR: "TR",
	FCD: "FCD", RCP: "RCP", NULL: "NULL",
}

// Lookup tables indexed by the FCF octet.
var (
	noX      [256]bool
	fcfNames [256]string
)

func init() {
	for _, f := range noXList {
		noX[f] = true
	}
	for f, s := range fcfNameList {
		fcfNames[f] = s
	}
}

// HasX reports whether the first bit of f is the X bit: false for the
// initial identification frames (DIS, CSI, NSF), the commands to send
// (DTC, CIG, NSC, PWD, SEP, PSA, CIA, ISP) and T.4's FCD and RCP.
func (f FCF) HasX() bool { return !noX[f] }

// X reports whether f's X bit is set (T.30 §5.3.6.1: "X" is set to 1 by
// the station that received a valid DIS, and to 0 by the one that sent it,
// for the rest of the call). It is false for FCFs without an X bit.
func (f FCF) X() bool { return f.HasX() && f&1 != 0 }

// Base returns f with its X bit cleared, the value to compare with the
// constants.
func (f FCF) Base() FCF {
	if f.HasX() {
		return f &^ 1
	}
	return f
}

// WithX returns f with its X bit set to x; FCFs without an X bit are
// returned unchanged.
func (f FCF) WithX(x bool) FCF {
	if !f.HasX() {
		return f
	}
	if x {
		return f | 1
	}
	return f &^ 1
}

// Known reports whether f, X bit aside, is one of the FCFs above.
func (f FCF) Known() bool { return fcfNames[f.Base()] != "" }

// String returns the recommendation's name of the frame type ("DIS",
// "PRI-EOP"), or its bits in T.30's order for one it does not know.
func (f FCF) String() string {
	if s := fcfNames[f.Base()]; s != "" {
		return s
	}
	return fmt.Sprintf("FCF(%08b)", bits.Reverse8(uint8(f)))
}

// A Frame is one T.30 frame (T.30 §5.3.6): address 0xFF, control (final or
// not), FCF and FIF. Unmarshal leaves FIF pointing into the buffer it was
// given.
type Frame struct {
	FCF   FCF
	Final bool   // control field 0x13: the last frame of the command or response
	FIF   []byte // facsimile information field, possibly empty
}

// MarshalSize returns the encoded length of f.
func (f *Frame) MarshalSize() int { return 3 + len(f.FIF) }

// MarshalTo writes f into buf and returns the octets written, or
// io.ErrShortBuffer.
func (f *Frame) MarshalTo(buf []byte) (int, error) {
	n := f.MarshalSize()
	if len(buf) < n {
		return 0, fmt.Errorf("%w: %d < %d", io.ErrShortBuffer, len(buf), n)
	}
	buf[0] = Address
	buf[1] = ControlMore
	if f.Final {
		buf[1] = ControlFinal
	}
	buf[2] = byte(f.FCF)
	copy(buf[3:], f.FIF)
	return n, nil
}

// Marshal returns f's octets.
func (f *Frame) Marshal() ([]byte, error) {
	buf := make([]byte, f.MarshalSize())
	_, err := f.MarshalTo(buf)
	return buf, err
}

// Unmarshal parses a frame (FCS removed). It checks the address and
// control fields (T.30 §5.3.6.1) but not the FCF, which the engine judges
// (T.30 answers unknown commands with CRP or ignores them); FIF aliases buf.
// It does not allocate.
func (f *Frame) Unmarshal(buf []byte) error {
	if len(buf) < 3 {
		return fmt.Errorf("%w: %d octets < 3", ErrShortFrame, len(buf))
	}
	if buf[0] != Address {
		return fmt.Errorf("%w: %#02x", ErrAddress, buf[0])
	}
	switch buf[1] {
	case ControlFinal:
		f.Final = true
	case ControlMore:
		f.Final = false
	default:
		return fmt.Errorf("%w: %#02x", ErrControl, buf[1])
	}
	f.FCF = FCF(buf[2])
	f.FIF = buf[3:]
	return nil
}

// DecodeFrame is Unmarshal as a function.
func DecodeFrame(buf []byte) (Frame, error) {
	var f Frame
	err := f.Unmarshal(buf)
	return f, err
}

// String describes the frame: its type, a star if final, and the FIF in
// hex.
func (f Frame) String() string {
	var b strings.Builder
	b.WriteString(f.FCF.String())
	if f.FCF.X() {
		b.WriteString("(X)")
	}
	if f.Final {
		b.WriteByte('*')
	}
	for _, o := range f.FIF {
		fmt.Fprintf(&b, " %02X", o)
	}
	return b.String()
}

// IdentLen is the length of the FIF of the identity frames, in characters
// (T.30 §5.3.6.2.4 ff.).
const IdentLen = 20

// identChars reports whether c may appear in an identity of the given
// frame type. CSI, TSI and CIG carry an international telephone number:
// digits, "+" and space (T.30 §5.3.6.2.4, Table 3/T.30). SUB, SID, SEP, PWD
// and PSA also take "#" and "*" (T.30 §5.3.6.2.6 ff.); "+" is allowed there
// too, as the ETSI test scripts send it in PWD.
func identChars(f FCF, c byte) bool {
	if c >= '0' && c <= '9' || c == ' ' || c == '+' {
		return true
	}
	switch f.Base() {
	case CSI, TSI, CIG:
		return false
	}
	return c == '#' || c == '*'
}

// AppendIdent appends the 20-octet FIF of an identity frame (CSI, TSI, CIG,
// SUB, SID, SEP, PWD, PSA) carrying s: T.30 §5.3.6.2.4 sends the number's
// last character first, padded to 20 with spaces after its first
// character, so "+44 1234" becomes "4321 44+" and twelve spaces. It
// returns ErrFIF for more than 20 characters or one outside the frame's
// set.
func AppendIdent(dst []byte, f FCF, s string) ([]byte, error) {
	if len(s) > IdentLen {
		return dst, fmt.Errorf("%w: %s identity of %d characters > %d", ErrFIF, f, len(s), IdentLen)
	}
	for i := 0; i < len(s); i++ {
		if !identChars(f, s[i]) {
			return dst, fmt.Errorf("%w: %s identity character %q", ErrFIF, f, s[i])
		}
	}
	for i := len(s) - 1; i >= 0; i-- {
		dst = append(dst, s[i])
	}
	for range IdentLen - len(s) {
		dst = append(dst, ' ')
	}
	return dst, nil
}

// ParseIdent decodes an identity FIF: it reverses the characters and drops
// the padding spaces at both ends (some terminals pad on the wrong side).
// It accepts any printable ASCII, being lenient in what it receives, but
// returns ErrFIF for more than 20 octets or a control or non-ASCII octet.
func ParseIdent(fif []byte) (string, error) {
	if len(fif) > IdentLen {
		return "", fmt.Errorf("%w: identity of %d octets > %d", ErrFIF, len(fif), IdentLen)
	}
	var b [IdentLen]byte
	n := 0
	for i := len(fif) - 1; i >= 0; i-- {
		c := fif[i]
		if c < 0x20 || c > 0x7E {
			return "", fmt.Errorf("%w: identity octet %#02x", ErrFIF, c)
		}
		b[n] = c
		n++
	}
	return strings.Trim(string(b[:n]), " "), nil
}

// NonStandard is the FIF of NSF, NSS and NSC (T.30 §5.3.6.2.2): a country
// code of ITU-T T.35 (one octet, or 0xFF and a second octet), a terminal
// provider code assigned nationally (two octets, T.35 §3.2), then
// provider-specific information. Many terminals send the country code
// bit-reversed; the octets are kept as received.
type NonStandard struct {
	Country    uint8 // T.35 country code; 0xFF means CountryExt follows
	CountryExt uint8 // only when Country is 0xFF
	Provider   [2]byte
	Info       []byte // aliases the FIF given to ParseNonStandard
}

// ParseNonStandard splits an NSF, NSS or NSC FIF. It returns ErrShortFrame
// if the country and provider codes are incomplete.
func ParseNonStandard(fif []byte) (NonStandard, error) {
	var n NonStandard
	need := 3
	if len(fif) > 0 && fif[0] == 0xFF {
		need = 4
	}
	if len(fif) < need {
		return n, fmt.Errorf("%w: non-standard FIF of %d octets < %d", ErrShortFrame, len(fif), need)
	}
	n.Country = fif[0]
	i := 1
	if n.Country == 0xFF {
		n.CountryExt = fif[1]
		i = 2
	}
	n.Provider = [2]byte{fif[i], fif[i+1]}
	n.Info = fif[i+2:]
	return n, nil
}

// AppendTo appends the FIF.
func (n NonStandard) AppendTo(dst []byte) []byte {
	dst = append(dst, n.Country)
	if n.Country == 0xFF {
		dst = append(dst, n.CountryExt)
	}
	dst = append(dst, n.Provider[0], n.Provider[1])
	return append(dst, n.Info...)
}

// PartialPage is the FIF of PPS (T.30 §A.4.1, §5.3.6.2.10): the
// post-message command that follows the block (NULL, MPS, EOM, EOP or a
// PRI- one; with its X bit as sent), the page and block counters (modulo
// 256, from 0) and the number of frames in the block.
type PartialPage struct {
	FCF2   FCF
	Page   uint8
	Block  uint8
	Frames int // 1 to 256; sent as Frames-1 (0 when the block was empty)
}

// ParsePPS decodes a PPS FIF, which is four octets.
func ParsePPS(fif []byte) (PartialPage, error) {
	if len(fif) != 4 {
		return PartialPage{}, fmt.Errorf("%w: PPS FIF of %d octets, want 4", ErrFIF, len(fif))
	}
	return PartialPage{FCF2: FCF(fif[0]), Page: fif[1], Block: fif[2], Frames: int(fif[3]) + 1}, nil
}

// AppendTo appends the PPS FIF. Frames outside 1..256 is sent as 0
// (SpanDSP sends 0 for an empty block too).
func (p PartialPage) AppendTo(dst []byte) []byte {
	n := byte(0)
	if p.Frames >= 1 && p.Frames <= 256 {
		n = byte(p.Frames - 1)
	}
	return append(dst, byte(p.FCF2), p.Page, p.Block, n)
}

// ParseEOR decodes an EOR FIF (T.30 §A.4.1): the one-octet FCF2 (NULL,
// MPS, EOM, EOP or a PRI- one).
func ParseEOR(fif []byte) (FCF, error) {
	if len(fif) != 1 {
		return 0, fmt.Errorf("%w: EOR FIF of %d octets, want 1", ErrFIF, len(fif))
	}
	return FCF(fif[0]), nil
}

// PPRMapLen is the length of a PPR FIF: one bit for each of 256 frames.
const PPRMapLen = 32

// A FrameMap is the FIF of PPR (T.30 §A.4.2, §5.3.6.2.9): bit i, counting
// from the first bit sent (bit 0 of octet 0), is 1 when frame i of the
// block must be sent again.
type FrameMap [PPRMapLen]byte

// ParsePPR decodes a PPR FIF, which is 32 octets.
func ParsePPR(fif []byte) (FrameMap, error) {
	var m FrameMap
	if len(fif) != PPRMapLen {
		return m, fmt.Errorf("%w: PPR FIF of %d octets, want %d", ErrFIF, len(fif), PPRMapLen)
	}
	copy(m[:], fif)
	return m, nil
}

// Bad reports whether frame i is marked for retransmission.
func (m *FrameMap) Bad(i int) bool { return m[i>>3]>>(i&7)&1 != 0 }

// SetBad marks frame i (0 to 255) for retransmission, or clears it.
func (m *FrameMap) SetBad(i int, bad bool) {
	if bad {
		m[i>>3] |= 1 << (i & 7)
	} else {
		m[i>>3] &^= 1 << (i & 7)
	}
}

// Count returns how many frames are marked.
func (m *FrameMap) Count() int {
	n := 0
	for _, o := range m {
		n += bits.OnesCount8(o)
	}
	return n
}

// ParseCTC decodes the FIF of CTC (T.30 §A.4.3): two octets laid out as
// the first two of a DCS, whose bits 11 to 14 select the data signalling
// rate to continue at. SpanDSP and some terminals send CTC without a FIF;
// then ok is false.
func ParseCTC(fif []byte) (rate Rate, ok bool, err error) {
	switch len(fif) {
	case 0:
		return 0, false, nil
	case 2:
		return Rate(fif[1] >> 2 & 0x0F), true, nil
	}
	return 0, false, fmt.Errorf("%w: CTC FIF of %d octets, want 2", ErrFIF, len(fif))
}

// AppendCTC appends a CTC FIF selecting rate.
func AppendCTC(dst []byte, rate Rate) []byte {
	return append(dst, 0, byte(rate&0x0F)<<2)
}
