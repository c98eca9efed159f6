package capture

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/faxd/faxd/t30/calldecode"
)

// FuzzReader feeds arbitrary files through the Reader and the Call: no
// panic, no internal error, bounded work.
func FuzzReader(f *testing.F) {
	var one bytes.Buffer
	w, _ := NewWriter(&one)
	w.WriteDatagram(epoch, callerFlow, udptlSample)
	f.Add(one.Bytes())
	for _, cc := range []callConfig{{pages: 1, ecm: true, dropEvery: 5}, {pages: 1, version: 3}} {
		rc := recordCall(f, cc)
		// The dialogue up to the TCF (whole captures make the fuzzer crawl).
		f.Add(rc.pcap[:min(len(rc.pcap), 6000)])
	}
	var ng bytes.Buffer
	nw, _ := pcapgo.NewNgWriter(&ng, layers.LinkTypeEthernet)
	pr, _ := pcapgo.NewReader(bytes.NewReader(one.Bytes()))
	data, ci, _ := pr.ReadPacketData()
	nw.WritePacket(gopacket.CaptureInfo{Timestamp: ci.Timestamp, CaptureLength: len(data), Length: len(data)}, data)
	nw.Flush()
	f.Add(ng.Bytes())
	f.Add([]byte{0xd4, 0xc3, 0xb2, 0xa1})

	f.Fuzz(func(t *testing.T, b []byte) {
		events := 0
		_, err := Decode(bytes.NewReader(b), nil, CallOptions{
			OnEvent: func(e calldecode.Event) {
				_ = e.String()
				events++
			},
			MaxPageBytes: 1 << 16, MaxRows: 4096,
		})
		if errors.Is(err, ErrInternal) {
			t.Fatal(err)
		}
		if events > 64*len(b)+16 {
			t.Fatalf("%d events from %d octets", events, len(b))
		}
	})
}

// FuzzLayers decodes arbitrary UDP payloads with the gopacket layers.
func FuzzLayers(f *testing.F) {
	f.Add(udptlSample)
	f.Add(mustHex("0001 03 d0 01 70 80 01 03 00 01 02"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var u UDPTL
		ifp := T38{Version: AutoVersion}
		if u.DecodeFromBytes(b, gopacket.NilDecodeFeedback) == nil {
			_ = ifp.DecodeFromBytes(u.LayerPayload(), gopacket.NilDecodeFeedback)
		}
		_ = LooksLikeUDPTL(b)
	})
}
