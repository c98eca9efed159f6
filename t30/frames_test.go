package t30

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"math/bits"
	"strings"
	"testing"
)

// t30Order parses octets written in T.30's bit order (first bit sent on
// the left, as in Table 2 and in the ETSI/TSB85 test scripts of SpanDSP's
// tsb85.xml) into octets as received LSB first.
func t30Order(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = bits.Reverse8(b[i])
	}
	return b
}

func mustIdent(t testing.TB, f FCF, s string) []byte {
	t.Helper()
	b, err := AppendIdent(nil, f, s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFCFTable checks every constant against its bit pattern in T.30
// Table 2 / T.4 Annex A, written first bit first with X as 0.
func TestFCFTable(t *testing.T) {
	for _, tc := range []struct {
		f       FCF
		pattern string
		name    string
	}{
		{DIS, "0000 0001", "DIS"}, {CSI, "0000 0010", "CSI"}, {NSF, "0000 0100", "NSF"},
		{DTC, "1000 0001", "DTC"}, {CIG, "1000 0010", "CIG"}, {NSC, "1000 0100", "NSC"},
		{PWD, "1000 0011", "PWD"}, {SEP, "1000 0101", "SEP"}, {PSA, "1000 0110", "PSA"},
		{CIA, "1000 0111", "CIA"}, {ISP, "1000 1000", "ISP"},
		{DCS, "X100 0001", "DCS"}, {TSI, "X100 0010", "TSI"}, {NSS, "X100 0100", "NSS"},
		{SUB, "X100 0011", "SUB"}, {SID, "X100 0101", "SID"}, {CTC, "X100 1000", "CTC"},
		{TSA, "X100 0110", "TSA"}, {IRA, "X100 0111", "IRA"},
		{CFR, "X010 0001", "CFR"}, {FTT, "X010 0010", "FTT"}, {CTR, "X010 0011", "CTR"},
		{CSA, "X010 0100", "CSA"},
		{EOM, "X111 0001", "EOM"}, {MPS, "X111 0010", "MPS"}, {EOP, "X111 0100", "EOP"},
		{EOS, "X111 1000", "EOS"}, {PRI_EOM, "X111 1001", "PRI-EOM"},
		{PRI_MPS, "X111 1010", "PRI-MPS"}, {PRI_EOP, "X111 1100", "PRI-EOP"},
		{PPS, "X111 1101", "PPS"}, {EOR, "X111 0011", "EOR"}, {RR, "X111 0110", "RR"},
		{MCF, "X011 0001", "MCF"}, {RTN, "X011 0010", "RTN"}, {RTP, "X011 0011", "RTP"},
		{PIN, "X011 0100", "PIN"}, {PIP, "X011 0101", "PIP"}, {PID, "X011 0110", "PID"},
		{RNR, "X011 0111", "RNR"}, {ERR, "X011 1000", "ERR"}, {PPR, "X011 1101", "PPR"},
		{FDM, "X011 1111", "FDM"},
		{DCN, "X101 1111", "DCN"}, {CRP, "X101 1000", "CRP"}, {DNK, "X101 1001", "DNK"},
		{FNV, "X101 0011", "FNV"}, {TNR, "X101 0111", "TNR"}, {TR, "X101 0110", "TR"},
		{FCD, "0110 0000", "FCD"}, {RCP, "0110 0001", "RCP"},
	} {
		p := strings.ReplaceAll(strings.ReplaceAll(tc.pattern, " ", ""), "X", "0")
		var v uint8
		for i, c := range p { // first bit sent = bit 0
			if c == '1' {
				v |= 1 << i
			}
		}
		if FCF(v) != tc.f {
			t.Errorf("%s = %#02x, Table 2 pattern %s is %#02x", tc.name, uint8(tc.f), tc.pattern, v)
		}
		if tc.f.String() != tc.name {
			t.Errorf("%#02x.String() = %q, want %q", uint8(tc.f), tc.f.String(), tc.name)
		}
		hasX := strings.HasPrefix(tc.pattern, "X")
		if tc.f.HasX() != hasX {
			t.Errorf("%s: HasX = %v", tc.name, tc.f.HasX())
		}
		if hasX {
			x := tc.f.WithX(true)
			if x != tc.f|1 || !x.X() || x.Base() != tc.f || x.String() != tc.name || tc.f.X() {
				t.Errorf("%s: X bit handling wrong (%#02x)", tc.name, uint8(x))
			}
		} else if tc.f.WithX(true) != tc.f || tc.f.X() {
			t.Errorf("%s: has no X bit but WithX changed it", tc.name)
		}
	}
	if s := FCF(0xF0).String(); s != "FCF(00001111)" || FCF(0xF0).Known() {
		t.Errorf("unknown FCF: %q", s)
	}
}

func TestFrameCodec(t *testing.T) {
	f := Frame{FCF: DCS.WithX(true), Final: true, FIF: []byte{0x00, 0x42, 0xF8, 0x44}}
	b, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{0xFF, 0x13, 0x83, 0x00, 0x42, 0xF8, 0x44}; !bytes.Equal(b, want) {
		t.Errorf("Marshal = % X, want % X", b, want)
	}
	if _, err := f.MarshalTo(make([]byte, 6)); !errors.Is(err, io.ErrShortBuffer) {
		t.Errorf("MarshalTo short buffer: %v", err)
	}
	g, err := DecodeFrame(b)
	if err != nil || g.FCF != f.FCF || !g.Final || !bytes.Equal(g.FIF, f.FIF) {
		t.Errorf("DecodeFrame = %v, %v", g, err)
	}
	if s := g.String(); s != "DCS(X)* 00 42 F8 44" {
		t.Errorf("String = %q", s)
	}
	more := Frame{FCF: CSI}
	b, _ = more.Marshal()
	if !bytes.Equal(b, []byte{0xFF, 0x03, 0x40}) {
		t.Errorf("non-final frame % X", b)
	}
	for _, tc := range []struct {
		in  []byte
		err error
	}{
		{nil, ErrShortFrame},
		{[]byte{0xFF, 0x13}, ErrShortFrame},
		{[]byte{0xFE, 0x13, 0x80}, ErrAddress},
		{[]byte{0xFF, 0x12, 0x80}, ErrControl},
		{[]byte{0xFF, 0x00, 0x80}, ErrControl},
	} {
		if _, err := DecodeFrame(tc.in); !errors.Is(err, tc.err) {
			t.Errorf("DecodeFrame(% X) = %v, want %v", tc.in, err, tc.err)
		}
	}
	in := []byte{0xFF, 0x13, 0x83, 0x00, 0x42}
	allocs := testing.AllocsPerRun(100, func() {
		var f Frame
		f.Unmarshal(in)
	})
	if allocs != 0 {
		t.Errorf("Unmarshal allocates %v", allocs)
	}
}

// dis builds Params from a function for table tests.
func params(set func(p *Params)) Params {
	var p Params
	set(&p)
	return p
}

// TestParamsVectors decodes DIS/DCS frames whose meaning is known and
// checks the round trip. The TSB85 entries are frames of the ETSI
// TS 103 909 test scripts in SpanDSP's tsb85.xml, written in T.30's bit
// order; the Epson entry is a DCS from a printer service manual's T.30
// trace (octets LSB first); "typical" is a V.17 fine ECM terminal built
// bit by bit from Table 2/T.30 by hand.
func TestParamsVectors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		frame []byte
		fcf   FCF
		want  Params
	}{
		{
			name:  "TSB85 DIS V.27ter only, A4",
			frame: t30Order(t, "FF C8 01 00 50 00"),
			fcf:   DIS,
			want:  params(func(p *Params) { p.Receive, p.Rate = true, ModemsV27ter }),
		},
		{
			name:  "TSB85 DCS V.27ter 4800",
			frame: t30Order(t, "FF C8 41 00 50 00"),
			fcf:   DCS,
			want:  params(func(p *Params) { p.Receive, p.Rate = true, V27ter4800 }),
		},
		{
			name:  "TSB85 DIS V.17 fine, B4 length",
			frame: t30Order(t, "FF C8 01 00 76 20"),
			fcf:   DIS,
			want: params(func(p *Params) {
				p.Receive, p.Rate, p.Fine, p.Length = true, ModemsV27terV29V17, true, LengthB4
			}),
		},
		{
			name:  "TSB85 DIS V.17, A3, unlimited, FNV and multiple polling",
			frame: t30Order(t, "FF C8 01 00 74 51 01 C0"),
			fcf:   DIS,
			want: params(func(p *Params) {
				p.Receive, p.Rate, p.Width, p.Length = true, ModemsV27terV29V17, Width303, LengthUnlimited
				p.FNV, p.MultiPolling = true, true
			}),
		},
		{
			name:  "TSB85 DCS with 0 ms, ECM and MMR",
			frame: t30Order(t, "FF C8 41 00 50 0F 22"),
			fcf:   DCS,
			want: params(func(p *Params) {
				p.Receive, p.Rate, p.ScanTime, p.ECM, p.MMR = true, V27ter4800, Scan0ms, true, true
			}),
		},
		{
			name:  "Epson DCS: V.8, fine, unlimited, 0 ms, ECM, MMR",
			frame: []byte{0xFF, 0x13, 0x83, 0x00, 0x42, 0xF8, 0x44},
			fcf:   DCS.WithX(true),
			want: params(func(p *Params) {
				p.Receive, p.Rate, p.Fine, p.Length, p.ScanTime = true, V27ter2400, true, LengthUnlimited, Scan0ms
				p.ECM, p.MMR = true, true
			}),
		},
		{
			name:  "typical: V.17, fine, superfine, MR, MMR, ECM, B4 width, unlimited, 0 ms, FNV, metric",
			frame: []byte{0xFF, 0x13, 0x80, 0x00, 0xEE, 0xF9, 0xC4, 0x81, 0x11},
			fcf:   DIS,
			want: params(func(p *Params) {
				p.Receive, p.Rate, p.Fine, p.MR = true, ModemsV27terV29V17, true, true
				p.Width, p.Length, p.ScanTime = Width255, LengthUnlimited, Scan0ms
				p.ECM, p.MMR, p.FNV, p.Superfine, p.Metric = true, true, true, true, true
			}),
		},
	} {
		f, err := DecodeFrame(tc.frame)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if f.FCF != tc.fcf || !f.Final {
			t.Errorf("%s: FCF %v final %v", tc.name, f.FCF, f.Final)
		}
		var p Params
		if err := p.Unmarshal(f.FIF); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		// Compare the named fields only.
		q := p
		q.raw, q.n = tc.want.raw, tc.want.n
		if q != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, q, tc.want)
		}
		out, _ := p.Marshal()
		if !bytes.Equal(out, f.FIF) {
			t.Errorf("%s: round trip % X -> % X", tc.name, f.FIF, out)
		}
		// The same fields built from scratch give the same octets when
		// the frame's extend bits are in order.
		fresh := tc.want
		if ExtendLen(f.FIF) == len(f.FIF) && len(f.FIF) >= 3 {
			if b, _ := fresh.Marshal(); !bytes.Equal(b, f.FIF) {
				t.Errorf("%s: built from fields % X, frame % X", tc.name, b, f.FIF)
			}
		}
	}
}

