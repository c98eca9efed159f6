package bench

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestQuantilesOf(t *testing.T) {
	us := func(n int) time.Duration { return time.Duration(n) * time.Microsecond }
	thousand := make([]time.Duration, 1000)
	for i := range thousand {
		thousand[i] = us(1000 - i) // reversed: quantilesOf sorts
	}
	for _, c := range []struct {
		name string
		in   []time.Duration
		want Quantiles
	}{
		{"none", nil, Quantiles{}},
		{"one", []time.Duration{us(7)}, Quantiles{us(7), us(7), us(7), us(7)}},
		{"two", []time.Duration{us(9), us(1)}, Quantiles{us(1), us(9), us(9), us(9)}},
		{"1..1000", thousand, Quantiles{P50: us(500), P99: us(990), P999: us(999), Max: us(1000)}},
	} {
		if got := quantilesOf(c.in); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

// synthPeriods makes n periods of 10 chunks of 1 ms, wall and CPU,
// alternating compute and memory, each done 10 ms after its start; mod
// changes period i.
func synthPeriods(n int, mod func(i int, p *periodRecord)) []periodRecord {
	ps := make([]periodRecord, n)
	for i := range ps {
		p := &ps[i]
		p.at = time.Duration(i) * 20 * time.Millisecond
		p.done = 10 * time.Millisecond
		for k := range 10 {
			p.chunks = append(p.chunks, chunkRecord{kind: chunkKind(HostBoth, k), wall: time.Millisecond, cpu: time.Millisecond})
		}
		if mod != nil {
			mod(i, p)
		}
	}
	return ps
}

// TestAnalyseHost classifies synthetic periods: a chunk held off the CPU
// (wall over CPU, no switch), one that waited (the same with a switch),
// memory chunks slow on the CPU, a period overrunning its deadline, and
// normal periods.
func TestAnalyseHost(t *testing.T) {
	ms := time.Millisecond
	periods := synthPeriods(100, func(i int, p *periodRecord) {
		switch i {
		case 10: // held: chunk 3 took 5 ms, 1 ms on the CPU
			p.chunks[3].wall = 5 * ms
			p.done += 4 * ms
		case 20: // switched out: chunk 4 took 3 ms, 1 on the CPU, a switch
			p.chunks[4].wall = 3 * ms
			p.switches, p.involuntary = 1, 1
			p.done += 2 * ms
		case 30: // memory slow on the CPU: x2.5, five chunks, overrunning
			for k := 1; k < 10; k += 2 {
				p.chunks[k].wall, p.chunks[k].cpu = 2500*time.Microsecond, 2500*time.Microsecond
			}
			p.done += 7500 * time.Microsecond
			p.done += 3 * ms // and began late
			p.late = 3 * ms
		case 40: // small excess, under every threshold
			p.chunks[0].wall = 1400 * time.Microsecond
			p.done += 400 * time.Microsecond
		}
	})
	rep := &HostReport{Options: HostOptions{Duration: 2 * time.Second, Period: 20 * ms, Duty: 0.5, Work: HostBoth, Held: 500 * time.Microsecond, Slow: 1.5}}
	analyseHost(rep, []threadRecord{{cpu: 1, periods: periods, skipped: 1}})

	s := rep.All
	if len(rep.Threads) != 1 || rep.Threads[0].CPU != 1 || rep.Threads[0].HostStats.Held != s.Held {
		t.Fatalf("threads: %+v", rep.Threads)
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"periods", s.Periods, 100},
		{"skipped", s.Skipped, 1},
		{"missed", s.Missed, 2}, // period 30 and the skipped one
		{"missed switched", s.MissedSwitched, 0},
		{"switched", s.Switched, 1},
		{"switches", s.Switches, 1},
		{"involuntary", s.Involuntary, 1},
		{"held", s.Held, 1},
		{"held time", s.HeldTime, 4 * ms},
		{"held max", s.HeldMax, 4 * ms},
		{"waited", s.Waited, 1},
		{"waited time", s.WaitedTime, 2 * ms},
		{"slow", s.Slow, 5},
		{"slow periods", s.SlowPeriods, 1},
		{"slow max", s.SlowMax, 2.5},
		{"late max", s.LateMax, 3 * ms},
		{"done p50", s.Done.P50, 10 * ms},
		{"done max", s.Done.Max, 20500 * time.Microsecond},
		{"kinds", len(s.Kinds), 2},
		{"compute chunks", s.Kinds[0].Kind, HostCompute},
		{"compute n", s.Kinds[0].Chunks, 500},
		{"compute wall max", s.Kinds[0].Wall.Max, 3 * ms},
		{"memory wall max", s.Kinds[1].Wall.Max, 5 * ms},
		{"memory cpu max", s.Kinds[1].CPU.Max, 2500 * time.Microsecond},
		{"memory cpu p50", s.Kinds[1].CPU.P50, ms},
		{"worst", len(rep.Worst), 10},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// The worst periods, latest first, and why.
	for i, c := range []struct {
		at    time.Duration
		cause string
	}{
		{30 * 20 * ms, "ran slow on the CPU +7.5 ms (5 chunks, up to x2.5); began 3.0 ms late"},
		{10 * 20 * ms, "held off the CPU 4.0 ms (1 chunk)"},
		{20 * 20 * ms, "switched out 2.0 ms (1 chunk, 1 switch)"},
		{40 * 20 * ms, "none seen"},
	} {
		w := rep.Worst[i]
		if w.At != c.at || w.Cause != c.cause {
			t.Errorf("worst %d: at %v, %q; want at %v, %q", i, w.At, w.Cause, c.at, c.cause)
		}
	}
	if w := rep.Worst[1]; !w.Chunks[3].Held || w.Chunks[3].Slow || w.Chunks[2].Held {
		t.Errorf("held period's chunks: %+v", w.Chunks)
	}
	if w := rep.Worst[0]; !w.Chunks[1].Slow || w.Chunks[0].Slow || w.Chunks[1].Ratio != 2.5 {
		t.Errorf("slow period's chunks: %+v", w.Chunks)
	}
	want := "held off the CPU 1 time (longest 4.0 ms, 4.0 ms in all), slow on the CPU 5 times in 1 period (up to x2.5), switched out in 1 period (2.0 ms over its CPU time in 1 chunk): at 50% duty 1 period in 50 would miss (2 of 101, 1 skipped) (latest done 20.5 ms into its 20 ms)"
	if rep.Verdict != want {
		t.Errorf("verdict:\n%s\nwant\n%s", rep.Verdict, want)
	}
	var b bytes.Buffer
	if err := WriteHostReport(&b, rep); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"5.00h", "3.00w", "2.50s", "held off the CPU 4.0 ms", want} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, b.String())
		}
	}
}

