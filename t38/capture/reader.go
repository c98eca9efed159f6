package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/faxd/faxd/t38"
)

// Errors of the Reader.
var (
	// ErrFormat reports input that is neither pcap nor pcapng.
	ErrFormat = errors.New("capture: not a pcap or pcapng file")
	// ErrOptions reports unusable Options.
	ErrOptions = errors.New("capture: bad options")
)

// Format is a capture file format.
type Format int

// The formats a Reader reads.
const (
	FormatUnknown Format = iota
	FormatPcap           // libpcap (any byte order, µs or ns, possibly gzipped)
	FormatPcapNG         // pcapng
)

func (f Format) String() string {
	switch f {
	case FormatPcap:
		return "pcap"
	case FormatPcapNG:
		return "pcapng"
	}
	return "unknown"
}

// Sniff tells a capture file's format from its first octets (at least 4).
func Sniff(b []byte) Format {
	if len(b) < 4 {
		return FormatUnknown
	}
	switch binary.LittleEndian.Uint32(b) {
	case 0x0a0d0d0a: // pcapng Section Header Block type, a palindrome
		return FormatPcapNG
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
		return FormatPcap
	}
	if b[0] == 0x1f && b[1] == 0x8b { // gzip: pcapgo reads gzipped pcap
		return FormatPcap
	}
	return FormatUnknown
}

// A Flow is one direction of a UDP conversation: a T.38 stream.
type Flow struct {
	Src, Dst netip.AddrPort
}

func (f Flow) String() string { return f.Src.String() + " > " + f.Dst.String() }

// An IFP is one IFP packet of a flow, handed out by Reader.Next.
type IFP struct {
	Flow      Flow
	FlowIndex int // the flow's number, from 0, in the order flows first appear
	// Time is the capture time of the datagram that carried the IFP as
	// its primary, or, for one recovered from redundancy or FEC, of the
	// datagram it was recovered from; never earlier than the flow's
	// previous IFP.
	Time time.Time
	Seq  uint16
	// Lost counts the sequence numbers given up just before this one.
	Lost           int
	Recovered, FEC bool
	Version        int    // the T.38 version the IFP decoded as
	Data           []byte // the IFP octets (the IFP's own copy)
	// Packet is the decoded IFP (field data alias Data); when Err is set,
	// whatever decoded before the error.
	Packet t38.Packet
	Err    error
}

// Options configure a Reader. The zero value finds T.38 flows by
// LooksLikeUDPTL and detects each flow's T.38 version.
type Options struct {
	// Ports are UDP ports known to carry UDPTL (from the call's SDP):
	// every datagram to or from them is taken, malformed ones counted.
	// Datagrams on other ports are taken when LooksLikeUDPTL.
	Ports []uint16
	// ForceVersion decodes every IFP as Version (0..3) instead of
	// detecting each flow's version.
	ForceVersion bool
	Version      int
	// Window is each flow's t38.Decoder window (0: its default, 32).
	Window int
	// MaxFlows bounds the flows followed (0: 64); datagrams of further
	// flows are counted as skipped.
	MaxFlows int
}

// FlowStats describes a flow at the end (or so far).
type FlowStats struct {
	Flow      Flow
	Index     int
	Version   int       // the version most of its IFPs decoded as
	First     time.Time // its first and last datagram
	Last      time.Time
	Decoder   t38.Stats // datagrams, losses, recoveries (t38.Decoder)
	BadIFP    int       // IFPs that did not decode
	Delivered int
}

// Counts says what a Reader skipped.
type Counts struct {
	Packets   int // packets read from the file
	NotUDP    int // packets without an IPv4/IPv6 UDP datagram (fragments, other link types, ...)
	NotT38    int // UDP datagrams that are not UDPTL
	TooMany   int // UDPTL datagrams of flows beyond MaxFlows
	BadPacket int // packets whose link/IP/UDP headers did not decode
}

const (
	// holdback: an IFP is handed out once the capture is this far past
	// it, so that IFPs of both directions come out in time order although
	// a flow's decoder may hold some back while it waits for recovery.
	holdback = 2 * time.Second
	// quiet: a flow with no datagram for this long is flushed: its gaps
	// are given up and what it holds is delivered.
	quiet = time.Second
	// maxPacket bounds a packet taken from the file (a UDP datagram is at
	// most 64 KiB; link headers add little).
	maxPacket = 1 << 17
)

type packetSource interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

type seen struct {
	seq uint16
	ok  bool
	at  time.Time
}

type flow struct {
	FlowStats
	dec     *t38.Decoder
	known   bool // on a port of Options.Ports
	arrived [128]seen
	lastOut time.Time
	flushed bool
	score   [2]int // data IFPs only version 0 / only version 3 decoded
}

