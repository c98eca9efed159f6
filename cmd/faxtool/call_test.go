package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCallOverPipes: two faxtool call processes (here run in goroutines,
// with the same run function main uses) joined by two pipes complete a
// call, faster than real time, and the receiver's TIFF holds the pages.
func TestCallOverPipes(t *testing.T) {
	dir := t.TempDir()
	doc := filepath.Join(dir, "letter.txt")
	os.WriteFile(doc, []byte(strings.Repeat("Wire transfer confirmation 2026-11-30, account 1234.\n", 20)), 0o644)
	out := filepath.Join(dir, "received.tif")
	for _, ecm := range []string{"on", "off"} {
		// Operating-system pipes, buffered as a shell's are (io.Pipe has no
		// buffer, and both ends write their first block before reading).
		aToB, aOut, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		bToA, bOut, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var sendStatus, recvStatus int
		var sendErr, recvErr bytes.Buffer
		wg.Add(2)
		// Each end closes its side of both pipes when it is done, as a
		// process's exit would.
		go func() {
			defer wg.Done()
			defer bToA.Close()
			defer aOut.Close()
			sendStatus = run([]string{"call", "send", doc, "--audio", "-", "--ecm", ecm, "--ident", "+1 555 0100"}, bToA, aOut, &sendErr)
		}()
		go func() {
			defer wg.Done()
			defer aToB.Close()
			defer bOut.Close()
			recvStatus = run([]string{"call", "receive", out, "--audio", "-", "--ecm", ecm, "--ident", "+1 555 0199"}, aToB, bOut, &recvErr)
		}()
		wg.Wait()
		if sendStatus != 0 || recvStatus != 0 {
			t.Fatalf("ECM %s: send status %d (%s), receive status %d (%s)", ecm, sendStatus, sendErr.String(), recvStatus, recvErr.String())
		}
		var res callResult
		if err := json.Unmarshal(bytes.TrimSpace(lastLine(sendErr.String())), &res); err != nil || !res.OK || res.PagesSent != 1 || res.RemoteIdent != "+1 555 0199" || res.ECM != (ecm == "on") {
			t.Errorf("ECM %s: sender's result %+v (%v) from %q", ecm, res, err, sendErr.String())
		}
		status, info, _ := runTool(t, nil, "tiff", "info", out)
		if status != 0 || !strings.Contains(string(info), "1 page(s)") || !strings.Contains(string(info), "bad rows 0") {
			t.Errorf("ECM %s: received TIFF: %s", ecm, info)
		}
	}
}

func lastLine(s string) []byte {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return []byte(s)
}

func TestCallUsage(t *testing.T) {
	for _, args := range [][]string{
		{"call"},
		{"call", "fly"},
		{"call", "send", "--audio", "-"},
		{"call", "receive", "a.tif", "b.tif"},
		{"call", "send", "x.txt", "--ecm", "maybe"},
		{"call", "send", "x.txt", "--modems", "v34"},
		{"call", "send", "x.txt", "--caller", "--answerer"},
		{"call", "send", "x.txt", "--audio", "line.raw"},
	} {
		if status, _, stderr := runTool(t, nil, args...); status != 2 {
			t.Errorf("%q: status %d, %s", args, status, stderr)
		}
	}
}

// TestCallOverT38: two faxtool calls over T.38 on loopback UDP (paced 20
// times faster than real time here) complete a call, redundancy and FEC.
func TestCallOverT38(t *testing.T) {
	defer func(d time.Duration) { t38Tick = d }(t38Tick)
	t38Tick = time.Millisecond
	dir := t.TempDir()
	doc := filepath.Join(dir, "letter.txt")
	os.WriteFile(doc, []byte(strings.Repeat("Please fax back the signed form.\n", 30)), 0o644)
	for i, ec := range [][]string{{"--redundancy", "3"}, {"--fec", "3,3"}} {
		a, b := freePort(t), freePort(t)
		out := filepath.Join(dir, fmt.Sprintf("t38-%d.tif", i))
		var wg sync.WaitGroup
		var s1, s2 int
		var e1, e2 bytes.Buffer
		wg.Add(2)
		go func() {
			defer wg.Done()
			s1 = run(append([]string{"call", "send", doc, "--t38", "--local", a, "--remote", b, "--t38-version", "2"}, ec...), nil, io.Discard, &e1)
		}()
		go func() {
			defer wg.Done()
			s2 = run(append([]string{"call", "receive", out, "--t38", "--local", b, "--remote", a, "--t38-version", "2"}, ec...), nil, io.Discard, &e2)
		}()
		wg.Wait()
		if s1 != 0 || s2 != 0 {
			t.Fatalf("%v: send %d %s; receive %d %s", ec, s1, e1.String(), s2, e2.String())
		}
		if status, info, _ := runTool(t, nil, "tiff", "info", out); status != 0 || !strings.Contains(string(info), "1 page(s)") {
			t.Errorf("%v: %s", ec, info)
		}
	}
}

// freePort returns a loopback UDP address nobody uses now.
func freePort(t *testing.T) string {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().String()
}
