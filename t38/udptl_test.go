package t38

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// UDPTL vectors, derived from Annex A in ALIGNED PER:
//
//	seq-number INTEGER (0..65535)      2 octets
//	primary-ifp-packet (open type)     length determinant + octets
//	error-recovery CHOICE (2)          1 bit + 7 padding: 00 or 80
//	secondary-ifp-packets SEQUENCE OF  count + open types, newest first
//	fec-npackets INTEGER               length 01 + one two's complement octet
//	fec-data SEQUENCE OF OCTET STRING  count + (length + octets) each
var udptlVectors = []struct {
	name string
	hex  string
	u    UDPTLPacket
}{
	{"no recovery", "0102 0106 00 00", UDPTLPacket{Seq: 0x0102, Primary: []byte{0x06}}},
	{"redundancy", "0005 0104 00 02 0102 0100",
		UDPTLPacket{Seq: 5, Primary: []byte{0x04}, Secondary: [][]byte{{0x02}, {0x00}}}},
	{"fec", "0006 011e 80 01 02 02 02aabb 01cc",
		UDPTLPacket{Seq: 6, Primary: []byte{0x1e}, FEC: true, FECSpan: 2, FECData: [][]byte{{0xaa, 0xbb}, {0xcc}}}},
	// An IFP of 200 octets: length 10xxxxxx xxxxxxxx = 80 c8.
	{"long", "ffff 80c8" + string(bytes.Repeat([]byte("00"), 200)) + "00 00",
		UDPTLPacket{Seq: 0xffff, Primary: make([]byte, 200)}},
}

func sameUDPTL(a, b *UDPTLPacket) bool {
	if a.Seq != b.Seq || !bytes.Equal(a.Primary, b.Primary) || a.FEC != b.FEC || a.FECSpan != b.FECSpan ||
		len(a.Secondary) != len(b.Secondary) || len(a.FECData) != len(b.FECData) {
		return false
	}
	for i := range a.Secondary {
		if !bytes.Equal(a.Secondary[i], b.Secondary[i]) {
			return false
		}
	}
	for i := range a.FECData {
		if !bytes.Equal(a.FECData[i], b.FECData[i]) {
			return false
		}
	}
	return true
}

func TestUDPTLVectors(t *testing.T) {
	for _, v := range udptlVectors {
		want := unhex(t, v.hex)
		got, err := v.u.AppendEncode(nil)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: % x %v, want % x", v.name, got, err, want)
		}
		if n := v.u.encodedLen(); n != len(want) {
			t.Errorf("%s: encodedLen %d, want %d", v.name, n, len(want))
		}
		var u UDPTLPacket
		if err := DecodeUDPTL(want, &u); err != nil || !sameUDPTL(&u, &v.u) {
			t.Errorf("%s: decoded %+v %v", v.name, u, err)
		}
	}
}

func TestUDPTLErrors(t *testing.T) {
	for _, h := range []string{
		"", "00", "0001", "0001 05 00", "0001 0100", "0001 0100 00", "0001 0100 00 01",
		"0001 0100 00 01 0300", "0001 0100 80 01", "0001 0100 80 01 02 03", "0001 0100 00 00 00",
		"0001 c0", "0001 0100 80 05 0000000001 00", "0001 0100 80 01 ff 00",
	} {
		var u UDPTLPacket
		if err := DecodeUDPTL(unhex(t, h), &u); !errors.Is(err, ErrUDPTL) {
			t.Errorf("%s: %v", h, err)
		}
	}
}

