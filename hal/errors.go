package hal

import "errors"

// Errors a channel or driver returns, wrapped with the values that explain
// them.
var (
	// ErrNotSupported: the channel lacks an optional ability (an echo
	// canceller, a fax DSP). Callers fall back to software; tests skip.
	ErrNotSupported = errors.New("hal: not supported")
	// ErrClosed: the channel was closed.
	ErrClosed = errors.New("hal: channel closed")
	// ErrAlarm: the channel or its span is in alarm.
	ErrAlarm = errors.New("hal: channel in alarm")
	// ErrState: the operation does not fit the call state (dialling
	// during a call, answering when nothing rings).
	ErrState = errors.New("hal: wrong call state")
	// ErrFrameSize: a frame that is not FrameSamples long.
	ErrFrameSize = errors.New("hal: frame size")
	// ErrInvalidNumber: a number that cannot be dialled.
	ErrInvalidNumber = errors.New("hal: invalid number")
	// ErrNoChannel: the driver has no channel by that name.
	ErrNoChannel = errors.New("hal: no such channel")
	// ErrInUse: the channel or number is already open.
	ErrInUse = errors.New("hal: channel in use")
)

// A ChannelError reports a channel that stopped working: closed, in
// alarm, its device gone. Op is the operation that failed ("read",
// "write", "dial", ...), Err the cause (ErrClosed, ErrAlarm, an errno).
type ChannelError struct {
	Channel string
	Op      string
	Err     error
}

func (e *ChannelError) Error() string {
	return "hal: channel " + e.Channel + ": " + e.Op + ": " + e.Err.Error()
}

func (e *ChannelError) Unwrap() error { return e.Err }
