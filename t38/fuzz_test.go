package t38

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzIFP: Decode never panics and never allocates beyond p.Fields, and
// whatever it accepts encodes back to something that decodes the same.
func FuzzIFP(f *testing.F) {
	for _, v := range vectors {
		f.Add(unhex(f, v.hex), uint8(v.versions[0]))
	}
	f.Add([]byte{0xd0, 0x02, 0x10, 0x08}, uint8(2))
	f.Add([]byte{0xc0, 0x03, 0x24, 0x10}, uint8(0))
	f.Add([]byte("\xe0@\x04A\x04 00"), uint8(2)) // prefix shorter than the lenient whole
	f.Add([]byte{0x20, 0x00}, uint8(0))          // extension indicator read in version 0
	f.Fuzz(func(t *testing.T, b []byte, v uint8) {
		ver := int(v % (MaxVersion + 1))
		p := Packet{Fields: make([]Field, 0, len(b)*2+1)}
		if a := testing.AllocsPerRun(1, func() { Decode(b, ver, &p) }); a != 0 && len(b) > 0 {
			// errors allocate their message; valid packets must not
			if Decode(b, ver, &p) == nil {
				t.Fatalf("%v allocations decoding % x", a, b)
			}
		}
		if err := Decode(b, ver, &p); err != nil {
			return
		}
		// IFPLen takes the first reading that parses a prefix, which can
		// be shorter than a lenient reading of the whole.
		n, err := IFPLen(b, ver)
		if err != nil || n > len(b) || Decode(b[:n], ver, &Packet{}) != nil {
			t.Fatalf("IFPLen %d %v for %d octets", n, err, len(b))
		}
		enc, err := p.AppendEncode(nil, ver)
		if ver == 0 && errors.Is(err, ErrVersion) {
			return // version 0 reads extension values it will not write
		}
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var q Packet
		if err := Decode(enc, ver, &q); err != nil || !samePacket(&p, &q) {
			t.Fatalf("% x -> %+v -> % x -> %+v %v", b, p, enc, q, err)
		}
	})
}

// FuzzUDPTL: DecodeUDPTL and the Decoder never panic, stall or grow
// without bound on arbitrary datagrams; accepted ones round trip.
func FuzzUDPTL(f *testing.F) {
	for _, v := range udptlVectors {
		f.Add(unhex(f, v.hex))
	}
	f.Add([]byte{0x30, 0x30, 0x00, 0x30, 0x00}) // empty primary
	f.Fuzz(func(t *testing.T, b []byte) {
		var u UDPTLPacket
		if err := DecodeUDPTL(b, &u); err == nil {
			// An empty open type goes out as one zero octet (X.691
			// §10.2.2), so compare the second encoding with the first.
			enc, err := u.AppendEncode(nil)
			var w UDPTLPacket
			if err != nil || DecodeUDPTL(enc, &w) != nil {
				t.Fatalf("% x -> %+v -> % x %v", b, u, enc, err)
			}
			enc2, err := w.AppendEncode(nil)
			if err != nil || !bytes.Equal(enc, enc2) {
				t.Fatalf("% x -> % x -> % x %v", b, enc, enc2, err)
			}
		}
		// Feed the datagram and variations of it to a Decoder: split the
		// input into datagrams at 0xff octets.
		dec, _ := NewDecoder(DecoderConfig{Window: 8, TrimFEC: true, Version: 1})
		for _, d := range bytes.Split(b, []byte{0xff}) {
			dec.Receive(d)
			dec.Receive(b)
			n := 0
			dec.Drain(func(Delivery) { n++ })
			if n > 2*ring {
				t.Fatal("runaway delivery")
			}
		}
		dec.Flush()
		dec.Drain(func(Delivery) {})
		for i := range dec.slots {
			if cap(dec.slots[i].data) > 2*dec.cfg.MaxIFP || cap(dec.slots[i].parity) > 2*MaxFECEntries*dec.cfg.MaxIFP {
				t.Fatal("slot grew past its bound")
			}
		}
	})
}
