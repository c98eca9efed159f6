package t38

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Each vector is derived bit by bit from Annex A and X.691 (ALIGNED). Bits
// are written most significant first; "|" separates octets, "." padding.
//
//	IFPPacket preamble:  D = data-field present (1 bit)
//	Type-of-msg CHOICE:  C = 0 t30-indicator, 1 t30-data (1 bit)
//	ENUMERATED:          E = extension bit, then a 4-bit root index, or
//	                     0 + a 6-bit extension index (normally small number)
//	Data-Field:          aligned length determinant (count), then elements:
//	                     P = field-data present, [E,] 3-bit type (or E=1,
//	                     0, 6-bit index); if P: align, 2 octets length-1,
//	                     the octets.
var vectors = []struct {
	name     string
	versions []int
	hex      string
	p        Packet
}{
	// D=0 C=0 E=0 0000 . -> 0000 000. = 00
	{"no-signal", []int{0, 1, 2, 3}, "00", Packet{Indicator: IndNoSignal}},
	// D=0 C=0 E=0 0001 . -> 0000 001. = 02
	{"cng", []int{0, 1, 2, 3}, "02", Packet{Indicator: IndCNG}},
	// 0 0 0 0010 . = 04
	{"ced", []int{0, 1, 2, 3}, "04", Packet{Indicator: IndCED}},
	// 0 0 0 0011 . = 06
	{"v21-preamble", []int{0, 1, 2, 3}, "06", Packet{Indicator: IndV21Preamble}},
	// 0 0 0 0111 . = 0e
	{"v29-9600-training", []int{0, 1, 2, 3}, "0e", Packet{Indicator: IndV29_9600Training}},
	// 0 0 0 1110 . = 1c
	{"v17-14400-short-training", []int{0, 1, 2, 3}, "1c", Packet{Indicator: IndV17_14400ShortTraining}},
	// 0 0 0 1111 . = 1e
	{"v17-14400-long-training", []int{0, 1, 2, 3}, "1e", Packet{Indicator: IndV17_14400LongTraining}},
	// D=0 C=0 E=1 then 0 000000 (extension index 0):
	// 0010 0000 | 00.. .... = 20 00
	{"v8-ansam", []int{1, 2, 3}, "2000", Packet{Indicator: IndV8ANSam}},
	// extension index 2: 0 0 1 0 0000|10 ...... = 20 80
	{"v34-cntl-channel-1200", []int{1, 2, 3}, "2080", Packet{Indicator: IndV34CntlChannel1200}},
	// extension index 6: 0 0 1 0 0001|10 ...... = 21 80
	{"v33-14400-training", []int{1, 2, 3}, "2180", Packet{Indicator: IndV33_14400Training}},
	// t30-data v21, no fields: D=0 C=1 E=0 0000 . = 40
	{"v21 no data-field", []int{0, 1, 2, 3}, "40", Packet{IsData: true, DataType: DataV21}},
	// t30-data v21 [hdlc-data ff 13]:
	// D=1 C=1 E=0 0000 . = c0 | count 01 | P=1 [E=0] 000 + padding = 80 |
	// length-1 = 00 01 | ff 13. The 1998 element (P 3-bit) pads to the same octet.
	{"v21 hdlc-data", []int{0, 1, 2, 3}, "c0 01 80 0001 ff13",
		Packet{IsData: true, DataType: DataV21, Fields: []Field{{FieldHDLCData, []byte{0xff, 0x13}}}}},
	// 1998: ... | P=0 010 (hdlc-fcs-OK) .... = 20
	{"v21 data+fcs-OK v0", []int{0}, "c0 02 80 0001 ff13 20",
		Packet{IsData: true, DataType: DataV21, Fields: []Field{{FieldHDLCData, []byte{0xff, 0x13}}, {Type: FieldHDLCFCSOK}}}},
	// post-corrigendum: P=0 E=0 010 ... = 10
	{"v21 data+fcs-OK v1", []int{1, 2, 3}, "c0 02 80 0001 ff13 10",
		Packet{IsData: true, DataType: DataV21, Fields: []Field{{FieldHDLCData, []byte{0xff, 0x13}}, {Type: FieldHDLCFCSOK}}}},
	// v17-14400 (8): D=1 C=1 E=0 1000 . = d0; two fields without data.
	// 1998: 0 010 | 0 001 -> 21, both in one octet.
	{"v17 fcs-OK,sig-end v0", []int{0}, "d0 02 21",
		Packet{IsData: true, DataType: DataV17_14400, Fields: []Field{{Type: FieldHDLCFCSOK}, {Type: FieldHDLCSigEnd}}}},
	// 2002: 0 0 010 | 0 0 001 ...... -> 0001 0000 | 0100 0000 = 10 40: the
	// second element straddles the octet boundary.
	{"v17 fcs-OK,sig-end v1", []int{1, 2, 3}, "d0 02 10 40",
		Packet{IsData: true, DataType: DataV17_14400, Fields: []Field{{Type: FieldHDLCFCSOK}, {Type: FieldHDLCSigEnd}}}},
	// 1998, the other half: [fcs-OK, data 5a]: 0 010 | 1 000 -> 28, then
	// align (already), 00 00, 5a.
	{"v0 low-nibble data", []int{0}, "d0 02 28 0000 5a",
		Packet{IsData: true, DataType: DataV17_14400, Fields: []Field{{Type: FieldHDLCFCSOK}, {FieldHDLCData, []byte{0x5a}}}}},
	// t4-non-ecm-data (6) on v29-9600 (4): D=1 C=1 E=0 0100 . = c8 | 01 |
	// 1998 P=1 110 .... = e0; 2002 P=1 E=0 110 ... = b0 | 00 02 | 3 octets.
	{"v29 t4 v0", []int{0}, "c8 01 e0 0002 010203",
		Packet{IsData: true, DataType: DataV29_9600, Fields: []Field{{FieldT4NonECMData, []byte{1, 2, 3}}}}},
	{"v29 t4 v1", []int{1, 2, 3}, "c8 01 b0 0002 010203",
		Packet{IsData: true, DataType: DataV29_9600, Fields: []Field{{FieldT4NonECMData, []byte{1, 2, 3}}}}},
	// t4-non-ecm-sig-end (7), no data: 1998 0 111 .... = 70; 2002 0 0 111 ... = 38
	{"t4 sig-end v0", []int{0}, "c8 01 70",
		Packet{IsData: true, DataType: DataV29_9600, Fields: []Field{{Type: FieldT4NonECMSigEnd}}}},
	{"t4 sig-end v1", []int{1, 2, 3}, "c8 01 38",
		Packet{IsData: true, DataType: DataV29_9600, Fields: []Field{{Type: FieldT4NonECMSigEnd}}}},
	// t30-data v8 (extension 0): D=1 C=1 E=1 0 0000|00 ...... = e0 00 | 01 |
	// cm-message (extension 0) with data: P=1 E=1 0 00000|0 + pad = c0 00 |
	// 00 01 | e0 c1.
	{"v8 cm-message", []int{1, 2, 3}, "e0 00 01 c0 00 0001 e0c1",
		Packet{IsData: true, DataType: DataV8, Fields: []Field{{FieldCMMessage, []byte{0xe0, 0xc1}}}}},
	// v34-pri-rate (extension 1): e0 40; v34rate (extension 3), data "288":
	// P=1 E=1 0 00001|1 ....... = c1 80 | 00 02 | 32 38 38
	{"v34 v34rate", []int{3}, "e0 40 01 c1 80 0002 323838",
		Packet{IsData: true, DataType: DataV34PriRate, Fields: []Field{{FieldV34Rate, []byte("288")}}}},
	// jm-message (extension 1) without data, alone: 0 1 0 00000|1 ....... = 40 80
	{"jm-message no data", []int{3}, "e0 00 01 40 80",
		Packet{IsData: true, DataType: DataV8, Fields: []Field{{Type: FieldJMMessage}}}},
}

