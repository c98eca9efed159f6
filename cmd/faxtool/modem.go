package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/audio"
	"github.com/faxd/faxd/dsp/modems"
)

// blockSize is the audio block the tools process: 20 ms, as telephony
// cards and SpanDSP's tests use.
const blockSize = 160

// errNoTraining is returned when the receiver heard no usable signal.
var errNoTraining = errors.New("the receiver did not train: no data")

func modemCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "tx" && args[0] != "rx") {
		return fmt.Errorf("%w: faxtool modem tx|rx --modem NAME --rate BPS", errUsage)
	}
	dir := args[0]
	fs := flag.NewFlagSet("faxtool modem "+dir, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	name := fs.String("modem", "", "v21, v27ter or v29")
	rate := fs.Int("rate", 0, "bit rate")
	channel := fs.Int("channel", 2, "V.21 channel (1 or 2)")
	level := fs.Float64("level", -13, "transmit level, dBm0")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *name == "" {
		return fmt.Errorf("%w: --modem is required", errUsage)
	}
	if *rate == 0 && *name == "v21" {
		*rate = 300
	}
	spec, err := modems.Find(*name, *rate, *channel)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if dir == "tx" {
		if *level > 0 || *level < -43 {
			return fmt.Errorf("%w: level %g dBm0 is outside -43..0", errUsage, *level)
		}
		return modemTx(spec, *rate, *channel, *level, stdin, stdout)
	}
	return modemRx(spec, *rate, *channel, stdin, stdout, stderr)
}

// byteBits serves the bits of a byte stream, least significant bit first.
type byteBits struct {
	r    *bufio.Reader
	cur  byte
	left int
	err  error
}

func (b *byteBits) GetBit() int {
	if b.left == 0 {
		c, err := b.r.ReadByte()
		if err != nil {
			if err != io.EOF {
				b.err = err
			}
			return dsp.EndOfData
		}
		b.cur, b.left = c, 8
	}
	bit := int(b.cur & 1)
	b.cur >>= 1
	b.left--
	return bit
}

func modemTx(spec *modems.Modem, rate, channel int, level float64, stdin io.Reader, stdout io.Writer) error {
	src := &byteBits{r: bufio.NewReader(stdin)}
	tx, err := spec.NewTransmitter(rate, channel, src)
	if err != nil {
		return err
	}
	tx.SetLevel(level)
	w := bufio.NewWriter(stdout)
	block := make([]int16, blockSize)
	for {
		n := tx.Process(block)
		if err := audio.WriteRaw(w, block[:n]); err != nil {
			return err
		}
		if n < len(block) {
			break
		}
	}
	if src.err != nil {
		return fmt.Errorf("reading data: %w", src.err)
	}
	return w.Flush()
}

// bytePacker packs received bits into bytes, least significant bit first.
type bytePacker struct {
	w    *bufio.Writer
	cur  byte
	n    int
	bits int
	err  error
}

func (p *bytePacker) PutBit(bit int) {
	p.bits++
	p.cur |= byte(bit&1) << p.n
	p.n++
	if p.n == 8 {
		if err := p.w.WriteByte(p.cur); err != nil && p.err == nil {
			p.err = err
		}
		p.cur, p.n = 0, 0
	}
}

func modemRx(spec *modems.Modem, rate, channel int, stdin io.Reader, stdout, stderr io.Writer) error {
	in, err := audio.NewReader(stdin)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err) // not audio we read
	}
	if f := in.Format(); f.Channels != 1 {
		return fmt.Errorf("%w: the input has %d channels; give one direction of the call (mono)", errUsage, f.Channels)
	}
	sink := &bytePacker{w: bufio.NewWriter(stdout)}
	rx, err := spec.NewReceiver(rate, channel, sink)
	if err != nil {
		return err
	}
	var samples int64
	trained := false
	rx.SetStatusHandler(func(s dsp.Status) {
		if s == dsp.StatusTrainingSucceeded {
			trained = true
		}
		fmt.Fprintf(stderr, "%8.3f s  %s\n", float64(samples)/dsp.SampleRate, s)
	})
	block := make([]int16, blockSize)
	var rep dsp.RxReport
	for {
		n, err := in.Read(block)
		if n > 0 {
			rx.Process(block[:n])
			samples += int64(n)
			if r := rx.Report(); r.Trained {
				rep = r // keep the figures of the last stretch of signal
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %v", errUsage, err) // malformed audio
		}
	}
	// Flush the receiver's pipeline with a little silence, so the last
	// data bits come out as they would on a line that goes quiet.
	clear(block)
	for i := 0; i < 10; i++ {
		rx.Process(block)
	}
	if err := sink.w.Flush(); err != nil {
		return err
	}
	if sink.err != nil {
		return sink.err
	}
	if !trained && sink.bits == 0 {
		return errNoTraining
	}
	fmt.Fprintf(stderr, "%s %d bit/s: level %.1f dBm0, carrier offset %+.2f Hz, clock offset %+.0f ppm, quality %.1f dB, %d bits (%d whole bytes written)\n",
		spec.Name, rate, rep.LevelDBm0, rep.CarrierOffsetHz, rep.SymbolOffsetPPM, rep.QualityDB, sink.bits, sink.bits/8)
	return nil
}
