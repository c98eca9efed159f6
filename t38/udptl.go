package t38

import (
	"errors"
	"fmt"
)

// Errors of the UDPTL layer.
var (
	// ErrUDPTL reports a malformed UDPTL datagram; the wrapping error says
	// what and at which octet.
	ErrUDPTL = errors.New("t38: malformed UDPTL packet")
	// ErrTooBig reports an IFP that does not fit the negotiated
	// T38FaxMaxDatagram, or exceeds the decoder's MaxIFP.
	ErrTooBig = errors.New("t38: IFP too big")
	// ErrConfig reports an unusable Encoder or Decoder configuration.
	ErrConfig = errors.New("t38: bad UDPTL configuration")
)

// Scheme is the UDPTL error recovery scheme (T.38 §9.1.4, T38FaxUdpEC).
type Scheme uint8

const (
	// SchemeNone sends no recovery: an empty secondary-ifp-packets.
	SchemeNone Scheme = iota
	// SchemeRedundancy repeats the previous IFPs (t38UDPRedundancy).
	SchemeRedundancy
	// SchemeFEC sends parity over earlier IFPs (t38UDPFEC).
	SchemeFEC
)

func (s Scheme) String() string {
	switch s {
	case SchemeNone:
		return "none"
	case SchemeRedundancy:
		return "redundancy"
	case SchemeFEC:
		return "fec"
	}
	return fmt.Sprintf("scheme(%d)", uint8(s))
}

// Limits of what this package sends and keeps. T.38 leaves them open; these
// cover every deployed configuration (SpanDSP and Asterisk keep 16 packets).
const (
	// MaxRedundancy is the most secondary IFPs an Encoder sends.
	MaxRedundancy = 15
	// MaxFECEntries and MaxFECSpan bound fec-data and fec-npackets, and
	// span*entries may be at most MaxFECSpan too (the history kept).
	MaxFECEntries = 16
	MaxFECSpan    = 64
	// MaxWindow is the largest Decoder window.
	MaxWindow = 64

	ring = 128 // history ring of Encoder and Decoder, a power of 2 > MaxWindow+MaxFECSpan
)

// UDPTLPacket is the UDPTL datagram of T.38 §9.1 and Annex A:
//
//	UDPTLPacket ::= SEQUENCE {
//	    seq-number          INTEGER (0..65535),
//	    primary-ifp-packet  TYPE-IDENTIFIER.&Type(IFPPacket),
//	    error-recovery      CHOICE {
//	        secondary-ifp-packets  SEQUENCE OF TYPE-IDENTIFIER.&Type(IFPPacket),
//	        fec-info  SEQUENCE {
//	            fec-npackets  INTEGER,
//	            fec-data      SEQUENCE OF OCTET STRING } } }
//
// In ALIGNED PER that is: 2 octets of sequence number; the primary IFP as
// an open type (length determinant, octets); one octet 0x00 or 0x80 for the
// choice (1 bit, then alignment); then either a count and that many open
// types, or fec-npackets as an unconstrained INTEGER (length octet, two's
// complement octets), a count, and that many octet strings.
//
// Secondary holds the redundant IFPs most recent first: Secondary[i] is the
// primary of Seq-1-i. With FEC, entry m of FECData is the XOR of the
// FECSpan packets Seq-FECSpan*E+m+k*E (k = 0..FECSpan-1, E = len(FECData)),
// each zero-padded to the longest: the layout of SpanDSP and Asterisk.
type UDPTLPacket struct {
	Seq       uint16
	Primary   []byte
	FEC       bool
	Secondary [][]byte
	FECSpan   int
	FECData   [][]byte
}

