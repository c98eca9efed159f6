package cmd_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestClientDeps: faxctl links the API's client and its wire types, and
// not the server behind them (the store and its SQLite, the vault, the
// audit log, the document renderer): what it imports, file by file and
// whatever the build tags, reaches only these packages of the module and,
// outside the standard library, only golang.org/x/crypto and x/sys. A
// package added to the list is a decision, as in tailscale's depaware.txt.
func TestClientDeps(t *testing.T) {
	allowed := []string{"cmd/faxctl", "api/client", "api/wire", "api/seal", "api/auth", "api/webhook"}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	todo := []string{"cmd/faxctl"}
	for len(todo) > 0 {
		pkg := todo[0]
		todo = todo[1:]
		if seen[pkg] {
			continue
		}
		seen[pkg] = true
		if !slices.Contains(allowed, pkg) {
			t.Errorf("faxctl depends on %s/%s", module, pkg)
			continue
		}
		ents, err := os.ReadDir(filepath.Join(root, pkg))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, pkg, name), nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				switch {
				case strings.HasPrefix(p, module+"/"):
					todo = append(todo, strings.TrimPrefix(p, module+"/"))
				case !strings.Contains(strings.SplitN(p, "/", 2)[0], "."): // the standard library
				case strings.HasPrefix(p, "golang.org/x/crypto/"), strings.HasPrefix(p, "golang.org/x/sys/"):
				default:
					t.Errorf("%s/%s imports %s", pkg, name, p)
				}
			}
		}
	}
}
