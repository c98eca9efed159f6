//go:build spandsp

package t38

// SpanDSP's t38_core against ours. Go refuses cgo in _test.go files, so the
// packets come from the test-only binding dsp/spandsp (T38Terminal), which
// wraps t38_core_send_* and t38_core_rx_ifp_packet: two SpanDSP T.38
// terminals make a call in which every IFP packet one sends is decoded by
// our Decode, re-encoded by our AppendEncode (which must give SpanDSP's
// octets back), carried by our UDPTL Encoder and Decoder over a lossy link,
// and handed to the other SpanDSP terminal. The call must complete with the
// page, for every T.38 version.

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/faxd/faxd/dsp/spandsp"
	"github.com/faxd/faxd/t30/tiff"
)

func writeTestPage(t *testing.T, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := tiff.NewWriter(f, tiff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pw, err := w.AddPage(tiff.PageSpec{Width: 1728, Coding: tiff.MH, Resolution: tiff.Standard})
	if err != nil {
		t.Fatal(err)
	}
	row := make([]byte, 1728/8)
	for y := range 1100 {
		clear(row)
		if y%40 < 12 {
			for x := 10; x < 200; x += 3 {
				row[x] = byte(0x3c ^ y ^ x)
			}
		}
		if err := pw.WriteRow(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// link is one direction: SpanDSP packets -> our IFP codec -> our UDPTL
// (redundancy 2, every 7th datagram lost) -> the other SpanDSP terminal.
type link struct {
	t        *testing.T
	version  int
	enc      *Encoder
	dec      *Decoder
	p        Packet
	n        int
	packets  int
	kinds    map[string]int
	buf, out []byte
}

func newLink(t *testing.T, version int) *link {
	enc, err := NewEncoder(EncoderConfig{Scheme: SchemeRedundancy, Redundancy: 2, MaxDatagram: 400})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewDecoder(DecoderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return &link{t: t, version: version, enc: enc, dec: dec, p: Packet{Fields: make([]Field, 0, 8)}, kinds: map[string]int{}}
}

func (l *link) carry(pkts []spandsp.T38Packet, to *spandsp.T38Terminal) {
	for _, sp := range pkts {
		if sp.Count == 0 {
			continue
		}
		if err := Decode(sp.IFP, l.version, &l.p); err != nil {
			l.t.Fatalf("v%d: SpanDSP's % x: %v", l.version, sp.IFP, err)
		}
		if l.p.IsData {
			for _, f := range l.p.Fields {
				l.kinds[l.p.DataType.String()+"/"+f.Type.String()]++
			}
		} else {
			l.kinds[l.p.Indicator.String()]++
		}
		var err error
		l.out, err = l.p.AppendEncode(l.out[:0], l.version)
		if err != nil || !bytes.Equal(l.out, sp.IFP) {
			l.t.Fatalf("v%d: SpanDSP % x, ours % x %v", l.version, sp.IFP, l.out, err)
		}
		l.packets++
		l.buf, err = l.enc.Append(l.buf[:0], l.out)
		if err != nil {
			l.t.Fatal(err)
		}
		l.n++
		if l.n%7 == 0 {
			continue // lost on the way
		}
		if err := l.dec.Receive(l.buf); err != nil {
			l.t.Fatal(err)
		}
		l.dec.Drain(func(d Delivery) {
			if d.Lost != 0 {
				l.t.Errorf("v%d: %d lost before %d", l.version, d.Lost, d.Seq)
			}
			if err := to.Receive(d.IFP, int(d.Seq)); err != nil {
				l.t.Fatalf("v%d: SpanDSP refused our % x: %v", l.version, d.IFP, err)
			}
		})
	}
}

func TestSpanDSPCore(t *testing.T) {
	dir := t.TempDir()
	tx := filepath.Join(dir, "tx.tif")
	writeTestPage(t, tx)
	for version := 0; version <= MaxVersion; version++ {
		for _, ecm := range []bool{false, true} {
			rx := filepath.Join(dir, "rx.tif")
			a := spandsp.NewT38Terminal(true, spandsp.T38Options{TxFile: tx, ECM: ecm, Modems: spandsp.SupportV17, Version: version})
			b := spandsp.NewT38Terminal(false, spandsp.T38Options{RxFile: rx, ECM: ecm, Modems: spandsp.SupportV17, Version: version})
			ab, ba := newLink(t, version), newLink(t, version)
			for samples := 0; samples < 600*8000 && !(a.Done() && b.Done()); samples += 160 {
				a.Advance(160)
				b.Advance(160)
				ab.carry(a.TxPackets(), b)
				ba.carry(b.TxPackets(), a)
			}
			ra, rb := a.Result(), b.Result()
			a.Close()
			b.Close()
			if ra.Code != 0 || rb.Code != 0 || rb.PagesRx != 1 {
				t.Fatalf("v%d ECM %v: sender %+v receiver %+v", version, ecm, ra, rb)
			}
			t.Logf("v%d ECM %v: %d+%d packets through our codec and UDPTL, %d bit/s; kinds A->B %v", version, ecm,
				ab.packets, ba.packets, rb.BitRate, ab.kinds)
		}
	}
}
