package bench

import (
	"errors"
	"fmt"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/modems"
)

// A BlockTx makes a transmission's audio a block at a time: Process fills
// out and returns how many samples it wrote, fewer than len(out) once the
// transmission is over. Close frees what it holds.
type BlockTx interface {
	Process(out []int16) int
	Close()
}

// A BlockRx demodulates audio a block at a time and keeps the data bits it
// delivers.
type BlockRx interface {
	Process(in []int16)
	Bits() []byte
	Close()
}

// An Impl is one implementation of the fax modems: ours, or a peer such as
// SpanDSP that the harness measures beside ours.
type Impl struct {
	Name string
	// Supports reports whether the implementation has modem (by the names
	// of package modems: v21, v27ter, v29, v17) at rate.
	Supports func(modem string, rate int) bool
	// NewTx returns a transmitter sending bits at level dBm0, with its
	// training and shutdown.
	NewTx func(modem string, rate int, bits []byte, level float64) (BlockTx, error)
	// NewRx returns a receiver.
	NewRx func(modem string, rate int) (BlockRx, error)
}

// ErrUnsupported is returned when an implementation lacks a modem or rate.
var ErrUnsupported = errors.New("bench: modem not supported")

// Ours is faxd's own modems, from package modems (V.21 on channel 2, the
// T.30 control channel).
func Ours() Impl {
	find := func(name string, rate int) (*modems.Modem, error) {
		m, err := modems.Find(name, rate, 2)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
		}
		return m, nil
	}
	return Impl{
		Name: "faxd",
		Supports: func(name string, rate int) bool {
			_, err := find(name, rate)
			return err == nil
		},
		NewTx: func(name string, rate int, bits []byte, level float64) (BlockTx, error) {
			m, err := find(name, rate)
			if err != nil {
				return nil, err
			}
			src := &sliceSource{bits: bits}
			tx, err := m.NewTransmitter(rate, 2, src)
			if err != nil {
				return nil, err
			}
			tx.SetLevel(level)
			return ourTx{tx}, nil
		},
		NewRx: func(name string, rate int) (BlockRx, error) {
			m, err := find(name, rate)
			if err != nil {
				return nil, err
			}
			r := &ourRx{}
			rx, err := m.NewReceiver(rate, 2, &r.sink)
			if err != nil {
				return nil, err
			}
			r.rx = rx
			return r, nil
		},
	}
}

type ourTx struct{ tx modems.Transmitter }

func (t ourTx) Process(out []int16) int { return t.tx.Process(out) }
func (t ourTx) Close()                  {}

type ourRx struct {
	rx   modems.Receiver
	sink sliceSink
}

func (r *ourRx) Process(in []int16) { r.rx.Process(in) }
func (r *ourRx) Bits() []byte       { return r.sink.bits }
func (r *ourRx) Close()             {}

// sliceSource hands out bits from a slice, then dsp.EndOfData.
type sliceSource struct {
	bits []byte
	pos  int
}

func (s *sliceSource) GetBit() int {
	if s.pos >= len(s.bits) {
		return dsp.EndOfData
	}
	s.pos++
	return int(s.bits[s.pos-1])
}

// sliceSink keeps the bits it is given.
type sliceSink struct{ bits []byte }

func (s *sliceSink) PutBit(b int) { s.bits = append(s.bits, byte(b)) }
