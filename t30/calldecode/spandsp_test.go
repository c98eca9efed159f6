//go:build spandsp

package calldecode

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/faxd/faxd/dsp/spandsp"
	"github.com/faxd/faxd/t30/tiff"
)

// spandspCall records a call between two SpanDSP fax terminals, the
// caller sending pages (written with t30/tiff) to the answerer: each
// side's audio as it left the terminal.
func spandspCall(t *testing.T, pages [][][]byte, ecm bool, modems spandsp.FaxModems) (calling, called []int16, res spandsp.FaxResult) {
	t.Helper()
	dir := t.TempDir()
	tx := filepath.Join(dir, "tx.tif")
	f, err := os.Create(tx)
	if err != nil {
		t.Fatal(err)
	}
	w, err := tiff.NewWriter(f, tiff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rows := range pages {
		pw, err := w.AddPage(tiff.PageSpec{Width: 1728, Coding: tiff.MH, Resolution: tiff.Fine})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if err := pw.WriteRow(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	a := spandsp.NewFax(true, spandsp.FaxOptions{TxFile: tx, ECM: ecm, Modems: modems, Ident: "+1 555 0100"})
	defer a.Close()
	b := spandsp.NewFax(false, spandsp.FaxOptions{RxFile: filepath.Join(dir, "rx.tif"), ECM: ecm, Modems: modems, Ident: "+1 555 0199"})
	defer b.Close()
	const block = 160
	aIn, aOut := make([]int16, block), make([]int16, block)
	bIn, bOut := make([]int16, block), make([]int16, block)
	for len(calling) < 300*8000 && !(a.Done() && b.Done()) {
		a.Process(aIn, aOut)
		copy(bIn, aOut)
		b.Process(bIn, bOut)
		copy(aIn, bOut)
		calling = append(calling, aOut...)
		called = append(called, bOut...)
	}
	// A second of silence, as a recording would run on.
	calling = append(calling, make([]int16, 8000)...)
	called = append(called, make([]int16, 8000)...)
	res = a.Result()
	if res.Code != spandsp.T30ErrOK || b.Result().Code != spandsp.T30ErrOK {
		t.Fatalf("SpanDSP call failed: caller %+v, answerer %+v", res, b.Result())
	}
	return calling, called, res
}

// mix adds two tracks, as the line hears both terminals.
func mix(a, b []int16) []int16 {
	out := make([]int16, len(a))
	for i := range out {
		s := int32(a[i]) + int32(b[i])
		out[i] = int16(max(-32768, min(32767, s)))
	}
	return out
}

// keyFrames keeps the frames that make the T.30 dialogue's skeleton.
func keyFrames(r *decoded) []string {
	var s []string
	for _, e := range r.events {
		if e.Kind != KindFrame {
			continue
		}
		switch e.Name {
		case "DIS", "DCS", "CFR", "FTT", "MPS", "EOP", "PPS", "PPR", "MCF", "RTN", "DCN":
			s = append(s, e.Side.Arrow()+e.Name)
		}
	}
	return s
}

func TestSpanDSPCall(t *testing.T) {
	pages := [][][]byte{synthPage(1728, 500, 11), synthPage(1728, 400, 12)}
	cases := []struct {
		name   string
		ecm    bool
		modems spandsp.FaxModems
		modem  string
	}{
		{"V.17", false, spandsp.SupportV17, "V.17 14400"},
		{"V.17 ECM", true, spandsp.SupportV17, "V.17 14400"},
		{"V.29", false, spandsp.SupportV29, "V.29 9600"},
		{"V.29 ECM", true, spandsp.SupportV29, "V.29 9600"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calling, called, res := spandspCall(t, pages, c.ecm, c.modems)
			if res.Pages != len(pages) {
				t.Fatalf("SpanDSP sent %d pages", res.Pages)
			}
			want := []string{"<-DIS", "->DCS", "<-CFR", "->MPS", "<-MCF", "->EOP", "<-MCF", "->DCN"}
			if c.ecm {
				// Page 1 takes two partial pages of 256 frames at most.
				want = []string{"<-DIS", "->DCS", "<-CFR", "->PPS", "<-MCF", "->PPS", "<-MCF", "->PPS", "<-MCF", "->DCN"}
			}
			check := func(t *testing.T, r *decoded) {
				t.Helper()
				if got := keyFrames(r); !slices.Equal(got, want) {
					t.Errorf("frames %q, want %q", got, want)
				}
				if len(r.pages) != len(pages) {
					t.Fatalf("%d pages decoded, want %d\n%s", len(r.pages), len(pages), r)
				}
				for i, p := range r.pages {
					if p.Modem != c.modem || p.ECM != c.ecm || !p.OK() {
						t.Errorf("page %d: %s, ECM %v, OK %v, stats %+v, err %v", i+1, p.Modem, p.ECM, p.OK(), p.Stats, p.Err)
					}
					if !samePage(p.Rows, pages[i]) {
						t.Errorf("page %d differs from the source (%d rows, want %d)", i+1, len(p.Rows), len(pages[i]))
					}
				}
				if t.Failed() || testing.Verbose() {
					t.Logf("\n%s", r)
				}
			}
			t.Run("mixed", func(t *testing.T) { check(t, decodeMono(t, mix(calling, called))) })
			t.Run("stereo", func(t *testing.T) { check(t, decodeStereo(t, calling, called)) })
		})
	}
}
