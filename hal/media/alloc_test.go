package media

import (
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/faxd/faxd/hal/sim"
	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
)

// manual makes a server on a new sim network whose channels and network
// the test ticks by hand: no scheduler, no clock.
func manual(t testing.TB, names ...string) (*Server, func()) {
	t.Helper()
	net := sim.New(sim.Config{})
	s, err := New(Config{Driver: net, Channels: names, ExternalTick: true, T30: t30.Config{ECM: true}})
	if err != nil {
		t.Fatal(err)
	}
	step := func() {
		for _, c := range s.chans {
			c.Tick()
		}
		net.Tick()
	}
	return s, step
}

func testPage(t testing.TB) []*document.Page {
	text := "allocations\n\n" + strings.Repeat("The quick brown fox jumps over the lazy dog. 0123456789\n", 30)
	p, err := document.RenderText([]byte(text), &document.Options{PageLength: 100})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// allocSites runs f and returns where it allocated: the innermost
// function of each allocation's stack outside the runtime, with its file
// and line, and how many times. runtime.MemProfileRate must be 1.
func allocSites(f func()) map[string]int64 {
	sites := map[string]int64{}
	for where, a := range allocProfile(f) {
		sites[where] = a.objects
	}
	return sites
}

// allocs counts allocations at a site.
type allocs struct{ objects, bytes int64 }

// allocProfile is allocSites with the bytes allocated as well.
func allocProfile(f func()) map[string]allocs {
	snapshot := func() map[[32]uintptr]allocs {
		runtime.GC() // the profile is as of the last GC
		var recs []runtime.MemProfileRecord
		n, _ := runtime.MemProfile(nil, true)
		for {
			recs = make([]runtime.MemProfileRecord, n+50)
			var ok bool
			if n, ok = runtime.MemProfile(recs, true); ok {
				break
			}
		}
		out := make(map[[32]uintptr]allocs, n)
		for _, r := range recs[:n] {
			a := out[r.Stack0]
			a.objects += r.AllocObjects
			a.bytes += r.AllocBytes
			out[r.Stack0] = a
		}
		return out
	}
	before := snapshot()
	f()
	after := snapshot()
	sites := map[string]allocs{}
	for stack, n := range after {
		if d := n.objects - before[stack].objects; d > 0 {
			if where, ours := site(stack); !ours {
				a := sites[where]
				a.objects += d
				a.bytes += n.bytes - before[stack].bytes
				sites[where] = a
			}
		}
	}
	return sites
}

// site names the innermost function of the module on an allocation's
// stack, with its file and line; ours reports the test's own
// allocations (the snapshots).
func site(stack [32]uintptr) (where string, ours bool) {
	frames := runtime.CallersFrames(stack[:])
	for {
		fr, more := frames.Next()
		if strings.Contains(fr.Function, "allocSites.func") { // the snapshots
			return "", true
		}
		if where == "" && strings.HasPrefix(fr.Function, "github.com/faxd/faxd/") {
			where = fmt.Sprintf("%s (%s:%d)", strings.TrimPrefix(fr.Function, "github.com/faxd/faxd/"), fr.File[strings.LastIndex(fr.File, "/faxd/")+1:], fr.Line)
		}
		if !more {
			break
		}
	}
	// No frame of the module: the runtime's own goroutines (the GC, the
	// scavenger), not the ticks.
	return where, where == ""
}

// TestTickNoAllocs: the channel tasks' Ticks allocate nothing: an idle
// channel polling for jobs, a call whose terminal is done, and both ends
// of a call in the middle of a page. The T.30 engine does allocate at the
// moments its state changes (trace entries, frames, commands; and on a
// channel's first call its terminal's modems and HDLC transmitters, see
// TestSecondCallNoAllocs); the test leaves those moments out.
// Should the ticks allocate mid-page, it finds where: sites in packages
// t30 and dsp (the terminal, not this package's to change) are reported
// in the log, any other fails the test.
func TestTickNoAllocs(t *testing.T) {
	rate := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = rate }()
	steady := map[string]bool{"tx page": true, "rx page": true, "tx ECM block": true, "rx ECM block": true}
	for _, ecm := range []bool{false, true} {
		t.Run(map[bool]string{false: "non-ECM", true: "ECM"}[ecm], func(t *testing.T) {
			s, step := manual(t, "100", "101", "102")
			defer s.Stop(t.Context())
			idle := s.byName["102"]
			if n := testing.AllocsPerRun(100, func() { idle.Tick() }); n != 0 {
				t.Errorf("an idle channel's Tick: %v allocations", n)
			}
			if _, err := s.Submit(Job{From: "100", To: "101", Pages: testPage(t), ECM: ecm}); err != nil {
				t.Fatal(err)
			}
			tx, rx := s.byName["100"], s.byName["101"]
			states := func() string {
				if tx.term == nil || rx.term == nil {
					return ""
				}
				return tx.term.Engine().State() + " / " + rx.term.Engine().State()
			}
			const settle, window = 30, 20
			var last string
			inState, measured := 0, false
			for k := 0; k < 3000 && !measured; k++ {
				step()
				if st := states(); st == last {
					inState++
				} else {
					last, inState = st, 0
				}
				if inState < settle || !steady[tx.term.Engine().State()] || !steady[rx.term.Engine().State()] {
					continue
				}
				n := testing.AllocsPerRun(window, step)
				var sites map[string]int64
				if n != 0 {
					sites = allocSites(func() {
						for range window {
							step()
						}
					})
				}
				if states() != last {
					continue // the window ran into the page's end: try the next page or block
				}
				measured = true
				if n == 0 {
					t.Logf("mid-page (%s): no allocations in %d ticks", last, window)
				}
				for _, where := range slices.Sorted(maps.Keys(sites)) {
					if strings.HasPrefix(where, "t30") || strings.HasPrefix(where, "dsp") {
						t.Logf("REPORT: the terminal allocates mid-page (%s): %d times in %d ticks at %s", last, sites[where], window, where)
					} else {
						t.Errorf("mid-page (%s): %d allocations at %s", last, sites[where], where)
					}
				}
			}
			if !measured {
				t.Fatal("the call never stayed in the middle of a page long enough to measure")
			}
			// Run the call out, noting where the rest of it allocates (the
			// ends of pages and blocks, the post-page exchange, the end),
			// for the record; after the terminals are done its ticks
			// allocate nothing either.
			sites := allocSites(func() {
				for k := 0; k < 3000 && (tx.term == nil || !tx.term.Done()); k++ {
					step()
				}
			})
			for _, where := range slices.Sorted(maps.Keys(sites)) {
				t.Logf("rest of the call: %4d allocations at %s", sites[where], where)
			}
			if tx.term == nil {
				t.Fatal("the sender's call ended before its terminal was done")
			}
			if n := testing.AllocsPerRun(5, func() { tx.Tick() }); n != 0 {
				t.Errorf("a done call's Tick: %v allocations", n)
			}
			for k := 0; k < 100 && tx.State() != StateIdle; k++ {
				step()
			}
			if o, ok := s.Result(1); !ok || !o.OK() {
				t.Fatalf("the call: %v %+v", ok, o)
			}
		})
	}
}