// AppendEncode appends the datagram to dst. Lengths of 16384 octets or more
// (which need PER fragmentation) are refused.
func (u *UDPTLPacket) AppendEncode(dst []byte) ([]byte, error) {
	out := append(dst, byte(u.Seq>>8), byte(u.Seq))
	var err error
	if out, err = appendOpen(out, u.Primary); err != nil {
		return dst, fmt.Errorf("primary: %w", err)
	}
	if !u.FEC {
		out = append(out, 0x00)
		if out, err = appendLength(out, len(u.Secondary)); err != nil {
			return dst, err
		}
		for i, s := range u.Secondary {
			if out, err = appendOpen(out, s); err != nil {
				return dst, fmt.Errorf("secondary %d: %w", i, err)
			}
		}
		return out, nil
	}
	if u.FECSpan < 0 || u.FECSpan > 0x7fff {
		return dst, fmt.Errorf("%w: fec-npackets %d", ErrUDPTL, u.FECSpan)
	}
	out = append(out, 0x80)
	// fec-npackets: unconstrained INTEGER, a length octet then the
	// shortest two's complement (X.691 §12.2.6, §10.4).
	if u.FECSpan < 0x80 {
		out = append(out, 1, byte(u.FECSpan))
	} else {
		out = append(out, 2, byte(u.FECSpan>>8), byte(u.FECSpan))
	}
	if out, err = appendLength(out, len(u.FECData)); err != nil {
		return dst, err
	}
	for i, f := range u.FECData {
		if out, err = appendLength(out, len(f)); err != nil {
			return dst, fmt.Errorf("fec-data %d: %w", i, err)
		}
		out = append(out, f...)
	}
	return out, nil
}

// encodedLen is the size AppendEncode produces, without encoding.
func (u *UDPTLPacket) encodedLen() int {
	n := 2 + openLen(len(u.Primary)) + 1 + lengthLen(len(u.Secondary))
	if !u.FEC {
		for _, s := range u.Secondary {
			n += openLen(len(s))
		}
		return n
	}
	n = 2 + openLen(len(u.Primary)) + 1 + 2 + lengthLen(len(u.FECData))
	if u.FECSpan >= 0x80 {
		n++
	}
	for _, f := range u.FECData {
		n += lengthLen(len(f)) + len(f)
	}
	return n
}

func lengthLen(n int) int {
	if n < 0x80 {
		return 1
	}
	return 2
}

// openLen: an empty open type is sent as one zero octet (X.691 §10.1.3).
func openLen(n int) int {
	if n == 0 {
		n = 1
	}
	return lengthLen(n) + n
}

func appendLength(dst []byte, n int) ([]byte, error) {
	switch {
	case n < 0x80:
		return append(dst, byte(n)), nil
	case n < 0x4000:
		return append(dst, 0x80|byte(n>>8), byte(n)), nil
	}
	return dst, fmt.Errorf("%w: length %d needs fragmentation", ErrTooBig, n)
}

func appendOpen(dst, b []byte) ([]byte, error) {
	if len(b) == 0 {
		return append(dst, 1, 0), nil
	}
	dst, err := appendLength(dst, len(b))
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// DecodeUDPTL decodes the datagram b into u without allocating: Primary,
// Secondary and FECData alias b, and u's slices are reused (they grow only
// past their capacity, and never beyond what b can hold).
func DecodeUDPTL(b []byte, u *UDPTLPacket) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: decoder panic: %v", ErrUDPTL, r)
		}
	}()
	u.Primary, u.FEC, u.FECSpan = nil, false, 0
	u.Secondary, u.FECData = u.Secondary[:0], u.FECData[:0]
	if len(b) < 2 {
		return fmt.Errorf("%w: %d octets, no sequence number", ErrUDPTL, len(b))
	}
	u.Seq = uint16(b[0])<<8 | uint16(b[1])
	pos := 2
	if u.Primary, pos, err = readOpen(b, pos); err != nil {
		return fmt.Errorf("primary: %w", err)
	}
	if pos >= len(b) {
		return fmt.Errorf("%w: no error-recovery at octet %d", ErrUDPTL, pos)
	}
	choice := b[pos]
	pos++
	if choice&0x80 == 0 {
		n, p, err := readLength(b, pos)
		if err != nil {
			return fmt.Errorf("secondary count: %w", err)
		}
		pos = p
		if n*2 > len(b)-pos { // every open type takes 2 octets at least
			return fmt.Errorf("%w: %d secondaries in %d octets at octet %d", ErrUDPTL, n, len(b)-pos, pos)
		}
		for i := range n {
			var s []byte
			if s, pos, err = readOpen(b, pos); err != nil {
				return fmt.Errorf("secondary %d: %w", i, err)
			}
			u.Secondary = append(u.Secondary, s)
		}
	} else {
		u.FEC = true
		n, p, err := readLength(b, pos)
		if err != nil {
			return fmt.Errorf("fec-npackets: %w", err)
		}
		pos = p
		if n < 1 || n > 4 || pos+n > len(b) {
			return fmt.Errorf("%w: fec-npackets of %d octets at octet %d", ErrUDPTL, n, pos-1)
		}
		v := int64(int8(b[pos]))
		for i := 1; i < n; i++ {
			v = v<<8 | int64(b[pos+i])
		}
		pos += n
		if v < 0 || v > 0x7fff {
			return fmt.Errorf("%w: fec-npackets %d", ErrUDPTL, v)
		}
		u.FECSpan = int(v)
		if n, pos, err = readLength(b, pos); err != nil {
			return fmt.Errorf("fec-data count: %w", err)
		}
		if n > len(b)-pos {
			return fmt.Errorf("%w: %d fec-data in %d octets at octet %d", ErrUDPTL, n, len(b)-pos, pos)
		}
		for i := range n {
			l, p, err := readLength(b, pos)
			if err != nil {
				return fmt.Errorf("fec-data %d: %w", i, err)
			}
			if p+l > len(b) {
				return fmt.Errorf("%w: fec-data %d wants %d octets at octet %d", ErrUDPTL, i, l, p)
			}
			u.FECData = append(u.FECData, b[p:p+l:p+l])
			pos = p + l
		}
	}
	if pos != len(b) {
		return fmt.Errorf("%w: %d octets left over at octet %d", ErrUDPTL, len(b)-pos, pos)
	}
	return nil
}

