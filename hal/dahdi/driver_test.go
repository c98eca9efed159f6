package dahdi

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/faxd/faxd/hal"
	"github.com/faxd/faxd/hal/dahdi/internal/ioctl"
	"golang.org/x/sys/unix"
)

// openLine opens channel 5 through a Driver whose Open hands out d.
func openLine(t *testing.T, d *fakeDev, cfg Config) (*Driver, *Line) {
	t.Helper()
	cfg.Open = func(string) (Device, error) { return d, nil }
	drv := NewDriver(cfg)
	ch, err := drv.Open("5")
	if err != nil {
		t.Fatal(err)
	}
	return drv, ch.(*Line)
}

// fxoPort, fxsPort are the parameters of channel 5 as an FXO port (FXS
// kewlstart signalling) and as an FXS port (FXO kewlstart signalling).
var (
	fxoPort = Params{Channel: 5, Span: 1, Position: 5, SigType: SigFXS | 1<<2, Law: 2, Name: "WCTDM/0/4"}
	fxsPort = Params{Channel: 5, Span: 1, Position: 5, SigType: SigFXO | 1<<2, Law: 2, Name: "WCTDM/0/4"}
)

func newPort(t *testing.T, p Params) *fakeDev {
	d := newFake(t)
	d.params = p
	return d
}

// hooks lists the DAHDI_HOOK values issued, in order.
func (d *fakeDev) hooks() []int {
	var out []int
	for _, r := range d.requests() {
		if r.req == ioctl.Hook {
			out = append(out, r.v)
		}
	}
	return out
}

// events takes every hal event waiting.
func events(l *Line) []hal.Event {
	var out []hal.Event
	for e, ok := l.Event(); ok; e, ok = l.Event() {
		out = append(out, e)
	}
	return out
}

// readThrough makes the peer send one frame and reads it, so events the
// device holds are fetched on the way.
func readThrough(t *testing.T, l *Line, d *fakeDev, frame []int16) {
	t.Helper()
	if _, err := d.peer.Write(frameBytes(frame)); err != nil {
		t.Fatal(err)
	}
	got := make([]int16, hal.FrameSamples)
	if err := l.ReadFrame(got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, frame) {
		t.Fatal("frame read differs from the frame sent")
	}
}

