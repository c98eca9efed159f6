// Package modems lists faxd's software modems by name, so that the
// commands and the benchmark harness make transmitters and receivers
// without knowing each package's constructor.
package modems

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/v17"
	"github.com/faxd/faxd/dsp/v21"
	"github.com/faxd/faxd/dsp/v27ter"
	"github.com/faxd/faxd/dsp/v29"
)

// A Transmitter is what every modem's transmitter offers.
type Transmitter interface {
	dsp.Transmitter
	SetLevel(dBm0 float64)
	SetStatusHandler(h dsp.StatusHandler)
	// Reset starts a new transmission from the beginning (the training,
	// for a trained modem) with the same source.
	Reset()
	// SetSource starts a new transmission, as Reset, with the bits of
	// src: one transmitter serves transmission after transmission.
	SetSource(src dsp.BitSource)
}

// A Receiver is what every modem's receiver offers.
type Receiver interface {
	dsp.Receiver
	SetStatusHandler(h dsp.StatusHandler)
	// Reset forgets the signal and waits for a new one (V.17's keeps
	// the equaliser saved for a short train; see its Forget).
	Reset()
}

// A Modem names a modem and makes its transmitters and receivers. For
// V.21 the rate is always 300 and the channel (1 or 2) picks the
// frequencies; other modems ignore the channel.
type Modem struct {
	Name  string // as on the command line: v21, v27ter, v29, v17
	Title string // as the recommendations write it: V.21, V.27ter, V.29, V.17
	Rates []int  // bit/s, fastest first
	// Trained reports whether the receiver delivers bits only after a
	// training sequence (false for V.21, which has none).
	Trained        bool
	NewTransmitter func(rate, channel int, src dsp.BitSource) (Transmitter, error)
	NewReceiver    func(rate, channel int, sink dsp.BitSink) (Receiver, error)
}

// ErrUnknown is returned for a modem name, rate or channel that does not
// exist.
var ErrUnknown = errors.New("modems: no such modem")

// All lists the modems, slowest family first.
var All = []Modem{
	{
		Name: "v21", Title: "V.21", Rates: []int{300},
		NewTransmitter: func(_, ch int, src dsp.BitSource) (Transmitter, error) {
			return ret[Transmitter](v21.NewTransmitter(v21.Channel(ch), src))
		},
		NewReceiver: func(_, ch int, sink dsp.BitSink) (Receiver, error) {
			return ret[Receiver](v21.NewReceiver(v21.Channel(ch), sink))
		},
	},
	{
		Name: "v27ter", Title: "V.27ter", Rates: []int{4800, 2400}, Trained: true,
		NewTransmitter: func(rate, _ int, src dsp.BitSource) (Transmitter, error) {
			return ret[Transmitter](v27ter.NewTransmitter(rate, src))
		},
		NewReceiver: func(rate, _ int, sink dsp.BitSink) (Receiver, error) {
			return ret[Receiver](v27ter.NewReceiver(rate, sink))
		},
	},
	{
		Name: "v29", Title: "V.29", Rates: []int{9600, 7200, 4800}, Trained: true,
		NewTransmitter: func(rate, _ int, src dsp.BitSource) (Transmitter, error) {
			return ret[Transmitter](v29.NewTransmitter(rate, src))
		},
		NewReceiver: func(rate, _ int, sink dsp.BitSink) (Receiver, error) {
			return ret[Receiver](v29.NewReceiver(rate, sink))
		},
	},
	{
		Name: "v17", Title: "V.17", Rates: []int{14400, 12000, 9600, 7200}, Trained: true,
		NewTransmitter: func(rate, _ int, src dsp.BitSource) (Transmitter, error) {
			return ret[Transmitter](v17.NewTransmitter(rate, src))
		},
		NewReceiver: func(rate, _ int, sink dsp.BitSink) (Receiver, error) {
			return ret[Receiver](v17.NewReceiver(rate, sink))
		},
	},
}

// ret turns a constructor's concrete result into the interface, keeping a
// nil interface (not a typed nil) on error.
func ret[I any, T any](v T, err error) (I, error) {
	var zero I
	if err != nil {
		return zero, err
	}
	i, ok := any(v).(I)
	if !ok {
		return zero, fmt.Errorf("modems: %T does not implement %T", v, (*I)(nil))
	}
	return i, nil
}

// Find returns the modem called name (any case) after checking that it runs
// at rate on channel; the error names the choices.
//
// It allocates nothing when it finds the modem: a fax terminal looks its
// modems up for every transmission and reception of every call.
func Find(name string, rate, channel int) (*Modem, error) {
	for i := range All {
		m := &All[i]
		if !strings.EqualFold(m.Name, name) {
			continue
		}
		if !slices.Contains(m.Rates, rate) {
			return nil, fmt.Errorf("%w: %s does not run at %d bit/s (rates: %s)", ErrUnknown, m.Name, rate, joinInts(m.Rates))
		}
		if m.Name == "v21" && channel != 1 && channel != 2 {
			return nil, fmt.Errorf("%w: V.21 channel %d (use 1 or 2)", ErrUnknown, channel)
		}
		return m, nil
	}
	names := make([]string, len(All))
	for i := range All {
		names[i] = All[i].Name
	}
	return nil, fmt.Errorf("%w: %q (modems: %s)", ErrUnknown, name, strings.Join(names, ", "))
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}
