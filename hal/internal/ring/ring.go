// Package ring is the bounded lock-free queue the media server's hot path
// shares: hal/sched's entry queues (tasks joining a worker's shard) and
// hal/media's outgoing jobs (taken by whichever idle channel polls first).
//
// It is D. Vyukov's bounded multi-producer multi-consumer queue: each slot
// carries a sequence number that says whether it is free for the producer
// whose turn it is or full for the consumer whose turn it is, so producers
// and consumers claim positions with one compare-and-swap and never wait
// for a lock. No maintained Go library offers a bounded, allocation-free
// queue with this behaviour.
package ring

import "sync/atomic"

// A Queue is a bounded FIFO of T, safe for any number of producers and
// consumers. Push and Pop allocate nothing.
type Queue[T any] struct {
	mask  uint64
	slots []slot[T]
	_     [64]byte // keep the producers' cursor off the consumers' cache line
	tail  atomic.Uint64
	_     [64]byte
	head  atomic.Uint64
}

type slot[T any] struct {
	seq atomic.Uint64
	v   T
}

// New returns a queue holding at least n values (n rounded up to a power
// of two; at least 1).
func New[T any](n int) *Queue[T] {
	size := 1
	for size < n {
		size <<= 1
	}
	q := &Queue[T]{mask: uint64(size - 1), slots: make([]slot[T], size)}
	for i := range q.slots {
		q.slots[i].seq.Store(uint64(i))
	}
	return q
}

// Cap returns how many values the queue holds when full.
func (q *Queue[T]) Cap() int { return len(q.slots) }

// Len returns how many values are queued (a snapshot: producers and
// consumers may be moving it).
func (q *Queue[T]) Len() int {
	n := int64(q.tail.Load()) - int64(q.head.Load())
	if n < 0 {
		return 0
	}
	return min(int(n), len(q.slots))
}

// Push adds v and reports false when the queue is full.
func (q *Queue[T]) Push(v T) bool {
	for {
		pos := q.tail.Load()
		s := &q.slots[pos&q.mask]
		switch seq := s.seq.Load(); {
		case seq == pos:
			if q.tail.CompareAndSwap(pos, pos+1) {
				s.v = v
				s.seq.Store(pos + 1) // publishes v to the consumer
				return true
			}
		case seq < pos:
			return false // the consumer a lap behind has not freed this slot: full
		}
		// Another producer took this position: try the next.
	}
}

// Pop removes the oldest value and reports false when the queue is empty
// (or its oldest value is still being written).
func (q *Queue[T]) Pop() (T, bool) {
	var zero T
	for {
		pos := q.head.Load()
		s := &q.slots[pos&q.mask]
		switch seq := s.seq.Load(); {
		case seq == pos+1:
			if q.head.CompareAndSwap(pos, pos+1) {
				v := s.v
				s.v = zero                    // let the value go
				s.seq.Store(pos + q.mask + 1) // free for the producer a lap later
				return v, true
			}
		case seq < pos+1:
			return zero, false // empty, or a producer is still writing
		}
		// Another consumer took this position: try the next.
	}
}