func readLength(b []byte, pos int) (int, int, error) {
	if pos >= len(b) {
		return 0, pos, fmt.Errorf("%w: length missing at octet %d", ErrUDPTL, pos)
	}
	v := b[pos]
	switch {
	case v&0x80 == 0:
		return int(v), pos + 1, nil
	case v&0x40 == 0:
		if pos+1 >= len(b) {
			return 0, pos, fmt.Errorf("%w: two-octet length cut at octet %d", ErrUDPTL, pos)
		}
		return int(v&0x3f)<<8 | int(b[pos+1]), pos + 2, nil
	}
	return 0, pos, fmt.Errorf("%w: fragmented length at octet %d", ErrUDPTL, pos)
}

func readOpen(b []byte, pos int) ([]byte, int, error) {
	n, p, err := readLength(b, pos)
	if err != nil {
		return nil, pos, err
	}
	if p+n > len(b) {
		return nil, pos, fmt.Errorf("%w: open type of %d octets at octet %d, %d left", ErrUDPTL, n, p, len(b)-p)
	}
	return b[p : p+n : p+n], p + n, nil
}

// EncoderConfig sets up an Encoder.
type EncoderConfig struct {
	Scheme Scheme
	// Redundancy is the number of previous IFPs each datagram repeats
	// (SchemeRedundancy), 0..MaxRedundancy.
	Redundancy int
	// FECSpan (fec-npackets: packets per parity group) and FECEntries
	// (parity entries per datagram) for SchemeFEC; span*entries packets
	// before each one are covered. Asterisk's defaults are 3 and 3.
	FECSpan, FECEntries int
	// MaxDatagram is the peer's T38FaxMaxDatagram, 0 for no limit. By
	// T.38 Annex D it bounds the whole UDPTL datagram: the Encoder drops
	// the oldest redundancy (or FEC entries) until the datagram fits, and
	// refuses an IFP that does not fit alone.
	MaxDatagram int
	// MaxDatagramIsIFP reads MaxDatagram as the largest IFP, as some peers
	// do: only the primary IFP is checked and recovery is never dropped.
	MaxDatagramIsIFP bool
	// FirstSeq is the first sequence number (T.38 starts at 0).
	FirstSeq uint16
}

// Encoder wraps IFPs into UDPTL datagrams: it numbers them and keeps the
// history for redundancy and FEC. It allocates only while its history
// buffers grow to the largest IFP sent.
type Encoder struct {
	cfg  EncoderConfig
	seq  uint16
	sent int // datagrams sent, to wind FEC up
	hist [ring][]byte
	pkt  UDPTLPacket
	sec  [MaxRedundancy][]byte
	fec  [MaxFECEntries][]byte
	fecb [MaxFECEntries][]byte // parity buffers
}

