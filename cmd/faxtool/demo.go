package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"text/tabwriter"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/line"
	"github.com/faxd/faxd/dsp/modems"
)

// A condition is one set of line impairments the demo runs every modem
// through.
type condition struct {
	name  string
	level float64 // transmit level, dBm0
	snr   float64 // full-band SNR, dB; 0 = no noise
	cfg   line.Config
}

var demoConditions = []condition{
	{name: "clean line", level: -13, snr: 30},
	{name: "weak signal", level: -40, snr: 30},
	{name: "+7 Hz, +100 ppm, echo -20 dB", level: -13, snr: 30,
		cfg: line.Config{FreqOffsetHz: 7, ClockOffsetPPM: 100, EchoDelay: 200, EchoDB: -20}},
	{name: "-7 Hz, -100 ppm, mu-law", level: -20, snr: 30,
		cfg: line.Config{FreqOffsetHz: -7, ClockOffsetPPM: -100, Law: line.ULaw}},
	{name: "noisy line", level: -13, snr: 18},
}

// demoResult is one row of the demo's table.
type demoResult struct {
	bits, errs int
	trained    bool
	rep        dsp.RxReport
}

func demoCommand(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("faxtool demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	quick := fs.Bool("quick", false, "fewer bits per run")
	seconds := fs.Float64("seconds", 3, "seconds of data per run")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *quick {
		*seconds = 0.5
	}
	if *seconds <= 0 || *seconds > 600 {
		return fmt.Errorf("%w: --seconds %g is outside (0, 600]", errUsage, *seconds)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "modem\trate\tline\tlevel dBm0\tSNR dB\tbits\terrors\tBER\trx level\trx offset Hz\tquality dB\t")
	seed := uint64(1)
	for i := range modems.All {
		m := &modems.All[i]
		for _, rate := range m.Rates {
			for _, c := range demoConditions {
				seed++
				res, err := demoRun(m, rate, c, *seconds, seed)
				if err != nil {
					return err
				}
				ber := "-"
				if res.bits > 0 {
					ber = fmt.Sprintf("%.1e", float64(res.errs)/float64(res.bits))
				}
				rx := "no training"
				if res.trained {
					rx = fmt.Sprintf("%.1f\t%+.1f\t%.1f", res.rep.LevelDBm0, res.rep.CarrierOffsetHz, res.rep.QualityDB)
				} else {
					rx += "\t-\t-"
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\t%.0f\t%.0f\t%d\t%d\t%s\t%s\t\n", m.Name, rate, c.name, c.level, c.snr, res.bits, res.errs, ber, rx)
			}
		}
	}
	return tw.Flush()
}

// demoRun sends random bits through one modem and one line condition and
// counts the bit errors.
func demoRun(m *modems.Modem, rate int, c condition, seconds float64, seed uint64) (demoResult, error) {
	rng := rand.New(rand.NewPCG(seed, 0xfa7d))
	// V.21 has no training: its receiver locks on the first transitions,
	// so the sender leads with HDLC flags (0x7E) as T.30 does, and the data
	// is found in what was received.
	pre := 0
	if m.Name == "v21" {
		pre = 96
	}
	bits := make([]byte, pre+int(seconds*float64(rate)))
	for i := range bits {
		if i < pre {
			bits[i] = byte(0x7E >> (i % 8) & 1)
		} else {
			bits[i] = byte(rng.IntN(2))
		}
	}
	pos := 0
	tx, err := m.NewTransmitter(rate, 2, dsp.BitSourceFunc(func() int {
		if pos == len(bits) {
			return dsp.EndOfData
		}
		pos++
		return int(bits[pos-1])
	}))
	if err != nil {
		return demoResult{}, err
	}
	tx.SetLevel(c.level)
	// Half a second of silence before and after, as on a line.
	sig := make([]int16, dsp.SampleRate/2)
	block := make([]int16, blockSize)
	for {
		n := tx.Process(block)
		sig = append(sig, block[:n]...)
		if n < len(block) {
			break
		}
	}
	sig = append(sig, make([]int16, dsp.SampleRate/2)...)

	cfg := c.cfg
	cfg.Seed = int64(seed)
	if c.snr > 0 {
		cfg.NoiseDBm0 = line.NoiseForSNR(c.level-cfg.AttenuationDB, c.snr)
	}
	heard := line.Apply(cfg, sig)

	var got []byte
	res := demoResult{}
	rx, err := m.NewReceiver(rate, 2, dsp.BitSinkFunc(func(b int) { got = append(got, byte(b)) }))
	if err != nil {
		return demoResult{}, err
	}
	rx.SetStatusHandler(func(s dsp.Status) {
		if s == dsp.StatusTrainingSucceeded {
			res.trained = true
		}
	})
	for i := 0; i < len(heard); i += blockSize {
		rx.Process(heard[i:min(i+blockSize, len(heard))])
		if r := rx.Report(); r.Trained {
			res.trained = true
			res.rep = r
		}
	}
	data := bits[pre:]
	res.bits = len(data)
	shift := 0
	if pre > 0 {
		shift = bestShift(data, got, pre+16)
	}
	res.errs = countErrors(data, got, shift)
	return res, nil
}

// countErrors compares sent with got[shift:], bit for bit; bits never
// received count as errors.
func countErrors(sent, got []byte, shift int) int {
	errs := 0
	for i, b := range sent {
		if shift+i >= len(got) || got[shift+i] != b {
			errs++
		}
	}
	return errs
}

// bestShift finds where sent starts in got, looking at shifts up to
// maxShift and judging by the first 128 bits.
func bestShift(sent, got []byte, maxShift int) int {
	probe := sent[:min(len(sent), 128)]
	best, bestErrs := 0, len(probe)+1
	for s := 0; s <= maxShift; s++ {
		if e := countErrors(probe, got, s); e < bestErrs {
			best, bestErrs = s, e
		}
	}
	return best
}