// TestSecondCallNoAllocs: a channel keeps its terminal from call to call
// (Reset), so both ends' second call allocates nothing in the terminal, the
// modems, the HDLC transmitters, the page decoder or the engine's making;
// what it does allocate (the engine's frames and trace, the page coder, the
// pages received, this package's outcome) is logged.
func TestSecondCallNoAllocs(t *testing.T) {
	rate := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = rate }()
	s, step := manual(t, "100", "101")
	defer s.Stop(t.Context())
	tx, rx := s.byName["100"], s.byName["101"]
	call := func() JobID {
		id, err := s.Submit(Job{From: "100", To: "101", Pages: testPage(t), ECM: true})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	run := func(id JobID) {
		for k := 0; k < 6000; k++ {
			step()
			if _, ok := s.Result(id); ok && tx.State() == StateIdle && rx.State() == StateIdle {
				return
			}
		}
		t.Fatal("the call did not end")
	}
	first := call()
	run(first)
	if o, _ := s.Result(first); !o.OK() {
		t.Fatalf("the first call: %+v", o)
	}
	txTerm, rxTerm := tx.spare, rx.spare
	if txTerm == nil || rxTerm == nil || tx.term != nil || rx.term != nil {
		t.Fatalf("after the call: terminals %p %p, spares %p %p", tx.term, rx.term, txTerm, rxTerm)
	}
	pages := testPage(t)
	var second JobID
	sites := allocSites(func() {
		id, err := s.Submit(Job{From: "100", To: "101", Pages: pages, ECM: true})
		if err != nil {
			t.Fatal(err)
		}
		second = id
		for k := 0; k < 6000; k++ {
			step()
			if k == 100 && (tx.term != txTerm || rx.term != rxTerm) {
				t.Errorf("the second call runs on new terminals")
			}
			if _, ok := s.Result(id); ok && tx.State() == StateIdle && rx.State() == StateIdle {
				break
			}
		}
	})
	if o, ok := s.Result(second); !ok || !o.OK() {
		t.Fatalf("the second call: %v %+v", ok, o)
	}
	var total int64
	for _, where := range slices.Sorted(maps.Keys(sites)) {
		total += sites[where]
		if reuseSite(where) {
			t.Errorf("the second call allocates %d times at %s", sites[where], where)
		} else {
			t.Logf("%5d allocations at %s", sites[where], where)
		}
	}
	t.Logf("the second call: %d allocations in all", total)
}

// reuseSite reports whether a site (see allocSites) is one a channel's
// second call must not allocate at: in the terminal or package dsp, or
// making an HDLC transmitter or receiver, a page decoder or an engine.
func reuseSite(where string) bool {
	fn, _, _ := strings.Cut(where, " ")
	if strings.HasPrefix(fn, "t30/terminal.") || strings.HasPrefix(fn, "dsp/") {
		return true
	}
	switch fn {
	case "t30.NewHDLCTx", "t30.(*HDLCTx).Reconfigure", "t30.NewHDLCRx", "t30/t4.NewDecoder",
		"t30.NewEngine", "t30.(*Engine).Reset", "t30.(*Engine).start":
		return true
	}
	return false
}
