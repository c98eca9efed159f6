package sim_test

import (
	"bytes"
	"testing"

	"github.com/faxd/faxd/dsp/line"
	"github.com/faxd/faxd/hal"
	"github.com/faxd/faxd/hal/sim"
	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/terminal"
)

// end is one side of a fax call on a channel: the channel's events
// drive it, the terminal runs on its audio.
type end struct {
	ch     hal.Channel
	cfg    t30.Config
	term   *terminal.Terminal
	in     []int16
	out    []int16
	hungUp bool // this end went on hook after the call
	events []string
}

// step handles events and runs one 20 ms frame of the terminal.
func (e *end) step(t *testing.T) {
	for {
		ev, ok := e.ch.Event()
		if !ok {
			break
		}
		e.events = append(e.events, ev.String())
		switch ev.Kind {
		case hal.EventRing:
			if e.term == nil {
				if err := e.ch.Answer(); err != nil {
					t.Fatal(err)
				}
				e.start(t)
			}
		case hal.EventAnswer:
			e.start(t)
		case hal.EventHangup, hal.EventBusy, hal.EventNoAnswer, hal.EventUnreachable, hal.EventAlarm:
			if err := e.ch.Hangup(); err != nil {
				t.Fatal(err)
			}
			e.hungUp = true
		}
	}
	if e.term == nil || e.hungUp {
		return
	}
	if err := e.ch.ReadFrame(e.in); err != nil {
		t.Fatal(err)
	}
	e.term.Process(e.in, e.out)
	if err := e.ch.WriteFrame(e.out); err != nil {
		t.Fatal(err)
	}
}

func (e *end) start(t *testing.T) {
	var err error
	if e.term, err = terminal.New(e.cfg, terminal.Options{}); err != nil {
		t.Fatal(err)
	}
	e.in = make([]int16, hal.FrameSamples)
	e.out = make([]int16, hal.FrameSamples)
}

// TestFax sends a page of text from one sim channel to another, through
// the network and its line model, with the soft fax terminal at both ends.
func TestFax(t *testing.T) {
	pages, err := document.RenderText([]byte("faxd: a fax across the simulated telephone network.\n\nThe quick brown fox jumps over the lazy dog.\n"), &document.Options{PageLength: 100, Header: "faxd sim test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 1 {
		t.Fatalf("%d pages", len(pages))
	}
	for _, c := range []struct {
		name string
		net  sim.Config
		tune func(*t30.Config)
	}{
		{"perfect line", sim.Config{}, nil},
		{"noisy mu-law line, V.17 ECM", sim.Config{
			Line:            line.Config{AttenuationDB: 8, NoiseDBm0: -55, FreqOffsetHz: 3, ClockOffsetPPM: 40, Law: line.ULaw, Seed: 5},
			EchoReturnDB:    -30,
			EchoReturnDelay: 64,
			SetupTicks:      25,
		}, func(c *t30.Config) { c.ECM = true }},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := sim.New(c.net)
			ca, _ := n.NewChannel("+15550100")
			cb, _ := n.NewChannel("+15550199")
			sink := &t30.MemorySink{}
			a := &end{ch: ca, cfg: t30.Config{Caller: true, Source: &t30.MemorySource{Pages: pages}, Ident: "+1 555 0100"}}
			b := &end{ch: cb, cfg: t30.Config{Sink: sink, Ident: "+1 555 0199"}}
			if c.tune != nil {
				c.tune(&a.cfg)
				c.tune(&b.cfg)
			}
			if err := ca.Dial("+15550199"); err != nil {
				t.Fatal(err)
			}
			ticks, linger := 0, 0
			for ; ticks < 3*60*50 && !(a.hungUp && b.hungUp); ticks++ {
				a.step(t)
				b.step(t)
				n.Tick()
				// The caller hangs up 200 ms after its call is over: the
				// last of its DCN is still on the line (the frame the
				// network holds, the line model's filters).
				if a.term != nil && a.term.Done() && !a.hungUp {
					if linger++; linger == 10 {
						if err := ca.Hangup(); err != nil {
							t.Fatal(err)
						}
						a.hungUp = true
					}
				}
			}
			if a.term == nil || b.term == nil || !a.term.Done() || !b.term.Done() {
				if r := a.term.Result(); r != nil {
					t.Logf("sender %v\n%s", r, t30.FormatTrace(r.Trace))
				}
				t.Fatalf("the call did not end in %d ticks: events %v / %v", ticks, a.events, b.events)
			}
			tx, rx := a.term.Result(), b.term.Result()
			if !tx.OK() || !rx.OK() {
				t.Fatalf("sender %v (%s), receiver %v (%s)\n%s\nreceiver:\n%s", tx.Code, tx.Cause, rx.Code, rx.Cause, t30.FormatTrace(tx.Trace), t30.FormatTrace(rx.Trace))
			}
			if len(sink.Pages) != 1 {
				t.Fatalf("%d pages received", len(sink.Pages))
			}
			p, q := pages[0], sink.Pages[0]
			if p.Width != q.Width || p.Rows != q.Rows || !bytes.Equal(p.Pix, q.Pix) {
				t.Errorf("the page differs (bad rows %d)", rx.BadRows)
			}
			if n.Calls() != 0 || ca.Hook() != hal.OnHook || cb.Hook() != hal.OnHook {
				t.Errorf("after the call: %d calls, hooks %v %v", n.Calls(), ca.Hook(), cb.Hook())
			}
			t.Logf("%s %d bit/s, ECM %v, %v; %d ticks (%.1f s); events caller %v, callee %v",
				tx.Modem, tx.BitRate, tx.ECM, tx.Coding, ticks, float64(ticks)/50, a.events, b.events)
		})
	}
}
