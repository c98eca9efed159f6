package terminal

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
)

// TestCodedPagesWithBadRows: a non-ECM page hit by noise bursts arrives
// with bad rows; kept as received, it decodes to the very pixels (bad
// rows concealed alike) the receiver decoded during the call. A CodedSink
// alone (its rows counted, not drawn: t30.RowlessSink) gets the same
// pages, rows and bad rows from the same audio.
func TestCodedPagesWithBadRows(t *testing.T) {
	sink, coded := &t30.MemorySink{}, &t30.CodedSink{}
	rx := noisyCall(t, tee{sink, coded})
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

	alone := &t30.CodedSink{}
	rx2 := noisyCall(t, alone)
	if rx2 == nil || rx2.BadRows != rx.BadRows || len(alone.Pages) != len(coded.Pages) {
		t.Fatalf("rowless: %v, %d pages; drawn: %v, %d pages", rx2, len(alone.Pages), rx, len(coded.Pages))
	}
	for i, p := range alone.Pages {
		q := coded.Pages[i]
		if p.Rows != q.Rows || p.BadRows != q.BadRows || p.LongestBadRun != q.LongestBadRun || !bytes.Equal(p.Data, q.Data) {
			t.Errorf("page %d rowless: %d rows, %d bad, run %d; drawn: %d, %d, %d", i+1, p.Rows, p.BadRows, p.LongestBadRun, q.Rows, q.BadRows, q.LongestBadRun)
		}
	}
}

// noisyCall sends two fine pages at 9600 bit/s into a receiver with sink,
// 20 ms of loud noise toward the receiver every 1.5 s (the same noise
// every time), and returns the receiver's result.
func noisyCall(t *testing.T, sink t30.PageSink) *t30.Result {
	t.Helper()
	pages := []*document.Page{testPage(document.Fine, 7), testPage(document.Fine, 8)}
	a, err := New(t30.Config{Caller: true, Source: &t30.MemorySource{Pages: pages}, MaxBPS: 9600}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(t30.Config{Sink: sink, MaxBPS: 9600, RTNPercent: 100, RTPPercent: 100}, Options{})
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
		if i%75 == 74 {
			for k := range bIn {
				bIn[k] += int16(rng.IntN(8000) - 4000)
			}
		}
	}
	return b.Result()
}

// countSink counts rows, and rows after the call.
type countSink struct {
	t30.MemorySink
	rows int
}

func (s *countSink) WriteRow(row []byte) error { s.rows++; return s.MemorySink.WriteRow(row) }

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
