package t30

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/t4"
)

// A Completion is the outcome of a call, in the terms of T.30's flow
// charts (§5): which procedure failed, or CompletedOK.
type Completion int

// Completion codes. The human-readable detail (which frame, how many
// tries) is in Result.Cause.
const (
	CompletedOK        Completion = iota // phase E reached normally
	ErrT1                                // T1 expired in phase B: the terminals never identified each other (T.30 §5.4.3.1)
	ErrNoResponse                        // a command was repeated three times without a valid response (T.30 §5.3.2.2)
	ErrCannotTrain                       // FTT at every rate both terminals offer (T.30 §5.3.2.3)
	ErrIncompatible                      // no common modem, coding or function (DIS bits, Table 2/T.30)
	ErrNothingToPoll                     // polling (DTC) a terminal with no document ready (DIS bit 9 clear)
	ErrInvalidResponse                   // an unexpected frame where a response was due
	ErrUnexpectedDCN                     // DCN before the procedure ended
	ErrT2                                // T2 expired waiting for a command (T.30 §5.4.3.2)
	ErrT5                                // T5 expired while the receiver stayed not ready (RNR, Annex A)
	ErrPageRejected                      // RTN for the same page more times than allowed
	ErrDocument                          // the page source or sink failed
	ErrCarrier                           // an image carrier stayed up longer than the guard time
)

var completionNames = [...]string{
	CompletedOK:        "ok",
	ErrT1:              "T1 expired",
	ErrNoResponse:      "no response",
	ErrCannotTrain:     "cannot train",
	ErrIncompatible:    "incompatible",
	ErrNothingToPoll:   "nothing to poll",
	ErrInvalidResponse: "invalid response",
	ErrUnexpectedDCN:   "unexpected DCN",
	ErrT2:              "T2 expired",
	ErrT5:              "T5 expired",
	ErrPageRejected:    "page rejected",
	ErrDocument:        "document error",
	ErrCarrier:         "carrier stuck",
}

func (c Completion) String() string {
	if c >= 0 && int(c) < len(completionNames) {
		return completionNames[c]
	}
	return fmt.Sprintf("Completion(%d)", int(c))
}

// Result describes a finished call.
type Result struct {
	Code  Completion
	Cause string // e.g. "no response to DCS after 3 tries"

	PagesSent     int
	PagesReceived int

	Rate       Rate   // last DCS/CTC rate
	BitRate    int    // bit/s of Rate
	Modem      string // "V.17", "V.29", "V.27ter"
	ECM        bool
	Frame64    bool // ECM frames of 64 octets (else 256)
	Coding     t4.Coding
	Resolution document.Resolution

	RemoteIdent string // CSI, TSI or CIG received
	LocalIdent  string

	BadRows             int // concealed rows over all received pages (non-ECM)
	LongestBadRun       int // longest run of bad rows on any received page
	RetransmittedFrames int // ECM frames sent again (sender) or asked for again (receiver)
	RTN, RTP            int // RTN and RTP sent or received
	FTT                 int // FTT sent or received

	Duration time.Duration
	Trace    []TraceEntry
}

// OK reports whether the call completed normally.
func (r *Result) OK() bool { return r.Code == CompletedOK }

func (r *Result) String() string {
	return fmt.Sprintf("%v (%s): sent %d received %d pages, %s %d bit/s ECM=%v %v %v, %v",
		r.Code, r.Cause, r.PagesSent, r.PagesReceived, r.Modem, r.BitRate, r.ECM, r.Coding, r.Resolution, r.Duration)
}

// A TraceEntry is one line of the call's trace: a frame sent or received,
// or an event (a timer, a training check, an image).
type TraceEntry struct {
	At     time.Duration // since the engine started
	Tx     bool          // sent (else received or local event)
	Name   string        // frame name ("DCS", "PRI-EOP") or event ("T4 expired")
	FIF    string        // FIF in hex, octets as received (LSB first)
	BadFCS bool          // received with a bad FCS
}

func (t TraceEntry) String() string {
	dir := "<"
	if t.Tx {
		dir = ">"
	}
	s := fmt.Sprintf("%8.3f %s %s", t.At.Seconds(), dir, t.Name)
	if t.FIF != "" {
		s += " " + t.FIF
	}
	if t.BadFCS {
		s += " (bad FCS)"
	}
	return s
}

// FormatTrace renders a trace, one entry a line.
func FormatTrace(tr []TraceEntry) string {
	var b strings.Builder
	for _, t := range tr {
		b.WriteString(t.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func fifHex(fif []byte) string {
	if len(fif) == 0 {
		return ""
	}
	return strings.ToUpper(hex.EncodeToString(fif))
}
