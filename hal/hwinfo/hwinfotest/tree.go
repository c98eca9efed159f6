// Package hwinfotest builds fake sysfs trees for tests from a text
// description. Real sysfs paths hold colons and symbolic links, which a Go
// module's files may not, so fixtures are kept as text and built in a
// temporary directory (procfs keeps its fixtures in an archive for the same
// reason).
//
// Each line of a description is one of
//
//	# a comment
//	d PATH            a directory
//	f PATH [TEXT]     a file holding TEXT and a newline (parents made)
//	l PATH TARGET     a symbolic link
package hwinfotest

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Build makes the tree described in the file spec under root.
func Build(spec, root string) error {
	f, err := os.Open(spec)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kind, rest, _ := strings.Cut(line, " ")
		path, arg, _ := strings.Cut(rest, " ")
		if path == "" || filepath.IsAbs(path) || strings.Contains(path, "..") {
			return fmt.Errorf("%s:%d: bad path %q", spec, n, path)
		}
		full := filepath.Join(root, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		switch kind {
		case "d":
			err = os.MkdirAll(full, 0o755)
		case "f":
			err = os.WriteFile(full, []byte(arg+"\n"), 0o644)
		case "l":
			err = os.Symlink(arg, full)
		default:
			err = fmt.Errorf("%s:%d: unknown entry %q", spec, n, kind)
		}
		if err != nil {
			return err
		}
	}
	return sc.Err()
}

// Tree builds the tree described in spec in a temporary directory and
// returns its root.
func Tree(t testing.TB, spec string) string {
	t.Helper()
	root := t.TempDir()
	if err := Build(spec, root); err != nil {
		t.Fatal(err)
	}
	return root
}