// A Reader walks a pcap or pcapng file and hands out the IFP packets of
// its T.38 flows: per flow in UDPTL sequence order, each once, with those
// lost in the capture recovered from redundancy or FEC where the peer sent
// any (t38.Decoder), and all flows merged in time order. It reads Ethernet
// (with 802.1Q tags), Linux cooked (SLL, SLL2), BSD loopback and raw IP
// captures, IPv4 and IPv6; IP fragments are skipped.
type Reader struct {
	opt    Options
	format Format
	src    packetSource
	link   layers.LinkType
	ng     bool

	eth     layers.Ethernet
	dot1q   layers.Dot1Q
	sll     layers.LinuxSLL
	sll2    layers.LinuxSLL2
	loop    layers.Loopback
	ip4     layers.IPv4
	ip6     layers.IPv6
	udp     layers.UDP
	parsers map[gopacket.LayerType]*gopacket.DecodingLayerParser
	decoded []gopacket.LayerType
	ports   map[uint16]bool

	flows   []*flow
	byFlow  map[Flow]*flow
	pending []IFP // delivered by the decoders, waiting for the holdback
	ready   []IFP
	counts  Counts
	now     time.Time
	eof     bool
	err     error
	scratch t38.Packet
}

// NewReader reads the file header of a pcap or pcapng capture from r.
// opt may be nil.
func NewReader(r io.Reader, opt *Options) (*Reader, error) {
	var o Options
	if opt != nil {
		o = *opt
	}
	if o.MaxFlows == 0 {
		o.MaxFlows = 64
	}
	if o.MaxFlows < 0 || (o.ForceVersion && (o.Version < 0 || o.Version > t38.MaxVersion)) {
		return nil, fmt.Errorf("%w: MaxFlows %d, version %d", ErrOptions, o.MaxFlows, o.Version)
	}
	if _, err := t38.NewDecoder(t38.DecoderConfig{Window: o.Window}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	br := bufio.NewReader(r)
	head, _ := br.Peek(4)
	rd := &Reader{opt: o, format: Sniff(head), byFlow: map[Flow]*flow{}, ports: map[uint16]bool{},
		parsers: map[gopacket.LayerType]*gopacket.DecodingLayerParser{}}
	for _, p := range o.Ports {
		rd.ports[p] = true
	}
	rd.scratch.Fields = make([]t38.Field, 0, 8)
	switch rd.format {
	case FormatPcap:
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrFormat, err)
		}
		rd.src, rd.link = pr, pr.LinkType()
	case FormatPcapNG:
		nr, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true, SkipUnknownVersion: true})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrFormat, err)
		}
		rd.src, rd.link, rd.ng = nr, nr.LinkType(), true
	default:
		return nil, fmt.Errorf("%w: magic % x", ErrFormat, head)
	}
	return rd, nil
}

// Format returns the file's format.
func (r *Reader) Format() Format { return r.format }

// Counts returns what was skipped so far.
func (r *Reader) Counts() Counts { return r.counts }

// Flows returns the T.38 flows seen so far, in order of appearance.
func (r *Reader) Flows() []FlowStats {
	out := make([]FlowStats, len(r.flows))
	for i, f := range r.flows {
		out[i] = f.FlowStats
		out[i].Decoder = f.dec.Stats()
		if !r.opt.ForceVersion && r.prefers3(f) {
			out[i].Version = t38.MaxVersion
		}
	}
	return out
}

// Next returns the next IFP in time order; io.EOF after the last. An
// error reading the file (a capture cut short) comes after the IFPs read
// before it.
func (r *Reader) Next() (IFP, error) {
	for len(r.ready) == 0 {
		if r.eof {
			if r.err != nil {
				return IFP{}, r.err
			}
			return IFP{}, io.EOF
		}
		r.step()
	}
	p := r.ready[0]
	r.ready[0] = IFP{}
	r.ready = r.ready[1:]
	return p, nil
}

// step reads one packet, or ends the file.
func (r *Reader) step() {
	data, ci, err := r.read()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			r.err = fmt.Errorf("capture: packet %d: %w", r.counts.Packets+1, err)
		}
		r.eof = true
		for _, f := range r.flows {
			r.flush(f)
		}
		r.release(true)
		return
	}
	r.counts.Packets++
	if len(data) > maxPacket {
		r.counts.BadPacket++
		return
	}
	link := r.link
	if r.ng && len(ci.AncillaryData) > 0 {
		if lt, ok := ci.AncillaryData[0].(layers.LinkType); ok {
			link = lt
		}
	}
	if ci.Timestamp.After(r.now) {
		r.now = ci.Timestamp
	}
	r.packet(data, link, ci.Timestamp)
	for _, f := range r.flows {
		if !f.flushed && r.now.Sub(f.Last) >= quiet {
			r.flush(f)
		}
	}
	r.release(false)
}

