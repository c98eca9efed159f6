package v17

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/faxd/faxd/dsp"
)

// randomBits returns n pseudo-random data bits.
func randomBits(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 17))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.IntN(2))
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
func modulate(t testing.TB, rate int, bits []byte, level float64, short bool) []int16 {
	t.Helper()
	tx, err := NewTransmitter(rate, &sliceSource{bits: bits})
	if err != nil {
		t.Fatal(err)
	}
	tx.SetLevel(level)
	tx.SetShortTrain(short)
	var out []int16
	buf := make([]int16, 160)
	for {
		n := tx.Process(buf)
		out = append(out, buf[:n]...)
		if n < len(buf) {
			return out
		}
	}
}

func trainName(short bool) string {
	if short {
		return "short"
	}
	return "long"
}

// trainLen is the number of training symbols before the data.
func trainLen(short bool) int {
	if short {
		return seg1Len + seg2ShortLen + seg4Len
	}
	return seg1Len + seg2Len + seg3Len + seg4Len
}

// symbolStart is the first sample a symbol (counted from 0) affects: it
// enters the shaper when 24 kHz ticks of 3 per sample reach 10(k+1).
func symbolStart(k int) int { return (10*(k+1)+2)/3 - 1 }

func power(x []int16) float64 {
	var p float64
	for _, v := range x {
		p += float64(v) * float64(v)
	}
	return p / float64(len(x))
}

func TestTxRate(t *testing.T) {
	for _, r := range []int{4800, 2400, 9601, 0} {
		if _, err := NewTransmitter(r, &sliceSource{}); !errors.Is(err, ErrRate) {
			t.Errorf("rate %d: err %v, want ErrRate", r, err)
		}
	}
}

// TestTxLengthAndLevel checks the length of a transmission (training, the
// data symbols, the symbol in which the source ran dry, 31 symbols of ones
// and 48 of silence) and the data level against SetLevel, for every rate,
// both trains and three levels.
func TestTxLengthAndLevel(t *testing.T) {
	for _, rate := range rates {
		for _, short := range []bool{false, true} {
			for _, lvl := range []float64{-10, -13, -40} {
				const nbits = 5003 // not a whole number of symbols at any rate
				audio := modulate(t, rate, randomBits(uint64(rate), nbits), lvl, short)
				bps := BitsPerSymbol(rate)
				syms := trainLen(short) + nbits/bps + 1 + shutdownOnes + shutdownSilence
				if want := symbolStart(syms); len(audio) != want {
					t.Errorf("%d %s: %d samples, want %d", rate, trainName(short), len(audio), want)
				}
				// The data, away from the edges (the shaper spans 9 symbols).
				dataStart := symbolStart(trainLen(short) + 10)
				dataEnd := symbolStart(trainLen(short) + nbits/bps - 10)
				got := dsp.DBm0FromPower(power(audio[dataStart:dataEnd]))
				if math.Abs(got-lvl) > 0.2 {
					t.Errorf("%d %s at %.0f dBm0: data measured %.2f dBm0", rate, trainName(short), lvl, got)
				}
				// The training: points of power 40, the data's within 0.2 dB.
				train := dsp.DBm0FromPower(power(audio[symbolStart(10):symbolStart(trainLen(short)-10)]))
				if want := lvl + 10*math.Log10(40/meanSymbolPower(rate)); math.Abs(train-want) > 0.2 {
					t.Errorf("%d %s at %.0f dBm0: training measured %.2f dBm0, want %.2f", rate, trainName(short), lvl, train, want)
				}
				// The shutdown ends in silence: after the last ones symbol
				// has left the shaper, every sample is 0.
				quiet := audio[symbolStart(syms-shutdownSilence+spanSyms):]
				for i, v := range quiet {
					if v != 0 {
						t.Fatalf("%d %s: sample %d of the closing silence is %d", rate, trainName(short), i, v)
					}
				}
				if len(quiet) < 100 {
					t.Errorf("%d %s: only %d silent samples at the end", rate, trainName(short), len(quiet))
				}
			}
		}
	}
}