// TestAnalyseHostQuiet: a run with nothing to report says so.
func TestAnalyseHostQuiet(t *testing.T) {
	rep := &HostReport{Options: HostOptions{Period: 20 * time.Millisecond, Duty: 0.5, Held: 500 * time.Microsecond, Slow: 1.5}}
	analyseHost(rep, []threadRecord{{cpu: -1, periods: synthPeriods(50, nil)}, {cpu: -1, periods: synthPeriods(50, nil)}})
	if rep.All.Periods != 100 || rep.Threads[1].Periods != 50 || rep.All.Held+rep.All.Slow+rep.All.Missed+rep.All.Waited != 0 {
		t.Errorf("%+v", rep.All)
	}
	want := "never held off the CPU, never slow on the CPU: at 50% duty no period of 100 would miss (latest done 10.0 ms into its 20 ms)"
	if rep.Verdict != want {
		t.Errorf("verdict %q", rep.Verdict)
	}
	// Every period switched out: holds could not be told.
	rep = &HostReport{Options: rep.Options}
	analyseHost(rep, []threadRecord{{cpu: -1, periods: synthPeriods(50, func(_ int, p *periodRecord) { p.switches = 2 })}})
	if want := "never held off the CPU in the 0 periods not switched out, never slow on the CPU, switched out in 50 periods (0.0 ms over its CPU time in 0 chunks)"; !strings.HasPrefix(rep.Verdict, want) || rep.All.Switches != 100 {
		t.Errorf("verdict %q, %d switches", rep.Verdict, rep.All.Switches)
	}
}

func TestMemoryChunk(t *testing.T) {
	buf := make([]uint64, 64) // 8 lines
	for i := range buf {
		buf[i] = uint64(i)
	}
	for _, c := range []struct {
		off, lines, next int
		sum              uint64
	}{
		{0, 3, 24, 0 + 8 + 16},
		{48, 3, 8, 48 + 56 + 0},      // wraps
		{0, 8, 0, 8 * 28},            // all of it
		{8, 17, 16, 2*8*28 + 8},      // twice round and one
		{56, 1, 0, 56},               // the last line
		{16, 0, 16, 0},               // nothing
		{40, 10, 56, 8*28 + 40 + 48}, // round to where it began, then two
	} {
		s, next := memoryChunk(buf, c.off, c.lines)
		if s != c.sum || next != c.next {
			t.Errorf("from %d, %d lines: sum %d next %d, want %d %d", c.off, c.lines, s, next, c.sum, c.next)
		}
	}
}

