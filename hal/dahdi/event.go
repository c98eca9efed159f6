package dahdi

import "fmt"

// EventKind is what happened on a channel, in faxd's terms.
type EventKind int

const (
	EventNone          EventKind = iota
	EventRing                    // incoming call: ring (or seizure) while we are on hook
	EventRingBegin               // a ring burst began (before ring validation)
	EventAnswer                  // the far end went off hook while we are off hook: answer supervision
	EventHangup                  // the far end went on hook / the loop dropped
	EventWinkFlash               // wink or hook flash
	EventAlarm                   // the span went into alarm: no calls until EventAlarmCleared
	EventAlarmCleared            // the alarm cleared
	EventDialComplete            // the digits given to Dial have been sent
	EventHookComplete            // a hook change (wink, flash, start) finished
	EventRingerOn                // our ringer started (FXS ports)
	EventRingerOff               // our ringer stopped
	EventPolarity                // battery polarity reversed (answer or hang-up on some lines)
	EventRemoved                 // the hardware went away; the channel is dead
	EventCED                     // an answer tone (CED, 2100 Hz) was detected by the card
	EventCNG                     // a calling tone (CNG, 1100 Hz) was detected by the card
	EventReadOverrun             // frames were lost because we read too late
	EventWriteUnderrun           // the card ran out of audio to send
	EventDigitDown               // DTMF digit began (Digit)
	EventDigitUp                 // DTMF digit ended (Digit)
	EventPulseDigit              // a pulse-dialled digit (Digit)
	EventOther                   // a DAHDI event faxd has no name for (Code)
)

var eventNames = [...]string{
	EventNone: "none", EventRing: "ring", EventRingBegin: "ring-begin", EventAnswer: "answer",
	EventHangup: "hangup", EventWinkFlash: "wink/flash", EventAlarm: "alarm",
	EventAlarmCleared: "alarm-cleared", EventDialComplete: "dial-complete",
	EventHookComplete: "hook-complete", EventRingerOn: "ringer-on", EventRingerOff: "ringer-off",
	EventPolarity: "polarity", EventRemoved: "removed", EventCED: "CED", EventCNG: "CNG",
	EventReadOverrun: "read-overrun", EventWriteUnderrun: "write-underrun",
	EventDigitDown: "digit-down", EventDigitUp: "digit-up", EventPulseDigit: "pulse-digit",
	EventOther: "other",
}

func (k EventKind) String() string {
	if k >= 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one signalling event from DAHDI_GETEVENT.
type Event struct {
	Kind     EventKind
	Code     int  // DAHDI's event code as read
	Digit    byte // EventDigit*, EventPulseDigit
	Transmit bool // EventCED/EventCNG: heard in our transmit direction, not from the line
}

func (e Event) String() string {
	switch e.Kind {
	case EventDigitDown, EventDigitUp, EventPulseDigit:
		return fmt.Sprintf("%v %q", e.Kind, e.Digit)
	case EventCED, EventCNG:
		if e.Transmit {
			return e.Kind.String() + " (tx)"
		}
	case EventOther:
		return fmt.Sprintf("other (code %d)", e.Code)
	}
	return e.Kind.String()
}

// DAHDI_EVENT_* codes (user.h).
const (
	codeNone          = 0
	codeOnHook        = 1
	codeRingOffHook   = 2
	codeWinkFlash     = 3
	codeAlarm         = 4
	codeNoAlarm       = 5
	codeDialComplete  = 9
	codeRingerOn      = 10
	codeRingerOff     = 11
	codeHookComplete  = 12
	codePolarity      = 17
	codeRingBegin     = 18
	codeRemoved       = 20
	codeTxCED         = 23
	codeRxCED         = 24
	codeTxCNG         = 25
	codeRxCNG         = 26
	codeReadOverrun   = 29
	codeWriteUnderrun = 30
	codePulseDigit    = 1 << 16 // OR'd with the digit
	codeDTMFDown      = 1 << 17
	codeDTMFUp        = 1 << 18
)

// mapEvent names a DAHDI event code. DAHDI_EVENT_RINGOFFHOOK means "the
// other side went off hook or rings": an incoming call while we are on
// hook, answer supervision once we are off hook.
func mapEvent(code int, offHook bool) Event {
	e := Event{Code: code}
	switch {
	case code&codeDTMFDown != 0:
		e.Kind, e.Digit = EventDigitDown, byte(code)
		return e
	case code&codeDTMFUp != 0:
		e.Kind, e.Digit = EventDigitUp, byte(code)
		return e
	case code&codePulseDigit != 0:
		e.Kind, e.Digit = EventPulseDigit, byte(code)
		return e
	}
	switch code {
	case codeNone:
		e.Kind = EventNone
	case codeOnHook:
		e.Kind = EventHangup
	case codeRingOffHook:
		if offHook {
			e.Kind = EventAnswer
		} else {
			e.Kind = EventRing
		}
	case codeRingBegin:
		e.Kind = EventRingBegin
	case codeWinkFlash:
		e.Kind = EventWinkFlash
	case codeAlarm:
		e.Kind = EventAlarm
	case codeNoAlarm:
		e.Kind = EventAlarmCleared
	case codeDialComplete:
		e.Kind = EventDialComplete
	case codeHookComplete:
		e.Kind = EventHookComplete
	case codeRingerOn:
		e.Kind = EventRingerOn
	case codeRingerOff:
		e.Kind = EventRingerOff
	case codePolarity:
		e.Kind = EventPolarity
	case codeRemoved:
		e.Kind = EventRemoved
	case codeTxCED, codeRxCED:
		e.Kind, e.Transmit = EventCED, code == codeTxCED
	case codeTxCNG, codeRxCNG:
		e.Kind, e.Transmit = EventCNG, code == codeTxCNG
	case codeReadOverrun:
		e.Kind = EventReadOverrun
	case codeWriteUnderrun:
		e.Kind = EventWriteUnderrun
	default:
		e.Kind = EventOther
	}
	return e
}
