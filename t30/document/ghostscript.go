package document

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ghostscript renders a PDF or PostScript document with Ghostscript into
// grey PNG pages at the fax resolution and page size, then halftones them.
//
// The document is written to a fresh temporary directory, removed at the
// end, and gs runs there (no shell, fixed argument list, -dSAFER so the
// document cannot reach files or devices) with a timeout. Each page is
// scaled to fit the fax page (-dFIXEDMEDIA and -g, -dPDFFitPage,
// -dPSFitPage) and rendered without anti-aliasing, so that text stays pure
// black and white and survives the halftoning unchanged. One page more than
// MaxPages is rendered to tell a long document from one at the limit.
func (o *Options) ghostscript(ctx context.Context, data []byte, f Format) ([]*Page, error) {
	name := o.Ghostscript
	if name == "" {
		name = "gs"
	}
	gs, err := exec.LookPath(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoGhostscript, err)
	}
	dir, err := os.MkdirTemp("", "faxd-document-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in := "in.pdf"
	if f == PostScript {
		in = "in.ps"
	}
	if err := os.WriteFile(filepath.Join(dir, in), data, 0o600); err != nil {
		return nil, err
	}

	res, rows := o.Resolution, o.Resolution.Rows(o.PageLength)
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, gs, gsArgs(res, o.Width, rows, o.MaxPages+1, in)...)
	cmd.Dir = dir // relative names: a '%' in the temporary path cannot reach -sOutputFile
	cmd.Env = gsEnv()
	cmd.WaitDelay = 5 * time.Second
	var stderr capped
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %w after %v", ErrGhostscript, ctx.Err(), o.Timeout)
		}
		return nil, fmt.Errorf("%w: %v: %s", ErrGhostscript, err, strings.TrimSpace(stderr.String()))
	}

	files, err := filepath.Glob(filepath.Join(dir, "p*.png"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: %v without pages: %s", ErrFormat, f, strings.TrimSpace(stderr.String()))
	}
	if len(files) > o.MaxPages {
		return nil, fmt.Errorf("%w: %v has more than %d pages", ErrTooManyPages, f, o.MaxPages)
	}
	pages := make([]*Page, 0, len(files))
	for _, fn := range files {
		b, err := os.ReadFile(fn)
		if err != nil {
			return nil, err
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%w: reading its page %s: %w", ErrGhostscript, filepath.Base(fn), err)
		}
		// The page is already at the fax resolution and size: no scaling.
		c := *o
		c.FitPage = true
		p, err := c.render(img, res)
		if err != nil {
			return nil, err
		}
		pages = append(pages, p...)
	}
	return pages, nil
}

// gsArgs is the Ghostscript command line for rendering page 1 to lastPage
// of in as grey PNG files p0001.png, ... width by rows pixels at res.
func gsArgs(res Resolution, width, rows, lastPage int, in string) []string {
	return []string{
		"-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-dNOPROMPT",
		"-sDEVICE=pnggray",
		"-r" + strconv.Itoa(res.X) + "x" + strconv.Itoa(res.Y),
		"-g" + strconv.Itoa(width) + "x" + strconv.Itoa(rows),
		"-dFIXEDMEDIA", "-dPDFFitPage", "-dPSFitPage",
		"-dTextAlphaBits=1", "-dGraphicsAlphaBits=1",
		"-dFirstPage=1", "-dLastPage=" + strconv.Itoa(lastPage),
		"-sOutputFile=p%04d.png",
		"-f", in,
	}
}

// gsEnv is the environment without the variables that inject gs options.
func gsEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GS_OPTIONS=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// capped keeps the first 4 KiB written to it.
type capped struct{ b bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	if n := 4096 - c.b.Len(); n > 0 {
		c.b.Write(p[:min(n, len(p))])
	}
	return len(p), nil
}

func (c *capped) String() string { return c.b.String() }
