package sim_test

import (
	"strconv"
	"sync"
	"testing"

	"github.com/faxd/faxd/hal"
	"github.com/faxd/faxd/hal/sim"
)

// TestConcurrentControl: call control from many goroutines while another
// ticks the network (run with -race). Each goroutine owns its channels.
func TestConcurrentControl(t *testing.T) {
	net := sim.New(sim.Config{RingTicks: 2, NoAnswerTicks: 6})
	const workers, per = 8, 10
	var chans [workers][]*sim.Channel
	for w := range workers {
		for i := range per {
			c, err := net.NewChannel(strconv.Itoa(100*(w+1) + i))
			if err != nil {
				t.Fatal(err)
			}
			chans[w] = append(chans[w], c)
		}
	}
	stop := make(chan struct{})
	var ticker sync.WaitGroup
	ticker.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				net.Tick()
			}
		}
	})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for round := range 300 {
				for i, c := range chans[w] {
					for {
						e, ok := c.Event()
						if !ok {
							break
						}
						switch e.Kind {
						case hal.EventRing:
							c.Answer()
						case hal.EventHangup, hal.EventBusy, hal.EventNoAnswer, hal.EventUnreachable:
							c.Hangup()
						}
					}
					switch (round + i) % 7 {
					case 0:
						c.Dial(strconv.Itoa(100*((w+round)%workers+1) + (i+round)%per))
					case 5:
						c.Hangup()
					}
					_ = c.Hook()
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	ticker.Wait()
	for _, cs := range chans {
		for _, c := range cs {
			c.Hangup()
		}
	}
	net.Tick()
	if n := net.Calls(); n != 0 {
		t.Errorf("%d calls left after every channel hung up", n)
	}
}
