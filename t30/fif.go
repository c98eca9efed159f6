package t30

// The FIF of DIS, DTC and DCS (T.30 §5.3.6.2.1, Table 2/T.30 "DIS/DTC/DCS
// standard facsimile capabilities").
//
// Bits are numbered from 1 in the order they are sent; with octets received
// LSB first, bit n is bit (n-1)%8 of octet (n-1)/8. Bits 1 to 16 are always
// present; from bit 24 on, the last bit of each octet (24, 32, 40, ...) is
// the extend bit: 1 when another octet follows.
//
// DIS and DTC state what a terminal can do, DCS what the calling terminal
// chose. Most bits mean the same in all three ("can receive fine
// resolution" / "this page is fine"); where they differ, the field's
// comment gives both meanings.

import (
	"fmt"
	"io"
)

// Bit numbers of Table 2/T.30 that have a named field in Params.
const (
	BitT37              = 1   // Internet fax simple mode (T.37)
	BitT38              = 3   // real-time Internet fax (T.38)
	Bit3GMobile         = 4   // 3rd generation mobile network
	BitV8               = 6   // DIS/DTC: V.8 capabilities (V.34 fax)
	BitPrefer64         = 7   // DIS/DTC: 64-octet ECM frames preferred
	BitReadyToTransmit  = 9   // DIS/DTC: a document is ready to be polled
	BitReceive          = 10  // DIS/DTC: can receive; DCS: receiver, set yourself to receive
	BitRate             = 11  // bits 11-14: data signalling rate (Rate)
	BitFine             = 15  // R8 x 7.7 lines/mm and/or 200 x 200 pels/25.4 mm
	BitMR               = 16  // two-dimensional coding (T.4 MR)
	BitWidth            = 17  // bits 17-18: recording width (Width)
	BitLength           = 19  // bits 19-20: recording length (Length)
	BitScanTime         = 21  // bits 21-23: minimum scan line time (ScanTime)
	BitUncompressed     = 26  // uncompressed mode
	BitECM              = 27  // error correction mode (T.30 Annex A)
	BitFrame64          = 28  // DCS: 64-octet ECM frames (else 256)
	BitMMR              = 31  // T.6 coding (MMR); needs ECM
	BitFNV              = 33  // "field not valid" (FNV) capability
	BitMultiPolling     = 34  // DIS/DTC: multiple selective polling
	BitPolledSubaddress = 35  // DIS: polled subaddress; DTC: PSA sent
	BitT43              = 36  // T.43 coding
	BitPlaneInterleave  = 37  // plane interleave (T.43)
	BitG726             = 38  // voice coding, G.726
	BitSuperfine        = 41  // R8 x 15.4 lines/mm
	Bit300x300          = 42  // 300 x 300 pels/25.4 mm
	Bit400x400          = 43  // R16 x 15.4 lines/mm and/or 400 x 400 pels/25.4 mm
	BitInch             = 44  // DIS/DTC: inch-based resolution preferred; DCS: resolution is inch-based
	BitMetric           = 45  // DIS/DTC: metric-based resolution preferred
	BitScanTimeHalf     = 46  // DIS/DTC: minimum scan line time at higher resolutions: T15.4 = 1/2 T7.7
	BitSelectivePolling = 47  // DIS: selective polling; DTC: SEP sent
	BitSubaddress       = 49  // DIS: subaddressing; DCS: SUB sent
	BitPassword         = 50  // DIS/DTC: password (PWD); DCS: sender identification (SID) sent
	BitReadyDataFile    = 51  // DIS/DTC: a data file is ready to be polled
	BitBFT              = 53  // binary file transfer (T.434)
	BitDTM              = 54  // document transfer mode
	BitEDI              = 55  // electronic data interchange
	BitBTM              = 57  // basic transfer mode
	BitReadyMixed       = 59  // DIS/DTC: a character or mixed mode document is ready to be polled
	BitCharacterMode    = 60  // character mode (T.4 Annex D)
	BitMixedMode        = 62  // mixed mode (T.4 Annex E)
	BitMode26           = 65  // processable mode 26 (T.505)
	BitDigitalNetwork   = 66  // digital network capability
	BitDuplex           = 67  // duplex (else half duplex only)
	BitJPEG             = 68  // JPEG coding (T.81)
	BitFullColour       = 69  // full colour mode
	Bit12Bit            = 71  // 12 bits/pel/component
	BitNoSubsampling    = 73  // no subsampling (1:1:1)
	BitCustomIlluminant = 74  // custom illuminant
	BitCustomGamut      = 75  // custom gamut range
	BitLetter           = 76  // North American Letter (215.9 x 279.4 mm)
	BitLegal            = 77  // North American Legal (215.9 x 355.6 mm)
	BitT85              = 78  // T.85 (JBIG) basic
	BitT85L0            = 79  // T.85 optional L0
	BitColour300        = 97  // colour/grey 300 x 300 or 400 x 400 pels/25.4 mm
	BitColour100        = 98  // colour/grey 100 x 100 pels/25.4 mm
	BitISP              = 101 // DIS: internet selective polling address; DTC: ISP sent
	BitIRA              = 102 // DIS: internet routing address; DCS: IRA sent
	Bit600x600          = 105 // 600 x 600 pels/25.4 mm
	Bit1200x1200        = 106 // 1200 x 1200 pels/25.4 mm
	Bit300x600          = 107 // 300 x 600 pels/25.4 mm
	Bit400x800          = 108 // 400 x 800 pels/25.4 mm
	Bit600x1200         = 109 // 600 x 1200 pels/25.4 mm
	BitColour600        = 110 // colour/grey 600 x 600 pels/25.4 mm
	BitColour1200       = 111 // colour/grey 1200 x 1200 pels/25.4 mm
	BitDuplexAlternate  = 113 // double-sided printing, alternate mode
	BitDuplexContinuous = 114 // double-sided printing, continuous mode
	BitT45              = 116 // T.45 run-length colour coding
	BitT38FlowControl   = 121 // flow control for T.38 communication
	BitKGreaterThan4    = 122 // K > 4 (T.4 §4.2.1.1 K factors above 200 lines/25.4 mm)
	BitT38Aware         = 123 // DIS: internet-aware T.38 fax; DCS: T.38 fax mode chosen
	BitSYCC             = 127 // sYCC-JPEG coding (Annex K)
)

