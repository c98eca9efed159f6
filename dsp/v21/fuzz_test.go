package v21

import (
	"encoding/binary"
	"testing"

	"github.com/faxd/faxd/dsp"
)

// FuzzReceiver feeds arbitrary bytes to the receiver as little-endian
// int16 samples, in blocks whose size the first byte picks, with a gap
// (Fill) the second byte's size after each block (none for 0): it must not
// panic, must deliver only 0 and 1, must not
// deliver more than one bit per 26 samples, and must not allocate.
func FuzzReceiver(f *testing.F) {
	sig := modulate(f, Channel2, randomBits(200, 1), -13, 100, 100)
	seed := make([]byte, 2+2*len(sig))
	seed[0] = 159
	for i, v := range sig {
		binary.LittleEndian.PutUint16(seed[2+2*i:], uint16(v))
	}
	f.Add(seed)
	gappy := append([]byte(nil), seed...)
	gappy[0], gappy[1] = 99, 37
	f.Add(gappy)
	f.Add([]byte{1, 0, 0xff, 0x7f, 0x00, 0x80, 0xff, 0x7f, 0x00, 0x80})
	f.Add([]byte{0, 0})
	f.Add(append([]byte{7, 200}, make([]byte, 999)...))
	buf := make([]int16, 1<<16)
	for _, ch := range []Channel{Channel1, Channel2} {
		rx, _ := NewReceiver(ch, nil)
		_ = rx
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		if len(data) < 2 {
			return
		}
		block, gap := int(data[0])+1, int(data[1])
		data = data[2:]
		n := min(len(data)/2, len(buf))
		in := buf[:n]
		for i := range in {
			in[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
		}
		for _, ch := range []Channel{Channel1, Channel2} {
			bits, bad := 0, 0
			rx, _ := NewReceiver(ch, dsp.BitSinkFunc(func(b int) {
				bits++
				if b != 0 && b != 1 {
					bad++
				}
			}))
			allocs := testing.AllocsPerRun(1, func() {
				rx.Reset()
				bits, bad = 0, 0
				for i := 0; i < len(in); i += block {
					rx.Process(in[i:min(i+block, len(in))])
					if gap != 0 {
						rx.Fill(gap)
					}
				}
				_ = rx.Report()
			})
			if allocs != 0 {
				t.Fatalf("%v: %v allocations", ch, allocs)
			}
			if bad != 0 {
				t.Fatalf("%v: %d bits not 0 or 1", ch, bad)
			}
			if max := len(in)*BitRate/dsp.SampleRate + 2; bits > max {
				t.Fatalf("%v: %d bits from %d samples", ch, bits, len(in))
			}
		}
	})
}
