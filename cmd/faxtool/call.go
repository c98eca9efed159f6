package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/faxd/faxd/dsp/audio"
	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/t4"
	"github.com/faxd/faxd/t30/terminal"
	"github.com/faxd/faxd/t30/tiff"
)

// errCallFailed marks a call that ended without every page confirmed.
var errCallFailed = errors.New("the call did not complete")

// callResult is the call's result as one JSON line.
type callResult struct {
	OK                  bool    `json:"ok"`
	Code                string  `json:"code"`
	Cause               string  `json:"cause,omitempty"`
	PagesSent           int     `json:"pages_sent"`
	PagesReceived       int     `json:"pages_received"`
	Modem               string  `json:"modem,omitempty"`
	BitRate             int     `json:"bit_rate,omitempty"`
	ECM                 bool    `json:"ecm"`
	Coding              string  `json:"coding,omitempty"`
	Resolution          string  `json:"resolution,omitempty"`
	RemoteIdent         string  `json:"remote_ident,omitempty"`
	BadRows             int     `json:"bad_rows"`
	RetransmittedFrames int     `json:"retransmitted_frames"`
	DurationSeconds     float64 `json:"duration_s"`
}

func resultJSON(r *t30.Result) callResult {
	c := callResult{
		OK: r.OK(), Code: r.Code.String(), Cause: r.Cause,
		PagesSent: r.PagesSent, PagesReceived: r.PagesReceived,
		Modem: r.Modem, BitRate: r.BitRate, ECM: r.ECM, RemoteIdent: strings.TrimSpace(r.RemoteIdent),
		BadRows: r.BadRows, RetransmittedFrames: r.RetransmittedFrames,
		DurationSeconds: r.Duration.Seconds(),
	}
	if r.BitRate > 0 {
		c.Coding = r.Coding.String()
		c.Resolution = r.Resolution.String()
	}
	return c
}

