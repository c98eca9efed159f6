package v21_test

import (
	"fmt"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/v21"
)

// A V.21 channel 2 loopback: 30 bits of HDLC flags (0x7E, sent least
// significant bit first), then silence. The receiver misses the first few
// bits while it detects the carrier (here the first 4), delivers the rest,
// and a couple of bits of nothing as the carrier drops.
func Example() {
	sent := 0
	src := dsp.BitSourceFunc(func() int {
		if sent == 30 {
			return dsp.EndOfData
		}
		b := 0x7E >> (sent % 8) & 1
		sent++
		return b
	})
	tx, _ := v21.NewTransmitter(v21.Channel2, src)
	var got []int
	rx, _ := v21.NewReceiver(v21.Channel2, dsp.BitSinkFunc(func(b int) { got = append(got, b) }))
	rx.SetStatusHandler(func(s dsp.Status) { fmt.Println(s) })

	buf := make([]int16, 160)
	for {
		n := tx.Process(buf)
		rx.Process(buf[:n])
		if n < len(buf) {
			break
		}
	}
	rx.Process(make([]int16, 160)) // silence: the carrier drops
	fmt.Println(len(got), "bits:", got)
	// Output:
	// carrier up
	// training succeeded
	// carrier down
	// 28 bits: [1 1 1 0 0 1 1 1 1 1 1 0 0 1 1 1 1 1 1 0 0 1 1 1 1 1 1 0]
}