// read reads a packet, turning a reader's panic on hostile input into an
// error.
func (r *Reader) read() (data []byte, ci gopacket.CaptureInfo, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: reader panic: %v", ErrFormat, p)
		}
	}()
	return r.src.ReadPacketData()
}

func (r *Reader) parser(first gopacket.LayerType) *gopacket.DecodingLayerParser {
	p := r.parsers[first]
	if p == nil {
		p = gopacket.NewDecodingLayerParser(first, &r.eth, &r.dot1q, &r.sll, &r.sll2, &r.loop, &r.ip4, &r.ip6, &r.udp)
		p.IgnoreUnsupported = true
		r.parsers[first] = p
	}
	return p
}

// packet takes one captured packet.
func (r *Reader) packet(data []byte, link layers.LinkType, at time.Time) {
	var first gopacket.LayerType
	switch link {
	case layers.LinkTypeEthernet:
		first = layers.LayerTypeEthernet
	case layers.LinkTypeLinuxSLL:
		first = layers.LayerTypeLinuxSLL
	case layers.LinkTypeLinuxSLL2:
		first = layers.LayerTypeLinuxSLL2
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		first = layers.LayerTypeLoopback
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6, 12, 14: // 12, 14: DLT_RAW of some BSDs
		if len(data) == 0 {
			r.counts.NotUDP++
			return
		}
		first = layers.LayerTypeIPv4
		if data[0]>>4 == 6 {
			first = layers.LayerTypeIPv6
		}
	default:
		r.counts.NotUDP++
		return
	}
	if err := r.parser(first).DecodeLayers(data, &r.decoded); err != nil {
		r.counts.BadPacket++
		return
	}
	var src, dst netip.Addr
	udp := false
	for _, t := range r.decoded {
		switch t {
		case layers.LayerTypeIPv4:
			src, _ = netip.AddrFromSlice(r.ip4.SrcIP)
			dst, _ = netip.AddrFromSlice(r.ip4.DstIP)
		case layers.LayerTypeIPv6:
			src, _ = netip.AddrFromSlice(r.ip6.SrcIP)
			dst, _ = netip.AddrFromSlice(r.ip6.DstIP)
		case layers.LayerTypeUDP:
			udp = true
		}
	}
	if !udp || !src.IsValid() || !dst.IsValid() {
		r.counts.NotUDP++
		return
	}
	key := Flow{netip.AddrPortFrom(src.Unmap(), uint16(r.udp.SrcPort)), netip.AddrPortFrom(dst.Unmap(), uint16(r.udp.DstPort))}
	r.datagram(key, r.udp.Payload, at)
}

// datagram takes one UDP payload of flow key.
func (r *Reader) datagram(key Flow, payload []byte, at time.Time) {
	f := r.byFlow[key]
	known := r.ports[key.Src.Port()] || r.ports[key.Dst.Port()]
	if !known && !LooksLikeUDPTL(payload) {
		r.counts.NotT38++
		return
	}
	if f == nil {
		if len(r.flows) >= r.opt.MaxFlows {
			r.counts.TooMany++
			return
		}
		dec, err := t38.NewDecoder(t38.DecoderConfig{Window: r.opt.Window})
		if err != nil {
			return // checked in NewReader
		}
		f = &flow{dec: dec, known: known}
		f.Flow, f.Index, f.First, f.Version = key, len(r.flows), at, r.opt.Version
		r.flows = append(r.flows, f)
		r.byFlow[key] = f
	}
	f.Last, f.flushed = at, false
	if len(payload) >= 2 {
		seq := binary.BigEndian.Uint16(payload)
		f.arrived[seq&127] = seen{seq: seq, ok: true, at: at}
	}
	_ = f.dec.Receive(payload) // a malformed datagram is counted in the decoder's stats
	r.drain(f, at)
}

// flush gives up a quiet flow's gaps and delivers what it holds.
func (r *Reader) flush(f *flow) {
	f.flushed = true
	f.dec.Flush()
	r.drain(f, f.Last)
}

// drain moves a flow's deliverable IFPs to pending.
func (r *Reader) drain(f *flow, at time.Time) {
	for {
		d, ok := f.dec.Next()
		if !ok {
			return
		}
		t := at
		if s := f.arrived[d.Seq&127]; s.ok && s.seq == d.Seq && !d.Recovered {
			t = s.at
		}
		if t.Before(f.lastOut) {
			t = f.lastOut
		}
		f.lastOut = t
		p := IFP{Flow: f.Flow, FlowIndex: f.Index, Time: t, Seq: d.Seq, Lost: d.Lost, Recovered: d.Recovered, FEC: d.FEC,
			Data: slices.Clone(d.IFP)}
		f.vote(&p, &r.scratch)
		f.Delivered++
		r.pending = append(r.pending, p)
	}
}

