package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/faxd/faxd/dsp/audio"
	"github.com/faxd/faxd/t30/calldecode"
	"github.com/faxd/faxd/t30/tiff"
	"github.com/faxd/faxd/t38/capture"
)

// decodeCommand is `faxtool decode CALL.wav|CALL.raw|CALL.pcap
// [--pages OUT.tif] [--stereo] [--port PORT,...] [--t38-version N] [-v]`:
// it prints the T.30 dialogue of a recorded call with times and writes the
// pages it decodes to a TIFF file. A pcap or pcapng capture (told by its
// magic number) is read as a T.38 call: its UDPTL flows are found by
// their structure, or taken from the given ports.
func decodeCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("faxtool decode", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	pages := fs.String("pages", "", "write the decoded pages to this TIFF file")
	stereo := fs.Bool("stereo", false, "raw input is stereo: interleaved left, right (one direction each)")
	verbose := fs.Bool("v", false, "also print carrier up/down events")
	ports := fs.String("port", "", "captures: UDP ports carrying UDPTL, comma-separated (default: found by structure)")
	version := fs.Int("t38-version", -1, "captures: decode IFPs as this T.38 version, 0 to 3 (default: detected)")
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
		return fmt.Errorf("%w: faxtool decode CALL.wav|CALL.raw|CALL.pcap [--pages OUT.tif] [--stereo]", errUsage)
	}

	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	in := bufio.NewReader(f)
	if head, _ := in.Peek(4); capture.Sniff(head) != capture.FormatUnknown {
		if *stereo {
			return fmt.Errorf("%w: %s: --stereo is for audio, this is a packet capture", errUsage, file)
		}
		opt := &capture.Options{}
		if *version >= 0 {
			opt.ForceVersion, opt.Version = true, *version
		}
		if *ports != "" {
			for _, p := range strings.Split(*ports, ",") {
				n, err := strconv.ParseUint(strings.TrimSpace(p), 10, 16)
				if err != nil {
					return fmt.Errorf("%w: --port %q", errUsage, p)
				}
				opt.Ports = append(opt.Ports, uint16(n))
			}
		}
		return decodeCapture(in, file, opt, *pages, *verbose, stdout, stderr)
	}
	ar, err := audio.NewReader(in)
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

// decodeCapture is decode for a pcap or pcapng capture of a T.38 call.
func decodeCapture(in io.Reader, file string, opt *capture.Options, pages string, verbose bool, stdout, stderr io.Writer) error {
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	var (
		tw      *tiff.Writer
		tfile   *os.File
		npages  int
		pageErr error
		err     error
	)
	if pages != "" {
		tfile, err = os.Create(pages)
		if err != nil {
			return err
		}
		defer tfile.Close()
		if tw, err = tiff.NewWriter(tfile, tiff.Options{}); err != nil {
			return err
		}
	}
	sum, err := capture.Decode(in, opt, capture.CallOptions{
		OnEvent: func(e calldecode.Event) {
			if !verbose && (e.Kind == calldecode.KindCarrierUp || e.Kind == calldecode.KindCarrierDown) {
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
	if errors.Is(err, capture.ErrFormat) && sum.Format == capture.FormatUnknown {
		return fmt.Errorf("%w: %s: %v", errUsage, file, err)
	}
	if err != nil {
		// A capture cut short still gives what came before the cut.
		fmt.Fprintf(stderr, "faxtool: %s: %v\n", file, err)
	}
	for _, fl := range sum.Flows {
		d := fl.Decoder
		fmt.Fprintf(out, "flow %d %v: %d datagrams, %d IFPs, T.38 version %d, %d recovered (%d redundancy, %d FEC), %d lost, %d malformed\n",
			fl.Index, fl.Flow, d.Datagrams, fl.Delivered, fl.Version, d.FromRedundancy+d.FromFEC, d.FromRedundancy, d.FromFEC, d.Lost, d.Malformed+fl.BadIFP)
	}
	if len(sum.Flows) == 0 {
		fmt.Fprintf(out, "no T.38 flow found (%d packets, %d UDP datagrams not UDPTL); try --port\n", sum.Counts.Packets, sum.Counts.NotT38)
	}
	fmt.Fprintf(out, "%d page(s) decoded\n", npages)
	if tw != nil {
		if pageErr != nil {
			return fmt.Errorf("writing %s: %w", pages, pageErr)
		}
		if tw.Pages() == 0 {
			tfile.Close()
			os.Remove(pages)
			fmt.Fprintf(stderr, "faxtool: no page to write to %s\n", pages)
			return nil
		}
		if err := tw.Close(); err != nil {
			return fmt.Errorf("writing %s: %w", pages, err)
		}
		if err := tfile.Close(); err != nil {
			return err
		}
	}
	return nil
}
