package media

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus metrics. Counters that change at a
// call's end are ordinary vectors; everything the hot path counts (ticks,
// misses, tick times, channel states, network ticks) is read from the
// scheduler's and the channels' atomics when scraped, by collector, so
// that a tick does no metric work.
type metrics struct {
	calls *prometheus.CounterVec // direction, outcome
	pages *prometheus.CounterVec // direction
}

const namespace = "faxd"

func newMetrics(reg prometheus.Registerer, s *Server) (*metrics, error) {
	m := &metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "calls_total",
			Help: "Fax calls ended, by direction (in, out) and outcome (ok, failed: the fax did not complete, or the line's cause: busy, no-answer, unreachable, hangup, alarm, stopped, error).",
		}, []string{"direction", "outcome"}),
		pages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "pages_total",
			Help: "Fax pages sent (out) and received (in).",
		}, []string{"direction"}),
	}
	for _, c := range []prometheus.Collector{m.calls, m.pages, &collector{s: s}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// collector reads the hot path's own accounting when scraped.
type collector struct{ s *Server }

var (
	descChannels = prometheus.NewDesc(namespace+"_channels", "Channels by state.", []string{"state"}, nil)
	descTicks    = prometheus.NewDesc(namespace+"_sched_ticks_total", "Scheduler periods run, by worker.", []string{"worker"}, nil)
	descMisses   = prometheus.NewDesc(namespace+"_sched_deadline_misses_total", "Scheduler periods that started late or overran, by worker.", []string{"worker"}, nil)
	descTickTime = prometheus.NewDesc(namespace+"_sched_tick_seconds", "Time a worker spends on one period's ticks (quantiles from the scheduler's histogram; sum is the time busy).", []string{"worker"}, nil)
	descTickMax  = prometheus.NewDesc(namespace+"_sched_tick_max_seconds", "Longest period's ticks, by worker.", []string{"worker"}, nil)
	descTasks    = prometheus.NewDesc(namespace+"_sched_tasks", "Channels in each worker's shard.", []string{"worker"}, nil)
	descNetTicks = prometheus.NewDesc(namespace+"_network_ticks_total", "Ticks the server gave the driver's network.", nil, nil)
	descNetSkips = prometheus.NewDesc(namespace+"_network_skipped_ticks_total", "Network ticks skipped because the clock fell more than a period behind.", nil, nil)
	descQueued   = prometheus.NewDesc(namespace+"_jobs_queued", "Outgoing jobs waiting for any idle channel.", nil, nil)
)

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descChannels, descTicks, descMisses, descTickTime, descTickMax, descTasks, descNetTicks, descNetSkips, descQueued} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	var states [numStates]int
	for _, t := range s.chans {
		states[t.State()]++
	}
	for st, n := range states {
		ch <- prometheus.MustNewConstMetric(descChannels, prometheus.GaugeValue, float64(n), State(st).String())
	}
	for _, w := range s.sched.Stats() {
		id := strconv.Itoa(w.Worker)
		ch <- prometheus.MustNewConstMetric(descTicks, prometheus.CounterValue, float64(w.Ticks), id)
		ch <- prometheus.MustNewConstMetric(descMisses, prometheus.CounterValue, float64(w.Misses), id)
		ch <- prometheus.MustNewConstSummary(descTickTime, w.Ticks, w.Busy.Seconds(),
			map[float64]float64{0.5: w.P50.Seconds(), 0.99: w.P99.Seconds()}, id)
		ch <- prometheus.MustNewConstMetric(descTickMax, prometheus.GaugeValue, w.Max.Seconds(), id)
		ch <- prometheus.MustNewConstMetric(descTasks, prometheus.GaugeValue, float64(w.Tasks), id)
	}
	ch <- prometheus.MustNewConstMetric(descNetTicks, prometheus.CounterValue, float64(s.netTicks.Load()))
	ch <- prometheus.MustNewConstMetric(descNetSkips, prometheus.CounterValue, float64(s.netSkipped()))
	ch <- prometheus.MustNewConstMetric(descQueued, prometheus.GaugeValue, float64(s.queue.Len()))
}
