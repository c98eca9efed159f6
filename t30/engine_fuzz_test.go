package t30

import (
	"io"
	"testing"
	"time"

	"github.com/faxd/faxd/t30/document"
)

var fuzzFCFs = []FCF{DIS, CSI, NSF, DTC, CIG, DCS, TSI, CFR, FTT, MPS, EOM, EOP, PRI_MPS, PRI_EOP,
	MCF, RTN, RTP, PIP, PIN, DCN, CRP, PPS, PPR, CTC, CTR, EOR, ERR, RR, RNR, FCD, RCP}

// FuzzEngine feeds random frames and events to an engine in each role:
// it must not panic, and once the input stops the call must end, bounded
// by the timers alone.
func FuzzEngine(f *testing.F) {
	f.Add([]byte{0})
	f.Add([]byte{1, 7, 0, 6, 0, 3, 0xFF, 2})
	f.Add([]byte{2, 7, 1, 0, 3, 20, 6})
	f.Add([]byte{3, 7, 1, 1, 1, 4, 1, 2, 3, 1, 0, 0, 9, 1, 0, 20, 0x2F, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		role := data[0]
		data = data[1:]
		cfg := Config{Caller: role&1 != 0, ECM: role&4 != 0, Frame64: role&8 != 0}
		if role&2 != 0 {
			cfg.Source = &MemorySource{Pages: testPages(2, document.Standard, 8)}
		} else {
			cfg.Sink = &MemorySink{}
		}
		e := NewEngine(cfg)
		var done *Result
		pump := func() {
			for {
				c, ok := e.Next()
				if !ok {
					return
				}
				switch c := c.(type) {
				case SendFrames, SendTCF, SendECMBlock:
					e.SendDone()
				case SendImage:
					_, _ = io.Copy(io.Discard, c.Data)
					e.SendDone()
				case CallDone:
					if done != nil {
						t.Fatal("CallDone twice")
					}
					done = c.Result
				}
			}
		}
		next := func() byte {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return b
		}
		for len(data) > 0 {
			pump()
			switch next() % 8 {
			case 0, 7:
				fcf := fuzzFCFs[int(next())%len(fuzzFCFs)]
				n := int(next() % 40)
				fif := make([]byte, 0, n)
				for range n {
					fif = append(fif, next())
				}
				ctl := byte(ControlFinal)
				if next()&1 != 0 {
					ctl = ControlMore
				}
				fr := append([]byte{Address, ctl, byte(fcf) | next()&1}, fif...)
				e.FrameReceived(fr, next()&7 != 0)
			case 1:
				e.CarrierChange(next()&1 != 0)
			case 2:
				e.TrainingDone(next()&1 != 0)
			case 3:
				e.TCFReceived(int(next()) * 10)
			case 4:
				n := int(next())
				b := make([]byte, 0, n)
				for range n {
					b = append(b, next())
				}
				e.ImageOctets(b)
			case 5:
				e.Advance(int(next()) * 400)
			case 6:
				e.SendDone()
			}
		}
		for i := 0; done == nil && i < 4*3600; i++ {
			pump()
			e.Advance(SampleRate)
		}
		pump()
		if done == nil || !e.Done() {
			t.Fatalf("call did not end in state %v", e.State())
		}
		if done.Duration > 4*time.Hour {
			t.Fatalf("took %v", done.Duration)
		}
	})
}
