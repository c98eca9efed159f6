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
	var total uint64
	for i := range h.buckets {
		total += h.buckets[i].Load()
	}
	if total == 0 {
		return 0
	}
	want := uint64(q * float64(total))
	var acc uint64
	edge := 1.0
	for i := range h.buckets {
		acc += h.buckets[i].Load()
		if acc > want {
			return time.Duration(edge * float64(time.Microsecond))
		}
		edge *= 1.189207115
	}
	return time.Duration(edge * float64(time.Microsecond))
}