// The Encoder against the layout of T.38 §9.1 worked by hand: redundancy
// newest first; FEC winding up as SpanDSP does and then entry m = XOR of
// seq-span*entries+m+k*entries.
func TestEncoderLayout(t *testing.T) {
	ifps := [][]byte{{0x02}, {0x04, 0x44}, {0x06}, {0x1e, 0x10, 0x01}, {0x00}, {0x0e}}
	e, _ := NewEncoder(EncoderConfig{Scheme: SchemeRedundancy, Redundancy: 2})
	var u UDPTLPacket
	for i, f := range ifps {
		b, err := e.Append(nil, f)
		if err != nil || DecodeUDPTL(b, &u) != nil {
			t.Fatal(err)
		}
		if int(u.Seq) != i || !bytes.Equal(u.Primary, f) || len(u.Secondary) != min(i, 2) {
			t.Fatalf("%d: %+v", i, u)
		}
		for j, s := range u.Secondary {
			if !bytes.Equal(s, ifps[i-1-j]) {
				t.Fatalf("%d: secondary %d % x", i, j, s)
			}
		}
	}
	e, _ = NewEncoder(EncoderConfig{Scheme: SchemeFEC, FECSpan: 2, FECEntries: 2})
	for i, f := range ifps {
		b, err := e.Append(nil, f)
		if err != nil || DecodeUDPTL(b, &u) != nil {
			t.Fatal(err)
		}
		switch i {
		case 0, 1: // nothing to cover yet: span 0, no entries
			if !u.FEC || u.FECSpan != 0 || len(u.FECData) != 0 {
				t.Fatalf("%d: %+v", i, u)
			}
		case 2, 3: // one entry over the 2 packets before
			if u.FECSpan != 2 || len(u.FECData) != 1 || !bytes.Equal(u.FECData[0], xor(ifps[i-2], ifps[i-1])) {
				t.Fatalf("%d: %+v", i, u)
			}
		default: // entry 0 = {i-4, i-2}, entry 1 = {i-3, i-1}
			if len(u.FECData) != 2 || !bytes.Equal(u.FECData[0], xor(ifps[i-4], ifps[i-2])) || !bytes.Equal(u.FECData[1], xor(ifps[i-3], ifps[i-1])) {
				t.Fatalf("%d: % x", i, u.FECData)
			}
		}
	}
	// 04 44 ^ 06 = 02 44; 02 ^ 06 = 04
	if got := xor([]byte{4, 0x44}, []byte{6}); !bytes.Equal(got, []byte{2, 0x44}) {
		t.Fatal(got)
	}
}

func xor(a, b []byte) []byte {
	out := make([]byte, max(len(a), len(b)))
	copy(out, a)
	for i, c := range b {
		out[i] ^= c
	}
	return out
}

func TestMaxDatagram(t *testing.T) {
	ifp := make([]byte, 100)
	e, _ := NewEncoder(EncoderConfig{Scheme: SchemeRedundancy, Redundancy: 5, MaxDatagram: 250})
	var u UDPTLPacket
	for i := range 10 {
		b, err := e.Append(nil, ifp)
		if err != nil || len(b) > 250 || DecodeUDPTL(b, &u) != nil {
			t.Fatal(i, len(b), err)
		}
		// 2 + 101 + 1 + 1 = 105, one secondary more is 206, two 307.
		if i > 0 && len(u.Secondary) != 1 {
			t.Fatalf("%d secondaries", len(u.Secondary))
		}
	}
	if _, err := e.Append(nil, make([]byte, 247)); !errors.Is(err, ErrTooBig) {
		t.Fatal(err)
	}
	e, _ = NewEncoder(EncoderConfig{Scheme: SchemeRedundancy, Redundancy: 5, MaxDatagram: 250, MaxDatagramIsIFP: true})
	for range 6 {
		b, _ := e.Append(nil, ifp)
		DecodeUDPTL(b, &u)
	}
	if len(u.Secondary) != 5 {
		t.Fatal("IFP-size reading dropped redundancy")
	}
	if _, err := e.Append(nil, make([]byte, 251)); !errors.Is(err, ErrTooBig) {
		t.Fatal(err)
	}
	e, _ = NewEncoder(EncoderConfig{Scheme: SchemeFEC, FECSpan: 3, FECEntries: 3, MaxDatagram: 320})
	for i := range 20 {
		b, err := e.Append(nil, ifp)
		if err != nil || len(b) > 320 || DecodeUDPTL(b, &u) != nil {
			t.Fatal(i, len(b), err)
		}
	}
	if len(u.FECData) != 2 { // 2+101+1+3 = 107, +101 a entry
		t.Fatalf("%d entries", len(u.FECData))
	}
}

// channel simulates a lossy network: it drops, duplicates and reorders
// datagrams, with a seeded generator.
type channel struct {
	r                *rand.Rand
	drop, dup, swap  float64
	burst            int // drop runs of up to this many
	held             [][]byte
	dropped, sentDup int
	dropRun          int
	gap              bool // a packet got through since the last run
}

func (c *channel) send(b []byte, out func([]byte)) {
	b = bytes.Clone(b)
	if c.dropRun > 0 {
		c.dropRun--
		c.dropped++
		return
	}
	if c.gap && c.r.Float64() < c.drop {
		// A run of 1..burst losses, never two runs back to back.
		c.dropRun = c.r.IntN(c.burst)
		c.dropped++
		c.gap = false
		return
	}
	c.gap = true
	if c.r.Float64() < c.dup {
		c.held = append(c.held, b)
		c.sentDup++
	}
	if c.r.Float64() < c.swap {
		c.held = append(c.held, b) // one step late
		return
	}
	out(b)
	for _, h := range c.held {
		out(h)
	}
	c.held = c.held[:0]
}