// MaxParamsLen is the longest DIS, DTC or DCS FIF this package takes, in
// octets (512 bits; T.30 (2005) defines 128). Longer ones are ErrFIF.
const MaxParamsLen = 64

// A Rate is the data signalling rate field, bits 11 to 14 of DIS, DTC and
// DCS (Table 2/T.30), as a number whose bit 0 is bit 11. In DIS and DTC it
// names the set of modems a terminal can receive with (the Modems...
// constants); in DCS and CTC the one modem and speed chosen (the V...
// constants).
type Rate uint8

// Codes of bits 11-14 in DIS/DTC. T.30 writes them in the order 11, 12,
// 13, 14: V.27 ter "0100" is 0x2 here.
const (
	ModemsV27terFallback Rate = 0x0 // V.27 ter fall-back mode (2400 bit/s only)
	ModemsV29            Rate = 0x1 // V.29
	ModemsV27ter         Rate = 0x2 // V.27 ter
	ModemsV27terV29      Rate = 0x3 // V.27 ter and V.29
	ModemsV27terV29V17   Rate = 0xB // V.27 ter, V.29 and V.17
)

// Codes of bits 11-14 in DCS and CTC.
const (
	V27ter2400 Rate = 0x0 // V.27 ter, 2400 bit/s
	V29_9600   Rate = 0x1 // V.29, 9600 bit/s
	V27ter4800 Rate = 0x2 // V.27 ter, 4800 bit/s
	V29_7200   Rate = 0x3 // V.29, 7200 bit/s
	V17_14400  Rate = 0x8 // V.17, 14 400 bit/s
	V17_9600   Rate = 0x9 // V.17, 9600 bit/s
	V17_12000  Rate = 0xA // V.17, 12 000 bit/s
	V17_7200   Rate = 0xB // V.17, 7200 bit/s
)

// Modem returns the modem and bit rate a DCS Rate selects, and false for
// a reserved code.
func (r Rate) Modem() (modem string, bps int, ok bool) {
	switch r {
	case V27ter2400:
		return "V.27ter", 2400, true
	case V27ter4800:
		return "V.27ter", 4800, true
	case V29_7200:
		return "V.29", 7200, true
	case V29_9600:
		return "V.29", 9600, true
	case V17_7200:
		return "V.17", 7200, true
	case V17_9600:
		return "V.17", 9600, true
	case V17_12000:
		return "V.17", 12000, true
	case V17_14400:
		return "V.17", 14400, true
	}
	return "", 0, false
}