func TestHostOptions(t *testing.T) {
	o, err := HostOptions{}.withDefaults()
	if err != nil || o.Duration != time.Minute || o.Period != 20*time.Millisecond || o.Duty != 0.5 || o.Work != HostBoth || o.Threads < 1 || o.chunksPerPeriod() != 10 {
		t.Errorf("defaults: %+v, %v", o, err)
	}
	for _, bad := range []HostOptions{
		{Duty: 1.5}, {Duty: -0.1}, {Work: "disk"}, {Threads: -1}, {Duration: -time.Second},
		{MemBytes: 10}, {Slow: 0.9}, {Period: time.Millisecond, Chunk: 2 * time.Millisecond},
	} {
		if _, err := ProbeHost(context.Background(), bad); !errors.Is(err, ErrHostOptions) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

// TestRunPeriodNoAllocs: the measuring loop allocates nothing.
func TestRunPeriodNoAllocs(t *testing.T) {
	p := newProbeThread(0, HostOptions{Work: HostBoth, MemBytes: 1 << 20, Period: 5 * time.Millisecond})
	p.reps, p.lines = 10, 100
	rec := threadRecord{periods: make([]periodRecord, 1)}
	rec.periods[0].chunks = make([]chunkRecord, 4)
	if n := testing.AllocsPerRun(20, func() {
		p.wait(time.Now().Add(50 * time.Microsecond))
		p.runPeriod(&rec.periods[0], time.Now())
	}); n != 0 {
		t.Errorf("a period allocates %v times", n)
	}
	p.sleep = true
	if n := testing.AllocsPerRun(5, func() { p.wait(time.Now().Add(2 * time.Millisecond)) }); n != 0 {
		t.Errorf("a sleeping wait allocates %v times", n)
	}
}

// TestProbeHost: a short real run on one thread makes a coherent report.
func TestProbeHost(t *testing.T) {
	period := 10 * time.Millisecond
	rep, err := ProbeHost(context.Background(), HostOptions{Duration: 300 * time.Millisecond, Period: period, Threads: 1, MemBytes: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	s := rep.All
	if rep.ChunksPerPeriod != 5 || rep.ComputeReps < 1 || rep.MemoryLines < 1 || rep.ComputeChunk <= 0 || rep.MemoryChunk <= 0 {
		t.Errorf("calibration: %+v", rep)
	}
	// 30 periods in 300 ms, less any skipped.
	if s.Periods+s.Skipped < 29 || s.Periods+s.Skipped > 31 || s.Periods < 10 || s.Missed < s.Skipped {
		t.Errorf("%d periods, %d skipped, %d missed", s.Periods, s.Skipped, s.Missed)
	}
	if len(s.Kinds) != 2 || s.Kinds[0].Kind != HostCompute || s.Kinds[1].Kind != HostMemory || s.Kinds[0].Chunks != 3*s.Periods || s.Kinds[1].Chunks != 2*s.Periods {
		t.Errorf("kinds: %+v", s.Kinds)
	}
	for _, k := range s.Kinds {
		for _, q := range []Quantiles{k.Wall, k.CPU} {
			if q.P50 <= 0 || q.P50 > q.P99 || q.P99 > q.P999 || q.P999 > q.Max {
				t.Errorf("%s: quantiles %+v", k.Kind, q)
			}
		}
	}
	if s.Done.P50 <= 0 || s.Held > s.Periods*5 || s.HeldTime < 0 || s.WaitedTime < 0 || s.Slow > s.Periods*5 || s.SlowPeriods > s.Periods {
		t.Errorf("stats: %+v", s)
	}
	if len(rep.Worst) != min(10, s.Periods) || rep.Wall <= 0 || rep.Wall > time.Second || rep.Threads[0].CPU != -1 {
		t.Errorf("worst %d, wall %v", len(rep.Worst), rep.Wall)
	}
	for i, p := range rep.Worst {
		if p.Done < 0 || p.Late < 0 || p.CPU <= 0 || len(p.Chunks) != 5 || p.Cause == "" || (i > 0 && p.Done > rep.Worst[i-1].Done) {
			t.Errorf("worst %d: %+v", i, p)
		}
		for _, c := range p.Chunks {
			if c.Wall <= 0 || c.CPU <= 0 {
				t.Errorf("worst %d: chunk %+v", i, c)
			}
		}
	}
	if rep.Verdict == "" {
		t.Error("no verdict")
	}
	var b bytes.Buffer
	if err := WriteHostReport(&b, rep); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", b.String())
}

// TestProbeHostCancel: a cancelled run ends with the context's error.
func TestProbeHostCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := ProbeHost(ctx, HostOptions{Duration: time.Minute, Threads: 1, Work: HostCompute, Sleep: true})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%v", err)
	}
}
