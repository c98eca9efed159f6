package t30

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/v21"
)

// crcBitSerial is the FCS computed the way V.41 describes the shift
// register, one bit at a time, independent of the table in hdlc.go.
func crcBitSerial(data []byte) uint16 {
	c := uint16(0xFFFF)
	for _, b := range data {
		for i := range 8 {
			fb := (c ^ uint16(b>>i)) & 1
			c >>= 1
			if fb != 0 {
				c ^= 0x8408
			}
		}
	}
	return ^c
}

func TestFCS(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want uint16
	}{
		{"check value of CRC-16/X-25", []byte("123456789"), 0x906E},
		{"DCN", []byte{0xFF, 0x13, 0xFA}, 0xE713},
		{"DIS", []byte{0xFF, 0x13, 0x80, 0x00, 0xEE, 0xF9, 0xC4, 0x81, 0x11}, 0x6392},
	} {
		if got := FCS(tc.in); got != tc.want {
			t.Errorf("%s: FCS = %#04x, want %#04x", tc.name, got, tc.want)
		}
		if got := crcBitSerial(tc.in); got != tc.want {
			t.Errorf("%s: bit-serial FCS = %#04x, want %#04x", tc.name, got, tc.want)
		}
		withFCS := append(append([]byte(nil), tc.in...), byte(tc.want), byte(tc.want>>8))
		if !CheckFCS(withFCS) {
			t.Errorf("%s: CheckFCS false on an intact frame", tc.name)
		}
		withFCS[0] ^= 0x10
		if CheckFCS(withFCS) {
			t.Errorf("%s: CheckFCS true on a damaged frame", tc.name)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		b := make([]byte, r.IntN(300))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if FCS(b) != crcBitSerial(b) {
			t.Fatalf("table and bit-serial FCS differ on % X", b)
		}
	}
}

// txBits runs a transmitter to its end of data.
func txBits(t testing.TB, tx *HDLCTx, limit int) []byte {
	var out []byte
	for {
		b := tx.GetBit()
		if b == dsp.EndOfData {
			return out
		}
		out = append(out, byte(b))
		if len(out) > limit {
			t.Fatalf("transmitter ran past %d bits", limit)
		}
	}
}

func bitString(b []byte) string {
	var s strings.Builder
	for _, x := range b {
		s.WriteByte('0' + x)
	}
	return s.String()
}

// TestHDLCTxBitExact checks one frame bit by bit: DCN (FF 13 FA) with its
// FCS E713, sent LSB first with a 0 inserted after every five 1s, between
// single flags. The expected string was worked out independently (a
// bit-serial CRC and stuffer).
func TestHDLCTxBitExact(t *testing.T) {
	tx := NewHDLCTx(HDLCTxConfig{PreambleFlags: 1, ClosingFlags: 1})
	if err := tx.Send([]byte{0xFF, 0x13, 0xFA}); err != nil {
		t.Fatal(err)
	}
	tx.Finish()
	got := bitString(txBits(t, tx, 1000))
	const exact = "01111110" + // opening flag
		"11111" + "0" + "111" + // FF, a 0 inserted after five 1s
		"11" + "0" + "001000" + // 13 = 1100 1000 sent LSB first; the run of 1s goes on
		"01011111" + "0" + // FA, then a 0 inserted after five 1s
		"11001000" + // FCS low octet 13
		"11100111" + // FCS high octet E7
		"01111110" // closing flag
	if got != exact {
		t.Errorf("bits\n got %s\nwant %s", got, exact)
	}
	if tx.Busy() {
		t.Error("transmitter busy after its end of data")
	}
	if f, a := tx.Sent(); f != 1 || a != 0 {
		t.Errorf("Sent() = %d, %d; want 1, 0", f, a)
	}
	if b := tx.GetBit(); b != dsp.EndOfData {
		t.Errorf("idle GetBit = %d, want EndOfData", b)
	}
}

func TestHDLCTxFlags(t *testing.T) {
	tx := NewHDLCTx(HDLCTxConfig{}) // defaults: 38 preamble flags, 2 closing
	tx.Send([]byte{0xFF, 0x13, 0xFA})
	tx.Finish()
	bits := bitString(txBits(t, tx, 10000))
	pre := strings.Repeat("01111110", DefaultPreambleFlags)
	if !strings.HasPrefix(bits, pre) || strings.HasPrefix(bits, pre+"01111110") {
		t.Errorf("preamble is not %d flags: %s", DefaultPreambleFlags, bits[:min(len(bits), 400)])
	}
	if !strings.HasSuffix(bits, "0111111001111110") {
		t.Errorf("does not end in two flags: %s", bits[len(bits)-40:])
	}
	// 38 flags, the 43 bits of the frame (TestHDLCTxBitExact), 2 flags
	if want := 8*38 + 43 + 16; len(bits) != want {
		t.Errorf("%d bits, want %d", len(bits), want)
	}
}

