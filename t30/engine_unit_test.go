package t30

import (
	"slices"
	"strings"
	"testing"

	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/t4"
)

// drain takes the engine's commands, confirming each send, and returns the
// names of the frames sent ("DCS", "TCF", "image", "ECM") and the result
// if the call ended.
func drain(e *Engine) (sent []string, res *Result) {
	for {
		c, ok := e.Next()
		if !ok {
			return sent, res
		}
		switch c := c.(type) {
		case SendFrames:
			for _, f := range c.Frames {
				fr, _ := DecodeFrame(f)
				sent = append(sent, fr.FCF.String())
			}
			e.SendDone()
		case SendTCF:
			sent = append(sent, "TCF:"+c.Modem.Rate.String())
			e.SendDone()
		case SendImage:
			sent = append(sent, "image")
			e.SendDone()
		case SendECMBlock:
			sent = append(sent, "ECM")
			e.SendDone()
		case CallDone:
			res = c.Result
		}
	}
}

func mkFrame(f FCF, fif []byte) []byte {
	b, _ := (&Frame{FCF: f, Final: true, FIF: fif}).Marshal()
	return b
}

func disFIF(cfg Config) []byte {
	p := localParams(&cfg, false)
	return p.AppendTo(nil)
}

func dcsFIF(rate Rate, ecm bool) []byte {
	p := Params{Receive: true, Rate: rate, ECM: ecm}
	return p.AppendTo(nil)
}

// newSender returns a caller with one page that has received DIS and sent
// DCS and TCF.
func newSender(t *testing.T, remote Config) *Engine {
	e := NewEngine(Config{Caller: true, Source: &MemorySource{Pages: testPages(1, document.Standard, 20)}})
	drain(e)
	e.FrameReceived(mkFrame(DIS, disFIF(remote)), true)
	sent, _ := drain(e)
	if !slices.Equal(sent, []string{"DCS", "TCF:V.17 14400"}) {
		t.Fatalf("after DIS sent %v", sent)
	}
	return e
}

func newReceiver(t *testing.T, cfg Config) *Engine {
	cfg.Sink = &MemorySink{}
	e := NewEngine(cfg)
	if sent, _ := drain(e); !slices.Equal(sent, []string{"DIS"}) {
		t.Fatalf("answerer sent %v", sent)
	}
	return e
}

func TestAnswererDIS(t *testing.T) {
	e := NewEngine(Config{Sink: &MemorySink{}, ECM: true, Ident: "42", NSF: []byte{0xAD, 0, 0x36}})
	c, _ := e.Next()
	if c != (SetRxModem{V21}) {
		t.Fatalf("first command %#v", c)
	}
	c, _ = e.Next()
	sf := c.(SendFrames)
	if sf.PreambleMs != PreambleMs || len(sf.Frames) != 3 {
		t.Fatalf("%+v", sf)
	}
	var names []string
	for _, f := range sf.Frames {
		fr, _ := DecodeFrame(f)
		names = append(names, fr.String())
	}
	if !strings.HasPrefix(names[0], "NSF AD 00 36") || !strings.HasPrefix(names[1], "CSI 32 34 20") || !strings.HasPrefix(names[2], "DIS*") {
		t.Fatalf("%q", names)
	}
	var p Params
	fr, _ := DecodeFrame(sf.Frames[2])
	if err := p.Unmarshal(fr.FIF); err != nil {
		t.Fatal(err)
	}
	if !p.Receive || p.ReadyTransmit || !p.ECM || !p.MMR || !p.MR || !p.Fine || p.Rate != ModemsV27terV29V17 {
		t.Fatalf("DIS %+v", p)
	}
}

