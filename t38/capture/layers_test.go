package capture

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/faxd/faxd/t38"
)

// A datagram of our encoder (redundancy 2), version 0: seq 0007; the
// primary, 9 octets: t30-data v21 (c0), two fields (02), hdlc-data with
// data (80 00), 3 octets (02: length-1) FF C8 01, hdlc-fcs-OK-sig-end
// without data (40); error-recovery secondary (00), two (02) v21-preamble
// indicators (01 06).
var udptlSample = mustHex("0007 09 c0028000 02ffc801 40 00 02 0106 0106")

func mustHex(s string) []byte {
	b, err := hex.DecodeString(string(bytes.ReplaceAll([]byte(s), []byte(" "), nil)))
	if err != nil {
		panic(err)
	}
	return b
}

func TestUDPTLSample(t *testing.T) {
	var u t38.UDPTLPacket
	if err := t38.DecodeUDPTL(udptlSample, &u); err != nil {
		// The sample is checked against the encoder below; print what it makes.
		t.Fatal(err)
	}
	enc, _ := t38.NewEncoder(t38.EncoderConfig{Scheme: t38.SchemeRedundancy, Redundancy: 2, FirstSeq: 5})
	pre, _ := (&t38.Packet{Indicator: t38.IndV21Preamble}).AppendEncode(nil, 0)
	enc.Append(nil, pre)
	enc.Append(nil, pre)
	ifp, _ := (&t38.Packet{IsData: true, Fields: []t38.Field{{Type: t38.FieldHDLCData, Data: []byte{0xff, 0xc8, 0x01}}, {Type: t38.FieldHDLCFCSOKSigEnd}}}).AppendEncode(nil, 0)
	d, _ := enc.Append(nil, ifp)
	if !bytes.Equal(d, udptlSample) {
		t.Fatalf("encoder makes % x, sample is % x", d, udptlSample)
	}
}

// TestDecodingLayerParser decodes Ethernet/IPv4/UDP/UDPTL/T38 with
// gopacket's DecodingLayerParser on registered ports, without allocating.
func TestDecodingLayerParser(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	f := Flow{netip.MustParseAddrPort("198.51.100.1:4006"), netip.MustParseAddrPort("198.51.100.2:4008")}
	if err := w.WriteDatagram(epoch, f, udptlSample); err != nil {
		t.Fatal(err)
	}
	pr, err := pcapgo.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	data, _, err := pr.ReadPacketData()
	if err != nil {
		t.Fatal(err)
	}
	RegisterPorts(4006, 4008)
	var (
		eth   layers.Ethernet
		ip4   layers.IPv4
		udp   layers.UDP
		udptl UDPTL
		ifp   T38
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &udp, &udptl, &ifp)
	decoded := make([]gopacket.LayerType, 0, 8)
	if err := parser.DecodeLayers(data, &decoded); err != nil {
		t.Fatal(err)
	}
	want := []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeIPv4, layers.LayerTypeUDP, LayerTypeUDPTL, LayerTypeT38}
	if len(decoded) != len(want) {
		t.Fatalf("decoded %v, want %v", decoded, want)
	}
	for i := range want {
		if decoded[i] != want[i] {
			t.Fatalf("decoded %v, want %v", decoded, want)
		}
	}
	if udptl.Seq != 7 || len(udptl.Secondary) != 2 || !ifp.IsData || len(ifp.Fields) != 2 ||
		ifp.Fields[1].Type != t38.FieldHDLCFCSOKSigEnd || !bytes.Equal(ifp.Fields[0].Data, []byte{0xff, 0xc8, 0x01}) {
		t.Fatalf("UDPTL %+v IFP %+v", udptl.UDPTLPacket, ifp.Packet)
	}
	if got := LayerTypeUDPTL.String() + "/" + LayerTypeT38.String(); got != "UDPTL/T38" {
		t.Errorf("layer names %s", got)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if err := parser.DecodeLayers(data, &decoded); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per decode", allocs)
	}

	// gopacket.NewPacket goes through the registered decoders too.
	pkt := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
	l := pkt.Layer(LayerTypeT38)
	if l == nil {
		t.Fatalf("no T38 layer: %v", pkt)
	}
	if p := l.(*T38); !p.IsData || p.Decoded != 0 {
		t.Errorf("T38 layer %+v", p)
	}
	if a := pkt.ApplicationLayer(); a == nil || a.LayerType() != LayerTypeUDPTL {
		t.Errorf("application layer %v", a)
	}

	// SerializeTo gives the datagram back.
	sb := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(sb, gopacket.SerializeOptions{}, &udptl); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sb.Bytes(), udptlSample) {
		t.Errorf("serialized % x", sb.Bytes())
	}
}