func TestHDLCTxErrors(t *testing.T) {
	tx := NewHDLCTx(HDLCTxConfig{MaxFrameLen: 10, QueueLen: 2})
	if err := tx.Send(nil); !errors.Is(err, ErrFrameLength) {
		t.Errorf("empty frame: %v", err)
	}
	if err := tx.Send(make([]byte, 11)); !errors.Is(err, ErrFrameLength) {
		t.Errorf("long frame: %v", err)
	}
	tx.Send(make([]byte, 10))
	tx.Send(make([]byte, 3))
	if err := tx.Send(make([]byte, 3)); !errors.Is(err, ErrTxFull) {
		t.Errorf("full queue: %v", err)
	}
	if tx.Queued() != 2 {
		t.Errorf("Queued = %d", tx.Queued())
	}
	tx.Reset()
	if tx.Busy() || tx.Queued() != 0 {
		t.Error("Reset left work")
	}
}

type rxFrame struct {
	data []byte
	ok   bool
}

func collect(cfg HDLCRxConfig) (*HDLCRx, *[]rxFrame) {
	var got []rxFrame
	rx := NewHDLCRx(cfg, func(f []byte, ok bool) {
		got = append(got, rxFrame{append([]byte(nil), f...), ok})
	})
	return rx, &got
}

func randomFrames(r *rand.Rand, n, maxLen int) [][]byte {
	var fs [][]byte
	for range n {
		f := make([]byte, 2+r.IntN(maxLen-1))
		for i := range f {
			switch r.IntN(3) {
			case 0:
				f[i] = 0xFF // runs of 1s exercise the zero insertion
			case 1:
				f[i] = 0x7E // flag-like octets
			default:
				f[i] = byte(r.Uint32())
			}
		}
		fs = append(fs, f)
	}
	return fs
}

func TestHDLCLoopback(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, cfg := range []HDLCTxConfig{
		{},
		{PreambleFlags: 2, InterFrameFlags: 1, ClosingFlags: 1, QueueLen: 64},
		{PreambleFlags: 5, InterFrameFlags: 4, ClosingFlags: 3, QueueLen: 64},
	} {
		if cfg.QueueLen == 0 {
			cfg.QueueLen = 64
		}
		tx := NewHDLCTx(cfg)
		rx, got := collect(HDLCRxConfig{})
		frames := randomFrames(r, 40, DefaultMaxFrameLen)
		for _, f := range frames {
			if err := tx.Send(f); err != nil {
				t.Fatal(err)
			}
		}
		tx.Finish()
		for b := tx.GetBit(); b != dsp.EndOfData; b = tx.GetBit() {
			rx.PutBit(b)
		}
		if len(*got) != len(frames) {
			t.Fatalf("%+v: received %d frames of %d", cfg, len(*got), len(frames))
		}
		for i, g := range *got {
			if !g.ok || !bytes.Equal(g.data, frames[i]) {
				t.Errorf("frame %d: ok %v\n got % X\nwant % X", i, g.ok, g.data, frames[i])
			}
		}
		st := rx.Stats()
		if st.Frames != uint64(len(frames)) || st.FCSErrors+st.LengthErrors+st.Aborts != 0 {
			t.Errorf("stats %+v", st)
		}
	}
}

// TestHDLCTxStreaming queues frames from the underflow handler while the
// transmitter runs, as an ECM sender does.
func TestHDLCTxStreaming(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	frames := randomFrames(r, 10, 64)
	tx := NewHDLCTx(HDLCTxConfig{PreambleFlags: 3, QueueLen: 1})
	next := 1
	idle := 0
	tx.SetUnderflowHandler(func() {
		if next == len(frames) {
			tx.Finish()
			return
		}
		if next%3 == 0 && idle < 2 { // leave the line in flags now and then
			idle++
			return
		}
		idle = 0
		if err := tx.Send(frames[next]); err != nil {
			t.Fatal(err)
		}
		next++
	})
	tx.Send(frames[0])
	rx, got := collect(HDLCRxConfig{})
	for b := tx.GetBit(); b != dsp.EndOfData; b = tx.GetBit() {
		rx.PutBit(b)
	}
	if len(*got) != len(frames) {
		t.Fatalf("received %d frames of %d", len(*got), len(frames))
	}
	for i, g := range *got {
		if !bytes.Equal(g.data, frames[i]) {
			t.Errorf("frame %d differs", i)
		}
	}
}