// TestTrainingSymbols checks the symbol sequence against V.17 §2.5 worked
// out independently of the transmitter's code: segment 1 alternates A and
// B from A; segment 2 maps pairs of bits from a 1 + x^-18 + x^-23
// scrambler fed with ones (dsp.Scrambler, from SpanDSP's seed) to C, D, B
// or A; segment 3 turns the last point by 90 degrees per step of the
// scrambled bridge word 0x8880; from segment 4 on, the trellis-coded
// symbols, Viterbi-decoded and descrambled (dsp.Descrambler), give 48
// symbols of ones, the data, the shutdown's ones and then silence.
func TestTrainingSymbols(t *testing.T) {
	A, B, C, D := complex64(-6-2i), complex64(2-6i), complex64(6+2i), complex64(-2+6i)
	byBits := map[int]complex64{0: C, 1: D, 2: B, 3: A} // first bit high
	stepByBits := map[int]int{0: 1, 1: 0, 2: 2, 3: 3}
	for _, rate := range rates {
		for _, short := range []bool{false, true} {
			name := fmt.Sprintf("%d %s", rate, trainName(short))
			bps := BitsPerSymbol(rate)
			bits := randomBits(uint64(rate)+3, 40*bps+1)
			tx, _ := NewTransmitter(rate, &sliceSource{bits: bits})
			tx.SetShortTrain(short)
			scr := dsp.Scrambler{Poly: dsp.PolyV29, Reg: scramblerSeed}
			pair := func(b0, b1 int) int { return scr.Scramble(b0)<<1 | scr.Scramble(b1) }
			n := 0
			for ; n < seg1Len; n++ {
				if got, want := tx.nextSymbol(), []complex64{A, B}[n&1]; got != want {
					t.Fatalf("%s: segment 1 symbol %d is %v, want %v", name, n, got, want)
				}
			}
			s2 := seg2Len
			if short {
				s2 = seg2ShortLen
			}
			last := complex64(0)
			for i := range s2 {
				last = byBits[pair(1, 1)]
				if got := tx.nextSymbol(); got != last {
					t.Fatalf("%s: segment 2 symbol %d is %v, want %v", name, i, got, last)
				}
			}
			if !short {
				for i := range seg3Len {
					k := 2 * (i % 8)
					for range stepByBits[pair(bridgeWord>>k&1, bridgeWord>>(k+1)&1)] {
						last *= 1i
					}
					if got := tx.nextSymbol(); got != last {
						t.Fatalf("%s: segment 3 symbol %d is %v, want %v", name, i, got, last)
					}
				}
			}
			// Segment 4 onwards: decode and descramble.
			v, _ := NewViterbi(rate)
			if short {
				v.SetDiff(0)
			}
			v.Reset()
			des := dsp.Descrambler{Poly: dsp.PolyV29, Reg: scr.Reg}
			var got []byte
			nsym := seg4Len + len(bits)/bps + 1 + shutdownOnes
			for i := range nsym + TracebackDepth {
				z := complex64(0)
				if i < nsym {
					z = tx.nextSymbol()
				}
				if q, ok := v.Decode(z); ok {
					for j := range bps {
						got = append(got, byte(des.Descramble(int(q>>j&1))))
					}
				}
			}
			want := make([]byte, 0, len(got))
			for range seg4Len * bps {
				want = append(want, 1)
			}
			want = append(want, bits...)
			for len(want) < len(got) {
				want = append(want, 1)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s: bit %d after segment 3 is %d, want %d", name, i, got[i], want[i])
				}
			}
			for i := range shutdownSilence {
				if z := tx.nextSymbol(); z != 0 {
					t.Fatalf("%s: closing symbol %d is %v, want silence", name, i, z)
				}
			}
		}
	}
}

