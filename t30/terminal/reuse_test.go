package terminal

import (
	"fmt"
	"maps"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faxd/faxd/dsp/line"
	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
)

// A reuseCall is one call of a sequence run on the same two terminals, A
// and B.
type reuseCall struct {
	name   string
	aCalls bool // A calls and sends the pages; else B does
	pages  int
	res    document.Resolution
	tune   func(*t30.Config)
	opt    Options
	line   line.Config
	modem  string // the modem the call must use
	// cutIn and cutAfter cut the call short (both terminals simply stop,
	// as when a server tears a channel down) once the sender has been
	// cutAfter blocks in a row in state cutIn; "" runs the call to its
	// end, which must be a success.
	cutIn    string
	cutAfter int
	release  bool // Release the terminals after the call
}

// reuseCalls changes roles, modems, ECM, levels and lines from call to
// call, and cuts two calls short in the middle of a page: whatever a call
// leaves behind in a terminal must not reach the next.
var reuseCalls = []reuseCall{
	{name: "V.17 non-ECM", aCalls: true, pages: 1, res: document.Fine, modem: "V.17",
		line: line.Config{NoiseDBm0: -50, Seed: 1}},
	{name: "V.17 ECM, B calls", pages: 2, res: document.Standard, modem: "V.17",
		tune:    func(c *t30.Config) { c.ECM = true },
		release: true,
		line:    line.Config{NoiseDBm0: -48, AttenuationDB: 6, Seed: 2}},
	{name: "V.29 non-ECM cut mid-page", aCalls: true, pages: 2, res: document.Fine, modem: "V.29",
		tune:  func(c *t30.Config) { c.Modems = t30.ModemV27ter | t30.ModemV29 },
		line:  line.Config{NoiseDBm0: -50, FreqOffsetHz: 3, Seed: 3},
		cutIn: "tx page", cutAfter: 40},
	{name: "V.27ter ECM, B calls", pages: 1, res: document.Standard, modem: "V.27ter",
		tune:    func(c *t30.Config) { c.Modems = t30.ModemV27ter; c.ECM = true },
		release: true,
		line:    line.Config{NoiseDBm0: -50, Seed: 4}},
	{name: "V.17 12000 ECM cut mid-block", aCalls: true, pages: 2, res: document.Fine, modem: "V.17",
		tune:  func(c *t30.Config) { c.MaxBPS = 12000; c.ECM = true },
		line:  line.Config{NoiseDBm0: -50, EchoDelay: 40, EchoDB: -30, Seed: 5},
		cutIn: "tx ECM block", cutAfter: 30},
	{name: "V.17 non-ECM, B calls, louder, after the cuts", pages: 2, res: document.Standard, modem: "V.17",
		opt:  Options{LevelDBm0: -10},
		line: line.Config{NoiseDBm0: -45, AttenuationDB: 10, Seed: 6}},
	{name: "V.29 7200 ECM no tones", aCalls: true, pages: 1, res: document.Fine, modem: "V.29",
		tune:    func(c *t30.Config) { c.Modems = t30.ModemV27ter | t30.ModemV29; c.MaxBPS = 7200; c.ECM = true },
		opt:     Options{NoTones: true},
		release: true,
		line:    line.Config{NoiseDBm0: -50, Seed: 7}},
	// Cut while B, calling, hears A's DIS preamble: its V.21 receiver has
	// the carrier and the flags.
	{name: "cut in the DIS preamble, B calls", pages: 1, res: document.Standard, modem: "",
		line:  line.Config{NoiseDBm0: -50, Seed: 9},
		cutIn: "wait DIS", cutAfter: 200},
	// B receives V.17 at 14400 bit/s again, on another line than in the
	// first call: a short train must not find that call's equaliser.
	{name: "V.17 non-ECM again, other line", aCalls: true, pages: 2, res: document.Fine, modem: "V.17",
		line: line.Config{NoiseDBm0: -47, AttenuationDB: 3, Seed: 8}},
}

// configs returns the configurations of terminals A and B for call c,
// the sender's sending src, the receiver's receiving into sink.
func (c reuseCall) configs(src *t30.MemorySource, sink *t30.MemorySink) (a, b t30.Config) {
	scfg := t30.Config{Caller: true, Source: src, Ident: "+1 555 0100"}
	rcfg := t30.Config{Sink: sink, Ident: "+1 555 0199"}
	if c.tune != nil {
		c.tune(&scfg)
		c.tune(&rcfg)
	}
	if !c.aCalls {
		return rcfg, scfg
	}
	return scfg, rcfg
}

