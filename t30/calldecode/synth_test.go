package calldecode

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/dsp/modems"
	"github.com/faxd/faxd/dsp/tone"
	"github.com/faxd/faxd/dsp/v21"
	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/t4"
)

// A synthetic call, built from our own transmitters: the calling terminal
// sends, the called one receives. Each side's audio is kept apart, so a
// test can mix them (one track) or keep them as a stereo pair.
type callAudio struct {
	calling, called []int16
}

// add appends samples sent by one side and as much silence on the other.
func (a *callAudio) add(from Side, s []int16) {
	if from == Calling {
		a.calling = append(a.calling, s...)
		a.called = append(a.called, make([]int16, len(s))...)
	} else {
		a.called = append(a.called, s...)
		a.calling = append(a.calling, make([]int16, len(s))...)
	}
}

// gap adds silence on both sides (T.30 §5.3.2.4: 75 ms between
// transmissions).
func (a *callAudio) gap(ms int) {
	n := ms * dsp.SampleRate / 1000
	a.calling = append(a.calling, make([]int16, n)...)
	a.called = append(a.called, make([]int16, n)...)
}

// mixed returns both sides added, as one track of the line hears them.
func (a *callAudio) mixed() []int16 {
	out := make([]int16, len(a.calling))
	for i := range out {
		out[i] = dsp.SaturateInt16(float32(a.calling[i]) + float32(a.called[i]))
	}
	return out
}

// run drives a transmitter to its end.
func run(tx dsp.Transmitter) []int16 {
	var out []int16
	buf := make([]int16, 160)
	for len(out) < 600*dsp.SampleRate {
		n := tx.Process(buf)
		out = append(out, buf[:n]...)
		if n < len(buf) {
			break
		}
	}
	return out
}

// v21Frames is one V.21 channel 2 transmission of HDLC frames.
func v21Frames(t testing.TB, frames ...t30.Frame) []int16 {
	t.Helper()
	h := t30.NewHDLCTx(t30.HDLCTxConfig{})
	for i, f := range frames {
		f.Final = i == len(frames)-1
		b, err := f.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Send(b); err != nil {
			t.Fatal(err)
		}
	}
	h.Finish()
	tx, err := v21.NewTransmitter(v21.Channel2, h)
	if err != nil {
		t.Fatal(err)
	}
	return run(tx)
}

// fast is one transmission of the fast modem; V.17 sends the short train
// when asked.
func fast(t testing.TB, modem string, rate int, short bool, src dsp.BitSource) []int16 {
	t.Helper()
	m, err := modems.Find(modem, rate, 0)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := m.NewTransmitter(rate, 0, src)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := tx.(interface{ SetShortTrain(bool) }); ok {
		s.SetShortTrain(short)
	}
	return run(tx)
}

// octetBits serves octets least significant bit first, then ends.
func octetBits(data []byte) dsp.BitSource {
	i := 0
	return dsp.BitSourceFunc(func() int {
		if i >= 8*len(data) {
			return dsp.EndOfData
		}
		b := int(data[i/8] >> (i % 8) & 1)
		i++
		return b
	})
}

// synthPage draws a page of text-like marks, different for each seed.
func synthPage(width, height int, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	stride := (width + 7) / 8
	rows := make([][]byte, height)
	for y := range rows {
		row := make([]byte, stride)
		if y%16 < 10 && y > 8 {
			strokes := [...]byte{0x00, 0x18, 0x3c, 0x24, 0x42, 0x7e, 0x60, 0x06}
			for x := 4; x < stride-4; x++ {
				if x%9 != 0 {
					row[x] = strokes[rng.IntN(len(strokes))]
				}
			}
		}
		if d := y * width / height; d < width {
			row[d/8] |= 0x80 >> (d % 8)
		}
		rows[y] = row
	}
	return rows
}

