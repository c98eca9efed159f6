package terminal

import (
	"strings"
	"testing"
	"time"

	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
)

// benchLetter is one A4 page of a letter at fine resolution, the page the
// density figures are quoted for.
func benchLetter(tb testing.TB) []*document.Page {
	tb.Helper()
	text := strings.Repeat("Dear Ms. Hansen,\n\nPlease find enclosed the signed purchase agreement for the property at 14 Harbour Street, together with the completed disclosure forms. Our bank has confirmed the transfer of the deposit of EUR 45,000.00 to the escrow account (reference 2026-11-4471).\n\n", 7)
	pages, err := document.RenderText([]byte(text), &document.Options{Resolution: document.Fine, Header: "ACME Bank"})
	if err != nil {
		tb.Fatal(err)
	}
	return pages[:1]
}

// BenchmarkCall: one A4 letter page between two of our terminals at V.17
// 14400, ECM off and on, each side's Process timed apart. Reported: ns per
// sample for the sender and the receiver over the whole call, and the
// receiver's dearest second (the page phase), which is what bounds how many
// calls a core carries in real time.
func BenchmarkCall(b *testing.B) {
	pages := benchLetter(b)
	for _, ecm := range []bool{false, true} {
		name := map[bool]string{false: "ECM=off", true: "ECM=on"}[ecm]
		b.Run(name, func(b *testing.B) {
			var txNs, rxNs, samples, peak int64
			for range b.N {
				tx, err := New(t30.Config{Caller: true, Source: &t30.MemorySource{Pages: pages}, ECM: ecm}, Options{})
				if err != nil {
					b.Fatal(err)
				}
				rx, err := New(t30.Config{Sink: &t30.MemorySink{}, ECM: ecm}, Options{})
				if err != nil {
					b.Fatal(err)
				}
				a, c := make([]int16, BlockSize), make([]int16, BlockSize)
				ain, cin := make([]int16, BlockSize), make([]int16, BlockSize)
				var second int64
				for i := 0; i < 8000/BlockSize*600 && !(tx.Done() && rx.Done()); i++ {
					t0 := time.Now()
					tx.Process(ain, a)
					t1 := time.Now()
					rx.Process(cin, c)
					t2 := time.Now()
					txNs += int64(t1.Sub(t0))
					d := int64(t2.Sub(t1))
					rxNs += d
					second += int64(t2.Sub(t0))
					if i%50 == 49 {
						peak = max(peak, second)
						second = 0
					}
					samples += BlockSize
					copy(cin, a)
					copy(ain, c)
				}
				if r := rx.Result(); r == nil || !r.OK() {
					b.Fatalf("call failed: %+v", r)
				}
			}
			b.ReportMetric(float64(txNs)/float64(samples), "tx-ns/sample")
			b.ReportMetric(float64(rxNs)/float64(samples), "rx-ns/sample")
			b.ReportMetric(float64(peak)/8000, "peak-call-ns/sample")
		})
	}
}
