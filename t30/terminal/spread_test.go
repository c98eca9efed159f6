package terminal

import (
	"io"
	"testing"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/t30"
)

// countingSource counts the rows the engine reads, for the block they are
// read in.
type countingSource struct {
	t30.PageSource
	block *int
	rows  map[int]int // block → rows read
}

func (s *countingSource) Rows(i int) (t30.RowSource, error) {
	r, err := s.PageSource.Rows(i)
	return &countingRows{r, s}, err
}

type countingRows struct {
	t30.RowSource
	s *countingSource
}

func (r *countingRows) ReadRow(row []byte) error {
	err := r.RowSource.ReadRow(row)
	if err == nil {
		r.s.rows[*r.s.block]++
	}
	return err
}

// countingSink counts the rows the engine decodes, for the block they are
// written in.
type countingSink struct {
	t30.MemorySink
	block *int
	rows  map[int]int
}

func (s *countingSink) WriteRow(row []byte) error {
	s.rows[*s.block]++
	return s.MemorySink.WriteRow(row)
}

// TestWorkSpreadOverBlocks: neither end codes or decodes a page in one
// block of audio. A media server ticks thousands of calls every 20 ms; a
// call that took a whole page's coding (milliseconds) in one tick would
// make the tick late. The sender codes an ECM page ahead, a little each
// block; the receiver decodes as the data comes (non-ECM octets, ECM
// frames in order). Counted in rows, not timed: no block may handle more
// than a tenth of the page's rows.
func TestWorkSpreadOverBlocks(t *testing.T) {
	pages := benchLetter(t)
	total := pages[0].Rows
	for _, ecm := range []bool{false, true} {
		var block int
		src := &countingSource{PageSource: &t30.MemorySource{Pages: pages}, block: &block, rows: map[int]int{}}
		sink := &countingSink{block: &block, rows: map[int]int{}}
		tx, _ := New(t30.Config{Caller: true, Source: src, ECM: ecm}, Options{})
		rx, _ := New(t30.Config{Sink: sink, ECM: ecm}, Options{})
		a, c := make([]int16, BlockSize), make([]int16, BlockSize)
		ain, cin := make([]int16, BlockSize), make([]int16, BlockSize)
		for block = 0; block < 8000/BlockSize*120 && !(tx.Done() && rx.Done()); block++ {
			tx.Process(ain, a)
			rx.Process(cin, c)
			copy(cin, a)
			copy(ain, c)
		}
		if r := rx.Result(); r == nil || !r.OK() || len(sink.Pages) != 1 {
			t.Fatalf("ECM %v: call failed: %+v", ecm, r)
		}
		for name, m := range map[string]map[int]int{"coded": src.rows, "decoded": sink.rows} {
			most, at, sum := 0, 0, 0
			for b, n := range m {
				sum += n
				if n > most {
					most, at = n, b
				}
			}
			if sum < total {
				t.Errorf("ECM %v: %d of %d rows %s", ecm, sum, total, name)
			}
			if most > total/10 {
				t.Errorf("ECM %v: %d of the page's %d rows %s in block %d", ecm, most, total, name, at)
			}
			t.Logf("ECM %v: at most %d of %d rows %s in one block", ecm, most, total, name)
		}
	}
}

// TestPutBitsSameAsPutBit: the fast receiver's bits taken a symbol at a
// time give the same octets, bit count and zero runs as one at a time.
func TestPutBitsSameAsPutBit(t *testing.T) {
	one, _ := New(t30.Config{Sink: &t30.MemorySink{}}, Options{})
	many, _ := New(t30.Config{Sink: &t30.MemorySink{}}, Options{})
	rng := uint64(7)
	for sym := 0; sym < 300; sym++ {
		rng = rng*6364136223846793005 + 1442695040888963407
		b := uint32(rng >> 40)
		if sym%40 < 25 {
			b = 0 // long runs of zeros, as TCF
		}
		n := 6
		b &= 1<<n - 1
		for i := n - 1; i >= 0; i-- {
			one.fastBit(int(b>>uint(i)) & 1)
		}
		(*fastSink)(many).PutBits(b, n)
		if string(one.octets) != string(many.octets) || one.octet != many.octet || one.nbits != many.nbits ||
			one.tcfBits != many.tcfBits || one.zeroRun != many.zeroRun || (one.bestZero >= 8 && one.bestZero != many.bestZero) {
			t.Fatalf("symbol %d: one by one %v %x/%d run %d best %d; at once %v %x/%d run %d best %d", sym,
				one.octets, one.octet, one.nbits, one.zeroRun, one.bestZero, many.octets, many.octet, many.nbits, many.zeroRun, many.bestZero)
		}
	}
	if len(one.octets) == 0 || one.bestZero < 100 {
		t.Fatalf("the test fed too little: %d octets, best run %d", len(one.octets), one.bestZero)
	}
}

// chunkReader gives its data a few octets a Read, with empty reads (no
// data yet) in between, then io.EOF.
type chunkReader struct {
	data []byte
	n    int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	r.n++
	if r.n%4 == 0 {
		return 0, nil
	}
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), 1+r.n%5)], r.data)
	r.data = r.data[k:]
	return k, nil
}

// TestGetBitsSameAsGetBit: the page's bits taken n at a time are the bits
// taken one at a time, marking time and the end included.
func TestGetBitsSameAsGetBit(t *testing.T) {
	data := make([]byte, 301)
	rng := uint64(9)
	for i := range data {
		rng = rng*6364136223846793005 + 1442695040888963407
		data[i] = byte(rng >> 40)
	}
	for _, n := range []int{1, 3, 6, 7, 8, 11, 24} {
		one, _ := New(t30.Config{Sink: &t30.MemorySink{}}, Options{})
		many, _ := New(t30.Config{Sink: &t30.MemorySink{}}, Options{})
		one.image = &chunkReader{data: data}
		many.image = &chunkReader{data: data}
		for call := 0; ; call++ {
			var want uint32
			k := 0
			for ; k < n; k++ {
				v := one.imageBitNext()
				if v == dsp.EndOfData {
					break
				}
				want = want<<1 | uint32(v)
			}
			got, gk := imageSource{many}.GetBits(n)
			if got != want || gk != k {
				t.Fatalf("n %d, call %d: %0*b (%d bits), one by one %0*b (%d)", n, call, gk, got, gk, k, want, k)
			}
			if k < n {
				if call*n < len(data)*8 {
					t.Fatalf("n %d: ended after %d bits of %d", n, call*n+k, len(data)*8)
				}
				break
			}
		}
	}
}