// plausible reports whether a decoded IFP is what T.38 gear sends; the
// same octets often decode under both syntaxes (the 1998 field-type is 3
// bits, the later one 4 with an extension bit), but only one reading
// makes sense.
func plausible(p *t38.Packet) bool {
	if !p.IsData {
		return true
	}
	hdlc, t4 := false, false
	for i, f := range p.Fields {
		switch f.Type {
		case t38.FieldHDLCData:
			hdlc = true
			if i+1 < len(p.Fields) && p.Fields[i+1].Type == t38.FieldHDLCSigEnd {
				return false // a frame ended without its FCS status
			}
		case t38.FieldHDLCSigEnd:
			hdlc = true
			if len(f.Data) > 0 {
				return false
			}
		case t38.FieldHDLCFCSOK, t38.FieldHDLCFCSBad, t38.FieldHDLCFCSOKSigEnd, t38.FieldHDLCFCSBadSigEnd:
			hdlc = true
			if len(f.Data) > 0 {
				return false // FCS fields carry no data in practice
			}
		case t38.FieldT4NonECMData, t38.FieldT4NonECMSigEnd:
			t4 = true
		default: // V.8 and V.34 messages
			if p.DataType < t38.DataV8 || p.DataType > t38.DataV34PriCh {
				return false
			}
		}
	}
	return !(hdlc && t4) && !(t4 && p.DataType == t38.DataV21)
}

// vote decodes a data IFP as both syntaxes: one that reads it sensibly
// where the other does not gets a point.
func (f *flow) vote(p *IFP, scratch *t38.Packet) {
	var ok [2]bool
	for i, v := range [2]int{0, t38.MaxVersion} {
		ok[i] = decodeTrim(p, v, scratch) == nil && scratch.IsData && plausible(scratch)
	}
	switch {
	case ok[0] && !ok[1]:
		f.score[0]++
	case ok[1] && !ok[0]:
		f.score[1]++
	}
}

// prefers3 reports whether a flow's IFPs read better as version 3 than as
// version 0; a flow whose IFPs read alike both ways (a receiver's short
// answers often do) follows the opposite direction: both ends of a call
// use the version their SDP agreed (T38FaxVersion).
func (r *Reader) prefers3(f *flow) bool {
	if f.score[0] == f.score[1] {
		if rev := r.byFlow[Flow{f.Flow.Dst, f.Flow.Src}]; rev != nil {
			return rev.score[1] > rev.score[0]
		}
	}
	return f.score[1] > f.score[0]
}

// decode decodes an IFP as the flow's version: the one given, or the
// syntax that has read the flow's data IFPs sensibly more often (see
// prefers3), then the other.
func (r *Reader) decode(f *flow, p *IFP) (int, error) {
	p.Packet.Fields = make([]t38.Field, 0, 2)
	if r.opt.ForceVersion {
		return r.opt.Version, decodeTrim(p, r.opt.Version, &p.Packet)
	}
	order := [2]int{0, t38.MaxVersion}
	if r.prefers3(f) {
		order = [2]int{t38.MaxVersion, 0}
	}
	err := decodeTrim(p, order[0], &p.Packet)
	if err == nil {
		return order[0], nil
	}
	if decodeTrim(p, order[1], &p.Packet) == nil {
		return order[1], nil
	}
	_ = decodeTrim(p, order[0], &p.Packet) // leave the first reading's partial packet
	return order[0], err
}

// release hands out the pending IFPs older than the holdback (all with
// final), in time order; IFPs of the same time keep their order.
func (r *Reader) release(final bool) {
	if len(r.pending) == 0 {
		return
	}
	slices.SortStableFunc(r.pending, func(a, b IFP) int { return a.Time.Compare(b.Time) })
	limit := r.now.Add(-holdback)
	n := 0
	for n < len(r.pending) && (final || !r.pending[n].Time.After(limit)) {
		n++
	}
	for i := range n {
		p := &r.pending[i]
		f := r.flows[p.FlowIndex]
		p.Version, p.Err = r.decode(f, p)
		if p.Err != nil {
			f.BadIFP++
		}
	}
	r.ready = append(r.ready, r.pending[:n]...)
	r.pending = append(r.pending[:0], r.pending[n:]...)
}

// decodeTrim decodes p.Data as version v into pk; an IFP rebuilt by FEC
// is first cut to its own length (parity is as long as its group's
// longest packet).
func decodeTrim(p *IFP, v int, pk *t38.Packet) error {
	b := p.Data
	if p.FEC {
		if n, err := t38.IFPLen(b, v); err == nil {
			b = b[:n]
		}
	}
	return t38.Decode(b, v, pk)
}
