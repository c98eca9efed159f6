package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/audio"
	"github.com/faxd/faxd/dsp/v21"
	"github.com/faxd/faxd/dsp/v27ter"
	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/t4"
	"github.com/faxd/faxd/t30/tiff"
)

// txAll drives a transmitter to its end.
func txAll(t *testing.T, tx dsp.Transmitter) []int16 {
	t.Helper()
	var out []int16
	buf := make([]int16, 160)
	for len(out) < 60*dsp.SampleRate {
		n := tx.Process(buf)
		out = append(out, buf[:n]...)
		if n < len(buf) {
			return out
		}
	}
	t.Fatal("transmitter never stopped")
	return nil
}

// v21Send is one V.21 channel 2 transmission of frames (address, control,
// FCF, FIF), the last one final.
func v21Send(t *testing.T, frames ...t30.Frame) []int16 {
	t.Helper()
	h := t30.NewHDLCTx(t30.HDLCTxConfig{})
	for i, f := range frames {
		f.Final = i == len(frames)-1
		b, _ := f.Marshal()
		if err := h.Send(b); err != nil {
			t.Fatal(err)
		}
	}
	h.Finish()
	tx, err := v21.NewTransmitter(v21.Channel2, h)
	if err != nil {
		t.Fatal(err)
	}
	return txAll(t, tx)
}

// v27Send is one V.27ter 4800 transmission of octets, LSB first.
func v27Send(t *testing.T, data []byte) []int16 {
	t.Helper()
	i := 0
	src := dsp.BitSourceFunc(func() int {
		if i >= 8*len(data) {
			return dsp.EndOfData
		}
		b := int(data[i/8] >> (i % 8) & 1)
		i++
		return b
	})
	tx, err := v27ter.NewTransmitter(4800, src)
	if err != nil {
		t.Fatal(err)
	}
	return txAll(t, tx)
}

// syntheticCall builds a one-page non-ECM call at V.27ter 4800 from our
// own transmitters: the calling side's and the called side's audio, and
// the page sent.
func syntheticCall(t *testing.T) (calling, called []int16, rows [][]byte) {
	t.Helper()
	gap := make([]int16, 600) // 75 ms
	add := func(fromCalling bool, s []int16) {
		s = append(s, gap...)
		if fromCalling {
			calling = append(calling, s...)
			called = append(called, make([]int16, len(s))...)
		} else {
			called = append(called, s...)
			calling = append(calling, make([]int16, len(s))...)
		}
	}
	params := func(p t30.Params) []byte {
		b, _ := p.Marshal()
		return b
	}
	ident := func(f t30.FCF, s string) []byte {
		b, _ := t30.AppendIdent(nil, f, s)
		return b
	}
	add(false, v21Send(t,
		t30.Frame{FCF: t30.CSI, FIF: ident(t30.CSI, "+1 555 0199")},
		t30.Frame{FCF: t30.DIS, FIF: params(t30.Params{Rate: t30.ModemsV27terV29, Receive: true, Fine: true, MR: true})}))
	add(true, v21Send(t, t30.Frame{FCF: t30.DCS.WithX(true), FIF: params(t30.Params{Rate: t30.V27ter4800, Receive: true, Fine: true})}))
	add(true, v27Send(t, make([]byte, 4800*3/2/8))) // TCF
	add(false, v21Send(t, t30.Frame{FCF: t30.CFR}))

	for y := range 120 {
		row := make([]byte, 1728/8)
		for x := range row {
			if (x/3+y/10)%4 == 0 {
				row[x] = 0x3C
			}
		}
		rows = append(rows, row)
	}
	var coded bytes.Buffer
	enc, _ := t4.NewEncoder(&coded, t4.Options{Coding: t4.MH, Width: 1728, FillOrder: t4.LSBFirst})
	for _, r := range rows {
		enc.WriteRow(r)
	}
	enc.Close()
	add(true, v27Send(t, coded.Bytes()))
	add(true, v21Send(t, t30.Frame{FCF: t30.EOP.WithX(true)}))
	add(false, v21Send(t, t30.Frame{FCF: t30.MCF}))
	add(true, v21Send(t, t30.Frame{FCF: t30.DCN.WithX(true)}))
	return calling, called, rows
}

func decodeTool(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = decodeCommand(args, &out, &errb)
	return out.String(), errb.String(), err
}

// readPages decodes every page of a TIFF file.
func readPages(t *testing.T, path string) [][][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := tiff.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var pages [][][]byte
	for i := range r.NumPages() {
		rr, err := r.Rows(i)
		if err != nil {
			t.Fatal(err)
		}
		var rows [][]byte
		for {
			row := make([]byte, (rr.Info().Width+7)/8)
			if err := rr.Next(row); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, row)
		}
		pages = append(pages, rows)
	}
	return pages
}

