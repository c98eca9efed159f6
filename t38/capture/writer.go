package capture

import (
	"fmt"
	"io"
	"net"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// A Writer records UDP datagrams (UDPTL, or anything else) to a pcap file
// as Ethernet/IPv4 or IPv6/UDP packets with checksums, so that a T.38 call
// can be kept for Wireshark or replayed through a Reader.
type Writer struct {
	w    *pcapgo.Writer
	buf  gopacket.SerializeBuffer
	opts gopacket.SerializeOptions
	id   uint16
}

// NewWriter writes the pcap file header (Ethernet, microseconds) to w.
func NewWriter(w io.Writer) (*Writer, error) {
	pw := pcapgo.NewWriter(w)
	if err := pw.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		return nil, err
	}
	return &Writer{w: pw, buf: gopacket.NewSerializeBuffer(),
		opts: gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}}, nil
}

// WriteDatagram records one UDP datagram from src to dst at time at.
// Both addresses must be of the same family.
func (w *Writer) WriteDatagram(at time.Time, f Flow, payload []byte) error {
	if !f.Src.IsValid() || !f.Dst.IsValid() || f.Src.Addr().Is4() != f.Dst.Addr().Is4() {
		return fmt.Errorf("%w: flow %v", ErrOptions, f)
	}
	src, dst := f.Src.Addr().AsSlice(), f.Dst.Addr().AsSlice()
	eth := &layers.Ethernet{SrcMAC: mac(src), DstMAC: mac(dst), EthernetType: layers.EthernetTypeIPv4}
	udp := &layers.UDP{SrcPort: layers.UDPPort(f.Src.Port()), DstPort: layers.UDPPort(f.Dst.Port())}
	var ip gopacket.SerializableLayer
	if f.Src.Addr().Is4() {
		ip4 := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, Id: w.id, SrcIP: net.IP(src), DstIP: net.IP(dst)}
		w.id++
		if err := udp.SetNetworkLayerForChecksum(ip4); err != nil {
			return err
		}
		ip = ip4
	} else {
		eth.EthernetType = layers.EthernetTypeIPv6
		ip6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP, SrcIP: net.IP(src), DstIP: net.IP(dst)}
		if err := udp.SetNetworkLayerForChecksum(ip6); err != nil {
			return err
		}
		ip = ip6
	}
	if err := gopacket.SerializeLayers(w.buf, w.opts, eth, ip, udp, gopacket.Payload(payload)); err != nil {
		return err
	}
	b := w.buf.Bytes()
	return w.w.WritePacket(gopacket.CaptureInfo{Timestamp: at, CaptureLength: len(b), Length: len(b)}, b)
}

// mac makes a locally administered MAC address from an IP address.
func mac(ip []byte) net.HardwareAddr {
	m := net.HardwareAddr{0x02, 0, 0, 0, 0, 0}
	copy(m[2:], ip[len(ip)-4:])
	return m
}