// TestTxStatusAndAllocs: Process allocates nothing, reports end of data and
// shutdown once each, and writes nothing after the shutdown.
func TestTxStatusAndAllocs(t *testing.T) {
	for _, rate := range rates {
		var got []dsp.Status
		tx, _ := NewTransmitter(rate, &sliceSource{bits: randomBits(2, 20000)})
		tx.SetStatusHandler(func(s dsp.Status) { got = append(got, s) })
		buf := make([]int16, 160)
		// Training and data blocks.
		if a := testing.AllocsPerRun(200, func() { tx.Process(buf) }); a != 0 {
			t.Errorf("%d: Process allocates %.1f times per block", rate, a)
		}
		for tx.Process(buf) == len(buf) {
		}
		if tx.Process(buf) != 0 {
			t.Errorf("%d: Process writes after shutdown", rate)
		}
		if len(got) != 2 || got[0] != dsp.StatusEndOfData || got[1] != dsp.StatusShutdownComplete {
			t.Errorf("%d: statuses %v", rate, got)
		}
		// Reset starts a new transmission (TestResetRepeats compares it).
		tx.Reset()
		if n := tx.Process(buf); n != len(buf) {
			t.Errorf("%d: %d samples after Reset", rate, n)
		}
	}
}

// TestResetRepeats: a transmitter Reset (or switched between trains) sends
// exactly what a new one does.
func TestResetRepeats(t *testing.T) {
	bits := randomBits(4, 3000)
	for _, short := range []bool{false, true} {
		want := modulate(t, 14400, bits, -13, short)
		src := &sliceSource{bits: bits}
		tx, _ := NewTransmitter(14400, src)
		buf := make([]int16, 97)
		for range 50 {
			tx.Process(buf)
		}
		src.pos = 0
		tx.SetShortTrain(short)
		var got []int16
		for {
			n := tx.Process(buf)
			got = append(got, buf[:n]...)
			if n < len(buf) {
				break
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d samples after a restart, %d from new", trainName(short), len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: sample %d differs after a restart", trainName(short), i)
			}
		}
	}
}

// TestSpectrum: the data's energy is centred on the 1800 Hz carrier, half
// power (-3 dB) at 1800 ± 1200 Hz where the root-raised-cosine shaping puts
// the band edges, and next to nothing outside 1800 ± 1500 Hz (25% roll-off).
func TestSpectrum(t *testing.T) {
	audio := modulate(t, 14400, randomBits(5, 14400*2), -13, false)
	data := audio[symbolStart(trainLen(false)+10):]
	data = data[:len(data)-symbolStart(100)]
	const n = 512 // 15.6 Hz bins
	var win, cosT, sinT [n]float64
	for i := range n {
		win[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/n)
		cosT[i], sinT[i] = math.Cos(2*math.Pi*float64(i)/n), math.Sin(2*math.Pi*float64(i)/n)
	}
	var spec [n/2 + 1]float64
	var x [n]float64
	blocks := 0
	for off := 0; off+n <= len(data); off += n / 2 {
		for i := range n {
			x[i] = win[i] * float64(data[off+i])
		}
		for k := range spec {
			var re, im float64
			for i := range n {
				j := k * i % n
				re += x[i] * cosT[j]
				im -= x[i] * sinT[j]
			}
			spec[k] += re*re + im*im
		}
		blocks++
	}
	hz := func(k int) float64 { return float64(k) * dsp.SampleRate / n }
	bin := func(f float64) int { return int(math.Round(f * n / dsp.SampleRate)) }
	var total, inBand, moment float64
	for k, p := range spec {
		total += p
		moment += p * hz(k)
		if f := hz(k); f >= 300 && f <= 3300 {
			inBand += p
		}
	}
	centre := moment / total
	t.Logf("%d blocks: centroid %.1f Hz, %.4f%% of the energy in 300-3300 Hz", blocks, centre, 100*inBand/total)
	if math.Abs(centre-CarrierFreq) > 25 { // the estimate's own scatter is about 7 Hz
		t.Errorf("spectral centroid %.1f Hz, want 1800", centre)
	}
	if inBand/total < 0.999 {
		t.Errorf("%.3f%% of the energy outside 300-3300 Hz", 100*(1-inBand/total))
	}
	// Average 5 bins around a frequency against the centre.
	level := func(f float64) float64 {
		var p, c float64
		for d := -2; d <= 2; d++ {
			p += spec[bin(f)+d]
			c += spec[bin(CarrierFreq)+d]
		}
		return 10 * math.Log10(p/c)
	}
	for _, f := range []float64{600, 3000} {
		if l := level(f); l < -4.5 || l > -1.5 {
			t.Errorf("%.0f Hz is %.1f dB from the centre, want about -3", f, l)
		}
	}
	for _, f := range []float64{200, 3400} {
		if l := level(f); l > -30 {
			t.Errorf("%.0f Hz is %.1f dB from the centre, want below -30", f, l)
		}
	}
}