// reuseRig is two terminals connected back to back, and the call they run.
type reuseRig struct {
	a, b       *Terminal
	ab, ba     *line.Line
	aIn, bIn   []int16
	aOut, bOut []int16
	sink       *t30.MemorySink
	source     *t30.MemorySource
	sender     *Terminal
}

// start starts call c on the rig: on new terminals, or on the rig's own
// terminals Reset.
func (r *reuseRig) start(t *testing.T, c reuseCall, reuse bool) {
	t.Helper()
	var pages []*document.Page
	for i := range c.pages {
		pages = append(pages, testPage(c.res, uint64(i)+uint64(len(c.name))))
	}
	r.sink, r.source = &t30.MemorySink{}, &t30.MemorySource{Pages: pages}
	acfg, bcfg := c.configs(r.source, r.sink)
	if reuse && r.a != nil {
		if err := r.a.Reset(acfg, c.opt); err != nil {
			t.Fatal(err)
		}
		if err := r.b.Reset(bcfg, c.opt); err != nil {
			t.Fatal(err)
		}
	} else {
		var err error
		if r.a, err = New(acfg, c.opt); err != nil {
			t.Fatal(err)
		}
		if r.b, err = New(bcfg, c.opt); err != nil {
			t.Fatal(err)
		}
	}
	r.sender = r.a
	if !c.aCalls {
		r.sender = r.b
	}
	lc := c.line
	r.ab = line.New(lc)
	lc.Seed += 100
	r.ba = line.New(lc)
	r.aIn, r.bIn = make([]int16, BlockSize), make([]int16, BlockSize)
	r.aOut, r.bOut = make([]int16, BlockSize), make([]int16, BlockSize)
}

// step runs a block, as call does.
func (r *reuseRig) step() {
	r.a.Prefetch()
	r.b.Prefetch()
	r.a.Process(r.aIn, r.aOut)
	r.b.Process(r.bIn, r.bOut)
	copy(r.bIn, r.aOut)
	copy(r.aIn, r.bOut)
	r.ab.Process(r.bIn, r.bIn)
	r.ba.Process(r.aIn, r.aIn)
}

func (r *reuseRig) done() bool { return r.a.Done() && r.b.Done() }

// results returns both terminals' results: the final ones, or those so
// far of a call cut short.
func (r *reuseRig) results() [2]*t30.Result {
	res := func(x *Terminal) *t30.Result {
		if x.Done() {
			return x.Result()
		}
		return x.Engine().Result()
	}
	return [2]*t30.Result{res(r.a), res(r.b)}
}