func TestHDLCTxAbort(t *testing.T) {
	tx := NewHDLCTx(HDLCTxConfig{PreambleFlags: 3})
	a := bytes.Repeat([]byte{0x55}, 20)
	b := []byte{0xFF, 0x13, 0x8C}
	tx.Send(a)
	tx.Send(b)
	tx.Finish()
	rx, got := collect(HDLCRxConfig{ReportBadFrames: true})
	for i := 0; ; i++ {
		if i == 24+80 { // 3 flags, then well inside frame a
			tx.Abort()
		}
		bit := tx.GetBit()
		if bit == dsp.EndOfData {
			break
		}
		rx.PutBit(bit)
	}
	if len(*got) != 1 || !bytes.Equal((*got)[0].data, b) {
		t.Fatalf("got %v, want only the second frame", *got)
	}
	if st := rx.Stats(); st.Aborts != 1 {
		t.Errorf("stats %+v, want one abort", st)
	}
	if f, ab := tx.Sent(); f != 1 || ab != 1 {
		t.Errorf("Sent() = %d, %d", f, ab)
	}
}

// bitsOf gives the bits a transmitter makes for frames, with one flag of
// preamble and closing.
func bitsOf(t testing.TB, frames ...[]byte) []byte {
	tx := NewHDLCTx(HDLCTxConfig{PreambleFlags: 2, ClosingFlags: 1, QueueLen: len(frames) + 1})
	for _, f := range frames {
		if err := tx.Send(f); err != nil {
			t.Fatal(err)
		}
	}
	tx.Finish()
	return txBits(t, tx, 1<<20)
}

func feed(rx *HDLCRx, bits []byte) {
	for _, b := range bits {
		rx.PutBit(int(b))
	}
}

func TestHDLCRxErrors(t *testing.T) {
	frame := []byte{0xFF, 0x13, 0x80, 0x00, 0xEE, 0xF9}
	good := bitsOf(t, frame)

	t.Run("bad FCS", func(t *testing.T) {
		bits := append([]byte(nil), good...)
		bits[16+20] ^= 1 // inside the frame, not making a flag
		rx, got := collect(HDLCRxConfig{ReportBadFrames: true})
		feed(rx, bits)
		st := rx.Stats()
		if st.FCSErrors+st.LengthErrors != 1 || st.Frames != 0 {
			t.Errorf("stats %+v", st)
		}
		if st.FCSErrors == 1 && (len(*got) != 1 || (*got)[0].ok) {
			t.Errorf("bad frame not reported: %v", *got)
		}
		rx2, got2 := collect(HDLCRxConfig{})
		feed(rx2, bits)
		if len(*got2) != 0 {
			t.Errorf("bad frame delivered without ReportBadFrames")
		}
	})
	t.Run("too long", func(t *testing.T) {
		rx, got := collect(HDLCRxConfig{MaxFrameLen: 5})
		feed(rx, good)
		if len(*got) != 0 || rx.Stats().LengthErrors != 1 {
			t.Errorf("got %v, stats %+v", *got, rx.Stats())
		}
		rx, got = collect(HDLCRxConfig{MaxFrameLen: 6})
		feed(rx, good)
		if len(*got) != 1 {
			t.Errorf("frame of exactly MaxFrameLen refused: %+v", rx.Stats())
		}
	})
	t.Run("misaligned", func(t *testing.T) {
		// Drop one data bit: the frame is no longer whole octets.
		bits := append(append([]byte(nil), good[:16+30]...), good[16+31:]...)
		rx, got := collect(HDLCRxConfig{})
		feed(rx, bits)
		if len(*got) != 0 || rx.Stats().LengthErrors+rx.Stats().FCSErrors != 1 {
			t.Errorf("got %v, stats %+v", *got, rx.Stats())
		}
	})
	t.Run("short", func(t *testing.T) {
		rx, got := collect(HDLCRxConfig{ReportBadFrames: true})
		feed(rx, bitsOf(t, []byte{0xFF})) // 3 octets with its FCS
		if len(*got) != 0 || rx.Stats().LengthErrors != 1 {
			t.Errorf("got %v, stats %+v", *got, rx.Stats())
		}
	})
	t.Run("sync", func(t *testing.T) {
		// One flag is not enough to start taking frames by default.
		tx := NewHDLCTx(HDLCTxConfig{PreambleFlags: 1, ClosingFlags: 1})
		tx.Send(frame)
		tx.Finish()
		rx, got := collect(HDLCRxConfig{})
		feed(rx, txBits(t, tx, 1000))
		if len(*got) != 0 || rx.Synced() {
			t.Errorf("frame taken after one flag")
		}
		var announced int
		rx, got = collect(HDLCRxConfig{SyncFlags: 1, OnFramingOK: func() { announced++ }})
		feed(rx, bitsOf(t, frame, frame))
		if len(*got) != 2 || announced != 1 {
			t.Errorf("SyncFlags 1: %d frames, %d announcements", len(*got), announced)
		}
		rx.Reset()
		if rx.Synced() || rx.Stats().Frames != 2 {
			t.Errorf("Reset: synced %v, stats %+v", rx.Synced(), rx.Stats())
		}
	})
	t.Run("noise then frame", func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		rx, got := collect(HDLCRxConfig{})
		for range 5000 {
			rx.PutBit(int(r.Uint32() & 1))
		}
		for range 20 { // idle mark, as between transmissions
			rx.PutBit(1)
		}
		feed(rx, good)
		if n := len(*got); n == 0 || !bytes.Equal((*got)[n-1].data, frame) {
			t.Errorf("frame after noise not received: %v", *got)
		}
	})
}