func TestParamsBits(t *testing.T) {
	// Each named bit lands where Table 2 puts it, alone.
	for _, fb := range flagBits {
		var p Params
		*fb.f(&p) = true
		b, _ := p.Marshal()
		var q Params
		q.Unmarshal(b)
		if !q.Bit(fb.bit) || !*fb.f(&q) {
			t.Errorf("bit %d not set", fb.bit)
		}
		for n := 1; n <= 8*len(b); n++ {
			if n != fb.bit && q.Bit(n) && !(n%8 == 0 && n >= 24 && n < 8*len(b)) {
				t.Errorf("field of bit %d also sets bit %d (% X)", fb.bit, n, b)
			}
		}
		if n := ExtendLen(b); n != len(b) {
			t.Errorf("bit %d: extend bits give %d octets of %d", fb.bit, n, len(b))
		}
	}
	// Unknown bits survive, and a field can be changed without touching
	// them.
	in := []byte{0x02, 0x0E, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02}
	var p Params
	if err := p.Unmarshal(in); err != nil {
		t.Fatal(err)
	}
	if !p.Bit(2) || !p.Bit(8*17+2) || p.Rate != 0x3 || !p.Receive {
		t.Errorf("bits: %+v", p)
	}
	p.ECM = true
	out, _ := p.Marshal()
	want := append([]byte(nil), in...)
	want[3] |= 0x04
	if !bytes.Equal(out, want) {
		t.Errorf("got  % X\nwant % X", out, want)
	}
	// A field beyond the received octets lengthens the FIF and its extend
	// bits.
	var s Params
	s.Unmarshal([]byte{0x00, 0x2E, 0x00})
	s.Superfine = true
	out, _ = s.Marshal()
	if want := []byte{0x00, 0x2E, 0x80, 0x80, 0x80, 0x01}; !bytes.Equal(out, want) {
		t.Errorf("extended: % X, want % X", out, want)
	}
	if n := s.MarshalSize(); n != 6 {
		t.Errorf("MarshalSize %d", n)
	}
	if _, err := s.MarshalTo(make([]byte, 5)); !errors.Is(err, io.ErrShortBuffer) {
		t.Errorf("MarshalTo: %v", err)
	}
	// Errors.
	if err := p.Unmarshal([]byte{0}); !errors.Is(err, ErrShortFrame) {
		t.Errorf("short: %v", err)
	}
	if err := p.Unmarshal(make([]byte, MaxParamsLen+1)); !errors.Is(err, ErrFIF) {
		t.Errorf("long: %v", err)
	}
	// An empty Params is the minimal three-octet DIS of a V.27ter fall-back
	// terminal.
	var z Params
	if b, _ := z.Marshal(); !bytes.Equal(b, []byte{0, 0, 0}) {
		t.Errorf("zero Params: % X", b)
	}
	if allocs := testing.AllocsPerRun(100, func() { p.Unmarshal(in) }); allocs != 0 {
		t.Errorf("Unmarshal allocates %v", allocs)
	}
}

