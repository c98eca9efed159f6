package webhook

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
)

// testResolver returns a resolver whose DNS server is this test: names
// resolve to the addresses given, others do not exist. Go's own resolver
// (PreferGo) speaks to it over in-memory pipes, with TCP framing (RFC 1035
// §4.2.2) since a pipe is not a packet connection; nothing reaches the
// network.
func testResolver(names map[string][]netip.Addr) *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			client, server := net.Pipe()
			go serveDNS(server, names)
			return client, nil
		},
	}
}

// serveDNS answers the queries on c: A and AAAA for the names given
// (RFC 1035 §4.1; RFC 3596 for AAAA). A query it cannot read closes the
// connection, which fails the lookup, and so the test.
func serveDNS(c net.Conn, names map[string][]netip.Addr) {
	defer c.Close()
	for {
		var n [2]byte
		if _, err := io.ReadFull(c, n[:]); err != nil {
			return
		}
		q := make([]byte, binary.BigEndian.Uint16(n[:]))
		if _, err := io.ReadFull(c, q); err != nil {
			return
		}
		r := dnsAnswer(q, names)
		if r == nil {
			return
		}
		if _, err := c.Write(binary.BigEndian.AppendUint16(nil, uint16(len(r)))); err != nil {
			return
		}
		if _, err := c.Write(r); err != nil {
			return
		}
	}
}

// dnsAnswer builds the response to query q, or nil if q is not one
// question.
func dnsAnswer(q []byte, names map[string][]netip.Addr) []byte {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:]) != 1 {
		return nil
	}
	// The question: labels up to the root, then type and class.
	var labels []string
	i := 12
	for {
		if i >= len(q) {
			return nil
		}
		l := int(q[i])
		i++
		if l == 0 {
			break
		}
		if l > 63 || i+l > len(q) {
			return nil
		}
		labels = append(labels, string(q[i:i+l]))
		i += l
	}
	if i+4 > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[i:])
	question := q[12 : i+4]
	name := strings.ToLower(strings.Join(labels, "."))

	addrs, known := names[name]
	var answers [][]byte
	for _, a := range addrs {
		var typ uint16
		switch {
		case qtype == 1 && a.Is4(): // A
			typ = 1
		case qtype == 28 && a.Is6(): // AAAA
			typ = 28
		default:
			continue
		}
		rr := []byte{0xc0, 12} // the name: a pointer to the question's
		rr = binary.BigEndian.AppendUint16(rr, typ)
		rr = binary.BigEndian.AppendUint16(rr, 1)  // class IN
		rr = binary.BigEndian.AppendUint32(rr, 60) // TTL
		ip := a.AsSlice()
		rr = binary.BigEndian.AppendUint16(rr, uint16(len(ip)))
		answers = append(answers, append(rr, ip...))
	}
	flags := uint16(0x8180) // response, recursion desired and available
	if !known {
		flags |= 3 // NXDOMAIN
	}
	r := append([]byte(nil), q[:2]...) // the query's id
	r = binary.BigEndian.AppendUint16(r, flags)
	r = binary.BigEndian.AppendUint16(r, 1) // one question
	r = binary.BigEndian.AppendUint16(r, uint16(len(answers)))
	r = binary.BigEndian.AppendUint16(r, 0) // authority
	r = binary.BigEndian.AppendUint16(r, 0) // additional
	r = append(r, question...)
	for _, rr := range answers {
		r = append(r, rr...)
	}
	return r
}

func TestTestResolver(t *testing.T) {
	r := testResolver(map[string][]netip.Addr{
		"receiver.test": {netip.MustParseAddr("192.0.2.7"), netip.MustParseAddr("2001:db8::7")},
	})
	got, err := r.LookupNetIP(context.Background(), "ip", "receiver.test")
	if err != nil || len(got) != 2 {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := r.LookupNetIP(context.Background(), "ip", "nowhere.test"); err == nil {
		t.Fatal("nowhere.test resolved")
	}
}
