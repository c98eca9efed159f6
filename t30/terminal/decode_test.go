package terminal

import (
	"bytes"
	"testing"

	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/calldecode"
	"github.com/faxd/faxd/t30/document"
)

// TestDecodeOurCall: a recording of one of our own calls, both directions
// mixed as a tap on the line hears them, decodes with the call decoder to
// the dialogue and the pages that were sent.
func TestDecodeOurCall(t *testing.T) {
	for _, ecm := range []bool{false, true} {
		pages := []*document.Page{testPage(document.Fine, 7), testPage(document.Fine, 8)}
		sink := &t30.MemorySink{}
		a, _ := New(t30.Config{Caller: true, Source: &t30.MemorySource{Pages: pages}, ECM: ecm}, Options{})
		b, _ := New(t30.Config{Sink: sink, ECM: ecm}, Options{})
		var got []*calldecode.Page
		var frames []string
		dec, err := calldecode.New(calldecode.Options{
			OnPage: func(p *calldecode.Page) { got = append(got, p) },
			OnEvent: func(e calldecode.Event) {
				if e.Kind == calldecode.KindFrame {
					frames = append(frames, e.Name)
				}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		aOut, bOut := make([]int16, BlockSize), make([]int16, BlockSize)
		aIn, bIn := make([]int16, BlockSize), make([]int16, BlockSize)
		mixed := make([]int16, BlockSize)
		for i := 0; i < 8000/BlockSize*600 && !(a.Done() && b.Done()); i++ {
			a.Process(aIn, aOut)
			b.Process(bIn, bOut)
			copy(bIn, aOut)
			copy(aIn, bOut)
			for k := range mixed {
				mixed[k] = aOut[k] + bOut[k] // half duplex: one speaks at a time
			}
			if err := dec.Process(mixed); err != nil {
				t.Fatal(err)
			}
		}
		dec.Close()
		if !a.Result().OK() || len(got) != len(pages) {
			t.Fatalf("ECM %v: call %v, %d pages decoded; frames %v", ecm, a.Result().Code, len(got), frames)
		}
		for i, p := range pages {
			if len(got[i].Rows) != p.Rows || !bytes.Equal(bytes.Join(got[i].Rows, nil), p.Pix) {
				t.Errorf("ECM %v: page %d decoded differs (%d rows of %d)", ecm, i+1, len(got[i].Rows), p.Rows)
			}
		}
		t.Logf("ECM %v: %v", ecm, frames)
	}
}
