package dispatch

import (
	"fmt"
	"io"
	"math/bits"

	"github.com/faxd/faxd/hal/media"
	"github.com/faxd/faxd/t30/t4"
	"github.com/faxd/faxd/t30/tiff"
)

var tiffCoding = map[t4.Coding]tiff.Coding{t4.MH: tiff.MH, t4.MR: tiff.MR, t4.MMR: tiff.MMR}

// writeTIFF writes a received fax as TIFF Class F, a page an IFD, each
// page's data as the line carried it (not coded again, as HylaFAX keeps
// what it receives), bits reordered to FillOrder 1 (first bit in the most
// significant, what every reader takes), with the sender's identity and
// the Class F quality fields (bad rows are in the data, concealed by any
// reader as our receiver concealed them: "unclean").
func writeTIFF(w io.Writer, r *media.Received) error {
	tw, err := tiff.NewWriter(w, tiff.Options{Software: "faxd"})
	if err != nil {
		return err
	}
	var data []byte
	for _, p := range r.Pages {
		c, ok := tiffCoding[p.Coding]
		if !ok {
			return fmt.Errorf("dispatch: a received page coded %v", p.Coding)
		}
		pw, err := tw.AddPage(tiff.PageSpec{Width: p.Width, Coding: c, Resolution: tiff.Resolution{X: float64(p.Res.X), Y: float64(p.Res.Y)},
			Time: r.Ended, PageName: r.Remote})
		if err != nil {
			return err
		}
		q := tiff.Quality{BadFaxLines: p.BadRows, ConsecutiveBadFaxLines: p.LongestBadRun}
		if p.BadRows > 0 {
			q.CleanFaxData = tiff.Unclean
		}
		pw.SetQuality(q)
		data = data[:0]
		for _, b := range p.Data {
			data = append(data, bits.Reverse8(b))
		}
		if err := pw.WriteCoded(data, p.Rows); err != nil {
			return err
		}
		if err := pw.Close(); err != nil {
			return err
		}
	}
	return tw.Close()
}