func TestExtendLen(t *testing.T) {
	// TSB85's DIS "00 74 00 01 01 88" has bit 24 clear yet three more
	// octets.
	fif := t30Order(t, "00 74 00 01 01 88")
	if n := ExtendLen(fif); n != 3 {
		t.Errorf("ExtendLen = %d, want 3", n)
	}
	var p Params
	p.Unmarshal(fif)
	if out, _ := p.Marshal(); !bytes.Equal(out, fif) {
		t.Errorf("odd extend bits not kept: % X -> % X", fif, out)
	}
}

func TestRates(t *testing.T) {
	for _, tc := range []struct {
		r     Rate
		modem string
		bps   int
	}{
		{V27ter2400, "V.27ter", 2400}, {V27ter4800, "V.27ter", 4800},
		{V29_7200, "V.29", 7200}, {V29_9600, "V.29", 9600},
		{V17_7200, "V.17", 7200}, {V17_9600, "V.17", 9600},
		{V17_12000, "V.17", 12000}, {V17_14400, "V.17", 14400},
	} {
		m, bps, ok := tc.r.Modem()
		if !ok || m != tc.modem || bps != tc.bps {
			t.Errorf("%#x: %s %d %v", uint8(tc.r), m, bps, ok)
		}
	}
	if _, _, ok := Rate(0x5).Modem(); ok {
		t.Error("reserved code accepted")
	}
	for _, tc := range []struct {
		dis  Rate
		sel  Rate
		want bool
	}{
		{ModemsV27terFallback, V27ter2400, true},
		{ModemsV27terFallback, V27ter4800, false},
		{ModemsV27ter, V27ter4800, true},
		{ModemsV29, V29_9600, true},
		{ModemsV29, V27ter4800, false},
		{ModemsV27terV29, V17_14400, false},
		{ModemsV27terV29V17, V17_14400, true},
		{ModemsV27terV29V17, V27ter2400, true},
	} {
		if got := tc.dis.Offers(tc.sel); got != tc.want {
			t.Errorf("%#x offers %v: %v", uint8(tc.dis), tc.sel, got)
		}
	}
	if s := V17_14400.String(); s != "V.17 14400" {
		t.Errorf("String %q", s)
	}
	if std, fine := Scan40msHalf.Millis(); std != 40 || fine != 20 {
		t.Errorf("Scan40msHalf: %d %d", std, fine)
	}
	if c, ok := DCSScanTime(10); !ok || c != Scan10ms {
		t.Errorf("DCSScanTime(10) = %v", c)
	}
	if Width255.Pels() != 2048 || Width(3).Pels() != 0 {
		t.Error("Pels")
	}
}

