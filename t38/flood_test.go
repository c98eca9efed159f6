package t38

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/faxd/faxd/t30"
)

// TestFloodNeverStalls: two of our terminals over UDPTL while every 20 ms
// each side also gets garbage datagrams and replays of old ones: the call
// completes and the page arrives identical.
func TestFloodNeverStalls(t *testing.T) {
	for _, ecm := range []bool{false, true} {
		pages := letter(t, 1)
		sink := &t30.MemorySink{}
		encA, _ := NewEncoder(EncoderConfig{Scheme: SchemeRedundancy, Redundancy: 2})
		encB, _ := NewEncoder(EncoderConfig{Scheme: SchemeRedundancy, Redundancy: 2})
		decA, _ := NewDecoder(DecoderConfig{})
		decB, _ := NewDecoder(DecoderConfig{})
		var toA, toB [][]byte
		a, _ := NewTerminal(t30.Config{Caller: true, Source: &t30.MemorySource{Pages: pages}, ECM: ecm}, TerminalOptions{}, func(p []byte) {
			d, _ := encA.Append(nil, p)
			toB = append(toB, d)
		})
		b, _ := NewTerminal(t30.Config{Sink: sink, ECM: ecm}, TerminalOptions{}, func(p []byte) {
			d, _ := encB.Append(nil, p)
			toA = append(toA, d)
		})
		rng := rand.New(rand.NewPCG(1, 2))
		var pastA, pastB [][]byte
		garbage := func() []byte {
			g := make([]byte, rng.IntN(300))
			for i := range g {
				g[i] = byte(rng.Uint32())
			}
			return g
		}
		feed := func(dec *Decoder, term *Terminal, ds [][]byte, past *[][]byte) {
			for _, d := range ds {
				dec.Receive(d)
				*past = append(*past, d)
			}
			for range 5 {
				dec.Receive(garbage())
				if len(*past) > 0 {
					dec.Receive((*past)[rng.IntN(len(*past))])
				}
			}
			dec.Drain(func(x Delivery) { term.Receive(x.IFP) })
		}
		for i := 0; i < 50*900 && !(a.Done() && b.Done()); i++ {
			feed(decB, b, toB, &pastB)
			toB = toB[:0]
			feed(decA, a, toA, &pastA)
			toA = toA[:0]
			a.Advance(160)
			b.Advance(160)
		}
		if !a.Done() || !b.Done() || !a.Result().OK() || len(sink.Pages) != 1 || !bytes.Equal(sink.Pages[0].Pix, pages[0].Pix) {
			t.Fatalf("ECM %v: done %v/%v, %d pages", ecm, a.Done(), b.Done(), len(sink.Pages))
		}
		t.Logf("ECM %v: call %v; receiver's decoder: %+v", ecm, a.Result().Duration, decB.Stats())
	}
}
