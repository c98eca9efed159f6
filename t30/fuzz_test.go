package t30

import (
	"bytes"
	"testing"
)

// FuzzHDLCRx feeds arbitrary bits (each input octet gives eight, LSB
// first) to a receiver: it must not panic, every frame it calls good must
// pass the FCS check and fit the length limits, and it must not allocate.
func FuzzHDLCRx(f *testing.F) {
	f.Add([]byte{0x7E, 0x7E, 0xFF, 0x13, 0xFA, 0x13, 0xE7, 0x7E})
	f.Add(bytes.Repeat([]byte{0x7E}, 8))
	f.Add([]byte{0xFF, 0xFF, 0x7E, 0x7F, 0x7E, 0x00})
	for _, frames := range [][][]byte{
		{{0xFF, 0x13, 0xFA}},
		{{0xFF, 0x03, 0x40, '1', '2'}, {0xFF, 0x13, 0x80, 0x00, 0xEE, 0xF9}},
	} {
		bits := bitsOf(f, frames...)
		packed := make([]byte, (len(bits)+7)/8)
		for i, b := range bits {
			packed[i/8] |= b << (i % 8)
		}
		f.Add(packed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const maxLen = 16
		rx := NewHDLCRx(HDLCRxConfig{MaxFrameLen: maxLen, SyncFlags: 1, ReportBadFrames: true},
			func(fr []byte, ok bool) {
				if len(fr) > maxLen || len(fr) < MinFrameLen-2 {
					t.Fatalf("frame of %d octets delivered", len(fr))
				}
				if ok {
					fcs := FCS(fr)
					// The FCS octets sit right after the frame in the buffer.
					full := fr[:len(fr)+2]
					if full[len(fr)] != byte(fcs) || full[len(fr)+1] != byte(fcs>>8) {
						t.Fatalf("frame % X called good with a wrong FCS", full)
					}
				}
			})
		allocs := testing.AllocsPerRun(1, func() {
			rx.Reset()
			for _, o := range data {
				for i := range 8 {
					rx.PutBit(int(o >> i & 1))
				}
			}
		})
		if allocs != 0 {
			t.Fatalf("%v allocations", allocs)
		}
	})
}

// FuzzDecodeFrame: decoding never panics, and a decoded frame encodes back
// to its input.
func FuzzDecodeFrame(f *testing.F) {
	f.Add([]byte{0xFF, 0x13, 0x80, 0x00, 0xEE, 0xF9})
	f.Add([]byte{0xFF, 0x03, 0x40})
	f.Add([]byte{0xFF, 0x13})
	f.Add([]byte{0x00, 0x13, 0xBE, 0x4E, 0, 0, 0xFF})
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := DecodeFrame(data)
		if err != nil {
			return
		}
		_ = fr.String()
		_ = fr.FCF.String()
		out, err := fr.Marshal()
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("% X -> % X (%v)", data, out, err)
		}
		// The typed parsers must not panic on any FIF either.
		ParseIdent(fr.FIF)
		ParseNonStandard(fr.FIF)
		ParsePPS(fr.FIF)
		ParsePPR(fr.FIF)
		ParseEOR(fr.FIF)
		ParseCTC(fr.FIF)
	})
}

// FuzzDIS: Unmarshal then Marshal gives back the input exactly; a Params
// made from it and from its marshalled form are equal.
func FuzzDIS(f *testing.F) {
	f.Add([]byte{0x00, 0xEE, 0xF9, 0xC4, 0x81, 0x11})
	f.Add([]byte{0x00, 0x42, 0xF8, 0x44})
	f.Add([]byte{0x00, 0x2E, 0x00, 0x80, 0x80, 0x11})
	f.Add([]byte{0x00, 0x0A})
	f.Add(bytes.Repeat([]byte{0xFF}, 19))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Params
		if err := p.Unmarshal(data); err != nil {
			return
		}
		out, err := p.Marshal()
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("% X -> % X (%v)", data, out, err)
		}
		var q Params
		if err := q.Unmarshal(out); err != nil || q != p {
			t.Fatalf("second Unmarshal differs: %v", err)
		}
		// Changing a field and back leaves the octets alone.
		q.ECM = !q.ECM
		q.ECM = !q.ECM
		if b, _ := q.Marshal(); !bytes.Equal(b, data) {
			t.Fatalf("field toggle changed % X to % X", data, b)
		}
	})
}
