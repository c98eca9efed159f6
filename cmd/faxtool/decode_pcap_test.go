package main

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t38"
	"github.com/faxd/faxd/t38/capture"
)

// t38Capture runs a one-page call between two T.38 terminals through
// UDPTL with redundancy 2 and records every datagram but a few (which
// the redundancy of the next ones carries) to a pcap file.
func t38Capture(t *testing.T, ecm bool) (pcap []byte, page *document.Page, frames []string) {
	t.Helper()
	text := strings.Repeat("Invoice 2026-11-0042: two pallets of thermal paper, delivered to dock 4.\n", 30)
	pages, err := document.RenderText([]byte(text), &document.Options{Resolution: document.Fine})
	if err != nil {
		t.Fatal(err)
	}
	page = pages[0]
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	flows := [2]capture.Flow{
		{Src: netip.MustParseAddrPort("203.0.113.5:5004"), Dst: netip.MustParseAddrPort("203.0.113.9:6004")},
		{Src: netip.MustParseAddrPort("203.0.113.9:6004"), Dst: netip.MustParseAddrPort("203.0.113.5:5004")},
	}
	now := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	var enc [2]*t38.Encoder
	var dec [2]*t38.Decoder
	var queue [2][][]byte
	var sent [2]int
	for i := range 2 {
		enc[i], _ = t38.NewEncoder(t38.EncoderConfig{Scheme: t38.SchemeRedundancy, Redundancy: 2})
		dec[i], _ = t38.NewDecoder(t38.DecoderConfig{})
	}
	send := func(from int) func([]byte) {
		return func(ifp []byte) {
			d, err := enc[from].Append(nil, ifp)
			if err != nil {
				t.Fatal(err)
			}
			now = now.Add(time.Microsecond)
			queue[1-from] = append(queue[1-from], d)
			sent[from]++
			if sent[from] > 5 && sent[from]%9 == 0 {
				return // lost by the capture, not by the call
			}
			if err := w.WriteDatagram(now, flows[from], d); err != nil {
				t.Fatal(err)
			}
		}
	}
	sink := &t30.MemorySink{}
	a, err := t38.NewTerminal(t30.Config{Caller: true, Source: &t30.MemorySource{Pages: pages[:1]}, ECM: ecm}, t38.TerminalOptions{}, send(0))
	if err != nil {
		t.Fatal(err)
	}
	b, err := t38.NewTerminal(t30.Config{Sink: sink, ECM: ecm}, t38.TerminalOptions{}, send(1))
	if err != nil {
		t.Fatal(err)
	}
	term := [2]*t38.Terminal{a, b}
	for turn := 0; turn < 50*600 && !(a.Done() && b.Done()); turn++ {
		for i := range 2 {
			for _, d := range queue[i] {
				dec[i].Receive(d)
				dec[i].Drain(func(del t38.Delivery) { term[i].Receive(del.IFP) })
			}
			queue[i] = queue[i][:0]
		}
		a.Advance(160)
		b.Advance(160)
		now = now.Truncate(20 * time.Millisecond).Add(20 * time.Millisecond)
	}
	if !a.Result().OK() || !b.Result().OK() || len(sink.Pages) != 1 {
		t.Fatalf("call failed: %v %q / %v %q", a.Result().Code, a.Result().Cause, b.Result().Code, b.Result().Cause)
	}
	for _, e := range a.Result().Trace {
		for i := range 256 {
			if f := t30.FCF(i); f.Known() && f.String() == e.Name && !e.BadFCS {
				frames = append(frames, e.Name)
				break
			}
		}
	}
	return buf.Bytes(), page, frames
}

func TestDecodePcap(t *testing.T) {
	for _, ecm := range []bool{false, true} {
		pcap, page, frames := t38Capture(t, ecm)
		dir := t.TempDir()
		in := filepath.Join(dir, "call.pcap")
		out := filepath.Join(dir, "pages.tif")
		if err := os.WriteFile(in, pcap, 0o644); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		if st := run([]string{"decode", in, "--pages", out}, nil, &stdout, &stderr); st != 0 {
			t.Fatalf("ECM %v: status %d: %s", ecm, st, stderr.String())
		}
		text := stdout.String()
		t.Logf("ECM %v:\n%s", ecm, text)
		// Every frame of the caller's trace, in order, one a line.
		var got []string
		for _, line := range strings.Split(text, "\n") {
			fields := strings.Fields(line)
			if len(fields) >= 4 && (fields[2] == "->" || fields[2] == "<-") {
				for _, f := range frames {
					if fields[3] == f {
						got = append(got, f)
						break
					}
				}
			}
		}
		if strings.Join(got, " ") != strings.Join(frames, " ") {
			t.Errorf("ECM %v: frames %v, want %v", ecm, got, frames)
		}
		for _, want := range []string{"<- DIS  V.17 V.29 V.27ter", "-> DCS  V.17 14400", "-> TCF", "1 page(s) decoded", " 0 lost", "-> page 1"} {
			if !strings.Contains(text, want) {
				t.Errorf("ECM %v: no %q in the output", ecm, want)
			}
		}
		if strings.Contains(text, " 0 recovered") {
			t.Errorf("ECM %v: the datagrams left out of the capture were not recovered", ecm)
		}
		pages := readPages(t, out)
		if len(pages) != 1 || len(pages[0]) != page.Rows {
			t.Fatalf("ECM %v: %d pages written", ecm, len(pages))
		}
		for y, row := range pages[0] {
			if !bytes.Equal(row, page.Row(y)) {
				t.Fatalf("ECM %v: row %d of the TIFF page differs", ecm, y)
			}
		}
	}
}

func TestDecodePcapErrors(t *testing.T) {
	dir := t.TempDir()
	// A pcap header with nothing after it: no flow, no page.
	empty := filepath.Join(dir, "empty.pcap")
	var buf bytes.Buffer
	if _, err := capture.NewWriter(&buf); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(empty, buf.Bytes(), 0o644)
	var stdout, stderr bytes.Buffer
	if st := run([]string{"decode", empty}, nil, &stdout, &stderr); st != 0 || !strings.Contains(stdout.String(), "no T.38 flow") {
		t.Errorf("empty capture: status %d, %q %q", st, stdout.String(), stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if st := run([]string{"decode", empty, "--stereo"}, nil, &stdout, &stderr); st != 2 {
		t.Errorf("--stereo on a capture: status %d", st)
	}
	if st := run([]string{"decode", empty, "--port", "x"}, nil, &stdout, &stderr); st != 2 {
		t.Errorf("--port x: status %d", st)
	}
	// A pcap magic with a broken header is a usage error, not a crash.
	bad := filepath.Join(dir, "bad.pcap")
	os.WriteFile(bad, []byte{0xd4, 0xc3, 0xb2, 0xa1, 0, 0}, 0o644)
	if st := run([]string{"decode", bad}, nil, &stdout, &stderr); st != 2 {
		t.Errorf("broken pcap header: status %d: %s", st, stderr.String())
	}
}