func TestIdent(t *testing.T) {
	// The CSI of the TSB85 scripts for the identity "+0123456789".
	csi := t30Order(t, "FF C0 02 9C 1C EC 6C AC 2C CC 4C 8C 0C D4 04 04 04 04 04 04 04 04 04")
	f, err := DecodeFrame(csi)
	if err != nil || f.FCF != CSI || f.Final {
		t.Fatalf("%v %v", f, err)
	}
	id, err := ParseIdent(f.FIF)
	if err != nil || id != "+0123456789" {
		t.Errorf("ParseIdent = %q, %v", id, err)
	}
	if b := mustIdent(t, CSI, "+0123456789"); !bytes.Equal(b, f.FIF) {
		t.Errorf("AppendIdent = % X\nwant          % X", b, f.FIF)
	}
	// The password frame of the same scripts, "+9876543210".
	pwd := t30Order(t, "FF C0 83 0C 8C 4C CC 2C AC 6C EC 1C 9C D4 04 04 04 04 04 04 04 04 04")
	f, _ = DecodeFrame(pwd)
	if f.FCF != PWD {
		t.Errorf("FCF %v", f.FCF)
	}
	if id, _ := ParseIdent(f.FIF); id != "+9876543210" {
		t.Errorf("PWD %q", id)
	}
	if b := mustIdent(t, PWD, "+9876543210"); !bytes.Equal(b, f.FIF) {
		t.Errorf("PWD AppendIdent = % X", b)
	}
	if _, err := AppendIdent(nil, TSI, "12#"); !errors.Is(err, ErrFIF) {
		t.Errorf("# in TSI: %v", err)
	}
	if b, err := AppendIdent(nil, SUB, "12#*"); err != nil || string(b) != "*#21"+strings.Repeat(" ", 16) {
		t.Errorf("SUB: %q %v", b, err)
	}
	if _, err := AppendIdent(nil, TSI, strings.Repeat("1", 21)); !errors.Is(err, ErrFIF) {
		t.Errorf("21 digits: %v", err)
	}
	if _, err := AppendIdent(nil, TSI, "12a"); !errors.Is(err, ErrFIF) {
		t.Errorf("letter: %v", err)
	}
	if _, err := ParseIdent(make([]byte, 21)); !errors.Is(err, ErrFIF) {
		t.Errorf("21 octets: %v", err)
	}
	if _, err := ParseIdent([]byte{'1', 0x07}); !errors.Is(err, ErrFIF) {
		t.Errorf("control character: %v", err)
	}
	// Padded on the wrong side, and short.
	if id, _ := ParseIdent([]byte("   4321")); id != "1234" {
		t.Errorf("left-padded: %q", id)
	}
	if id, _ := ParseIdent(nil); id != "" {
		t.Errorf("empty: %q", id)
	}
	// Round trips.
	for _, s := range []string{"", "1", "+44 20 7946 0000", "12345678901234567890"} {
		b := mustIdent(t, TSI, s)
		if len(b) != IdentLen {
			t.Errorf("%q: %d octets", s, len(b))
		}
		if got, _ := ParseIdent(b); got != strings.Trim(s, " ") {
			t.Errorf("%q -> %q", s, got)
		}
	}
}

