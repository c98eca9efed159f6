//go:build spandsp

package spandsp

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// t38Log turns SpanDSP's flow logs (stderr) on in the T.38 call tests:
// SPANDSP_T38_LOG=1.
var t38Log = os.Getenv("SPANDSP_T38_LOG") != ""

// t38Endpoint is what a T.38 link needs from either end.
type t38Endpoint interface {
	TxPackets() []T38Packet
	Receive(ifp []byte, seq int) error
}

// t38Tally counts one direction's packets. Image packets are T.38 data
// packets for a fast modem (data type other than V.21).
type t38Tally struct {
	packets, transmissions, bytes, wireBytes int
	indicators, v21, image                   int
	v21Bytes, imageBytes                     int
	maxIFP                                   int
	nextSeq                                  int
}

func (c *t38Tally) add(t *testing.T, p T38Packet) {
	t.Helper()
	if p.Seq != c.nextSeq {
		t.Fatalf("packet seq %d, want %d", p.Seq, c.nextSeq)
	}
	c.nextSeq = (c.nextSeq + 1) & 0xFFFF
	c.packets++
	c.transmissions += p.Count
	c.bytes += len(p.IFP)
	c.wireBytes += len(p.IFP) * p.Count
	c.maxIFP = max(c.maxIFP, len(p.IFP))
	if len(p.IFP) == 0 {
		t.Fatalf("empty IFP seq %d", p.Seq)
	}
	switch b := p.IFP[0]; {
	case b&0x40 == 0:
		c.indicators++
	case b&0x20 == 0 && (b>>1)&0x0f == 0: // T38_DATA_V21
		c.v21++
		c.v21Bytes += len(p.IFP)
	default:
		c.image++
		c.imageBytes += len(p.IFP)
	}
}

func (c t38Tally) String() string {
	return fmt.Sprintf("%d packets (%d indicator, %d V.21, %d image), %d transmissions, %d B IFP (%d B on the wire, image %d B), max IFP %d B",
		c.packets, c.indicators, c.v21, c.image, c.transmissions, c.bytes, c.wireBytes, c.imageBytes, c.maxIFP)
}

