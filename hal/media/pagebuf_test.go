package media

import (
	"maps"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/faxd/faxd/t30/document"
)

// letterPage is a page of text the length of a letter: its image, coded,
// is the tens of kilobytes a call's page buffers hold.
func letterPage(t testing.TB) []*document.Page {
	text := "A letter\n\n" + strings.Repeat("The quick brown fox jumps over the lazy dog, 0123456789 times.\n", 55)
	p, err := document.RenderText([]byte(text), &document.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p[:1]
}

// pageSites are where a call's page images were allocated, with the bytes
// a call may still allocate there: the coded page Prepare copied out
// (some 70 KB a letter page), the received page's octets the engine grew
// and CodedSink.EndPage copied (some 40 KB), and the pool's misses they
// would be now. Prepare, EndPage and the ECM receiver's block end still
// make small things (a Prepared, a row buffer, a ReceivedPage, a
// closure), never a page. (The pool's other sites are sync.Pool's upkeep
// after a collection: a few hundred bytes, once a collection.)
var pageSites = []struct {
	fn  string
	max int64 // bytes a call
}{
	{"t30/internal/pagebuf.newBuffer", 0},
	{"t30/t4.Prepare ", 1 << 10},
	{"t30.(*CodedSink).EndPage ", 256},
	{"t30.(*Engine).ImageOctets ", 0},
	{"t30.(*Engine).ImageBits ", 0},
	{"t30.(*Engine).pushBit ", 0},
	{"t30.(*Engine).flushBits ", 0},
	{"t30.(*Engine).ecmAccept ", 1 << 10},
	{"t30.(*Engine).gotPostPage ", 1 << 10},
}

// TestCallPagesNoGarbage: once a server has run a few calls, a call whose
// job is done (its prepared pages released at the call's end) and whose
// received fax is released allocates no page image: Prepare's output, the
// engine's received page and the sink's page come from buffers earlier
// calls gave back.
func TestCallPagesNoGarbage(t *testing.T) {
	if raceOn {
		t.Skip("the race detector makes sync.Pool drop items at random")
	}
	rate := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = rate }()
	// One P: sync.Pool keeps a buffer put last in its P's private slot,
	// which a Get on another P does not see, so a test goroutine moved
	// between Ps would miss now and then. (A server's many calls on every
	// P miss seldom: each P's own buffers come back to it.)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	pages := letterPage(t)
	for _, ecm := range []bool{false, true} {
		t.Run(map[bool]string{false: "non-ECM", true: "ECM"}[ecm], func(t *testing.T) {
			s, step := manual(t, "100", "101")
			defer s.Stop(t.Context())
			rx := s.byName["101"]
			call := func() {
				id, err := s.Submit(Job{From: "100", To: "101", Pages: pages, ECM: ecm})
				if err != nil {
					t.Fatal(err)
				}
				var in []*Received
				for k := 0; k < 10000 && len(in) == 0; k++ {
					step()
					if _, done := s.Result(id); done && rx.State() == StateIdle {
						in, _ = s.TakeAllInbox()
					}
				}
				o, _ := s.Result(id)
				if o == nil || !o.OK() || len(in) != 1 || !in[0].OK() || len(in[0].Pages) != 1 {
					t.Fatalf("the call: %+v, received %+v", o, in)
				}
				for _, r := range in {
					r.Release()
				}
			}
			call()
			call()
			// No collection but allocProfile's own during the call: a
			// second one would empty the pools (sync.Pool keeps what it
			// holds over one collection), as a server making little
			// garbage seldom sees.
			defer debug.SetGCPercent(debug.SetGCPercent(-1))
			prof := allocProfile(call)
			var total int64
			for _, where := range slices.Sorted(maps.Keys(prof)) {
				total += prof[where].bytes
				// The ECM receiver's frame buffers (256 of up to 256
				// octets, grown by each engine: not pages); the page
				// data it collects would be kilobytes at once.
				if strings.HasPrefix(where, "t30.(*Engine).ecmFrame ") {
					t.Logf("ECM frames: %6d bytes in %3d allocations at %s", prof[where].bytes, prof[where].objects, where)
					if a := prof[where]; a.bytes > 4<<10*a.objects {
						t.Errorf("a call allocated %d bytes (%d allocations) at %s: page data", a.bytes, a.objects, where)
					}
				}
				for _, ps := range pageSites {
					if !strings.HasPrefix(where, ps.fn) {
						continue
					}
					t.Logf("page site: %6d bytes in %3d allocations at %s", prof[where].bytes, prof[where].objects, where)
					if prof[where].bytes > ps.max {
						t.Errorf("a call allocated %d bytes (%d allocations) at %s: at most %d wanted", prof[where].bytes, prof[where].objects, where, ps.max)
					}
				}
			}
			t.Logf("the whole call (job submitted, sent, received, released): %d bytes", total)
		})
	}
}
