package hal

import (
	"fmt"
	"time"
)

// The audio format every channel carries: 8 kHz 16-bit linear PCM in frames
// of 20 ms (DAHDI_SET_BLOCKSIZE 160).
const (
	SampleRate    = 8000
	FrameSamples  = 160
	FrameDuration = 20 * time.Millisecond
)

// A Channel is one telephone line: audio both ways, hook state, events and
// call control. ReadFrame, WriteFrame and Event must not allocate.
type Channel interface {
	// Name is the channel's name in its driver (a number on the sim
	// network, a DAHDI channel number).
	Name() string

	// ReadFrame fills dst (len FrameSamples) with the next 20 ms heard on
	// the line; silence when no call is up.
	ReadFrame(dst []int16) error
	// WriteFrame sends src (len FrameSamples) as the next 20 ms on the
	// line; discarded when no call is up.
	WriteFrame(src []int16) error

	// Hook reports whether the channel is on or off hook.
	Hook() Hook
	// Event returns the oldest event not yet taken, and false when there
	// is none.
	Event() (Event, bool)

	// Dial goes off hook and places a call to number; the outcome comes as
	// an event (EventAnswer, EventBusy, EventNoAnswer, EventUnreachable).
	Dial(number string) error
	// Answer goes off hook and takes the call that is ringing.
	Answer() error
	// Hangup ends the call, if any, and goes on hook.
	Hangup() error

	// Close releases the channel; later calls return a *ChannelError
	// wrapping ErrClosed.
	Close() error
}

// A Driver finds and opens channels.
type Driver interface {
	// Name names the driver ("sim", "dahdi").
	Name() string
	// Channels lists the names of the channels the driver can open.
	Channels() ([]string, error)
	// Open opens the named channel. Opening a channel that is already
	// open returns an error wrapping ErrInUse.
	Open(name string) (Channel, error)
}

// Hook is a channel's hook state.
type Hook uint8

// The hook states.
const (
	OnHook Hook = iota
	OffHook
)

func (h Hook) String() string {
	if h == OffHook {
		return "off-hook"
	}
	return "on-hook"
}

// EventKind says what happened on a line.
type EventKind uint8

// The events a channel reports.
const (
	EventNone        EventKind = iota
	EventRing                  // an incoming call rings (repeated with the ring cadence)
	EventAnswer                // the far end answered our call
	EventHangup                // the far end hung up (or stopped ringing before we answered)
	EventBusy                  // the number we dialled is busy
	EventNoAnswer              // the number we dialled rang without an answer until the network gave up
	EventUnreachable           // the number we dialled does not exist or cannot be reached
	EventAlarm                 // the line or its span went into alarm; the call, if any, is lost
	EventAlarmClear            // the alarm cleared
)

var eventNames = [...]string{
	EventNone:        "none",
	EventRing:        "ring",
	EventAnswer:      "answer",
	EventHangup:      "hangup",
	EventBusy:        "busy",
	EventNoAnswer:    "no-answer",
	EventUnreachable: "unreachable",
	EventAlarm:       "alarm",
	EventAlarmClear:  "alarm-clear",
}

func (k EventKind) String() string {
	if int(k) < len(eventNames) {
		return eventNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// An Event is something that happened on a line. It is a small value, so
// polling for it allocates nothing.
type Event struct {
	Kind EventKind
	// Detail is driver specific: the alarm bits for EventAlarm on DAHDI,
	// the ring count for EventRing on the sim network.
	Detail int32
}

func (e Event) String() string {
	if e.Detail != 0 {
		return fmt.Sprintf("%s(%d)", e.Kind, e.Detail)
	}
	return e.Kind.String()
}
