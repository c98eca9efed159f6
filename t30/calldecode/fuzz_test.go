package calldecode

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/t30"
)

// maxFuzzSamples bounds a fuzz input's audio (8 s).
const maxFuzzSamples = 64000

func samplesOf(data []byte) []int16 {
	n := min(len(data)/2, maxFuzzSamples)
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
	}
	return s
}

func bytesOf(s []int16) []byte {
	b := make([]byte, 2*len(s))
	for i, v := range s {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

// FuzzDecoder feeds arbitrary audio, mono and as a stereo pair: the
// Decoder must not fail, and its events must come in time order.
func FuzzDecoder(f *testing.F) {
	f.Add([]byte{})
	f.Add(make([]byte, 4000))
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 16000)
	for i := range noise {
		noise[i] = byte(rng.IntN(256))
	}
	f.Add(noise)
	// A DCS, then a short V.27ter 2400 transmission: the fast receiver
	// runs on what follows.
	var dcs t30.Params
	dcs.Rate, dcs.Receive = t30.V27ter2400, true
	fif, _ := dcs.Marshal()
	seed := v21Frames(f, t30.Frame{FCF: t30.DCS.WithX(true), FIF: fif})
	seed = append(seed, make([]int16, 600)...)
	seed = append(seed, fast(f, "v27ter", 2400, false, octetBits([]byte{0, 0, 0x80, 0x00, 0x35, 0xFF, 0x01}))...)
	f.Add(bytesOf(seed[max(0, len(seed)-maxFuzzSamples):]))
	f.Add(bytesOf(v21Frames(f, t30.Frame{FCF: t30.DIS, FIF: fif})))

	f.Fuzz(func(t *testing.T, data []byte) {
		s := samplesOf(data)
		for _, ch := range []int{1, 2} {
			last := int64(-1 << 62)
			d, err := New(Options{Channels: ch, MaxPageBytes: 1 << 12, MaxRows: 64, OnEvent: func(e Event) {
				if e.Sample < last {
					t.Errorf("event out of order: %v after sample %d", e, last)
				}
				last = e.Sample
				_ = e.String()
			}, OnPage: func(p *Page) {
				if p.CodedBytes > 1<<12 || len(p.Rows) > 64 {
					t.Errorf("page beyond its bounds: %d octets, %d rows", p.CodedBytes, len(p.Rows))
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Process(s); err != nil {
				t.Fatal(err)
			}
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// FuzzDialogue drives the T.30 state with arbitrary frames, fast-modem
// transmissions, bits and ECM frames in any order, as a recording cut at
// random or a line full of errors could: the Decoder must not fail and
// must keep to its bounds.
func FuzzDialogue(f *testing.F) {
	f.Add([]byte{0, 3, 1, 2, 3, 9, 1, 3, 0, 4, 5, 6})
	f.Add([]byte{0, 3, 0x82, 0x00, 0x62, 0xF8, 0x44, 1, 3, 2, 0, 200, 5, 0, 0, 255, 6, 4})
	f.Fuzz(runDialogue)
}

var fuzzFCFs = []t30.FCF{t30.DCS, t30.DCS.WithX(true), t30.CFR, t30.FTT, t30.CTC, t30.CTR, t30.PPS, t30.EOR, t30.PPR,
	t30.MCF, t30.ERR, t30.DCN, t30.EOP, t30.MPS, t30.DIS, t30.CSI, t30.NSF, t30.RR}

func runDialogue(t *testing.T, data []byte) {
	fcfs := fuzzFCFs
	{
		var pages int
		d, err := New(Options{MaxPageBytes: 1 << 12, MaxRows: 64, OnPage: func(p *Page) {
			pages++
			if p.CodedBytes > 1<<12 || len(p.Rows) > 64 {
				t.Errorf("page beyond its bounds: %d octets, %d rows", p.CodedBytes, len(p.Rows))
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		c := d.chans[0]
		next := func() int {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return int(b)
		}
		err = func() (err error) {
			defer d.recover(&err)
			for len(data) > 0 {
				c.pos += 40
				switch next() % 8 {
				case 0: // a V.21 frame: FCF from the list, FIF of n octets
					fr := []byte{t30.Address, t30.ControlFinal, byte(fcfs[next()%len(fcfs)])}
					for range next() % 40 {
						fr = append(fr, byte(next()))
					}
					c.onV21Frame(1, fr, next()%8 != 0)
				case 1: // a fast transmission starts and trains
					if c.fast != nil {
						c.onFastStatus(dsp.StatusCarrierUp)
						c.onFastStatus(dsp.StatusTrainingSucceeded)
					}
				case 2: // bits
					for range next() * 8 {
						c.fastBit(next() & 1)
					}
				case 3: // an ECM frame
					n := next()
					fr := []byte{t30.Address, t30.ControlMore, byte(t30.FCD), byte(n)}
					for range next() {
						fr = append(fr, byte(next()))
					}
					if n%17 == 0 {
						fr = []byte{t30.Address, t30.ControlMore, byte(t30.RCP)}
					}
					c.onECMFrame(fr, next()%8 != 0)
				case 4:
					c.onFastStatus(dsp.StatusCarrierDown)
				case 5: // a PPS
					pps := t30.PartialPage{FCF2: fcfs[next()%len(fcfs)], Page: uint8(next() % 3), Block: uint8(next() % 3), Frames: next() + 1}
					fr := append([]byte{t30.Address, t30.ControlFinal, byte(t30.PPS.WithX(true))}, pps.AppendTo(nil)...)
					c.onV21Frame(1, fr, true)
				case 6:
					c.onFastStatus(dsp.StatusTrainingFailed)
				case 7:
					d.release(false)
				}
				if len(d.call.data) > 1<<12 {
					t.Fatalf("page data %d octets over the cap", len(d.call.data))
				}
			}
			return nil
		}()
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Close(); err != nil && !errors.Is(err, ErrClosed) {
			t.Fatal(err)
		}
	}
}
