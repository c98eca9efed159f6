package capture

import (
	"errors"
	"io"
)

// Summary says what Decode found.
type Summary struct {
	Format Format
	Flows  []FlowStats
	Counts Counts
	IFPs   int // IFPs handed to the Call
}

// Decode reads a capture from r (ropt may be nil) and runs every IFP of
// its T.38 flows through a Call made with copt, which it closes at the
// end. An error reading the capture after some packets (a file cut short)
// is returned with the Summary of what was decoded before it.
func Decode(r io.Reader, ropt *Options, copt CallOptions) (Summary, error) {
	rd, err := NewReader(r, ropt)
	if err != nil {
		return Summary{}, err
	}
	call := NewCall(copt)
	var s Summary
	s.Format = rd.Format()
	var rerr error
	for {
		p, err := rd.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				rerr = err
			}
			break
		}
		s.IFPs++
		if err := call.Add(&p); err != nil {
			return s, err
		}
	}
	if err := call.Close(); err != nil {
		return s, err
	}
	s.Flows, s.Counts = rd.Flows(), rd.Counts()
	return s, rerr
}
