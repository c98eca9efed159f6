package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/tiff"
)

// resolutions and codings by their command-line names.
var (
	resolutionNames = map[string]document.Resolution{
		"standard": document.Standard, "fine": document.Fine, "superfine": document.Superfine,
		"300": document.R300, "400": document.R400,
	}
	codingNames = map[string]tiff.Coding{"mh": tiff.MH, "mr": tiff.MR, "mmr": tiff.MMR}
	paperNames  = map[string]document.Paper{"a4": document.A4, "b4": document.B4, "a3": document.A3}
)

// convertCommand turns documents into fax pages: faxtool convert IN... -o OUT.
func convertCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "output: .tif/.tiff (TIFF Class F), .pdf, or .png (one file a page: NAME-1.png, ...)")
	res := fs.String("resolution", "fine", "standard, fine, superfine, 300 or 400")
	comp := fs.String("compression", "mh", "TIFF coding: mh, mr or mmr")
	paper := fs.String("paper", "a4", "page width: a4, b4 or a3")
	header := fs.String("header", "", "header line for text documents")
	halftone := fs.String("halftone", "auto", "grey to black and white: auto, threshold (line art) or dither (photos)")
	fit := fs.Bool("fit", false, "scale each image to fit one page instead of cutting it into pages")
	// Flags may follow the inputs: parse them wherever they are.
	var inputs []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		if fs.NArg() == 0 {
			break
		}
		inputs = append(inputs, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(inputs) == 0 || *out == "" {
		return fmt.Errorf("%w: faxtool convert IN... -o OUT.tif|OUT.pdf|OUT.png [--resolution fine] [--compression mh|mr|mmr]", errUsage)
	}
	opt := &document.Options{Header: *header, FitPage: *fit}
	var ok bool
	if opt.Resolution, ok = resolutionNames[strings.ToLower(*res)]; !ok {
		return fmt.Errorf("%w: resolution %q (standard, fine, superfine, 300, 400)", errUsage, *res)
	}
	coding, ok := codingNames[strings.ToLower(*comp)]
	if !ok {
		return fmt.Errorf("%w: compression %q (mh, mr, mmr)", errUsage, *comp)
	}
	if opt.Paper, ok = paperNames[strings.ToLower(*paper)]; !ok {
		return fmt.Errorf("%w: paper %q (a4, b4, a3)", errUsage, *paper)
	}
	switch strings.ToLower(*halftone) {
	case "auto":
		opt.Halftone = document.Auto
	case "threshold":
		opt.Halftone = document.Threshold
	case "dither":
		opt.Halftone = document.Dither
	default:
		return fmt.Errorf("%w: halftone %q (auto, threshold, dither)", errUsage, *halftone)
	}
	ext := strings.ToLower(filepath.Ext(*out))
	switch ext {
	case ".tif", ".tiff", ".pdf", ".png":
	default:
		return fmt.Errorf("%w: output %q: use .tif, .tiff, .pdf or .png", errUsage, *out)
	}

	var pages []*document.Page
	for _, in := range inputs {
		p, err := readDocument(in, opt)
		if err != nil {
			return err
		}
		pages = append(pages, p...)
	}
	if err := writePages(*out, ext, pages, coding); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d page(s) written to %s\n", len(pages), *out)
	return nil
}

// readDocument reads one input file. A fax TIFF (bilevel, any of the fax
// codings) is read with t30/tiff, which also reads 2-D MR data, and keeps
// its pages as they are when they already have the requested resolution
// and width; anything else goes through package document.
func readDocument(name string, opt *document.Options) ([]*document.Page, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if document.Sniff(data) == document.TIFF {
		if pages, ok := readFaxTIFF(data, opt); ok {
			return pages, nil
		}
	}
	pages, err := document.Decode(context.Background(), bytes.NewReader(data), opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return pages, nil
}

// readFaxTIFF returns the pages of a fax TIFF already at the requested
// resolution and width, or false for any other TIFF.
func readFaxTIFF(data []byte, opt *document.Options) ([]*document.Page, bool) {
	r, err := tiff.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, false
	}
	width := opt.Resolution.Width(opt.Paper)
	var pages []*document.Page
	for i := range r.NumPages() {
		info := r.Page(i)
		if int(info.XRes+0.5) != opt.Resolution.X || int(info.YRes+0.5) != opt.Resolution.Y || info.Width != width {
			return nil, false
		}
		rows, err := r.Rows(i)
		if err != nil {
			return nil, false
		}
		p := document.NewPage(info.Width, info.Height, opt.Resolution)
		for y := range info.Height {
			if err := rows.Next(p.Row(y)); err != nil {
				return nil, false
			}
		}
		pages = append(pages, p)
	}
	return pages, len(pages) > 0
}

