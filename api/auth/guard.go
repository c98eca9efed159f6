package auth

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrLocked is returned while a key (a user, a credential, an address)
// is locked out after repeated failures.
var ErrLocked = errors.New("auth: locked out after repeated failures")

// A Guard counts authentication failures by key and locks a key out when
// it fails too often: MaxFailures within Window locks it for Lockout. It
// keeps at most MaxKeys keys (the oldest forgotten first), so a flood of
// made-up names cannot exhaust memory. Safe for concurrent use.
type Guard struct {
	MaxFailures int              // 0: 5
	Window      time.Duration    // 0: 15 minutes
	Lockout     time.Duration    // 0: 15 minutes
	MaxKeys     int              // 0: 100000
	Now         func() time.Time // nil: time.Now

	mu   sync.Mutex
	keys map[string]*strikes
}

type strikes struct {
	n      int
	first  time.Time // of the current window
	until  time.Time // locked until
	seenAt time.Time
}

func (g *Guard) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

func (g *Guard) limits() (int, time.Duration, time.Duration, int) {
	n, w, l, k := g.MaxFailures, g.Window, g.Lockout, g.MaxKeys
	if n <= 0 {
		n = 5
	}
	if w <= 0 {
		w = 15 * time.Minute
	}
	if l <= 0 {
		l = 15 * time.Minute
	}
	if k <= 0 {
		k = 100000
	}
	return n, w, l, k
}

// Check returns ErrLocked while key is locked out. Call it before
// checking the credential, so a locked key costs no hashing.
func (g *Guard) Check(key string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s := g.keys[key]; s != nil && g.now().Before(s.until) {
		return fmt.Errorf("%w: %.64q until %s", ErrLocked, key, s.until.UTC().Format(time.RFC3339))
	}
	return nil
}

// Fail counts a failure for key and reports whether it is now locked.
func (g *Guard) Fail(key string) bool {
	max, window, lockout, maxKeys := g.limits()
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.keys == nil {
		g.keys = map[string]*strikes{}
	}
	s := g.keys[key]
	if s == nil {
		if len(g.keys) >= maxKeys {
			g.evict(now)
		}
		s = &strikes{first: now}
		g.keys[key] = s
	}
	s.seenAt = now
	if now.Sub(s.first) > window {
		s.n, s.first = 0, now
	}
	s.n++
	if s.n >= max {
		s.until = now.Add(lockout)
		s.n, s.first = 0, now
		return true
	}
	return false
}

// Succeed forgets key's failures (not a lock-out in force).
func (g *Guard) Succeed(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s := g.keys[key]; s != nil && !g.now().Before(s.until) {
		delete(g.keys, key)
	}
}

// evict makes room: it drops keys neither locked nor seen within the
// window, then, while more than nine tenths of MaxKeys are kept, keys not
// locked, then any. A tenth of the keys go at once, so a flood of new
// names costs O(1) a name over time.
func (g *Guard) evict(now time.Time) {
	_, window, _, maxKeys := g.limits()
	for k, s := range g.keys {
		if now.After(s.until) && now.Sub(s.seenAt) > window {
			delete(g.keys, k)
		}
	}
	target := maxKeys * 9 / 10
	for _, lockedToo := range []bool{false, true} {
		for k, s := range g.keys {
			if len(g.keys) <= target {
				return
			}
			if lockedToo || !now.Before(s.until) {
				delete(g.keys, k)
			}
		}
	}
}
