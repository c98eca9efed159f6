package sim_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/faxd/faxd/hal"
	"github.com/faxd/faxd/hal/sim"
)

// A flow is a script, one step a line:
//
//	tick [n]            run the network n ticks (1)
//	A dial 200          channel A dials 200 (also answer, hangup, close,
//	A answer            alarm on, alarm off, open); a trailing !state,
//	A answer !state     !alarm, !closed or !number expects the error
//	A ? ring answer     A's events since the last look are exactly these
//	A ? -               A has no events
//	A hook off          A's hook state
//
// Channels A, B and C have numbers 100, 200 and 300.
var flows = []struct {
	name   string
	cfg    sim.Config
	script string
}{
	{"answer, caller hangs up", sim.Config{}, `
		A dial 200
		A hook off
		A ? -
		B ? -
		tick
		B ? ring(1)
		A ? -
		B answer
		A ? answer
		B hook off
		tick 10
		A ? -
		B ? -
		A hangup
		A hook on
		B ? hangup
		B hook off
		B hangup
		B hook on
		A ? -`},
	{"callee hangs up", sim.Config{}, `
		A dial 200
		tick
		B ? ring(1)
		B answer
		A ? answer
		tick
		B hangup
		A ? hangup
		B ? -
		A hook off
		A dial 300
		A dial 200 !state
		tick
		C ? ring(1)`},
	{"busy: callee dialling", sim.Config{}, `
		A dial 200
		B dial 300
		tick
		A ? busy
		B ? -
		C ? ring(1)
		A hook off
		A hangup
		A hook on`},
	{"busy: callee off hook after the far end hung up", sim.Config{}, `
		A dial 200
		tick
		B answer
		A hangup
		B ? ring(1) hangup
		C dial 200
		tick
		C ? busy
		C hangup
		B hangup
		C dial 200
		tick
		B ? ring(1)`},
	{"busy: calling oneself", sim.Config{}, `
		A dial 100
		tick
		A ? busy`},
	{"no answer", sim.Config{RingTicks: 4, NoAnswerTicks: 10}, `
		A dial 200
		tick
		B ? ring(1)
		tick 3
		B ? -
		tick
		B ? ring(2)
		tick 4
		B ? ring(3)
		tick
		A ? -
		tick
		A ? no-answer
		B ? hangup
		B answer !state
		A hook off`},
	{"caller gives up while it rings", sim.Config{}, `
		A dial 200
		tick
		A hangup
		B ? ring(1) hangup
		B answer !state
		tick
		B ? -`},
	{"unreachable", sim.Config{}, `
		A dial 999
		tick
		A ? unreachable
		A dial 12a !number`},
	{"setup time", sim.Config{SetupTicks: 2}, `
		A dial 200
		tick 2
		B ? -
		tick
		B ? ring(1)`},
	{"answer with nothing ringing", sim.Config{}, `
		B answer !state
		B hook on`},
	{"alarm drops the call", sim.Config{}, `
		A dial 200
		tick
		B answer
		tick
		B alarm on
		B ? ring(1) alarm(1)
		A ? answer hangup
		B dial 300 !alarm
		A hangup
		A dial 200
		tick
		A ? unreachable
		A hangup
		B alarm off
		B ? alarm-clear
		B hangup
		A dial 200
		tick
		B ? ring(1)`},
	{"close frees the number", sim.Config{}, `
		A dial 200
		tick
		B answer
		B close
		A ? answer hangup
		B dial 100 !closed
		B hangup !closed
		A hangup
		A dial 200
		tick
		A ? unreachable
		A hangup
		B open
		A dial 200
		tick
		B ? ring(1)`},
}

