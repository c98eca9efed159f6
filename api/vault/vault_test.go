package vault

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func data(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func get(t *testing.T, v *Vault, id string) ([]byte, error) {
	t.Helper()
	r, err := v.Get(id)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// TestRoundTrip: objects of every size around the segments come back
// whole, and nothing of them is in the clear on disk.
func TestRoundTrip(t *testing.T) {
	root := t.TempDir()
	v, err := Init(root)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range []int{0, 1, SegmentSize - 1, SegmentSize, SegmentSize + 1, 3*SegmentSize + 7} {
		id := "doc_" + string(rune('a'+i))
		want := data(n, uint64(i))
		if got, err := v.Put(id, bytes.NewReader(want)); err != nil || got != int64(n) {
			t.Fatalf("%d octets: put %d, %v", n, got, err)
		}
		got, err := get(t, v, id)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%d octets: got %d, %v", n, len(got), err)
		}
		raw, _ := os.ReadFile(filepath.Join(root, "objects", id+".obj"))
		if n >= 64 && bytes.Contains(raw, want[:64]) {
			t.Fatalf("%d octets: plaintext on disk", n)
		}
	}
	if _, err := v.Put("doc_a", strings.NewReader("again")); !errors.Is(err, ErrExists) {
		t.Errorf("put twice: %v", err)
	}
	for _, bad := range []string{"", "../x", "a/b", strings.Repeat("x", 65), "a b"} {
		if _, err := v.Put(bad, strings.NewReader("x")); !errors.Is(err, ErrID) {
			t.Errorf("ID %q: %v", bad, err)
		}
	}
	if _, err := v.Get("nothing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	if _, err := Init(root); err == nil {
		t.Error("init over a vault")
	}
	if _, err := Open(t.TempDir()); !errors.Is(err, ErrNoMaster) {
		t.Errorf("open without a master key: %v", err)
	}
	st, _ := os.Stat(filepath.Join(root, "master", "1.key"))
	if st.Mode().Perm() != 0o600 {
		t.Errorf("master key mode %v", st.Mode().Perm())
	}
}

// TestTamper: a flipped bit, a cut, a dropped or swapped segment, or an
// object moved under another ID gives ErrCorrupt, never wrong data.
func TestTamper(t *testing.T) {
	root := t.TempDir()
	v, _ := Init(root)
	want := data(3*SegmentSize+100, 9)
	obj := filepath.Join(root, "objects", "fax_1.obj")
	seg := SegmentSize + tagSize
	for _, c := range []struct {
		name string
		edit func(b []byte) []byte
	}{
		{"bit flipped", func(b []byte) []byte { b[seg+5] ^= 1; return b }},
		{"cut at a segment", func(b []byte) []byte { return b[:2*seg] }},
		{"cut inside", func(b []byte) []byte { return b[:2*seg+40] }},
		{"segment dropped", func(b []byte) []byte { return append(b[:seg:seg], b[2*seg:]...) }},
		{"segments swapped", func(b []byte) []byte {
			x := append([]byte(nil), b[:seg]...)
			copy(b[:seg], b[seg:2*seg])
			copy(b[seg:2*seg], x)
			return b
		}},
		{"appended", func(b []byte) []byte { return append(b, 1, 2, 3) }},
	} {
		v.Destroy("fax_1")
		if _, err := v.Put("fax_1", bytes.NewReader(want)); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(obj)
		os.WriteFile(obj, c.edit(b), 0o600)
		got, err := get(t, v, "fax_1")
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %d octets, %v", c.name, len(got), err)
		}
	}
	// Moved under another ID: its key does not open it.
	v.Destroy("fax_1")
	v.Put("fax_1", bytes.NewReader(want))
	v.Put("fax_2", bytes.NewReader(want[:10]))
	b, _ := os.ReadFile(obj)
	os.WriteFile(filepath.Join(root, "objects", "fax_2.obj"), b, 0o600)
	if _, err := get(t, v, "fax_2"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("object under another ID: %v", err)
	}
	kb, _ := os.ReadFile(filepath.Join(root, "keys", "fax_1.key"))
	os.WriteFile(filepath.Join(root, "keys", "fax_2.key"), kb, 0o600)
	if _, err := v.Get("fax_2"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("key under another ID: %v", err)
	}
}