func encodePage(t testing.TB, rows [][]byte, coding t4.Coding, width int) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc, err := t4.NewEncoder(&buf, t4.Options{Coding: coding, Width: width, K: 4, FillOrder: t4.LSBFirst})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := enc.WriteRow(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func params(t testing.TB, p t30.Params) []byte {
	t.Helper()
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ident(t testing.TB, f t30.FCF, s string) []byte {
	t.Helper()
	b, err := t30.AppendIdent(nil, f, s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type synthCall struct {
	modem string // "v29", "v27ter", "v17"
	rate  int
	dcs   t30.Rate
	ecm   bool
	ecm64 bool // 64-octet ECM frames (else 256)
	// drop lists ECM frames left out of the first transmission of the
	// block and sent again after PPR.
	drop []int
	rows [][]byte
}

// build makes the audio of a one-page call: CNG, CED, CSI+DIS, TSI+DCS,
// TCF, CFR, the page, EOP (or PPS-EOP), MCF, DCN.
func (sc synthCall) build(t testing.TB) *callAudio {
	a := &callAudio{}
	cng := tone.NewCNGGenerator(-13)
	b := make([]int16, dsp.SampleRate/2)
	cng.Process(b)
	a.add(Calling, b)
	a.gap(300)
	ced := tone.NewAnswerGenerator(tone.ANS, -13)
	ced.SetLength(2 * dsp.SampleRate)
	a.add(Called, run(ced))
	a.gap(75)

	dis := t30.Params{Rate: t30.ModemsV27terV29V17, Receive: true, Fine: true, MR: true, ECM: true, MMR: true, Width: t30.Width215, Length: t30.LengthUnlimited}
	a.add(Called, v21Frames(t,
		t30.Frame{FCF: t30.CSI, FIF: ident(t, t30.CSI, "+1 555 0199")},
		t30.Frame{FCF: t30.DIS, FIF: params(t, dis)}))
	a.gap(75)

	dcs := t30.Params{Rate: sc.dcs, Receive: true, Fine: true, Width: t30.Width215, Length: t30.LengthA4}
	coding := t4.MR
	dcs.MR = true
	if sc.ecm {
		dcs.ECM, dcs.MMR, dcs.Frame64, coding = true, true, sc.ecm64, t4.MMR
	}
	size := 256
	if sc.ecm64 {
		size = 64
	}
	a.add(Calling, v21Frames(t,
		t30.Frame{FCF: t30.TSI.WithX(true), FIF: ident(t, t30.TSI, "+1 555 0100")},
		t30.Frame{FCF: t30.DCS.WithX(true), FIF: params(t, dcs)}))
	a.gap(75)
	a.add(Calling, fast(t, sc.modem, sc.rate, false, octetBits(make([]byte, sc.rate*3/2/8))))
	a.gap(75)
	a.add(Called, v21Frames(t, t30.Frame{FCF: t30.CFR}))
	a.gap(75)

	data := encodePage(t, sc.rows, coding, 1728)
	if !sc.ecm {
		a.add(Calling, fast(t, sc.modem, sc.rate, true, octetBits(data)))
		a.gap(75)
		a.add(Calling, v21Frames(t, t30.Frame{FCF: t30.EOP.WithX(true)}))
	} else {
		var frames [][]byte
		for i := 0; i*size < len(data); i++ {
			chunk := data[i*size : min(len(data), (i+1)*size)]
			frames = append(frames, append([]byte{t30.Address, t30.ControlMore, byte(t30.FCD), byte(i)}, chunk...))
		}
		if len(frames) > 256 {
			t.Fatalf("page of %d frames: more than one block", len(frames))
		}
		block := func(which []int) []int16 {
			h := t30.NewHDLCTx(t30.HDLCTxConfig{QueueLen: 260, PreambleFlags: 20})
			for _, i := range which {
				if err := h.Send(frames[i]); err != nil {
					t.Fatal(err)
				}
			}
			for range 3 {
				h.Send([]byte{t30.Address, t30.ControlMore, byte(t30.RCP)})
			}
			h.Finish()
			return fast(t, sc.modem, sc.rate, true, h)
		}
		pps := t30.Frame{FCF: t30.PPS.WithX(true),
			FIF: t30.PartialPage{FCF2: t30.EOP.WithX(true), Page: 0, Block: 0, Frames: len(frames)}.AppendTo(nil)}
		var first []int
		for i := range frames {
			if !slices.Contains(sc.drop, i) {
				first = append(first, i)
			}
		}
		a.add(Calling, block(first))
		a.gap(75)
		a.add(Calling, v21Frames(t, pps))
		a.gap(75)
		if len(sc.drop) > 0 {
			var m t30.FrameMap
			for _, i := range sc.drop {
				m.SetBad(i, true)
			}
			a.add(Called, v21Frames(t, t30.Frame{FCF: t30.PPR, FIF: m[:]}))
			a.gap(75)
			a.add(Calling, block(sc.drop))
			a.gap(75)
			a.add(Calling, v21Frames(t, pps))
		}
	}
	a.gap(75)
	a.add(Called, v21Frames(t, t30.Frame{FCF: t30.MCF}))
	a.gap(75)
	a.add(Calling, v21Frames(t, t30.Frame{FCF: t30.DCN.WithX(true)}))
	a.gap(500)
	return a
}

// decoded is what a Decoder made of a recording.
type decoded struct {
	events []Event
	pages  []*Page
}

func (r *decoded) frames() []string {
	var s []string
	for _, e := range r.events {
		if e.Kind == KindFrame {
			s = append(s, e.Side.Arrow()+e.Name)
		}
	}
	return s
}

func (r *decoded) String() string {
	var b strings.Builder
	for _, e := range r.events {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// decodeMono feeds a track in blocks of 160 samples.
func decodeMono(t testing.TB, samples []int16) *decoded {
	t.Helper()
	r := &decoded{}
	d, err := New(Options{OnEvent: func(e Event) { r.events = append(r.events, e) }, OnPage: func(p *Page) { r.pages = append(r.pages, p) }})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(samples); i += 160 {
		if err := d.Process(samples[i:min(i+160, len(samples))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	return r
}

// decodeStereo feeds the two sides as a stereo pair, interleaved.
func decodeStereo(t testing.TB, left, right []int16) *decoded {
	t.Helper()
	r := &decoded{}
	d, err := New(Options{Channels: 2, OnEvent: func(e Event) { r.events = append(r.events, e) }, OnPage: func(p *Page) { r.pages = append(r.pages, p) }})
	if err != nil {
		t.Fatal(err)
	}
	in := make([]int16, 2*len(left))
	for i := range left {
		in[2*i], in[2*i+1] = left[i], right[i]
	}
	for i := 0; i < len(in); i += 333 { // odd blocks: a pair may straddle two calls
		if err := d.Process(in[i:min(i+333, len(in))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	return r
}

// checkCall checks the frames, the order of the events and the page.
func checkCall(t *testing.T, r *decoded, want []string, rows [][]byte) {
	t.Helper()
	if got := r.frames(); !slices.Equal(got, want) {
		t.Errorf("frames %q, want %q\n%s", got, want, r)
	}
	for i := 1; i < len(r.events); i++ {
		if r.events[i].Sample < r.events[i-1].Sample {
			t.Errorf("event %d out of order:\n%s\n%s", i, r.events[i-1], r.events[i])
		}
	}
	if len(r.pages) != 1 {
		t.Fatalf("%d pages, want 1\n%s", len(r.pages), r)
	}
	p := r.pages[0]
	if !p.OK() || len(p.Rows) != len(rows) {
		t.Fatalf("page: OK %v, %d rows (want %d), stats %+v, err %v\n%s", p.OK(), len(p.Rows), len(rows), p.Stats, p.Err, r)
	}
	for y := range rows {
		if !bytes.Equal(p.Rows[y], rows[y]) {
			t.Fatalf("page row %d differs\n%s", y, r)
		}
	}
}

func TestSyntheticCall(t *testing.T) {
	rows := synthPage(1728, 300, 1)
	cases := []struct {
		name string
		sc   synthCall
	}{
		{"V.29 9600 MR", synthCall{modem: "v29", rate: 9600, dcs: t30.V29_9600, rows: rows}},
		{"V.27ter 4800 MR", synthCall{modem: "v27ter", rate: 4800, dcs: t30.V27ter4800, rows: rows}},
		{"V.29 7200 ECM MMR with PPR", synthCall{modem: "v29", rate: 7200, dcs: t30.V29_7200, ecm: true, drop: []int{1, 3}, rows: rows}},
		{"V.17 14400 ECM", synthCall{modem: "v17", rate: 14400, dcs: t30.V17_14400, ecm: true, rows: rows}},
		{"V.27ter 4800 ECM 64", synthCall{modem: "v27ter", rate: 4800, dcs: t30.V27ter4800, ecm: true, ecm64: true, drop: []int{0, 5}, rows: synthPage(1728, 40, 3)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := c.sc.build(t)
			want := []string{"<-CSI", "<-DIS", "->TSI", "->DCS", "<-CFR", "->EOP", "<-MCF", "->DCN"}
			if c.sc.ecm {
				want = []string{"<-CSI", "<-DIS", "->TSI", "->DCS", "<-CFR", "->PPS", "<-MCF", "->DCN"}
				if len(c.sc.drop) > 0 {
					want = []string{"<-CSI", "<-DIS", "->TSI", "->DCS", "<-CFR", "->PPS", "<-PPR", "->PPS", "<-MCF", "->DCN"}
				}
			}
			t.Run("mixed", func(t *testing.T) {
				r := decodeMono(t, a.mixed())
				checkCall(t, r, want, c.sc.rows)
				if testing.Verbose() {
					t.Logf("\n%s", r)
				}
				checkTones(t, r)
			})
			t.Run("stereo", func(t *testing.T) {
				r := decodeStereo(t, a.calling, a.called)
				checkCall(t, r, want, c.sc.rows)
				for _, e := range r.events {
					if e.Kind == KindFrame && e.Label != map[Side]string{Calling: "L", Called: "R"}[e.Side] {
						t.Errorf("%s: on channel %q", e, e.Label)
					}
				}
			})
			t.Run("sender only", func(t *testing.T) {
				// One direction: the page must still come out.
				r := decodeMono(t, a.calling)
				var only []string
				for _, w := range want {
					if strings.HasPrefix(w, "->") {
						only = append(only, w)
					}
				}
				checkCall(t, r, only, c.sc.rows)
			})
		})
	}
}

func checkTones(t *testing.T, r *decoded) {
	t.Helper()
	var got []string
	for _, e := range r.events {
		if e.Kind == KindTone {
			got = append(got, e.Side.Arrow()+e.Name)
		}
	}
	if !slices.Equal(got, []string{"->CNG", "<-CED", "<-answer tone end"}) {
		t.Errorf("tones %q\n%s", got, r)
	}
}

// TestEventString pins the dialogue line format.
func TestEventString(t *testing.T) {
	var p t30.Params
	p.Rate, p.Fine, p.MR, p.MMR, p.ECM, p.Receive = t30.ModemsV27terV29V17, true, true, true, true, true
	fif := params(t, p)
	e := Event{Sample: 20096, Time: 2.512, Kind: KindFrame, Side: Called, Name: "DIS", Text: Describe(t30.Frame{FCF: t30.DIS, FIF: fif}), FIF: fif}
	got := e.String()
	want := fmt.Sprintf("   2.512 s  <- DIS  V.17 V.29 V.27ter, fine, MR, MMR, ECM, 215mm, A4, scan 20ms  [% X]", fif)
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// samePage compares two bitmaps row by row.
func samePage(got, want [][]byte) bool {
	if len(got) != len(want) {
		return false
	}
	for y := range want {
		if !bytes.Equal(got[y], want[y]) {
			return false
		}
	}
	return true
}

// TestTimeBase: Options.Start moves every event.
func TestTimeBase(t *testing.T) {
	a := synthCall{modem: "v29", rate: 9600, dcs: t30.V29_9600, rows: synthPage(1728, 20, 4)}.build(t)
	var first, shifted []Event
	for _, c := range []struct {
		start int64
		to    *[]Event
	}{{0, &first}, {80000, &shifted}} {
		d, _ := New(Options{Start: c.start, OnEvent: func(e Event) { *c.to = append(*c.to, e) }})
		d.Process(a.mixed())
		d.Close()
	}
	if len(first) == 0 || len(first) != len(shifted) {
		t.Fatalf("%d and %d events", len(first), len(shifted))
	}
	for i := range first {
		if shifted[i].Sample != first[i].Sample+80000 || math.Abs(shifted[i].Time-first[i].Time-10) > 1e-9 {
			t.Errorf("%s\nshifted to\n%s", first[i], shifted[i])
		}
	}
}

// TestNoAllocsOnSilence: the front ends allocate nothing while the line
// is quiet, mono or stereo.
func TestNoAllocsOnSilence(t *testing.T) {
	for _, ch := range []int{1, 2} {
		d, _ := New(Options{Channels: ch})
		buf := make([]int16, 320)
		d.Process(buf)
		if n := testing.AllocsPerRun(100, func() { d.Process(buf) }); n != 0 {
			t.Errorf("%d channel(s): %v allocations per block", ch, n)
		}
	}
}

func TestOptionsAndStereoErrors(t *testing.T) {
	if _, err := New(Options{Channels: 3}); !errors.Is(err, ErrOptions) {
		t.Errorf("3 channels: %v", err)
	}
	d, _ := New(Options{})
	if err := d.ProcessStereo(make([]int16, 4), make([]int16, 4)); !errors.Is(err, ErrStereo) {
		t.Errorf("stereo into mono: %v", err)
	}
	d2, _ := New(Options{Channels: 2})
	if err := d2.ProcessStereo(make([]int16, 4), make([]int16, 5)); !errors.Is(err, ErrStereo) {
		t.Errorf("uneven channels: %v", err)
	}
	d.Close()
	if err := d.Process(make([]int16, 4)); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}
