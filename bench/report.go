package bench

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// WriteTimingTable prints timings as a table, each modem's implementations
// side by side with the ratio of the others' cost to ours ("faxd").
func WriteTimingTable(w io.Writer, ts []Timing) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "modem\trate\timpl\ttx ns/sample\ttx ch/core\trx ns/sample\trx ch/core\trx decoded\tours faster, tx\tours faster, rx\t")
	ours := map[ModemRate]Timing{}
	for _, t := range ts {
		if t.Impl == "faxd" {
			ours[t.ModemRate] = t
		}
	}
	for _, t := range ts {
		txr, rxr := "", ""
		if o, ok := ours[t.ModemRate]; ok && t.Impl != "faxd" {
			txr = fmt.Sprintf("%.2fx", t.TxNsPerSample/o.TxNsPerSample)
			rxr = fmt.Sprintf("%.2fx", t.RxNsPerSample/o.RxNsPerSample)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.1f\t%.0f\t%.1f\t%.0f\t%.1f%%\t%s\t%s\t\n",
			t.Modem, t.Rate, t.Impl, t.TxNsPerSample, t.TxChannelsPerCore, t.RxNsPerSample, t.RxChannelsPerCore, 100*t.RxDecoded, txr, rxr)
	}
	return tw.Flush()
}

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteBERCSV writes the sweep as CSV: modem, rate, impl, snr_db, bits,
// errors, ber, delivered, trials.
func WriteBERCSV(w io.Writer, pts []BERPoint) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"modem", "rate", "impl", "snr_db", "bits", "errors", "ber", "delivered", "trials"})
	for _, p := range pts {
		cw.Write([]string{p.Modem, strconv.Itoa(p.Rate), p.Impl, strconv.FormatFloat(p.SNR, 'f', -1, 64),
			strconv.Itoa(p.Bits), strconv.Itoa(p.Errors), strconv.FormatFloat(p.BER(), 'e', 3, 64),
			strconv.Itoa(p.Delivered), strconv.Itoa(p.Trials)})
	}
	cw.Flush()
	return cw.Error()
}

// PlotBER draws bit error rate against SNR, one line per modem, rate and
// implementation, on a log scale, and saves it to path (the extension,
// .svg, .png or .pdf, picks the format). Error-free points cannot sit on a
// log scale: they are drawn at half of one error in the bits sent, the
// floor the measurement can see, and the title says so.
func PlotBER(path string, pts []BERPoint) error {
	p := plot.New()
	p.Title.Text = "Bit error rate against SNR (error-free points drawn at 0.5/bits)"
	p.X.Label.Text = "SNR, dB (full band)"
	p.Y.Label.Text = "bit error rate"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: 1}
	p.Legend.Top = true

	type key struct {
		ModemRate
		impl string
	}
	var order []key
	series := map[key]plotter.XYs{}
	for _, pt := range pts {
		k := key{pt.ModemRate, pt.Impl}
		if _, ok := series[k]; !ok {
			order = append(order, k)
		}
		y := pt.BER()
		if pt.Errors == 0 {
			y = 0.5 / float64(max(pt.Bits, 1))
		}
		series[k] = append(series[k], plotter.XY{X: pt.SNR, Y: y})
	}
	var args []any
	for _, k := range order {
		args = append(args, fmt.Sprintf("%s %d %s", strings.ToUpper(k.Modem[:1])+"."+k.Modem[1:], k.Rate, k.impl), series[k])
	}
	if len(args) == 0 {
		return fmt.Errorf("bench: nothing to plot")
	}
	if err := plotutil.AddLinePoints(p, args...); err != nil {
		return err
	}
	// The log axis spans the values drawn; a sweep whose points share one
	// value (all error-free) gets a decade either side, where the
	// plotter would pad the range below zero and fail.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, xys := range series {
		for _, xy := range xys {
			lo, hi = min(lo, xy.Y), max(hi, xy.Y)
		}
	}
	if lo == hi {
		lo, hi = lo/10, hi*10
	}
	p.Y.Min, p.Y.Max = lo, hi
	switch strings.ToLower(filepath.Ext(path)) {
	case ".svg", ".png", ".pdf":
	default:
		return fmt.Errorf("bench: plot %s: use .svg, .png or .pdf", path)
	}
	return p.Save(9*vg.Inch, 6*vg.Inch, path)
}