func TestVectors(t *testing.T) {
	for _, v := range vectors {
		want := unhex(t, v.hex)
		for _, ver := range v.versions {
			got, err := v.p.AppendEncode(nil, ver)
			if err != nil {
				t.Errorf("%s v%d: encode: %v", v.name, ver, err)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s v%d: encoded % x, want % x", v.name, ver, got, want)
			}
			var p Packet
			if err := Decode(want, ver, &p); err != nil {
				t.Errorf("%s v%d: decode: %v", v.name, ver, err)
				continue
			}
			if !samePacket(&p, &v.p) {
				t.Errorf("%s v%d: decoded %+v, want %+v", v.name, ver, p, v.p)
			}
			if n, err := IFPLen(append(want, 0xaa, 0x55), ver); err != nil || n != len(want) {
				t.Errorf("%s v%d: IFPLen = %d, %v; want %d", v.name, ver, n, err, len(want))
			}
		}
	}
}

func samePacket(a, b *Packet) bool {
	if a.IsData != b.IsData || len(a.Fields) != len(b.Fields) {
		return false
	}
	if !a.IsData {
		return a.Indicator == b.Indicator
	}
	if a.DataType != b.DataType {
		return false
	}
	for i := range a.Fields {
		if a.Fields[i].Type != b.Fields[i].Type || !bytes.Equal(a.Fields[i].Data, b.Fields[i].Data) {
			return false
		}
	}
	return true
}

