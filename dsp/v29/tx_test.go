package v29

import (
	"errors"
	"math"
	"math/rand"
	"strconv"
	"testing"

	"github.com/faxd/faxd/dsp"
)

// randomBits returns n pseudo-random data bits.
func randomBits(seed int64, n int) []byte {
	r := rand.New(rand.NewSource(seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Intn(2))
	}
	return b
}

// sliceSource is a BitSource over a fixed slice.
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

// modulate runs our transmitter over bits to the end of its shutdown.
func modulate(t testing.TB, rate int, bits []byte, level float64) []int16 {
	t.Helper()
	tx, err := NewTransmitter(rate, &sliceSource{bits: bits})
	if err != nil {
		t.Fatal(err)
	}
	tx.SetLevel(level)
	var out []int16
	buf := make([]int16, 160)
	for {
		n := tx.Process(buf)
		out = append(out, buf[:n]...)
		if n < len(buf) {
			break
		}
	}
	return out
}

func TestRate(t *testing.T) {
	for _, r := range []int{2400, 14400, 0} {
		if _, err := NewTransmitter(r, &sliceSource{}); !errors.Is(err, ErrRate) {
			t.Errorf("rate %d: err %v, want ErrRate", r, err)
		}
	}
}

// TestTxLevelAndLength checks the data level against SetLevel and the
// length: training, the data symbols, the shutdown symbols.
func TestTxLevelAndLength(t *testing.T) {
	for _, rate := range []int{9600, 7200, 4800} {
		for _, lvl := range []float64{-10, -13, -40} {
			bitsPerSym := rate / baudRate
			nbits := 4800
			audio := modulate(t, rate, randomBits(1, nbits), lvl)
			// Training, the data, the symbol in which the source ran
			// dry (ones), the shutdown ones; the first symbol enters the
			// shaper at sample 3; 10/3 samples per symbol.
			syms := trainEnd + nbits/bitsPerSym + 1 + shutdownLen
			wantLen := syms*10/3 + 3
			if d := len(audio) - wantLen; d < -1 || d > 1 {
				t.Errorf("%d: %d samples, want about %d", rate, len(audio), wantLen)
			}
			// Data part only, away from the edges.
			start := (trainEnd + 20) * 10 / 3
			end := len(audio) - 40*10/3
			var p float64
			for _, v := range audio[start:end] {
				p += float64(v) * float64(v)
			}
			got := dsp.DBm0FromPower(p / float64(end-start))
			if math.Abs(got-lvl) > 0.3 {
				t.Errorf("%d at %.0f dBm0: measured %.2f dBm0", rate, lvl, got)
			}
			// Segment 1 is silence.
			for i, v := range audio[:seg1Len*10/3-20] {
				if v != 0 {
					t.Fatalf("%d: segment 1 sample %d = %d, want silence", rate, i, v)
				}
			}
		}
	}
}

// TestTrainingGenerator checks the segment-3 generator 1 + x^-6 + x^-7
// from seed 0101010: its sequence repeats every 127 bits (maximal length).
func TestTrainingGenerator(t *testing.T) {
	tx, _ := NewTransmitter(9600, &sliceSource{})
	tx.symbol = seg3Start
	first := make([]complex64, 127)
	for i := range first {
		first[i] = tx.nextSymbol()
	}
	var ones int
	for i := range first {
		if s := tx.nextSymbol(); s != first[i] {
			t.Fatalf("symbol %d: period is not 127", i)
		}
		if first[i] == tx.tp.d {
			ones++
		}
	}
	if ones != 64 {
		t.Errorf("%d D points in a period, want 64", ones)
	}
}

func TestTxStatusAndAllocs(t *testing.T) {
	var got []dsp.Status
	tx, _ := NewTransmitter(9600, &sliceSource{bits: randomBits(2, 2000)})
	tx.SetStatusHandler(func(s dsp.Status) { got = append(got, s) })
	buf := make([]int16, 160)
	allocs := testing.AllocsPerRun(20, func() { tx.Process(buf) })
	if allocs != 0 {
		t.Errorf("Process allocates %.1f times per block", allocs)
	}
	for tx.Process(buf) == len(buf) {
	}
	if tx.Process(buf) != 0 {
		t.Error("Process writes after shutdown")
	}
	if len(got) != 2 || got[0] != dsp.StatusEndOfData || got[1] != dsp.StatusShutdownComplete {
		t.Errorf("statuses %v", got)
	}
}

func BenchmarkTransmitter(b *testing.B) {
	for _, rate := range []int{9600, 7200, 4800} {
		b.Run(strconv.Itoa(rate), func(b *testing.B) {
			src := dsp.BitSourceFunc(func() int { return 1 })
			tx, _ := NewTransmitter(rate, src)
			buf := make([]int16, 160)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				tx.Process(buf)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(buf)), "ns/sample")
		})
	}
}

var _ dsp.Transmitter = (*Transmitter)(nil)