// An incoming call on an FXO port, from the first ring to the far end
// hanging up.
func TestLineIncomingCall(t *testing.T) {
	d := newPort(t, fxoPort)
	drv, l := openLine(t, d, Config{})
	if l.Name() != "5" || l.Hook() != hal.OnHook {
		t.Fatalf("name %q hook %v", l.Name(), l.Hook())
	}
	silence := make([]int16, hal.FrameSamples)

	// Two ring bursts: RINGBEGIN then RINGOFFHOOK each; a ring apiece.
	d.event(codeRingBegin, codeRingOffHook)
	readThrough(t, l, d, silence)
	d.event(codeRingBegin, codeRingOffHook)
	readThrough(t, l, d, silence)
	want := []hal.Event{{Kind: hal.EventRing, Detail: 1}, {Kind: hal.EventRing, Detail: 2}}
	if got := events(l); !reflect.DeepEqual(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}

	if err := l.Answer(); err != nil {
		t.Fatal(err)
	}
	if l.Hook() != hal.OffHook {
		t.Error("on hook after Answer")
	}
	// Audio both ways.
	in := make([]int16, hal.FrameSamples)
	for i := range in {
		in[i] = int16(i*397 - 30000)
	}
	readThrough(t, l, d, in)
	if err := l.WriteFrame(in); err != nil {
		t.Fatal(err)
	}
	back := make([]byte, 1000)
	if n, err := d.peer.Read(back); err != nil || !bytes.Equal(back[:n], frameBytes(in)) {
		t.Fatalf("peer got %d bytes %v, not the frame written", n, err)
	}

	// The far end hangs up while we write.
	d.event(codeOnHook)
	if err := l.WriteFrame(in); err != nil {
		t.Fatal(err)
	}
	if got := events(l); !reflect.DeepEqual(got, []hal.Event{{Kind: hal.EventHangup}}) {
		t.Fatalf("events %v, want hangup", got)
	}
	if err := l.Hangup(); err != nil || l.Hook() != hal.OnHook {
		t.Fatalf("hangup: %v, %v", err, l.Hook())
	}
	if h := d.hooks(); !reflect.DeepEqual(h, []int{int(OffHook), int(OnHook)}) {
		t.Errorf("DAHDI_HOOK %v, want [1 0]", h)
	}

	// The driver holds the channel until it is closed.
	if _, err := drv.Open("5"); !errors.Is(err, hal.ErrInUse) {
		t.Errorf("second open: %v, want ErrInUse", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	d2 := newPort(t, fxoPort)
	drv.cfg.Open = func(string) (Device, error) { return d2, nil }
	l2, err := drv.Open("5")
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	l2.Close()
}

// A ringing call the caller abandons: no ring for RingTimeout is a hangup.
func TestLineRingTimeout(t *testing.T) {
	d := newPort(t, fxoPort)
	_, l := openLine(t, d, Config{RingTimeout: 3 * hal.FrameDuration})
	silence := make([]int16, hal.FrameSamples)
	d.event(codeRingOffHook)
	readThrough(t, l, d, silence)
	if got := events(l); len(got) != 1 || got[0].Kind != hal.EventRing {
		t.Fatalf("events %v", got)
	}
	for i := range 2 {
		readThrough(t, l, d, silence)
		if got := events(l); len(got) != 0 {
			t.Fatalf("frame %d after the ring: %v", i+1, got)
		}
	}
	readThrough(t, l, d, silence) // the third frame since the ring
	if got := events(l); !reflect.DeepEqual(got, []hal.Event{{Kind: hal.EventHangup}}) {
		t.Fatalf("events %v, want hangup", got)
	}
	if err := l.Answer(); !errors.Is(err, hal.ErrState) {
		t.Errorf("answer after the caller gave up: %v", err)
	}
}

// Dialling out on an FXO port: off hook, DTMF after a wait for dial tone,
// answered once the digits are out.
func TestLineDialFXO(t *testing.T) {
	d := newPort(t, fxoPort)
	_, l := openLine(t, d, Config{})
	if err := l.Dial("555-1234"); !errors.Is(err, hal.ErrInvalidNumber) {
		t.Errorf("bad number: %v", err)
	}
	if err := l.Dial("5551234#"); err != nil {
		t.Fatal(err)
	}
	reqs := d.requests()
	dial := reqs[len(reqs)-1]
	if dial.req != ioctl.Dial || string(bytes.TrimRight(dial.arg[4:], "\x00")) != "Tw5551234#" {
		t.Errorf("dial request %#x %q", dial.req, dial.arg[4:16])
	}
	if h := d.hooks(); !reflect.DeepEqual(h, []int{int(OffHook)}) || l.Hook() != hal.OffHook {
		t.Errorf("hooks %v, %v", h, l.Hook())
	}
	if err := l.Dial("1"); !errors.Is(err, hal.ErrState) {
		t.Errorf("dial during a call: %v", err)
	}
	d.event(codeDialComplete)
	readThrough(t, l, d, make([]int16, hal.FrameSamples))
	if got := events(l); !reflect.DeepEqual(got, []hal.Event{{Kind: hal.EventAnswer}}) {
		t.Fatalf("events %v, want answer", got)
	}
}

// An FXS port rings its phone for Dial; the phone going off hook answers,
// and a phone nobody takes gives no-answer.
func TestLineFXSPort(t *testing.T) {
	d := newPort(t, fxsPort)
	_, l := openLine(t, d, Config{NoAnswerTimeout: 2 * hal.FrameDuration})
	silence := make([]int16, hal.FrameSamples)
	if err := l.Dial("1"); err != nil {
		t.Fatal(err)
	}
	d.event(codeRingerOn, codeRingOffHook)
	readThrough(t, l, d, silence)
	if got := events(l); !reflect.DeepEqual(got, []hal.Event{{Kind: hal.EventAnswer}}) {
		t.Fatalf("events %v, want answer", got)
	}
	d.event(codeOnHook)
	readThrough(t, l, d, silence)
	if got := events(l); !reflect.DeepEqual(got, []hal.Event{{Kind: hal.EventHangup}}) {
		t.Fatalf("events %v, want hangup", got)
	}
	if err := l.Hangup(); err != nil {
		t.Fatal(err)
	}

	// The fax machine on the port goes off hook: an incoming call, which
	// does not time out like a ring.
	d.event(codeRingOffHook)
	for range 5 {
		readThrough(t, l, d, silence)
	}
	if got := events(l); !reflect.DeepEqual(got, []hal.Event{{Kind: hal.EventRing, Detail: 1}}) {
		t.Fatalf("events %v, want one ring", got)
	}
	if err := l.Answer(); err != nil {
		t.Fatal(err)
	}
	if err := l.Hangup(); err != nil {
		t.Fatal(err)
	}

	// Nobody answers.
	if err := l.Dial("1"); err != nil {
		t.Fatal(err)
	}
	readThrough(t, l, d, silence)
	readThrough(t, l, d, silence)
	if got := events(l); !reflect.DeepEqual(got, []hal.Event{{Kind: hal.EventNoAnswer}}) {
		t.Fatalf("events %v, want no-answer", got)
	}
	want := []int{int(Ring), int(OnHook), int(OffHook), int(OnHook), int(Ring), int(OnHook)}
	if h := d.hooks(); !reflect.DeepEqual(h, want) || l.Hook() != hal.OnHook {
		t.Errorf("DAHDI_HOOK %v, want %v; hook %v", h, want, l.Hook())
	}
}

func TestLineDialOtherSignalling(t *testing.T) {
	p := fxoPort
	p.SigType = SigClear
	_, l := openLine(t, newPort(t, p), Config{})
	if err := l.Dial("123"); !errors.Is(err, hal.ErrNotSupported) {
		t.Errorf("dial on a clear channel: %v", err)
	}
}

// A span alarm during a call: the call is lost, audio and call control
// fail with ErrAlarm, and the alarm clearing is seen without frames moving.
func TestLineAlarm(t *testing.T) {
	d := newPort(t, fxoPort)
	_, l := openLine(t, d, Config{})
	silence := make([]int16, hal.FrameSamples)
	d.event(codeRingOffHook)
	readThrough(t, l, d, silence)
	events(l)
	if err := l.Answer(); err != nil {
		t.Fatal(err)
	}
	d.mu.Lock()
	d.params.ChanAlarms = AlarmRed | AlarmLOS
	d.mu.Unlock()
	d.event(codeAlarm)
	readThrough(t, l, d, silence)
	want := []hal.Event{{Kind: hal.EventAlarm, Detail: int32(AlarmRed | AlarmLOS)}}
	if got := events(l); !reflect.DeepEqual(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	frame := []int16{1: 7, hal.FrameSamples - 1: 0}
	for op, err := range map[string]error{
		"read":   l.ReadFrame(frame),
		"write":  l.WriteFrame(frame),
		"dial":   l.Dial("1"),
		"answer": l.Answer(),
	} {
		var ce *hal.ChannelError
		if !errors.Is(err, hal.ErrAlarm) || !errors.As(err, &ce) || ce.Op != op || ce.Channel != "5" {
			t.Errorf("%s in alarm: %v, want a *hal.ChannelError wrapping ErrAlarm", op, err)
		}
	}
	if frame[1] != 0 {
		t.Error("ReadFrame in alarm left the buffer as it was, not silence")
	}
	if err := l.Hangup(); err != nil {
		t.Errorf("hangup in alarm: %v", err)
	}

	d.mu.Lock()
	d.params.ChanAlarms = 0
	d.mu.Unlock()
	d.event(codeNoAlarm)
	if got := events(l); !reflect.DeepEqual(got, []hal.Event{{Kind: hal.EventAlarmClear}}) {
		t.Fatalf("events %v, want alarm-clear", got)
	}
	readThrough(t, l, d, silence)

	// A channel already in alarm when opened.
	p := fxoPort
	p.ChanAlarms = AlarmBlue
	_, l = openLine(t, newPort(t, p), Config{})
	if err := l.ReadFrame(silence); !errors.Is(err, hal.ErrAlarm) {
		t.Errorf("read on a channel opened in alarm: %v", err)
	}
}

func TestLineClosedAndRemoved(t *testing.T) {
	d := newPort(t, fxoPort)
	drv, l := openLine(t, d, Config{})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	frame := make([]int16, hal.FrameSamples)
	for op, err := range map[string]error{
		"read":        l.ReadFrame(frame),
		"write":       l.WriteFrame(frame),
		"dial":        l.Dial("1"),
		"answer":      l.Answer(),
		"hangup":      l.Hangup(),
		"echo cancel": l.SetEchoCancel(hal.EchoOff),
	} {
		var ce *hal.ChannelError
		if !errors.Is(err, hal.ErrClosed) || !errors.As(err, &ce) || ce.Op != op {
			t.Errorf("%s after close: %v, want a *hal.ChannelError wrapping ErrClosed", op, err)
		}
	}
	if _, ok := l.Event(); ok {
		t.Error("event after close")
	}
	if len(drv.open) != 0 {
		t.Errorf("driver still holds %v", drv.open)
	}

	// Close from another goroutine ends a blocked read.
	d = newPort(t, fxoPort)
	_, l = openLine(t, d, Config{})
	done := make(chan error)
	go func() { done <- l.ReadFrame(make([]int16, hal.FrameSamples)) }()
	time.Sleep(20 * time.Millisecond)
	l.Close()
	select {
	case err := <-done:
		if !errors.Is(err, hal.ErrClosed) {
			t.Errorf("read across close: %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a blocked read")
	}

	// The card goes away during a call.
	d = newPort(t, fxoPort)
	_, l = openLine(t, d, Config{})
	d.event(codeRingOffHook)
	readThrough(t, l, d, frame)
	events(l)
	l.Answer()
	d.event(codeRemoved)
	for i := range 2 {
		err := l.ReadFrame(frame)
		if !errors.Is(err, hal.ErrClosed) || !errors.Is(err, ErrRemoved) {
			t.Errorf("read %d after removal: %v, want ErrClosed and ErrRemoved", i, err)
		}
	}
	if got := events(l); !reflect.DeepEqual(got, []hal.Event{{Kind: hal.EventHangup}}) {
		t.Fatalf("events %v, want hangup", got)
	}
	if err := l.Close(); err != nil {
		t.Errorf("close after removal: %v", err)
	}
}

func TestLineEchoCancel(t *testing.T) {
	d := newPort(t, fxoPort)
	_, l := openLine(t, d, Config{EchoTaps: 256})
	type req struct {
		req uint
		v   int
	}
	since := len(d.requests())
	echoReqs := func() []req {
		var out []req
		for _, r := range d.requests()[since:] {
			out = append(out, req{r.req, r.v})
		}
		since = len(d.requests())
		return out
	}
	cases := []struct {
		mode hal.EchoMode
		want []req
	}{
		{hal.EchoOn, []req{{ioctl.EchoCancel, 256}}},
		{hal.EchoFax, []req{{ioctl.EchoCancel, 256}, {ioctl.EchoCancelFax, 1}}},
		{hal.EchoOff, []req{{ioctl.EchoCancel, 0}}},
	}
	for _, c := range cases {
		if err := hal.SetEchoCancel(l, c.mode); err != nil {
			t.Fatalf("%v: %v", c.mode, err)
		}
		if got := echoReqs(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: requests %v, want %v", c.mode, got, c.want)
		}
	}
	// No canceller to put in fax mode: it is left off.
	d.fail[ioctl.EchoCancelFax] = unix.EINVAL
	if err := l.SetEchoCancel(hal.EchoFax); !errors.Is(err, hal.ErrNotSupported) {
		t.Errorf("fax mode without a canceller: %v", err)
	}
	want := []req{{ioctl.EchoCancel, 256}, {ioctl.EchoCancelFax, 1}, {ioctl.EchoCancel, 0}}
	if got := echoReqs(); !reflect.DeepEqual(got, want) {
		t.Errorf("requests %v, want %v", got, want)
	}
	if err := l.SetEchoCancel(hal.EchoMode(9)); err == nil {
		t.Error("unknown mode accepted")
	}
}

func TestLineAllocatesNothing(t *testing.T) {
	d := newPort(t, fxoPort)
	_, l := openLine(t, d, Config{})
	frame := make([]int16, hal.FrameSamples)
	raw := frameBytes(frame)
	back := make([]byte, 400)
	allocs := testing.AllocsPerRun(200, func() {
		d.peer.Write(raw)
		if _, ok := l.Event(); ok {
			t.Fatal("unexpected event")
		}
		if err := l.ReadFrame(frame); err != nil {
			t.Fatal(err)
		}
		if err := l.WriteFrame(frame); err != nil {
			t.Fatal(err)
		}
		d.peer.Read(back)
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per event poll, read and write", allocs)
	}
}

func TestDriverOpenErrors(t *testing.T) {
	drv := NewDriver(Config{Dir: t.TempDir()})
	for _, name := range []string{"", "0", "-1", "05", "x", "1.5"} {
		if _, err := drv.Open(name); !errors.Is(err, hal.ErrNoChannel) {
			t.Errorf("Open(%q): %v, want ErrNoChannel", name, err)
		}
	}
	// No DAHDI: /dev/dahdi/channel missing.
	_, err := drv.Open("1")
	var ce *hal.ChannelError
	if !errors.Is(err, hal.ErrNotSupported) || !errors.As(err, &ce) || ce.Op != "open" {
		t.Errorf("open without DAHDI: %v", err)
	}
	// DAHDI refuses the channel number, or another process holds it.
	for errno, want := range map[unix.Errno]error{unix.ENXIO: hal.ErrNoChannel, unix.EBUSY: hal.ErrInUse} {
		d := newFake(t)
		d.fail[ioctl.Specify] = errno
		drv := NewDriver(Config{Open: func(string) (Device, error) { return d, nil }})
		if _, err := drv.Open("99"); !errors.Is(err, want) || !errors.Is(err, errno) {
			t.Errorf("SPECIFY %v: %v, want %v", errno, err, want)
		}
		if len(drv.open) != 0 {
			t.Errorf("SPECIFY %v: the failed open holds the number", errno)
		}
	}
}

func TestDriverChannels(t *testing.T) {
	drv := NewDriver(Config{SysfsRoot: sysfsTree(t), ProcfsRoot: t.TempDir()})
	if drv.Name() != "dahdi" {
		t.Errorf("name %q", drv.Name())
	}
	got, err := drv.Channels()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"1", "2", "3"}; !reflect.DeepEqual(got, want) { // 4 is unconfigured
		t.Errorf("sysfs channels %q, want %q", got, want)
	}
	// A DAHDI without sysfs spans: /proc/dahdi.
	drv = NewDriver(Config{SysfsRoot: t.TempDir(), ProcfsRoot: "testdata/procfs"})
	got, err = drv.Channels()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"1", "2", "3", "5", "6", "7"}; !reflect.DeepEqual(got, want) {
		t.Errorf("procfs channels %q, want %q", got, want)
	}
	// No DAHDI at all.
	drv = NewDriver(Config{SysfsRoot: t.TempDir(), ProcfsRoot: t.TempDir()})
	if _, err := drv.Channels(); !errors.Is(err, hal.ErrNotSupported) || !errors.Is(err, ErrNotSupported) {
		t.Errorf("no DAHDI: %v", err)
	}
}

// TestDriverRealDAHDI lists the machine's DAHDI channels, and opens the
// one FAXD_DAHDI_CHANNEL names (reading a few frames, staying on hook).
func TestDriverRealDAHDI(t *testing.T) {
	if _, err := os.Stat(DefaultDir); err != nil {
		t.Skipf("no DAHDI on this machine: %v", err)
	}
	drv := NewDriver(Config{})
	names, err := drv.Channels()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("channels %q", names)
	name := os.Getenv("FAXD_DAHDI_CHANNEL")
	if _, err := strconv.Atoi(name); err != nil {
		t.Skip("set FAXD_DAHDI_CHANNEL to a free channel to open it")
	}
	ch, err := drv.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	frame := make([]int16, hal.FrameSamples)
	start := time.Now()
	for range 25 {
		if err := ch.ReadFrame(frame); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start); el < 400*time.Millisecond {
		t.Errorf("25 frames in %v: the card is not pacing 20 ms blocks", el)
	}
}
