package tiff

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"testing"
)

// maxFuzzAlloc bounds what reading any input may allocate: IFDs are bounded by
// MaxPages, strings by maxStrBuf, strip arrays by MaxHeight, rows by t4.MaxWidth.
const maxFuzzAlloc = 48 << 20

func fuzzSeeds(f *testing.F) {
	pages := genPages(64, 12)
	for _, c := range allCodings {
		for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			opt := Options{ByteOrder: bo}
			if bo == binary.BigEndian {
				opt.RowsPerStrip = 5
				opt.FillOrder = 2
			}
			f.Add(writeFile(f, opt, PageSpec{Coding: c, Quality: &Quality{}}, pages[:3], false))
		}
	}
	good := newTB(binary.LittleEndian).bilevel(8, 2, []byte{1, 2})
	f.Add(good.bytes(1))
	f.Add(good.bytes(3))
	f.Add(loop(good.bytes(2)))
	f.Add(newTB(binary.BigEndian).bilevel(t4MaxWidth, MaxHeight, nil).long(tagStripByteCounts, 0).bytes(1))
	f.Add([]byte("II*\x00\x08\x00\x00\x00"))
}

const t4MaxWidth = 8192

// FuzzReader feeds arbitrary files to the Reader and reads the rows of the first pages:
// no panic, rows bounded by the height, stats consistent, allocation bounded.
func FuzzReader(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		r, err := NewReader(bytes.NewReader(data), int64(len(data)))
		if err == nil {
			if r.NumPages() < 1 || r.NumPages() > MaxPages {
				t.Fatalf("%d pages", r.NumPages())
			}
			for i := 0; i < min(r.NumPages(), 3); i++ {
				rr, err := r.Rows(i)
				if err != nil {
					continue
				}
				info := rr.Info()
				row := make([]byte, (info.Width+7)/8)
				n := 0
				for rr.Next(row) == nil {
					if n++; n > info.Height {
						t.Fatalf("page %d: more than %d rows", i, info.Height)
					}
				}
				st := rr.Stats()
				if st.Rows != n || st.BadRows+st.MissingRows > st.Rows || st.LongestBadRun > st.BadRows {
					t.Fatalf("page %d: %d rows, stats %+v", i, n, st)
				}
			}
		}
		runtime.ReadMemStats(&m1)
		if a := m1.TotalAlloc - m0.TotalAlloc; a > maxFuzzAlloc {
			t.Fatalf("%d bytes allocated for a %d-byte file", a, len(data))
		}
	})
}

// TestManyPagesAlloc measures the worst case the fuzz bound allows for: MaxPages IFDs.
func TestManyPagesAlloc(t *testing.T) {
	d := newTB(binary.LittleEndian).bilevel(8, 2, []byte{1, 2}).bytes(MaxPages)
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	r, err := NewReader(bytes.NewReader(d), int64(len(d)))
	runtime.ReadMemStats(&m1)
	if err != nil || r.NumPages() != MaxPages {
		t.Fatal(err)
	}
	a := m1.TotalAlloc - m0.TotalAlloc
	t.Logf("%d IFDs: %d bytes allocated (%d per IFD)", MaxPages, a, a/MaxPages)
	if a > maxFuzzAlloc/2 {
		t.Errorf("%d bytes", a)
	}
}