// TestHDLCNoAllocs: after construction, neither end allocates.
func TestHDLCNoAllocs(t *testing.T) {
	frame := []byte{0xFF, 0x13, 0x80, 0x00, 0xEE, 0xF9, 0xC4, 0x81, 0x11}
	tx := NewHDLCTx(HDLCTxConfig{PreambleFlags: 4})
	n := 0
	rx := NewHDLCRx(HDLCRxConfig{ReportBadFrames: true}, func(f []byte, ok bool) { n += len(f) })
	bad := NewHDLCRx(HDLCRxConfig{ReportBadFrames: true, SyncFlags: 1}, func(f []byte, ok bool) {})
	i := 0
	allocs := testing.AllocsPerRun(20, func() {
		tx.Send(frame)
		tx.Send(frame)
		tx.Finish()
		for b := tx.GetBit(); b != dsp.EndOfData; b = tx.GetBit() {
			rx.PutBit(b)
			if i++; i%97 == 0 { // and damaged traffic
				b ^= 1
			}
			bad.PutBit(b)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run", allocs)
	}
	if n == 0 {
		t.Error("no frames seen")
	}
}

// TestHDLCTxReconfigure: a transmitter left mid-frame, reconfigured, sends
// exactly what a new one with that configuration sends, its counters and
// underflow handler cleared, and allocates nothing when its queue fits.
func TestHDLCTxReconfigure(t *testing.T) {
	frames := [][]byte{{0xFF, 0x03, 0x80, 0x00, 0xEE}, {0xFF, 0x13, 0xFA, 0x7E, 0xFF, 0xFF}}
	run := func(tx *HDLCTx) string {
		for _, f := range frames {
			if err := tx.Send(f); err != nil {
				t.Fatal(err)
			}
		}
		tx.Finish()
		return bitString(txBits(t, tx, 10000))
	}
	used := NewHDLCTx(HDLCTxConfig{MaxFrameLen: 300, QueueLen: 12, PreambleFlags: 3})
	underflows := 0
	used.SetUnderflowHandler(func() { underflows++ })
	used.Send(bytes.Repeat([]byte{0xFF}, 40))
	for range 100 { // into the frame, with an abort counted
		used.GetBit()
	}
	used.Abort()
	for range 20 {
		used.GetBit()
	}
	if underflows == 0 {
		t.Fatal("the queue did not run dry after the abort")
	}
	underflows = 0
	for _, cfg := range []HDLCTxConfig{
		{PreambleFlags: 5, QueueLen: 2},
		{PreambleFlags: 1, ClosingFlags: 3, InterFrameFlags: 2},
		{MaxFrameLen: 64, QueueLen: 4},
	} {
		allocs := testing.AllocsPerRun(1, func() { used.Reconfigure(cfg) })
		if allocs != 0 {
			t.Errorf("%+v: Reconfigure allocates %v times in a queue big enough", cfg, allocs)
		}
		got, want := run(used), run(NewHDLCTx(cfg))
		if got != want {
			t.Errorf("%+v: reconfigured sends\n%s\nnew sends\n%s", cfg, got, want)
		}
		if f, a := used.Sent(); f != uint64(len(frames)) || a != 0 {
			t.Errorf("%+v: Sent() = %d, %d after Reconfigure and %d frames", cfg, f, a, len(frames))
		}
	}
	if underflows != 0 {
		t.Errorf("the underflow handler set before Reconfigure ran %d times", underflows)
	}
	// A bigger queue than the first: new memory, the same bits.
	cfg := HDLCTxConfig{QueueLen: 40}
	used.Reconfigure(cfg)
	if got, want := run(used), run(NewHDLCTx(cfg)); got != want {
		t.Errorf("%+v: grown, sends\n%s\nnew sends\n%s", cfg, got, want)
	}
	// A frame the old MaxFrameLen took and the new one does not.
	used.Reconfigure(HDLCTxConfig{MaxFrameLen: 8})
	if err := used.Send(make([]byte, 9)); !errors.Is(err, ErrFrameLength) {
		t.Errorf("Send of 9 octets with MaxFrameLen 8: %v", err)
	}
}

// TestHDLCOverV21 sends NSF-less CSI+DIS through the V.21 channel 2 modem
// and back, as on the line.
func TestHDLCOverV21(t *testing.T) {
	csi := Frame{FCF: CSI, FIF: mustIdent(t, CSI, "+44 1234 567890")}
	dis := Frame{FCF: DIS, Final: true, FIF: []byte{0x00, 0xEE, 0xF9, 0xC4, 0x81, 0x11}}
	tx := NewHDLCTx(HDLCTxConfig{})
	for _, f := range []Frame{csi, dis} {
		b, _ := f.Marshal()
		if err := tx.Send(b); err != nil {
			t.Fatal(err)
		}
	}
	tx.Finish()
	mod, err := v21.NewTransmitter(v21.Channel2, tx)
	if err != nil {
		t.Fatal(err)
	}
	var got []Frame
	rx := NewHDLCRx(HDLCRxConfig{}, func(b []byte, ok bool) {
		f, err := DecodeFrame(b)
		if err != nil || !ok {
			t.Errorf("bad frame % X: %v", b, err)
			return
		}
		f.FIF = append([]byte(nil), f.FIF...)
		got = append(got, f)
	})
	demod, err := v21.NewReceiver(v21.Channel2, rx)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]int16, 160)
	for {
		n := mod.Process(buf)
		demod.Process(buf[:n])
		if n < len(buf) {
			break
		}
	}
	demod.Process(make([]int16, 800))
	if len(got) != 2 || got[0].FCF != CSI || got[1].FCF != DIS || !got[1].Final ||
		!bytes.Equal(got[1].FIF, dis.FIF) {
		t.Fatalf("got %v", got)
	}
	if id, _ := ParseIdent(got[0].FIF); id != "+44 1234 567890" {
		t.Errorf("CSI %q", id)
	}
}

// BenchmarkHDLCTx: one op is one bit.
func BenchmarkHDLCTx(b *testing.B) {
	frame := bytes.Repeat([]byte{0xFF, 0x13, 0x55, 0x7E}, 64)
	tx := NewHDLCTx(HDLCTxConfig{PreambleFlags: 1, ClosingFlags: 1})
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if !tx.Busy() {
			tx.Send(frame)
			tx.Finish()
		}
		if tx.GetBit() != dsp.EndOfData {
			n++
		}
	}
	_ = n
}

// BenchmarkHDLCRx: one op is one bit.
func BenchmarkHDLCRx(b *testing.B) {
	frame := bytes.Repeat([]byte{0xFF, 0x13, 0x55, 0x7E}, 64)
	bits := bitsOf(b, frame, frame, frame)
	rx := NewHDLCRx(HDLCRxConfig{}, func([]byte, bool) {})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		rx.PutBit(int(bits[i]))
		if i++; i == len(bits) {
			i = 0
		}
	}
	if rx.Stats().Frames == 0 && b.N > 3*len(bits) {
		b.Fatal("no frames")
	}
}