// NewEncoder checks cfg and makes an Encoder.
func NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	switch cfg.Scheme {
	case SchemeNone:
	case SchemeRedundancy:
		if cfg.Redundancy < 0 || cfg.Redundancy > MaxRedundancy {
			return nil, fmt.Errorf("%w: redundancy %d not in 0..%d", ErrConfig, cfg.Redundancy, MaxRedundancy)
		}
	case SchemeFEC:
		if cfg.FECSpan < 1 || cfg.FECEntries < 1 || cfg.FECEntries > MaxFECEntries || cfg.FECSpan*cfg.FECEntries > MaxFECSpan {
			return nil, fmt.Errorf("%w: FEC span %d entries %d (span*entries <= %d, entries <= %d)", ErrConfig, cfg.FECSpan, cfg.FECEntries, MaxFECSpan, MaxFECEntries)
		}
	default:
		return nil, fmt.Errorf("%w: scheme %d", ErrConfig, cfg.Scheme)
	}
	if cfg.MaxDatagram < 0 {
		return nil, fmt.Errorf("%w: MaxDatagram %d", ErrConfig, cfg.MaxDatagram)
	}
	return &Encoder{cfg: cfg, seq: cfg.FirstSeq}, nil
}

// Seq returns the sequence number the next datagram will carry.
func (e *Encoder) Seq() uint16 { return e.seq }

// Append wraps ifp in the next datagram and appends it to dst.
func (e *Encoder) Append(dst, ifp []byte) ([]byte, error) {
	if len(ifp) == 0 {
		return dst, fmt.Errorf("%w: empty IFP", ErrUDPTL)
	}
	max := e.cfg.MaxDatagram
	if max > 0 {
		need := len(ifp)
		if !e.cfg.MaxDatagramIsIFP {
			// seq, primary, and the smallest error-recovery: 0x00 0x00,
			// or 0x80 0x01 span 0x00.
			need = 2 + openLen(len(ifp)) + 2
			if e.cfg.Scheme == SchemeFEC {
				need += 2
			}
		}
		if need > max {
			return dst, fmt.Errorf("%w: %d octets, T38FaxMaxDatagram %d", ErrTooBig, need, max)
		}
	}
	if len(ifp) >= 0x4000 {
		return dst, fmt.Errorf("%w: %d octets", ErrTooBig, len(ifp))
	}
	seq := e.seq
	slot := &e.hist[seq&(ring-1)]
	*slot = append((*slot)[:0], ifp...)
	p := &e.pkt
	*p = UDPTLPacket{Seq: seq, Primary: *slot, Secondary: e.sec[:0], FECData: e.fec[:0]}
	fit := func() bool {
		return max == 0 || e.cfg.MaxDatagramIsIFP || p.encodedLen() <= max
	}
	switch e.cfg.Scheme {
	case SchemeRedundancy:
		n := min(e.cfg.Redundancy, e.sent)
		for i := range n {
			p.Secondary = append(p.Secondary, e.hist[(seq-1-uint16(i))&(ring-1)])
		}
		for !fit() {
			p.Secondary = p.Secondary[:len(p.Secondary)-1]
		}
	case SchemeFEC:
		p.FEC = true
		span, entries := e.cfg.FECSpan, e.cfg.FECEntries
		if e.sent < span*entries {
			// Wind up as SpanDSP does: cover only packets that exist.
			entries = e.sent / span
		}
		for {
			e.parity(p, seq, span, entries)
			if fit() || entries == 0 {
				break
			}
			entries--
		}
	}
	out, err := p.AppendEncode(dst)
	if err != nil {
		return dst, err
	}
	e.seq++
	e.sent++
	return out, nil
}

