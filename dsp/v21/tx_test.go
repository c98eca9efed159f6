package v21

import (
	"errors"
	"math"
	"testing"

	"github.com/faxd/faxd/dsp"
)

func TestChannelErrors(t *testing.T) {
	for _, ch := range []Channel{0, 3, -1} {
		if _, err := NewTransmitter(ch, nil); !errors.Is(err, ErrChannel) {
			t.Errorf("NewTransmitter(%d): err %v, want ErrChannel", ch, err)
		}
		if _, err := NewReceiver(ch, nil); !errors.Is(err, ErrChannel) {
			t.Errorf("NewReceiver(%d): err %v, want ErrChannel", ch, err)
		}
	}
}

// toneFrequency measures the frequency of a steady tone from the phase
// advance of its correlation with a nominal reference over the first and
// second halves of x.
func toneFrequency(x []int16, nominal float64) float64 {
	corr := func(x []int16, start int) complex128 {
		var c complex128
		for i, v := range x {
			w := 2 * math.Pi * nominal * float64(start+i) / dsp.SampleRate
			c += complex(float64(v)*math.Cos(w), -float64(v)*math.Sin(w))
		}
		return c
	}
	h := len(x) / 2
	a, b := corr(x[:h], 0), corr(x[h:2*h], h)
	d := b * complex(real(a), -imag(a))
	return nominal + math.Atan2(imag(d), real(d))*dsp.SampleRate/(2*math.Pi*float64(h))
}

func TestTransmitterFrequenciesAndLevel(t *testing.T) {
	for _, ch := range []Channel{Channel1, Channel2} {
		mark, space, _ := ch.Frequencies()
		for _, bit := range []byte{0, 1} {
			want := space
			if bit == 1 {
				want = mark
			}
			bits := make([]byte, 300) // 1 s
			for i := range bits {
				bits[i] = bit
			}
			for _, level := range []float64{-6, -13, -43} {
				a := modulate(t, ch, bits, level, 0, 0)
				if got := toneFrequency(a, want); math.Abs(got-want) > 0.05 {
					t.Errorf("%v bit %d: frequency %.3f Hz, want %v", ch, bit, got, want)
				}
				var p float64
				for _, v := range a {
					p += float64(v) * float64(v)
				}
				if got := dsp.DBm0FromPower(p / float64(len(a))); math.Abs(got-level) > 0.05 {
					t.Errorf("%v bit %d: level %.2f dBm0, want %v", ch, bit, got, level)
				}
			}
		}
	}
}

// TestTransmitterTiming checks the bit clock (26⅔ samples a bit, exactly
// 80 samples per 3 bits), that the last bit is sent whole, and the end of
// data: Process returns short, then 0, and the status handler hears end of
// data then shutdown complete, once.
func TestTransmitterTiming(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 299, 300, 3001} {
		var status []dsp.Status
		tx, err := NewTransmitter(Channel2, &sliceSource{bits: randomBits(n, 1)})
		if err != nil {
			t.Fatal(err)
		}
		tx.SetStatusHandler(func(s dsp.Status) { status = append(status, s) })
		total := 0
		buf := make([]int16, 77)
		for {
			k := tx.Process(buf)
			total += k
			if k < len(buf) {
				break
			}
		}
		if k := tx.Process(buf); k != 0 {
			t.Errorf("%d bits: Process after the end gave %d samples", n, k)
		}
		want := (n*dsp.SampleRate + BitRate - 1) / BitRate // the last bit's last sample
		if total != want {
			t.Errorf("%d bits: %d samples, want %d", n, total, want)
		}
		if len(status) != 2 || status[0] != dsp.StatusEndOfData || status[1] != dsp.StatusShutdownComplete {
			t.Errorf("%d bits: status %v", n, status)
		}
	}
}