func TestLooksLikeUDPTL(t *testing.T) {
	if !LooksLikeUDPTL(udptlSample) {
		t.Error("UDPTL sample not recognised")
	}
	rtp := append(mustHex("80 00 1234 00000640 deadbeef"), bytes.Repeat([]byte{0xff}, 160)...)
	stun := mustHex("0001 0000 2112a442 000000000000000000000000")
	for name, b := range map[string][]byte{"RTP": rtp, "STUN": stun, "empty": nil, "short": {0, 1},
		"trailing": append(bytes.Clone(udptlSample), 0), "SIP": []byte("INVITE sip:fax@example.com SIP/2.0\r\n")} {
		if LooksLikeUDPTL(b) {
			t.Errorf("%s taken for UDPTL", name)
		}
	}
	var u UDPTL
	if err := u.DecodeFromBytes(rtp, gopacket.NilDecodeFeedback); !errors.Is(err, ErrNotUDPTL) {
		t.Errorf("RTP: %v", err)
	}
}

// TestReaderFormats reads the same call from pcap and pcapng, with
// other traffic (RTP-like datagrams, TCP) mixed in and IPv6 addresses,
// and on given ports.
func TestReaderFormats(t *testing.T) {
	rc := recordCall(t, callConfig{pages: 1, ecm: true})
	want := len(rc.datagrams)
	rtp := append(mustHex("80 08 1234 00000640 deadbeef"), bytes.Repeat([]byte{0xd5}, 160)...)
	a6 := Flow{netip.MustParseAddrPort("[2001:db8::1]:40000"), netip.MustParseAddrPort("[2001:db8::2]:50000")}
	noise := Flow{netip.MustParseAddrPort("[2001:db8::1]:30000"), netip.MustParseAddrPort("[2001:db8::2]:30002")}

	var ng bytes.Buffer
	nw, err := pcapgo.NewNgWriter(&ng, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range rc.datagrams {
		f := a6
		if d.from == 1 {
			f = Flow{a6.Dst, a6.Src}
		}
		for _, x := range []struct {
			f Flow
			b []byte
		}{{f, d.data}, {noise, rtp}} {
			var b bytes.Buffer
			w, _ := NewWriter(&b)
			if err := w.WriteDatagram(d.at, x.f, x.b); err != nil {
				t.Fatal(err)
			}
			pr, _ := pcapgo.NewReader(&b)
			data, ci, _ := pr.ReadPacketData()
			ci.InterfaceIndex = 0
			if err := nw.WritePacket(ci, data); err != nil {
				t.Fatal(err)
			}
			if i%50 != 0 {
				break
			}
		}
	}
	if err := nw.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		file []byte
		opt  *Options
		fmt  Format
	}{
		{"pcap", rc.pcap, nil, FormatPcap},
		{"pcap ports", rc.pcap, &Options{Ports: []uint16{50000}}, FormatPcap},
		{"pcapng IPv6 with RTP", ng.Bytes(), nil, FormatPcapNG},
		{"pcap forced version", rc.pcap, &Options{ForceVersion: true, Version: 0}, FormatPcap},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(tc.file), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if r.Format() != tc.fmt {
				t.Errorf("format %v, want %v", r.Format(), tc.fmt)
			}
			n := 0
			var last time.Time
			for {
				p, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if p.Err != nil || p.Recovered || p.Lost > 0 {
					t.Errorf("IFP %d: %+v", n, p)
				}
				if p.Time.Before(last) {
					t.Errorf("IFP %d at %v, before %v", n, p.Time, last)
				}
				last = p.Time
				n++
			}
			if n != want {
				t.Errorf("%d IFPs, want %d; flows %+v counts %+v", n, want, r.Flows(), r.Counts())
			}
			if fl := r.Flows(); len(fl) != 2 {
				t.Errorf("flows %+v", fl)
			}
		})
	}
}

func TestReaderErrors(t *testing.T) {
	if _, err := NewReader(bytes.NewReader([]byte("RIFF....WAVEfmt ")), nil); !errors.Is(err, ErrFormat) {
		t.Errorf("WAVE: %v", err)
	}
	if _, err := NewReader(bytes.NewReader(nil), nil); !errors.Is(err, ErrFormat) {
		t.Errorf("empty: %v", err)
	}
	if _, err := NewReader(bytes.NewReader(nil), &Options{ForceVersion: true, Version: 9}); !errors.Is(err, ErrOptions) {
		t.Errorf("version 9: %v", err)
	}
	// A capture cut short: the IFPs before the cut, then the error.
	rc := recordCall(t, callConfig{pages: 1, ecm: true})
	cut := rc.pcap[:len(rc.pcap)*2/3+5]
	r, err := NewReader(bytes.NewReader(cut), nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			t.Fatal("no error for a capture cut short")
		}
		if err != nil {
			break
		}
		n++
	}
	if n < len(rc.datagrams)/2 {
		t.Errorf("%d IFPs before the cut", n)
	}
}
