// Package cmd_test checks the module's architecture rules: the layers
// dsp ← t30 ← t38 ← hal ← api ← cmd only ever import downwards (tests
// excepted), nothing but
// cmd/faxbench imports bench, cgo appears only in files built with the
// spandsp tag (so every shipped binary builds with CGO_ENABLED=0), and
// faxctl links the API's client without its server (TestClientDeps).
package cmd_test

import (
	"go/build/constraint"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/faxd/faxd"

var rank = map[string]int{"dsp": 0, "t30": 1, "t38": 2, "hal": 3, "api": 4, "cmd": 5, "bench": 5}

func TestLayers(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		top := strings.SplitN(rel, "/", 2)[0]
		from, ok := rank[top]
		if !ok {
			t.Errorf("%s: Go file outside the fixed top-level layout", rel)
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		files++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p == "C" {
				if !strings.HasSuffix(name, "_test.go") && !spandspTagged(path) {
					t.Errorf("%s imports \"C\" but is not built only with the spandsp tag", rel)
				}
				continue
			}
			if !strings.HasPrefix(p, module+"/") {
				continue
			}
			target := strings.SplitN(strings.TrimPrefix(p, module+"/"), "/", 2)[0]
			if target == "bench" && top != "bench" && !strings.HasPrefix(rel, "cmd/faxbench/") {
				t.Errorf("%s imports %s: only cmd/faxbench may import bench", rel, p)
			}
			// Tests may reach up: an interop test of the SpanDSP binding
			// writes its pages with t30/tiff. That makes no package depend
			// on a higher one, which is what the rule protects.
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			if to, ok := rank[target]; ok && to > from && top != target {
				t.Errorf("%s (layer %s) imports %s, a higher layer", rel, top, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("found no Go files")
	}
}

// spandspTagged reports whether the file's build constraint requires the
// spandsp tag.
func spandspTagged(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if constraint.IsGoBuild(line) {
			expr, err := constraint.Parse(line)
			if err != nil {
				return false
			}
			// Required: false when spandsp is not set, whatever else is.
			return !expr.Eval(func(tag string) bool { return tag != "spandsp" })
		}
		if strings.HasPrefix(line, "package ") {
			break
		}
	}
	return false
}