// Offers reports whether a DIS/DTC Rate r lets the caller choose the DCS
// Rate sel.
func (r Rate) Offers(sel Rate) bool {
	modem, _, ok := sel.Modem()
	if !ok {
		return false
	}
	switch modem {
	case "V.27ter":
		return sel == V27ter2400 || r == ModemsV27ter || r == ModemsV27terV29 || r == ModemsV27terV29V17
	case "V.29":
		return r == ModemsV29 || r == ModemsV27terV29 || r == ModemsV27terV29V17
	default:
		return r == ModemsV27terV29V17
	}
}

// String names the rate as a DCS selection ("V.17 14400"), or gives its
// code.
func (r Rate) String() string {
	if m, bps, ok := r.Modem(); ok {
		return fmt.Sprintf("%s %d", m, bps)
	}
	return fmt.Sprintf("Rate(%#x)", uint8(r))
}

// A Width is the recording width field, bits 17-18 (bit 17 is bit 0). In
// DIS/DTC it is the widest paper, the narrower ones included; in DCS the
// width chosen.
type Width uint8

// Widths (scan line lengths) of Table 2/T.30.
const (
	Width215 Width = 0 // 215 mm ± 1% (A4; DIS: A4 only)
	Width255 Width = 1 // 255 mm ± 1% (B4; DIS: A4 and B4)
	Width303 Width = 2 // 303 mm ± 1% (A3; DIS: A4, B4 and A3)
	// 3 is invalid in DIS ("1,1" in T.30's order).
)

// Pels returns the pels in a scan line at 8 pels/mm (T.4 §2.2): 1728,
// 2048 or 2432; 0 for an invalid code.
func (w Width) Pels() int {
	switch w {
	case Width215:
		return 1728
	case Width255:
		return 2048
	case Width303:
		return 2432
	}
	return 0
}

func (w Width) String() string {
	switch w {
	case Width215:
		return "215mm"
	case Width255:
		return "255mm"
	case Width303:
		return "303mm"
	}
	return fmt.Sprintf("Width(%d)", uint8(w))
}

// A Length is the recording length field, bits 19-20 (bit 19 is bit 0).
// In DIS/DTC it is the longest paper, the shorter included; in DCS the
// length chosen.
type Length uint8

// Recording lengths of Table 2/T.30.
const (
	LengthA4        Length = 0 // A4, 297 mm
	LengthB4        Length = 1 // B4, 364 mm (DIS: A4 and B4)
	LengthUnlimited Length = 2 // unlimited
	// 3 is invalid.
)

func (l Length) String() string {
	switch l {
	case LengthA4:
		return "A4"
	case LengthB4:
		return "B4"
	case LengthUnlimited:
		return "unlimited"
	}
	return fmt.Sprintf("Length(%d)", uint8(l))
}

// A ScanTime is the minimum scan line time field, bits 21-23 (bit 21 is
// bit 0). In DIS/DTC it states the receiver's minimum time per coded line
// at standard resolution (3.85 lines/mm) and whether fine lines (7.7
// lines/mm) may take half of it; in DCS the time the transmitter will
// respect (only codes 0, 1, 2, 4 and 7 are defined there).
type ScanTime uint8

// Minimum scan line time codes of Table 2/T.30 (T.30 order 21, 22, 23:
// 5 ms "100" is 1 here).
const (
	Scan20ms     ScanTime = 0 // 20 ms (T7.7 = T3.85)
	Scan5ms      ScanTime = 1 // 5 ms
	Scan10ms     ScanTime = 2 // 10 ms
	Scan20msHalf ScanTime = 3 // DIS: 20 ms, T7.7 = 1/2 T3.85
	Scan40ms     ScanTime = 4 // 40 ms
	Scan40msHalf ScanTime = 5 // DIS: 40 ms, T7.7 = 1/2 T3.85
	Scan10msHalf ScanTime = 6 // DIS: 10 ms, T7.7 = 1/2 T3.85
	Scan0ms      ScanTime = 7 // 0 ms
)

