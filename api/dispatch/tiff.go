package dispatch

import (
	"crypto/rand"
	"encoding/base32"
	"io"
	"strings"
	"time"

	"github.com/faxd/faxd/hal/media"
	"github.com/faxd/faxd/t30/tiff"
)

var objEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func newObjectID() string {
	b := make([]byte, 15)
	rand.Read(b)
	return "img_" + strings.ToLower(objEncoding.EncodeToString(b))
}

// writeTIFF writes a received fax as TIFF Class F, MMR coded, a page an
// IFD, with the sender's identity and the Class F quality fields.
func writeTIFF(w io.Writer, r *media.Received, now time.Time) error {
	tw, err := tiff.NewWriter(w, tiff.Options{Software: "faxd"})
	if err != nil {
		return err
	}
	for _, p := range r.Pages {
		pw, err := tw.AddPage(tiff.PageSpec{Width: p.Width, Coding: tiff.MMR, Resolution: tiff.Resolution{X: float64(p.XRes), Y: float64(p.YRes)},
			Time: r.Ended, PageName: r.Remote})
		if err != nil {
			return err
		}
		for y := range p.Rows {
			if err := pw.WriteRow(p.Row(y)); err != nil {
				return err
			}
		}
		if err := pw.Close(); err != nil {
			return err
		}
	}
	return tw.Close()
}
