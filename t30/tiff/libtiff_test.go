package tiff

// Cross-checks with libtiff's tools (tiffinfo, tiffcp, fax2tiff from libtiff-tools) and
// with golang.org/x/image/tiff. Each test skips when a tool is missing; CI installs them.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faxd/faxd/t30/t4"
	xtiff "golang.org/x/image/tiff"
)

func needTools(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Skipf("%s not installed (libtiff-tools)", n)
		}
	}
}

// run runs a tool and fails on a non-zero exit or anything on stderr (libtiff reports
// warnings and errors there).
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// xImagePage decodes the first page with golang.org/x/image/tiff into rows, 1 = black.
func xImagePage(t *testing.T, data []byte) [][]byte {
	t.Helper()
	img, err := xtiff.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("x/image/tiff: %v", err)
	}
	b := img.Bounds()
	rows := newRows(b.Dx(), b.Dy())
	if g, ok := img.(*image.Gray); ok {
		for y := 0; y < b.Dy(); y++ {
			for x, v := range g.Pix[y*g.Stride : y*g.Stride+b.Dx()] {
				if v < 128 {
					setPix(rows[y], x)
				}
			}
		}
		return rows
	}
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			var lum uint32
			switch im := img.(type) {
			case *image.Gray:
				lum = uint32(im.GrayAt(b.Min.X+x, b.Min.Y+y).Y)
			default:
				r, g, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				lum = (r + g + bb) / 3 >> 8
			}
			if lum < 128 {
				setPix(rows[y], x)
			}
		}
	}
	return rows
}