type runResult struct {
	delivered, lost, recovered, fec int
	stats                           Stats
}

// run sends n valid IFPs through enc, the channel and a Decoder and checks
// the properties every delivery must have: in order, each once, intact.
func run(t *testing.T, seed uint64, n int, ec EncoderConfig, c *channel) runResult {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 99))
	c.r = r
	enc, err := NewEncoder(ec)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewDecoder(DecoderConfig{TrimFEC: true, Version: 2, Reorder: 8}) // swaps chain with drop runs
	if err != nil {
		t.Fatal(err)
	}
	ifps := make([][]byte, n)
	for i := range ifps {
		p := randPacket(r, 2)
		for j := range p.Fields {
			if len(p.Fields[j].Data) > 60 {
				p.Fields[j].Data = p.Fields[j].Data[:1+r.IntN(60)]
			}
		}
		ifps[i], _ = p.AppendEncode(nil, 2)
	}
	var res runResult
	next := -1
	check := func(d Delivery) {
		idx := int(d.Seq - ec.FirstSeq)
		if idx <= next || idx >= n {
			t.Fatalf("seed %d: delivered seq %d after %d", seed, idx, next)
		}
		if idx-next-1 != d.Lost && next >= 0 {
			t.Fatalf("seed %d: seq %d reports %d lost, gap is %d", seed, idx, d.Lost, idx-next-1)
		}
		if !bytes.Equal(d.IFP, ifps[idx]) {
			t.Fatalf("seed %d: seq %d: % x, want % x (recovered %v fec %v)", seed, idx, d.IFP, ifps[idx], d.Recovered, d.FEC)
		}
		next = idx
		res.delivered++
		res.lost += d.Lost
		if d.Recovered {
			res.recovered++
		}
		if d.FEC {
			res.fec++
		}
	}
	recv := func(b []byte) {
		if err := dec.Receive(b); err != nil {
			t.Fatal(err)
		}
		dec.Drain(check)
	}
	buf := make([]byte, 0, 2048)
	for _, f := range ifps {
		buf, err = enc.Append(buf[:0], f)
		if err != nil {
			t.Fatal(err)
		}
		c.send(buf, recv)
	}
	for _, h := range c.held {
		recv(h)
	}
	dec.Flush()
	dec.Drain(check)
	res.stats = dec.Stats()
	if res.stats.Delivered != res.delivered || res.stats.Lost != res.lost {
		t.Fatalf("stats %+v vs %+v", res.stats, res)
	}
	return res
}

func TestRedundancyRecovery(t *testing.T) {
	for seed := range uint64(20) {
		// Bursts of at most 3 with 3 secondaries: everything arrives.
		c := &channel{drop: 0.1, dup: 0.05, swap: 0.05, burst: 3}
		res := run(t, seed, 1500, EncoderConfig{Scheme: SchemeRedundancy, Redundancy: 3, FirstSeq: 65000}, c)
		if res.delivered+res.lost > 1500 || res.lost != 0 || res.recovered == 0 {
			t.Fatalf("seed %d: %+v, %d dropped", seed, res, c.dropped)
		}
		if res.stats.Duplicates == 0 {
			t.Fatalf("seed %d: no duplicates seen: %+v", seed, res.stats)
		}
	}
	// Longer bursts than the redundancy: losses, all counted, none wrong.
	c := &channel{drop: 0.1, burst: 8, swap: 0.1}
	res := run(t, 7, 3000, EncoderConfig{Scheme: SchemeRedundancy, Redundancy: 2}, c)
	if res.lost == 0 || res.delivered+res.lost > 3000 {
		t.Fatalf("%+v", res)
	}
	t.Logf("redundancy 2, bursts to 8: %d delivered, %d recovered, %d lost of %d dropped", res.delivered, res.recovered, res.lost, c.dropped)
}

func TestFECRecovery(t *testing.T) {
	for seed := range uint64(20) {
		// Single losses: each parity group misses at most one packet
		// whenever losses are more than span*entries apart.
		c := &channel{drop: 0.03, dup: 0.05, swap: 0.05, burst: 1}
		res := run(t, seed, 1500, EncoderConfig{Scheme: SchemeFEC, FECSpan: 3, FECEntries: 3}, c)
		if res.fec == 0 || res.delivered+res.lost > 1500 {
			t.Fatalf("seed %d: %+v", seed, res)
		}
		if res.lost > c.dropped/4 {
			t.Fatalf("seed %d: lost %d of %d dropped", seed, res.lost, c.dropped)
		}
	}
	// A burst of 3 is repairable with 3 interleaved entries.
	c := &channel{drop: 0.01, burst: 3}
	res := run(t, 3, 3000, EncoderConfig{Scheme: SchemeFEC, FECSpan: 2, FECEntries: 3}, c)
	t.Logf("FEC 2x3, bursts to 3: %d delivered, %d by FEC, %d lost of %d dropped", res.delivered, res.fec, res.lost, c.dropped)
	if res.fec == 0 {
		t.Fatal("nothing rebuilt")
	}
}