func TestNonStandard(t *testing.T) {
	nsf := t30Order(t, "FF C0 04 B5 FF FF 00 00 00")
	f, _ := DecodeFrame(nsf)
	if f.FCF != NSF {
		t.Fatalf("FCF %v", f.FCF)
	}
	n, err := ParseNonStandard(f.FIF)
	if err != nil || n.Country != 0xAD || n.Provider != [2]byte{0xFF, 0xFF} || len(n.Info) != 3 {
		t.Errorf("%+v %v", n, err)
	}
	if b := n.AppendTo(nil); !bytes.Equal(b, f.FIF) {
		t.Errorf("round trip % X", b)
	}
	ext := []byte{0xFF, 0x12, 0x00, 0x01, 0xAA}
	n, err = ParseNonStandard(ext)
	if err != nil || n.CountryExt != 0x12 || n.Provider != [2]byte{0x00, 0x01} || !bytes.Equal(n.Info, []byte{0xAA}) {
		t.Errorf("extended country: %+v %v", n, err)
	}
	if b := n.AppendTo(nil); !bytes.Equal(b, ext) {
		t.Errorf("round trip % X", b)
	}
	for _, short := range [][]byte{nil, {0x20, 0x00}, {0xFF, 0x12, 0x00}} {
		if _, err := ParseNonStandard(short); !errors.Is(err, ErrShortFrame) {
			t.Errorf("% X: %v", short, err)
		}
	}
}

