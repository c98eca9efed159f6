package sched

import (
	"sync/atomic"
	"time"
)

// histogram counts tick times in logarithmic buckets (a quarter octave
// each, from 1 µs), without locks: one writer, any readers.
type histogram struct {
	buckets [96]atomic.Uint64
}

func bucketOf(d time.Duration) int {
	us := float64(d) / float64(time.Microsecond)
	b := 0
	for v := 1.0; v < us && b < 95; v *= 1.189207115 { // 2^(1/4)
		b++
	}
	return b
}

func (h *histogram) add(d time.Duration) { h.buckets[bucketOf(d)].Add(1) }

// quantile returns the upper edge of the bucket holding quantile q.
func (h *histogram) quantile(q float64) time.Duration {
	s := h.snapshot()
	return s.Quantile(q)
}

func (h *histogram) snapshot() TickHistogram {
	var s TickHistogram
	for i := range h.buckets {
		s[i] = h.buckets[i].Load()
	}
	return s
}

// TickHistogram counts a worker's tick processing times in logarithmic
// buckets, a quarter octave each from 1 µs. Two snapshots' difference
// (Sub) is the histogram of the ticks between them.
type TickHistogram [96]uint64

// Sub returns h less an earlier snapshot of the same worker.
func (h TickHistogram) Sub(earlier TickHistogram) TickHistogram {
	for i := range h {
		h[i] -= earlier[i]
	}
	return h
}

// Add returns the sum of two histograms (of several workers, say).
func (h TickHistogram) Add(o TickHistogram) TickHistogram {
	for i := range h {
		h[i] += o[i]
	}
	return h
}

// Quantile returns the upper edge of the bucket holding quantile q (0 when
// empty): an overestimate by at most a quarter octave (19%).
func (h TickHistogram) Quantile(q float64) time.Duration {
	var total uint64
	for _, n := range h {
		total += n
	}
	if total == 0 {
		return 0
	}
	want := uint64(q * float64(total))
	var acc uint64
	edge := 1.0
	for _, n := range h {
		acc += n
		if acc > want {
			return time.Duration(edge * float64(time.Microsecond))
		}
		edge *= 1.189207115
	}
	return time.Duration(edge * float64(time.Microsecond))
}
