package v27ter

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"testing"
)

// txPinned is a hash of everything runTx records (the samples, the status
// events with the samples returned before each, the GetBit calls) over the
// scripts of TestTxPinned, recorded before Process entered a stretch's
// symbols ahead of converting it: restructurings of Process keep these
// bits.
var txPinned = map[string]uint64{
	"4800/-13": 0x5f89aafb5e6b194e,
	"4800/6":   0xd4503020ed8960e5,
	"2400/-13": 0x98c8cd0e72c1063b,
	"2400/6":   0xfa65e3b1e15e1ab,
}

// TestTxPinned requires the transmitter's output to stay bit for bit what
// it was (txPinned), at every rate, at a normal and a clipping level, in
// blocks of 1, 7, 160 and 333 samples, of mixed odd sizes, and across
// SetLevel and Reset. runTx calls Process until it returns less than
// asked, then once more for 0: the record's length pins every return
// value, the one at the end of the shutdown too, and an event's sample
// count pins the call it came in (in blocks of 1, the sample).
func TestTxPinned(t *testing.T) {
	bits := randomBits(4000, 99)
	scripts := []txScript{
		{name: "1", blocks: []int{1}},
		{name: "7", blocks: []int{7}},
		{name: "160", blocks: []int{160}},
		{name: "333", blocks: []int{333}},
		txScripts[1],
		txScripts[2],
	}
	for _, rate := range []int{4800, 2400} {
		for _, level := range []float64{-13, 6} {
			key := fmt.Sprintf("%d/%g", rate, level)
			h := fnv.New64a()
			for _, sc := range scripts {
				rec := runTx(t, newTx(rate), bits, level, sc)
				b := fmt.Appendf(nil, "%s %d %v %d;", sc.name, len(rec.out), rec.events, rec.calls)
				for _, v := range rec.out {
					b = binary.LittleEndian.AppendUint16(b, uint16(v))
				}
				h.Write(b)
			}
			if got, want := h.Sum64(), txPinned[key]; got != want {
				t.Errorf("%s: hash %#x, want %#x", key, got, want)
				t.Logf("\t%q: %#x,", key, got)
			}
		}
	}
}