func TestECMFrames(t *testing.T) {
	// PPS-MPS, page 0, block 1, 0x10+1 frames (TSB85: "FF C8 7D 72 00 80 08").
	f, _ := DecodeFrame(t30Order(t, "FF C8 7D 72 00 80 08"))
	if f.FCF != PPS {
		t.Fatalf("FCF %v", f.FCF)
	}
	pps, err := ParsePPS(f.FIF)
	if err != nil || pps.FCF2 != MPS || pps.Page != 0 || pps.Block != 1 || pps.Frames != 17 {
		t.Errorf("%+v %v", pps, err)
	}
	if b := pps.AppendTo(nil); !bytes.Equal(b, f.FIF) {
		t.Errorf("PPS round trip % X", b)
	}
	if pps, _ := ParsePPS(t30Order(t, "00 00 00 FF")); pps.FCF2 != NULL || pps.Frames != 256 {
		t.Errorf("PPS-NULL 256 frames: %+v", pps)
	}
	if _, err := ParsePPS([]byte{1, 2, 3}); !errors.Is(err, ErrFIF) {
		t.Errorf("short PPS: %v", err)
	}
	if b := (PartialPage{FCF2: EOP.WithX(true), Frames: 0}).AppendTo(nil); !bytes.Equal(b, []byte{0x2F, 0, 0, 0}) {
		t.Errorf("empty block PPS % X", b)
	}

	// PPR asking for frame 0 and frames 219..255 (TSB85).
	f, _ = DecodeFrame(t30Order(t, "FF C8 3D 80"+strings.Repeat(" 00", 25)+" 01 FF FF FF FF FF"))
	if f.FCF != PPR {
		t.Fatalf("FCF %v", f.FCF)
	}
	m, err := ParsePPR(f.FIF)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Bad(0) || m.Bad(1) || m.Bad(214) || !m.Bad(215) || !m.Bad(255) || m.Count() != 42 {
		t.Errorf("map: bad0 %v count %d", m.Bad(0), m.Count())
	}
	var m2 FrameMap
	m2.SetBad(0, true)
	for i := 215; i < 256; i++ {
		m2.SetBad(i, true)
	}
	m2.SetBad(3, true)
	m2.SetBad(3, false)
	if m2 != m {
		t.Errorf("SetBad map differs")
	}
	if _, err := ParsePPR(make([]byte, 31)); !errors.Is(err, ErrFIF) {
		t.Errorf("short PPR: %v", err)
	}

	// EOR-EOP.
	f, _ = DecodeFrame(t30Order(t, "FF C8 73 74"))
	if fcf2, err := ParseEOR(f.FIF); f.FCF != EOR || err != nil || fcf2 != EOP {
		t.Errorf("EOR %v %v %v", f.FCF, fcf2, err)
	}
	if _, err := ParseEOR(nil); !errors.Is(err, ErrFIF) {
		t.Errorf("empty EOR: %v", err)
	}

	// CTC with and without its FIF; RR, RNR, ERR have none.
	if _, ok, err := ParseCTC(nil); ok || err != nil {
		t.Errorf("CTC without FIF: %v %v", ok, err)
	}
	if r, ok, err := ParseCTC(AppendCTC(nil, V17_9600)); !ok || err != nil || r != V17_9600 {
		t.Errorf("CTC: %v %v %v", r, ok, err)
	}
	if _, _, err := ParseCTC([]byte{1}); !errors.Is(err, ErrFIF) {
		t.Errorf("CTC of one octet: %v", err)
	}
	for s, want := range map[string]FCF{"FF C8 76": RR, "FF C8 37": RNR, "FF C8 38": ERR, "FF C8 48": CTC, "FF C8 C8": CTC.WithX(true)} {
		if f, _ := DecodeFrame(t30Order(t, s)); f.FCF != want || len(f.FIF) != 0 {
			t.Errorf("%s: %v", s, f)
		}
	}
}