func TestDecodeCommand(t *testing.T) {
	calling, called, rows := syntheticCall(t)
	dir := t.TempDir()
	mixed := make([]int16, len(calling))
	for i := range mixed {
		mixed[i] = calling[i] + called[i] // the two sides never overlap
	}
	stereo := make([]int16, 2*len(calling))
	for i := range calling {
		stereo[2*i], stereo[2*i+1] = calling[i], called[i]
	}
	write := func(name string, f func(*os.File) error) string {
		p := filepath.Join(dir, name)
		w, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := f(w); err != nil {
			t.Fatal(err)
		}
		w.Close()
		return p
	}
	wavMono := write("mono.wav", func(w *os.File) error { return audio.WriteWAVE(w, mixed, 1) })
	rawMono := write("mono.raw", func(w *os.File) error { return audio.WriteRaw(w, mixed) })
	wavStereo := write("stereo.wav", func(w *os.File) error { return audio.WriteWAVE(w, stereo, 2) })
	rawStereo := write("stereo.raw", func(w *os.File) error { return audio.WriteRaw(w, stereo) })

	for _, c := range []struct {
		name string
		args []string
		lbl  [2]string // labels of the calling and called side's lines
	}{
		{"wav mono", []string{wavMono}, [2]string{"", ""}},
		{"raw mono", []string{rawMono}, [2]string{"", ""}},
		{"wav stereo", []string{wavStereo}, [2]string{"L ", "R "}},
		{"raw stereo", []string{"--stereo", rawStereo}, [2]string{"L ", "R "}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tif := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".tif")
			out, stderr, err := decodeTool(t, append(c.args, "--pages", tif)...)
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			want := []string{
				" s  " + c.lbl[1] + `<- CSI  "+1 555 0199"`,
				" s  " + c.lbl[1] + "<- DIS  V.29 V.27ter, fine, MR",
				" s  " + c.lbl[0] + "-> DCS  V.27ter 4800, fine",
				" s  " + c.lbl[0] + "-> TCF  ",
				" s  " + c.lbl[1] + "<- CFR",
				" s  " + c.lbl[0] + "-> page 1  V.27ter 4800, MH, 1728 pels, fine",
				" s  " + c.lbl[0] + "-> page 1  120 rows x 1728, MH",
				" s  " + c.lbl[0] + "-> EOP",
				" s  " + c.lbl[1] + "<- MCF",
				" s  " + c.lbl[0] + "-> DCN",
				"1 page(s) decoded",
			}
			at := 0
			for _, w := range want {
				i := strings.Index(out[at:], w)
				if i < 0 {
					t.Fatalf("output lacks %q after offset %d:\n%s", w, at, out)
				}
				at += i + len(w)
			}
			if strings.Contains(out, "carrier") {
				t.Errorf("carrier events without -v:\n%s", out)
			}
			pages := readPages(t, tif)
			if len(pages) != 1 || len(pages[0]) != len(rows) {
				t.Fatalf("TIFF: %d pages", len(pages))
			}
			for y := range rows {
				if !bytes.Equal(pages[0][y], rows[y]) {
					t.Fatalf("TIFF row %d differs", y)
				}
			}
		})
	}

	t.Run("verbose", func(t *testing.T) {
		out, _, err := decodeTool(t, "-v", wavMono)
		if err != nil || !strings.Contains(out, "-> V.27ter 4800 carrier up") || !strings.Contains(out, "V.21 carrier up") {
			t.Errorf("err %v, output:\n%s", err, out)
		}
	})
}

func TestDecodeCommandErrors(t *testing.T) {
	dir := t.TempDir()
	mono := filepath.Join(dir, "mono.wav")
	f, _ := os.Create(mono)
	audio.WriteWAVE(f, make([]int16, 800), 1)
	f.Close()
	odd := filepath.Join(dir, "odd.raw")
	os.WriteFile(odd, []byte{1, 2, 3}, 0o644)
	for _, args := range [][]string{
		{},
		{"--bogus", mono},
		{mono, mono},
		{"--stereo", mono},
		{odd},
	} {
		if _, _, err := decodeTool(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("%q: error %v, want a usage error", args, err)
		}
	}
	if _, _, err := decodeTool(t, filepath.Join(dir, "missing.wav")); err == nil || errors.Is(err, errUsage) {
		t.Errorf("missing file: error %v", err)
	}
	// Silence: no page, no TIFF left behind.
	tif := filepath.Join(dir, "none.tif")
	out, stderr, err := decodeTool(t, mono, "--pages", tif)
	if err != nil || !strings.Contains(out, "0 page(s) decoded") || !strings.Contains(stderr, "no page") {
		t.Errorf("silence: err %v, out %q, stderr %q", err, out, stderr)
	}
	if _, err := os.Stat(tif); !os.IsNotExist(err) {
		t.Errorf("silence left %s behind", tif)
	}
}