// parity fills p's FEC for span and entries: entry m is the XOR of packets
// seq-span*entries+m+k*entries, k = 0..span-1, zero-padded to the longest.
func (e *Encoder) parity(p *UDPTLPacket, seq uint16, span, entries int) {
	p.FECData = p.FECData[:0]
	p.FECSpan = span
	if entries == 0 {
		p.FECSpan = 0
		return
	}
	base := seq - uint16(span*entries)
	for m := range entries {
		buf := e.fecb[m][:0]
		for k := range span {
			src := e.hist[(base+uint16(m+k*entries))&(ring-1)]
			for len(buf) < len(src) {
				buf = append(buf, 0)
			}
			for j, c := range src {
				buf[j] ^= c
			}
		}
		e.fecb[m] = buf
		p.FECData = append(p.FECData, buf)
	}
}

// DecoderConfig sets up a Decoder.
type DecoderConfig struct {
	// Window is how many sequence numbers past the next one to deliver the
	// Decoder holds (for reordering and recovery), 1..MaxWindow; 0 means 32.
	Window int
	// Reorder is how many newer packets a gap waits for beyond what the
	// peer's redundancy or FEC could still repair; 0 means 2.
	Reorder int
	// MaxIFP bounds an IFP the Decoder keeps (and so its memory: about
	// 128*MaxIFP octets at most); 0 means 2048.
	MaxIFP int
	// Version, when TrimFEC is set, is the T.38 version used to cut an
	// IFP rebuilt by FEC to its own length (parity comes back as long as
	// the longest packet of its group).
	Version int
	TrimFEC bool
}

// Delivery is one IFP handed out in sequence order.
type Delivery struct {
	Seq uint16
	// IFP is valid until the next call to Receive.
	IFP []byte
	// Lost counts the sequence numbers given up just before this one.
	Lost int
	// Recovered is set when the IFP came from redundancy or FEC, not from
	// its own datagram; FEC says which.
	Recovered, FEC bool
}

// Stats counts what a Decoder saw.
type Stats struct {
	Datagrams, Malformed  int // datagrams given to Receive, and refused
	Delivered, Lost       int // IFPs handed out, and sequence numbers given up
	FromRedundancy        int // IFPs recovered from secondaries
	FromFEC               int // IFPs rebuilt from parity
	Duplicates, Late      int // primaries seen before, or after their turn passed
	Resyncs               int // sequence jumps too large to be loss
	Oversize, FECUnusable int // IFPs over MaxIFP; FEC info beyond the limits
}

type rxSlot struct {
	seq       uint16
	have      bool // data holds the IFP of seq
	recovered bool
	fec       bool
	data      []byte
	// FEC info carried by datagram seq
	span, entries int
	parity        []byte
	off           [MaxFECEntries + 1]int
}

// Decoder takes UDPTL datagrams in any order, with duplicates and losses,
// and hands the IFPs out in sequence order, each once, recovering lost ones
// from redundancy or FEC (one missing packet per parity group) and
// reporting the rest as lost. Its window is bounded: a gap is given up once
// the peer's recovery can no longer fill it and Reorder newer packets have
// come, or when the window is full.
//
// Use: Receive each datagram, then call Next until it reports false. It
// allocates only while its buffers grow to the largest IFP seen (bounded by
// MaxIFP).
type Decoder struct {
	cfg     DecoderConfig
	started bool
	next    uint16 // next sequence number to deliver
	newest  uint16 // highest sequence number seen
	cover   int    // how far back the peer's latest recovery reaches
	flush   bool
	lost    int // lost run before next
	slots   [ring]rxSlot
	pkt     UDPTLPacket
	stats   Stats
}

// resyncDistance: a sequence number this far from the expected one is a
// restart of the sequence, not loss or lateness (SpanDSP uses 2000).
const resyncDistance = 2000

// NewDecoder checks cfg and makes a Decoder.
func NewDecoder(cfg DecoderConfig) (*Decoder, error) {
	if cfg.Window == 0 {
		cfg.Window = 32
	}
	if cfg.Reorder == 0 {
		cfg.Reorder = 2
	}
	if cfg.MaxIFP == 0 {
		cfg.MaxIFP = 2048
	}
	if cfg.Window < 1 || cfg.Window > MaxWindow || cfg.Reorder < 0 || cfg.MaxIFP < 1 || cfg.MaxIFP >= 0x4000 {
		return nil, fmt.Errorf("%w: window %d reorder %d MaxIFP %d", ErrConfig, cfg.Window, cfg.Reorder, cfg.MaxIFP)
	}
	if cfg.TrimFEC && (cfg.Version < 0 || cfg.Version > MaxVersion) {
		return nil, fmt.Errorf("%w: version %d", ErrConfig, cfg.Version)
	}
	d := &Decoder{cfg: cfg}
	d.pkt.Secondary = make([][]byte, 0, 16)
	d.pkt.FECData = make([][]byte, 0, MaxFECEntries)
	return d, nil
}