// TestReuseBitIdentical runs a sequence of different calls twice in
// lockstep: on new terminals for every call, and on two terminals Reset
// between calls. Every block of audio either terminal sends must be the
// same sample for sample, and so must the results and the pages received.
// The results handed out by the reused terminals are checked again after
// the last call: no later call may have changed them.
func TestReuseBitIdentical(t *testing.T) {
	var fresh, reused reuseRig
	var freshRes, reusedRes [][2]*t30.Result
	for _, c := range reuseCalls {
		fresh.start(t, c, false)
		reused.start(t, c, true)
		in, blocks := 0, 0
		for ; blocks < 8000/BlockSize*400 && !fresh.done(); blocks++ {
			fresh.step()
			reused.step()
			for i, pair := range [2][2][]int16{{fresh.aOut, reused.aOut}, {fresh.bOut, reused.bOut}} {
				if k := firstDiff(pair[0], pair[1]); k >= 0 {
					t.Fatalf("%s: block %d (%.2f s), terminal %c, sample %d: a new terminal sends %d, a reused one %d",
						c.name, blocks, float64(blocks*BlockSize)/8000, "AB"[i], k, pair[0][k], pair[1][k])
				}
			}
			if fs, rs := fresh.sender.Engine().State(), reused.sender.Engine().State(); fs != rs {
				t.Fatalf("%s: block %d: the new sender is in %s, the reused one in %s", c.name, blocks, fs, rs)
			}
			if c.cutIn != "" {
				if fresh.sender.Engine().State() != c.cutIn {
					in = 0
				} else if in++; in == c.cutAfter {
					break
				}
			}
		}
		if fresh.done() != reused.done() {
			t.Fatalf("%s: after %d blocks a new pair is done: %v, a reused pair: %v", c.name, blocks, fresh.done(), reused.done())
		}
		fr, rr := fresh.results(), reused.results()
		for i := range fr {
			if !reflect.DeepEqual(fr[i], rr[i]) {
				t.Errorf("%s: terminal %c's result differs\nnew:    %+v\nreused: %+v", c.name, "AB"[i], fr[i], rr[i])
			}
		}
		if !samePages(fresh.sink.Pages, reused.sink.Pages) {
			t.Errorf("%s: the pages received differ", c.name)
		}
		// The call did what it is there for.
		if c.cutIn != "" {
			if in != c.cutAfter || fresh.done() {
				t.Fatalf("%s: not cut in %s (%d blocks in it, done %v)", c.name, c.cutIn, in, fresh.done())
			}
		} else if !fr[0].OK() || !fr[1].OK() || len(fresh.sink.Pages) != c.pages {
			t.Fatalf("%s: %v (%s), %v (%s), %d pages received\n%s", c.name, fr[0].Code, fr[0].Cause, fr[1].Code, fr[1].Cause, len(fresh.sink.Pages), t30.FormatTrace(fr[0].Trace))
		}
		if fr[0].Modem != c.modem {
			t.Fatalf("%s: the call used %q, not %s", c.name, fr[0].Modem, c.modem)
		}
		t.Logf("%s: %s %d bit/s, ECM %v, %d blocks, done %v", c.name, fr[0].Modem, fr[0].BitRate, fr[0].ECM, blocks, fresh.done())
		freshRes = append(freshRes, fr)
		reusedRes = append(reusedRes, rr)
		// After some calls the terminals are put aside as a server does,
		// before their Reset; after the cuts they are not, so that what
		// Release drops is left for Reset to deal with.
		if c.release {
			reused.a.Release()
			reused.b.Release()
		}
	}
	for k, c := range reuseCalls {
		for i := range freshRes[k] {
			if !reflect.DeepEqual(freshRes[k][i], reusedRes[k][i]) {
				t.Errorf("%s: terminal %c's result changed after later calls\nnew:    %+v\nreused: %+v", c.name, "AB"[i], freshRes[k][i], reusedRes[k][i])
			}
		}
	}
}

func firstDiff(a, b []int16) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

func samePages(a, b []*document.Page) bool {
	return slices.EqualFunc(a, b, samePage)
}

// reuseAllocSite reports whether an allocation's site (see allocSites) is
// one a reused terminal's call must not have: the terminal's own, the
// modems' and tones' (package dsp), the HDLC transmitters', the page
// decoder's and the engine's making.
func reuseAllocSite(where string) bool {
	if strings.HasPrefix(where, "runtime ") {
		return false // see allocSite
	}
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

// TestReuseNoAllocs: after a first call, a whole second call of the same
// kind on the same two terminals, Reset, allocates nothing in the
// terminal, the modems, the HDLC transmitters, the page decoder or the
// engine's making. What it allocates elsewhere (the engine's frames,
// commands and trace, the page coder; the pages received) is logged.
func TestReuseNoAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs six calls with the memory profiler on every allocation")
	}
	rate := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = rate }()
	for _, c := range []reuseCall{reuseCalls[0], reuseCalls[1], reuseCalls[3]} {
		t.Run(c.name, func(t *testing.T) {
			var r reuseRig
			run := func() {
				for k := 0; k < 8000/BlockSize*400 && !r.done(); k++ {
					r.step()
				}
			}
			r.start(t, c, true)
			run()
			// The second call's lines, pages and sink are made before the
			// measure; the terminals are Reset in it.
			a, b := r.a, r.b
			lc := c.line
			lc.Seed += 10
			r.ab = line.New(lc)
			lc.Seed += 100
			r.ba = line.New(lc)
			pages := make([]*document.Page, c.pages)
			for i := range pages {
				pages[i] = testPage(c.res, uint64(i))
			}
			sink := &t30.MemorySink{}
			acfg, bcfg := c.configs(&t30.MemorySource{Pages: pages}, sink)
			sites := allocSites(func() {
				if err := a.Reset(acfg, c.opt); err != nil {
					t.Error(err)
				}
				if err := b.Reset(bcfg, c.opt); err != nil {
					t.Error(err)
				}
				run()
			})
			if !r.done() || !a.Result().OK() || !b.Result().OK() || len(sink.Pages) != c.pages {
				t.Fatalf("the second call: done %v, %v, %v, %d pages", r.done(), a.Result(), b.Result(), len(sink.Pages))
			}
			var total int64
			for _, where := range slices.Sorted(maps.Keys(sites)) {
				total += sites[where]
				if reuseAllocSite(where) {
					t.Errorf("the second call allocates %d times at %s", sites[where], where)
				} else {
					t.Logf("%5d allocations at %s", sites[where], where)
				}
			}
			t.Logf("the second call: %d allocations in all", total)
		})
	}
}

