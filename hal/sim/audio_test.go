package sim_test

import (
	"math"
	"slices"
	"testing"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/line"
	"github.com/faxd/faxd/hal"
	"github.com/faxd/faxd/hal/sim"
)

// connect places and answers a call from a to b.
func connect(t testing.TB, n *sim.Network, a, b *sim.Channel, cfg *line.Config) {
	t.Helper()
	var err error
	if cfg != nil {
		err = a.DialLine(b.Number(), *cfg)
	} else {
		err = a.Dial(b.Number())
	}
	if err != nil {
		t.Fatal(err)
	}
	n.Tick()
	if e, ok := b.Event(); !ok || e.Kind != hal.EventRing {
		t.Fatalf("callee got %v, %v", e, ok)
	}
	if err := b.Answer(); err != nil {
		t.Fatal(err)
	}
	if e, ok := a.Event(); !ok || e.Kind != hal.EventAnswer {
		t.Fatalf("caller got %v, %v", e, ok)
	}
}

// tone fills a frame with a sine at dBm0, phase continuing from sample at.
func tone(f []int16, hz, dBm0 float64, at int) {
	amp := dsp.RMSFromDBm0(dBm0) * math.Sqrt2
	for i := range f {
		f[i] = int16(amp * math.Sin(2*math.Pi*hz*float64(at+i)/hal.SampleRate))
	}
}

// exchange runs ticks ticks with a sending fromA and b sending fromB (nil:
// nothing written), and returns what each heard.
func exchange(t testing.TB, n *sim.Network, a, b *sim.Channel, ticks int, fromA, fromB func(f []int16, at int)) (heardA, heardB []int16) {
	t.Helper()
	buf := make([]int16, hal.FrameSamples)
	for k := range ticks {
		if fromA != nil {
			fromA(buf, k*hal.FrameSamples)
			if err := a.WriteFrame(buf); err != nil {
				t.Fatal(err)
			}
		}
		if fromB != nil {
			fromB(buf, k*hal.FrameSamples)
			if err := b.WriteFrame(buf); err != nil {
				t.Fatal(err)
			}
		}
		n.Tick()
		if err := a.ReadFrame(buf); err != nil {
			t.Fatal(err)
		}
		heardA = append(heardA, buf...)
		if err := b.ReadFrame(buf); err != nil {
			t.Fatal(err)
		}
		heardB = append(heardB, buf...)
	}
	return heardA, heardB
}

// through is what a line made from cfg gives for the frames src makes.
func through(cfg line.Config, ticks int, src func(f []int16, at int)) []int16 {
	l := line.New(cfg)
	in := make([]int16, hal.FrameSamples)
	out := make([]int16, hal.FrameSamples+8)
	var all []int16
	for k := range ticks {
		src(in, k*hal.FrameSamples)
		m := l.Process(out, in)
		all = append(all, out[:m]...)
	}
	return all
}

