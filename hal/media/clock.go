package media

import (
	"sync/atomic"
	"time"
)

// A Ticker is a driver whose network moves only when ticked, once every
// 20 ms of audio: *sim.Network. A real card keeps its own time and has no
// Tick.
type Ticker interface{ Tick() }

// A Clock paces a Ticker: Run calls tick once a period until stop is
// closed, then returns.
type Clock interface {
	Run(stop <-chan struct{}, period time.Duration, tick func())
}

// WallClock is the default Clock: it ticks on the wall clock, on a grid
// that starts half a period after Run (so the network moves between the
// scheduler's passes, whose grid starts at Start). A tick that comes late
// runs at once, so the network keeps pace with the scheduler; when it
// falls more than CatchUp periods behind (the machine stalled) it skips
// the missed ticks and counts them, as the scheduler does with the same
// setting (the server's default clock takes sched.Config.CatchUp).
type WallClock struct {
	CatchUp int // 0 means 1
	skipped atomic.Uint64
}

// Skipped returns how many ticks were skipped so far.
func (w *WallClock) Skipped() uint64 { return w.skipped.Load() }

// Run implements Clock.
func (w *WallClock) Run(stop <-chan struct{}, period time.Duration, tick func()) {
	next := time.Now().Add(period / 2)
	timer := time.NewTimer(time.Until(next))
	defer timer.Stop()
	for {
		if d := time.Until(next); d > 0 {
			timer.Reset(d)
			select {
			case <-stop:
				return
			case <-timer.C:
			}
		} else {
			select {
			case <-stop:
				return
			default:
			}
		}
		tick()
		next = next.Add(period)
		if behind := -time.Until(next); behind > time.Duration(max(w.CatchUp, 1))*period {
			skipped := behind / period
			w.skipped.Add(uint64(skipped))
			next = next.Add(skipped * period)
		}
	}
}