// TestTransmitterPhaseContinuous checks there is no phase jump at bit
// boundaries: the signal's sample-to-sample change never exceeds what the
// higher tone's slope allows, and its spectrum beyond the V.21 band is low.
func TestTransmitterPhaseContinuous(t *testing.T) {
	for _, ch := range []Channel{Channel1, Channel2} {
		mark, space, _ := ch.Frequencies()
		level := -13.0
		a := modulate(t, ch, randomBits(3000, 2), level, 0, 0)
		peak := dsp.PeakFromDBm0(level)
		maxStep := peak * 2 * math.Sin(math.Pi*max(mark, space)/dsp.SampleRate)
		for i := 1; i < len(a); i++ {
			if d := math.Abs(float64(a[i]) - float64(a[i-1])); d > maxStep*1.01+1 {
				t.Fatalf("%v: step of %.0f at sample %d (max %.0f): phase jump", ch, d, i, maxStep)
			}
		}
		// Energy 400 Hz or more away from the channel's centre is small
		// (a phase-discontinuous FSK signal splatters far more).
		centre := (mark + space) / 2
		var in, out float64
		for f := 100.0; f < 3900; f += 50 {
			g := dsp.NewGoertzel(f, len(a))
			for _, v := range a {
				g.Update(float32(v))
			}
			if math.Abs(f-centre) >= 400 {
				out += float64(g.Power())
			} else {
				in += float64(g.Power())
			}
		}
		if r := 10 * math.Log10(out/in); r > -20 {
			t.Errorf("%v: out-of-band energy %.1f dB relative to in-band", ch, r)
		} else {
			t.Logf("%v: out-of-band (≥400 Hz from centre) energy %.1f dB", ch, r)
		}
	}
}

func TestTransmitterReset(t *testing.T) {
	src := &sliceSource{bits: randomBits(100, 3)}
	tx, _ := NewTransmitter(Channel1, src)
	buf := make([]int16, 4000)
	first := append([]int16(nil), buf[:tx.Process(buf)]...)
	src.pos = 0
	tx.Reset()
	second := buf[:tx.Process(buf)]
	if len(first) != len(second) {
		t.Fatalf("lengths %d and %d", len(first), len(second))
	}
	for i := range first {
		if first[i] != second[i] {
			t.Fatalf("sample %d differs after Reset", i)
		}
	}
	// A nil source sends nothing.
	tx, _ = NewTransmitter(Channel1, nil)
	if n := tx.Process(buf); n != 0 {
		t.Errorf("nil source: %d samples", n)
	}
}

func TestTransmitterNoAllocs(t *testing.T) {
	var rng uint32 = 1
	src := dsp.BitSourceFunc(func() int {
		rng = rng*1664525 + 1013904223
		return int(rng >> 31)
	})
	tx, _ := NewTransmitter(Channel2, src)
	buf := make([]int16, 160)
	if a := testing.AllocsPerRun(100, func() { tx.Process(buf) }); a != 0 {
		t.Errorf("Process: %v allocations", a)
	}
}

// TestTransmitterPurity: a steady tone (one bit value held) is a clean sine:
// what a least-squares sine fit leaves is more than 60 dB down.
func TestTransmitterPurity(t *testing.T) {
	for _, ch := range []Channel{Channel1, Channel2} {
		mark, _, _ := ch.Frequencies()
		bits := make([]byte, 300)
		for i := range bits {
			bits[i] = 1
		}
		a := modulate(t, ch, bits, -13, 0, 0)
		var cc, ss, cs, xc, xs, xx float64
		for i, v := range a {
			w := 2 * math.Pi * mark * float64(i) / dsp.SampleRate
			c, s, x := math.Cos(w), math.Sin(w), float64(v)
			cc, ss, cs = cc+c*c, ss+s*s, cs+c*s
			xc, xs, xx = xc+x*c, xs+x*s, xx+x*x
		}
		det := cc*ss - cs*cs
		fit := ((xc*ss-xs*cs)*xc + (xs*cc-xc*cs)*xs) / det
		if r := 10 * math.Log10((xx-fit)/fit); r > -60 {
			t.Errorf("%v: residual %.1f dBc", ch, r)
		}
	}
}

// TestSineShared: transmitters at one level share one sine table, a new
// level makes its own, and setting the level a transmitter already has
// keeps its table.
func TestSineShared(t *testing.T) {
	a, _ := NewTransmitter(Channel2, nil)
	b, _ := NewTransmitter(Channel1, nil)
	if a.sine != b.sine {
		t.Fatal("two transmitters at the default level have their own tables")
	}
	b.SetLevel(DefaultLevel - 3)
	if a.sine == b.sine {
		t.Fatal("a transmitter 3 dB down shares the default table")
	}
	if peak := func(s *[sineSize]int16) (m int16) {
		for _, v := range s {
			m = max(m, v)
		}
		return m
	}; math.Abs(float64(peak(a.sine))/float64(peak(b.sine))-math.Pow(10, 3.0/20)) > 0.01 {
		t.Errorf("peaks %d and %d are not 3 dB apart", peak(a.sine), peak(b.sine))
	}
	s := b.sine
	b.SetLevel(DefaultLevel - 3)
	if b.sine != s {
		t.Error("setting the same level made a new table")
	}
}
