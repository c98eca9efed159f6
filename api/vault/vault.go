// Package vault keeps faxd's documents and received images encrypted at
// rest, each under its own data key, and destroys them.
//
// Every object is sealed with AES-256-GCM under a fresh 256-bit data key,
// in segments of SegmentSize (the STREAM construction: the nonce counts
// segments and marks the last, so a segment cannot be moved, dropped or
// the object cut short unseen), bound to the object's ID. The data key is
// wrapped by the master key (AES-256-GCM again) and kept apart from the
// object. [Vault.Rotate] makes a new master key and re-wraps every data
// key under it without touching the objects, then removes the old master
// key. [Vault.Destroy] overwrites and removes the wrapped key (after which
// the object cannot be read by anyone: crypto-shredding, which holds even
// where a file system or a flash drive keeps old blocks) and then the
// object.
//
// The master key lives in a file only faxd's user can read, under the
// vault's root. Written by hand on crypto/aes and crypto/cipher: the
// format is small and ours.
package vault

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// SegmentSize is the plaintext of one sealed segment.
const SegmentSize = 64 << 10

const (
	keySize   = 32
	nonceSize = 12
	tagSize   = 16
	version   = "faxd-vault-v1"
)

// Sentinel errors, wrapped with the offending values.
var (
	ErrID       = errors.New("vault: invalid object ID")
	ErrExists   = errors.New("vault: object exists")
	ErrNotFound = errors.New("vault: no such object")
	ErrCorrupt  = errors.New("vault: object or key damaged or tampered with")
	ErrNoMaster = errors.New("vault: no master key (run init)")
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// A Vault is a directory of encrypted objects. Its methods are safe for
// concurrent use.
type Vault struct {
	root string

	mu     sync.RWMutex
	mver   uint32
	master cipher.AEAD
}

// Init makes a vault at root with its first master key. It fails if one
// is there already.
func Init(root string) (*Vault, error) {
	for _, d := range []string{root, filepath.Join(root, "master"), filepath.Join(root, "keys"), filepath.Join(root, "objects")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	if vs, err := masterVersions(root); err != nil {
		return nil, err
	} else if len(vs) > 0 {
		return nil, fmt.Errorf("vault: %s has a master key already", root)
	}
	if err := newMaster(root, 1); err != nil {
		return nil, err
	}
	return Open(root)
}

// Open opens the vault at root with its newest master key.
func Open(root string) (*Vault, error) {
	vs, err := masterVersions(root)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("%w: in %s", ErrNoMaster, root)
	}
	v := &Vault{root: root}
	if err := v.loadMaster(vs[len(vs)-1]); err != nil {
		return nil, err
	}
	return v, nil
}

func masterPath(root string, ver uint32) string {
	return filepath.Join(root, "master", strconv.FormatUint(uint64(ver), 10)+".key")
}

// masterVersions lists the master keys' versions, oldest first.
func masterVersions(root string) ([]uint32, error) {
	ents, err := os.ReadDir(filepath.Join(root, "master"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var vs []uint32
	for _, e := range ents {
		n, ok := strings.CutSuffix(e.Name(), ".key")
		if !ok {
			continue
		}
		if v, err := strconv.ParseUint(n, 10, 32); err == nil && v > 0 {
			vs = append(vs, uint32(v))
		}
	}
	slices.Sort(vs)
	return vs, nil
}

func newMaster(root string, ver uint32) error {
	k := make([]byte, keySize)
	rand.Read(k)
	return writeFileSync(masterPath(root, ver), k)
}

func (v *Vault) loadMaster(ver uint32) error {
	a, err := masterAEAD(v.root, ver)
	if err != nil {
		return err
	}
	v.mver, v.master = ver, a
	return nil
}

func masterAEAD(root string, ver uint32) (cipher.AEAD, error) {
	k, err := os.ReadFile(masterPath(root, ver))
	if err != nil {
		return nil, err
	}
	if len(k) != keySize {
		return nil, fmt.Errorf("%w: master key %d is %d octets", ErrCorrupt, ver, len(k))
	}
	return gcm(k)
}

func gcm(k []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func (v *Vault) keyPath(id string) string { return filepath.Join(v.root, "keys", id+".key") }
func (v *Vault) objPath(id string) string { return filepath.Join(v.root, "objects", id+".obj") }

func checkID(id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("%w: %.80q", ErrID, id)
	}
	return nil
}

// wrap seals a data key under master version ver: the version (4 octets),
// the nonce, the sealed key.
func wrap(master cipher.AEAD, ver uint32, id string, dk []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, ver)
	nonce := make([]byte, nonceSize)
	rand.Read(nonce)
	out = append(out, nonce...)
	return master.Seal(out, nonce, dk, []byte(version+" key "+id))
}

// unwrap opens a wrapped data key, with the master key of its version.
func (v *Vault) unwrap(id string, w []byte) ([]byte, error) {
	if len(w) != 4+nonceSize+keySize+tagSize {
		return nil, fmt.Errorf("%w: key of %s is %d octets", ErrCorrupt, id, len(w))
	}
	ver := binary.BigEndian.Uint32(w)
	v.mu.RLock()
	master, cur := v.master, v.mver
	v.mu.RUnlock()
	if ver != cur {
		var err error
		if master, err = masterAEAD(v.root, ver); err != nil {
			return nil, fmt.Errorf("%w: key of %s wants master key %d: %v", ErrCorrupt, id, ver, err)
		}
	}
	dk, err := master.Open(nil, w[4:4+nonceSize], w[4+nonceSize:], []byte(version+" key "+id))
	if err != nil {
		return nil, fmt.Errorf("%w: key of %s", ErrCorrupt, id)
	}
	return dk, nil
}

// Put stores what r gives as object id, encrypted, and returns its size.
func (v *Vault) Put(id string, r io.Reader) (int64, error) {
	if err := checkID(id); err != nil {
		return 0, err
	}
	if _, err := os.Stat(v.keyPath(id)); err == nil {
		return 0, fmt.Errorf("%w: %s", ErrExists, id)
	}
	dk := make([]byte, keySize)
	rand.Read(dk)
	a, err := gcm(dk)
	if err != nil {
		return 0, err
	}
	v.mu.RLock()
	wrapped := wrap(v.master, v.mver, id, dk)
	v.mu.RUnlock()
	clear(dk)

	tmp, err := os.CreateTemp(filepath.Join(v.root, "objects"), ".put-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name()) // gone once renamed
	w := bufio.NewWriterSize(tmp, SegmentSize+tagSize)
	n, err := sealStream(w, r, a, id)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		shred(tmp.Name())
		return 0, err
	}
	// The key first: an object without its key is noise, a key without
	// its object is nothing.
	if err := writeFile(v.keyPath(id), wrapped, true); err != nil {
		shred(tmp.Name())
		if errors.Is(err, os.ErrExist) {
			return 0, fmt.Errorf("%w: %s", ErrExists, id)
		}
		return 0, err
	}
	if err := os.Rename(tmp.Name(), v.objPath(id)); err != nil {
		return 0, err
	}
	syncDir(filepath.Join(v.root, "objects"))
	return n, nil
}

// segNonce is segment i's nonce: i big-endian, and 1 in the last octet
// for the last segment.
func segNonce(i uint64, last bool) []byte {
	n := make([]byte, nonceSize)
	binary.BigEndian.PutUint64(n[3:11], i)
	if last {
		n[11] = 1
	}
	return n
}

func sealStream(w io.Writer, r io.Reader, a cipher.AEAD, id string) (int64, error) {
	aad := []byte(version + " obj " + id)
	buf := make([]byte, SegmentSize+1) // one octet more shows whether another segment follows
	out := make([]byte, 0, SegmentSize+tagSize)
	var total int64
	have := 0
	for i := uint64(0); ; i++ {
		n, err := io.ReadFull(r, buf[have:])
		have += n
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return total, err
		}
		last := have <= SegmentSize
		seg := buf[:min(have, SegmentSize)]
		out = a.Seal(out[:0], segNonce(i, last), seg, aad)
		if _, err := w.Write(out); err != nil {
			return total, err
		}
		total += int64(len(seg))
		if last {
			return total, nil
		}
		buf[0] = buf[SegmentSize]
		have = 1
	}
}

// Get returns a reader of object id's plaintext. A damaged or cut object
// gives ErrCorrupt from Read, never wrong data.
func (v *Vault) Get(id string) (io.ReadCloser, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	w, err := os.ReadFile(v.keyPath(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	dk, err := v.unwrap(id, w)
	if err != nil {
		return nil, err
	}
	a, err := gcm(dk)
	clear(dk)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(v.objPath(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	return &reader{f: f, br: bufio.NewReaderSize(f, SegmentSize+tagSize+1), a: a, id: id, aad: []byte(version + " obj " + id),
		seg: make([]byte, SegmentSize+tagSize+1)}, nil
}

type reader struct {
	f    *os.File
	br   *bufio.Reader
	a    cipher.AEAD
	id   string
	aad  []byte
	seg  []byte
	i    uint64
	out  []byte // opened, not yet read
	done bool
	err  error
}

func (r *reader) Read(p []byte) (int, error) {
	for len(r.out) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.done {
			return 0, io.EOF
		}
		r.next()
	}
	n := copy(p, r.out)
	r.out = r.out[n:]
	return n, nil
}

// next opens the next segment: a full one with more after it, or the
// last.
func (r *reader) next() {
	n, err := io.ReadFull(r.br, r.seg[:SegmentSize+tagSize])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		r.err = err
		return
	}
	last := true
	if n == SegmentSize+tagSize {
		_, perr := r.br.Peek(1)
		last = perr != nil
	}
	out, oerr := r.a.Open(r.seg[:0], segNonce(r.i, last), r.seg[:n], r.aad)
	if oerr != nil {
		r.err = fmt.Errorf("%w: %s, segment %d", ErrCorrupt, r.id, r.i)
		return
	}
	r.i++
	r.out, r.done = out, last
}

func (r *reader) Close() error { return r.f.Close() }

// Exists reports whether object id is stored.
func (v *Vault) Exists(id string) bool {
	if checkID(id) != nil {
		return false
	}
	_, err := os.Stat(v.keyPath(id))
	return err == nil
}

// List returns the IDs of the objects the vault holds, or holds a part
// of (a key or a file, as a crash during Put or Destroy leaves them), in
// no order.
func (v *Vault) List() ([]string, error) {
	seen := map[string]bool{}
	var ids []string
	for _, d := range [...]struct{ dir, ext string }{{"keys", ".key"}, {"objects", ".obj"}} {
		ents, err := os.ReadDir(filepath.Join(v.root, d.dir))
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if id, ok := strings.CutSuffix(e.Name(), d.ext); ok && checkID(id) == nil && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids, nil
}

// Destroy destroys object id: its wrapped key overwritten and removed
// (from then on nobody can read it), then the object overwritten and
// removed.
func (v *Vault) Destroy(id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	kerr := shred(v.keyPath(id))
	syncDir(filepath.Join(v.root, "keys"))
	oerr := shred(v.objPath(id))
	syncDir(filepath.Join(v.root, "objects"))
	if errors.Is(kerr, os.ErrNotExist) && errors.Is(oerr, os.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if kerr != nil && !errors.Is(kerr, os.ErrNotExist) {
		return kerr
	}
	if oerr != nil && !errors.Is(oerr, os.ErrNotExist) {
		return oerr
	}
	return nil
}

// Rotate makes a new master key, re-wraps every data key under it, and
// removes the old master keys. It returns how many keys it re-wrapped.
// Objects are not touched. Interrupted, it can be run again: keys not
// yet re-wrapped still open with the old master key, which stays until
// every key is done.
func (v *Vault) Rotate() (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	vs, err := masterVersions(v.root)
	if err != nil {
		return 0, err
	}
	ver := vs[len(vs)-1] + 1
	if err := newMaster(v.root, ver); err != nil {
		return 0, err
	}
	syncDir(filepath.Join(v.root, "master"))
	next, err := masterAEAD(v.root, ver)
	if err != nil {
		return 0, err
	}
	ents, err := os.ReadDir(filepath.Join(v.root, "keys"))
	if err != nil {
		return 0, err
	}
	olds := map[uint32]cipher.AEAD{}
	n := 0
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".key")
		if !ok || checkID(id) != nil {
			continue
		}
		w, err := os.ReadFile(v.keyPath(id))
		if err != nil || len(w) != 4+nonceSize+keySize+tagSize {
			return n, fmt.Errorf("%w: key of %s: %v", ErrCorrupt, id, err)
		}
		old := binary.BigEndian.Uint32(w)
		a := olds[old]
		if a == nil {
			if a, err = masterAEAD(v.root, old); err != nil {
				return n, fmt.Errorf("%w: key of %s wants master key %d: %v", ErrCorrupt, id, old, err)
			}
			olds[old] = a
		}
		dk, err := a.Open(nil, w[4:4+nonceSize], w[4+nonceSize:], []byte(version+" key "+id))
		if err != nil {
			return n, fmt.Errorf("%w: key of %s", ErrCorrupt, id)
		}
		tmp := v.keyPath(id) + ".new"
		if err := writeFileSync(tmp, wrap(next, ver, id, dk)); err != nil {
			return n, err
		}
		clear(dk)
		if err := os.Rename(tmp, v.keyPath(id)); err != nil {
			return n, err
		}
		n++
	}
	syncDir(filepath.Join(v.root, "keys"))
	for _, old := range vs {
		if err := shred(masterPath(v.root, old)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return n, err
		}
	}
	syncDir(filepath.Join(v.root, "master"))
	v.mver, v.master = ver, next
	return n, nil
}

// MasterVersion returns the master key's version.
func (v *Vault) MasterVersion() uint32 {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.mver
}

// shred overwrites a file with zeros, syncs it and removes it.
func shred(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err == nil {
		zero := make([]byte, min(st.Size(), 1<<20))
		for left := st.Size(); left > 0 && err == nil; {
			var n int
			n, err = f.Write(zero[:min(left, int64(len(zero)))])
			left -= int64(n)
		}
	}
	if err == nil {
		err = f.Sync()
	}
	f.Close()
	if rerr := os.Remove(path); err == nil {
		err = rerr
	}
	return err
}

func writeFileSync(path string, b []byte) error { return writeFile(path, b, false) }

// writeFile writes a file readable only by its owner and syncs it; excl:
// only if it is not there yet.
func writeFile(path string, b []byte, excl bool) error {
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if excl {
		flag = os.O_WRONLY | os.O_CREATE | os.O_EXCL
	}
	f, err := os.OpenFile(path, flag, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
