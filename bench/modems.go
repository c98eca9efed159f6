package bench

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/line"
)

// BlockSize is the block the harness hands modems: 20 ms, as a telephony
// card or an RTP packet delivers it.
const BlockSize = 160

// A ModemRate is one modem at one rate.
type ModemRate struct {
	Modem string `json:"modem"`
	Rate  int    `json:"rate"`
}

func (m ModemRate) String() string { return fmt.Sprintf("%s/%d", m.Modem, m.Rate) }

// A Timing is what one implementation's transmitter and receiver of one
// modem cost.
type Timing struct {
	ModemRate
	Impl string `json:"impl"`
	// Nanoseconds of one core per sample of audio (8000 samples a
	// second), over the whole transmission: training, data and shutdown.
	TxNsPerSample float64 `json:"tx_ns_per_sample"`
	RxNsPerSample float64 `json:"rx_ns_per_sample"`
	// Channels one core runs in real time: 1e9 / (ns per sample × 8000).
	TxChannelsPerCore float64 `json:"tx_channels_per_core"`
	RxChannelsPerCore float64 `json:"rx_channels_per_core"`
	// RxDecoded is the share of the data bits the receiver delivered
	// correctly while being timed: a receiver that fails is not fast.
	RxDecoded float64 `json:"rx_decoded"`
}

// TimeConfig says how to time the modems.
type TimeConfig struct {
	Seconds float64 // of data per transmission
	Rounds  int     // transmissions timed per implementation, alternately
	Seed    uint64
}

// RandomBits returns n pseudo-random bits from seed.
func RandomBits(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 0xbe7c))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32() & 1)
	}
	return b
}

// Transmit runs a whole transmission through tx in blocks and returns its
// audio.
func Transmit(tx BlockTx) []int16 {
	var out []int16
	buf := make([]int16, BlockSize)
	for {
		n := tx.Process(buf)
		out = append(out, buf[:n]...)
		if n < len(buf) {
			return out
		}
	}
}

// Modulate returns impl's audio for bits on m at level dBm0, between 100 ms
// of silence before and after.
func Modulate(impl Impl, m ModemRate, bits []byte, level float64) ([]int16, error) {
	tx, err := impl.NewTx(m.Modem, m.Rate, bits, level)
	if err != nil {
		return nil, err
	}
	defer tx.Close()
	sig := append(make([]int16, 800), Transmit(tx)...)
	return append(sig, make([]int16, 800)...), nil
}

// Demodulate runs audio through a new receiver of impl and returns the bits
// it delivered.
func Demodulate(impl Impl, m ModemRate, audio []int16) ([]byte, error) {
	rx, err := impl.NewRx(m.Modem, m.Rate)
	if err != nil {
		return nil, err
	}
	defer rx.Close()
	for i := 0; i < len(audio); i += BlockSize {
		rx.Process(audio[i:min(i+BlockSize, len(audio))])
	}
	return append([]byte(nil), rx.Bits()...), nil
}

// TimeModems times every implementation that supports m, transmitter and
// receiver, taking turns round by round so that they share the machine's
// state (clock speed, caches, other load) as fairly as a single run can.
// Every receiver decodes the same audio: our transmitter's signal at -13
// dBm0 with noise at -50 dBm0.
func TimeModems(impls []Impl, m ModemRate, cfg TimeConfig) ([]Timing, error) {
	rounds := max(cfg.Rounds, 1)
	bits := RandomBits(int(cfg.Seconds*float64(m.Rate)), cfg.Seed)
	var users []Impl
	for _, im := range impls {
		if im.Supports(m.Modem, m.Rate) {
			users = append(users, im)
		}
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("%w: %v by any implementation", ErrUnsupported, m)
	}
	sent := withPreamble(m.Modem, bits)
	audio, err := Modulate(users[0], m, sent, -13)
	if err != nil {
		return nil, err
	}
	audio = line.Apply(line.Config{NoiseDBm0: -50, Seed: int64(cfg.Seed)}, audio)
	audio = audio[:len(audio)/BlockSize*BlockSize]

	type acc struct {
		tx, rx         time.Duration
		txN, rxN       int
		decoded, total int
	}
	accs := make([]acc, len(users))
	buf := make([]int16, BlockSize)
	for round := range rounds {
		for k := range users {
			i := (k + round) % len(users) // a different one goes first each round
			im, a := users[i], &accs[i]

			tx, err := im.NewTx(m.Modem, m.Rate, sent, -13)
			if err != nil {
				return nil, err
			}
			start := time.Now()
			for {
				n := tx.Process(buf)
				a.txN += n
				if n < len(buf) {
					break
				}
			}
			a.tx += time.Since(start)
			tx.Close()

			rx, err := im.NewRx(m.Modem, m.Rate)
			if err != nil {
				return nil, err
			}
			start = time.Now()
			for j := 0; j < len(audio); j += BlockSize {
				rx.Process(audio[j : j+BlockSize])
			}
			a.rx += time.Since(start)
			a.rxN += len(audio)
			_, errs, n := CountErrors(bits, rx.Bits(), m.Modem == "v21")
			a.decoded += n - errs
			a.total += len(bits)
			rx.Close()
		}
	}
	out := make([]Timing, len(users))
	for i, im := range users {
		a := accs[i]
		t := Timing{ModemRate: m, Impl: im.Name}
		t.TxNsPerSample = float64(a.tx.Nanoseconds()) / float64(max(a.txN, 1))
		t.RxNsPerSample = float64(a.rx.Nanoseconds()) / float64(max(a.rxN, 1))
		t.TxChannelsPerCore = channelsPerCore(t.TxNsPerSample)
		t.RxChannelsPerCore = channelsPerCore(t.RxNsPerSample)
		t.RxDecoded = float64(a.decoded) / float64(max(a.total, 1))
		out[i] = t
	}
	return out, nil
}

func channelsPerCore(nsPerSample float64) float64 {
	if nsPerSample <= 0 {
		return 0
	}
	return 1e9 / (nsPerSample * dsp.SampleRate)
}

// CountErrors compares the bits a receiver delivered with those sent. A
// trained receiver's bits start with the data, so they are compared from
// offset 0; an untrained one's (V.21, search true) may start with bits
// heard before the data (the preamble), so the offset in got that best
// matches the first bits sent is found first. It returns that offset, the
// errors (bits missing count as errors) and how many bits were compared
// (len(sent)).
func CountErrors(sent, got []byte, search bool) (off, errs, n int) {
	if search {
		const probe = 128
		best := -1
		for o := 0; o < 1024 && o < len(got); o++ {
			e := 0
			for i := 0; i < probe && i < len(sent); i++ {
				if o+i >= len(got) || got[o+i] != sent[i] {
					e++
				}
			}
			if best < 0 || e < best {
				best, off = e, o
			}
		}
	}
	for i, b := range sent {
		if off+i >= len(got) || got[off+i] != b {
			errs++
		}
	}
	return off, errs, len(sent)
}

// withPreamble returns what a transmitter of modem sends for data: V.21,
// which has no training, leads with HDLC flags (01111110) for the
// receiver to lock on, as T.30 sends them before every frame; the others
// send the data as it is.
func withPreamble(modem string, data []byte) []byte {
	if modem != "v21" {
		return data
	}
	flag := []byte{0, 1, 1, 1, 1, 1, 1, 0}
	var out []byte
	for range 8 {
		out = append(out, flag...)
	}
	return append(out, data...)
}
