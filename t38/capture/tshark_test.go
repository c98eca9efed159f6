package capture

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestTshark has Wireshark's T.38 dissector read our captures: no
// malformed packets or warnings, and the same T.30 frames in the same
// order as our decoder finds.
func TestTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark is not installed (Debian package tshark): Wireshark cross-check skipped")
	}
	reassembled := regexp.MustCompile(`HDLC Reassembled: ([A-Z][A-Z0-9-]*) - `)
	for _, tc := range []struct {
		name string
		cc   callConfig
	}{
		{"non-ECM v0", callConfig{pages: 2}},
		{"ECM v0", callConfig{pages: 1, ecm: true}},
		{"ECM v3", callConfig{pages: 1, ecm: true, version: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := recordCall(t, tc.cc)
			file := filepath.Join(t.TempDir(), "call.pcap")
			if err := os.WriteFile(file, rc.pcap, 0o644); err != nil {
				t.Fatal(err)
			}
			pre := "TRUE" // Wireshark's name for the 1998 syntax, T.38 version 0
			if tc.cc.version > 0 {
				pre = "FALSE"
			}
			args := []string{"-r", file, "-o", "t38.use_pre_corrigendum_asn1_specification:" + pre,
				"-d", "udp.port==" + strconv.Itoa(int(callerFlow.Dst.Port())) + ",t38"}
			run := func(extra ...string) string {
				var stdout, stderr bytes.Buffer
				cmd := exec.Command(tshark, append(args, extra...)...)
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil {
					t.Fatalf("tshark: %v\n%s", err, stderr.String())
				}
				return stdout.String()
			}
			if bad := run("-Y", "_ws.malformed || t38.malformed || _ws.expert.severity >= 0x600000"); strings.TrimSpace(bad) != "" {
				t.Errorf("tshark reports malformed packets or warnings:\n%s", bad)
			}
			var tsFrames []string
			for _, line := range strings.Split(run("-Y", "t38", "-T", "fields", "-e", "_ws.col.Info"), "\n") {
				for _, m := range reassembled.FindAllStringSubmatch(line, -1) {
					if m[1] != "FCD" && m[1] != "RCP" {
						tsFrames = append(tsFrames, m[1])
					}
				}
			}
			events, _, _ := decodeCall(t, rc.pcap, nil)
			ours := eventFrames(events)
			for i := range ours {
				ours[i] = strings.TrimPrefix(ours[i], "PRI-")
			}
			if strings.Join(tsFrames, " ") != strings.Join(ours, " ") {
				t.Errorf("frames\ntshark %v\n   ours %v", tsFrames, ours)
			}
			if len(tsFrames) < 6 {
				t.Errorf("tshark found only %d frames: %v", len(tsFrames), tsFrames)
			}
			t.Logf("tshark: %v", tsFrames)
		})
	}
}