// writePages writes the pages in the format the output's extension names.
func writePages(name, ext string, pages []*document.Page, coding tiff.Coding) error {
	if len(pages) == 0 {
		return errors.New("no pages to write")
	}
	if ext == ".png" {
		base := strings.TrimSuffix(name, filepath.Ext(name))
		for i, p := range pages {
			if err := writeFile(fmt.Sprintf("%s-%d.png", base, i+1), func(w io.Writer) error { return document.WritePNG(w, p) }); err != nil {
				return err
			}
		}
		return nil
	}
	if ext == ".pdf" {
		return writeFile(name, func(w io.Writer) error { return document.WritePDF(w, pages) })
	}
	return writeFile(name, func(w io.Writer) error {
		tw, err := tiff.NewWriter(w, tiff.Options{Software: "faxd faxtool"})
		if err != nil {
			return err
		}
		for _, p := range pages {
			pw, err := tw.AddPage(tiff.PageSpec{
				Width: p.Width, Coding: coding,
				Resolution: tiff.Resolution{X: float64(p.XRes), Y: float64(p.YRes)},
			})
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
	})
}

// writeFile creates name and writes it with write, removing it again when
// writing fails.
func writeFile(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(name)
		return err
	}
	return f.Close()
}

// tiffCommand: faxtool tiff info FILE.
func tiffCommand(args []string, stdout io.Writer) error {
	if len(args) != 2 || args[0] != "info" {
		return fmt.Errorf("%w: faxtool tiff info FILE", errUsage)
	}
	f, err := os.Open(args[1])
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	r, err := tiff.NewReader(f, st.Size())
	if err != nil {
		return fmt.Errorf("%s: %w", args[1], err)
	}
	fmt.Fprintf(stdout, "%s: %d page(s)\n", args[1], r.NumPages())
	row := make([]byte, 0)
	for i := range r.NumPages() {
		info := r.Page(i)
		fmt.Fprintf(stdout, "page %d: %d x %d pixels, %gx%g dpi, %v, fill order %d, %d strip(s)",
			i+1, info.Width, info.Height, info.XRes, info.YRes, info.Coding(), fillOrderTag(info), info.Strips)
		if info.Software != "" {
			fmt.Fprintf(stdout, ", software %q", info.Software)
		}
		// Decode the page to count its bad rows, as a receiver would.
		rows, err := r.Rows(i)
		if err != nil {
			fmt.Fprintf(stdout, ", unreadable: %v\n", err)
			continue
		}
		if cap(row) < (info.Width+7)/8 {
			row = make([]byte, (info.Width+7)/8)
		}
		var derr error
		for {
			if derr = rows.Next(row[:(info.Width+7)/8]); derr != nil {
				break
			}
		}
		s := rows.Stats()
		fmt.Fprintf(stdout, ", bad rows %d (longest run %d)", s.BadRows, s.LongestBadRun)
		if s.MissingRows > 0 {
			fmt.Fprintf(stdout, ", %d row(s) missing", s.MissingRows)
		}
		if derr != nil && !errors.Is(derr, io.EOF) {
			fmt.Fprintf(stdout, ", decoding stopped: %v", derr)
		}
		fmt.Fprintln(stdout)
	}
	return nil
}

// fillOrderTag returns the TIFF FillOrder value (1 or 2) of a page: the
// t4 constants are those values.
func fillOrderTag(info tiff.PageInfo) int { return int(info.FillOrder) }
