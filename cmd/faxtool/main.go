// Command faxtool is faxd's workbench: it runs the software modems on audio
// files, demonstrates them through the telephone line model, and (as later
// parts land) runs fax calls and decodes recordings.
//
// Usage:
//
//	faxtool modem tx --modem v29 --rate 9600 [--level -13] < data > audio.raw
//	faxtool modem rx --modem v29 --rate 9600 < audio.raw > data
//	faxtool demo
//
// Audio is signed 16-bit little-endian mono PCM at 8000 samples per second
// (WAVE files are accepted on input). Data bits go least significant bit
// first within each byte. Errors print one line on stderr and exit with
// status 2.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// errUsage marks errors in how the tool was called.
var errUsage = errors.New("usage")

const usage = `usage:
  faxtool modem tx --modem NAME --rate BPS [--level DBM0] [--channel 1|2] < data > audio.raw
  faxtool modem rx --modem NAME --rate BPS [--channel 1|2] [--wav] < audio > data
  faxtool demo [--quick]
  faxtool convert IN... -o OUT.tif|OUT.pdf|OUT.png [--resolution standard|fine|superfine|300|400]
          [--compression mh|mr|mmr] [--paper a4|b4|a3] [--header TEXT] [--halftone auto|threshold|dither] [--fit]
  faxtool tiff info FILE
  faxtool call send DOC... --audio - [--ecm on|off] [--modems v17,v29,v27ter] [--max-rate BPS]
          [--ident NUMBER] [--resolution fine] [--compression mmr] [--caller|--answerer] [--result FILE] [--trace]
  faxtool call receive OUT.tif --audio - [same options]
  faxtool call send|receive ... --t38 --local HOST:PORT --remote HOST:PORT [--redundancy N | --fec SPAN,ENTRIES] [--t38-version N]
      (stdin: the far end's audio, stdout: ours; 16-bit LE PCM at 8 kHz in 160-sample lockstep)
  faxtool decode CALL.wav|CALL.raw|CALL.pcap [--pages OUT.tif] [--stereo] [-v] [--port P,...] [--t38-version N]
modems: v21 (300; --channel 1 or 2, default 2), v27ter (4800, 2400), v29 (9600, 7200, 4800), v17 (14400, 12000, 9600, 7200)`

// run is main without the process: it returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) (status int) {
	defer func() {
		// A bug must not leave a carrier's script with a stack trace and no
		// explanation; report it as one line like every other error.
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "faxtool: internal error: %v\n", r)
			status = 3
		}
	}()
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "modem":
		err = modemCommand(args[1:], stdin, stdout, stderr)
	case "demo":
		err = demoCommand(args[1:], stdout)
	case "convert":
		err = convertCommand(args[1:], stdout, stderr)
	case "tiff":
		err = tiffCommand(args[1:], stdout)
	case "call":
		err = callCommand(args[1:], stdin, stdout, stderr)
	case "decode":
		err = decodeCommand(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return 0
	default:
		err = fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
	if err != nil {
		fmt.Fprintf(stderr, "faxtool: %v\n", err)
		if errors.Is(err, errUsage) || errors.Is(err, errNoTraining) {
			return 2
		}
		return 1
	}
	return 0
}
