package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/faxd/faxd/dsp/audio"
	"github.com/faxd/faxd/t30/calldecode"
	"github.com/faxd/faxd/t30/tiff"
)

// decodeCommand is `faxtool decode CALL.wav|CALL.raw [--pages OUT.tif]
// [--stereo] [-v]`: it prints the T.30 dialogue of a recorded call with
// times and writes the pages it decodes to a TIFF file.
func decodeCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("faxtool decode", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	pages := fs.String("pages", "", "write the decoded pages to this TIFF file")
	stereo := fs.Bool("stereo", false, "raw input is stereo: interleaved left, right (one direction each)")
	verbose := fs.Bool("v", false, "also print carrier up/down events")
	// Flags may follow the file name, as the usage line shows.
	var file string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		if fs.NArg() == 0 {
			break
		}
		if file != "" {
			return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
		}
		file, rest = fs.Arg(0), fs.Args()[1:]
	}
	if file == "" {
		return fmt.Errorf("%w: faxtool decode CALL.wav|CALL.raw [--pages OUT.tif] [--stereo]", errUsage)
	}

	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	ar, err := audio.NewReader(f)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", errUsage, file, err)
	}
	channels := ar.Format().Channels
	if *stereo {
		if ar.Format().WAVE && channels != 2 {
			return fmt.Errorf("%w: %s: --stereo, but the WAVE file has %d channel(s)", errUsage, file, channels)
		}
		channels = 2
	}

	out := bufio.NewWriter(stdout)
	defer out.Flush()
	var (
		tw      *tiff.Writer
		tfile   *os.File
		npages  int
		pageErr error
	)
	if *pages != "" {
		tfile, err = os.Create(*pages)
		if err != nil {
			return err
		}
		defer tfile.Close()
		tw, err = tiff.NewWriter(tfile, tiff.Options{})
		if err != nil {
			return err
		}
	}
	dec, err := calldecode.New(calldecode.Options{
		Channels: channels,
		OnEvent: func(e calldecode.Event) {
			if !*verbose && (e.Kind == calldecode.KindCarrierUp || e.Kind == calldecode.KindCarrierDown) {
				return
			}
			fmt.Fprintln(out, e)
		},
		OnPage: func(p *calldecode.Page) {
			npages++
			if tw == nil || pageErr != nil || len(p.Rows) == 0 {
				return
			}
			pageErr = calldecode.WritePage(tw, p, tiff.MMR)
		},
	})
	if err != nil {
		return err
	}
	buf := make([]int16, 4096)
	for {
		n, rerr := ar.Read(buf)
		if err := dec.Process(buf[:n]); err != nil {
			return err
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if errors.Is(rerr, audio.ErrOddLength) {
				return fmt.Errorf("%w: %s: %v", errUsage, file, rerr)
			}
			return rerr
		}
	}
	if err := dec.Close(); err != nil {
		return err
	}
	fmt.Fprintf(out, "%d page(s) decoded\n", npages)
	if tw != nil {
		if pageErr != nil {
			return fmt.Errorf("writing %s: %w", *pages, pageErr)
		}
		if tw.Pages() == 0 {
			tfile.Close()
			os.Remove(*pages)
			fmt.Fprintf(stderr, "faxtool: no page to write to %s\n", *pages)
			return nil
		}
		if err := tw.Close(); err != nil {
			return fmt.Errorf("writing %s: %w", *pages, err)
		}
		if err := tfile.Close(); err != nil {
			return err
		}
	}
	return nil
}