func TestNames(t *testing.T) {
	if IndV17_14400LongTraining.String() != "v17-14400-long-training" || IndV33_14400Training.String() != "v33-14400-training" ||
		DataV34PriCh.String() != "v34-pri-ch" || FieldHDLCFCSBadSigEnd.String() != "hdlc-fcs-BAD-sig-end" || FieldV34Rate.String() != "v34rate" {
		t.Error("names")
	}
	if numIndicators != 23 || numDataTypes != 15 || numFieldTypes != 12 {
		t.Error("counts")
	}
	if Indicator(23).Valid() || Indicator(99).String() != "indicator(99)" {
		t.Error("invalid")
	}
}

// randPacket makes a packet encodable in version ver.
func randPacket(r *rand.Rand, ver int) Packet {
	if r.IntN(3) == 0 {
		n := indicatorRootSize
		if ver > 0 {
			n = numIndicators
		}
		return Packet{Indicator: Indicator(r.IntN(n))}
	}
	nd, nf := dataTypeRootSize, fieldTypeRootSize
	if ver > 0 {
		nd, nf = numDataTypes, numFieldTypes
	}
	p := Packet{IsData: true, DataType: DataType(r.IntN(nd))}
	for range r.IntN(6) {
		f := Field{Type: FieldType(r.IntN(nf))}
		if r.IntN(2) == 0 {
			f.Data = make([]byte, 1+r.IntN(300))
			for i := range f.Data {
				f.Data[i] = byte(r.Uint32())
			}
		}
		p.Fields = append(p.Fields, f)
	}
	return p
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for ver := 0; ver <= MaxVersion; ver++ {
		for range 5000 {
			p := randPacket(r, ver)
			b, err := p.AppendEncode(nil, ver)
			if err != nil {
				t.Fatalf("v%d %+v: %v", ver, p, err)
			}
			var q Packet
			if err := Decode(b, ver, &q); err != nil {
				t.Fatalf("v%d % x: %v", ver, b, err)
			}
			if !samePacket(&p, &q) {
				t.Fatalf("v%d: %+v -> % x -> %+v", ver, p, b, q)
			}
		}
	}
	// Every value of every type, every version it exists in.
	for ver := 0; ver <= MaxVersion; ver++ {
		for i := range numIndicators {
			p := Packet{Indicator: Indicator(i)}
			b, err := p.AppendEncode(nil, ver)
			if ver == 0 && i >= indicatorRootSize {
				if !errors.Is(err, ErrVersion) {
					t.Errorf("v0 %v: %v", p.Indicator, err)
				}
				continue
			}
			var q Packet
			if err != nil || Decode(b, ver, &q) != nil || q.Indicator != p.Indicator || q.IsData {
				t.Errorf("v%d %v: % x %v", ver, p.Indicator, b, err)
			}
		}
		for d := range numDataTypes {
			for f := range numFieldTypes {
				p := Packet{IsData: true, DataType: DataType(d), Fields: []Field{{FieldType(f), []byte{7}}, {Type: FieldType(f)}, {FieldType(f), []byte{8, 9}}}}
				b, err := p.AppendEncode(nil, ver)
				if ver == 0 && (d >= dataTypeRootSize || f >= fieldTypeRootSize) {
					if !errors.Is(err, ErrVersion) {
						t.Errorf("v0 %v/%v: %v", p.DataType, FieldType(f), err)
					}
					continue
				}
				var q Packet
				if err != nil || Decode(b, ver, &q) != nil || !samePacket(&p, &q) {
					t.Errorf("v%d %v/%v: % x %v", ver, p.DataType, FieldType(f), b, err)
				}
			}
		}
	}
}