// goldenBits is the data of the golden files: bit i is bit 7 of
// i * 2654435761 mod 2^32.
func goldenBits(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(uint32(i) * 2654435761 >> 7 & 1)
	}
	return b
}

// TestShortTrainMatchesSpanDSP compares our short train with SpanDSP's,
// recorded in testdata (see testdata/spandsp_short_train.c; the spandsp
// binding cannot restart its transmitter with a short train): in every
// 5 ms window the two waveforms correlate to better than 0.9999, so every
// symbol is the same, and their levels agree within 0.2 dB.
func TestShortTrainMatchesSpanDSP(t *testing.T) {
	for _, rate := range rates {
		raw, err := os.ReadFile(fmt.Sprintf("testdata/spandsp_short_%d.raw", rate))
		if err != nil {
			t.Fatal(err)
		}
		theirs := make([]int16, len(raw)/2)
		for i := range theirs {
			theirs[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
		}
		ours := modulate(t, rate, goldenBits(480), -13, true)
		compareWaveforms(t, fmt.Sprint(rate, " short"), ours, theirs)
	}
}

// compareWaveforms checks that ours and theirs (SpanDSP's) carry the same
// symbols. SpanDSP's transmitter runs on in silence to the end of its last
// 160-sample block, and so may stop a few samples before or after ours.
func compareWaveforms(t *testing.T, name string, ours, theirs []int16) {
	t.Helper()
	n := min(len(ours), len(theirs))
	if len(ours)-n >= 160 || len(theirs)-n >= 160 {
		t.Errorf("%s: %d samples, SpanDSP %d", name, len(ours), len(theirs))
		return
	}
	for i, v := range append(ours[n:], theirs[n:]...) {
		if v != 0 {
			t.Errorf("%s: sample %d past the shorter signal's end is %d, not silence", name, n+i, v)
			break
		}
	}
	const w = 40
	worst, at := 1.0, 0
	var po, pt float64
	for off := 0; off+w <= n; off += w {
		var xy, xx, yy float64
		for i := off; i < off+w; i++ {
			x, y := float64(ours[i]), float64(theirs[i])
			xy, xx, yy = xy+x*y, xx+x*x, yy+y*y
		}
		po, pt = po+xx, pt+yy
		if xx+yy > 1e4 {
			if c := xy / math.Sqrt(xx*yy); c < worst {
				worst, at = c, off
			}
		}
	}
	gain := 10 * math.Log10(po/pt)
	t.Logf("%s: worst window correlation %.6f (sample %d), level ours-SpanDSP %+.2f dB", name, worst, at, gain)
	if worst < 0.9999 {
		t.Errorf("%s: window at sample %d correlates %.5f with SpanDSP's", name, at, worst)
	}
	if math.Abs(gain) > 0.2 {
		t.Errorf("%s: level differs from SpanDSP's by %.2f dB", name, gain)
	}
}

func BenchmarkTransmitter(b *testing.B) {
	for _, rate := range rates {
		b.Run(fmt.Sprint(rate), func(b *testing.B) {
			src := dsp.BitSourceFunc(func() int { return 1 })
			tx, _ := NewTransmitter(rate, src)
			buf := make([]int16, 160)
			// Past the training, into the data.
			for range symbolStart(trainLen(false)) / len(buf) {
				tx.Process(buf)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				tx.Process(buf)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(buf)), "ns/sample")
		})
	}
}

// coldChannels is how many transmitters BenchmarkTransmitterCold runs in
// turn: enough that their states (and their output blocks) do not stay in
// a core's L2 between one's steps, as in a media server.
const coldChannels = 2000

// randomBitsSource gives pseudo-random bits (xorshift64), one or a
// symbol's at a time, and never runs dry.
type randomBitsSource struct{ x uint64 }

