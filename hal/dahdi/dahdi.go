// Package dahdi drives telephony cards through DAHDI (Digium Asterisk
// Hardware Device Interface, dahdi-linux): one Channel per DAHDI channel
// opened on /dev/dahdi/channel, moving 20 ms frames of 8 kHz linear PCM,
// with hook control, dialling, signalling events and span status.
//
// How it works: a channel is opened on the generic channel selector
// /dev/dahdi/channel and bound to its channel number with DAHDI_SPECIFY
// before any other request; DAHDI_SET_BLOCKSIZE 160 makes every read and
// write one 20 ms block, DAHDI_SETLINEAR makes the samples signed 16-bit
// (native byte order) instead of G.711, and the echo canceller is switched
// off or put in fax mode. While a signalling event waits, read and write
// fail with errno ELAST (500); the event is fetched with DAHDI_GETEVENT and
// queued, and the audio call is retried, so no frame is lost. An idle
// channel is watched with poll(POLLPRI).
//
// Everything the package asks of the kernel goes through the small Device
// interface, so tests drive a Channel over a socketpair with an ioctl shim;
// unsafe and the system calls live in hal/dahdi/internal/ioctl.
//
// For the rest of faxd the package is a hal driver: Driver (hal.Driver)
// lists the configured channels from sysfs bus/dahdi_spans and
// bus/dahdi_channels, or /proc/dahdi on a DAHDI without them (ListSpans),
// and opens each as a Line (hal.Channel, hal.EchoCanceller), which turns
// DAHDI's signalling events into hal events by the channel's signalling
// (FXO or FXS port) and the call's state, and its errors into
// *hal.ChannelError wrapping hal's sentinels.
package dahdi

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/faxd/faxd/hal/dahdi/internal/ioctl"
	"golang.org/x/sys/unix"
)

// Errors. Every error a Channel returns is a *Error wrapping one of these
// or the system's error.
var (
	// ErrNotSupported: DAHDI or one of its abilities is not there (no
	// /dev/dahdi, no echo canceller to put in fax mode).
	ErrNotSupported = errors.New("dahdi: not supported")
	// ErrRemoved: the channel's hardware went away (DAHDI_EVENT_REMOVED or
	// ENODEV); close it.
	ErrRemoved = errors.New("dahdi: channel removed")
	// ErrClosed: the Channel was closed.
	ErrClosed = errors.New("dahdi: channel closed")
	// ErrShortFrame: a read or write moved less than one block.
	ErrShortFrame = errors.New("dahdi: short frame")
	// ErrFrameSize: the caller's frame is not one block long.
	ErrFrameSize = errors.New("dahdi: frame size")
	// ErrDialString: a number DAHDI cannot dial.
	ErrDialString = errors.New("dahdi: bad dial string")
)

// Error is a failed operation on a channel.
type Error struct {
	Channel int    // DAHDI channel number (0 for the control device)
	Op      string // "open", "specify", "read", "hook", ...
	Err     error
}

func (e *Error) Error() string {
	return fmt.Sprintf("dahdi: channel %d: %s: %v", e.Channel, e.Op, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Device is one open DAHDI file as a Channel uses it. The real one is an
// open /dev/dahdi/channel or /dev/dahdi/ctl (OpenDevice); tests give a fake.
type Device interface {
	// Read and Write move one block of audio. While an event waits they
	// fail with an error carrying errno ELAST (500).
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
	// Ioctl issues request req with arg as the argument's memory (ints are
	// 4 bytes in native order; the kernel may write results back into it).
	Ioctl(req uint, arg []byte) error
	// WaitEvent waits up to timeout (forever if negative) for a pending
	// signalling event (POLLPRI) and reports whether one is there.
	WaitEvent(timeout time.Duration) (bool, error)
	Close() error
}

// OpenFunc opens a device file.
type OpenFunc func(path string) (Device, error)

// DefaultDir is where DAHDI's device files live.
const DefaultDir = "/dev/dahdi"

// OpenDevice opens a DAHDI device file read-write. A missing file (no DAHDI
// driver loaded) gives an error wrapping ErrNotSupported.
func OpenDevice(path string) (Device, error) {
	f, err := ioctl.Open(path)
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENXIO) || errors.Is(err, unix.ENODEV) {
			return nil, fmt.Errorf("%w: %w", ErrNotSupported, err)
		}
		return nil, err
	}
	return fileDevice{f}, nil
}

type fileDevice struct{ *ioctl.File }

func (d fileDevice) WaitEvent(timeout time.Duration) (bool, error) {
	_, pri, err := d.Wait(timeout, false)
	return pri, err
}

// Echo says what to do with the channel's echo canceller. Fax modems want
// none, or one whose non-linear processor is off (fax mode).
type Echo int

const (
	EchoOff       Echo = iota // DAHDI_ECHOCANCEL 0 (the default)
	EchoFaxMode               // DAHDI_ECHOCANCEL_FAX_MODE 1; ErrNotSupported without a canceller
	EchoUnchanged             // leave it as the configuration set it
)

// Config opens channels. The zero value opens /dev/dahdi/channel with
// 160-sample blocks and the echo canceller off.
type Config struct {
	Dir       string   // device directory; DefaultDir when empty
	BlockSize int      // samples per frame; 160 (20 ms) when zero (the Driver always uses 160)
	Echo      Echo     // echo canceller handling when a channel is opened
	Open      OpenFunc // opens device files; OpenDevice when nil

	// SysfsRoot and ProcfsRoot are where ListSpans and Driver.Channels
	// look for DAHDI's spans and channels; DefaultSysfs and DefaultProcfs
	// when empty.
	SysfsRoot  string
	ProcfsRoot string

	// EchoTaps is the echo canceller's length for hal.EchoOn and
	// hal.EchoFax, in taps of 125 us (DAHDI_ECHOCANCEL takes 32 to 1024);
	// DefaultEchoTaps when zero.
	EchoTaps int
	// RingTimeout is how long after the last ring an incoming call that
	// was not answered counts as gone (analogue lines send no signal when
	// the caller gives up); DefaultRingTimeout when zero.
	RingTimeout time.Duration
	// NoAnswerTimeout is how long an FXS port rings its phone before Dial
	// gives up with hal.EventNoAnswer; DefaultNoAnswerTimeout when zero.
	NoAnswerTimeout time.Duration
}

// Defaults of Config. DefaultEchoTaps is 16 ms; DefaultRingTimeout is
// chan_dahdi's (DEFAULT_RINGT: 8 s counted in 20 ms reads).
const (
	DefaultEchoTaps        = 128
	DefaultRingTimeout     = 8 * time.Second
	DefaultNoAnswerTimeout = 60 * time.Second
)

func (c Config) dir() string {
	if c.Dir == "" {
		return DefaultDir
	}
	return c.Dir
}

func (c Config) open(name string) (Device, error) {
	open := c.Open
	if open == nil {
		open = OpenDevice
	}
	return open(filepath.Join(c.dir(), name))
}

// Available reports whether DAHDI's channel selector exists under cfg.Dir.
func Available(cfg Config) bool {
	d, err := cfg.open("channel")
	if err != nil {
		return false
	}
	d.Close()
	return true
}

func intArg(v int) []byte {
	b := make([]byte, 4)
	putInt(b, v)
	return b
}

// notSupported turns the errnos with which DAHDI refuses an ability into
// ErrNotSupported.
func notSupported(err error) error {
	if errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) {
		return fmt.Errorf("%w: %w", ErrNotSupported, err)
	}
	return err
}
