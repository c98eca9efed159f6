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
// Each Tick carries one frame each way across every call that is up: the
// next frame each end wrote goes through a model of the line (package
// dsp/line: attenuation, noise, frequency and clock offsets, echo, G.711;
// a line with no impairment is copied, not modelled) into the other end's
// receive buffer. An end that wrote nothing in time sends silence (counted:
// Missed). Each direction of a call has its own line, its noise seeded
// from the call's configuration and the order in which calls were placed,
// so a run is repeatable.
//
// The frame path works the way a card's does. Each channel has two small
// buffers of BufferFrames frames, each a single-producer single-consumer
// ring with atomic indices, made with the channel: WriteFrame (or TxSlot
// and CommitTx, the frame made in place: hal.FrameSlotter) fills the
// transmit ring and Tick empties it, Tick fills the receive ring and
// ReadFrame empties it. No lock is taken and nothing allocates. At the
// start of a call, and whenever a ring ran dry (counted: Missed at the
// network, Underruns at ReadFrame), its reader gathers Config.Jitter+1
// frames (DefaultJitter: 2) before it plays them out again, so the owners
// of the channels (the scheduler's workers) and whoever ticks the network
// may run on their own phases, each up to Jitter periods early or late,
// with no gap in the audio; each frame of slack delays the audio by 20 ms
// each way. A full ring drops the frame (counted: TxFull, Overruns). A
// call's end drops what the far end had not read yet. Config.Lockstep
// removes the slack for tests that drive the network by hand: a frame
// written before Tick n is read right after it.
//
// Nothing runs by itself: no goroutines, no timers, no sleeping. Whoever
// drives the network (a test, hal/media's server) calls Tick every 20 ms of
// simulated or real time. After a call is set up, ReadFrame, WriteFrame,
// Event and Tick allocate nothing.
//
// Concurrency: call control (Dial, Answer, Hangup, Close, SetAlarm, Hook)
// and Tick are serialised by the network's lock and may come from any
// goroutine; Event takes the lock only when an event is waiting. ReadFrame
// and WriteFrame take no lock and may run while Tick runs; each channel's
// frames have one owner at a time (the goroutine that reads and writes
// them, handed over with a happens-before edge, as the scheduler's queues
// give).
package sim