func TestSenderFrames(t *testing.T) {
	remote := Config{Sink: &MemorySink{}}
	for _, tc := range []struct {
		name  string
		in    []FCF
		sent  []string
		state state
		code  Completion
	}{
		{"CFR starts the page", []FCF{CFR}, []string{"image", "EOP"}, stWaitPostResp, -1},
		{"FTT falls back", []FCF{FTT}, []string{"DCS", "TCF:V.17 12000"}, stWaitCFR, -1},
		{"CRP repeats DCS", []FCF{CRP}, []string{"DCS", "TCF:V.17 14400"}, stWaitCFR, -1},
		{"DIS again repeats DCS", []FCF{DIS}, []string{"DCS", "TCF:V.17 14400"}, stWaitCFR, -1},
		{"DCN ends", []FCF{DCN}, nil, stDone, ErrUnexpectedDCN},
		{"third try is the last", []FCF{CRP, CRP, CRP}, []string{"DCS", "TCF:V.17 14400", "DCS", "TCF:V.17 14400", "DCN"}, stDone, ErrNoResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newSender(t, remote)
			var sent []string
			var res *Result
			for _, f := range tc.in {
				fif := []byte(nil)
				if f == DIS {
					fif = disFIF(remote)
				}
				e.FrameReceived(mkFrame(f, fif), true)
				s, r := drain(e)
				sent, res = append(sent, s...), r
			}
			if !slices.Equal(sent, tc.sent) || e.st != tc.state {
				t.Fatalf("sent %v state %v, want %v %v", sent, e.st, tc.sent, tc.state)
			}
			if tc.code >= 0 && (res == nil || res.Code != tc.code) {
				t.Fatalf("result %v", res)
			}
		})
	}
}

func TestSenderTimeouts(t *testing.T) {
	e := newSender(t, Config{Sink: &MemorySink{}})
	e.Advance(int(samples(T4)) - 1)
	if s, _ := drain(e); len(s) != 0 {
		t.Fatalf("sent %v before T4", s)
	}
	e.Advance(1)
	if s, _ := drain(e); !slices.Equal(s, []string{"DCS", "TCF:V.17 14400"}) {
		t.Fatalf("after T4: %v", s)
	}
	e.Advance(int(samples(T4)))
	drain(e)
	e.Advance(int(samples(T4)))
	s, res := drain(e)
	if !slices.Equal(s, []string{"DCN"}) || res == nil || res.Cause != "no response to DCS after 3 tries" {
		t.Fatalf("%v %v", s, res)
	}
	// Manual units wait 4.5 s.
	e = NewEngine(Config{Caller: true, ManualT4: true, Source: &MemorySource{Pages: testPages(1, document.Standard, 20)}})
	e.FrameReceived(mkFrame(DIS, disFIF(Config{Sink: &MemorySink{}})), true)
	drain(e)
	e.Advance(int(samples(T4)))
	if s, _ := drain(e); len(s) != 0 {
		t.Fatalf("manual T4 expired at 3 s: %v", s)
	}
}

func TestReceiverFrames(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tcf   int
		sent  []string
		state state
		rx    Modem
	}{
		{"good TCF", 1500, []string{"CFR"}, stRxPage, Modem{Fast: true, Rate: V29_9600}},
		{"short zero run", 400, []string{"FTT"}, stWaitDCS, V21},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newReceiver(t, Config{})
			e.FrameReceived(mkFrame(DCS, dcsFIF(V29_9600, false)), true)
			drain(e)
			if e.st != stRxTCF || e.rxModem != (Modem{Fast: true, Rate: V29_9600}) {
				t.Fatalf("after DCS: %v %v", e.st, e.rxModem)
			}
			e.TCFReceived(tc.tcf)
			sent, _ := drain(e)
			if !slices.Equal(sent, tc.sent) || e.st != tc.state || e.rxModem != tc.rx {
				t.Fatalf("sent %v state %v rx %v", sent, e.st, e.rxModem)
			}
		})
	}
}

func TestReceiverBadFrameCRP(t *testing.T) {
	e := newReceiver(t, Config{})
	e.CarrierChange(true)
	e.FrameReceived(mkFrame(DCS, dcsFIF(V29_9600, false)), false)
	e.CarrierChange(false)
	if s, _ := drain(e); !slices.Equal(s, []string{"CRP"}) {
		t.Fatalf("sent %v", s)
	}
}

