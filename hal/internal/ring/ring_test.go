package ring

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

func TestOrderAndFull(t *testing.T) {
	q := New[int](3) // rounded up to 4
	if q.Cap() != 4 {
		t.Fatalf("cap %d, want 4", q.Cap())
	}
	for lap := range 3 { // wrap around the slots a few times
		for i := range 4 {
			if !q.Push(10*lap + i) {
				t.Fatalf("lap %d: push %d refused", lap, i)
			}
		}
		if q.Push(99) {
			t.Fatalf("lap %d: a full queue took a fifth value", lap)
		}
		if q.Len() != 4 {
			t.Fatalf("lap %d: len %d", lap, q.Len())
		}
		for i := range 4 {
			if v, ok := q.Pop(); !ok || v != 10*lap+i {
				t.Fatalf("lap %d: pop %d: %v %v", lap, i, v, ok)
			}
		}
		if v, ok := q.Pop(); ok {
			t.Fatalf("lap %d: an empty queue gave %v", lap, v)
		}
	}
}

// TestConcurrent: many producers and many consumers (run with -race):
// every value comes out exactly once, and each producer's values in the
// order it pushed them as seen by any one consumer.
func TestConcurrent(t *testing.T) {
	const producers, consumers, per = 4, 4, 5000
	q := New[uint64](64)
	var seen [producers * per]atomic.Int32
	var got atomic.Int64
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range per {
				v := uint64(p*per + i)
				for !q.Push(v) {
					runtime.Gosched()
				}
			}
		})
	}
	bad := make(chan string, consumers)
	for range consumers {
		wg.Go(func() {
			last := [producers]int{-1, -1, -1, -1}
			for got.Load() < producers*per {
				v, ok := q.Pop()
				if !ok {
					runtime.Gosched()
					continue
				}
				got.Add(1)
				seen[v].Add(1)
				p, i := int(v)/per, int(v)%per
				if i <= last[p] {
					select {
					case bad <- "out of order":
					default:
					}
				}
				last[p] = i
			}
		})
	}
	wg.Wait()
	close(bad)
	for s := range bad {
		t.Error(s)
	}
	for v := range seen {
		if n := seen[v].Load(); n != 1 {
			t.Fatalf("value %d came out %d times", v, n)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	q := New[*int](8)
	x := new(int)
	if n := testing.AllocsPerRun(100, func() {
		q.Push(x)
		q.Pop()
	}); n != 0 {
		t.Errorf("%v allocations per push and pop", n)
	}
}

func BenchmarkPushPop(b *testing.B) {
	q := New[int](1024)
	for b.Loop() {
		q.Push(1)
		q.Pop()
	}
}
