package main

import (
	"context"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestAccounts: the operator adds accounts (numbers, networks, a
// one-time admin password), lists, disables and enables them, with the
// server stopped; a number held twice and a running server are refused.
func TestAccounts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if status, _, errs := runFaxd("init", "--data", dir, "--account", "acme", "--numbers", "+15550100"); status != 0 {
		t.Fatal(errs)
	}
	status, out, errs := runFaxd("account", "add", "beta", "--data", dir, "--numbers", "+1 555 0200, +15550201", "--allow", "192.0.2.0/24")
	if status != 0 || !regexp.MustCompile(`admin password:  [a-z2-7]{26} `).MatchString(out) || !strings.Contains(out, "+15550200, +15550201") {
		t.Fatalf("add: %d %q %q", status, out, errs)
	}
	if status, _, errs := runFaxd("account", "add", "gamma", "--data", dir, "--numbers", "+15550100"); status != 1 || !strings.Contains(errs, "acme's") {
		t.Errorf("a number held twice: %d %q", status, errs)
	}
	if status, _, errs := runFaxd("account", "add", "gamma", "--data", dir, "--numbers", "5550100"); status != 2 {
		t.Errorf("not E.164: %d %q", status, errs)
	}
	if status, _, _ := runFaxd("account", "disable", "beta", "--data", dir); status != 0 {
		t.Error("disable")
	}
	status, out, _ = runFaxd("account", "list", "--data", dir)
	if status != 0 || !regexp.MustCompile(`acme +active .*\+15550100\n`).MatchString(out) || !regexp.MustCompile(`beta +disabled +192.0.2.0/24 +\+15550200, \+15550201\n`).MatchString(out) {
		t.Fatalf("list: %d\n%s", status, out)
	}
	// While a server runs, the operator's commands wait for it to stop.
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, serveOptions{data: dir, listen: "127.0.0.1:0", lines: []string{"+15550190"}}, func(net.Addr, string) { close(ready) })
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	if status, _, errs := runFaxd("account", "enable", "beta", "--data", dir); status != 1 || !strings.Contains(errs, "stop the server first") {
		t.Errorf("while serving: %d %q", status, errs)
	}
	if status, _, errs := runFaxd("keys", "rotate", "--data", dir); status != 1 || !strings.Contains(errs, "stop the server first") {
		t.Errorf("rotate while serving: %d %q", status, errs)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	if status, _, errs := runFaxd("account", "enable", "beta", "--data", dir); status != 0 {
		t.Errorf("enable: %q", errs)
	}
	if status, out, _ := runFaxd("audit", "verify", "--data", dir); status != 0 || !strings.Contains(out, "chain intact") {
		t.Errorf("audit: %q", out)
	}
}
