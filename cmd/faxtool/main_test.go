package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faxd/faxd/dsp/audio"
	"github.com/faxd/faxd/dsp/modems"
)

func runTool(t *testing.T, stdin []byte, args ...string) (status int, stdout, stderr []byte) {
	t.Helper()
	var out, errb bytes.Buffer
	status = run(args, bytes.NewReader(stdin), &out, &errb)
	return status, out.Bytes(), errb.Bytes()
}

func TestUsageErrors(t *testing.T) {
	cases := [][]string{
		{},
		{"nonsense"},
		{"modem"},
		{"modem", "tx"},
		{"modem", "tx", "--modem", "v99", "--rate", "9600"},
		{"modem", "tx", "--modem", "v29", "--rate", "14400"},
		{"modem", "rx", "--modem", "v27ter", "--rate", "9600"},
		{"modem", "tx", "--modem", "v21", "--channel", "3"},
		{"modem", "tx", "--modem", "v29", "--rate", "9600", "--level", "+5"},
		{"modem", "tx", "--modem", "v29", "--rate", "nine"},
		{"modem", "rx", "--modem", "v29", "--rate", "9600", "extra"},
		{"demo", "--seconds", "-1"},
	}
	for _, args := range cases {
		status, _, stderr := runTool(t, nil, args...)
		if status != 2 {
			t.Errorf("%q: status %d, want 2", args, status)
		}
		if len(args) > 0 && strings.Count(strings.TrimSpace(string(stderr)), "\n") != 0 {
			t.Errorf("%q: want one error line, got %q", args, stderr)
		}
	}
}

func TestRxBadInput(t *testing.T) {
	// A WAVE file at the wrong rate: one clear line, status 2.
	var wav bytes.Buffer
	audio.WriteWAVE(&wav, make([]int16, 100), 2)
	status, _, stderr := runTool(t, wav.Bytes(), "modem", "rx", "--modem", "v29", "--rate", "9600")
	if status != 2 || !strings.Contains(string(stderr), "channels") {
		t.Errorf("stereo input: status %d, %q", status, stderr)
	}
	// Odd-length raw audio.
	status, _, stderr = runTool(t, []byte{1, 2, 3}, "modem", "rx", "--modem", "v27ter", "--rate", "4800")
	if status != 2 {
		t.Errorf("odd input: status %d, %q", status, stderr)
	}
	// No input at all: no training, no panic.
	for _, m := range []string{"v21", "v27ter", "v29"} {
		status, out, stderr := runTool(t, nil, "modem", "rx", "--modem", m, "--rate", map[string]string{"v21": "300", "v27ter": "2400", "v29": "7200"}[m])
		if status != 2 || len(out) != 0 || !strings.Contains(string(stderr), "did not train") {
			t.Errorf("%s on empty input: status %d, %d bytes out, %q", m, status, len(out), stderr)
		}
	}
}

// bitsOf unpacks bytes LSB first.
func bitsOf(b []byte) []byte {
	bits := make([]byte, 0, 8*len(b))
	for _, c := range b {
		for i := 0; i < 8; i++ {
			bits = append(bits, c>>i&1)
		}
	}
	return bits
}

func TestModemRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	data := make([]byte, 300)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, c := range []struct{ modem, rate string }{
		{"v21", "300"}, {"v27ter", "2400"}, {"v27ter", "4800"}, {"v29", "4800"}, {"v29", "7200"}, {"v29", "9600"}, {"v17", "14400"}, {"v17", "7200"},
	} {
		in := data
		if c.modem == "v21" {
			// FSK has no training: lead with HDLC flags for the receiver to
			// lock on, and end with some, as rx writes whole bytes only and
			// its bytes need not line up with ours.
			in = append(bytes.Repeat([]byte{0x7E}, 12), data...)
			in = append(in, bytes.Repeat([]byte{0x7E}, 4)...)
		}
		status, sig, stderr := runTool(t, in, "modem", "tx", "--modem", c.modem, "--rate", c.rate, "--level", "-20")
		if status != 0 || len(sig)%2 != 0 {
			t.Fatalf("%s %s tx: status %d, %q", c.modem, c.rate, status, stderr)
		}
		// Feed it as a WAVE file, to exercise that path too.
		samples := make([]int16, len(sig)/2)
		for i := range samples {
			samples[i] = int16(uint16(sig[2*i]) | uint16(sig[2*i+1])<<8)
		}
		var wav bytes.Buffer
		audio.WriteWAVE(&wav, samples, 1)
		status, got, stderr := runTool(t, wav.Bytes(), "modem", "rx", "--modem", c.modem, "--rate", c.rate)
		if status != 0 {
			t.Fatalf("%s %s rx: status %d, %q", c.modem, c.rate, status, stderr)
		}
		if !strings.Contains(string(stderr), "quality") {
			t.Errorf("%s %s rx: no report on stderr: %q", c.modem, c.rate, stderr)
		}
		if c.modem == "v21" {
			// The receiver may lock a few bits into the flags, which shifts
			// every byte it packs: look for the data bit by bit.
			if !bytes.Contains(bitsOf(got), bitsOf(data)) {
				t.Errorf("%s: data not found in what was received", c.modem)
			}
			continue
		}
		if len(got) < len(data) || !bytes.Equal(got[:len(data)], data) {
			t.Errorf("%s %s: received data differs (%d bytes back for %d sent)", c.modem, c.rate, len(got), len(data))
		}
	}
}

