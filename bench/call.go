package bench

import (
	"fmt"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/faxd/faxd/hal/sched"
	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/terminal"
)

// LetterPage is the page the call benchmarks send: one A4 page of a
// business letter at fine resolution, rendered with the document
// package's text renderer.
func LetterPage() (*document.Page, error) {
	text := strings.Repeat("Dear Ms. Hansen,\n\nPlease find enclosed the signed purchase agreement for the property at 14 Harbour Street, together with the completed disclosure forms. Our bank has confirmed the transfer of the deposit of EUR 45,000.00 to the escrow account (reference 2026-11-4471).\n\n", 7)
	pages, err := document.RenderText([]byte(text), &document.Options{Resolution: document.Fine, Header: "ACME Bank"})
	if err != nil {
		return nil, err
	}
	return pages[0], nil
}

// CallCost is what whole fax calls cost the CPU.
type CallCost struct {
	Calls       int           `json:"calls"`
	Confirmed   int           `json:"confirmed"`    // calls whose page was confirmed (MCF)
	CallSeconds float64       `json:"call_seconds"` // audio time the calls took, summed
	CPU         time.Duration `json:"cpu"`          // process CPU time (user + system), less Polled
	// Polled is the time spent polling the clock between blocks
	// (BareOptions.Poll): CPU time, but not the calls'.
	Polled time.Duration `json:"polled,omitempty"`
	// CPUPerCallSecond is the CPU one call takes per second of the call,
	// both ends together.
	CPUPerCallSecond time.Duration `json:"cpu_per_call_second"`
}

// CPUTime returns the process's CPU time so far, user plus system.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BareCalls runs n fax calls between pairs of our audio terminals, one
// page each, the two ends' 20 ms blocks exchanged directly (no scheduler,
// no network, no line): the bare cost of the modems and T.30 that the
// media server's figures are measured against. The calls run in step, as
// fast as the CPU goes.
func BareCalls(n int, page *document.Page, ecm bool) (CallCost, error) {
	return BareCallsWith(n, page, ecm, BareOptions{})
}

// BareOptions shape a bare run like a server's load.
type BareOptions struct {
	// Spread starts call i i·Spread/n blocks after the first, so that the
	// calls are at different points of a call at any time, as a server's
	// are. 0: all in step.
	Spread int
	// Period paces the run: every Period, one block of every live call,
	// then sleep, as a server's tick does. 0: as fast as the CPU goes.
	// Paced, a call's state has gone cold in the caches by its next
	// block (other work, here other tenants of the machine, evicts it);
	// this measures that cost without scheduler, network or channel.
	Period time.Duration
	// Poll waits for the next Period polling the clock rather than
	// sleeping, as the scheduler's Config.Poll does; the time so spent
	// is left out of CPU.
	Poll bool
}

// BareCallsWith runs BareCalls shaped by o.
func BareCallsWith(n int, page *document.Page, ecm bool, o BareOptions) (CallCost, error) {
	var c CallCost
	pages := []*document.Page{page}
	type pair struct {
		tx, rx         *terminal.Terminal
		src            *t30.MemorySource
		sink           *t30.CodedSink
		a, b, ain, bin []int16
		blocks, delay  int
	}
	ps := make([]pair, n)
	start := CPUTime()
	for i := range ps {
		// Each call's page is coded before the call, as the media
		// server's Submit does; its CPU is counted.
		cfg := t30.Config{Caller: true, ECM: ecm}
		src := &t30.MemorySource{Pages: pages}
		if err := src.Prepare(&cfg); err != nil {
			return c, err
		}
		cfg.Source = src
		tx, err := terminal.New(cfg, terminal.Options{})
		if err != nil {
			return c, err
		}
		// The answering end keeps the page as coded, as the media
		// server's inbox does (t30.CodedSink, which checks each row but
		// draws none).
		sink := &t30.CodedSink{}
		rx, err := terminal.New(t30.Config{Sink: sink, ECM: ecm}, terminal.Options{})
		if err != nil {
			return c, err
		}
		bs := terminal.BlockSize
		ps[i] = pair{tx: tx, rx: rx, src: src, sink: sink, a: make([]int16, bs), b: make([]int16, bs), ain: make([]int16, bs), bin: make([]int16, bs)}
		if o.Spread > 0 {
			ps[i].delay = i * o.Spread / n
		}
	}
	if o.Poll {
		// PollUntil's CPU figure is the thread's.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	const maxBlocks = 8000 / terminal.BlockSize * 300
	next := time.Now()
	for tick, live := 0, n; live > 0; tick++ {
		if o.Period > 0 {
			next = next.Add(o.Period)
			if o.Poll {
				c.Polled += sched.PollUntil(next, nil)
			} else {
				time.Sleep(time.Until(next))
			}
		}
		live = 0
		for i := range ps {
			p := &ps[i]
			if tick < p.delay {
				live++
				continue
			}
			if p.tx.Done() && p.rx.Done() || p.blocks >= maxBlocks {
				continue
			}
			live++
			p.tx.Process(p.ain, p.a)
			p.rx.Process(p.bin, p.b)
			copy(p.bin, p.a)
			copy(p.ain, p.b)
			p.blocks++
		}
	}
	c.CPU = CPUTime() - start - c.Polled
	c.Calls = n
	for i := range ps {
		p := &ps[i]
		c.CallSeconds += float64(p.blocks*terminal.BlockSize) / 8000
		if r := p.tx.Result(); r != nil && r.OK() && r.PagesSent == 1 {
			c.Confirmed++
		}
		// The calls are over (a call cut at maxBlocks is not run again):
		// the prepared and received pages' buffers go back for the next
		// run's, as a server's do.
		p.src.Release()
		for _, pg := range p.sink.Pages {
			pg.Release()
		}
	}
	if c.Confirmed != n {
		return c, fmt.Errorf("bench: %d of %d bare calls confirmed their page", c.Confirmed, n)
	}
	c.CPUPerCallSecond = time.Duration(float64(c.CPU) / c.CallSeconds)
	return c, nil
}
