// Package media is faxd's media server: it runs fax calls on the channels
// of a hal.Driver (a DAHDI span, the sim network), one soft fax terminal
// (t30/terminal) per call, kept by its channel and Reset for the next call,
// every channel a task of the 20 ms scheduler (hal/sched).
//
// # The server
//
//	srv, err := media.New(media.Config{
//		Driver:   net,                              // a hal.Driver
//		Channels: []string{"100", "101", "102"},    // nil: all the driver has
//		Sched:    sched.Config{Workers: 2},         // Period 20 ms by default
//		Logger:   logger,                           // hclog: calls at Info, T.30 traces at Trace
//		T30:      t30.Config{Ident: "+1 555 0100", ECM: true},
//	})
//	srv.Start()
//	http.Handle("/metrics", srv.Handler())
//	id, err := srv.Submit(media.Job{To: "+15550199", Pages: pages, ECM: true})
//	out, err := srv.Wait(ctx, id)   // out.Err == nil: sent; out.Cause, out.Fax: how it went
//	got := srv.Inbox("101")         // faxes received on number 101
//	srv.Stop(ctx)
//
// Each channel's Tick, once a period on its worker: take the channel's
// events (a ring: answer on the next tick and start a receiving terminal;
// our dial answered: start a sending terminal; busy, no answer,
// unreachable: the job fails with that Cause; hang-up or alarm mid-call:
// the call ends with that Cause); in a call, ReadFrame → Process →
// WriteFrame (the frame made in the channel's own transmit slot when the
// channel lends it: hal.FrameSlotter); when the terminal is done, stay
// Config.Linger ticks for the last audio to cross, hang up and record the
// outcome. An idle channel
// takes the next job from a lock-free queue (hal/internal/ring), its own
// first (Job.From) and then the shared one, skipping a job to its own
// number; Submit never waits for the hot path, and codes the job's pages
// before queueing it (in the format the call will most likely take,
// t30.LikelyFormat), so that a call's ticks read its pages out rather than
// code them. A far end that hangs up once the fax is complete (after the
// last page's MCF, without DCN) ends the call complete
// (t30.Engine.LineDropped). A call in progress
// allocates nothing per tick (the terminal allocates when its T.30 engine
// changes state: see TestTickNoAllocs). Page images, the largest thing a
// call makes, come from a pool of cleared buffers: a job's prepared pages
// go back when its call ends, a received fax's when whoever took it from
// the inbox calls Received.Release (see TestCallPagesNoGarbage).
//
// A driver that must be ticked (a Ticker: *sim.Network) is ticked by the
// server every period from a Clock (WallClock by default, half a period
// after the workers, catching up as they do); ExternalTick leaves it to
// another server on the same network. With a sim network, set
// sim.Config.Jitter so that its buffers cover the phases between the
// workers and the network tick (the default, 2 frames, covers 20 ms
// periods; a period of a millisecond wants sim.MaxJitter and
// sched.Config.CatchUp of several periods).
//
// Outcomes stay until Forget; inbox entries stay for the server's life,
// or until taken (TakeInbox, TakeAllInbox).
// Stop(ctx) takes no more jobs, lets calls in progress end until ctx is
// done, then hangs up the rest (CauseStopped) and gives every job still
// waiting an outcome (CauseStopped): no job is lost.
//
// # Metrics
//
// Handler serves, in the Prometheus text format: faxd_channels{state}
// (idle, ringing, dialling, in-call, alarm), faxd_calls_total{direction,
// outcome}, faxd_pages_total{direction}, and, read from the scheduler's
// and channels' atomics when scraped (the hot path does no metric work):
// faxd_sched_ticks_total{worker}, faxd_sched_deadline_misses_total{worker},
// faxd_sched_tick_seconds{worker,quantile} (a summary: P50, P99, busy time,
// ticks), faxd_sched_tick_max_seconds{worker}, faxd_sched_tasks{worker},
// faxd_network_ticks_total, faxd_network_skipped_ticks_total and
// faxd_jobs_queued.
//
// # Density runs
//
// A density benchmark (faxbench server) opens N sending and N receiving
// channels on one sim network, submits N jobs at once and reads back every
// call's outcome and the scheduler's accounting:
//
//	net := sim.New(sim.Config{Jitter: sim.MaxJitter})
//	senders, receivers := media.Pairs(10000, n)        // "10000".., "10000+n"..
//	srv, _ := media.New(media.Config{Driver: net, Channels: append(senders, receivers...),
//		Sched: sched.Config{Period: period, CatchUp: 8}})
//	srv.Start()
//	ids, _ := srv.SubmitAll(media.PairJobs(senders, receivers, media.Job{Pages: pages, ECM: true}))
//	outs, _ := srv.WaitAll(ctx, ids)   // per call: Outcome.OK, Fax (rate, pages), Ticks, Dialled/Answered/Ended
//	in := srv.Inbox(receivers[i])      // the receiving side of call i (it ends a tick or so after the sender)
//	st := srv.Stats()                  // Workers: per worker ticks, misses, busy, P50/P99/Max; States; NetworkTicks
//	fs := srv.Channel(name).(*sim.Channel).FrameStats() // gaps in a channel's audio, if any
//	srv.Stop(ctx)
//
// Job.From pins each job to its sender, so receivers never dial and no
// call meets a busy line. With a Period shorter than 20 ms the run is
// faster than real time; Outcome.Ticks counts the call in 20 ms frames
// of audio whatever the period.
package media
