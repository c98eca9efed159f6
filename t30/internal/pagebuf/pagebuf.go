// Package pagebuf pools the buffers that hold page images (coded pages
// prepared for sending, pages received): a media server running thousands
// of calls at once otherwise makes tens of kilobytes of garbage a page,
// and the collector's runs cost it real-time deadlines.
//
// It is written by hand over sync.Pool because sync.Pool alone does
// neither thing a page buffer pool needs: it keeps no size classes (a
// 2 KB buffer handed back would be given to a caller that wants 60 KB,
// which then grows it and lets it go), and it hands a value back as it
// was put (a page image must never show up in another call: the product
// promises it never leaks a document). So buffers come in power-of-two
// size classes, each a sync.Pool; Put clears a buffer before it is pooled;
// and a buffer whose capacity is not a class's (one grown by append) is
// left to the collector, so that every pooled buffer is whole and zeroed.
package pagebuf

import (
	"math/bits"
	"sync"
)

// The size classes, in elements: 1<<minShift .. 1<<maxShift. Larger
// buffers are made and left to the collector: a page that big is rare,
// and keeping it would hold its memory for good.
const (
	minShift = 8
	maxShift = 20
)

// MaxPooled is the largest capacity (in elements) a Pool keeps.
const MaxPooled = 1 << maxShift

// A Pool keeps zeroed buffers of E in power-of-two size classes. The zero
// Pool is ready to use; a Pool must not be copied after first use.
type Pool[E any] struct {
	classes [maxShift - minShift + 1]sync.Pool // of *[]E, full capacity, zeroed
	// spare holds the *[]E of buffers taken out, for Put to reuse: the
	// pools keep pointers so that Put does not allocate one to box a
	// slice (staticcheck SA6002), and Get frees one each time.
	spare sync.Pool
}

// Bytes pools page octets: prepared pages' coded streams and received
// pages' data.
var Bytes Pool[byte]

// class returns the class index of capacity n, and false when no class
// holds n.
func class(n int) (int, bool) {
	if n > MaxPooled {
		return 0, false
	}
	s := max(bits.Len(uint(max(n, 1)-1)), minShift)
	return s - minShift, true
}

// Get returns a zeroed buffer of length n and capacity at least n: the
// size class's capacity when n fits one (for Put to take back), exactly n
// otherwise. The buffer is the caller's until it Puts it.
func (p *Pool[E]) Get(n int) []E {
	k, ok := class(n)
	if !ok {
		return newBuffer[E](n, n)
	}
	if h, _ := p.classes[k].Get().(*[]E); h != nil {
		b := *h
		*h = nil
		p.spare.Put(h)
		return b[:n]
	}
	return newBuffer[E](n, 1<<(k+minShift))
}

// newBuffer makes a buffer the pool did not have: its own function, so
// that allocation profiles tell a pool's misses from sync.Pool's upkeep.
func newBuffer[E any](n, c int) []E {
	return make([]E, n, c)
}

// Put clears b on its whole capacity and pools it, when that capacity is
// a size class's; any other buffer is left to the collector. The caller
// gives b up: neither it nor any slice of the same array may be used
// after, as another caller may get it.
func (p *Pool[E]) Put(b []E) {
	c := cap(b)
	if c < 1<<minShift || c&(c-1) != 0 {
		return // not a class's size: grown by append, or made elsewhere
	}
	k, ok := class(c)
	if !ok {
		return
	}
	b = b[:c]
	clear(b)
	h, _ := p.spare.Get().(*[]E)
	if h == nil {
		h = new([]E)
	}
	*h = b[:0]
	p.classes[k].Put(h)
}