// deliver drains from's packets into to, every copy SpanDSP asked for, all
// with the packet's sequence number (to drops the repeats).
func deliver(t *testing.T, from, to t38Endpoint, tally *t38Tally) {
	t.Helper()
	for _, p := range from.TxPackets() {
		tally.add(t, p)
		for i := 0; i < p.Count; i++ {
			if err := to.Receive(p.IFP, p.Seq); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// checkReceived compares the received TIFF with the source, pixel for pixel.
func checkReceived(t *testing.T, src [][][]byte, rxPath string) {
	t.Helper()
	got, stats := readTIFF(t, rxPath)
	if len(got) != len(src) {
		t.Fatalf("received %d pages, want %d", len(got), len(src))
	}
	for p := range src {
		if stats[p].BadRows != 0 || stats[p].MissingRows != 0 {
			t.Errorf("page %d: reader stats %+v", p, stats[p])
		}
		if len(got[p]) != len(src[p]) {
			t.Errorf("page %d: %d rows, want %d", p, len(got[p]), len(src[p]))
			continue
		}
		diff := 0
		for y := range src[p] {
			if !bytes.Equal(got[p][y], src[p][y]) {
				diff++
			}
		}
		if diff != 0 {
			t.Errorf("page %d: %d of %d rows differ", p, diff, len(src[p]))
		}
	}
}

// checkResult checks one side's phase E report of a successful call.
func checkResult(t *testing.T, who string, r FaxResult, sent bool, pages int, ecm bool, remote string) {
	t.Helper()
	if r.Code != T30ErrOK || r.Text != "OK" {
		t.Errorf("%s: completion %d %q, want T30_ERR_OK", who, r.Code, r.Text)
	}
	n := r.PagesRx
	if sent {
		n = r.PagesTx
	}
	if n != pages || r.Pages != pages {
		t.Errorf("%s: %d pages (Pages %d), want %d", who, n, r.Pages, pages)
	}
	if r.ECM != ecm {
		t.Errorf("%s: ECM %v, want %v", who, r.ECM, ecm)
	}
	if r.BitRate != 14400 {
		t.Errorf("%s: %d bit/s, want 14400", who, r.BitRate)
	}
	wantEnc := "T.4 2-D"
	if ecm {
		wantEnc = "T.6"
	}
	if r.Encoding != wantEnc {
		t.Errorf("%s: coding %q, want %q", who, r.Encoding, wantEnc)
	}
	if r.RemoteIdent != remote {
		t.Errorf("%s: remote ident %q, want %q", who, r.RemoteIdent, remote)
	}
	if r.BadRows != 0 {
		t.Errorf("%s: %d bad rows", who, r.BadRows)
	}
}

func writeSource(t *testing.T, dir string, pages int) ([][][]byte, string) {
	var src [][][]byte
	for p := 0; p < pages; p++ {
		src = append(src, testPage(p))
	}
	txPath := filepath.Join(dir, "tx.tif")
	writeTIFF(t, txPath, src)
	return src, txPath
}

type t38CallConfig struct {
	pages   int
	ecm     bool
	version int
	config  T38Config
	poll    bool // the receiver calls and polls the sender
}

func (c t38CallConfig) String() string {
	e := "noECM"
	if c.ecm {
		e = "ECM"
	}
	p := "paced"
	if c.config&T38NoPacing != 0 {
		p = "unpaced"
	}
	if c.poll {
		p += "/poll"
	}
	return fmt.Sprintf("%s/%dpage/v%d/%s", e, c.pages, c.version, p)
}

// TestT38TerminalCall: two SpanDSP T.38 terminals back to back, packets
// handed over directly (no loss, no delay beyond a 20 ms turn), 160 samples
// of time per turn. A sends to B (A calls, or B calls and polls); the page
// arrives pixel for pixel.
func TestT38TerminalCall(t *testing.T) {
	var cfgs []t38CallConfig
	for _, ecm := range []bool{false, true} {
		cfgs = append(cfgs,
			t38CallConfig{pages: 1, ecm: ecm},
			t38CallConfig{pages: 2, ecm: ecm},
			t38CallConfig{pages: 1, ecm: ecm, version: 3},
			t38CallConfig{pages: 1, ecm: ecm, config: T38NoPacing | T38NoIndicators},
			t38CallConfig{pages: 1, ecm: ecm, poll: true})
	}
	for _, cfg := range cfgs {
		t.Run(cfg.String(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			src, txPath := writeSource(t, dir, cfg.pages)
			rxPath := filepath.Join(dir, "rx.tif")
			a := NewT38Terminal(!cfg.poll, T38Options{TxFile: txPath, ECM: cfg.ecm, Modems: SupportV17,
				Ident: callerIdent, Version: cfg.version, Config: cfg.config})
			b := NewT38Terminal(cfg.poll, T38Options{RxFile: rxPath, ECM: cfg.ecm, Modems: SupportV17,
				Ident: answererIdent, Version: cfg.version, Config: cfg.config})
			var ab, ba t38Tally
			samples := 0
			for samples < maxCallSamples && !(a.Done() && b.Done()) {
				a.Advance(faxBlock)
				b.Advance(faxBlock)
				samples += faxBlock
				deliver(t, a, b, &ab)
				deliver(t, b, a, &ba)
			}
			ra, rb := a.Result(), b.Result()
			sa, sb := a.TxStats(), b.TxStats()
			a.Close()
			b.Close()
			t.Logf("%v: %.2f s simulated", cfg, float64(samples)/8000)
			t.Logf("%v: A->B %v", cfg, ab)
			t.Logf("%v: B->A %v", cfg, ba)
			t.Logf("%v: per page A->B: %.1f image packets, %.0f image bytes", cfg,
				float64(ab.image)/float64(cfg.pages), float64(ab.imageBytes)/float64(cfg.pages))
			t.Logf("%v: sender %+v", cfg, ra)
			t.Logf("%v: receiver %+v", cfg, rb)
			if ra.Code < 0 || rb.Code < 0 {
				t.Fatalf("phase E not reached in %d s (codes %d, %d)", maxCallSamples/8000, ra.Code, rb.Code)
			}
			if ra.Samples != int64(samples) {
				t.Errorf("sender Samples %d, want %d", ra.Samples, samples)
			}
			// The binding's totals agree with what the test saw.
			for _, c := range []struct {
				s T38TxStats
				c t38Tally
			}{{sa, ab}, {sb, ba}} {
				if c.s.Packets != int64(c.c.packets) || c.s.Transmissions != int64(c.c.transmissions) ||
					c.s.Bytes != int64(c.c.bytes) || c.s.WireBytes != int64(c.c.wireBytes) ||
					c.s.MaxIFP != c.c.maxIFP || c.s.Queued != 0 {
					t.Errorf("TxStats %+v disagree with the packets %v", c.s, c.c)
				}
			}
			paced := cfg.config&T38NoPacing == 0
			if paced {
				if ab.indicators == 0 || ba.indicators == 0 {
					t.Errorf("paced: no indicators (A->B %d, B->A %d)", ab.indicators, ba.indicators)
				}
				if ab.transmissions <= ab.packets {
					t.Errorf("paced: no repeats A->B (%d packets, %d transmissions)", ab.packets, ab.transmissions)
				}
			} else if ab.indicators != 0 || ba.indicators != 0 || ab.transmissions != ab.packets {
				t.Errorf("unpaced: A->B %v, B->A %v", ab, ba)
			}
			if ab.image == 0 {
				t.Error("no image packets")
			}
			checkResult(t, "sender", ra, true, cfg.pages, cfg.ecm, answererIdent)
			checkResult(t, "receiver", rb, false, cfg.pages, cfg.ecm, callerIdent)
			checkReceived(t, src, rxPath)
		})
	}
}

// gatewayCall is one call between SpanDSP's audio Fax and its T38Terminal
// through its T38Gateway.
type gatewayCall struct {
	audioSends bool // the audio fax has the page (else the T.38 terminal)
	// poll: the receiver calls and polls (DIS, DTC, DCS) instead of the
	// sender calling.
	poll bool
	ecm  bool
}

func (c gatewayCall) String() string {
	s := "audio->t38"
	if !c.audioSends {
		s = "t38->audio"
	}
	if c.poll {
		s += "/poll"
	}
	if c.ecm {
		return s + "/ECM"
	}
	return s + "/noECM"
}

// runGatewayCall runs c: audio between Fax and gateway in 160-sample blocks
// (the fax hears the gateway's previous block), packets between gateway and
// terminal handed over each block, every copy, 160 samples of time per turn.
func runGatewayCall(t *testing.T, c gatewayCall, capSamples int) (rf, rt FaxResult, gs T38GatewayStats, src [][][]byte, rxPath string) {
	dir := t.TempDir()
	src, txPath := writeSource(t, dir, 1)
	rxPath = filepath.Join(dir, "rx.tif")
	fo := FaxOptions{ECM: c.ecm, Modems: SupportV17, Log: t38Log}
	to := T38Options{ECM: c.ecm, Modems: SupportV17, Log: t38Log}
	if c.audioSends {
		fo.TxFile, to.RxFile = txPath, rxPath
	} else {
		fo.RxFile, to.TxFile = rxPath, txPath
	}
	faxCalls := c.audioSends != c.poll
	fo.Ident, to.Ident = answererIdent, callerIdent
	if faxCalls {
		fo.Ident, to.Ident = callerIdent, answererIdent
	}
	fax := NewFax(faxCalls, fo)
	defer fax.Close()
	gw := NewT38Gateway(T38GatewayOptions{ECM: c.ecm, Log: t38Log})
	defer gw.Close()
	term := NewT38Terminal(!faxCalls, to)
	defer term.Close()

	faxIn := make([]int16, faxBlock)
	faxOut := make([]int16, faxBlock)
	var toT38, toGw t38Tally
	samples := 0
	for samples < capSamples && !(fax.Done() && term.Done()) {
		fax.Process(faxIn, faxOut)
		gw.Process(faxOut, faxIn) // the fax hears it next block
		term.Advance(faxBlock)
		samples += faxBlock
		deliver(t, gw, term, &toT38)
		deliver(t, term, gw, &toGw)
	}
	rf, rt, gs = fax.Result(), term.Result(), gw.Stats()
	t.Logf("%v: %.2f s simulated; gateway %+v, %d samples", c, float64(samples)/8000, gs, gw.Samples())
	t.Logf("%v: gateway->terminal %v", c, toT38)
	t.Logf("%v: terminal->gateway %v", c, toGw)
	t.Logf("%v: fax %+v", c, rf)
	t.Logf("%v: terminal %+v", c, rt)
	return rf, rt, gs, src, rxPath // the deferred Closes finish the received TIFF
}

// TestT38Gateway: SpanDSP's audio fax terminal, SpanDSP's T.38 gateway and
// SpanDSP's T.38 terminal. Both directions of the page, ECM on and off, the
// sender calling; then polling, the receiver calling.
func TestT38Gateway(t *testing.T) {
	var cfgs []gatewayCall
	for _, audioSends := range []bool{true, false} {
		for _, ecm := range []bool{false, true} {
			cfgs = append(cfgs, gatewayCall{audioSends: audioSends, ecm: ecm})
		}
	}
	cfgs = append(cfgs, gatewayCall{audioSends: true, poll: true},
		gatewayCall{audioSends: false, poll: true})
	for _, c := range cfgs {
		t.Run(c.String(), func(t *testing.T) {
			t.Parallel()
			rf, rt, gs, src, rxPath := runGatewayCall(t, c, maxCallSamples)
			if rf.Code < 0 || rt.Code < 0 {
				t.Fatalf("phase E not reached in %d s (codes %d, %d)", maxCallSamples/8000, rf.Code, rt.Code)
			}
			faxCalls := c.audioSends != c.poll
			faxRemote, termRemote := answererIdent, callerIdent
			if !faxCalls {
				faxRemote, termRemote = callerIdent, answererIdent
			}
			checkResult(t, "fax", rf, c.audioSends, 1, c.ecm, faxRemote)
			checkResult(t, "terminal", rt, !c.audioSends, 1, c.ecm, termRemote)
			if gs.Pages != 1 || gs.BitRate != 14400 || gs.ECM != c.ecm {
				t.Errorf("gateway stats %+v", gs)
			}
			checkReceived(t, src, rxPath)
		})
	}
}

// TestT38GatewayPolledECM pins a SpanDSP 0.0.6 gateway failure: polling
// (the receiver calls; DIS, DTC, then DCS from the polled sender) with ECM
// fails through the gateway in both directions, while polling without ECM
// and ECM with the sender calling work (TestT38Gateway), and so does polling
// with ECM between two T.38 terminals (TestT38TerminalCall) and between two
// audio terminals (the "audio-control" subtest here).
//
// t38->audio (read from SpanDSP's flow log): the gateway gets the audio
// fax's CFR while its fast receiver is also listening and labels it
// v17-7200 instead of V.21, so it never "monitors" the CFR, never enters
// image mode and feeds the ECM frames to its modem as non-ECM data. The fax
// hears carrier but no frame, T2 expires, the terminal ends with "No
// response after sending a page" and the fax never reaches phase E.
// audio->t38: the terminal gets no good ECM frame; the fax retransmits
// until "Disconnected after permitted retries" (792 ECM retries).
func TestT38GatewayPolledECM(t *testing.T) {
	t.Run("audio-control", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		src, txPath := writeSource(t, dir, 1)
		rxPath := filepath.Join(dir, "rx.tif")
		snd := NewFax(false, FaxOptions{TxFile: txPath, ECM: true, Modems: SupportV17, Ident: callerIdent})
		rcv := NewFax(true, FaxOptions{RxFile: rxPath, ECM: true, Modems: SupportV17, Ident: answererIdent})
		st := runCall(rcv, snd, nil, nil)
		rs, rr := snd.Result(), rcv.Result()
		snd.Close()
		rcv.Close()
		t.Logf("audio poll ECM: %.2f s; sender %+v; receiver %+v", float64(st.samples)/8000, rs, rr)
		checkResult(t, "sender", rs, true, 1, true, answererIdent)
		checkResult(t, "receiver", rr, false, 1, true, callerIdent)
		checkReceived(t, src, rxPath)
	})
	for _, audioSends := range []bool{true, false} {
		c := gatewayCall{audioSends: audioSends, poll: true, ecm: true}
		t.Run(c.String(), func(t *testing.T) {
			t.Parallel()
			rf, rt, gs, _, _ := runGatewayCall(t, c, 240*8000)
			if rf.Code == T30ErrOK && rt.Code == T30ErrOK {
				t.Fatalf("%v succeeded: SpanDSP's gateway fixed? Move it to TestT38Gateway", c)
			}
			if rf.Pages != 0 || rt.Pages != 0 || gs.Pages != 0 {
				t.Errorf("pages went through: fax %d, terminal %d, gateway %d", rf.Pages, rt.Pages, gs.Pages)
			}
		})
	}
}

// TestT38Binding: packet numbering, SpanDSP's redundancy counts, Receive's
// error and the option checks.
func TestT38Binding(t *testing.T) {
	a := NewT38Terminal(true, T38Options{})
	defer a.Close()
	if p := a.Packets(); p != nil {
		t.Fatalf("packets before any time passed: %v", p)
	}
	if r := a.Result(); r.Code != -1 || r.Text != "" || a.Done() {
		t.Fatalf("result before phase E: %+v", r)
	}
	// The caller starts with CNG: indicator packets, 3 copies each (paced).
	for i := 0; i < 50; i++ {
		a.Advance(faxBlock)
	}
	st := a.TxStats()
	pk := a.TxPackets()
	if len(pk) == 0 || int64(len(pk)) != st.Packets || st.Queued != len(pk) {
		t.Fatalf("%d packets drained, stats %+v", len(pk), st)
	}
	for i, p := range pk {
		if p.Seq != i {
			t.Errorf("packet %d: seq %d", i, p.Seq)
		}
		if len(p.IFP) == 1 && p.IFP[0]&0x40 == 0 && p.Count != 3 {
			t.Errorf("indicator %x sent %d times, want 3", p.IFP, p.Count)
		}
	}
	t.Logf("first 1 s of a caller: %+v", pk)
	if q := a.TxStats().Queued; q != 0 {
		t.Errorf("%d queued after draining", q)
	}
	if err := a.Receive(nil, 0); err == nil {
		t.Error("an empty IFP was accepted")
	}
	a.Terminate()
	if r := a.Result(); !a.Done() || r.Code != T30ErrCallDropped {
		t.Errorf("after Terminate: %+v", r)
	}
	for _, f := range []func(){
		func() { NewT38Terminal(true, T38Options{Version: 4}) },
		func() { NewT38Gateway(T38GatewayOptions{Version: -1}) },
		func() { NewT38Terminal(true, T38Options{Ident: "123456789012345678901"}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("bad option did not panic")
				}
			}()
			f()
		}()
	}
}
