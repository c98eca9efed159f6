// Package hal is faxd's hardware abstraction for telephony channels: what
// the media server needs from a line, whether it is a port on a PCIe card
// driven through DAHDI or a number on the in-process telephone network of
// package hal/sim.
//
// A [Channel] carries 20 ms frames of 8 kHz 16-bit linear PCM
// ([FrameSamples] samples) in each direction, has a hook state, reports
// line events (ring, answer, hang-up, busy, no answer, alarm) through a
// non-allocating poll, and places and answers calls. A [Driver] lists and
// opens channels.
//
// The hot path is one ReadFrame and one WriteFrame per channel every 20 ms,
// plus an Event poll; none of them allocates. A channel's owner (one worker
// of the scheduler) calls them; a driver documents what else may run
// concurrently.
//
// Abilities some channels have and others lack (a card's own echo
// canceller, its fax DSP) are separate interfaces found by type assertion,
// as net/http finds an http.Flusher. The helpers [SetEchoCancel] and
// [StartFax] do the assertion and return an error wrapping
// [ErrNotSupported] when the ability is missing, so callers can fall back
// (to software) and tests can skip.
//
// A channel that stops working (closed, in alarm, its device gone)
// returns a [*ChannelError] naming the channel and the operation and
// wrapping the cause.
package hal