// allocSites runs f and returns where it allocated: the innermost
// function of the module on each allocation's stack, with its file and
// line, and how many times (as hal/media's). runtime.MemProfileRate must
// be 1.
func allocSites(f func()) map[string]int64 {
	snapshot := func() map[[32]uintptr]int64 {
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
		out := make(map[[32]uintptr]int64, n)
		for _, r := range recs[:n] {
			out[r.Stack0] += r.AllocObjects
		}
		return out
	}
	before := snapshot()
	f()
	after := snapshot()
	sites := map[string]int64{}
	for stack, n := range after {
		if d := n - before[stack]; d > 0 {
			if where := allocSite(stack); where != "" {
				sites[where] += d
			}
		}
	}
	return sites
}

// allocSite names the innermost function of the module on an allocation's
// stack with its file and line; "" for the snapshots' own and the
// runtime's goroutines'. The caches the runtime keeps at a type assertion
// or type switch to an interface are named "runtime type cache at" the
// site: the runtime grows them now and then, at random (about one miss in
// a thousand), until they hold every type seen there, a cost of the first
// calls, not of every call.
func allocSite(stack [32]uintptr) string {
	frames := runtime.CallersFrames(stack[:])
	where, cache := "", false
	for {
		fr, more := frames.Next()
		if strings.Contains(fr.Function, "allocSites.func") {
			return ""
		}
		switch fr.Function {
		case "runtime.buildTypeAssertCache", "runtime.buildInterfaceSwitchCache", "runtime.itabAdd":
			cache = true
		}
		if where == "" && strings.HasPrefix(fr.Function, "github.com/faxd/faxd/") {
			where = fmt.Sprintf("%s (%s:%d)", strings.TrimPrefix(fr.Function, "github.com/faxd/faxd/"), fr.File[strings.LastIndex(fr.File, "/faxd/")+1:], fr.Line)
			if cache {
				where = "runtime type cache at " + where
			}
		}
		if !more {
			return where
		}
	}
}

// TestReleaseLetsGo: a terminal put aside with Release keeps neither the
// pages it sent nor those it received, whether its call ended or was cut
// short mid-page.
func TestReleaseLetsGo(t *testing.T) {
	for _, c := range []reuseCall{reuseCalls[1], reuseCalls[4]} {
		t.Run(c.name, func(t *testing.T) {
			var r reuseRig
			r.start(t, c, true)
			var freed atomic.Int32
			for i := 0; i < 8000/BlockSize*400 && !r.done(); i++ {
				r.step()
				if c.cutIn != "" && r.sender.Engine().State() == c.cutIn {
					break
				}
			}
			// The pages sent and received, the source and the sink are
			// reachable only through the terminals once the rig forgets
			// them.
			pages := append(slices.Clone(r.source.Pages), r.sink.Pages...)
			if len(pages) == 0 {
				t.Fatal("no pages")
			}
			for _, p := range pages {
				runtime.AddCleanup(p, func(*atomic.Int32) { freed.Add(1) }, &freed)
			}
			runtime.AddCleanup(r.sink, func(*atomic.Int32) { freed.Add(1) }, &freed)
			runtime.AddCleanup(r.source, func(*atomic.Int32) { freed.Add(1) }, &freed)
			want := int32(len(pages) + 2)
			r.sink, r.source, pages = nil, nil, nil
			r.a.Release()
			r.b.Release()
			for range 50 {
				runtime.GC()
				if freed.Load() == want {
					break
				}
				time.Sleep(time.Millisecond)
			}
			if n := freed.Load(); n != want {
				t.Errorf("%d of the source, the sink and their %d pages freed after Release", n, want-2)
			}
			runtime.KeepAlive(r.a)
			runtime.KeepAlive(r.b)
		})
	}
}
