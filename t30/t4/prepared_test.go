package t4

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
)

func preparePage(t testing.TB, opt Options, rows [][]byte) *Prepared {
	t.Helper()
	y := 0
	p, err := Prepare(opt, func(row []byte) error {
		if y == len(rows) {
			return io.EOF
		}
		copy(row, rows[y])
		y++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPreparedSameAsEncoder: a prepared page read with any fill and fill
// order gives, octet for octet, what the Encoder writes with them, read in
// pieces of any size.
func TestPreparedSameAsEncoder(t *testing.T) {
	for _, width := range []int{1728, 77} {
		for _, pg := range genPages(width, 60) {
			for _, c := range []Coding{MH, MR, MMR} {
				p := preparePage(t, Options{Coding: c, Width: width, K: 4}, pg.rows)
				if p.Rows() != len(pg.rows) {
					t.Fatalf("%s: %d rows, want %d", pg.name, p.Rows(), len(pg.rows))
				}
				for _, min := range []int{0, 13, 96, 144, 1000, 5000} {
					for _, fo := range []FillOrder{MSBFirst, LSBFirst} {
						name := fmt.Sprintf("%d/%s/%v/min %d/fill order %d", width, pg.name, c, min, fo)
						want := encodePage(t, Options{Coding: c, Width: width, K: 4, MinBitsPerLine: min, FillOrder: fo}, pg.rows)
						r, err := p.NewReader(min, fo)
						if err != nil {
							t.Fatal(err)
						}
						var got []byte
						buf := make([]byte, 1+len(want)%7)
						for {
							n, err := r.Read(buf)
							got = append(got, buf[:n]...)
							if err == io.EOF {
								break
							}
							if err != nil || n == 0 {
								t.Fatalf("%s: Read: %d, %v", name, n, err)
							}
						}
						if !bytes.Equal(got, want) {
							t.Fatalf("%s: %d octets differ from the encoder's %d", name, len(got), len(want))
						}
					}
				}
			}
		}
	}
}

func TestPreparedRefused(t *testing.T) {
	rows := func([]byte) error { return io.EOF }
	for _, opt := range []Options{
		{Coding: MR, Width: 1728, MinBitsPerLine: 10},
		{Coding: MR, Width: 1728, AlignEOL: true},
		{Coding: MR, Width: 1728, FillOrder: LSBFirst},
	} {
		if _, err := Prepare(opt, rows); !errors.Is(err, ErrPrepared) {
			t.Errorf("%+v: %v", opt, err)
		}
	}
	if _, err := Prepare(Options{Coding: MR, Width: 0}, rows); !errors.Is(err, ErrWidth) {
		t.Errorf("width 0: %v", err)
	}
	want := errors.New("source broke")
	if _, err := Prepare(Options{Coding: MR, Width: 1728}, func([]byte) error { return want }); err != want {
		t.Errorf("row error: %v", err)
	}
	p, err := Prepare(Options{Coding: MR, Width: 1728}, rows)
	if err != nil {
		t.Fatal(err)
	}
	for _, min := range []int{-1, maxMinBits + 1} {
		if _, err := p.NewReader(min, LSBFirst); !errors.Is(err, ErrPrepared) {
			t.Errorf("min %d: %v", min, err)
		}
	}
	if _, err := p.NewReader(0, 3); !errors.Is(err, ErrPrepared) {
		t.Errorf("fill order 3: %v", err)
	}
}

func TestPreparedReadZeroAlloc(t *testing.T) {
	pg := genPages(1728, 40)[3]
	p := preparePage(t, Options{Coding: MR, Width: 1728, K: 4}, pg.rows)
	r, _ := p.NewReader(144, LSBFirst)
	buf := make([]byte, 64)
	if a := testing.AllocsPerRun(50, func() { r.Read(buf) }); a != 0 {
		t.Errorf("%v allocations a Read", a)
	}
}

func BenchmarkPreparedRead(b *testing.B) {
	rows := benchPage(b)
	p := preparePage(b, Options{Coding: MR, Width: 1728, K: 4}, rows)
	buf := make([]byte, 256)
	b.ReportAllocs()
	for b.Loop() {
		r, _ := p.NewReader(144, LSBFirst)
		for {
			if _, err := r.Read(buf); err != nil {
				break
			}
		}
	}
}

// TestPreparedOwnBuffers: Prepare codes in buffers it keeps from page to
// page; the pages it returned stay whole while it codes others.
func TestPreparedOwnBuffers(t *testing.T) {
	type done struct {
		p    *Prepared
		want []byte
	}
	var all []done
	for _, pg := range genPages(1728, 40) {
		for _, c := range []Coding{MH, MR, MMR} {
			opt := Options{Coding: c, Width: 1728, K: 4}
			all = append(all, done{preparePage(t, opt, pg.rows), encodePage(t, opt, pg.rows)})
		}
	}
	for i, d := range all {
		r, err := d.p.NewReader(0, MSBFirst)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, d.want) {
			t.Errorf("page %d of %d: %d octets (%v), want the encoder's %d", i, len(all), len(got), err, len(d.want))
		}
	}
}

// readAll reads r to its end in pieces of 100 octets.
func readAll(t testing.TB, r io.Reader) []byte {
	t.Helper()
	var got []byte
	buf := make([]byte, 100)
	for {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			return got
		}
		if err != nil || n == 0 {
			t.Fatalf("Read: %d, %v", n, err)
		}
	}
}

// TestPreparedRelease: Release clears a page's buffers before they go back
// to the pool; a reader of the released page, made before or after, reads
// nothing rather than the page that reuses its buffers; and pages prepared
// in buffers released by others are octet for octet what the Encoder
// writes.
func TestPreparedRelease(t *testing.T) {
	pages := genPages(1728, 80)
	for _, c := range []Coding{MH, MR, MMR} {
		opt := Options{Coding: c, Width: 1728, K: 4}
		var prev *Prepared
		for i, pg := range pages {
			name := fmt.Sprintf("%v/%s", c, pg.name)
			var before [2]*PreparedReader
			if prev != nil {
				// Readers made before the release, one part read.
				for j, min := range []int{0, 144} {
					r, err := prev.NewReader(min, LSBFirst)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := r.Read(make([]byte, 3)); err != nil {
						t.Fatal(err)
					}
					before[j] = r
				}
				bits, marks, lens := prev.bits[:cap(prev.bits)], prev.marks[:cap(prev.marks)], prev.lens[:cap(prev.lens)]
				prev.Release()
				prev.Release() // a second does nothing
				// The test's aliases of the released buffers: cleared.
				for k, o := range bits {
					if o != 0 {
						t.Fatalf("%s: released page's octet %d is %#x", name, k, o)
					}
				}
				for k := range marks {
					if marks[k] != 0 || k < len(lens) && lens[k] != 0 {
						t.Fatalf("%s: released page's mark %d is %d", name, k, marks[k])
					}
				}
				for k, l := range lens {
					if l != 0 {
						t.Fatalf("%s: released page's line length %d is %d", name, k, l)
					}
				}
				if prev.Rows() != 0 {
					t.Errorf("%s: a released page has %d rows", name, prev.Rows())
				}
			}
			p := preparePage(t, opt, pg.rows)
			// A reader with fill may still give the few bits it had taken
			// in (at most 56: its own page's); never the new page's.
			for j, r := range before {
				if r == nil {
					continue
				}
				got := readAll(t, r)
				want := encodePage(t, Options{Coding: c, Width: 1728, K: 4, MinBitsPerLine: 144 * j, FillOrder: LSBFirst}, pages[i-1].rows)[3:]
				if j == 0 && len(got) != 0 || len(got) > 7 || !bytes.Equal(got, want[:min(len(want), len(got))]) {
					t.Errorf("%s: a reader (fill %d) of the released page read %d octets after its release", name, 144*j, len(got))
				}
			}
			if prev != nil {
				r, err := prev.NewReader(0, MSBFirst)
				if err != nil {
					t.Fatal(err)
				}
				if got := readAll(t, r); len(got) != 0 {
					t.Errorf("%s: a reader made after the release read %d octets", name, len(got))
				}
			}
			for _, min := range []int{0, 144} {
				want := encodePage(t, Options{Coding: c, Width: 1728, K: 4, MinBitsPerLine: min, FillOrder: LSBFirst}, pg.rows)
				r, err := p.NewReader(min, LSBFirst)
				if err != nil {
					t.Fatal(err)
				}
				if got := readAll(t, r); !bytes.Equal(got, want) {
					t.Fatalf("%s (page %d), min %d: %d octets differ from the encoder's %d", name, i, min, len(got), len(want))
				}
			}
			prev = p
		}
		prev.Release()
	}
}
