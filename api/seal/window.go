package seal

// WindowSize is how far behind the newest sequence number a message may
// arrive and still be taken, once.
const WindowSize = 1024

// A window is an anti-replay window (RFC 4303 §3.4.3): the newest sequence
// number taken and a bitmap of the WindowSize numbers up to it. It is not
// safe for concurrent use; Session locks it.
type window struct {
	top  uint64
	bits [WindowSize / 64]uint64 // bit (n mod WindowSize) for number n in (top-WindowSize, top]
}

// fresh reports whether seq may be taken: not 0, not seen, not too old.
func (w *window) fresh(seq uint64) bool {
	switch {
	case seq == 0:
		return false
	case seq > w.top:
		return true
	case w.top-seq >= WindowSize:
		return false
	}
	i := seq % WindowSize
	return w.bits[i/64]&(1<<(i%64)) == 0
}

// take marks seq seen if it is fresh, and reports whether it was.
func (w *window) take(seq uint64) bool {
	if !w.fresh(seq) {
		return false
	}
	if seq > w.top {
		// Clear the numbers the window moves past: (top, seq) and seq
		// itself, at most all of it.
		if seq-w.top >= WindowSize {
			clear(w.bits[:])
		} else {
			for n := w.top + 1; n <= seq; n++ {
				i := n % WindowSize
				w.bits[i/64] &^= 1 << (i % 64)
			}
		}
		w.top = seq
	}
	i := seq % WindowSize
	w.bits[i/64] |= 1 << (i % 64)
	return true
}
