package dahdi

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/faxd/faxd/hal/dahdi/internal/ioctl"
)

func getInt(b []byte) int    { return int(int32(binary.NativeEndian.Uint32(b))) }
func putInt(b []byte, v int) { binary.NativeEndian.PutUint32(b, uint32(int32(v))) }

// cstring is the text of a NUL-terminated char array.
func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(bytes.TrimRight(b, " "))
}

// Signalling bits of Params.SigType (user.h DAHDI_SIG_*).
const (
	SigFXO   = 1 << 12 // the channel signals as an FXO: it faces a phone (an FXS port)
	SigFXS   = 1 << 13 // the channel signals as an FXS: it faces the exchange (an FXO port)
	SigEM    = 1 << 6
	SigClear = 1 << 7
	SigCAS   = 1 << 15
)

// Params is struct dahdi_params (DAHDI_GET_PARAMS), the fields faxd uses.
type Params struct {
	Channel    int    // channo
	Span       int    // spanno
	Position   int    // chanpos, the channel's place in its span
	SigType    int    // configured signalling (Sig* bits)
	SigCap     int    // signalling the hardware can do
	RxOffHook  bool   // rxisoffhook
	Law        int    // curlaw: 1 mu-law, 2 A-law
	Name       string // e.g. "WCTDM/0/0"
	ChanAlarms Alarms // chan_alarms
}

// Byte offsets in struct dahdi_params: 12 ints, name[40] at 48, 11 ints
// from 88, chan_alarms at 132; 136 bytes.
func decodeParams(b []byte) Params {
	return Params{
		Channel:    getInt(b[0:]),
		Span:       getInt(b[4:]),
		Position:   getInt(b[8:]),
		SigType:    getInt(b[12:]),
		SigCap:     getInt(b[16:]),
		RxOffHook:  getInt(b[20:]) != 0,
		Law:        getInt(b[40:]),
		Name:       cstring(b[48:88]),
		ChanAlarms: Alarms(binary.NativeEndian.Uint32(b[132:])),
	}
}

// EncodeParams lays p out as struct dahdi_params (for fake devices).
func EncodeParams(p Params) []byte {
	b := make([]byte, ioctl.SizeofParams)
	putInt(b[0:], p.Channel)
	putInt(b[4:], p.Span)
	putInt(b[8:], p.Position)
	putInt(b[12:], p.SigType)
	putInt(b[16:], p.SigCap)
	if p.RxOffHook {
		putInt(b[20:], 1)
	}
	putInt(b[40:], p.Law)
	copy(b[48:87], p.Name)
	binary.NativeEndian.PutUint32(b[132:], uint32(p.ChanAlarms))
	return b
}

// SpanInfo is struct dahdi_spaninfo (DAHDI_SPANSTAT), the fields faxd uses.
type SpanInfo struct {
	Span         int
	Name         string
	Desc         string
	Alarms       Alarms
	IRQMisses    int
	SyncSource   int // span number of the timing source, 0 free run
	Channels     int // configured channels
	TotalChans   int
	TotalSpans   int // spans in the whole system
	Location     string
	Manufacturer string
	DeviceType   string
	IRQ          int
	SpanType     string // "T1", "E1", "J1", "BRI", "FXS", "FXO", "ANALOG", ...
}

// Byte offsets in the packed struct dahdi_spaninfo (314 bytes).
func decodeSpanInfo(b []byte) SpanInfo {
	return SpanInfo{
		Span:         getInt(b[0:]),
		Name:         cstring(b[4:24]),
		Desc:         cstring(b[24:64]),
		Alarms:       Alarms(binary.NativeEndian.Uint32(b[64:])),
		IRQMisses:    getInt(b[112:]),
		SyncSource:   getInt(b[116:]),
		Channels:     getInt(b[120:]),
		TotalChans:   getInt(b[124:]),
		TotalSpans:   getInt(b[128:]),
		Location:     cstring(b[180:220]),
		Manufacturer: cstring(b[220:260]),
		DeviceType:   cstring(b[260:300]),
		IRQ:          getInt(b[300:]),
		SpanType:     cstring(b[308:314]),
	}
}

// EncodeSpanInfo lays s out as struct dahdi_spaninfo (for fake devices).
func EncodeSpanInfo(s SpanInfo) []byte {
	b := make([]byte, ioctl.SizeofSpanInfo)
	putInt(b[0:], s.Span)
	copy(b[4:23], s.Name)
	copy(b[24:63], s.Desc)
	binary.NativeEndian.PutUint32(b[64:], uint32(s.Alarms))
	putInt(b[112:], s.IRQMisses)
	putInt(b[116:], s.SyncSource)
	putInt(b[120:], s.Channels)
	putInt(b[124:], s.TotalChans)
	putInt(b[128:], s.TotalSpans)
	copy(b[180:219], s.Location)
	copy(b[220:259], s.Manufacturer)
	copy(b[260:299], s.DeviceType)
	putInt(b[300:], s.IRQ)
	copy(b[308:313], s.SpanType)
	return b
}

// ReadSpan asks DAHDI's control device (cfg.Dir/ctl) for a span's status
// and alarms.
func ReadSpan(span int, cfg Config) (SpanInfo, error) {
	dev, err := cfg.open("ctl")
	if err != nil {
		return SpanInfo{}, &Error{Op: "open ctl", Err: err}
	}
	defer dev.Close()
	return SpanStatus(dev, span)
}

// SpanStatus issues DAHDI_SPANSTAT for span on an open control device.
func SpanStatus(dev Device, span int) (SpanInfo, error) {
	b := make([]byte, ioctl.SizeofSpanInfo)
	putInt(b, span)
	if err := dev.Ioctl(ioctl.SpanStat, b); err != nil {
		return SpanInfo{}, &Error{Op: fmt.Sprintf("spanstat %d", span), Err: err}
	}
	return decodeSpanInfo(b), nil
}

// Alarms is a span's or channel's alarm bits (user.h DAHDI_ALARM_*).
type Alarms uint32

const (
	AlarmRecover  Alarms = 1 << 0
	AlarmLoopback Alarms = 1 << 1
	AlarmYellow   Alarms = 1 << 2 // remote alarm indication
	AlarmRed      Alarms = 1 << 3 // loss of signal or framing here
	AlarmBlue     Alarms = 1 << 4 // alarm indication signal (all ones)
	AlarmNotOpen  Alarms = 1 << 5
	AlarmLOS      Alarms = 1 << 8  // loss of signal
	AlarmLFA      Alarms = 1 << 9  // loss of frame alignment
	AlarmLMFA     Alarms = 1 << 10 // loss of multiframe alignment
)

var alarmNames = []struct {
	bit  Alarms
	name string
}{
	{AlarmRed, "RED"}, {AlarmYellow, "YELLOW"}, {AlarmBlue, "BLUE"},
	{AlarmRecover, "RECOVERING"}, {AlarmLoopback, "LOOPBACK"}, {AlarmNotOpen, "NOTOPEN"},
	{AlarmLOS, "LOS"}, {AlarmLFA, "LFA"}, {AlarmLMFA, "LMFA"},
}

// String names the bits, "OK" for none.
func (a Alarms) String() string {
	if a == 0 {
		return "OK"
	}
	var names []string
	rest := a
	for _, n := range alarmNames {
		if a&n.bit != 0 {
			names = append(names, n.name)
			rest &^= n.bit
		}
	}
	if rest != 0 {
		names = append(names, fmt.Sprintf("%#x", uint32(rest)))
	}
	return strings.Join(names, ",")
}
