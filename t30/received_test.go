package t30

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/faxd/faxd/t30/document"
)

// decodeAll decodes a CodedSink's pages.
func decodeAll(t *testing.T, s *CodedSink) []*document.Page {
	t.Helper()
	var ps []*document.Page
	for i, p := range s.Pages {
		pg, err := p.Decode()
		if err != nil {
			t.Fatalf("page %d: %v", i+1, err)
		}
		ps = append(ps, pg)
	}
	return ps
}

// TestReceivedPagesTaken: a CodedSink takes each page's data from the
// engine instead of copying it, and the pages stay as received while
// the engine receives its next pages and other calls run after it (their
// engines taking buffers from the same pool the first one's went back
// to); Release clears a page's data, and the pages received into released
// buffers are as right as any.
func TestReceivedPagesTaken(t *testing.T) {
	for _, ecm := range []bool{false, true} {
		t.Run(fmt.Sprintf("ecm=%v", ecm), func(t *testing.T) {
			cfg := Config{ECM: ecm, ScanTime: Scan0ms}
			run := func(pages []*document.Page) *CodedSink {
				t.Helper()
				rx := cfg
				sink := &CodedSink{}
				rx.Sink = sink
				w, _ := call(t, pages, cfg, rx, nil)
				mustOK(t, w)
				samePages(t, decodeAll(t, sink), pages)
				return sink
			}
			first := run(testPages(3, document.Fine, 150))
			var kept [][]byte
			for _, p := range first.Pages {
				kept = append(kept, bytes.Clone(p.Data))
			}
			for i := 0; i < len(first.Pages); i++ {
				for j := i + 1; j < len(first.Pages); j++ {
					if &first.Pages[i].Data[0] == &first.Pages[j].Data[0] {
						t.Fatalf("pages %d and %d share their data", i+1, j+1)
					}
				}
			}
			second := run(testPages(2, document.Fine, 200))
			for i, p := range first.Pages {
				if !bytes.Equal(p.Data, kept[i]) {
					t.Fatalf("page %d of the first call changed during the second", i+1)
				}
			}
			// Release clears the data (the test's aliases show it).
			for _, s := range []*CodedSink{first, second} {
				for i, p := range s.Pages {
					full := p.Data[:cap(p.Data)]
					p.Release()
					p.Release()
					if p.Data != nil {
						t.Errorf("page %d: Data left after Release", i+1)
					}
					for k, o := range full {
						if o != 0 {
							t.Fatalf("page %d: octet %d is %#x after Release", i+1, k, o)
						}
					}
				}
			}
			// A call into the released buffers receives its pages right.
			run(testPages(3, document.Fine, 150))
		})
	}
}

// TestTakeDataCopies: data TakeData cannot take from an engine (a
// PageResult made elsewhere) comes as a copy, the caller's.
func TestTakeDataCopies(t *testing.T) {
	src := []byte{1, 2, 3}
	got := PageResult{Data: src}.TakeData()
	if !bytes.Equal(got, src) || &got[0] == &src[0] {
		t.Errorf("TakeData of a PageResult without an owner: %v (shared: %v)", got, &got[0] == &src[0])
	}
	if got := (PageResult{}).TakeData(); got != nil {
		t.Errorf("TakeData of no data: %v", got)
	}
	buf := []byte{4, 5, 6}
	owner := buf
	if got := (PageResult{Data: buf, owner: &owner}).TakeData(); &got[0] != &buf[0] || owner != nil {
		t.Errorf("TakeData did not take the owner's buffer")
	}
}
