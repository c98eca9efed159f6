package v21

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/faxd/faxd/dsp"
)

// randomBits returns n pseudo-random bits.
func randomBits(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.IntN(2))
	}
	return b
}

// flags returns n bits of HDLC flags (0x7E, sent LSB first: 0 1 1 1 1 1 1 0).
func flags(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		if k := i % 8; k != 0 && k != 7 {
			b[i] = 1
		}
	}
	return b
}

// sliceSource is a BitSource over a slice.
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

// sliceSink collects bits without allocating once grown.
type sliceSink struct{ bits []byte }

func (s *sliceSink) PutBit(b int) { s.bits = append(s.bits, byte(b)) }

// modulate sends bits on ch at level dBm0 with our transmitter, with lead
// and tail samples of silence around it.
func modulate(t testing.TB, ch Channel, bits []byte, level float64, lead, tail int) []int16 {
	t.Helper()
	tx, err := NewTransmitter(ch, &sliceSource{bits: bits})
	if err != nil {
		t.Fatal(err)
	}
	tx.SetLevel(level)
	out := make([]int16, lead, lead+len(bits)*27+tail+160)
	buf := make([]int16, 160)
	for {
		n := tx.Process(buf)
		out = append(out, buf[:n]...)
		if n < len(buf) {
			break
		}
	}
	return append(out, make([]int16, tail)...)
}

// gaussianNoise adds white Gaussian noise at level dBm0 (saturating).
func addNoise(x []int16, level float64, seed uint64) []int16 {
	rng := rand.New(rand.NewPCG(seed, 0xa11ce))
	sigma := dsp.RMSFromDBm0(level)
	out := make([]int16, len(x))
	for i, v := range x {
		out[i] = dsp.SaturateInt16(float32(float64(v) + sigma*rng.NormFloat64()))
	}
	return out
}

// rxResult is what a receiver made of some audio.
type rxResult struct {
	bits   []byte
	status []dsp.Status
	report dsp.RxReport // taken at the end of the carrier
}

// demodulate runs our receiver over audio in blocks of block samples.
func demodulate(t testing.TB, ch Channel, audio []int16, block int) rxResult {
	t.Helper()
	var res rxResult
	sink := &sliceSink{}
	rx, err := NewReceiver(ch, sink)
	if err != nil {
		t.Fatal(err)
	}
	rx.SetStatusHandler(func(s dsp.Status) {
		if s == dsp.StatusCarrierDown && res.report.LevelDBm0 == 0 {
			// keep the last report of the carrier
		}
		res.status = append(res.status, s)
	})
	for i := 0; i < len(audio); i += block {
		end := min(i+block, len(audio))
		rx.Process(audio[i:end])
		if r := rx.Report(); r.Trained {
			res.report = r
		}
	}
	res.bits = sink.bits
	return res
}

// compareBits aligns got against sent, trying every offset in
// [minOff, maxOff] (got[j] against sent[j+off]) over the first probe bits,
// then counts errors over the whole overlap. It returns the offset, the
// errors and the number of bits compared.
func compareBits(sent, got []byte, minOff, maxOff, probe int) (off, errs, n int) {
	best := math.MaxInt
	for o := minOff; o <= maxOff; o++ {
		e := 0
		for j := 0; j < probe && j < len(got); j++ {
			if k := j + o; k >= 0 && k < len(sent) {
				if sent[k] != got[j] {
					e++
				}
			} else {
				e++
			}
		}
		if e < best {
			best, off = e, o
		}
	}
	for j := range got {
		k := j + off
		if k < 0 {
			continue
		}
		if k >= len(sent) {
			break
		}
		n++
		if sent[k] != got[j] {
			errs++
		}
	}
	return off, errs, n
}
