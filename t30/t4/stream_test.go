package t4

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"testing"
)

// streamDecode decodes data fed in chunks of random sizes (1 to max octets)
// and returns the rows, the counts and the error that ended the page.
func streamDecode(t testing.TB, opt Options, data []byte, rng *rand.Rand, maxChunk int) ([][]byte, Stats, error) {
	return streamDecodeRows(t, opt, data, rng, maxChunk, false)
}

// streamDecodeRows is streamDecode; rowless has Next count the rows
// without drawing them (nil rows), and the rows returned are all nil.
func streamDecodeRows(t testing.TB, opt Options, data []byte, rng *rand.Rand, maxChunk int, rowless bool) ([][]byte, Stats, error) {
	t.Helper()
	d, err := NewDecoder(nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	d.ResetStream()
	var out [][]byte
	n := 0
	for {
		final := n == len(data)
		d.Feed(data[:n], final)
		for {
			var row []byte
			if !rowless {
				row = make([]byte, (opt.Width+7)/8)
			}
			err := d.Next(row)
			if errors.Is(err, ErrNeedMore) {
				if final {
					t.Fatal("ErrNeedMore after the final Feed")
				}
				break
			}
			if err == io.EOF {
				return out, d.Stats(), nil
			}
			if err != nil {
				return out, d.Stats(), err
			}
			out = append(out, row)
		}
		n = min(len(data), n+1+rng.Intn(maxChunk))
	}
}

// TestStreamSameAsWhole: a page decoded while its octets arrive piecewise
// gives the very rows, counts and ending of the page decoded at once, for
// every coding, on clean pages and on pages with damage (concealed rows,
// lost EOLs, a cut-off end); counted without drawing the rows, the same
// counts and ending.
func TestStreamSameAsWhole(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	for _, w := range []int{1728, 2432} {
		pages := genPages(w, 20)
		pages = append(pages, page{"text", w, textPage(w, 120, rand.New(rand.NewSource(5)))})
		for _, p := range pages {
			for _, c := range codings {
				opt := c.opt
				opt.Width = w
				clean := encodePage(t, opt, p.rows)
				for variant := range 4 {
					data := bytes.Clone(clean)
					switch variant {
					case 1: // a few bit errors
						for range 6 {
							i := rng.Intn(len(data) * 8)
							data[i>>3] ^= 0x80 >> uint(i&7)
						}
					case 2: // a burst of noise
						at := rng.Intn(len(data))
						for i := at; i < min(len(data), at+40); i++ {
							data[i] = byte(rng.Intn(256))
						}
					case 3: // cut off
						data = data[:len(data)*2/3]
					}
					name := fmt.Sprintf("%s/%s/%d/variant%d", c.name, p.name, w, variant)
					want, wst, werr := decodePage(t, opt, data)
					chunks := []int{36, 300}
					if p.name == "text" {
						chunks = append(chunks, 5) // octet by octet is slow on the dense pages
					}
					for _, chunk := range chunks {
						got, gst, gerr := streamDecode(t, opt, data, rng, chunk)
						if fmt.Sprint(gerr) != fmt.Sprint(werr) || gst != wst || len(got) != len(want) {
							t.Fatalf("%s chunks %d: got %d rows %+v %v, want %d rows %+v %v", name, chunk, len(got), gst, gerr, len(want), wst, werr)
						}
						for i := range want {
							if !bytes.Equal(got[i], want[i]) {
								t.Fatalf("%s chunks %d: row %d differs", name, chunk, i)
							}
						}
					}
					// Counted without drawing (nil rows): the same counts
					// and ending.
					got, gst, gerr := streamDecodeRows(t, opt, data, rng, 36, true)
					if fmt.Sprint(gerr) != fmt.Sprint(werr) || gst != wst || len(got) != len(want) {
						t.Fatalf("%s rowless: got %d rows %+v %v, want %d rows %+v %v", name, len(got), gst, gerr, len(want), wst, werr)
					}
				}
			}
		}
	}
}

// TestStreamZeroAlloc: streaming decoding allocates nothing per row.
func TestStreamZeroAlloc(t *testing.T) {
	opt := Options{Coding: MR, K: 4, Width: 1728}
	data := encodePage(t, opt, textPage(1728, 200, rand.New(rand.NewSource(2))))
	d, _ := NewDecoder(nil, opt)
	row := make([]byte, 216)
	allocs := testing.AllocsPerRun(5, func() {
		d.ResetStream()
		for n := 0; ; n += 36 {
			n = min(n, len(data))
			d.Feed(data[:n], n == len(data))
			var err error
			for err == nil {
				err = d.Next(row)
			}
			if err != ErrNeedMore {
				break
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per page", allocs)
	}
}

// trialRow draws a row of w pels for a trial: random, sparse, black or
// white as trial goes round.
func trialRow(rng *rand.Rand, w, trial int) []byte {
	row := make([]byte, (w+7)/8)
	for i := range row {
		switch trial % 4 {
		case 0:
			row[i] = byte(rng.Intn(256))
		case 1:
			if rng.Intn(8) == 0 {
				row[i] = byte(rng.Intn(256))
			}
		case 2:
			row[i] = 0xFF
		}
	}
	return row
}

// TestRowChanges: the word-at-a-time scan finds the same changing elements
// as a pixel-by-pixel one, on random rows of every width up to 200 and the
// fax widths.
func TestRowChanges(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	widths := []int{1728, 2048, 2432, 3456, 4864, 1729}
	for w := 1; w <= 200; w++ {
		widths = append(widths, w)
	}
	for _, w := range widths {
		for trial := range 20 {
			row := trialRow(rng, w, trial)
			var want []int32
			colour := 0
			for x := 0; x < w; x++ {
				if int(row[x>>3]>>uint(7-x&7)&1) != colour {
					want = append(want, int32(x))
					colour ^= 1
				}
			}
			got, n := rowChanges(nil, row, w)
			if n != len(want) || fmt.Sprint(got[:n]) != fmt.Sprint(want) {
				t.Fatalf("width %d trial %d: got %v want %v", w, trial, got[:n], want)
			}
		}
	}
}

// TestRenderChanges: drawing a row from its changing elements gives the row
// back, the bits after the last pel cleared, on random rows of every width
// up to 200 and the fax widths, over a row buffer full of garbage.
func TestRenderChanges(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	widths := []int{1728, 2048, 2432, 3456, 4864, 1729, MaxWidth}
	for w := 1; w <= 200; w++ {
		widths = append(widths, w)
	}
	for _, w := range widths {
		for trial := range 20 {
			row := trialRow(rng, w, trial)
			ch, n := rowChanges(nil, row, w)
			maskLast(row, w)
			got := bytes.Repeat([]byte{0xA5}, len(row))
			renderChanges(got, ch[:n], w)
			if !bytes.Equal(got, row) {
				t.Fatalf("width %d trial %d: got %x want %x", w, trial, got, row)
			}
		}
	}
}

// FuzzStream: any data, fed in chunks of any sizes, decodes to the very
// rows, counts and ending of the data decoded at once, in every coding and
// both fill orders; counted without drawing (nil rows) when how's top bit
// is set, to the same counts and ending.
func FuzzStream(f *testing.F) {
	for i, c := range []Coding{MH, MR, MMR} {
		for _, p := range genPages(64, 6)[:7] {
			f.Add(encodePage(f, Options{Coding: c, Width: 64, K: 2}, p.rows), uint16(64), byte(i), int64(i))
		}
	}
	f.Add([]byte{0, 1, 0xFF, 0, 0x10}, uint16(8), byte(1), int64(0))
	f.Add(encodePage(f, Options{Coding: MR, Width: 64, K: 2}, genPages(64, 6)[3].rows), uint16(64), byte(0x81), int64(1)) // rowless
	f.Fuzz(func(t *testing.T, data []byte, w16 uint16, how byte, seed int64) {
		if len(data) > 4096 {
			data = data[:4096] // fed octet by octet, a page of noise costs its length squared
		}
		opt := Options{
			Coding:    []Coding{MH, MR, MMR}[int(how&3)%3],
			Width:     int(w16)%2048 + 1,
			K:         2,
			FillOrder: FillOrder(how>>2&1 + 1),
			MaxRows:   500,
		}
		want, wst, werr := decodePage(t, opt, data)
		rowless := how&0x80 != 0
		got, gst, gerr := streamDecodeRows(t, opt, data, rand.New(rand.NewSource(seed)), 1+int(how>>3&0xF), rowless)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) || gst != wst || len(got) != len(want) {
			t.Fatalf("got %d rows %+v %v, want %d rows %+v %v", len(got), gst, gerr, len(want), wst, werr)
		}
		for i := range want {
			if rowless {
				break
			}
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("row %d differs", i)
			}
		}
	})
}