func writeTemp(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readTemp(t *testing.T, p string) []byte {
	t.Helper()
	d, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestLibtiffReadsOurs: files we write pass tiffinfo -D, and tiffcp -c none turns them
// into uncompressed files whose pixels (read by our Reader and by x/image/tiff) are the
// ones we wrote.
func TestLibtiffReadsOurs(t *testing.T) {
	needTools(t, "tiffinfo", "tiffcp")
	dir := t.TempDir()
	type cfg struct {
		width int
		c     Coding
		fill  t4.FillOrder
		bo    binary.ByteOrder
		rps   int
		align bool
	}
	var cfgs []cfg
	for _, c := range allCodings {
		for _, fill := range []t4.FillOrder{t4.MSBFirst, t4.LSBFirst} {
			for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
				rps := 0
				if fill == t4.LSBFirst && bo == binary.BigEndian {
					rps = 16
				}
				cfgs = append(cfgs, cfg{1728, c, fill, bo, rps, false})
			}
		}
	}
	cfgs = append(cfgs, cfg{2048, MR, t4.LSBFirst, binary.LittleEndian, 0, true},
		cfg{2432, MMR, t4.MSBFirst, binary.BigEndian, 25, false},
		cfg{2432, MH, t4.LSBFirst, binary.LittleEndian, 0, true})
	for i, c := range cfgs {
		name := fmt.Sprintf("%d-%v-fill%d-%v-rps%d", c.width, c.c, c.fill, c.bo, c.rps)
		pages := genPages(c.width, rtRows)
		data := writeFile(t, Options{ByteOrder: c.bo, FillOrder: c.fill, RowsPerStrip: c.rps},
			PageSpec{Coding: c.c, Resolution: Fine, AlignEOL: c.align, Quality: &Quality{}}, pages, i%2 == 0)
		in := writeTemp(t, dir, name+".tif", data)
		info := run(t, "tiffinfo", "-D", in)
		if n := strings.Count(info, "TIFF Directory"); n != len(pages) {
			t.Fatalf("%s: tiffinfo shows %d directories\n%s", name, n, info)
		}
		for _, want := range []string{"Page Number: 0-6", "Software: faxd", "Resolution: 204, 196 pixels/inch"} {
			if !strings.Contains(info, want) {
				t.Fatalf("%s: tiffinfo lacks %q\n%s", name, want, info)
			}
		}
		if c.c != Uncompressed && !strings.Contains(info, "Fax Data: clean") {
			t.Fatalf("%s: tiffinfo lacks the Class F fields\n%s", name, info)
		}
		out := filepath.Join(dir, name+"-none.tif")
		run(t, "tiffcp", "-c", "none", in, out)
		plain := readTemp(t, out)
		got, infos, _ := readFile(t, plain)
		for k, p := range pages {
			if infos[k].Compression != CompressionNone {
				t.Fatalf("%s: tiffcp output compression %d", name, infos[k].Compression)
			}
			samePage(t, name+"/"+p.name, p.rows, got[k])
		}
		if c.fill == t4.LSBFirst {
			// x/image/tiff honours FillOrder only for CCITT data.
			run(t, "tiffcp", "-c", "none", "-f", "msb2lsb", in, out)
			plain = readTemp(t, out)
		}
		samePage(t, name+"/x-image", pages[0].rows, xImagePage(t, plain))
		if (c.c == MH || c.c == MMR) && !c.align {
			// x/image/tiff decodes CCITT MH and MMR directly (not MR, not fill bits).
			samePage(t, name+"/x-image-ccitt", pages[0].rows, xImagePage(t, data))
		}
	}
}

// TestOursReadsLibtiff: files libtiff writes (tiffcp from an uncompressed TIFF, with each
// compression, fill order, byte order and strip size) read pixel-exact.
func TestOursReadsLibtiff(t *testing.T) {
	needTools(t, "tiffcp")
	dir := t.TempDir()
	for _, width := range widths {
		pages := genPages(width, rtRows)
		src := writeFile(t, Options{}, PageSpec{Coding: Uncompressed, Resolution: Fine}, pages, false)
		// Our uncompressed file, checked independently.
		samePage(t, "source/x-image", pages[0].rows, xImagePage(t, src))
		in := writeTemp(t, dir, fmt.Sprintf("src%d.tif", width), src)
		argSets := [][]string{
			{"-c", "g3"},
			{"-c", "g3:2d"},
			{"-c", "g4"},
			{"-c", "g3", "-f", "lsb2msb"},
			{"-c", "g3:2d", "-f", "lsb2msb", "-r", "16"},
			{"-c", "g4", "-r", "16"},
			{"-c", "g3", "-B"},
			{"-c", "g4", "-B", "-f", "lsb2msb"},
			{"-c", "g3:2d:fill", "-L"},
			{"-c", "g3:1d:fill", "-B", "-r", "7"},
			{"-c", "none", "-f", "lsb2msb", "-B", "-r", "16"},
		}
		if width != 1728 {
			argSets = argSets[:3]
		}
		for k, args := range argSets {
			name := fmt.Sprintf("%d %s", width, strings.Join(args, " "))
			out := filepath.Join(dir, fmt.Sprintf("out%d-%d.tif", width, k))
			run(t, "tiffcp", append(args, in, out)...)
			got, infos, stats := readFile(t, readTemp(t, out))
			if len(got) != len(pages) {
				t.Fatalf("%s: %d pages", name, len(got))
			}
			for i, p := range pages {
				samePage(t, name+"/"+p.name, p.rows, got[i])
				if stats[i] != (Stats{Rows: rtRows}) {
					t.Fatalf("%s: stats %+v", name, stats[i])
				}
			}
			in0 := infos[0]
			wantComp := map[string]int{"g3": 3, "g3:2d": 3, "g4": 4, "none": 1, "g3:2d:fill": 3, "g3:1d:fill": 3}[args[1]]
			if in0.Compression != wantComp || in0.YRes != 196 || in0.PageTotal != len(pages) {
				t.Fatalf("%s: %+v", name, in0)
			}
			if strings.Contains(args[1], "2d") != (in0.T4Options&T4TwoD != 0) ||
				strings.Contains(args[1], "fill") != (in0.T4Options&T4FillBits != 0) {
				t.Fatalf("%s: T4Options %#x", name, in0.T4Options)
			}
			if slicesContains(args, "lsb2msb") != (in0.FillOrder == t4.LSBFirst) {
				t.Fatalf("%s: fill order %d", name, in0.FillOrder)
			}
		}
	}
}

func slicesContains(a []string, s string) bool {
	for _, x := range a {
		if x == s {
			return true
		}
	}
	return false
}

// TestFax2tiff: fax2tiff wraps raw T.4/T.6 data from our t4 encoder into the Class F files
// HylaFAX-style tools make (LSB first, EOL-aligned 2-D G3 by default, BadFaxLines,
// CleanFaxData, ConsecutiveBadFaxLines); we read them back pixel-exact.
func TestFax2tiff(t *testing.T) {
	needTools(t, "fax2tiff")
	dir := t.TempDir()
	p := genPages(1728, 90)[0]
	for k, c := range []struct {
		in   t4.Coding
		fill t4.FillOrder
		args []string
	}{
		{t4.MH, t4.LSBFirst, nil},
		{t4.MH, t4.LSBFirst, []string{"-5", "-p", "-m"}},
		{t4.MR, t4.LSBFirst, []string{"-2", "-8"}},
		{t4.MH, t4.MSBFirst, []string{"-M", "-5", "-r", "16"}},
		{t4.MR, t4.MSBFirst, []string{"-2", "-M", "-6", "-a", "-r", "7"}},
	} {
		var raw bytes.Buffer
		e, err := t4.NewEncoder(&raw, t4.Options{Coding: c.in, Width: 1728, K: 4, FillOrder: c.fill})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.rows {
			e.WriteRow(r)
		}
		n := e.Bits()
		e.Close()
		data := raw.Bytes()
		// Without RTC or EOFB: fax2tiff counts their EOLs as rows.
		data = data[:(n+7)/8]
		in := writeTemp(t, dir, fmt.Sprintf("raw%d.g3", k), data)
		out := filepath.Join(dir, fmt.Sprintf("f%d.tif", k))
		run(t, "fax2tiff", append(append([]string{}, c.args...), "-o", out, in)...)
		got, infos, stats := readFile(t, readTemp(t, out))
		name := strings.Join(c.args, " ")
		samePage(t, "fax2tiff "+name, p.rows, got[0])
		in0 := infos[0]
		if (in0.Compression == CompressionG3) != (in0.Quality != nil) || stats[0] != (Stats{Rows: 90}) || in0.YRes != 196 || in0.XRes != 204 {
			t.Fatalf("fax2tiff %s: %+v %+v", name, in0, stats[0])
		}
	}
}
