package pagebuf

import (
	"testing"
	"unsafe"
)

func TestGetSizes(t *testing.T) {
	var p Pool[byte]
	for _, c := range []struct{ n, cap int }{
		{0, 256}, {1, 256}, {256, 256}, {257, 512}, {41 << 10, 64 << 10}, {64 << 10, 64 << 10},
		{64<<10 + 1, 128 << 10}, {MaxPooled, MaxPooled}, {MaxPooled + 1, MaxPooled + 1},
	} {
		b := p.Get(c.n)
		if len(b) != c.n || cap(b) != c.cap {
			t.Errorf("Get(%d): len %d cap %d, want %d and %d", c.n, len(b), cap(b), c.n, c.cap)
		}
		for i, o := range b {
			if o != 0 {
				t.Fatalf("Get(%d): octet %d is %#x", c.n, i, o)
			}
		}
	}
	var q Pool[int64]
	if b := q.Get(1000); len(b) != 1000 || cap(b) != 1024 {
		t.Errorf("int64 Get(1000): len %d cap %d", len(b), cap(b))
	}
}

// TestPutZeroes: a buffer is clear on its whole capacity once Put, before
// anyone can get it again, whatever length it was handed back with.
func TestPutZeroes(t *testing.T) {
	var p Pool[byte]
	b := p.Get(3000)
	full := b[:cap(b)]
	for i := range full {
		full[i] = 0xA5
	}
	p.Put(b[:10])
	for i, o := range full { // the test's alias: callers must not do this
		if o != 0 {
			t.Fatalf("octet %d is %#x after Put", i, o)
		}
	}
	// And what Get gives back, whether that buffer or another, is clear.
	for range 10 {
		b := p.Get(4096)
		for i, o := range b[:cap(b)] {
			if o != 0 {
				t.Fatalf("Get after Put: octet %d is %#x", i, o)
			}
		}
		for i := range b {
			b[i] = 0x5A
		}
		p.Put(b)
	}
}

// TestReuse: a buffer Put comes back from Get of its class (sync.Pool
// keeps it in the goroutine's P), so the pool does save the allocation.
func TestReuse(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items at random")
	}
	var p Pool[int32]
	b := p.Get(700)
	a := unsafe.SliceData(b)
	p.Put(b)
	if c := p.Get(1000); unsafe.SliceData(c) != a {
		t.Errorf("Get after Put of the same class gave another buffer")
	}
	if n := testing.AllocsPerRun(100, func() { p.Put(p.Get(5000)) }); n != 0 {
		t.Errorf("Get and Put: %v allocations, want 0", n)
	}
}

// TestNotKept: buffers of no class (too big, or grown by append) are left
// to the collector, neither pooled nor cleared.
func TestNotKept(t *testing.T) {
	var p Pool[byte]
	big := p.Get(MaxPooled + 1)
	big[0] = 1
	p.Put(big)
	if big[0] != 1 {
		t.Error("an oversize buffer was cleared: it was kept")
	}
	bigClass := make([]byte, 2*MaxPooled)
	bigClass[0] = 1
	p.Put(bigClass)
	if bigClass[0] != 1 {
		t.Error("a buffer above the largest class was cleared: it was kept")
	}
	odd := make([]byte, 0, 1000)
	odd = append(odd, 1)
	p.Put(odd)
	if odd[0] != 1 {
		t.Error("a buffer of no class's capacity was cleared: it was kept")
	}
	small := make([]byte, 1, 128)
	small[0] = 1
	p.Put(small)
	if small[0] != 1 {
		t.Error("a buffer below the smallest class was cleared: it was kept")
	}
	for range 20 {
		if b := p.Get(MaxPooled); cap(b) != MaxPooled {
			t.Fatalf("Get(MaxPooled): cap %d", cap(b))
		}
	}
}