func TestAudioThroughLine(t *testing.T) {
	toneA := func(f []int16, at int) { tone(f, 1000, -10, at) }
	toneB := func(f []int16, at int) { tone(f, 1800, -13, at) }
	for _, c := range []struct {
		name string
		cfg  line.Config
		skip int // frames of silence while the line's filters fill
	}{
		{"perfect", line.Config{}, 0},
		{"loss, noise, mu-law", line.Config{AttenuationDB: 6, NoiseDBm0: -50, Law: line.ULaw, Seed: 7}, 0},
		{"offsets, echo, A-law", line.Config{AttenuationDB: 3, NoiseDBm0: -45, FreqOffsetHz: 7, EchoDelay: 100, EchoDB: -20, Law: line.ALaw, Seed: 9}, 0},
		{"clock +150 ppm", line.Config{ClockOffsetPPM: 150, NoiseDBm0: -55, Seed: 3}, 1},
		{"clock -150 ppm", line.Config{ClockOffsetPPM: -150, Seed: 3}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := sim.New(sim.Config{Lockstep: true})
			a, _ := n.NewChannel("100")
			b, _ := n.NewChannel("200")
			connect(t, n, a, b, &c.cfg)
			const ticks = 100
			heardA, heardB := exchange(t, n, a, b, ticks, toneA, toneB)
			// Each direction is exactly its own line: cfg one way, cfg
			// with the next seed the other way, after the frames the
			// filters held back.
			back := c.cfg
			back.Seed++
			for _, d := range []struct {
				name       string
				heard, ref []int16
			}{
				{"caller to callee", heardB, through(c.cfg, ticks, toneA)},
				{"callee to caller", heardA, through(back, ticks, toneB)},
			} {
				skip := c.skip * hal.FrameSamples
				if slices.ContainsFunc(d.heard[:skip], func(s int16) bool { return s != 0 }) {
					t.Errorf("%s: sound while the line fills", d.name)
				}
				got := d.heard[skip:]
				if len(d.ref) < len(got) || !slices.Equal(got, d.ref[:len(got)]) {
					t.Errorf("%s: not what the line model gives", d.name)
				}
			}
			// The level arrives attenuated (give or take the echo, which
			// adds to or takes from the tone by up to 0.9 dB).
			want := -10 - c.cfg.AttenuationDB
			if lv := level(heardB[len(heardB)/2:]); math.Abs(lv-want) > 1 {
				t.Errorf("level %.2f dBm0, want %.2f", lv, want)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	run := func(seed int64) (first, second []int16) {
		n := sim.New(sim.Config{Line: line.Config{NoiseDBm0: -40, Seed: seed}, Lockstep: true})
		a, _ := n.NewChannel("100")
		b, _ := n.NewChannel("200")
		c, _ := n.NewChannel("300")
		d, _ := n.NewChannel("400")
		connect(t, n, a, b, nil)
		connect(t, n, c, d, nil)
		_, first = exchange(t, n, a, b, 20, nil, nil)
		_, second = exchange(t, n, c, d, 20, nil, nil)
		return first, second
	}
	a1, b1 := run(1)
	a2, b2 := run(1)
	a3, _ := run(2)
	if !slices.Equal(a1, a2) || !slices.Equal(b1, b2) {
		t.Error("the same seed gave different noise")
	}
	if slices.Equal(a1, b1) {
		t.Error("two calls share their noise")
	}
	if slices.Equal(a1, a3) {
		t.Error("another seed gave the same noise")
	}
	if lv := level(a1); math.Abs(lv+40) > 1 {
		t.Errorf("noise at %.1f dBm0", lv)
	}
}

func TestHybridEcho(t *testing.T) {
	n := sim.New(sim.Config{EchoReturnDB: -12, EchoReturnDelay: 40, Lockstep: true})
	a, _ := n.NewChannel("100")
	b, _ := n.NewChannel("200")
	connect(t, n, a, b, nil)
	toneA := func(f []int16, at int) { tone(f, 1000, -10, at) }
	heardA, heardB := exchange(t, n, a, b, 50, toneA, nil)
	if lv := level(heardA[800:]); math.Abs(lv+22) > 0.5 {
		t.Errorf("echo at %.1f dBm0, want -22", lv)
	}
	if lv := level(heardB[800:]); math.Abs(lv+10) > 0.5 {
		t.Errorf("far end hears %.1f dBm0, want -10", lv)
	}
	// The echo is the caller's own signal 40 samples late.
	want := make([]int16, hal.FrameSamples)
	tone(want, 1000, -10, 1000-40)
	for i, s := range heardA[1000 : 1000+hal.FrameSamples] {
		if d := float64(s) - float64(want[i])*math.Pow(10, -12.0/20); math.Abs(d) > 1.5 {
			t.Fatalf("sample %d: %d, want %.1f", i, s, float64(want[i])*math.Pow(10, -12.0/20))
		}
	}
	if err := hal.SetEchoCancel(a, hal.EchoOn); err != nil {
		t.Fatal(err)
	}
	heardA, _ = exchange(t, n, a, b, 10, toneA, nil)
	if slices.ContainsFunc(heardA, func(s int16) bool { return s != 0 }) {
		t.Error("echo heard with the canceller on")
	}
}

// TestMissedFrames: an end that writes nothing sends silence and is
// counted.
func TestMissedFrames(t *testing.T) {
	n := sim.New(sim.Config{Lockstep: true})
	a, _ := n.NewChannel("100")
	b, _ := n.NewChannel("200")
	connect(t, n, a, b, nil)
	_, heardB := exchange(t, n, a, b, 5, nil, func(f []int16, at int) { tone(f, 500, -10, at) })
	if a.Missed() != 5 || b.Missed() != 0 {
		t.Errorf("missed %d and %d", a.Missed(), b.Missed())
	}
	if slices.ContainsFunc(heardB, func(s int16) bool { return s != 0 }) {
		t.Error("sound from an end that wrote nothing")
	}
	// After a hang-up the other end hears silence from the next tick.
	_, _ = exchange(t, n, a, b, 1, func(f []int16, at int) { tone(f, 500, -10, at) }, nil)
	if err := a.Hangup(); err != nil {
		t.Fatal(err)
	}
	_, heardB = exchange(t, n, a, b, 1, func(f []int16, at int) { tone(f, 500, -10, at) }, nil)
	if slices.ContainsFunc(heardB, func(s int16) bool { return s != 0 }) {
		t.Error("sound after the hang-up")
	}
}

// TestTxSlot: a frame made in the slot TxSlot lends arrives as a written
// one does; no slot while no call is up or the buffer is full.
func TestTxSlot(t *testing.T) {
	n := sim.New(sim.Config{Lockstep: true})
	a, _ := n.NewChannel("100")
	b, _ := n.NewChannel("200")
	var _ hal.FrameSlotter = a
	if a.TxSlot() != nil {
		t.Fatal("a slot with no call up")
	}
	connect(t, n, a, b, nil)
	want := make([]int16, hal.FrameSamples)
	got := make([]int16, hal.FrameSamples)
	for k := range 3 {
		s := a.TxSlot()
		if len(s) != hal.FrameSamples {
			t.Fatalf("slot of %d samples", len(s))
		}
		tone(s, 700, -10, k*hal.FrameSamples)
		tone(want, 700, -10, k*hal.FrameSamples)
		a.CommitTx()
		n.Tick()
		if err := b.ReadFrame(got); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("frame %d: heard something else", k)
		}
	}
	for range sim.BufferFrames {
		a.TxSlot()
		a.CommitTx()
	}
	if a.TxSlot() != nil {
		t.Error("a slot in a full buffer")
	}
	if st := a.FrameStats(); st.Missed != 0 || st.TxFull != 0 {
		t.Errorf("%+v", st)
	}
}