// TestDestroy: a destroyed object's key and file are gone from disk.
func TestDestroy(t *testing.T) {
	root := t.TempDir()
	v, _ := Init(root)
	v.Put("fax_1", bytes.NewReader(data(1000, 1)))
	if err := v.Destroy("fax_1"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(root, "keys", "fax_1.key"), filepath.Join(root, "objects", "fax_1.obj")} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: %v", p, err)
		}
	}
	if v.Exists("fax_1") {
		t.Error("exists after destroy")
	}
	if err := v.Destroy("fax_1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("destroyed twice: %v", err)
	}
	left, _ := os.ReadDir(filepath.Join(root, "objects"))
	if len(left) != 0 {
		t.Errorf("left in objects: %v", left)
	}
}

// TestRotate: after rotation every object opens under the new master
// key, the old one is gone, and a vault reopened uses the new one.
func TestRotate(t *testing.T) {
	root := t.TempDir()
	v, _ := Init(root)
	objs := map[string][]byte{}
	for i, id := range []string{"a", "b", "c"} {
		objs[id] = data(1000*(i+1), uint64(i))
		v.Put(id, bytes.NewReader(objs[id]))
	}
	oldKey, _ := os.ReadFile(filepath.Join(root, "keys", "a.key"))
	n, err := v.Rotate()
	if err != nil || n != 3 || v.MasterVersion() != 2 {
		t.Fatalf("rotated %d, version %d, %v", n, v.MasterVersion(), err)
	}
	if _, err := os.Stat(filepath.Join(root, "master", "1.key")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("old master key: %v", err)
	}
	newKey, _ := os.ReadFile(filepath.Join(root, "keys", "a.key"))
	if bytes.Equal(oldKey, newKey) {
		t.Error("key not re-wrapped")
	}
	v2, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range objs {
		if got, err := get(t, v2, id); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s after rotation: %v", id, err)
		}
	}
	// Another rotation, with a stale master key file about, re-wraps
	// again and clears them all.
	os.WriteFile(filepath.Join(root, "master", "1.key"), make([]byte, 32), 0o600)
	if n, err := v2.Rotate(); err != nil || n != 3 {
		t.Fatal(n, err)
	}
	if vs, _ := masterVersions(root); len(vs) != 1 || vs[0] != 3 {
		t.Errorf("master keys left: %v", vs)
	}
}

// FuzzGet: any object file either opens to what was stored or fails with
// ErrCorrupt; never a panic.
func FuzzGet(f *testing.F) {
	root := f.TempDir()
	v, _ := Init(root)
	v.Put("x", bytes.NewReader([]byte("hello")))
	b, _ := os.ReadFile(filepath.Join(root, "objects", "x.obj"))
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, obj []byte) {
		os.WriteFile(filepath.Join(root, "objects", "x.obj"), obj, 0o600)
		got, err := get(t, v, "x")
		if err == nil && string(got) != "hello" {
			t.Fatalf("opened to %q", got)
		}
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatal(err)
		}
	})
}

// TestList: objects whole, and the halves a crash leaves (a key alone, a
// file alone), are listed once each, and Destroy takes the halves too.
func TestList(t *testing.T) {
	root := t.TempDir()
	v, _ := Init(root)
	v.Put("doc_a", bytes.NewReader(data(10, 1)))
	v.Put("doc_b", bytes.NewReader(data(10, 2)))
	v.Put("doc_c", bytes.NewReader(data(10, 3)))
	os.Remove(filepath.Join(root, "objects", "doc_b.obj"))
	os.Remove(filepath.Join(root, "keys", "doc_c.key"))
	os.WriteFile(filepath.Join(root, "objects", "stray.tmp"), nil, 0o600)
	ids, err := v.List()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"doc_a", "doc_b", "doc_c"}) {
		t.Fatalf("listed %v", ids)
	}
	for _, id := range ids {
		if err := v.Destroy(id); err != nil {
			t.Errorf("destroy %s: %v", id, err)
		}
	}
	if ids, _ := v.List(); len(ids) != 0 {
		t.Errorf("left %v", ids)
	}
}
