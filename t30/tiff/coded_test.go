package tiff

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/faxd/faxd/t30/t4"
)

// codedPage codes rows as a receiver gets them from the line: the whole
// stream with RTC (T.4) or EOFB (T.6) at its end, in fill order fo.
func codedPage(t *testing.T, c Coding, width int, rows [][]byte, fo t4.FillOrder) []byte {
	t.Helper()
	var b bytes.Buffer
	enc, err := t4.NewEncoder(&b, t4.Options{Coding: c.t4(), Width: width, K: 4, FillOrder: fo})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := enc.WriteRow(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestWriteCoded: pages given coded (RTC or EOFB and all) are stored as
// they are, one strip each, and read back to the same pixels, by us and
// (when installed) by libtiff's tiffcp without a warning.
func TestWriteCoded(t *testing.T) {
	width := 1728
	ps := genPages(width, rtRows)
	for _, fo := range []t4.FillOrder{t4.MSBFirst, t4.LSBFirst} {
		var b bytes.Buffer
		w, err := NewWriter(&b, Options{FillOrder: fo})
		if err != nil {
			t.Fatal(err)
		}
		var want [][][]byte
		for i, c := range []Coding{MH, MR, MMR} {
			p := ps[i%len(ps)]
			data := codedPage(t, c, width, p.rows, fo)
			pw, err := w.AddPage(PageSpec{Width: width, Coding: c, Resolution: Fine})
			if err != nil {
				t.Fatal(err)
			}
			if err := pw.WriteCoded(data, len(p.rows)); err != nil {
				t.Fatal(err)
			}
			if err := pw.WriteCoded(data, len(p.rows)); err == nil {
				t.Error("coded twice")
			}
			if err := pw.WriteRow(p.rows[0]); !errors.Is(err, ErrUnsupported) {
				t.Errorf("a row after coded data: %v", err)
			}
			if err := pw.Close(); err != nil {
				t.Fatal(err)
			}
			want = append(want, p.rows)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got, infos, _ := readFile(t, b.Bytes())
		for i := range want {
			samePage(t, fmt.Sprint("page ", i, " compression ", infos[i].Compression), want[i], got[i])
		}
		if _, err := exec.LookPath("tiffcp"); err == nil {
			dir := t.TempDir()
			in, out := filepath.Join(dir, "in.tif"), filepath.Join(dir, "out.tif")
			os.WriteFile(in, b.Bytes(), 0o600)
			run(t, "tiffcp", "-c", "none", in, out)
			raw, _ := os.ReadFile(out)
			back, _, _ := readFile(t, raw)
			for i := range want {
				samePage(t, "libtiff's copy", want[i], back[i])
			}
		}
	}
	// Refused: rows first, no rows, no data, an uncompressed page.
	w, _ := NewWriter(&bytes.Buffer{}, Options{})
	pw, _ := w.AddPage(PageSpec{Width: width, Coding: MMR})
	pw.WriteRow(ps[0].rows[0])
	if err := pw.WriteCoded([]byte{1}, 1); !errors.Is(err, ErrUnsupported) {
		t.Errorf("after a row: %v", err)
	}
	pw.Close()
	for _, c := range []struct {
		coding Coding
		data   []byte
		rows   int
	}{{MMR, []byte{1}, 0}, {MMR, nil, 1}, {Uncompressed, []byte{1}, 1}} {
		pw, _ := w.AddPage(PageSpec{Width: width, Coding: c.coding})
		if err := pw.WriteCoded(c.data, c.rows); err == nil {
			t.Errorf("%+v accepted", c)
		}
		pw.Close()
	}
}