func TestReceiverPostPage(t *testing.T) {
	for _, tc := range []struct {
		cmd   FCF
		bad   bool
		resp  string
		state state
	}{
		{MPS, false, "MCF", stRxPage},
		{PRI_MPS, false, "MCF", stRxPage},
		{EOP, false, "MCF", stRxWaitDCN},
		{PRI_EOP, false, "MCF", stRxWaitDCN},
		{EOM, false, "MCF", stWaitDCS},
		{MPS, true, "RTN", stWaitDCS},
		{EOP, true, "RTN", stWaitDCS},
	} {
		e := newReceiver(t, Config{})
		e.FrameReceived(mkFrame(DCS, dcsFIF(V17_14400, false)), true)
		e.TCFReceived(1500)
		drain(e)
		e.CarrierChange(true)
		var buf strings.Builder
		p := testPage(document.Standard, 40, 0)
		if !tc.bad {
			_ = p.EncodeT4(&lsbWriter{&buf}, t4.MH)
		} else {
			buf.WriteString(strings.Repeat("\x55", 300))
		}
		e.ImageOctets([]byte(buf.String()))
		e.CarrierChange(false)
		drain(e)
		if e.st != stRxPost {
			t.Fatalf("%v: state %v after the page", tc.cmd, e.st)
		}
		e.FrameReceived(mkFrame(tc.cmd, nil), true)
		sent, _ := drain(e)
		want := []string{tc.resp}
		if tc.cmd == EOM {
			want = append(want, "DIS") // back to phase B
		}
		if !slices.Equal(sent, want) || e.st != tc.state {
			t.Errorf("%v bad=%v: sent %v state %v, want %s %v", tc.cmd, tc.bad, sent, e.st, tc.resp, tc.state)
		}
		// A repeated command gets the same response again.
		if tc.cmd.Base() == EOP && !tc.bad {
			e.FrameReceived(mkFrame(tc.cmd, nil), true)
			if s, _ := drain(e); !slices.Equal(s, []string{tc.resp}) {
				t.Errorf("repeat %v: %v", tc.cmd, s)
			}
			e.FrameReceived(mkFrame(DCN, nil), true)
			if _, res := drain(e); res == nil || !res.OK() || res.PagesReceived != 1 {
				t.Errorf("after DCN: %v", res)
			}
		}
	}
}

// lsbWriter bit-reverses octets: EncodeT4 writes MSB first, the line wants LSB first.
type lsbWriter struct{ w *strings.Builder }

func (l *lsbWriter) Write(p []byte) (int, error) {
	for _, b := range p {
		var r byte
		for i := range 8 {
			r |= (b >> i & 1) << (7 - i)
		}
		l.w.WriteByte(r)
	}
	return len(p), nil
}

func TestCopyQuality(t *testing.T) {
	e := NewEngine(Config{Caller: true, MaxBadRun: 3})
	for _, tc := range []struct {
		st   t4.Stats
		want FCF
	}{
		{t4.Stats{Rows: 100}, MCF},
		{t4.Stats{Rows: 100, BadRows: 4, LongestBadRun: 1}, MCF},
		{t4.Stats{Rows: 100, BadRows: 5, LongestBadRun: 1}, RTP},
		{t4.Stats{Rows: 100, BadRows: 14, LongestBadRun: 2}, RTP},
		{t4.Stats{Rows: 100, BadRows: 15, LongestBadRun: 1}, RTN},
		{t4.Stats{Rows: 100, BadRows: 4, LongestBadRun: 4}, RTN},
		{t4.Stats{}, RTN},
	} {
		if got := e.copyQuality(tc.st); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.st, got, tc.want)
		}
	}
}

func TestPostBase(t *testing.T) {
	for in, want := range map[FCF]FCF{PRI_MPS: MPS, PRI_EOM: EOM, PRI_EOP: EOP, MPS | 1: MPS, EOP: EOP} {
		if got := postBase(in); got != want {
			t.Errorf("%v: %v", in, got)
		}
	}
}

// The X bit: set by the terminal that received DIS (T.30 §5.3.6.1).
func TestXBit(t *testing.T) {
	e := NewEngine(Config{Caller: true, Source: &MemorySource{Pages: testPages(1, document.Standard, 10)}})
	drain(e)
	e.FrameReceived(mkFrame(DIS, disFIF(Config{Sink: &MemorySink{}})), true)
	for {
		c, ok := e.Next()
		if !ok {
			t.Fatal("no DCS")
		}
		if sf, ok := c.(SendFrames); ok {
			fr, _ := DecodeFrame(sf.Frames[len(sf.Frames)-1])
			if fr.FCF != DCS|1 {
				t.Fatalf("DCS FCF %#x, want X set", fr.FCF)
			}
			break
		}
	}
	r := newReceiver(t, Config{})
	r.FrameReceived(mkFrame(DCS|1, dcsFIF(V29_9600, false)), true)
	r.TCFReceived(1500)
	r.Next() // SetRxModem
	for {
		c, ok := r.Next()
		if !ok {
			t.Fatal("no CFR")
		}
		if sf, ok := c.(SendFrames); ok {
			if fr, _ := DecodeFrame(sf.Frames[0]); fr.FCF != CFR {
				t.Fatalf("answerer sent %#x, want CFR without X", fr.FCF)
			}
			break
		}
	}
}
