package main

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestConfigFile: settings come from the file, the command line wins,
// unknown names and bad values are refused with the line.
func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "faxd.conf")
	os.WriteFile(path, []byte("# faxd\n\nlisten = 0.0.0.0:8443\nretention 48h\ntls12 = true\n"), 0o600)
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8443", "")
	ret := fs.Duration("retention", time.Hour, "")
	tls12 := fs.Bool("tls12", false, "")
	data := fs.String("data", "faxd-data", "")
	fs.String("config", "", "")
	if err := parseWithConfig(fs, []string{"--config", path, "--listen", "127.0.0.1:9443"}); err != nil {
		t.Fatal(err)
	}
	if *listen != "127.0.0.1:9443" || *ret != 48*time.Hour || !*tls12 || *data != "faxd-data" {
		t.Errorf("listen %s retention %v tls12 %v data %s", *listen, *ret, *tls12, *data)
	}
	for _, bad := range []string{"lisen = x\n", "retention = soon\n", "config = other\n"} {
		os.WriteFile(path, []byte(bad), 0o600)
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.String("listen", "", "")
		fs.Duration("retention", 0, "")
		fs.String("config", "", "")
		if err := parseWithConfig(fs, []string{"--config=" + path}); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if err := parseWithConfig(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--config", filepath.Join(dir, "none")}); err == nil {
		t.Error("a missing file accepted")
	}
}