// Millis returns the minimum scan line time at standard (3.85 lines/mm)
// and fine (7.7 lines/mm) resolution a DIS/DTC code asks for.
func (s ScanTime) Millis() (standard, fine int) {
	ms := [8][2]int{{20, 20}, {5, 5}, {10, 10}, {20, 10}, {40, 40}, {40, 20}, {10, 5}, {0, 0}}
	m := ms[s&7]
	return m[0], m[1]
}

// DCSScanTime returns the DCS code for a line time of ms milliseconds (0, 5,
// 10, 20 or 40), and false for another time.
func DCSScanTime(ms int) (ScanTime, bool) {
	switch ms {
	case 0:
		return Scan0ms, true
	case 5:
		return Scan5ms, true
	case 10:
		return Scan10ms, true
	case 20:
		return Scan20ms, true
	case 40:
		return Scan40ms, true
	}
	return 0, false
}

func (s ScanTime) String() string {
	std, fine := s.Millis()
	if std == fine {
		return fmt.Sprintf("%dms", std)
	}
	return fmt.Sprintf("%dms/%dms", std, fine)
}

// Params is the FIF of DIS, DTC or DCS (T.30 §5.3.6.2.1, Table 2/T.30),
// with a field for every bit group a T.30 engine uses; each names its bit.
// Bits without a field are kept as received: Unmarshal followed by Marshal
// gives back the octets it was given.
//
// The extend bits (24, 32, ...) are not fields: Marshal writes as many
// octets as were unmarshalled, or more if a field needs them, and sets the
// extend bits only when it writes more octets than it read (for a Params
// built from scratch, always), so an odd frame survives a round trip
// unchanged. ExtendLen tells how long the extend bits say a FIF is.
type Params struct {
	T37            bool     // bit 1: Internet fax simple mode (T.37)
	T38            bool     // bit 3: real-time Internet fax (T.38)
	Mobile3G       bool     // bit 4: 3G mobile network access
	V8             bool     // bit 6: DIS/DTC: V.8 capabilities (V.34 fax)
	Prefer64       bool     // bit 7: DIS/DTC: 64-octet ECM frames preferred
	ReadyTransmit  bool     // bit 9: DIS/DTC: a document is ready to be polled
	Receive        bool     // bit 10: DIS/DTC: can receive; DCS: receive
	Rate           Rate     // bits 11-14: DIS/DTC: modems; DCS: modem and speed
	Fine           bool     // bit 15: R8 x 7.7 lines/mm and/or 200 x 200 pels/25.4 mm
	MR             bool     // bit 16: two-dimensional coding (T.4 MR)
	Width          Width    // bits 17-18: recording width
	Length         Length   // bits 19-20: recording length
	ScanTime       ScanTime // bits 21-23: minimum scan line time
	Uncompressed   bool     // bit 26: uncompressed mode
	ECM            bool     // bit 27: error correction mode
	Frame64        bool     // bit 28: DCS: 64-octet ECM frames (else 256)
	MMR            bool     // bit 31: T.6 coding
	FNV            bool     // bit 33: field not valid capability
	MultiPolling   bool     // bit 34: DIS/DTC: multiple selective polling
	PolledSubaddr  bool     // bit 35: DIS: polled subaddress; DTC: PSA sent
	T43            bool     // bit 36: T.43 coding
	PlaneInterleav bool     // bit 37: plane interleave
	G726           bool     // bit 38: voice coding G.726
	Superfine      bool     // bit 41: R8 x 15.4 lines/mm
	Res300x300     bool     // bit 42: 300 x 300 pels/25.4 mm
	Res400x400     bool     // bit 43: R16 x 15.4 lines/mm and/or 400 x 400 pels/25.4 mm
	Inch           bool     // bit 44: DIS/DTC: inch-based preferred; DCS: inch-based
	Metric         bool     // bit 45: DIS/DTC: metric-based preferred
	ScanTimeHalf   bool     // bit 46: DIS/DTC: T15.4 = 1/2 T7.7
	SelPolling     bool     // bit 47: DIS: selective polling; DTC: SEP sent
	Subaddress     bool     // bit 49: DIS: subaddressing; DCS: SUB sent
	Password       bool     // bit 50: DIS/DTC: password (PWD); DCS: SID sent
	ReadyDataFile  bool     // bit 51: DIS/DTC: a data file is ready to be polled
	BFT            bool     // bit 53: binary file transfer
	DTM            bool     // bit 54: document transfer mode
	EDI            bool     // bit 55: electronic data interchange
	BTM            bool     // bit 57: basic transfer mode
	ReadyMixed     bool     // bit 59: DIS/DTC: character or mixed mode document ready to be polled
	CharacterMode  bool     // bit 60: character mode
	MixedMode      bool     // bit 62: mixed mode (T.4 Annex E)
	Mode26         bool     // bit 65: processable mode 26 (T.505)
	DigitalNetwork bool     // bit 66: digital network capability
	Duplex         bool     // bit 67: duplex
	JPEG           bool     // bit 68: JPEG coding
	FullColour     bool     // bit 69: full colour mode
	Bits12         bool     // bit 71: 12 bits/pel/component
	NoSubsampling  bool     // bit 73: no subsampling
	CustomIllum    bool     // bit 74: custom illuminant
	CustomGamut    bool     // bit 75: custom gamut range
	Letter         bool     // bit 76: North American Letter
	Legal          bool     // bit 77: North American Legal
	T85            bool     // bit 78: T.85 basic
	T85L0          bool     // bit 79: T.85 optional L0
	Colour300      bool     // bit 97: colour/grey 300 or 400 pels/25.4 mm
	Colour100      bool     // bit 98: colour/grey 100 pels/25.4 mm
	ISP            bool     // bit 101: DIS: internet selective polling address; DTC: ISP sent
	IRA            bool     // bit 102: DIS: internet routing address; DCS: IRA sent
	Res600x600     bool     // bit 105
	Res1200x1200   bool     // bit 106
	Res300x600     bool     // bit 107
	Res400x800     bool     // bit 108
	Res600x1200    bool     // bit 109
	Colour600      bool     // bit 110: colour/grey 600 x 600
	Colour1200     bool     // bit 111: colour/grey 1200 x 1200
	DuplexAlt      bool     // bit 113: double-sided printing, alternate
	DuplexCont     bool     // bit 114: double-sided printing, continuous
	T45            bool     // bit 116: T.45 run-length colour coding
	T38FlowControl bool     // bit 121: flow control for T.38
	KOver4         bool     // bit 122: K > 4
	T38Aware       bool     // bit 123: DIS: internet-aware T.38 fax; DCS: T.38 fax mode
	SYCC           bool     // bit 127: sYCC-JPEG coding

	raw [MaxParamsLen]byte // the octets as unmarshalled or set with SetBit
	n   int                // octets unmarshalled (0 for a Params built from scratch)
}

