package hal

import (
	"fmt"

	"github.com/faxd/faxd/t30"
)

// EchoMode is how a channel's own echo canceller runs.
type EchoMode uint8

// The echo canceller modes.
const (
	EchoOff EchoMode = iota // disabled: what fax wants once the call is up (V.21 and the fast modems are half duplex, and cancellers that adapt on modem signals hurt them)
	EchoOn                  // enabled for speech
	EchoFax                 // fax mode: the canceller's non-linear processor off, or the canceller disabled as on a 2100 Hz tone with phase reversals (G.165/G.168)
)

func (m EchoMode) String() string {
	switch m {
	case EchoOff:
		return "off"
	case EchoOn:
		return "on"
	case EchoFax:
		return "fax"
	}
	return fmt.Sprintf("EchoMode(%d)", int(m))
}

// An EchoCanceller is a channel with its own (hardware) echo canceller.
type EchoCanceller interface {
	SetEchoCancel(mode EchoMode) error
}

// A FaxDSP is a channel whose card runs fax itself (modems and T.30): the
// card then owns the call's audio until the fax ends.
type FaxDSP interface {
	// StartFax hands the call that is up to the card's fax engine.
	StartFax(cfg t30.Config) error
	// FaxResult returns the result once the card's fax call is over.
	FaxResult() (*t30.Result, bool)
}

// SetEchoCancel sets ch's echo canceller, or returns an error wrapping
// ErrNotSupported when ch has none.
func SetEchoCancel(ch Channel, mode EchoMode) error {
	ec, ok := ch.(EchoCanceller)
	if !ok {
		return fmt.Errorf("%w: channel %s has no echo canceller", ErrNotSupported, ch.Name())
	}
	return ec.SetEchoCancel(mode)
}

// StartFax hands the call on ch to the card's fax DSP, or returns an error
// wrapping ErrNotSupported when ch has none (the caller then runs the soft
// fax terminal on the channel's audio).
func StartFax(ch Channel, cfg t30.Config) error {
	f, ok := ch.(FaxDSP)
	if !ok {
		return fmt.Errorf("%w: channel %s has no fax DSP", ErrNotSupported, ch.Name())
	}
	return f.StartFax(cfg)
}

// A FrameSlotter is a channel whose transmit buffer lends the slot the
// next frame goes to, so that the frame is made in place, the way a
// card's driver hands out its DMA buffer: no copy, and the slot's memory
// is fetched while the frame is made rather than all at once when it is
// written (at thousands of channels a 20 ms block's slot has long left
// the caches). The sim network's channels are FrameSlotters.
type FrameSlotter interface {
	// TxSlot returns the slot (FrameSamples long) for the next frame, or
	// nil when WriteFrame would not queue one now (no call up, buffer
	// full, channel down): then make the frame elsewhere and WriteFrame
	// it, which says why.
	TxSlot() []int16
	// CommitTx sends the frame made in the slot TxSlot returned last.
	CommitTx()
}
