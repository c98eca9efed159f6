package sim_test

import (
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/faxd/faxd/hal"
	"github.com/faxd/faxd/hal/sim"
)

// numbered fills f with the frame number k+1: what arrives tells which
// frame it was, and a torn frame is not uniform.
func numbered(f []int16, k int) {
	for i := range f {
		f[i] = int16(k + 1)
	}
}

// frameNumber returns the number a received frame carries, 0 for silence,
// -1 for a frame that is not uniform.
func frameNumber(f []int16) int {
	for _, s := range f[1:] {
		if s != f[0] {
			return -1
		}
	}
	return int(f[0])
}

// owner is one end run by hand: each step it writes its next numbered
// frame and reads one.
type owner struct {
	ch    *sim.Channel
	next  int
	heard []int
	buf   []int16
}

func (o *owner) step(t *testing.T) {
	numbered(o.buf, o.next)
	o.next++
	if err := o.ch.WriteFrame(o.buf); err != nil {
		t.Fatal(err)
	}
	if err := o.ch.ReadFrame(o.buf); err != nil {
		t.Fatal(err)
	}
	o.heard = append(o.heard, frameNumber(o.buf))
}

// TestSlack: with slack, each end's frames arrive whole, in order, after
// 2×Jitter frames of silence, and with the owners and the network's tick
// in a different order every period (each up to a period early or late)
// none is lost. Without slack (lockstep) the same orders lose frames.
func TestSlack(t *testing.T) {
	for _, c := range []struct {
		name     string
		cfg      sim.Config
		shuffled bool
		wantGaps bool
	}{
		{"slack 2, in order", sim.Config{}, false, false},
		{"slack 1, shuffled", sim.Config{Jitter: 1}, true, false},
		{"slack 2, shuffled", sim.Config{}, true, false},
		{"lockstep, shuffled", sim.Config{Lockstep: true}, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := sim.New(c.cfg)
			ca, _ := n.NewChannel("100")
			cb, _ := n.NewChannel("200")
			connect(t, n, ca, cb, nil)
			a := &owner{ch: ca, buf: make([]int16, hal.FrameSamples)}
			b := &owner{ch: cb, buf: make([]int16, hal.FrameSamples)}
			rng := rand.New(rand.NewPCG(1, 2))
			const periods = 500
			for range periods {
				steps := []func(){func() { a.step(t) }, func() { b.step(t) }, n.Tick}
				if c.shuffled {
					rng.Shuffle(len(steps), func(i, j int) { steps[i], steps[j] = steps[j], steps[i] })
				}
				for _, s := range steps {
					s()
				}
			}
			jitter := c.cfg.Jitter
			if jitter == 0 && !c.cfg.Lockstep {
				jitter = sim.DefaultJitter
			}
			for _, o := range []*owner{a, b} {
				gaps, first := 0, -1
				for i, k := range o.heard {
					switch {
					case k < 0:
						t.Fatalf("%s: torn frame at %d", o.ch.Number(), i)
					case k == 0 && first >= 0:
						gaps++
					case k > 0 && first < 0:
						first = i
						if k != 1 {
							t.Errorf("%s: the first frame heard is frame %d", o.ch.Number(), k)
						}
					case k > 0 && k != o.heard[i-1]+1 && o.heard[i-1] != 0:
						gaps++
					}
				}
				st := o.ch.FrameStats()
				if c.wantGaps {
					if gaps == 0 || st.Missed+st.Underruns == 0 {
						t.Errorf("%s: no gaps without slack: the test cannot tell", o.ch.Number())
					}
					continue
				}
				if gaps != 0 || st != (sim.FrameStats{}) {
					t.Errorf("%s: %d gaps, %+v", o.ch.Number(), gaps, st)
				}
				// The delay: 2×jitter frames of gathering, one more as the
				// owners read before the tick that carries their frames,
				// and up to one more for each boundary whose order varies.
				if maxDelay := 2*jitter + 2; first > maxDelay || (!c.shuffled && first != 2*jitter+1) {
					t.Errorf("%s: first frame heard after %d frames, slack %d", o.ch.Number(), first, jitter)
				}
				if o.heard[len(o.heard)-1] < periods-2*jitter-2 {
					t.Errorf("%s: the last frame heard is %d of %d", o.ch.Number(), o.heard[len(o.heard)-1], periods)
				}
			}
		})
	}
}