// flagBits maps the bool fields to their bit numbers.
var flagBits = [...]struct {
	bit int
	f   func(*Params) *bool
}{
	{BitT37, func(p *Params) *bool { return &p.T37 }},
	{BitT38, func(p *Params) *bool { return &p.T38 }},
	{Bit3GMobile, func(p *Params) *bool { return &p.Mobile3G }},
	{BitV8, func(p *Params) *bool { return &p.V8 }},
	{BitPrefer64, func(p *Params) *bool { return &p.Prefer64 }},
	{BitReadyToTransmit, func(p *Params) *bool { return &p.ReadyTransmit }},
	{BitReceive, func(p *Params) *bool { return &p.Receive }},
	{BitFine, func(p *Params) *bool { return &p.Fine }},
	{BitMR, func(p *Params) *bool { return &p.MR }},
	{BitUncompressed, func(p *Params) *bool { return &p.Uncompressed }},
	{BitECM, func(p *Params) *bool { return &p.ECM }},
	{BitFrame64, func(p *Params) *bool { return &p.Frame64 }},
	{BitMMR, func(p *Params) *bool { return &p.MMR }},
	{BitFNV, func(p *Params) *bool { return &p.FNV }},
	{BitMultiPolling, func(p *Params) *bool { return &p.MultiPolling }},
	{BitPolledSubaddress, func(p *Params) *bool { return &p.PolledSubaddr }},
	{BitT43, func(p *Params) *bool { return &p.T43 }},
	{BitPlaneInterleave, func(p *Params) *bool { return &p.PlaneInterleav }},
	{BitG726, func(p *Params) *bool { return &p.G726 }},
	{BitSuperfine, func(p *Params) *bool { return &p.Superfine }},
	{Bit300x300, func(p *Params) *bool { return &p.Res300x300 }},
	{Bit400x400, func(p *Params) *bool { return &p.Res400x400 }},
	{BitInch, func(p *Params) *bool { return &p.Inch }},
	{BitMetric, func(p *Params) *bool { return &p.Metric }},
	{BitScanTimeHalf, func(p *Params) *bool { return &p.ScanTimeHalf }},
	{BitSelectivePolling, func(p *Params) *bool { return &p.SelPolling }},
	{BitSubaddress, func(p *Params) *bool { return &p.Subaddress }},
	{BitPassword, func(p *Params) *bool { return &p.Password }},
	{BitReadyDataFile, func(p *Params) *bool { return &p.ReadyDataFile }},
	{BitBFT, func(p *Params) *bool { return &p.BFT }},
	{BitDTM, func(p *Params) *bool { return &p.DTM }},
	{BitEDI, func(p *Params) *bool { return &p.EDI }},
	{BitBTM, func(p *Params) *bool { return &p.BTM }},
	{BitReadyMixed, func(p *Params) *bool { return &p.ReadyMixed }},
	{BitCharacterMode, func(p *Params) *bool { return &p.CharacterMode }},
	{BitMixedMode, func(p *Params) *bool { return &p.MixedMode }},
	{BitMode26, func(p *Params) *bool { return &p.Mode26 }},
	{BitDigitalNetwork, func(p *Params) *bool { return &p.DigitalNetwork }},
	{BitDuplex, func(p *Params) *bool { return &p.Duplex }},
	{BitJPEG, func(p *Params) *bool { return &p.JPEG }},
	{BitFullColour, func(p *Params) *bool { return &p.FullColour }},
	{Bit12Bit, func(p *Params) *bool { return &p.Bits12 }},
	{BitNoSubsampling, func(p *Params) *bool { return &p.NoSubsampling }},
	{BitCustomIlluminant, func(p *Params) *bool { return &p.CustomIllum }},
	{BitCustomGamut, func(p *Params) *bool { return &p.CustomGamut }},
	{BitLetter, func(p *Params) *bool { return &p.Letter }},
	{BitLegal, func(p *Params) *bool { return &p.Legal }},
	{BitT85, func(p *Params) *bool { return &p.T85 }},
	{BitT85L0, func(p *Params) *bool { return &p.T85L0 }},
	{BitColour300, func(p *Params) *bool { return &p.Colour300 }},
	{BitColour100, func(p *Params) *bool { return &p.Colour100 }},
	{BitISP, func(p *Params) *bool { return &p.ISP }},
	{BitIRA, func(p *Params) *bool { return &p.IRA }},
	{Bit600x600, func(p *Params) *bool { return &p.Res600x600 }},
	{Bit1200x1200, func(p *Params) *bool { return &p.Res1200x1200 }},
	{Bit300x600, func(p *Params) *bool { return &p.Res300x600 }},
	{Bit400x800, func(p *Params) *bool { return &p.Res400x800 }},
	{Bit600x1200, func(p *Params) *bool { return &p.Res600x1200 }},
	{BitColour600, func(p *Params) *bool { return &p.Colour600 }},
	{BitColour1200, func(p *Params) *bool { return &p.Colour1200 }},
	{BitDuplexAlternate, func(p *Params) *bool { return &p.DuplexAlt }},
	{BitDuplexContinuous, func(p *Params) *bool { return &p.DuplexCont }},
	{BitT45, func(p *Params) *bool { return &p.T45 }},
	{BitT38FlowControl, func(p *Params) *bool { return &p.T38FlowControl }},
	{BitKGreaterThan4, func(p *Params) *bool { return &p.KOver4 }},
	{BitT38Aware, func(p *Params) *bool { return &p.T38Aware }},
	{BitSYCC, func(p *Params) *bool { return &p.SYCC }},
}