// SpanDSP's t38_core encodes every Data-Field element of versions 1..3 from
// an octet boundary: a field without data takes a whole octet
// (P E TTT 000). Decode takes that layout when the X.691 reading fails.
func TestSpanDSPOctetLayout(t *testing.T) {
	// [hdlc-fcs-OK, hdlc-sig-end]: 0 0 010 000 | 0 0 001 000 = 10 08.
	// Read as X.691 the second element would start at bit 5 and leave
	// nonzero padding (001000), so the octet reading is taken.
	b := unhex(t, "d0 02 10 08")
	var p Packet
	if err := Decode(b, 2, &p); err != nil {
		t.Fatal(err)
	}
	want := Packet{IsData: true, DataType: DataV17_14400, Fields: []Field{{Type: FieldHDLCFCSOK}, {Type: FieldHDLCSigEnd}}}
	if !samePacket(&p, &want) {
		t.Fatalf("got %+v", p)
	}
	// [hdlc-fcs-OK, hdlc-data 5a]: 10 | 80 00 00 5a.
	b = unhex(t, "d0 02 10 80 0000 5a")
	if err := Decode(b, 1, &p); err != nil {
		t.Fatal(err)
	}
	want.Fields = []Field{{Type: FieldHDLCFCSOK}, {FieldHDLCData, []byte{0x5a}}}
	if !samePacket(&p, &want) {
		t.Fatalf("got %+v", p)
	}
}