// With a lossless, ordered channel the Decoder delivers each IFP as soon as
// it arrives.
func TestDecoderImmediate(t *testing.T) {
	enc, _ := NewEncoder(EncoderConfig{Scheme: SchemeRedundancy, Redundancy: 1})
	dec, _ := NewDecoder(DecoderConfig{})
	for i := range 300 {
		b, _ := enc.Append(nil, []byte{byte(i)})
		if err := dec.Receive(b); err != nil {
			t.Fatal(err)
		}
		d, ok := dec.Next()
		if !ok || d.IFP[0] != byte(i) || d.Lost != 0 || d.Recovered {
			t.Fatalf("%d: %+v %v", i, d, ok)
		}
		if _, ok := dec.Next(); ok {
			t.Fatal("two deliveries")
		}
	}
}

func TestDecoderResyncAndWindow(t *testing.T) {
	dec, _ := NewDecoder(DecoderConfig{Window: 8})
	u := UDPTLPacket{Primary: []byte{0x02}}
	send := func(seq uint16) {
		u.Seq = seq
		b, _ := u.AppendEncode(nil)
		if err := dec.Receive(b); err != nil {
			t.Fatal(err)
		}
	}
	send(10)
	if d, ok := dec.Next(); !ok || d.Seq != 10 {
		t.Fatal(d, ok)
	}
	send(30) // beyond the window of 8: 11..22 given up
	var got []Delivery
	dec.Drain(func(d Delivery) { got = append(got, d) })
	if len(got) != 0 {
		t.Fatal(got)
	}
	dec.Flush()
	dec.Drain(func(d Delivery) { got = append(got, d) })
	if len(got) != 1 || got[0].Seq != 30 || got[0].Lost != 19 {
		t.Fatalf("%+v", got)
	}
	send(20) // late
	send(30) // duplicate
	send(40000)
	dec.Drain(func(d Delivery) { got = append(got, d) })
	s := dec.Stats()
	if s.Late != 1 || s.Duplicates != 1 || s.Resyncs != 1 || len(got) != 2 || got[1].Seq != 40000 {
		t.Fatalf("%+v %+v", s, got)
	}
	if err := dec.Receive([]byte{1}); !errors.Is(err, ErrUDPTL) || dec.Stats().Malformed != 1 {
		t.Fatal(err)
	}
}

func TestUDPTLNoAllocs(t *testing.T) {
	ifp := make([]byte, 60)
	for _, ec := range []EncoderConfig{
		{Scheme: SchemeRedundancy, Redundancy: 3},
		{Scheme: SchemeFEC, FECSpan: 3, FECEntries: 3},
	} {
		enc, _ := NewEncoder(ec)
		dec, _ := NewDecoder(DecoderConfig{})
		buf := make([]byte, 0, 1024)
		step := func(i int) {
			ifp[0] = byte(i)
			buf, _ = enc.Append(buf[:0], ifp)
			if i%5 == 3 {
				return // lose one in five
			}
			if err := dec.Receive(buf); err != nil {
				panic(err)
			}
			dec.Drain(func(Delivery) {})
		}
		for i := range 200 {
			step(i)
		}
		i := 200
		if a := testing.AllocsPerRun(500, func() { step(i); i++ }); a != 0 {
			t.Errorf("%v: %v allocations", ec.Scheme, a)
		}
		if s := dec.Stats(); s.Lost != 0 {
			t.Errorf("%v: %+v", ec.Scheme, s)
		}
	}
}

func BenchmarkUDPTL(b *testing.B) {
	for _, ec := range []EncoderConfig{
		{Scheme: SchemeRedundancy, Redundancy: 3},
		{Scheme: SchemeFEC, FECSpan: 3, FECEntries: 3},
	} {
		b.Run(ec.Scheme.String(), func(b *testing.B) {
			enc, _ := NewEncoder(ec)
			dec, _ := NewDecoder(DecoderConfig{})
			ifp := make([]byte, 60)
			buf := make([]byte, 0, 1024)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				buf, _ = enc.Append(buf[:0], ifp)
				i++
				if i%10 == 0 {
					continue
				}
				dec.Receive(buf)
				dec.Drain(func(Delivery) {})
			}
		})
	}
}