// Stats returns the counters so far.
func (d *Decoder) Stats() Stats { return d.stats }

func dist(a, b uint16) int { return int(int16(a - b)) }

func (d *Decoder) slot(seq uint16) *rxSlot { return &d.slots[seq&(ring-1)] }

func (d *Decoder) has(seq uint16) bool {
	s := d.slot(seq)
	return s.have && s.seq == seq
}

// store keeps data as the IFP of seq unless it is held already; a primary
// (recovered false) replaces a copy rebuilt by FEC, which may be longer.
func (d *Decoder) store(seq uint16, data []byte, recovered, fec bool) bool {
	if len(data) > d.cfg.MaxIFP {
		d.stats.Oversize++
		return false
	}
	s := d.slot(seq)
	if s.seq != seq {
		*s = rxSlot{seq: seq, data: s.data[:0], parity: s.parity[:0]}
	}
	if s.have && (recovered || !s.fec) {
		return false
	}
	s.data = append(s.data[:0], data...)
	s.have, s.recovered, s.fec = true, recovered, fec
	return true
}

// Receive takes one datagram. A malformed one is counted and its error
// returned; the Decoder's state is unchanged by it.
func (d *Decoder) Receive(b []byte) error {
	d.stats.Datagrams++
	p := &d.pkt
	if err := DecodeUDPTL(b, p); err != nil {
		d.stats.Malformed++
		return err
	}
	if len(p.Primary) == 0 {
		d.stats.Malformed++
		return fmt.Errorf("%w: empty primary IFP", ErrUDPTL)
	}
	seq := p.Seq
	if !d.started {
		d.reset(seq - uint16(min(len(p.Secondary), d.cfg.Window-1)))
	}
	// Classify against the next sequence number to deliver.
	off := dist(seq, d.next)
	if off < -resyncDistance || off > resyncDistance {
		d.stats.Resyncs++
		d.stats.Lost += d.pendingLoss()
		d.reset(seq - uint16(min(len(p.Secondary), d.cfg.Window-1)))
		off = dist(seq, d.next)
	}
	if off >= d.cfg.Window {
		// Out of window: give up the oldest sequence numbers.
		for dist(seq, d.next) >= d.cfg.Window {
			if d.has(d.next) {
				d.stats.Lost++ // held but never pulled: the caller fell behind
			} else {
				d.lost++
			}
			d.next++
		}
	}
	if dist(seq, d.newest) > 0 {
		d.newest = seq
	}
	if dist(seq, d.next) < 0 {
		if d.has(seq) {
			d.stats.Duplicates++
		} else {
			d.stats.Late++
			// Keep it anyway: FEC groups may still need it.
			if dist(d.newest, seq) < ring-MaxWindow {
				d.store(seq, p.Primary, false, false)
			}
		}
		return nil
	}
	if !d.store(seq, p.Primary, false, false) {
		if d.has(seq) && !d.slot(seq).recovered {
			d.stats.Duplicates++
		}
	}
	s := d.slot(seq)
	if s.seq == seq {
		s.span, s.entries, s.parity = 0, 0, s.parity[:0]
	}
	if !p.FEC {
		d.cover = len(p.Secondary)
		for i, sec := range p.Secondary {
			q := seq - 1 - uint16(i)
			if dist(q, d.next) < 0 {
				break
			}
			if len(sec) > 0 && d.store(q, sec, true, false) {
				d.stats.FromRedundancy++
			}
		}
		return nil
	}
	entries := len(p.FECData)
	if p.FECSpan < 1 || entries < 1 || entries > MaxFECEntries || p.FECSpan*entries > MaxFECSpan {
		if entries > 0 && p.FECSpan > 0 {
			d.stats.FECUnusable++
		}
		d.cover = 0
		return nil
	}
	d.cover = p.FECSpan * entries
	if s.seq == seq {
		s.span, s.entries = p.FECSpan, entries
		s.off[0] = 0
		for m, f := range p.FECData {
			if len(f) > d.cfg.MaxIFP {
				d.stats.Oversize++
				s.span, s.entries = 0, 0
				break
			}
			s.parity = append(s.parity, f...)
			s.off[m+1] = len(s.parity)
		}
	}
	d.repair()
	return nil
}

