package t30

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/t4"
)

// codedSink keeps each page's coded data as received.
type codedSink struct {
	MemorySink
	data [][]byte
}

func (s *codedSink) EndPage(res PageResult) error {
	s.data = append(s.data, bytes.Clone(res.Data))
	return s.MemorySink.EndPage(res)
}

// countingSource counts the pages coded from rows during the call.
type countingSource struct {
	*MemorySource
	rows int
}

func (s *countingSource) Rows(i int) (RowSource, error) {
	s.rows++
	return s.MemorySource.Rows(i)
}

// TestPreparedPagesSameLine: pages prepared ahead go on the line octet for
// octet as pages coded during the call do (fill for the receiver's scan
// time included), and the call codes none itself; a page prepared in a
// format the session does not take is coded during the call.
func TestPreparedPagesSameLine(t *testing.T) {
	for _, tc := range []struct {
		name     string
		res      document.Resolution
		tx, rx   Config
		prepared bool // the session takes the likely format
	}{
		{"MR fill 20ms", document.Fine, Config{}, Config{ScanTime: Scan20ms}, true},
		{"MR fill 40ms", document.Standard, Config{}, Config{ScanTime: Scan40ms}, true},
		{"MMR ECM", document.Fine, Config{ECM: true}, Config{ECM: true}, true},
		{"ECM to MR only", document.Superfine, Config{ECM: true}, Config{ECM: true, MaxCoding: t4.MR}, false},
		{"fine to standard only", document.Fine, Config{}, Config{MaxRes: ResStandard}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pages := testPages(2, tc.res, 120)
			var got [2]*codedSink
			var src [2]*countingSource
			for i := range got {
				tx, rx := tc.tx, tc.rx
				ms := &MemorySource{Pages: pages}
				if i == 1 {
					if err := ms.Prepare(&tx); err != nil {
						t.Fatal(err)
					}
				}
				src[i] = &countingSource{MemorySource: ms}
				got[i] = &codedSink{}
				tx.Caller, tx.Source, rx.Sink = true, src[i], got[i]
				w := newWire(t, tx, rx)
				w.run(30 * time.Minute)
				if w.res[0] == nil || w.res[1] == nil {
					t.Fatal("call did not end")
				}
				mustOK(t, w)
			}
			if len(got[0].data) != 2 || len(got[1].data) != 2 {
				t.Fatalf("pages %d and %d", len(got[0].data), len(got[1].data))
			}
			for p := range got[0].data {
				if !bytes.Equal(got[0].data[p], got[1].data[p]) || len(got[0].data[p]) == 0 {
					t.Errorf("page %d: %d octets coded during the call, %d prepared", p, len(got[0].data[p]), len(got[1].data[p]))
				}
			}
			samePages(t, got[1].Pages, got[0].Pages)
			if tc.prepared && src[1].rows != 0 || !tc.prepared && src[1].rows == 0 || src[0].rows == 0 {
				t.Errorf("pages coded during the call: %d unprepared, %d prepared", src[0].rows, src[1].rows)
			}
		})
	}
}

func TestLikelyFormat(t *testing.T) {
	fine := PageInfo{Width: 1728, Res: document.Fine}
	for _, tc := range []struct {
		cfg  Config
		info PageInfo
		want PageFormat
	}{
		{Config{}, fine, PageFormat{t4.MR, Width215, ResFine}},
		{Config{ECM: true}, fine, PageFormat{t4.MMR, Width215, ResFine}},
		{Config{ECM: true, MaxCoding: t4.MH}, fine, PageFormat{t4.MH, Width215, ResFine}},
		{Config{MaxRes: ResStandard}, fine, PageFormat{t4.MR, Width215, ResStandard}},
		{Config{ECM: true}, PageInfo{Width: 2432, Res: document.Superfine}, PageFormat{t4.MMR, Width303, ResSuperfine}},
	} {
		if got := LikelyFormat(&tc.cfg, tc.info); got != tc.want {
			t.Errorf("%+v %+v: %v, want %v", tc.cfg, tc.info, got, tc.want)
		}
	}
}

func TestPreparePageErrors(t *testing.T) {
	src := &MemorySource{Pages: testPages(1, document.Fine, 10)}
	if _, err := PreparePage(src, 1, PageFormat{t4.MR, Width215, ResFine}); err == nil {
		t.Error("page 1 of 1 prepared")
	}
	if _, err := PreparePage(src, 0, PageFormat{0, Width215, ResFine}); err == nil {
		t.Error("coding 0 prepared")
	}
}

// TestMemorySourceRelease: a released source forgets its prepared pages
// (the engine then codes them as it sends them) and empties them, so a
// reader of one left over reads nothing.
func TestMemorySourceRelease(t *testing.T) {
	cfg := Config{}
	ms := &MemorySource{Pages: testPages(2, document.Fine, 120)}
	if err := ms.Prepare(&cfg); err != nil {
		t.Fatal(err)
	}
	f := ms.Prepared[0].Format
	p := ms.PreparedPage(0, f)
	if p == nil || p.Rows() == 0 {
		t.Fatal("no prepared page")
	}
	ms.Release()
	ms.Release()
	if ms.PreparedPage(0, f) != nil || len(ms.Prepared) != 0 {
		t.Error("a released source still hands out prepared pages")
	}
	if len(ms.Pages) != 2 {
		t.Error("Release dropped the pages")
	}
	r, err := p.NewReader(0, t4.LSBFirst)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := r.Read(make([]byte, 64)); n != 0 || err != io.EOF {
		t.Errorf("a released page read %d octets (%v)", n, err)
	}
}
