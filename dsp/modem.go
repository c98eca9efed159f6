package dsp

// EndOfData is what a BitSource returns when it has no more bits to send.
// A transmitter then sends its shutdown sequence and stops.
const EndOfData = -1

// A BitSource supplies the data bits a transmitter sends, one per call: 0 or 1,
// or EndOfData when there are no more.
type BitSource interface {
	GetBit() int
}

// A BitSink takes the data bits a receiver decodes, one per call (0 or 1).
type BitSink interface {
	PutBit(bit int)
}

// A BitsSink is a BitSink that also takes several bits in one call, as a
// receiver that decides a symbol's bits at once delivers them: PutBits(b,
// n) means PutBit of b's low n bits, bit n-1 (the first on the line)
// first. Receivers use it when their sink has it, saving a call per bit.
type BitsSink interface {
	BitSink
	PutBits(b uint32, n int)
}

// A BitsSource is a BitSource that also gives several bits in one call,
// as a transmitter that sends a symbol's bits at once takes them:
// GetBits(n), for n from 1 to 24, returns k bits in b's low k bits, the
// first for the line in bit k-1; k == n unless the data ended after k
// bits (what GetBit would have told with EndOfData). Transmitters use it
// when their source has it, saving a call per bit.
type BitsSource interface {
	BitSource
	GetBits(n int) (b uint32, k int)
}

// BitSourceFunc adapts a function to a BitSource.
type BitSourceFunc func() int

// GetBit calls f.
func (f BitSourceFunc) GetBit() int { return f() }

// BitSinkFunc adapts a function to a BitSink.
type BitSinkFunc func(bit int)

// PutBit calls f.
func (f BitSinkFunc) PutBit(bit int) { f(bit) }

// Status is an event a modem reports about its signal.
type Status int

// The events a modem reports.
const (
	StatusCarrierUp         Status = iota + 1 // energy of the modem's signal appeared
	StatusCarrierDown                         // the signal went away
	StatusTrainingSucceeded                   // the receiver trained; data bits follow
	StatusTrainingFailed                      // the receiver could not train; no data bits follow
	StatusEndOfData                           // the transmitter's source ran dry; shutdown follows
	StatusShutdownComplete                    // the transmitter has sent its last sample
)

var statusNames = [...]string{
	StatusCarrierUp:         "carrier up",
	StatusCarrierDown:       "carrier down",
	StatusTrainingSucceeded: "training succeeded",
	StatusTrainingFailed:    "training failed",
	StatusEndOfData:         "end of data",
	StatusShutdownComplete:  "shutdown complete",
}

func (s Status) String() string {
	if s > 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "unknown status"
}

// A StatusHandler is told of a modem's status events. It may be nil.
type StatusHandler func(Status)

// RxReport describes what a receiver hears.
type RxReport struct {
	LevelDBm0       float64 // received signal power, dBm0
	CarrierOffsetHz float64 // far carrier frequency minus nominal, Hz
	SymbolOffsetPPM float64 // far symbol clock minus nominal, parts per million (0 where not tracked)
	QualityDB       float64 // signal to error power at the decision point, dB (an SNR estimate)
	Trained         bool    // the receiver has trained and delivers data
}

// A Transmitter makes modem audio. Process fills out and returns how many
// samples it wrote; fewer than len(out) means the transmitter has shut down.
type Transmitter interface {
	Process(out []int16) int
}

// A Receiver consumes modem audio. Process takes every sample it is given and
// returns len(in); Fill tells it n samples were lost; Report describes the
// signal.
type Receiver interface {
	Process(in []int16) int
	Fill(n int)
	Report() RxReport
}