func TestDemo(t *testing.T) {
	status, out, stderr := runTool(t, nil, "demo", "--quick")
	if status != 0 {
		t.Fatalf("demo: status %d, %q", status, stderr)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	rates := 0
	for _, m := range modems.All {
		rates += len(m.Rates)
	}
	if want := 1 + rates*len(demoConditions); len(lines) != want {
		t.Fatalf("demo printed %d lines, want %d:\n%s", len(lines), want, out)
	}
	for _, l := range lines[1:] {
		// Every clean-line row must be error-free: the columns after the
		// line's name are level, SNR, bits, errors.
		if i := strings.Index(l, "clean line"); i >= 0 {
			f := strings.Fields(l[i+len("clean line"):])
			if len(f) < 4 || f[3] != "0" {
				t.Errorf("clean line with errors: %s", l)
			}
		}
	}
	t.Logf("\n%s", out)
}

func TestConvertAndInfo(t *testing.T) {
	dir := t.TempDir()
	txt := filepath.Join(dir, "letter.txt")
	if err := os.WriteFile(txt, []byte(strings.Repeat("Dear customer,\n\tyour fax.\n", 90)), 0o644); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "chart.png")
	m := image.NewGray(image.Rect(0, 0, 400, 300))
	for y := range 300 {
		for x := range 400 {
			m.SetGray(x, y, color.Gray{Y: uint8(x * 255 / 400)})
		}
	}
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, m); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(img, pngBuf.Bytes(), 0o644)

	for _, comp := range []string{"mh", "mr", "mmr"} {
		out := filepath.Join(dir, "out-"+comp+".tif")
		status, _, stderr := runTool(t, nil, "convert", txt, img, "-o", out, "--compression", comp, "--resolution", "fine", "--header", "ACME")
		if status != 0 {
			t.Fatalf("convert %s: status %d, %s", comp, status, stderr)
		}
		status, info, stderr := runTool(t, nil, "tiff", "info", out)
		if status != 0 {
			t.Fatalf("tiff info: status %d, %s", status, stderr)
		}
		// Three text pages (180 lines, wrapped and tabbed, about 64 a page)
		// and one image page, all at A4 fine, decoding without a bad row.
		s := string(info)
		if !strings.Contains(s, "4 page(s)") || strings.Count(s, "1728 x") != 4 || strings.Count(s, "204x196 dpi") != 4 ||
			strings.Count(s, "bad rows 0") != 4 || !strings.Contains(s, map[string]string{"mh": "MH", "mr": "MR", "mmr": "MMR"}[comp]) {
			t.Errorf("%s: tiff info says:\n%s", comp, s)
		}
		// A fax TIFF at the requested resolution goes through unchanged.
		again := filepath.Join(dir, "again.tif")
		if status, _, stderr := runTool(t, nil, "convert", out, "-o", again, "--compression", "mmr"); status != 0 {
			t.Fatalf("convert TIFF: status %d, %s", status, stderr)
		}
	}
	pdf := filepath.Join(dir, "out.pdf")
	if status, _, stderr := runTool(t, nil, "convert", img, "-o", pdf); status != 0 {
		t.Fatalf("convert to PDF: status %d, %s", status, stderr)
	}
	if b, _ := os.ReadFile(pdf); !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("not a PDF: %.20q", b)
	}
	if status, _, stderr := runTool(t, nil, "convert", img, "-o", filepath.Join(dir, "prev.png")); status != 0 {
		t.Fatalf("convert to PNG: status %d, %s", status, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "prev-1.png")); err != nil {
		t.Error(err)
	}
	for _, args := range [][]string{
		{"convert", txt},
		{"convert", txt, "-o", filepath.Join(dir, "x.doc")},
		{"convert", txt, "-o", filepath.Join(dir, "x.tif"), "--resolution", "ultra"},
		{"convert", txt, "-o", filepath.Join(dir, "x.tif"), "--compression", "jbig"},
		{"tiff", "list", txt},
	} {
		if status, _, stderr := runTool(t, nil, args...); status != 2 || strings.Count(string(stderr), "\n") != 1 {
			t.Errorf("%q: status %d, %q", args, status, stderr)
		}
	}
	if status, _, _ := runTool(t, nil, "convert", filepath.Join(dir, "missing.txt"), "-o", filepath.Join(dir, "y.tif")); status != 1 {
		t.Errorf("a missing input: status %d", status)
	}
	if status, _, _ := runTool(t, nil, "tiff", "info", txt); status != 1 {
		t.Errorf("tiff info on text: status %d", status)
	}
}
