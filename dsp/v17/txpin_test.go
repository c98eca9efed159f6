package v17

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
	"14400/long/-13":  0x9cf5236b22397d01,
	"14400/long/6":    0xa53abfcf3701a568,
	"14400/short/-13": 0xa06ef1acb917ae37,
	"14400/short/6":   0x138f95633eed4b37,
	"12000/long/-13":  0x944b9b120116a49b,
	"12000/long/6":    0x2844cff4bfcb7ba6,
	"12000/short/-13": 0x678332c4fa82c05d,
	"12000/short/6":   0xde22abf26800bb09,
	"9600/long/-13":   0x3c47d5a304561986,
	"9600/long/6":     0x1d4ac3c3414e97b4,
	"9600/short/-13":  0x190ca9888320e063,
	"9600/short/6":    0xa25ab57e951de49b,
	"7200/long/-13":   0x41a326913e2a05b6,
	"7200/long/6":     0x98fefad5323b2883,
	"7200/short/-13":  0xd1f17c29aa7bf486,
	"7200/short/6":    0x365216a1a22874e3,
}

// TestTxPinned requires the transmitter's output to stay bit for bit what
// it was (txPinned), at every rate, after either train, at a normal and a
// clipping level, in blocks of 1, 7, 160 and 333 samples, of mixed odd
// sizes, and across SetLevel and Reset. runTx calls Process until it
// returns less than asked, then once more for 0: the record's length pins
// every return value, the one at the end of the shutdown too, and an
// event's sample count pins the call it came in (in blocks of 1, the
// sample).
func TestTxPinned(t *testing.T) {
	bits := randomBits(99, 4000)
	scripts := []txScript{
		{name: "1", blocks: []int{1}},
		{name: "7", blocks: []int{7}},
		{name: "160", blocks: []int{160}},
		{name: "333", blocks: []int{333}},
		txScripts[1],
		txScripts[2],
	}
	for _, rate := range rates {
		for _, short := range []bool{false, true} {
			for _, level := range []float64{-13, 6} {
				key := fmt.Sprintf("%d/%s/%g", rate, trainName(short), level)
				h := fnv.New64a()
				for _, sc := range scripts {
					rec := runTx(t, newTx(rate), bits, level, short, sc)
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
}
