//go:build spandsp

package spandsp

import (
	"fmt"
	"slices"
	"testing"
)

var allModems = []Modem{V17, V29, V27ter, V21Ch1, V21Ch2}

// TestStreamingAllModems: the streaming Tx and Rx, fed in odd block sizes,
// give the same audio and the same bits as Modulate and Demodulate, for
// every modem and rate.
func TestStreamingAllModems(t *testing.T) {
	for _, m := range allModems {
		for _, rate := range Rates[m] {
			bits := randomBits(rate/2, uint64(rate)*7+uint64(m))
			want := Modulate(m, rate, bits, -13)
			tx := NewTx(m, rate, bits, -13)
			var got []int16
			buf := make([]int16, 160)
			for {
				n := tx.Process(buf)
				got = append(got, buf[:n]...)
				if n < len(buf) {
					break
				}
			}
			tx.Close()
			if !slices.Equal(got, want) {
				t.Errorf("%v %d: streaming tx made %d samples, Modulate %d, or they differ", m, rate, len(got), len(want))
			}
			// A finished transmitter stays finished.
			tx = NewTx(m, rate, bits, -13)
			for tx.Process(buf) == len(buf) {
			}
			if n := tx.Process(buf); n != 0 {
				t.Errorf("%v %d: %d samples after the end", m, rate, n)
			}
			tx.Close()

			sig := append(want, make([]int16, 320)...)
			one, oneRes := Demodulate(m, rate, sig)
			rx := NewRx(m, rate)
			for i := 0; i < len(sig); i += 77 {
				rx.Process(sig[i:min(i+77, len(sig))])
			}
			if s := rx.Bits(); !slices.Equal(s, one) {
				t.Errorf("%v %d: streaming rx gave %d bits, Demodulate %d, or they differ", m, rate, len(s), len(one))
			}
			if res := rx.Result(); !slices.Equal(res.Status, oneRes.Status) {
				t.Errorf("%v %d: streaming statuses %v, Demodulate %v", m, rate, res.Status, oneRes.Status)
			}
			// After Reset the receiver decodes the same again.
			rx.Reset()
			for i := 0; i < len(sig); i += 160 {
				rx.Process(sig[i:min(i+160, len(sig))])
			}
			if s := rx.Bits(); !slices.Equal(s, one) {
				t.Errorf("%v %d: after Reset rx gave %d bits, want %d", m, rate, len(s), len(one))
			}
			rx.Close()
		}
	}
}

// TestStatusOrder: the PSK/QAM receivers report carrier up, training in
// progress (SIG_STATUS_TRAINING_IN_PROGRESS, -3), training succeeded, then
// carrier down, once each, for one clean transmission.
func TestStatusOrder(t *testing.T) {
	for _, m := range []Modem{V17, V29, V27ter} {
		rate := Rates[m][0]
		sig := append(Modulate(m, rate, randomBits(rate/4, 5), -13), make([]int16, 1600)...)
		_, res := Demodulate(m, rate, sig)
		const trainingInProgress = -3
		want := []int{StatusCarrierUp, trainingInProgress, StatusTrainingSucceeded, StatusCarrierDown}
		if !slices.Equal(res.Status, want) || res.CarrierUp != 1 || res.CarrierDown != 1 || !res.Trained || res.TrainingFailed {
			t.Errorf("%v: %+v, want statuses %v", m, res, want)
		}
	}
}

// TestSilenceV21Ch1 completes TestSilence, which covers channel 2 only.
func TestSilenceV21Ch1(t *testing.T) {
	if got, res := Demodulate(V21Ch1, 300, make([]int16, 16000)); len(got) != 0 || res.CarrierUp != 0 {
		t.Errorf("V.21 ch1 on silence: %d bits, %+v", len(got), res)
	}
}

// TestModemString checks the names and that an unknown modem panics.
func TestModemString(t *testing.T) {
	for m, s := range map[Modem]string{V17: "V.17", V29: "V.29", V27ter: "V.27ter", V21Ch1: "V.21 ch1", V21Ch2: "V.21 ch2", 99: "Modem(99)"} {
		if m.String() != s {
			t.Errorf("%d: %q, want %q", int(m), m.String(), s)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("an unknown modem did not panic")
		}
	}()
	NewTx(99, 300, nil, -13)
}

// benchRates: each modem at its top rate, as in the notes' table.
var benchModems = []Modem{V17, V29, V27ter, V21Ch2}

// BenchmarkSpanDSPTx times SpanDSP's transmitters over about 10 s of data
// plus training and shutdown, 160 samples per cgo call; set-up is not
// timed. Compare with the notes (V.17 14.9, V.29 12.7, V.27ter 11.4, V.21
// 4.6 ns/sample, measured from C).
func BenchmarkSpanDSPTx(b *testing.B) {
	for _, m := range benchModems {
		rate := Rates[m][0]
		bits := randomBits(rate*10, 3)
		b.Run(fmt.Sprintf("%v/%d", m, rate), func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]int16, 160)
			n := 0
			for b.Loop() {
				b.StopTimer()
				tx := NewTx(m, rate, bits, -13)
				b.StartTimer()
				for {
					k := tx.Process(buf)
					n += k
					if k < len(buf) {
						break
					}
				}
				b.StopTimer()
				tx.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/sample")
		})
	}
}

// BenchmarkSpanDSPRx times SpanDSP's receivers over about 10 s of a clean
// -13 dBm0 signal, 160 samples per cgo call; set-up is not timed. Compare
// with the notes (V.17 87, V.29 55, V.27ter 36, V.21 18 ns/sample).
func BenchmarkSpanDSPRx(b *testing.B) {
	for _, m := range benchModems {
		rate := Rates[m][0]
		bits := randomBits(rate*10, 3)
		sig := append(Modulate(m, rate, bits, -13), make([]int16, 320)...)
		sig = sig[:len(sig)/160*160]
		b.Run(fmt.Sprintf("%v/%d", m, rate), func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				b.StopTimer()
				rx := NewRx(m, rate)
				b.StartTimer()
				for j := 0; j < len(sig); j += 160 {
					rx.Process(sig[j : j+160])
				}
				n += len(sig)
				b.StopTimer()
				if got := rx.NumBits(); got < len(bits) {
					b.Fatalf("%v: decoded %d of %d bits", m, got, len(bits))
				}
				rx.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/sample")
		})
	}
}

// TestLongV17: a 30 s V.17 14400 transmission (432 000 data bits, as in the
// notes' table) fits the receiver's growing bit buffer and decodes with no
// errors at offset 0. Cheap: the work is in C, which the race detector does
// not instrument.
func TestLongV17(t *testing.T) {
	bits := randomBits(14400*30, 11)
	sig := append(Modulate(V17, 14400, bits, -13), make([]int16, 320)...)
	got, res := Demodulate(V17, 14400, sig)
	if !res.Trained || len(got) < len(bits) {
		t.Fatalf("got %d of %d bits, %+v", len(got), len(bits), res)
	}
	if e := errorsAt(bits, got, 0); e != 0 {
		t.Errorf("%d errors in %d bits", e, len(bits))
	}
	t.Logf("%d samples, %d bits delivered (%d after the data, from the shutdown)", len(sig), len(got), len(got)-len(bits))
}
