package v21

import (
	"testing"

	"github.com/faxd/faxd/dsp"
)

// benchAudio is 10 s of V.21 channel 2 random data at -13 dBm0.
func benchAudio(b *testing.B, ch Channel) []int16 {
	bits := randomBits(3000, 9)
	return modulate(b, ch, bits, -13, 0, 0)[:3000*80/3]
}

func BenchmarkTransmitter(b *testing.B) {
	for _, ch := range []Channel{Channel1, Channel2} {
		b.Run(ch.String(), func(b *testing.B) {
			var rng uint32 = 1
			src := dsp.BitSourceFunc(func() int {
				rng ^= rng << 13
				rng ^= rng >> 17
				rng ^= rng << 5
				return int(rng & 1)
			})
			tx, _ := NewTransmitter(ch, src)
			buf := make([]int16, 160)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				tx.Process(buf)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(buf)), "ns/sample")
		})
	}
}

func BenchmarkReceiver(b *testing.B) {
	for _, ch := range []Channel{Channel1, Channel2} {
		for _, in := range []struct {
			name  string
			audio func() []int16
		}{
			{"signal", func() []int16 { return benchAudio(b, ch) }},
			{"silence", func() []int16 { return make([]int16, 80000) }},
			{"noise-50", func() []int16 { return addNoise(make([]int16, 80000), -50, 1) }},
			{"noise-30", func() []int16 { return addNoise(make([]int16, 80000), -30, 1) }},
		} {
			b.Run(ch.String()+"/"+in.name, func(b *testing.B) {
				audio := in.audio()
				n := 0
				rx, _ := NewReceiver(ch, dsp.BitSinkFunc(func(int) { n++ }))
				b.ReportAllocs()
				b.ResetTimer()
				samples := 0
				for range b.N {
					for i := 0; i+160 <= len(audio); i += 160 {
						rx.Process(audio[i : i+160])
					}
					samples += len(audio) / 160 * 160
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(samples), "ns/sample")
			})
		}
	}
}
