package t38

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/terminal"
)

// gatewayCall runs our audio terminal (cfgAudio) through a Gateway to our
// T.38 terminal (cfgT38), 20 ms a turn, packets passed at once.
func gatewayCall(t *testing.T, cfgAudio, cfgT38 t30.Config, opt GatewayOptions) (*terminal.Terminal, *Terminal, gatewayStats) {
	t.Helper()
	var st gatewayStats
	var toGW, toT38 [][]byte
	b, err := NewTerminal(cfgT38, TerminalOptions{Version: opt.Version}, func(p []byte) { toGW = append(toGW, bytes.Clone(p)) })
	if err != nil {
		t.Fatal(err)
	}
	gw, err := NewGateway(opt, func(p []byte) { toT38 = append(toT38, p); st.out++ })
	if err != nil {
		t.Fatal(err)
	}
	a, err := terminal.New(cfgAudio, terminal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	aOut := make([]int16, terminal.BlockSize)
	gOut := make([]int16, terminal.BlockSize)
	for i := 0; i < 50*600 && !(a.Done() && b.Done()); i++ {
		a.Process(gOut, aOut)
		gw.Process(aOut, gOut)
		for _, p := range toT38 {
			if err := b.Receive(p); err != nil {
				t.Errorf("terminal rejects %x: %v", p, err)
			}
		}
		toT38 = toT38[:0]
		b.Advance(terminal.BlockSize)
		for _, p := range toGW {
			if err := gw.Receive(p); err != nil {
				t.Errorf("gateway rejects %x: %v", p, err)
			}
			st.in++
		}
		toGW = toGW[:0]
	}
	if !a.Done() || !b.Done() {
		t.Fatalf("the call did not end: audio %s / T.38 %s\naudio:\n%s\nT.38:\n%s", a.Engine().State(), b.Engine().State(),
			t30.FormatTrace(a.Engine().Result().Trace), t30.FormatTrace(b.Engine().Result().Trace))
	}
	return a, b, st
}

type gatewayStats struct{ in, out int }

// TestGatewayCall: our audio terminal ↔ Gateway ↔ our T.38 terminal, each
// side sending, ECM on and off: the page arrives identical.
func TestGatewayCall(t *testing.T) {
	pages := letter(t, 1)
	for _, audioSends := range []bool{true, false} {
		for _, ecm := range []bool{false, true} {
			name := fmt.Sprintf("%s/ECM=%v", map[bool]string{true: "audio-to-t38", false: "t38-to-audio"}[audioSends], ecm)
			t.Run(name, func(t *testing.T) {
				sink := &t30.MemorySink{}
				sender := t30.Config{Caller: true, Source: &t30.MemorySource{Pages: pages}, ECM: ecm}
				receiver := t30.Config{Sink: sink, ECM: ecm}
				cfgA, cfgB := sender, receiver
				if !audioSends {
					cfgA, cfgB = receiver, sender
				}
				a, b, st := gatewayCall(t, cfgA, cfgB, GatewayOptions{})
				ra, rb := a.Result(), b.Result()
				if !ra.OK() || !rb.OK() || len(sink.Pages) != 1 {
					t.Fatalf("audio %v %q / T.38 %v %q, %d pages\naudio:\n%s\nT.38:\n%s", ra.Code, ra.Cause, rb.Code, rb.Cause, len(sink.Pages),
						t30.FormatTrace(ra.Trace), t30.FormatTrace(rb.Trace))
				}
				if !bytes.Equal(pages[0].Pix, sink.Pages[0].Pix) {
					t.Fatal("page differs")
				}
				t.Logf("%s: %s %d bit/s %v ECM %v, call %v; packets gateway→T.38 %d, T.38→gateway %d",
					name, ra.Modem, ra.BitRate, ra.Coding, ra.ECM, ra.Duration, st.out, st.in)
			})
		}
	}
}

// ifp encodes a packet for the tests.
func ifp(t *testing.T, p *Packet) []byte {
	t.Helper()
	b, err := p.AppendEncode(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func frameOf(t *testing.T, fcf t30.FCF, fif ...byte) []byte {
	t.Helper()
	f := t30.Frame{FCF: fcf, FIF: fif}
	b, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGatewayFramesFromT38: HDLC frames from the T.38 side are queued
// whole, bit-reversed back, NSF dropped on request, DIS stripped of V.8,
// repeated indicators ignored, and data without their indicator still
// start a signal.
func TestGatewayFramesFromT38(t *testing.T) {
	gw, err := NewGateway(GatewayOptions{SuppressNSF: true}, func([]byte) {})
	if err != nil {
		t.Fatal(err)
	}
	nsf := frameOf(t, t30.NSF, 0x00, 0x00, 0x00, 0x55)
	dis := frameOf(t, t30.DIS, 0x20, 0x8C, 0xC0)
	for range 3 {
		gw.Receive(ifp(t, &Packet{Indicator: IndV21Preamble}))
	}
	for _, f := range [][]byte{nsf, dis} {
		gw.Receive(ifp(t, &Packet{IsData: true, DataType: DataV21, Fields: []Field{{Type: FieldHDLCData, Data: reversed(f[:2])}}}))
		gw.Receive(ifp(t, &Packet{IsData: true, DataType: DataV21, Fields: []Field{{Type: FieldHDLCData, Data: reversed(f[2:])}, {Type: FieldHDLCFCSOK}}}))
	}
	gw.Receive(ifp(t, &Packet{IsData: true, DataType: DataV21, Fields: []Field{{Type: FieldHDLCSigEnd}}}))
	if len(gw.queue) != 1 {
		t.Fatalf("%d signals queued, want 1", len(gw.queue))
	}
	s := gw.queue[0]
	want := bytes.Clone(dis)
	want[3] &^= 0x20
	if !s.ended || len(s.frames) != 1 || !bytes.Equal(s.frames[0], want) {
		t.Fatalf("signal ended %v, frames %x, want [%x]", s.ended, s.frames, want)
	}
	// Page data with no indicator before them (lost): a V.29 signal.
	gw.Receive(ifp(t, &Packet{IsData: true, DataType: DataV29_9600, Fields: []Field{{Type: FieldT4NonECMData, Data: []byte{0x80, 0x01}}}}))
	if len(gw.queue) != 2 || gw.queue[1].ind != IndV29_9600Training || gw.queue[1].bits.n != 16 {
		t.Fatalf("lost indicator not made up: %d signals", len(gw.queue))
	}
	// 0x80 reversed is 0x01: the first bit on the line is 1.
	s = gw.queue[1]
	if b := s.GetBit(); b != 1 {
		t.Errorf("first bit %d, want 1", b)
	}
}

// TestGatewayFill: page data are released up to the last EOL received;
// while the rest is awaited the modem gets zeros (fill before the next
// EOL), and at the signal's end the remainder, then the end of data.
func TestGatewayFill(t *testing.T) {
	s := &txSignal{image: true}
	// 8 ones, an EOL (11 zeros and a 1), 4 ones: bits in line order.
	line := "11111111" + "00000000000" + "1" + "1111"
	push := func(bitsStr string) {
		for i := 0; i+8 <= len(bitsStr); i += 8 {
			var o byte
			for k := range 8 {
				if bitsStr[i+k] == '1' {
					o |= 1 << k
				}
			}
			s.bits.push(o)
		}
	}
	push(line + "00000000") // 24 bits and an octet of zeros
	var got []byte
	for range 30 {
		got = append(got, byte('0'+s.GetBit()))
	}
	// Released: up to the 11th zero of the EOL (19 bits), then fill.
	if want := line[:19] + "00000000000"; string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	s.ended = true
	got = got[:0]
	for b := s.GetBit(); b != -1; b = s.GetBit() {
		got = append(got, byte('0'+b))
	}
	if want := line[19:] + "00000000"; string(got) != want {
		t.Fatalf("after the end got %s, want %s", got, want)
	}
}