func (s *randomBitsSource) next() uint64 {
	s.x ^= s.x << 13
	s.x ^= s.x >> 7
	s.x ^= s.x << 17
	return s.x
}

func (s *randomBitsSource) GetBit() int { return int(s.next() & 1) }

func (s *randomBitsSource) GetBits(n int) (uint32, int) {
	return uint32(s.next()) & (1<<n - 1), n
}

// BenchmarkTransmitterCold runs coldChannels transmitters round-robin, 160
// samples (a 20 ms step) each in turn, every one with its own source and
// output block, as the media server does: the state a step touches, and
// the shared tables, have gone cold since that transmitter's last step.
// One op is one step; ns/sample is per sample of one channel.
func BenchmarkTransmitterCold(b *testing.B) {
	for _, rate := range rates {
		b.Run(fmt.Sprint(rate), func(b *testing.B) {
			type channel struct {
				tx  *Transmitter
				out []int16
			}
			chans := make([]channel, coldChannels)
			for i := range chans {
				tx, err := NewTransmitter(rate, &randomBitsSource{x: uint64(i)*0x9E3779B97F4A7C15 + 1})
				if err != nil {
					b.Fatal(err)
				}
				// The short train, run through: the data from here on.
				tx.SetShortTrain(true)
				out := make([]int16, 160)
				for range symbolStart(trainLen(true))/len(out) + 1 {
					tx.Process(out)
				}
				chans[i] = channel{tx, out}
			}
			b.ReportAllocs()
			b.ResetTimer()
			k := 0
			for range b.N {
				c := &chans[k]
				if c.tx.Process(c.out) != len(c.out) {
					b.Fatal("transmitter stopped")
				}
				if k++; k == len(chans) {
					k = 0
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*160), "ns/sample")
		})
	}
}

var _ dsp.Transmitter = (*Transmitter)(nil)

// bitsSource gives bits from a slice, one or several a call, then
// EndOfData.
type bitsSource struct {
	bits []uint8
	i    int
}

func (s *bitsSource) GetBit() int {
	if s.i == len(s.bits) {
		return dsp.EndOfData
	}
	s.i++
	return int(s.bits[s.i-1])
}

func (s *bitsSource) GetBits(n int) (b uint32, k int) {
	for ; k < n && s.i < len(s.bits); k++ {
		b = b<<1 | uint32(s.bits[s.i])
		s.i++
	}
	return b, k
}

// onlyBit hides GetBits.
type onlyBit struct{ s *bitsSource }

func (o onlyBit) GetBit() int { return o.s.GetBit() }

// TestGetBitsSameAsGetBit: a transmitter whose source gives a symbol's
// bits at once sends the same samples as one that takes them one by one,
// with the data ending in the middle of a symbol or on its edge.
func TestGetBitsSameAsGetBit(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, rate := range []int{14400, 12000, 9600, 7200} {
		for _, n := range []int{5000, 5001, 5004, 6 * 900} {
			bits := make([]uint8, n)
			for i := range bits {
				bits[i] = uint8(rng.Uint32() & 1)
			}
			a, _ := NewTransmitter(rate, &bitsSource{bits: bits})
			b, _ := NewTransmitter(rate, onlyBit{&bitsSource{bits: bits}})
			var ends [2]int
			a.SetStatusHandler(func(s dsp.Status) {
				if s == dsp.StatusEndOfData {
					ends[0]++
				}
			})
			b.SetStatusHandler(func(s dsp.Status) {
				if s == dsp.StatusEndOfData {
					ends[1]++
				}
			})
			oa, ob := make([]int16, 160), make([]int16, 160)
			for blk := 0; ; blk++ {
				na, nb := a.Process(oa), b.Process(ob)
				if na != nb || !slices.Equal(oa[:na], ob[:nb]) {
					t.Fatalf("%d bit/s, %d bits: block %d differs", rate, n, blk)
				}
				if na == 0 {
					break
				}
			}
			if ends != [2]int{1, 1} {
				t.Errorf("%d bit/s, %d bits: end of data told %v times", rate, n, ends)
			}
		}
	}
}
