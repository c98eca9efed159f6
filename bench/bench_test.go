package bench

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCountErrors(t *testing.T) {
	sent := RandomBits(400, 1)
	if _, e, n := CountErrors(sent, sent, false); e != 0 || n != 400 {
		t.Errorf("identical: %d errors of %d", e, n)
	}
	got := append([]byte(nil), sent[:390]...)
	got[5] ^= 1
	if _, e, _ := CountErrors(sent, got, false); e != 11 {
		t.Errorf("one flipped, ten missing: %d errors", e)
	}
	lead := append(RandomBits(37, 2), sent...)
	if off, e, _ := CountErrors(sent, lead, true); off != 37 || e != 0 {
		t.Errorf("37 leading bits: offset %d, %d errors", off, e)
	}
}

// TestTimeAndSweep runs the harness briefly on our modems: every receiver
// decodes what it is timed on, and the sweep's figures fall with SNR.
func TestTimeAndSweep(t *testing.T) {
	impls := []Impl{Ours()}
	for _, m := range []ModemRate{{"v21", 300}, {"v27ter", 4800}, {"v29", 9600}} {
		ts, err := TimeModems(impls, m, TimeConfig{Seconds: 0.5, Rounds: 1, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) != 1 || ts[0].RxDecoded != 1 || ts[0].TxNsPerSample <= 0 || ts[0].RxChannelsPerCore <= 0 {
			t.Errorf("%v: %+v", m, ts)
		}
	}
	pts, err := BERSweep(impls, ModemRate{"v29", 9600}, SweepConfig{SNRs: []float64{12, 30}, Trials: 1, Seconds: 0.5, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || pts[1].Errors != 0 || pts[0].Errors == 0 || pts[1].Delivered != 1 {
		t.Errorf("sweep: %+v", pts)
	}
	if _, err := TimeModems(impls, ModemRate{"v34", 33600}, TimeConfig{Seconds: 1}); err == nil {
		t.Error("an unknown modem was timed")
	}

	var buf bytes.Buffer
	if err := WriteBERCSV(&buf, pts); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][6] != "ber" {
		t.Errorf("CSV: %v %v", rows, err)
	}
	buf.Reset()
	if err := WriteTimingTable(&buf, []Timing{{ModemRate: ModemRate{"v29", 9600}, Impl: "faxd", TxNsPerSample: 10, RxNsPerSample: 40},
		{ModemRate: ModemRate{"v29", 9600}, Impl: "peer", TxNsPerSample: 20, RxNsPerSample: 60}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "1.50x") || !strings.Contains(buf.String(), "2.00x") {
		t.Errorf("table lacks the ratios:\n%s", buf.String())
	}
	dir := t.TempDir()
	for _, name := range []string{"ber.svg", "ber.png"} {
		if err := PlotBER(filepath.Join(dir, name), pts); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() < 1000 {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := PlotBER(filepath.Join(dir, "ber.txt"), pts); err == nil {
		t.Error("a plot in .txt was accepted")
	}
	// A sweep with no error anywhere: every point on the measurement's
	// floor, one value on the log axis.
	clean := []BERPoint{{ModemRate: ModemRate{"v17", 14400}, Impl: "faxd", SNR: 22, Bits: 1000},
		{ModemRate: ModemRate{"v17", 14400}, Impl: "faxd", SNR: 24, Bits: 1000}}
	if err := PlotBER(filepath.Join(dir, "clean.svg"), clean); err != nil {
		t.Errorf("error-free sweep: %v", err)
	}
}

func TestBareCalls(t *testing.T) {
	page, err := LetterPage()
	if err != nil {
		t.Fatal(err)
	}
	c, err := BareCalls(2, page, false)
	if err != nil {
		t.Fatal(err)
	}
	if c.CallSeconds < 2*20 || c.CPUPerCallSecond <= 0 {
		t.Fatalf("%+v", c)
	}
	t.Logf("%+v", c)
}

func BenchmarkBareCalls(b *testing.B) {
	page, err := LetterPage()
	if err != nil {
		b.Fatal(err)
	}
	var cpu time.Duration
	for range b.N {
		c, err := BareCalls(20, page, false)
		if err != nil {
			b.Fatal(err)
		}
		cpu += c.CPUPerCallSecond
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/call-s")
}

func mustPeriod(t *testing.T) time.Duration {
	d, err := time.ParseDuration(testPeriod)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestRunServer: a small density run faster than real time (its workers
// at nice 3, which needs no privilege, collections forced in the window
// and the channels' ticks timed): every call confirmed, the accounting
// filled in.
func TestRunServer(t *testing.T) {
	page, err := LetterPage()
	if err != nil {
		t.Fatal(err)
	}
	r, err := RunServer(context.Background(), ServerConfig{Calls: 3, Ramp: 50 * time.Millisecond, Duration: 100 * time.Millisecond, Period: mustPeriod(t), Page: page, BareCalls: 1, Nice: 3, ForceGC: 40 * time.Millisecond, TimeTasks: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.Placed < 3 || r.Confirmed != r.Placed || r.Failed != 0 || r.CallSeconds < 3*20 || r.Ticks == 0 || r.CPUPerCallSecond <= 0 || r.Bare.CPUPerCallSecond <= 0 || r.BarePaced.CPUPerCallSecond <= 0 || r.BarePaced.Confirmed != 1 || r.Nice != 3 {
		t.Fatalf("%+v", r)
	}
	// The window's timeline adds up to its figures: a point a second, the
	// last at the window's end.
	var misses uint64
	for _, p := range r.Timeline {
		misses += p.Misses
	}
	if len(r.Timeline) != 1 || r.Timeline[0].At != 100*time.Millisecond || misses != r.WindowMisses || r.Timeline[0].P50 == 0 || r.Timeline[0].CPUP50 == 0 || r.NetTickMean <= 0 || r.NetTickMax < r.NetTickMean {
		t.Errorf("timeline %+v (window misses %d), network ticks %v mean, %v max", r.Timeline, r.WindowMisses, r.NetTickMean, r.NetTickMax)
	}
	// The heap's figures at the window's end: a collection ran before
	// the server started, so some heap was found live.
	if r.HeapLive == 0 || r.HeapGoal < r.HeapLive {
		t.Errorf("heap live %d, goal %d", r.HeapLive, r.HeapGoal)
	}
	if r.WindowGCs == 0 {
		t.Error("no collection in the window, forced every 40 ms")
	}
	// Timed, a worker names its slowest channel tick.
	named := false
	for _, w := range r.PerWorker {
		named = named || w.SlowTask.D > 0 && w.SlowTask.Task != ""
	}
	if !named {
		t.Errorf("no slowest task named: %+v", r.PerWorker)
	}
	var buf bytes.Buffer
	if err := WriteServerTable(&buf, []*ServerRun{r}); err != nil || !strings.Contains(buf.String(), "calls/core") {
		t.Fatalf("table: %v\n%s", err, buf.String())
	}
}