// callCommand runs one fax call as a terminal on PCM audio:
//
//	faxtool call send DOC... --audio -
//	faxtool call receive OUT.tif --audio -
func callCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "send" && args[0] != "receive") {
		return fmt.Errorf("%w: faxtool call send DOC... | receive OUT.tif --audio - [options]", errUsage)
	}
	send := args[0] == "send"
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	fs.SetOutput(stderr)
	audioPath := fs.String("audio", "-", "the line: - for stdin (far end) and stdout (ours), 16-bit LE PCM at 8000 Hz")
	ecm := fs.String("ecm", "on", "error correction mode: on or off")
	modemList := fs.String("modems", "v17,v29,v27ter", "fast modems allowed")
	maxRate := fs.Int("max-rate", 0, "highest bit rate (0: no limit)")
	ident := fs.String("ident", "", "local number (TSI/CSI), up to 20 characters")
	res := fs.String("resolution", "fine", "send: page resolution; receive: best offered (standard, fine, superfine)")
	comp := fs.String("compression", "mmr", "best coding offered: mh, mr or mmr")
	caller := fs.Bool("caller", false, "this terminal places the call (default: the sender)")
	answerer := fs.Bool("answerer", false, "this terminal answers the call (default: the receiver)")
	resultPath := fs.String("result", "", "also write the result as JSON to this file")
	trace := fs.Bool("trace", false, "print the T.30 frame trace on stderr")
	useT38 := fs.Bool("t38", false, "call over T.38 (UDPTL on UDP, real time) instead of audio")
	var tf t38Flags
	fs.StringVar(&tf.local, "local", "", "T.38: local UDP address (host:port)")
	fs.StringVar(&tf.remote, "remote", "", "T.38: the far end's UDP address (host:port)")
	fs.IntVar(&tf.redundancy, "redundancy", 3, "T.38: earlier IFPs repeated in each datagram")
	fs.StringVar(&tf.fec, "fec", "", "T.38: parity FEC instead of redundancy: SPAN,ENTRIES")
	fs.IntVar(&tf.version, "t38-version", 0, "T.38: IFP version, 0 to 3")
	var docs []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		if fs.NArg() == 0 {
			break
		}
		docs = append(docs, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if *audioPath != "-" {
		return fmt.Errorf("%w: --audio: only - (stdin and stdout) is supported", errUsage)
	}
	if *useT38 && (tf.local == "" || tf.remote == "") {
		return fmt.Errorf("%w: --t38 needs --local and --remote", errUsage)
	}
	if len(docs) == 0 || (!send && len(docs) != 1) {
		return fmt.Errorf("%w: give the documents to send, or the one TIFF to receive into", errUsage)
	}
	if *caller && *answerer {
		return fmt.Errorf("%w: --caller and --answerer together", errUsage)
	}
	if len(*ident) > 20 {
		return fmt.Errorf("%w: --ident is %d characters (20 at most)", errUsage, len(*ident))
	}
	cfg := t30.Config{Caller: send, Ident: *ident, MaxBPS: *maxRate}
	if *caller {
		cfg.Caller = true
	}
	if *answerer {
		cfg.Caller = false
	}
	switch *ecm {
	case "on":
		cfg.ECM = true
	case "off":
	default:
		return fmt.Errorf("%w: --ecm %q (on or off)", errUsage, *ecm)
	}
	for _, m := range strings.Split(*modemList, ",") {
		switch strings.TrimSpace(strings.ToLower(m)) {
		case "v17":
			cfg.Modems |= t30.ModemV17
		case "v29":
			cfg.Modems |= t30.ModemV29
		case "v27ter":
			cfg.Modems |= t30.ModemV27ter
		default:
			return fmt.Errorf("%w: modem %q (v17, v29, v27ter)", errUsage, m)
		}
	}
	switch strings.ToLower(*comp) {
	case "mh":
		cfg.MaxCoding = t4.MH
	case "mr":
		cfg.MaxCoding = t4.MR
	case "mmr":
		cfg.MaxCoding = t4.MMR
	default:
		return fmt.Errorf("%w: compression %q (mh, mr, mmr)", errUsage, *comp)
	}
	docRes, ok := resolutionNames[strings.ToLower(*res)]
	if !ok || docRes.X != 204 {
		return fmt.Errorf("%w: resolution %q (standard, fine, superfine)", errUsage, *res)
	}
	cfg.MaxRes = map[int]t30.Res{98: t30.ResStandard, 196: t30.ResFine, 391: t30.ResSuperfine}[docRes.Y]

	var sink *t30.MemorySink
	if send {
		var pages []*document.Page
		for _, d := range docs {
			p, err := readDocument(d, &document.Options{Resolution: docRes})
			if err != nil {
				return err
			}
			pages = append(pages, p...)
		}
		cfg.Source = &t30.MemorySource{Pages: pages}
	} else {
		sink = &t30.MemorySink{}
		cfg.Sink = sink
	}

	var r *t30.Result
	if *useT38 {
		var err error
		if r, err = runT38Call(cfg, &tf); err != nil {
			return err
		}
	} else {
		term, err := terminal.New(cfg, terminal.Options{})
		if err != nil {
			return err
		}
		// The far end may hang up and close its side of the pipe while we
		// still finish the call: a write to it must fail, not kill us.
		signal.Ignore(syscall.SIGPIPE)
		r = runCall(term, stdin, stdout)
	}
	if *trace {
		fmt.Fprint(stderr, t30.FormatTrace(r.Trace))
	}
	line, _ := json.Marshal(resultJSON(r))
	fmt.Fprintf(stderr, "%s\n", line)
	if *resultPath != "" {
		if err := os.WriteFile(*resultPath, append(line, '\n'), 0o644); err != nil {
			return err
		}
	}
	if sink != nil && len(sink.Pages) > 0 {
		if err := writePages(docs[0], ".tif", sink.Pages, tiff.MH); err != nil {
			return err
		}
	}
	if !r.OK() {
		return fmt.Errorf("%w: %s", errCallFailed, r.Cause)
	}
	return nil
}

// runCall plays the terminal against the line in lockstep: our first block
// goes out before anything is read, then one block for every block read.
// When the far end hangs up (its audio ends), the call goes on in silence
// until the terminal ends it, which its timers bound.
func runCall(term *terminal.Terminal, stdin io.Reader, stdout io.Writer) *t30.Result {
	in := bufio.NewReader(stdin)
	w := bufio.NewWriter(stdout)
	rx := make([]int16, terminal.BlockSize)
	tx := make([]int16, terminal.BlockSize)
	raw := make([]byte, 2*terminal.BlockSize)
	farGone, nearGone := false, false
	send := func() {
		if nearGone {
			return
		}
		if audio.WriteRaw(w, tx) != nil || w.Flush() != nil {
			nearGone = true // the far end has stopped listening
		}
	}
	// The first block, before reading.
	term.Process(rx, tx)
	send()
	// A call cannot outlast T1 plus its pages by this much: a guard
	// against a terminal that never ends.
	for limit := 0; !term.Done() && limit < 8000/terminal.BlockSize*3600; limit++ {
		if !farGone {
			if _, err := io.ReadFull(in, raw); err != nil {
				farGone = true
				clear(raw)
			}
		}
		for i := range rx {
			rx[i] = int16(uint16(raw[2*i]) | uint16(raw[2*i+1])<<8)
		}
		term.Process(rx, tx)
		send()
	}
	if r := term.Result(); r != nil {
		return r
	}
	return &t30.Result{Code: t30.ErrT1, Cause: "the call did not end within an hour"}
}
