package dahdi

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/faxd/faxd/hal/dahdi/internal/ioctl"
	"golang.org/x/sys/unix"
)

// fakeDev is a DAHDI channel device made of a SOCK_SEQPACKET socketpair
// (the test holds the far end: what it writes the channel reads as one
// block, what the channel writes it reads back) and an ioctl shim that
// records every request and answers GETEVENT from a script.
type fakeDev struct {
	*ioctl.File
	peer *os.File

	mu      sync.Mutex
	calls   []fakeCall
	pending []int // event codes waiting; Read/Write fail with ELAST meanwhile
	params  Params
	span    SpanInfo
	fail    map[uint]error
	kick    chan struct{}
}

type fakeCall struct {
	req uint
	v   int // first int of the argument as passed
	arg []byte
}

func newFake(t *testing.T) *fakeDev {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no socketpair: %v", err)
	}
	d := &fakeDev{peer: os.NewFile(uintptr(fds[1]), "peer"), fail: map[uint]error{}, kick: make(chan struct{}, 1)}
	d.File, err = ioctl.NewFile(fds[0], "fake-dahdi", d.shim)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.File.Close(); d.peer.Close() })
	return d
}

func (d *fakeDev) shim(fd uintptr, req uint, arg []byte) error {
	if uint(len(arg)) < ioctl.Size(req) {
		return unix.EFAULT
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, fakeCall{req, getInt(arg), bytes.Clone(arg)})
	if err := d.fail[req]; err != nil {
		return err
	}
	switch req {
	case ioctl.GetEvent:
		code := 0
		if len(d.pending) > 0 {
			code, d.pending = d.pending[0], d.pending[1:]
		}
		putInt(arg, code)
	case ioctl.GetParams:
		copy(arg, EncodeParams(d.params))
	case ioctl.SpanStat:
		copy(arg, EncodeSpanInfo(d.span))
	}
	return nil
}

func (d *fakeDev) event(codes ...int) {
	d.mu.Lock()
	d.pending = append(d.pending, codes...)
	d.mu.Unlock()
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

func (d *fakeDev) waiting() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.pending) > 0
}

func (d *fakeDev) Read(p []byte) (int, error) {
	if d.waiting() {
		return 0, &os.PathError{Op: "read", Path: "fake", Err: ioctl.ELAST}
	}
	return d.File.Read(p)
}

func (d *fakeDev) Write(p []byte) (int, error) {
	if d.waiting() {
		return 0, &os.PathError{Op: "write", Path: "fake", Err: ioctl.ELAST}
	}
	return d.File.Write(p)
}

func (d *fakeDev) WaitEvent(timeout time.Duration) (bool, error) {
	if d.waiting() {
		return true, nil
	}
	select {
	case <-d.kick:
	case <-time.After(timeout):
	}
	return d.waiting(), nil
}

func (d *fakeDev) requests() []fakeCall {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]fakeCall(nil), d.calls...)
}

