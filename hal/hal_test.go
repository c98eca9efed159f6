package hal_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/faxd/faxd/hal"
	"github.com/faxd/faxd/t30"
)

// plain is a channel with no optional abilities.
type plain struct{}

func (plain) Name() string                 { return "plain/1" }
func (plain) ReadFrame(dst []int16) error  { return nil }
func (plain) WriteFrame(src []int16) error { return nil }
func (plain) Hook() hal.Hook               { return hal.OnHook }
func (plain) Event() (hal.Event, bool)     { return hal.Event{}, false }
func (plain) Dial(string) error            { return nil }
func (plain) Answer() error                { return nil }
func (plain) Hangup() error                { return nil }
func (plain) Close() error                 { return nil }

// card has both abilities.
type card struct {
	plain
	mode hal.EchoMode
	fax  bool
}

func (c *card) SetEchoCancel(m hal.EchoMode) error { c.mode = m; return nil }
func (c *card) StartFax(t30.Config) error          { c.fax = true; return nil }
func (c *card) FaxResult() (*t30.Result, bool)     { return nil, false }

func TestAbilities(t *testing.T) {
	var p plain
	for name, err := range map[string]error{
		"echo": hal.SetEchoCancel(p, hal.EchoFax),
		"fax":  hal.StartFax(p, t30.Config{}),
	} {
		if !errors.Is(err, hal.ErrNotSupported) {
			t.Errorf("%s on a plain channel: %v", name, err)
		}
		if err == hal.ErrNotSupported {
			t.Errorf("%s: the sentinel comes unwrapped", name)
		}
	}
	c := &card{}
	if err := hal.SetEchoCancel(c, hal.EchoFax); err != nil || c.mode != hal.EchoFax {
		t.Errorf("echo: %v, mode %v", err, c.mode)
	}
	if err := hal.StartFax(c, t30.Config{}); err != nil || !c.fax {
		t.Errorf("fax: %v", err)
	}
}

func TestChannelError(t *testing.T) {
	cause := fmt.Errorf("device gone: %w", hal.ErrClosed)
	var err error = &hal.ChannelError{Channel: "dahdi/12", Op: "read", Err: cause}
	err = fmt.Errorf("worker 3: %w", err)
	var ce *hal.ChannelError
	if !errors.As(err, &ce) || ce.Channel != "dahdi/12" || ce.Op != "read" {
		t.Fatalf("As: %v", err)
	}
	if !errors.Is(err, hal.ErrClosed) {
		t.Error("the cause is lost")
	}
	if got, want := ce.Error(), "hal: channel dahdi/12: read: device gone: hal: channel closed"; got != want {
		t.Errorf("%q", got)
	}
}

func TestStrings(t *testing.T) {
	for _, c := range []struct {
		got  fmt.Stringer
		want string
	}{
		{hal.Event{Kind: hal.EventRing, Detail: 2}, "ring(2)"},
		{hal.Event{Kind: hal.EventNoAnswer}, "no-answer"},
		{hal.EventKind(99), "EventKind(99)"},
		{hal.OffHook, "off-hook"},
		{hal.EchoFax, "fax"},
	} {
		if s := c.got.String(); s != c.want {
			t.Errorf("%q, want %q", s, c.want)
		}
	}
}
