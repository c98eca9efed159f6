package prefetch

import (
	"testing"
	"unsafe"
)

// TestSafe: a prefetch never faults and never writes, whatever it is
// given: nil, empty, unaligned, zero-sized, longer than MaxRange.
func TestSafe(t *testing.T) {
	buf := make([]byte, 3*MaxRange)
	for i := range buf {
		buf[i] = byte(i)
	}
	Range(nil, 100)
	Range(unsafe.Pointer(&buf[0]), 0)
	Range(unsafe.Pointer(&buf[1]), 1)
	Range(unsafe.Pointer(&buf[63]), 2) // across a line
	Range(unsafe.Pointer(&buf[5]), uintptr(len(buf)-5))
	Range(unsafe.Pointer(&buf[0]), ^uintptr(0)) // clamped to MaxRange
	Slice(buf)
	Slice(buf[:0])
	Slice([]byte(nil))
	Slice(make([]struct{}, 10))
	Object[[100]int](nil)
	Object(&struct{}{})
	Object(&[3]float64{})
	type big struct{ a [MaxRange * 2]byte }
	Object(new(big))
	for i := range buf {
		if buf[i] != byte(i) {
			t.Fatalf("byte %d changed", i)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	s := make([]float32, 512)
	x := new([64]int64)
	if n := testing.AllocsPerRun(100, func() {
		Slice(s)
		Object(x)
	}); n != 0 {
		t.Errorf("%v allocations a run", n)
	}
}

// node is a channel's state as a server holds it: a header and a pointer
// to more, each a few cache lines, scattered over the heap.
type node struct {
	vals [24]int64
	more *[48]int64
}

func walk(n *node) int64 {
	var s int64
	for _, v := range n.vals {
		s += v
	}
	for _, v := range n.more {
		s += v
	}
	return s
}

// BenchmarkWalk visits, in turn, more channels' state than the caches
// hold, as a worker's tick does, with and without prefetching the next
// one's while it works on this one.
func BenchmarkWalk(b *testing.B) {
	const n = 1 << 15 // 32768 × 576 B: 18 MB
	nodes := make([]*node, n)
	for i := range nodes {
		nodes[i] = &node{more: new([48]int64)}
		nodes[i].vals[0] = int64(i)
	}
	// Visit them out of allocation order, as channels come and go.
	for i := range nodes {
		j := int(uint32(i*2654435761) % n)
		nodes[i], nodes[j] = nodes[j], nodes[i]
	}
	for _, pf := range []bool{false, true} {
		name := "plain"
		if pf {
			name = "prefetch"
		}
		b.Run(name, func(b *testing.B) {
			var s int64
			for b.Loop() {
				for i, nd := range nodes {
					if pf && i+1 < n {
						Object(nodes[i+1])
						Object(nodes[i+1].more)
					}
					s += walk(nd)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/node")
			_ = s
		})
	}
}
