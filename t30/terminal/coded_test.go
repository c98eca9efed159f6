package terminal

import (
	"math/rand/v2"
	"testing"

	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
)

// TestCodedPagesWithBadRows: a non-ECM page hit by noise bursts arrives
// with bad rows; kept as received, it decodes to the very pixels (bad
// rows concealed alike) the receiver decoded during the call.
func TestCodedPagesWithBadRows(t *testing.T) {
	pages := []*document.Page{testPage(document.Fine, 7), testPage(document.Fine, 8)}
	sink, coded := &t30.MemorySink{}, &t30.CodedSink{}
	a, err := New(t30.Config{Caller: true, Source: &t30.MemorySource{Pages: pages}, MaxBPS: 9600}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(t30.Config{Sink: tee{sink, coded}, MaxBPS: 9600, RTNPercent: 100, RTPPercent: 100}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	aOut, bOut := make([]int16, BlockSize), make([]int16, BlockSize)
	aIn, bIn := make([]int16, BlockSize), make([]int16, BlockSize)
	rng := rand.New(rand.NewPCG(5, 5))
	for i := 0; i < 8000/BlockSize*400 && !(a.Done() && b.Done()); i++ {
		a.Process(aIn, aOut)
		b.Process(bIn, bOut)
		copy(bIn, aOut)
		copy(aIn, bOut)
		// 20 ms of loud noise toward the receiver every 1.5 s.
		if i%75 == 74 {
			for k := range bIn {
				bIn[k] += int16(rng.IntN(8000) - 4000)
			}
		}
	}
	rx := b.Result()
	if rx == nil || len(sink.Pages) == 0 {
		t.Fatalf("nothing received: %v", rx)
	}
	if rx.BadRows == 0 {
		t.Fatalf("the bursts made no bad rows (%v)", rx)
	}
	if len(coded.Pages) != len(sink.Pages) {
		t.Fatalf("%d pages kept coded, %d decoded", len(coded.Pages), len(sink.Pages))
	}
	for i, cp := range coded.Pages {
		p, err := cp.Decode()
		if err != nil || !samePage(p, sink.Pages[i]) {
			t.Errorf("page %d (%d bad rows) decodes otherwise: %v", i+1, cp.BadRows, err)
		}
	}
	t.Logf("%d pages, %d bad rows, %v %d bit/s", len(coded.Pages), rx.BadRows, rx.Modem, rx.BitRate)
}

// countSink counts rows, and rows after the call.
type countSink struct {
	t30.CodedSink
	rows int
}

func (s *countSink) WriteRow(row []byte) error { s.rows++; return s.CodedSink.WriteRow(row) }

// TestNothingAfterTheCall: once both ends are done, more audio makes no
// row reach the sink (the finished engine's page buffer has gone back
// for other calls; nothing may read it).
func TestNothingAfterTheCall(t *testing.T) {
	pages := []*document.Page{testPage(document.Fine, 9)}
	sink := &countSink{}
	a, _ := New(t30.Config{Caller: true, Source: &t30.MemorySource{Pages: pages}}, Options{})
	b, _ := New(t30.Config{Sink: sink}, Options{})
	aOut, bOut := make([]int16, BlockSize), make([]int16, BlockSize)
	aIn, bIn := make([]int16, BlockSize), make([]int16, BlockSize)
	for i := 0; i < 8000/BlockSize*400 && !(a.Done() && b.Done()); i++ {
		a.Process(aIn, aOut)
		b.Process(bIn, bOut)
		copy(bIn, aOut)
		copy(aIn, bOut)
	}
	if !b.Result().OK() || len(sink.Pages) != 1 {
		t.Fatalf("%v, %d pages", b.Result(), len(sink.Pages))
	}
	rows := sink.rows
	for range 500 {
		a.Process(aIn, aOut)
		b.Process(bIn, bOut)
	}
	if sink.rows != rows || len(sink.Pages) != 1 {
		t.Errorf("%d rows and %d pages more after the call", sink.rows-rows, len(sink.Pages)-1)
	}
}