// fields of more than one bit: first bit, width.
var multiBits = [...]struct{ bit, width int }{
	{BitRate, 4}, {BitWidth, 2}, {BitLength, 2}, {BitScanTime, 3},
}

func getBits(raw []byte, bit, width int) uint8 {
	i, s := (bit-1)/8, uint((bit-1)%8)
	if i >= len(raw) {
		return 0
	}
	return raw[i] >> s & (1<<width - 1)
}

func putBits(raw []byte, bit, width int, v uint8) {
	i, s := (bit-1)/8, uint((bit-1)%8)
	m := uint8(1<<width-1) << s
	raw[i] = raw[i]&^m | v<<s&m
}

// Bit reports bit n (from 1) of the octets as last unmarshalled or set
// with SetBit; for bits with a field, read the field.
func (p *Params) Bit(n int) bool {
	if n < 1 || n > 8*MaxParamsLen {
		return false
	}
	return getBits(p.raw[:], n, 1) != 0
}

// SetBit sets bit n (from 1) for a bit without a field (a bit with a field
// takes the field's value in Marshal). It does nothing for n out of range.
func (p *Params) SetBit(n int, v bool) {
	if n < 1 || n > 8*MaxParamsLen {
		return
	}
	b := uint8(0)
	if v {
		b = 1
	}
	putBits(p.raw[:], n, 1, b)
}

