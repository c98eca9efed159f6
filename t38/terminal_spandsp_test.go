//go:build spandsp

package t38

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/faxd/faxd/dsp/spandsp"
	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/tiff"
)

func writeTIFF(t *testing.T, path string, pages []*document.Page) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, _ := tiff.NewWriter(f, tiff.Options{})
	for _, p := range pages {
		pw, err := w.AddPage(tiff.PageSpec{Width: p.Width, Coding: tiff.MH, Resolution: tiff.Resolution{X: float64(p.XRes), Y: float64(p.YRes)}})
		if err != nil {
			t.Fatal(err)
		}
		for y := range p.Rows {
			pw.WriteRow(p.Row(y))
		}
		pw.Close()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func readTIFF(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := tiff.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var pages [][]byte
	for i := range r.NumPages() {
		info := r.Page(i)
		rows, _ := r.Rows(i)
		pix := make([]byte, info.Height*((info.Width+7)/8))
		stride := (info.Width + 7) / 8
		for y := range info.Height {
			if err := rows.Next(pix[y*stride : (y+1)*stride]); err != nil {
				t.Fatal(err)
			}
		}
		pages = append(pages, pix)
	}
	return pages
}

// TestTerminalInteropSpanDSP: our T.38 terminal against SpanDSP's
// t38_terminal, IFP packets passed directly, both directions, ECM on and
// off, two pages identical.
func TestTerminalInteropSpanDSP(t *testing.T) {
	dir := t.TempDir()
	pages := letter(t, 2)
	txFile := filepath.Join(dir, "tx.tif")
	writeTIFF(t, txFile, pages)
	for i, c := range []struct{ oursSend, ecm bool }{{true, false}, {true, true}, {false, false}, {false, true}} {
		name := fmt.Sprintf("%s/ECM=%v", map[bool]string{true: "ours-to-spandsp", false: "spandsp-to-ours"}[c.oursSend], c.ecm)
		t.Run(name, func(t *testing.T) {
			rxFile := filepath.Join(dir, fmt.Sprintf("rx%d.tif", i))
			var theirs *spandsp.T38Terminal
			sink := &t30.MemorySink{}
			var toUs [][]byte
			var toThem [][]byte
			var cfg t30.Config
			if c.oursSend {
				theirs = spandsp.NewT38Terminal(false, spandsp.T38Options{RxFile: rxFile, ECM: c.ecm})
				cfg = t30.Config{Caller: true, Source: &t30.MemorySource{Pages: pages}, ECM: c.ecm}
			} else {
				theirs = spandsp.NewT38Terminal(true, spandsp.T38Options{TxFile: txFile, ECM: c.ecm})
				cfg = t30.Config{Sink: sink, ECM: c.ecm}
			}
			defer theirs.Close()
			ours, err := NewTerminal(cfg, TerminalOptions{}, func(p []byte) { toThem = append(toThem, bytes.Clone(p)) })
			if err != nil {
				t.Fatal(err)
			}
			seq := 0
			var packets, octets int
			for n := 0; n < 50*900 && !(ours.Done() && theirs.Done()); n++ {
				for _, p := range theirs.TxPackets() {
					toUs = append(toUs, p.IFP) // each copy once: no loss here
				}
				for _, p := range toUs {
					if err := ours.Receive(p); err != nil {
						t.Errorf("ours rejects %x: %v", p, err)
					}
				}
				toUs = toUs[:0]
				for _, p := range toThem {
					if err := theirs.Receive(p, seq); err != nil {
						t.Errorf("SpanDSP rejects %x: %v", p, err)
					}
					seq++
					packets++
					octets += len(p)
				}
				toThem = toThem[:0]
				ours.Advance(160)
				theirs.Advance(160)
			}
			r, sr := ours.Result(), theirs.Result()
			if r == nil || !r.OK() || sr.Code != spandsp.T30ErrOK {
				var tr string
				if r != nil {
					tr = t30.FormatTrace(r.Trace)
				} else {
					tr = t30.FormatTrace(ours.Engine().Result().Trace)
				}
				t.Fatalf("ours %+v; SpanDSP %d %q\n%s", r, sr.Code, sr.Text, tr)
			}
			var got [][]byte
			if c.oursSend {
				got = readTIFF(t, rxFile)
			} else {
				for _, p := range sink.Pages {
					got = append(got, p.Pix)
				}
			}
			if len(got) != len(pages) {
				t.Fatalf("%d pages of %d", len(got), len(pages))
			}
			for k := range pages {
				if !bytes.Equal(got[k], pages[k].Pix) {
					t.Errorf("page %d differs", k+1)
				}
			}
			t.Logf("%s: %s %d bit/s %v, %d packets %d octets from us, call %v", name, r.Modem, r.BitRate, r.Coding, packets, octets, r.Duration)
		})
	}
}

// lossyLink carries IFPs over our UDPTL with redundancy 3 and drops a
// share of the datagrams at random.
type lossyLink struct {
	enc                *Encoder
	dec                *Decoder
	rng                *rand.Rand
	loss               float64
	sent, lost, octets int
}

func newLossyLink(t *testing.T, loss float64, seed uint64) *lossyLink {
	enc, err := NewEncoder(EncoderConfig{Scheme: SchemeRedundancy, Redundancy: 3})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewDecoder(DecoderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return &lossyLink{enc: enc, dec: dec, rng: rand.New(rand.NewPCG(seed, 38)), loss: loss}
}

// carry sends ifp and hands what arrives, in order, to deliver.
func (l *lossyLink) carry(ifp []byte, deliver func(seq int, ifp []byte)) {
	l.carryCopies(ifp, 1, deliver)
}

// carryCopies sends the datagram of ifp n times.
func (l *lossyLink) carryCopies(ifp []byte, n int, deliver func(seq int, ifp []byte)) {
	d, err := l.enc.Append(nil, ifp)
	if err != nil {
		panic(err)
	}
	for range n {
		l.sent++
		l.octets += len(d)
		if l.rng.Float64() < l.loss {
			l.lost++
			continue
		}
		l.dec.Receive(d)
		l.dec.Drain(func(x Delivery) { deliver(int(x.Seq), x.IFP) })
	}
}

// TestTerminalLossSpanDSP: our T.38 terminal against SpanDSP's over UDPTL
// with redundancy 3 and 0, 5 and 10% of the datagrams lost at random, both
// ways, ECM on and off: the pages arrive identical.
func TestTerminalLossSpanDSP(t *testing.T) {
	dir := t.TempDir()
	pages := letter(t, 1)
	txFile := filepath.Join(dir, "tx.tif")
	writeTIFF(t, txFile, pages)
	n := 0
	for _, loss := range []float64{0, 0.05, 0.10} {
		for _, oursSend := range []bool{true, false} {
			for _, ecm := range []bool{false, true} {
				n++
				name := fmt.Sprintf("loss=%.0f%%/%s/ECM=%v", loss*100, map[bool]string{true: "ours-to-spandsp", false: "spandsp-to-ours"}[oursSend], ecm)
				t.Run(name, func(t *testing.T) {
					rxFile := filepath.Join(dir, fmt.Sprintf("rx%d.tif", n))
					sink := &t30.MemorySink{}
					var theirs *spandsp.T38Terminal
					var cfg t30.Config
					if oursSend {
						theirs = spandsp.NewT38Terminal(false, spandsp.T38Options{RxFile: rxFile, ECM: ecm})
						cfg = t30.Config{Caller: true, Source: &t30.MemorySource{Pages: pages}, ECM: ecm}
					} else {
						theirs = spandsp.NewT38Terminal(true, spandsp.T38Options{TxFile: txFile, ECM: ecm})
						cfg = t30.Config{Sink: sink, ECM: ecm}
					}
					defer theirs.Close()
					toThem := newLossyLink(t, loss, uint64(n))
					toUs := newLossyLink(t, loss, uint64(n)+100)
					var out [][]byte
					ours, _ := NewTerminal(cfg, TerminalOptions{}, func(p []byte) { out = append(out, bytes.Clone(p)) })
					for k := 0; k < 50*900 && !(ours.Done() && theirs.Done()); k++ {
						for _, p := range theirs.TxPackets() {
							// SpanDSP asks for Count copies of some packets
							// (indicators, ends of signals): the same
							// datagram, each copy lost or not on its own.
							toUs.carryCopies(p.IFP, max(1, p.Count), func(_ int, ifp []byte) { ours.Receive(ifp) })
						}
						for _, p := range out {
							toThem.carry(p, func(seq int, ifp []byte) { theirs.Receive(ifp, seq) })
						}
						out = out[:0]
						ours.Advance(160)
						theirs.Advance(160)
					}
					r, sr := ours.Result(), theirs.Result()
					if r == nil || !r.OK() || sr.Code != spandsp.T30ErrOK {
						t.Fatalf("ours %+v; SpanDSP %d %q", r, sr.Code, sr.Text)
					}
					var got [][]byte
					if oursSend {
						got = readTIFF(t, rxFile)
					} else {
						for _, p := range sink.Pages {
							got = append(got, p.Pix)
						}
					}
					if len(got) != 1 || !bytes.Equal(got[0], pages[0].Pix) {
						t.Fatalf("page not received identical (%d pages)", len(got))
					}
					t.Logf("%s: %d bit/s; datagrams ours→SpanDSP %d (%d lost, %d octets), SpanDSP→ours %d (%d lost, %d octets)",
						name, r.BitRate, toThem.sent, toThem.lost, toThem.octets, toUs.sent, toUs.lost, toUs.octets)
				})
			}
		}
	}
}