func (d *Decoder) reset(next uint16) {
	d.started = true
	d.next, d.newest = next, next
	d.lost = 0
	d.flush = false
	for i := range d.slots {
		d.slots[i].have = false
		d.slots[i].span = 0
	}
}

// pendingLoss counts what a reset throws away.
func (d *Decoder) pendingLoss() int {
	n := d.lost
	for q := d.next; dist(d.newest, q) >= 0; q++ {
		if !d.has(q) {
			n++
		}
	}
	return n
}

// repair rebuilds missing packets from the FEC info of recent datagrams
// until no group has exactly one member missing.
func (d *Decoder) repair() {
	for progress := true; progress; {
		progress = false
		// Only packets still to deliver are worth rebuilding.
		missing := false
		for q := d.next; dist(d.newest, q) >= 0; q++ {
			if !d.has(q) {
				missing = true
				break
			}
		}
		if !missing {
			return
		}
		for back := 0; back < MaxFECSpan+MaxWindow && back < ring; back++ {
			p := d.newest - uint16(back)
			s := d.slot(p)
			if s.seq != p || s.span == 0 {
				continue
			}
			base := p - uint16(s.span*s.entries)
			for m := range s.entries {
				var hole uint16
				holes := 0
				for k := range s.span {
					q := base + uint16(m+k*s.entries)
					if !d.has(q) {
						hole = q
						holes++
					}
				}
				if holes != 1 || dist(hole, d.next) < 0 {
					continue
				}
				d.rebuild(hole, s, m, base)
				progress = true
			}
		}
	}
}

func (d *Decoder) rebuild(hole uint16, s *rxSlot, m int, base uint16) {
	t := d.slot(hole)
	if t.seq != hole {
		*t = rxSlot{seq: hole, data: t.data[:0], parity: t.parity[:0]}
	}
	t.data = append(t.data[:0], s.parity[s.off[m]:s.off[m+1]]...)
	for k := range s.span {
		q := base + uint16(m+k*s.entries)
		if q == hole {
			continue
		}
		for j, c := range d.slot(q).data {
			if j < len(t.data) {
				t.data[j] ^= c
			}
		}
	}
	if d.cfg.TrimFEC {
		if n, err := IFPLen(t.data, d.cfg.Version); err == nil {
			t.data = t.data[:n]
		}
	}
	t.have, t.recovered, t.fec = true, true, true
	d.stats.FromFEC++
}

// Flush gives up every gap before the newest packet received, so that
// everything held can be delivered: call it when the stream ends or has
// been quiet too long for anything more to arrive.
func (d *Decoder) Flush() { d.flush = true }

// Next returns the next IFP in sequence order, or false when the next one
// is neither here nor yet given up.
func (d *Decoder) Next() (Delivery, bool) {
	if !d.started {
		return Delivery{}, false
	}
	for dist(d.newest, d.next) >= 0 {
		if d.has(d.next) {
			s := d.slot(d.next)
			del := Delivery{Seq: d.next, IFP: s.data, Lost: d.lost, Recovered: s.recovered, FEC: s.fec}
			d.stats.Delivered++
			d.stats.Lost += d.lost
			d.lost = 0
			d.next++
			return del, true
		}
		// A gap: wait while the peer's recovery or reordering may fill it.
		if !d.flush && dist(d.newest, d.next) <= d.cover+d.cfg.Reorder {
			return Delivery{}, false
		}
		d.lost++
		d.next++
	}
	d.flush = false
	return Delivery{}, false
}

// Drain hands every deliverable IFP to f, in order.
func (d *Decoder) Drain(f func(Delivery)) {
	for {
		del, ok := d.Next()
		if !ok {
			return
		}
		f(del)
	}
}
