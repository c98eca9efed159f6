//go:build spandsp

package t38

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/faxd/faxd/dsp/spandsp"
)

// TestGatewaySpanDSP: SpanDSP's audio fax terminal → our Gateway →
// SpanDSP's T.38 terminal, and the reverse (the T.38 terminal sends, the
// audio terminal receives), ECM on and off: the page arrives identical.
func TestGatewaySpanDSP(t *testing.T) {
	dir := t.TempDir()
	pages := letter(t, 1)
	txFile := filepath.Join(dir, "tx.tif")
	writeTIFF(t, txFile, pages)
	n := 0
	for _, audioSends := range []bool{true, false} {
		for _, ecm := range []bool{false, true} {
			n++
			name := fmt.Sprintf("%s/ECM=%v", map[bool]string{true: "audio-to-t38", false: "t38-to-audio"}[audioSends], ecm)
			t.Run(name, func(t *testing.T) {
				rxFile := filepath.Join(dir, fmt.Sprintf("rx%d.tif", n))
				var fax *spandsp.Fax
				var term *spandsp.T38Terminal
				if audioSends {
					fax = spandsp.NewFax(true, spandsp.FaxOptions{TxFile: txFile, ECM: ecm})
					term = spandsp.NewT38Terminal(false, spandsp.T38Options{RxFile: rxFile, ECM: ecm})
				} else {
					fax = spandsp.NewFax(false, spandsp.FaxOptions{RxFile: rxFile, ECM: ecm})
					term = spandsp.NewT38Terminal(true, spandsp.T38Options{TxFile: txFile, ECM: ecm})
				}
				defer fax.Close()
				defer term.Close()
				var toTerm [][]byte
				gw, err := NewGateway(GatewayOptions{}, func(p []byte) { toTerm = append(toTerm, p) })
				if err != nil {
					t.Fatal(err)
				}
				fOut := make([]int16, 160)
				gOut := make([]int16, 160)
				seq, in := 0, 0
				for k := 0; k < 50*600 && !(fax.Done() && term.Done()); k++ {
					fax.Process(gOut, fOut)
					gw.Process(fOut, gOut)
					for _, p := range toTerm {
						if err := term.Receive(p, seq); err != nil {
							t.Errorf("SpanDSP rejects %x: %v", p, err)
						}
						seq++
					}
					toTerm = toTerm[:0]
					term.Advance(160)
					for _, p := range term.TxPackets() {
						if p.Count == 0 {
							continue // suppressed by SpanDSP
						}
						if err := gw.Receive(p.IFP); err != nil {
							t.Errorf("gateway rejects %x: %v", p.IFP, err)
						}
						in++
					}
				}
				fr, tr := fax.Result(), term.Result()
				if fr.Code != spandsp.T30ErrOK || tr.Code != spandsp.T30ErrOK {
					t.Fatalf("audio fax %d %q; T.38 terminal %d %q", fr.Code, fr.Text, tr.Code, tr.Text)
				}
				fax.Close()
				term.Close()
				got := readTIFF(t, rxFile)
				if len(got) != 1 || !bytes.Equal(got[0], pages[0].Pix) {
					t.Fatalf("page not received identical (%d pages)", len(got))
				}
				t.Logf("%s: %d bit/s ECM %v %s, %.1f s; packets gateway→T.38 %d, T.38→gateway %d",
					name, fr.BitRate, fr.ECM, fr.Encoding, float64(fr.Samples)/8000, seq, in)
			})
		}
	}
}