func open(t *testing.T, cfg Config) (*Channel, *fakeDev) {
	t.Helper()
	d := newFake(t)
	d.params = Params{Channel: 5, Span: 1, Position: 5, SigType: SigFXS | 1<<2, Law: 2, Name: "WCTDM/0/4"}
	c, err := NewChannel(d, 5, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, d
}

func TestOpenSequence(t *testing.T) {
	c, d := open(t, Config{})
	want := []struct {
		req uint
		v   int
	}{{ioctl.Specify, 5}, {ioctl.SetBlocksize, 160}, {ioctl.SetLinear, 1}, {ioctl.EchoCancel, 0}, {ioctl.GetParams, 5}}
	got := d.requests()
	if len(got) != len(want) {
		t.Fatalf("%d requests, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].req != w.req || got[i].v != w.v {
			t.Errorf("request %d: %#x(%d), want %#x(%d)", i, got[i].req, got[i].v, w.req, w.v)
		}
	}
	if p := c.Info(); p != d.params {
		t.Errorf("params %+v, want %+v", p, d.params)
	}
	if c.BlockSize() != 160 || c.Number() != 5 {
		t.Errorf("block %d number %d", c.BlockSize(), c.Number())
	}

	// Fax mode, and a channel with no echo canceller to put in it.
	_, d = open(t, Config{Echo: EchoFaxMode, BlockSize: 80})
	got = d.requests()
	if got[1].v != 80 || got[3].req != ioctl.EchoCancelFax || got[3].v != 1 {
		t.Errorf("fax mode requests %+v", got)
	}
	d = newFake(t)
	d.fail[ioctl.EchoCancelFax] = unix.EINVAL
	if _, err := NewChannel(d, 5, Config{Echo: EchoFaxMode}); !errors.Is(err, ErrNotSupported) {
		t.Errorf("fax mode without canceller: %v, want ErrNotSupported", err)
	}
	_, d = open(t, Config{Echo: EchoUnchanged})
	for _, r := range d.requests() {
		if r.req == ioctl.EchoCancel || r.req == ioctl.EchoCancelFax {
			t.Errorf("EchoUnchanged issued %#x", r.req)
		}
	}
	// SPECIFY refused (no such channel): a typed error naming the step.
	d = newFake(t)
	d.fail[ioctl.Specify] = unix.ENXIO
	_, err := NewChannel(d, 99, Config{})
	var e *Error
	if !errors.As(err, &e) || e.Op != "specify" || e.Channel != 99 || !errors.Is(err, unix.ENXIO) {
		t.Errorf("bad channel: %v", err)
	}
	if _, err := NewChannel(newFake(t), 1, Config{BlockSize: 1}); !errors.Is(err, ErrFrameSize) {
		t.Errorf("block of 1: %v", err)
	}
}

func frameBytes(s []int16) []byte {
	b := make([]byte, 2*len(s))
	for i, v := range s {
		binary.NativeEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

func TestFrames(t *testing.T) {
	c, d := open(t, Config{})
	in := make([]int16, 160)
	for i := range in {
		in[i] = int16(i*409 - 32768)
	}
	if _, err := d.peer.Write(frameBytes(in)); err != nil {
		t.Fatal(err)
	}
	got := make([]int16, 160)
	if err := c.ReadFrame(got); err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if got[i] != in[i] {
			t.Fatalf("sample %d: %d, want %d", i, got[i], in[i])
		}
	}
	if err := c.WriteFrame(in); err != nil {
		t.Fatal(err)
	}
	back := make([]byte, 1000)
	n, err := d.peer.Read(back)
	if err != nil || !bytes.Equal(back[:n], frameBytes(in)) {
		t.Fatalf("peer read %d bytes %v, not the frame", n, err)
	}
	// Wrong sizes are refused before touching the device.
	if err := c.ReadFrame(make([]int16, 159)); !errors.Is(err, ErrFrameSize) {
		t.Errorf("short dst: %v", err)
	}
	if err := c.WriteFrame(make([]int16, 161)); !errors.Is(err, ErrFrameSize) {
		t.Errorf("long src: %v", err)
	}
	// A short block from the device.
	d.peer.Write(make([]byte, 100))
	if err := c.ReadFrame(got); !errors.Is(err, ErrShortFrame) {
		t.Errorf("short block: %v", err)
	}
}

func TestFramesAllocateNothing(t *testing.T) {
	c, d := open(t, Config{})
	frame := make([]int16, 160)
	raw := frameBytes(frame)
	back := make([]byte, 400)
	allocs := testing.AllocsPerRun(200, func() {
		d.peer.Write(raw)
		if err := c.ReadFrame(frame); err != nil {
			t.Fatal(err)
		}
		if err := c.WriteFrame(frame); err != nil {
			t.Fatal(err)
		}
		d.peer.Read(back)
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per read+write", allocs)
	}
}

func TestEventsInterruptAudio(t *testing.T) {
	c, d := open(t, Config{})
	// A call comes in while we read: DAHDI holds the audio back with
	// ELAST until the events are fetched; the frame is not lost.
	d.event(codeRingBegin, codeRingOffHook)
	frame := make([]int16, 160)
	frame[7] = 1234
	d.peer.Write(frameBytes(frame))
	got := make([]int16, 160)
	if err := c.ReadFrame(got); err != nil || got[7] != 1234 {
		t.Fatalf("read through events: %v, sample %d", err, got[7])
	}
	for _, want := range []EventKind{EventRingBegin, EventRing} {
		if e, ok := c.PollEvent(); !ok || e.Kind != want {
			t.Fatalf("event %v %v, want %v", e, ok, want)
		}
	}
	if e, ok := c.PollEvent(); ok {
		t.Fatalf("extra event %v", e)
	}
	// We answer; the far end hangs up while we write.
	if err := c.Answer(); err != nil || !c.OffHook() {
		t.Fatal(err)
	}
	d.event(codeOnHook)
	if err := c.WriteFrame(got); err != nil {
		t.Fatal(err)
	}
	if e, _ := c.PollEvent(); e.Kind != EventHangup {
		t.Fatalf("event %v, want hangup", e)
	}
	if err := c.Hangup(); err != nil || c.OffHook() {
		t.Fatal(err)
	}
	var hooks []int
	for _, r := range d.requests() {
		if r.req == ioctl.Hook {
			hooks = append(hooks, r.v)
		}
	}
	if len(hooks) != 2 || hooks[0] != 1 || hooks[1] != 0 {
		t.Errorf("DAHDI_HOOK values %v, want [1 0]", hooks)
	}
}

func TestMapEvent(t *testing.T) {
	cases := []struct {
		code    int
		offHook bool
		want    Event
	}{
		{codeOnHook, true, Event{Kind: EventHangup}},
		{codeRingOffHook, false, Event{Kind: EventRing}},
		{codeRingOffHook, true, Event{Kind: EventAnswer}},
		{codeWinkFlash, false, Event{Kind: EventWinkFlash}},
		{codeAlarm, false, Event{Kind: EventAlarm}},
		{codeNoAlarm, false, Event{Kind: EventAlarmCleared}},
		{codeDialComplete, true, Event{Kind: EventDialComplete}},
		{codeRingBegin, false, Event{Kind: EventRingBegin}},
		{codePolarity, true, Event{Kind: EventPolarity}},
		{codeRemoved, false, Event{Kind: EventRemoved}},
		{codeTxCED, true, Event{Kind: EventCED, Transmit: true}},
		{codeRxCED, true, Event{Kind: EventCED}},
		{codeTxCNG, true, Event{Kind: EventCNG, Transmit: true}},
		{codeRxCNG, true, Event{Kind: EventCNG}},
		{codeReadOverrun, true, Event{Kind: EventReadOverrun}},
		{codeWriteUnderrun, true, Event{Kind: EventWriteUnderrun}},
		{codeDTMFDown | '5', true, Event{Kind: EventDigitDown, Digit: '5'}},
		{codeDTMFUp | '#', true, Event{Kind: EventDigitUp, Digit: '#'}},
		{codePulseDigit | '9', false, Event{Kind: EventPulseDigit, Digit: '9'}},
		{77, false, Event{Kind: EventOther}},
	}
	for _, c := range cases {
		c.want.Code = c.code
		if got := mapEvent(c.code, c.offHook); got != c.want {
			t.Errorf("code %#x off-hook %v: %+v, want %+v", c.code, c.offHook, got, c.want)
		}
		if got := mapEvent(c.code, c.offHook).String(); got == "" {
			t.Errorf("code %#x: empty name", c.code)
		}
	}
}

func TestWaitEvent(t *testing.T) {
	c, d := open(t, Config{})
	start := time.Now()
	if e, err := c.WaitEvent(20 * time.Millisecond); err != nil || e.Kind != EventNone {
		t.Fatalf("idle: %v %v", e, err)
	}
	if time.Since(start) < 15*time.Millisecond {
		t.Error("WaitEvent returned before its timeout")
	}
	go func() {
		time.Sleep(10 * time.Millisecond)
		d.event(codeAlarm)
	}()
	if e, err := c.WaitEvent(5 * time.Second); err != nil || e.Kind != EventAlarm {
		t.Fatalf("alarm: %v %v", e, err)
	}
}

func TestRemovedAndClosed(t *testing.T) {
	c, d := open(t, Config{})
	d.event(codeRemoved)
	if e, _ := c.WaitEvent(time.Second); e.Kind != EventRemoved {
		t.Fatalf("event %v", e)
	}
	if err := c.ReadFrame(make([]int16, 160)); !errors.Is(err, ErrRemoved) {
		t.Errorf("read after removal: %v", err)
	}

	// The kernel's ENODEV says the same.
	c, d = open(t, Config{})
	d.fail[ioctl.Hook] = unix.ENODEV
	if err := c.Answer(); !errors.Is(err, ErrRemoved) {
		t.Errorf("ENODEV: %v", err)
	}

	// Close ends a blocked read.
	c, _ = open(t, Config{})
	done := make(chan error)
	go func() { done <- c.ReadFrame(make([]int16, 160)) }()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("read across close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a blocked read")
	}
	if err := c.WriteFrame(make([]int16, 160)); !errors.Is(err, ErrClosed) {
		t.Errorf("write after close: %v", err)
	}
}

func TestEventQueueOverflow(t *testing.T) {
	c, d := open(t, Config{})
	// 200 events pile up before a read: the newest 64 are kept.
	codes := make([]int, 200)
	for j := range codes {
		codes[j] = codeDTMFDown | '0' + j%10
	}
	d.event(codes...)
	d.peer.Write(make([]byte, 320))
	if err := c.ReadFrame(make([]int16, 160)); err != nil {
		t.Fatal(err)
	}
	if c.Dropped() != 200-maxEvents {
		t.Errorf("%d dropped, want %d", c.Dropped(), 200-maxEvents)
	}
	n := 0
	for e, ok := c.PollEvent(); ok; e, ok = c.PollEvent() {
		if want := byte('0' + (200-maxEvents+n)%10); e.Digit != want {
			t.Fatalf("event %d digit %q, want %q", n, e.Digit, want)
		}
		n++
	}
	if n != maxEvents {
		t.Errorf("%d queued, want %d", n, maxEvents)
	}
}

func TestDial(t *testing.T) {
	c, d := open(t, Config{})
	if err := c.Dial("5551234#"); err != nil {
		t.Fatal(err)
	}
	calls := d.requests()
	last := calls[len(calls)-1]
	if last.req != ioctl.Dial || last.v != 2 || string(bytes.TrimRight(last.arg[4:], "\x00")) != "T5551234#" || len(last.arg) != 260 {
		t.Errorf("dial request %#x op %d %q", last.req, last.v, bytes.TrimRight(last.arg[4:], "\x00"))
	}
	if err := c.Dial("P12w3"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"", "T", "555-1234", string(make([]byte, 300))} {
		if err := c.Dial(bad); !errors.Is(err, ErrDialString) {
			t.Errorf("Dial(%q): %v", bad, err)
		}
	}
}

func TestSpanStatus(t *testing.T) {
	d := newFake(t)
	d.span = SpanInfo{Span: 2, Name: "TE4/0/2", Desc: "T4XXP (PCI) Card 0 Span 2", Alarms: AlarmRed | AlarmLOS,
		IRQMisses: 3, SyncSource: 1, Channels: 31, TotalChans: 31, TotalSpans: 4, Location: "PCI Bus 03 Slot 01",
		Manufacturer: "Digium", DeviceType: "Wildcard TE420 (5th Gen)", IRQ: 42, SpanType: "E1"}
	got, err := SpanStatus(d, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got != d.span {
		t.Errorf("got %+v\nwant %+v", got, d.span)
	}
	if r := d.requests()[0]; r.req != ioctl.SpanStat || r.v != 2 {
		t.Errorf("request %#x span %d", r.req, r.v)
	}
	if s := got.Alarms.String(); s != "RED,LOS" {
		t.Errorf("alarms %q", s)
	}
	if s := Alarms(0).String(); s != "OK" {
		t.Errorf("no alarms %q", s)
	}
	if s := (AlarmBlue | 1<<20).String(); s != "BLUE,0x100000" {
		t.Errorf("unknown bit %q", s)
	}
}

// The structure layouts, checked against offsets worked out by hand from
// user.h rather than against our own encoder.
func TestLayouts(t *testing.T) {
	b := make([]byte, ioctl.SizeofParams)
	binary.NativeEndian.PutUint32(b[0:], 17)
	binary.NativeEndian.PutUint32(b[12:], SigFXO|1<<5)
	binary.NativeEndian.PutUint32(b[20:], 1)
	copy(b[48:], "WCTDM/0/0\x00garbage")
	binary.NativeEndian.PutUint32(b[132:], uint32(AlarmYellow))
	p := decodeParams(b)
	if p.Channel != 17 || p.SigType != SigFXO|1<<5 || !p.RxOffHook || p.Name != "WCTDM/0/0" || p.ChanAlarms != AlarmYellow {
		t.Errorf("params %+v", p)
	}
	s := make([]byte, ioctl.SizeofSpanInfo)
	copy(s[308:], "BRI\x00")
	binary.NativeEndian.PutUint32(s[300:], 19)
	binary.NativeEndian.PutUint32(s[64:], uint32(AlarmBlue))
	if si := decodeSpanInfo(s); si.SpanType != "BRI" || si.IRQ != 19 || si.Alarms != AlarmBlue {
		t.Errorf("spaninfo %+v", si)
	}
}

func TestOpenWithoutDAHDI(t *testing.T) {
	_, err := Open(1, Config{Dir: t.TempDir()})
	if !errors.Is(err, ErrNotSupported) {
		t.Fatalf("Open without DAHDI: %v, want ErrNotSupported", err)
	}
	if Available(Config{Dir: t.TempDir()}) {
		t.Error("Available in an empty directory")
	}
}

// TestRealDevice runs against the machine's DAHDI when there is one and
// FAXD_DAHDI_CHANNEL names a channel the test may take (it reads a few
// frames and leaves the line on hook).
func TestRealDevice(t *testing.T) {
	if !Available(Config{}) {
		t.Skip("no DAHDI device (/dev/dahdi/channel)")
	}
	no, err := strconv.Atoi(os.Getenv("FAXD_DAHDI_CHANNEL"))
	if err != nil {
		t.Skip("set FAXD_DAHDI_CHANNEL to a free channel to test real hardware")
	}
	c, err := Open(no, Config{})
	if errors.Is(err, ErrNotSupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	t.Logf("channel %d: %+v", no, c.Info())
	frame := make([]int16, c.BlockSize())
	start := time.Now()
	for i := 0; i < 25; i++ {
		if err := c.ReadFrame(frame); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start); el < 400*time.Millisecond {
		t.Errorf("25 frames in %v: the card is not pacing 20 ms blocks", el)
	}
	for e, ok := c.PollEvent(); ok; e, ok = c.PollEvent() {
		t.Logf("event %v", e)
	}
}