// TestBufferLimits: an owner that stops reading loses frames at the full
// receive buffer (counted); one that reads too fast runs dry (counted) and
// gathers the slack again; writes with no Tick fill the transmit buffer
// (counted); a hang-up drops what the far end has not read yet.
func TestBufferLimits(t *testing.T) {
	n := sim.New(sim.Config{})
	ca, _ := n.NewChannel("100")
	cb, _ := n.NewChannel("200")
	connect(t, n, ca, cb, nil)
	buf := make([]int16, hal.FrameSamples)
	k := 0
	writeTick := func() {
		numbered(buf, k)
		k++
		if err := ca.WriteFrame(buf); err != nil {
			t.Fatal(err)
		}
		n.Tick()
	}
	// b reads nothing for 40 ticks: 2 of them silence while a's frames
	// gather, then its buffer fills and the rest are lost.
	const full = sim.BufferFrames
	for range 40 {
		writeTick()
	}
	if st := cb.FrameStats(); st.Overruns != 40-full {
		t.Errorf("overruns %d, want %d", st.Overruns, 40-full)
	}
	// b now reads the oldest frames kept: the gathering silence, then a's
	// first frames.
	var got []int
	for range full {
		cb.ReadFrame(buf)
		got = append(got, frameNumber(buf))
	}
	want := []int{0, 0}
	for k := 1; len(want) < full; k++ {
		want = append(want, k)
	}
	if fmtInts(got) != fmtInts(want) {
		t.Errorf("heard %s, want %s", fmtInts(got), fmtInts(want))
	}
	// Dry: b reads faster than frames come (one underrun), then gathers
	// Jitter+1 frames before it plays again.
	cb.ReadFrame(buf)
	if st := cb.FrameStats(); st.Underruns != 1 || frameNumber(buf) != 0 {
		t.Errorf("read from a dry buffer: %d, %+v", frameNumber(buf), st)
	}
	got = got[:0]
	for range 5 {
		writeTick()
		cb.ReadFrame(buf)
		got = append(got, frameNumber(buf))
	}
	if got[0] != 0 || got[1] != 0 || got[2] == 0 || got[3] != got[2]+1 {
		t.Errorf("after running dry heard %s: want two frames of silence, then frames in order", fmtInts(got))
	}
	if st := cb.FrameStats(); st.Underruns != 1 {
		t.Errorf("underruns %d while gathering", st.Underruns)
	}
	// a writes 20 frames with no Tick: its buffer holds 2 frames of slack
	// already, so full-2 more fit.
	for range 20 {
		ca.WriteFrame(buf)
	}
	if st := ca.FrameStats(); st.TxFull != 20-(full-2) {
		t.Errorf("transmit buffer full %d times, want %d", st.TxFull, 20-(full-2))
	}
	// b has frames queued; after a's hang-up it hears none of them.
	n.Tick()
	if err := ca.Hangup(); err != nil {
		t.Fatal(err)
	}
	cb.ReadFrame(buf)
	if frameNumber(buf) != 0 {
		t.Errorf("heard frame %d after the hang-up", frameNumber(buf))
	}
	// A new call starts clean: b hears the new call's first frame first.
	cb.Hangup()
	if e, _ := cb.Event(); e.Kind != hal.EventHangup {
		t.Errorf("callee got %v", e)
	}
	connect(t, n, ca, cb, nil)
	k = 1000
	for got = got[:0]; len(got) < 8; {
		writeTick()
		cb.ReadFrame(buf)
		if f := frameNumber(buf); f != 0 {
			got = append(got, f)
		}
	}
	if got[0] != 1001 {
		t.Errorf("the new call begins with frame %d", got[0])
	}
	if ca.Missed() != 0 {
		t.Errorf("missed %d", ca.Missed())
	}
}

func fmtInts(x []int) string {
	s := ""
	for i, v := range x {
		if i > 0 {
			s += " "
		}
		s += strconv.Itoa(v)
	}
	return s
}

// TestConcurrentAudio: the way the scheduler runs channels (run with
// -race): each channel's owner reads and writes its frames and handles its
// events from its own goroutine, while another goroutine ticks the
// network and calls come and go. Every frame heard is whole and frames
// from one call arrive in order.
func TestConcurrentAudio(t *testing.T) {
	net := sim.New(sim.Config{Jitter: 1})
	const pairs = 4
	var stop atomic.Bool
	var ticker sync.WaitGroup
	ticker.Go(func() {
		for !stop.Load() {
			net.Tick()
			runtime.Gosched()
		}
	})
	type result struct {
		frames, torn, disorder int
	}
	results := make([]result, 2*pairs)
	var wg sync.WaitGroup
	for p := range pairs {
		from, err := net.NewChannel(strconv.Itoa(100 + p))
		if err != nil {
			t.Fatal(err)
		}
		to, err := net.NewChannel(strconv.Itoa(200 + p))
		if err != nil {
			t.Fatal(err)
		}
		for side, ch := range []*sim.Channel{from, to} {
			wg.Go(func() {
				r := &results[2*p+side]
				buf := make([]int16, hal.FrameSamples)
				up, last, k := false, 0, 0
				var upAt uint64
				// Calls last, and the test runs, by the network's ticks
				// as well as by rounds: on a busy machine (two cores,
				// -race) the ticker may get few turns.
				for round := 0; round < 3000 || net.Ticks() < 1000; round++ {
					for {
						e, ok := ch.Event()
						if !ok {
							break
						}
						switch e.Kind {
						case hal.EventRing:
							ch.Answer()
							up, last, upAt = true, 0, net.Ticks()
						case hal.EventAnswer:
							up, last, upAt = true, 0, net.Ticks()
						case hal.EventHangup, hal.EventBusy, hal.EventNoAnswer, hal.EventUnreachable:
							ch.Hangup()
							up = false
						}
					}
					if side == 0 && !up && ch.Hook() == hal.OnHook {
						ch.Dial(to.Number())
					}
					if side == 0 && up && round%500 == 499 && net.Ticks() >= upAt+50 {
						ch.Hangup() // calls come and go
						up = false
					}
					numbered(buf, k%30000)
					k++
					if err := ch.WriteFrame(buf); err != nil {
						t.Error(err)
						return
					}
					if err := ch.ReadFrame(buf); err != nil {
						t.Error(err)
						return
					}
					switch f := frameNumber(buf); {
					case f < 0:
						r.torn++
					case f > 0:
						r.frames++
						if f <= last && up {
							r.disorder++
						}
						last = f
					}
					runtime.Gosched()
				}
				ch.Hangup()
			})
		}
	}
	wg.Wait()
	stop.Store(true)
	ticker.Wait()
	total := 0
	for i, r := range results {
		total += r.frames
		if r.torn != 0 || r.disorder != 0 {
			t.Errorf("channel %d: %d torn frames, %d out of order", i, r.torn, r.disorder)
		}
	}
	if total == 0 {
		t.Error("no audio crossed")
	}
	net.Tick()
	if net.Calls() != 0 {
		t.Errorf("%d calls left", net.Calls())
	}
	t.Logf("%d frames heard on %d channels in %d network ticks", total, 2*pairs, net.Ticks())
}