// Pre-corrigendum acceptance: what version 0 gear sends (T.38 1998), and
// the oddities SpanDSP lets through.
func TestPreCorrigendum(t *testing.T) {
	var p Packet
	// 1998 elements are 4 bits: three fields without data share 2 octets
	// (0 010 | 0 100 | 0 001 ....) = 24 10: fcs-OK, fcs-OK-sig-end, sig-end.
	if err := Decode(unhex(t, "c0 03 24 10"), 0, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Fields) != 3 || p.Fields[0].Type != FieldHDLCFCSOK || p.Fields[1].Type != FieldHDLCFCSOKSigEnd || p.Fields[2].Type != FieldHDLCSigEnd {
		t.Fatalf("got %+v", p)
	}
	// A t30-data packet with data-field absent (SpanDSP: "kinda weird").
	if err := Decode([]byte{0x50}, 0, &p); err != nil || !p.IsData || p.DataType != DataV17_14400 || len(p.Fields) != 0 {
		t.Fatalf("got %+v %v", p, err)
	}
	// Nonzero padding, which X.691 forbids and some encoders leave.
	if err := Decode([]byte{0x05}, 0, &p); err != nil || p.Indicator != IndCED {
		t.Fatalf("got %+v %v", p, err)
	}
	// The same octets read with the 2002 syntax mean something else.
	if err := Decode(unhex(t, "c0 03 24 10"), 1, &p); err == nil && len(p.Fields) == 3 && p.Fields[1].Type == FieldHDLCFCSOKSigEnd {
		t.Fatal("version 1 read the 1998 layout")
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		hex  string
		ver  int
		want error
		msg  string
	}{
		{"", 0, ErrTruncated, "empty"},
		{"80", 0, ErrMalformed, "data-field with indicator"},
		{"21c0", 1, ErrUnknownType, "indicator 23"},
		{"30", 1, ErrUnknownType, "extension index of 64"},
		{"5e", 0, ErrUnknownType, "data type 15"},
		{"c0", 0, ErrTruncated, "octet 1"},
		{"c0 05 80", 0, ErrTruncated, "5 fields"},
		{"c0 01 80 00", 0, ErrTruncated, "16 bits wanted at octet 3"},
		{"c0 01 80 0005 ff", 0, ErrTruncated, "field 0 wants 6 octets at octet 5"},
		{"c0 01 80 0000 ff 00", 0, ErrMalformed, "1 octets left over after octet 6"},
		{"04 00", 0, ErrMalformed, "left over"},
		{"c0 c1", 0, ErrMalformed, "fragmented"},
		{"c0 01 42 00", 1, ErrUnknownType, "field 0 type 12"},
	}
	for _, c := range cases {
		var p Packet
		err := Decode(unhex(t, c.hex), c.ver, &p)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("% s v%d: %v, want %v containing %q", c.hex, c.ver, err, c.want, c.msg)
		}
	}
	if err := Decode([]byte{0}, 4, &Packet{}); !errors.Is(err, ErrVersion) {
		t.Error(err)
	}
	big := Packet{IsData: true, Fields: []Field{{FieldHDLCData, make([]byte, 65536)}}}
	if _, err := big.AppendEncode(nil, 0); !errors.Is(err, ErrFieldData) {
		t.Error(err)
	}
	if _, err := (&Packet{Indicator: 40}).AppendEncode(nil, 3); !errors.Is(err, ErrUnknownType) {
		t.Error(err)
	}
}

func TestIFPNoAllocs(t *testing.T) {
	var bufs [][]byte
	r := rand.New(rand.NewPCG(3, 4))
	for ver := 0; ver <= MaxVersion; ver++ {
		for range 50 {
			p := randPacket(r, ver)
			b, _ := p.AppendEncode(nil, ver)
			bufs = append(bufs, b)
		}
	}
	p := Packet{Fields: make([]Field, 0, 8)}
	dst := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(20, func() {
		for i, b := range bufs {
			ver := i / 50
			if err := Decode(b, ver, &p); err != nil {
				panic(err)
			}
			if _, err := p.AppendEncode(dst[:0], ver); err != nil {
				panic(err)
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations", allocs)
	}
	// Data aliases the input.
	b := unhex(t, "c0 01 80 0001 ff13")
	if err := Decode(b, 0, &p); err != nil || &p.Fields[0].Data[0] != &b[5] {
		t.Fatal("field data does not alias the packet", err)
	}
}

func BenchmarkDecodeT4(b *testing.B) {
	p := Packet{IsData: true, DataType: DataV17_14400, Fields: []Field{{FieldT4NonECMData, make([]byte, 54)}}}
	pkt, _ := p.AppendEncode(nil, 0)
	var q Packet
	q.Fields = make([]Field, 0, 4)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		if err := Decode(pkt, 0, &q); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeT4(b *testing.B) {
	p := Packet{IsData: true, DataType: DataV17_14400, Fields: []Field{{FieldT4NonECMData, make([]byte, 54)}}}
	dst := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = p.AppendEncode(dst[:0], 2)
	}
}
