package sched

import (
	"sync/atomic"
	"time"
)

// ring is a bounded queue of tasks for many producers and one consumer,
// without locks: each slot carries a sequence number that says whether it
// is free for the producer whose turn it is or full for the consumer
// (D. Vyukov's bounded MPMC queue, used here with a single consumer).
type ring struct {
	mask  uint64
	slots []slot
	_     [64]byte // keep the producers' cursor off the consumer's cache line
	tail  atomic.Uint64
	_     [64]byte
	head  atomic.Uint64
}

type slot struct {
	seq  atomic.Uint64
	task Task
}

func newRing(n int) *ring {
	size := 1
	for size < n {
		size <<= 1
	}
	r := &ring{mask: uint64(size - 1), slots: make([]slot, size)}
	for i := range r.slots {
		r.slots[i].seq.Store(uint64(i))
	}
	return r
}

// push adds t and reports false when the ring is full.
func (r *ring) push(t Task) bool {
	for {
		pos := r.tail.Load()
		s := &r.slots[pos&r.mask]
		switch seq := s.seq.Load(); {
		case seq == pos:
			if r.tail.CompareAndSwap(pos, pos+1) {
				s.task = t
				s.seq.Store(pos + 1) // publishes the task to the consumer
				return true
			}
		case seq < pos:
			return false // the consumer has not freed this slot: full
		}
		// Another producer took this position: try the next.
	}
}

// pop removes the oldest task; only the owning worker calls it.
func (r *ring) pop() (Task, bool) {
	pos := r.head.Load()
	s := &r.slots[pos&r.mask]
	if s.seq.Load() != pos+1 {
		return nil, false // empty, or a producer is still writing
	}
	t := s.task
	s.task = nil
	r.head.Store(pos + 1)
	s.seq.Store(pos + r.mask + 1) // free for the producer a lap later
	return t, true
}

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
