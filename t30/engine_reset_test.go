package t30

import (
	"reflect"
	"testing"
	"time"

	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/t4"
)

// TestEngineReset runs a sequence of calls (roles swapped, ECM and not,
// with RTN, PPR, FTT, a call cut short) twice: on new engines for every
// call, and on two engines Reset between calls. Each call's results,
// commands' effects and pages must be the same both ways, and the results
// handed out by the reused engines must not change with the calls after.
func TestEngineReset(t *testing.T) {
	damage := func(w *wire) {
		w.image = func(n int, data []byte) {
			if n == 0 {
				for i := len(data) / 10; i < len(data)*6/10; i += 7 {
					data[i] ^= 0x5A
				}
			}
		}
	}
	calls := []struct {
		name   string
		swap   bool // the second engine calls
		pages  int
		res    document.Resolution
		tx, rx Config
		setup  func(*wire)
		limit  time.Duration // cut the call here; 0 runs it out
	}{
		{name: "non-ECM RTN", pages: 2, res: document.Standard, rx: Config{ScanTime: Scan0ms}, setup: damage},
		{name: "ECM PPR, swapped", swap: true, pages: 2, res: document.Fine,
			tx: Config{ECM: true}, rx: Config{ECM: true, ScanTime: Scan0ms},
			setup: func(w *wire) { w.ecmBad = func(n, pass int) bool { return pass < 3 && n%5 == 2 } }},
		{name: "ECM cut short", pages: 3, res: document.Fine, tx: Config{ECM: true, MaxCoding: t4.MR}, rx: Config{ECM: true, ScanTime: Scan0ms},
			limit: 16 * time.Second},
		{name: "FTT fallback, swapped", swap: true, pages: 1, res: document.Standard, rx: Config{ScanTime: Scan0ms},
			setup: func(w *wire) {
				w.tcfZeros = func(r Rate) int {
					if r == V17_14400 {
						return 10
					}
					return 1500
				}
			}},
		{name: "non-ECM cut short", pages: 3, res: document.Fine, rx: Config{ScanTime: Scan0ms}, limit: 12 * time.Second},
		{name: "ECM 64-octet frames, MH", pages: 2, res: document.Fine, tx: Config{ECM: true, Frame64: true, MaxCoding: t4.MH},
			rx: Config{ECM: true, Frame64: true, ScanTime: Scan0ms}},
	}
	var kept [2]*Engine
	var freshRes, keptRes [][2]*Result
	for _, c := range calls {
		run := func(reuse bool) ([2]*Result, *MemorySink, string) {
			sink := &MemorySink{}
			tx, rx := c.tx, c.rx
			tx.Caller, tx.Ident = true, "+1 555 0100"
			tx.Source = &MemorySource{Pages: testPages(c.pages, c.res, 150)}
			rx.Sink, rx.Ident = sink, "+44 20 7946"
			w := &wire{t: t, ecmPass: map[int]int{}}
			w.sent[0], w.sent[1] = map[FCF]int{}, map[FCF]int{}
			if reuse && kept[0] != nil {
				e := kept
				if c.swap {
					e[0], e[1] = e[1], e[0]
				}
				e[0].Reset(tx)
				e[1].Reset(rx)
				w.e = e
			} else {
				w.e[0], w.e[1] = NewEngine(tx), NewEngine(rx)
				if reuse {
					kept = w.e
					if c.swap {
						kept[0], kept[1] = kept[1], kept[0]
					}
				}
			}
			if c.setup != nil {
				c.setup(w)
			}
			limit := c.limit
			if limit == 0 {
				limit = 30 * time.Minute
			}
			w.run(limit)
			var res [2]*Result
			for i := range res {
				if res[i] = w.res[i]; res[i] == nil {
					res[i] = w.e[i].Result()
				}
			}
			return res, sink, w.e[0].State() + " / " + w.e[1].State()
		}
		fr, fsink, fst := run(false)
		rr, rsink, rst := run(true)
		if fst != rst {
			t.Errorf("%s: the new engines end in %s, the reused in %s", c.name, fst, rst)
		}
		for i := range fr {
			if !reflect.DeepEqual(fr[i], rr[i]) {
				t.Errorf("%s: side %d's result differs\nnew:\n%v\n%s\nreused:\n%v\n%s", c.name, i, fr[i], FormatTrace(fr[i].Trace), rr[i], FormatTrace(rr[i].Trace))
			}
		}
		if !reflect.DeepEqual(fsink, rsink) {
			t.Errorf("%s: the pages received differ (%d, %d)", c.name, len(fsink.Pages), len(rsink.Pages))
		}
		if c.limit != 0 {
			if fr[0].Code != CompletedOK || fr[0].PagesSent == c.pages || fst == "done / done" {
				t.Fatalf("%s: not cut short (%s, %d pages sent)", c.name, fst, fr[0].PagesSent)
			}
		} else if !fr[0].OK() || !fr[1].OK() || len(fsink.Pages) != c.pages {
			t.Fatalf("%s: %v, %v, %d pages", c.name, fr[0], fr[1], len(fsink.Pages))
		}
		t.Logf("%s: %s; %v", c.name, fst, fr[0])
		freshRes, keptRes = append(freshRes, fr), append(keptRes, rr)
	}
	for k, c := range calls {
		for i := range freshRes[k] {
			if !reflect.DeepEqual(freshRes[k][i], keptRes[k][i]) {
				t.Errorf("%s: side %d's result changed after later calls", c.name, i)
			}
		}
	}
}