func TestCallFlows(t *testing.T) {
	for _, f := range flows {
		t.Run(f.name, func(t *testing.T) {
			n := sim.New(f.cfg)
			chans := map[string]*sim.Channel{}
			numbers := map[string]string{"A": "100", "B": "200", "C": "300"}
			for name, num := range numbers {
				c, err := n.NewChannel(num)
				if err != nil {
					t.Fatal(err)
				}
				chans[name] = c
			}
			for i, line := range strings.Split(strings.TrimSpace(f.script), "\n") {
				fields := strings.Fields(line)
				if len(fields) == 0 {
					continue
				}
				where := "step " + strconv.Itoa(i+1) + " (" + strings.TrimSpace(line) + ")"
				if fields[0] == "tick" {
					k := 1
					if len(fields) > 1 {
						k, _ = strconv.Atoi(fields[1])
					}
					for range k {
						n.Tick()
					}
					continue
				}
				c := chans[fields[0]]
				if c == nil || len(fields) < 2 {
					t.Fatalf("%s: bad step", where)
				}
				args := fields[2:]
				var want error
				if len(args) > 0 && strings.HasPrefix(args[len(args)-1], "!") {
					want = map[string]error{"!state": hal.ErrState, "!alarm": hal.ErrAlarm, "!closed": hal.ErrClosed, "!number": hal.ErrInvalidNumber}[args[len(args)-1]]
					args = args[:len(args)-1]
				}
				var err error
				switch fields[1] {
				case "?":
					var got []string
					for {
						e, ok := c.Event()
						if !ok {
							break
						}
						got = append(got, e.String())
					}
					if len(args) == 1 && args[0] == "-" {
						args = nil
					}
					if strings.Join(got, " ") != strings.Join(args, " ") {
						t.Fatalf("%s: events %q", where, got)
					}
					continue
				case "hook":
					if got := c.Hook().String(); got != args[0]+"-hook" {
						t.Fatalf("%s: %s", where, got)
					}
					continue
				case "dial":
					err = c.Dial(args[0])
				case "answer":
					err = c.Answer()
				case "hangup":
					err = c.Hangup()
				case "close":
					err = c.Close()
				case "alarm":
					c.SetAlarm(args[0] == "on")
				case "open":
					chans[fields[0]], err = n.NewChannel(numbers[fields[0]])
				default:
					t.Fatalf("%s: unknown step", where)
				}
				switch {
				case want == nil && err != nil:
					t.Fatalf("%s: %v", where, err)
				case want != nil && !errors.Is(err, want):
					t.Fatalf("%s: error %v, want %v", where, err, want)
				case want == hal.ErrAlarm || want == hal.ErrClosed:
					var ce *hal.ChannelError
					if !errors.As(err, &ce) || ce.Channel != numbers[fields[0]] {
						t.Fatalf("%s: %v is not a *hal.ChannelError for the channel", where, err)
					}
				}
			}
		})
	}
}

func TestChannelErrors(t *testing.T) {
	n := sim.New(sim.Config{})
	a, _ := n.NewChannel("100")
	if _, err := n.NewChannel("100"); !errors.Is(err, hal.ErrInUse) {
		t.Errorf("second registration: %v", err)
	}
	if _, err := n.NewChannel("abc"); !errors.Is(err, hal.ErrInvalidNumber) {
		t.Errorf("bad number: %v", err)
	}
	if err := a.ReadFrame(make([]int16, 80)); !errors.Is(err, hal.ErrFrameSize) {
		t.Errorf("short read: %v", err)
	}
	if err := a.WriteFrame(make([]int16, 320)); !errors.Is(err, hal.ErrFrameSize) {
		t.Errorf("long write: %v", err)
	}
	// Silence when no call is up, and writes are taken and dropped.
	buf := make([]int16, hal.FrameSamples)
	buf[3] = 99
	if err := a.WriteFrame(buf); err != nil {
		t.Fatal(err)
	}
	n.Tick()
	if err := a.ReadFrame(buf); err != nil || buf[3] != 0 {
		t.Errorf("idle read: %v, %d", err, buf[3])
	}
	a.SetAlarm(true)
	err := a.ReadFrame(buf)
	var ce *hal.ChannelError
	if !errors.As(err, &ce) || ce.Op != "read" || !errors.Is(err, hal.ErrAlarm) {
		t.Errorf("read in alarm: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if err := a.WriteFrame(buf); !errors.Is(err, hal.ErrClosed) {
		t.Errorf("write after close: %v", err)
	}
	if err := hal.StartFax(a, t30Config()); !errors.Is(err, hal.ErrNotSupported) {
		t.Errorf("StartFax on a sim channel: %v", err)
	}
}

func TestDriver(t *testing.T) {
	var d hal.Driver = sim.New(sim.Config{})
	for _, num := range []string{"300", "100", "200"} {
		c, err := d.Open(num)
		if err != nil {
			t.Fatal(err)
		}
		if c.Name() != num {
			t.Errorf("name %q", c.Name())
		}
	}
	if _, err := d.Open("100"); !errors.Is(err, hal.ErrInUse) {
		t.Errorf("open twice: %v", err)
	}
	got, err := d.Channels()
	if err != nil || strings.Join(got, ",") != "100,200,300" {
		t.Errorf("channels %v, %v", got, err)
	}
	if d.Name() != "sim" {
		t.Errorf("name %q", d.Name())
	}
}

func TestEventQueueOverflow(t *testing.T) {
	n := sim.New(sim.Config{RingTicks: 1})
	a, _ := n.NewChannel("100")
	b, _ := n.NewChannel("200")
	if err := a.Dial("200"); err != nil {
		t.Fatal(err)
	}
	for range 40 {
		n.Tick()
	}
	if b.Dropped() != 40-16 {
		t.Errorf("dropped %d", b.Dropped())
	}
	e, _ := b.Event()
	if e.Kind != hal.EventRing || e.Detail != 40-16+1 {
		t.Errorf("oldest kept %v", e)
	}
}
