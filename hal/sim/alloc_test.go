package sim_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/faxd/faxd/dsp/line"
	"github.com/faxd/faxd/hal"
	"github.com/faxd/faxd/hal/sim"
)

// calls sets up n calls that are up, between channels 1000+2i and
// 1000+2i+1, and returns all the channels.
func calls(tb testing.TB, net *sim.Network, n int) []*sim.Channel {
	tb.Helper()
	chans := make([]*sim.Channel, 0, 2*n)
	for i := range 2 * n {
		c, err := net.NewChannel(strconv.Itoa(1000 + i))
		if err != nil {
			tb.Fatal(err)
		}
		chans = append(chans, c)
	}
	for i := 0; i < len(chans); i += 2 {
		if err := chans[i].Dial(chans[i+1].Number()); err != nil {
			tb.Fatal(err)
		}
	}
	net.Tick()
	for i := 1; i < len(chans); i += 2 {
		if err := chans[i].Answer(); err != nil {
			tb.Fatal(err)
		}
	}
	for _, c := range chans {
		for {
			if _, ok := c.Event(); !ok {
				break
			}
		}
	}
	return chans
}

// tick is one 20 ms pass of a scheduler over the channels: events,
// read, write, then the network's tick.
func tick(net *sim.Network, chans []*sim.Channel, buf []int16) {
	for _, c := range chans {
		c.Event()
		c.ReadFrame(buf)
		c.WriteFrame(buf)
	}
	net.Tick()
}

var impaired = sim.Config{
	Line:            line.Config{AttenuationDB: 6, NoiseDBm0: -50, FreqOffsetHz: 5, ClockOffsetPPM: 80, EchoDelay: 40, EchoDB: -25, Law: line.ALaw},
	EchoReturnDB:    -20,
	EchoReturnDelay: 100,
}

func TestNoAllocs(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  sim.Config
	}{{"perfect", sim.Config{}}, {"impaired", impaired}} {
		t.Run(c.name, func(t *testing.T) {
			net := sim.New(c.cfg)
			chans := calls(t, net, 20)
			// Ringing and idle channels too.
			idle, _ := net.NewChannel("1")
			ringing, _ := net.NewChannel("2")
			if err := idle.Dial("2"); err != nil {
				t.Fatal(err)
			}
			chans = append(chans, idle, ringing)
			buf := make([]int16, hal.FrameSamples)
			for i := range buf {
				buf[i] = int16(i * 97)
			}
			tick(net, chans, buf)
			if n := testing.AllocsPerRun(200, func() { tick(net, chans, buf) }); n != 0 {
				t.Errorf("%v allocations per tick", n)
			}
		})
	}
}

// BenchmarkTick is the network's cost for 1000 calls (2000 channels) that
// are up: per op, every channel reads and writes a frame and polls for an
// event, and the network ticks once (20 ms of audio for every call).
// tick-ns is Network.Tick alone.
func BenchmarkTick(b *testing.B) {
	for _, c := range []struct {
		name string
		cfg  sim.Config
	}{{"transparent", sim.Config{}}, {"noise", sim.Config{Line: line.Config{NoiseDBm0: -50, Law: line.ULaw}}}, {"impaired", impaired}} {
		b.Run(c.name, func(b *testing.B) {
			net := sim.New(c.cfg)
			chans := calls(b, net, 1000)
			buf := make([]int16, hal.FrameSamples)
			var inTick time.Duration
			b.ReportAllocs()
			for b.Loop() {
				for _, c := range chans {
					c.Event()
					c.ReadFrame(buf)
					c.WriteFrame(buf)
				}
				t0 := time.Now()
				net.Tick()
				inTick += time.Since(t0)
			}
			perTick := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(perTick/1000, "ns/call-tick")
			b.ReportMetric(perTick/20e6*100, "%-of-20ms")
			b.ReportMetric(float64(inTick.Nanoseconds())/float64(b.N), "tick-ns")
		})
	}
}

// BenchmarkLineFrame is one direction of one call for one frame: the line
// model with every impairment zero (which still scales and saturates each
// sample), against the copy the network makes for such a line instead.
func BenchmarkLineFrame(b *testing.B) {
	in := make([]int16, hal.FrameSamples)
	tone(in, 1000, -10, 0)
	out := make([]int16, hal.FrameSamples+8)
	b.Run("line-model-zero", func(b *testing.B) {
		l := line.New(line.Config{})
		for b.Loop() {
			l.Process(out, in)
		}
	})
	b.Run("copy", func(b *testing.B) {
		for b.Loop() {
			copy(out, in)
		}
	})
}

func TestTransparent(t *testing.T) {
	for _, c := range []struct {
		cfg  line.Config
		want bool
	}{
		{line.Config{}, true},
		{line.Config{Seed: 9, EchoDB: -20}, true}, // an echo level without a delay is no echo
		{line.Config{AttenuationDB: 1}, false},
		{line.Config{NoiseDBm0: -60}, false},
		{line.Config{FreqOffsetHz: 1}, false},
		{line.Config{ClockOffsetPPM: 1}, false},
		{line.Config{EchoDelay: 8, EchoDB: -30}, false},
		{line.Config{Law: line.ALaw}, false},
	} {
		if got := sim.Transparent(c.cfg); got != c.want {
			t.Errorf("%+v: %v", c.cfg, got)
		}
		// What Transparent calls transparent is: the line model gives back
		// what goes in.
		if c.want {
			in := make([]int16, hal.FrameSamples)
			tone(in, 1700, -3, 0)
			out := make([]int16, hal.FrameSamples+8)
			if n := line.New(c.cfg).Process(out, in); n != len(in) || !slices.Equal(out[:n], in) {
				t.Errorf("%+v: the line model changes the signal", c.cfg)
			}
		}
	}
}

// TestCallsReused: the network reuses ended calls, so a server's steady
// stream of calls (dial, answer, audio, hang up) allocates nothing once
// one call has ended; and a call on a reused one hears nothing of the
// last call's audio (its legs' buffers and hybrid echo are cleared).
func TestCallsReused(t *testing.T) {
	net := sim.New(sim.Config{EchoReturnDB: -6, EchoReturnDelay: 100})
	a, _ := net.NewChannel("100")
	b, _ := net.NewChannel("101")
	loud, quiet, in := make([]int16, hal.FrameSamples), make([]int16, hal.FrameSamples), make([]int16, hal.FrameSamples)
	for i := range loud {
		loud[i] = int16(8000 - 100*(i%160))
	}
	heard := false
	call := func(out []int16) {
		if err := a.Dial("101"); err != nil {
			t.Fatal(err)
		}
		net.Tick()
		if err := b.Answer(); err != nil {
			t.Fatal(err)
		}
		for range 10 {
			for _, c := range []*sim.Channel{a, b} {
				c.Event()
				c.ReadFrame(in)
				for _, s := range in {
					heard = heard || s != 0
				}
				c.WriteFrame(out)
			}
			net.Tick()
		}
		a.Hangup()
		b.Hangup()
		for _, c := range []*sim.Channel{a, b} {
			for {
				if _, ok := c.Event(); !ok {
					break
				}
			}
		}
	}
	call(loud)
	if !heard {
		t.Fatal("a loud call was not heard")
	}
	heard = false
	call(quiet)
	if heard {
		t.Error("a quiet call on a reused one heard the last call's audio")
	}
	if n := testing.AllocsPerRun(20, func() { call(quiet) }); n != 0 {
		t.Errorf("a call: %v allocations, want 0", n)
	}
}
