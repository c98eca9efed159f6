package capture

import (
	"errors"
	"fmt"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/faxd/faxd/t38"
)

// Layer type numbers, in the range 1000-1999 the project keeps for its
// own gopacket layers (gopacket's own layer types are numbered lower).
const (
	layerNumUDPTL = 1380
	layerNumT38   = 1381
)

// The gopacket layer types of this package.
var (
	// LayerTypeUDPTL is the UDPTL datagram of T.38 §9.1 ([UDPTL]).
	LayerTypeUDPTL = gopacket.RegisterLayerType(layerNumUDPTL, gopacket.LayerTypeMetadata{
		Name: "UDPTL", Decoder: gopacket.DecodeFunc(decodeUDPTL)})
	// LayerTypeT38 is the IFP packet of T.38 Annex A carried as a UDPTL
	// primary ([T38]).
	LayerTypeT38 = gopacket.RegisterLayerType(layerNumT38, gopacket.LayerTypeMetadata{
		Name: "T38", Decoder: gopacket.DecodeFunc(decodeT38)})
)

// ErrNotUDPTL is wrapped by the layers' decoders for data that is not a
// UDPTL datagram or an IFP packet.
var ErrNotUDPTL = errors.New("capture: not UDPTL/T.38")

// AutoVersion, as T38.Version, decodes an IFP as T.38 version 0 (the 1998
// syntax) and, when that fails, as the post-corrigendum syntax of
// versions 1 to 3.
const AutoVersion = -1

// UDPTL is a UDPTL datagram (T.38 §9.1, Annex A) as a gopacket layer and
// DecodingLayer. Its payload is the primary IFP packet; the redundant IFPs
// or FEC data of error-recovery are in the embedded t38.UDPTLPacket. All
// slices alias the decoded data; decoding reuses them and allocates
// nothing once they have grown to the largest datagram seen.
type UDPTL struct {
	layers.BaseLayer
	t38.UDPTLPacket
}

// LayerType returns LayerTypeUDPTL.
func (u *UDPTL) LayerType() gopacket.LayerType { return LayerTypeUDPTL }

// CanDecode returns LayerTypeUDPTL.
func (u *UDPTL) CanDecode() gopacket.LayerClass { return LayerTypeUDPTL }

// NextLayerType returns LayerTypeT38: the payload is the primary IFP.
func (u *UDPTL) NextLayerType() gopacket.LayerType { return LayerTypeT38 }

// DecodeFromBytes decodes a UDPTL datagram (t38.DecodeUDPTL).
func (u *UDPTL) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	u.Contents, u.BaseLayer.Payload = nil, nil
	if err := t38.DecodeUDPTL(data, &u.UDPTLPacket); err != nil {
		return fmt.Errorf("%w: %w", ErrNotUDPTL, err)
	}
	u.Contents, u.BaseLayer.Payload = data, u.Primary
	return nil
}

// SerializeTo writes the datagram (gopacket.SerializableLayer), so that
// tests and tools can build captures with gopacket.SerializeLayers.
func (u *UDPTL) SerializeTo(b gopacket.SerializeBuffer, _ gopacket.SerializeOptions) error {
	enc, err := u.UDPTLPacket.AppendEncode(nil)
	if err != nil {
		return err
	}
	out, err := b.PrependBytes(len(enc))
	if err != nil {
		return err
	}
	copy(out, enc)
	return nil
}

// T38 is an IFP packet (T.38 Annex A) as a gopacket layer and
// DecodingLayer. Set Version before decoding: 0 to 3, or AutoVersion;
// Decoded tells which version read it. Field data alias the decoded data.
type T38 struct {
	layers.BaseLayer
	t38.Packet
	Version int // T.38 version to decode (0..3) or AutoVersion
	Decoded int // the version that decoded the last packet
}

// LayerType returns LayerTypeT38.
func (t *T38) LayerType() gopacket.LayerType { return LayerTypeT38 }

// CanDecode returns LayerTypeT38.
func (t *T38) CanDecode() gopacket.LayerClass { return LayerTypeT38 }

// NextLayerType returns gopacket.LayerTypeZero: an IFP is the last layer.
func (t *T38) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }

// DecodeFromBytes decodes an IFP packet (t38.Decode). The first call
// makes room for 8 fields; later ones allocate only for packets with more.
func (t *T38) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	t.Contents, t.Payload = nil, nil
	if t.Fields == nil {
		t.Fields = make([]t38.Field, 0, 8)
	}
	v, err := decodeIFP(data, t.Version, &t.Packet)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotUDPTL, err)
	}
	t.Decoded, t.Contents = v, data
	return nil
}

// decodeIFP decodes b as the given version, or with AutoVersion as version
// 0 and then 3, returning the version that read it.
func decodeIFP(b []byte, version int, p *t38.Packet) (int, error) {
	if version != AutoVersion {
		return version, t38.Decode(b, version, p)
	}
	err := t38.Decode(b, 0, p)
	if err == nil {
		return 0, nil
	}
	if t38.Decode(b, t38.MaxVersion, p) == nil {
		return t38.MaxVersion, nil
	}
	return 0, err
}

func decodeUDPTL(data []byte, p gopacket.PacketBuilder) error {
	u := &UDPTL{}
	if err := u.DecodeFromBytes(data, p); err != nil {
		return err
	}
	p.AddLayer(u)
	p.SetApplicationLayer(u)
	return p.NextDecoder(LayerTypeT38)
}

func decodeT38(data []byte, p gopacket.PacketBuilder) error {
	t := &T38{Version: AutoVersion}
	if err := t.DecodeFromBytes(data, p); err != nil {
		return err
	}
	p.AddLayer(t)
	return nil
}

// Payload returns the primary IFP (gopacket.ApplicationLayer).
func (u *UDPTL) Payload() []byte { return u.BaseLayer.Payload }

// RegisterPorts makes gopacket's UDP layer hand datagrams to or from the
// given ports to LayerTypeUDPTL. T.38 has no well-known port: the ports
// come from the SDP (m=image PORT udptl t38) of each call, so the caller
// registers them once known. The registration is gopacket's global table:
// call it before decoding starts, not concurrently with decoding.
func RegisterPorts(ports ...uint16) {
	for _, p := range ports {
		layers.RegisterUDPPortLayerType(layers.UDPPort(p), LayerTypeUDPTL)
	}
}

// LooksLikeUDPTL reports whether a UDP payload is, by its structure, a
// UDPTL datagram carrying T.38: the whole datagram parses (T.38 §9.1:
// sequence number, primary IFP as an open type, error-recovery, nothing
// left over), the primary is a non-empty IFP packet of some T.38 version,
// and so is every redundant IFP. RTP, STUN, DTLS or SIP payloads do not
// survive these checks except by rare accident, so a capture's T.38 flows
// can be found without the SDP that gave their ports.
func LooksLikeUDPTL(payload []byte) bool {
	var u t38.UDPTLPacket
	var fs [8]t38.Field
	if t38.DecodeUDPTL(payload, &u) != nil || len(u.Primary) == 0 {
		return false
	}
	p := t38.Packet{Fields: fs[:0]}
	v, err := decodeIFP(u.Primary, AutoVersion, &p)
	if err != nil {
		return false
	}
	for _, s := range u.Secondary {
		p.Fields = fs[:0]
		if len(s) > 0 && t38.Decode(s, v, &p) != nil {
			return false
		}
	}
	return true
}
