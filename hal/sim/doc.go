// Package sim is an in-process telephone network: the default hal driver,
// which lets one faxd call itself and lets tests and benchmarks run
// thousands of calls with no hardware.
//
// Channels register numbers on a [Network]. A call goes the way it goes on
// a real network, one 20 ms tick at a time:
//
//	caller.Dial("200")          the caller goes off hook
//	Tick (after SetupTicks)     callee idle: EventRing at the callee (again
//	                            every RingTicks); callee off hook or in a
//	                            call: EventBusy at the caller; no such
//	                            number: EventUnreachable
//	callee.Answer()             EventAnswer at the caller; from the next
//	                            Tick audio flows both ways
//	NoAnswerTicks of ringing    EventNoAnswer at the caller, EventHangup at
//	                            the callee
//	either end Hangup()         EventHangup at the other end, which stays
//	                            off hook (and so busy) until it hangs up too
//
// Each Tick moves the frame each end wrote since the last Tick through a
// model of the line (package dsp/line: attenuation, noise, frequency and
// clock offsets, echo, G.711) into the other end's receive buffer, so a
// frame written before Tick n is read after it. An end that wrote nothing
// sends silence. Each direction of a call has its own line, its noise
// seeded from the call's configuration and the order in which calls were
// placed, so a run is repeatable.
//
// Nothing runs by itself: no goroutines, no timers, no sleeping. Whoever
// drives the network (a test, the scheduler) calls Tick every 20 ms of
// simulated or real time. After a call is set up, ReadFrame, WriteFrame,
// Event and Tick allocate nothing.
//
// Concurrency: call control (Dial, Answer, Hangup, Event, Close,
// SetAlarm) and Tick are serialised by the network's lock and may come from
// any goroutine. ReadFrame and WriteFrame take no lock: a channel's owner
// calls them, and never while Tick runs (the scheduler ticks the network
// between its workers' passes).
package sim