// Unmarshal decodes a DIS, DTC or DCS FIF. It needs the first two octets
// (bits 1 to 16); missing later octets read as 0. It returns ErrShortFrame
// for fewer than two octets and ErrFIF for more than MaxParamsLen. It does
// not allocate.
func (p *Params) Unmarshal(fif []byte) error {
	if len(fif) < 2 {
		return fmt.Errorf("%w: DIS/DTC/DCS FIF of %d octets < 2", ErrShortFrame, len(fif))
	}
	if len(fif) > MaxParamsLen {
		return fmt.Errorf("%w: DIS/DTC/DCS FIF of %d octets > %d", ErrFIF, len(fif), MaxParamsLen)
	}
	*p = Params{}
	p.n = copy(p.raw[:], fif)
	for _, fb := range flagBits {
		*fb.f(p) = getBits(p.raw[:], fb.bit, 1) != 0
	}
	p.Rate = Rate(getBits(p.raw[:], BitRate, 4))
	p.Width = Width(getBits(p.raw[:], BitWidth, 2))
	p.Length = Length(getBits(p.raw[:], BitLength, 2))
	p.ScanTime = ScanTime(getBits(p.raw[:], BitScanTime, 3))
	return nil
}

// image builds the octets: the raw ones with every field written over.
func (p *Params) image() (img [MaxParamsLen]byte, n int) {
	img = p.raw
	for _, fb := range flagBits {
		b := uint8(0)
		if *fb.f(p) {
			b = 1
		}
		putBits(img[:], fb.bit, 1, b)
	}
	putBits(img[:], BitRate, 4, uint8(p.Rate))
	putBits(img[:], BitWidth, 2, uint8(p.Width))
	putBits(img[:], BitLength, 2, uint8(p.Length))
	putBits(img[:], BitScanTime, 3, uint8(p.ScanTime))
	// The length needed: up to the last octet with content other than
	// the extend bit; at least three octets (bits 1-24) for a Params
	// built from scratch, as T.30 terminals send.
	need := 2
	for i := len(img) - 1; i >= 2; i-- {
		if img[i]&0x7F != 0 {
			need = i + 1
			break
		}
	}
	if p.n == 0 {
		need = max(need, 3)
	}
	n = p.n
	if need > n {
		n = need
		for i := 2; i < n-1; i++ {
			img[i] |= 0x80
		}
		img[n-1] &^= 0x80
	}
	return img, n
}

// MarshalSize returns the encoded length.
func (p *Params) MarshalSize() int {
	_, n := p.image()
	return n
}

// MarshalTo writes the FIF into buf, or returns io.ErrShortBuffer.
func (p *Params) MarshalTo(buf []byte) (int, error) {
	img, n := p.image()
	if len(buf) < n {
		return 0, fmt.Errorf("%w: %d < %d", io.ErrShortBuffer, len(buf), n)
	}
	return copy(buf, img[:n]), nil
}

// Marshal returns the FIF.
func (p *Params) Marshal() ([]byte, error) {
	img, n := p.image()
	return append([]byte(nil), img[:n]...), nil
}

// AppendTo appends the FIF to dst.
func (p *Params) AppendTo(dst []byte) []byte {
	img, n := p.image()
	return append(dst, img[:n]...)
}

// ExtendLen returns the FIF length, in octets, that the extend bits of a
// DIS, DTC or DCS FIF announce (T.30 Table 2: bit 24, 32, ... set when
// another octet follows): at most len(fif). A frame longer than this
// carries octets its sender did not announce.
func ExtendLen(fif []byte) int {
	if len(fif) < 3 {
		return len(fif)
	}
	for i := 2; i < len(fif); i++ {
		if fif[i]&0x80 == 0 {
			return i + 1
		}
	}
	return len(fif)
}
