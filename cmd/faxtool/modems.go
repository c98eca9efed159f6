package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/v21"
	"github.com/faxd/faxd/dsp/v27ter"
	"github.com/faxd/faxd/dsp/v29"
)

// transmitter and receiver are what faxtool needs of every modem.
type transmitter interface {
	dsp.Transmitter
	SetLevel(dBm0 float64)
	SetStatusHandler(h dsp.StatusHandler)
}

type receiver interface {
	dsp.Receiver
	SetStatusHandler(h dsp.StatusHandler)
}

// A modemSpec names a modem and makes its transmitters and receivers. For
// V.21, "rate" is always 300 and the channel picks the frequencies.
type modemSpec struct {
	name  string
	rates []int
	newTx func(rate, channel int, src dsp.BitSource) (transmitter, error)
	newRx func(rate, channel int, sink dsp.BitSink) (receiver, error)
}

var modems = []modemSpec{
	{
		name:  "v21",
		rates: []int{300},
		newTx: func(_, ch int, src dsp.BitSource) (transmitter, error) {
			t, err := v21.NewTransmitter(v21Channel(ch), src)
			if err != nil {
				return nil, err
			}
			return t, nil
		},
		newRx: func(_, ch int, sink dsp.BitSink) (receiver, error) {
			r, err := v21.NewReceiver(v21Channel(ch), sink)
			if err != nil {
				return nil, err
			}
			return r, nil
		},
	},
	{
		name:  "v27ter",
		rates: []int{4800, 2400},
		newTx: func(rate, _ int, src dsp.BitSource) (transmitter, error) {
			t, err := v27ter.NewTransmitter(rate, src)
			if err != nil {
				return nil, err
			}
			return t, nil
		},
		newRx: func(rate, _ int, sink dsp.BitSink) (receiver, error) {
			r, err := v27ter.NewReceiver(rate, sink)
			if err != nil {
				return nil, err
			}
			return r, nil
		},
	},
	{
		name:  "v29",
		rates: []int{9600, 7200, 4800},
		newTx: func(rate, _ int, src dsp.BitSource) (transmitter, error) {
			t, err := v29.NewTransmitter(rate, src)
			if err != nil {
				return nil, err
			}
			return t, nil
		},
		newRx: func(rate, _ int, sink dsp.BitSink) (receiver, error) {
			r, err := v29.NewReceiver(rate, sink)
			if err != nil {
				return nil, err
			}
			return r, nil
		},
	},
}

func v21Channel(ch int) v21.Channel {
	if ch == 1 {
		return v21.Channel1
	}
	return v21.Channel2
}

// findModem checks a modem name, rate and channel and returns the spec.
func findModem(name string, rate, channel int) (*modemSpec, error) {
	var names []string
	for i := range modems {
		m := &modems[i]
		names = append(names, m.name)
		if m.name != strings.ToLower(name) {
			continue
		}
		if !slices.Contains(m.rates, rate) {
			return nil, fmt.Errorf("%w: %s does not run at %d bit/s (rates: %s)", errUsage, m.name, rate, joinInts(m.rates))
		}
		if m.name == "v21" && channel != 1 && channel != 2 {
			return nil, fmt.Errorf("%w: V.21 channel %d (use 1 or 2)", errUsage, channel)
		}
		return m, nil
	}
	return nil, fmt.Errorf("%w: unknown modem %q (modems: %s)", errUsage, name, strings.Join(names, ", "))
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}
