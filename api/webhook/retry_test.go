package webhook

import (
	"math"
	"testing"
	"time"
)

// Draws at the ends of the range.
func lowest(n int64) int64  { return 0 }
func highest(n int64) int64 { return n - 1 }

func TestBackoff(t *testing.T) {
	cases := []struct {
		attempt  int
		min, max time.Duration
	}{
		{math.MinInt, 5 * time.Second, 10 * time.Second},
		{0, 5 * time.Second, 10 * time.Second},
		{1, 5 * time.Second, 10 * time.Second},
		{2, 10 * time.Second, 20 * time.Second},
		{3, 20 * time.Second, 40 * time.Second},
		{4, 40 * time.Second, 80 * time.Second},
		{8, 640 * time.Second, 1280 * time.Second},
		{9, 1280 * time.Second, 2560 * time.Second},
		{10, 30 * time.Minute, time.Hour},
		{11, 30 * time.Minute, time.Hour},
		{1000, 30 * time.Minute, time.Hour},
		{math.MaxInt, 30 * time.Minute, time.Hour},
	}
	for _, c := range cases {
		if lo, hi := backoff(c.attempt, lowest), backoff(c.attempt, highest); lo != c.min || hi != c.max {
			t.Errorf("attempt %d: [%v, %v], want [%v, %v]", c.attempt, lo, hi, c.min, c.max)
		}
		// The real draw stays inside, and is not one value.
		seen := map[time.Duration]bool{}
		for range 200 {
			d := Backoff(c.attempt)
			if d < c.min || d > c.max {
				t.Fatalf("attempt %d: %v outside [%v, %v]", c.attempt, d, c.min, c.max)
			}
			seen[d] = true
		}
		if len(seen) < 100 {
			t.Errorf("attempt %d: %d distinct waits in 200", c.attempt, len(seen))
		}
	}
}

func TestAttemptAt(t *testing.T) {
	for _, c := range []struct {
		age  time.Duration
		want int
	}{
		{0, 1}, {9 * time.Second, 1}, {10 * time.Second, 2}, {29 * time.Second, 2},
		{30 * time.Second, 3}, {70 * time.Second, 4}, {150 * time.Second, 5},
		// 10 s·(2⁹−1) = 5110 s after nine doublings; then an hour each.
		{5109 * time.Second, 9}, {5110 * time.Second, 10}, {5110*time.Second + time.Hour, 11},
		{MaxAge - time.Second, 32},
	} {
		if got := attemptAt(c.age); got != c.want {
			t.Errorf("%v: attempt %d, want %d", c.age, got, c.want)
		}
	}
}

func TestShouldRetry(t *testing.T) {
	first := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	retry := Result{Retry: true}
	cases := []struct {
		name string
		age  time.Duration
		r    Result
		rand func(int64) int64
		wait time.Duration
		ok   bool
	}{
		{"delivered", time.Second, Result{Status: 200}, highest, 0, false},
		{"refused", time.Second, Result{Status: 410}, highest, 0, false},
		{"first failure", time.Second, retry, highest, 10 * time.Second, true},
		{"first failure, low draw", time.Second, retry, lowest, 5 * time.Second, true},
		{"clock behind first", -time.Minute, retry, highest, 10 * time.Second, true},
		{"a minute in", time.Minute, retry, highest, 40 * time.Second, true},
		{"hours in", 5 * time.Hour, retry, highest, time.Hour, true},
		{"Retry-After longer", time.Second, Result{Retry: true, RetryAfter: 2 * time.Minute}, highest, 2 * time.Minute, true},
		{"Retry-After shorter", time.Minute, Result{Retry: true, RetryAfter: time.Second}, highest, 40 * time.Second, true},
		{"Retry-After capped", time.Second, Result{Retry: true, RetryAfter: 5 * time.Hour}, highest, MaxRetryAfter, true},
		{"last that fits", MaxAge - time.Hour, retry, highest, time.Hour, true},
		{"would land after MaxAge", MaxAge - time.Hour + time.Second, retry, highest, 0, false},
		{"lands after MaxAge by Retry-After", MaxAge - 10*time.Minute, Result{Retry: true, RetryAfter: time.Hour}, lowest, 0, false},
		{"at MaxAge", MaxAge, retry, lowest, 0, false},
		{"long past", 1000 * time.Hour, retry, lowest, 0, false},
	}
	for _, c := range cases {
		wait, ok := shouldRetry(first, first.Add(c.age), c.r, c.rand)
		if wait != c.wait || ok != c.ok {
			t.Errorf("%s: %v %v, want %v %v", c.name, wait, ok, c.wait, c.ok)
		}
	}
	if _, ok := ShouldRetry(first, first.Add(MaxAge), retry); ok {
		t.Error("ShouldRetry at MaxAge")
	}
	if w, ok := ShouldRetry(first, first, retry); !ok || w < 5*time.Second || w > 10*time.Second {
		t.Errorf("ShouldRetry at once: %v %v", w, ok)
	}
}

// The whole schedule for a receiver that is down all day: how many
// attempts, how they spread, and that none falls after MaxAge.
func TestSchedule(t *testing.T) {
	first := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name     string
		rand     func(int64) int64
		attempts [2]int // fewest and most expected
	}{
		{"lowest draws", lowest, [2]int{60, 66}},   // 30 min at the cap
		{"highest draws", highest, [2]int{30, 34}}, // an hour at the cap
		{"random draws", nil, [2]int{36, 58}},
	} {
		now, attempts := first, 1
		var waits []time.Duration
		for {
			const took = 2 * time.Second // each attempt's own time
			now = now.Add(took)
			var w time.Duration
			var ok bool
			if c.rand == nil {
				w, ok = ShouldRetry(first, now, Result{Retry: true})
			} else {
				w, ok = shouldRetry(first, now, Result{Retry: true}, c.rand)
			}
			if !ok {
				break
			}
			now = now.Add(w)
			attempts++
			waits = append(waits, w)
			if now.Sub(first) > MaxAge {
				t.Fatalf("%s: attempt %d at %v", c.name, attempts, now.Sub(first))
			}
		}
		if attempts < c.attempts[0] || attempts > c.attempts[1] {
			t.Errorf("%s: %d attempts, want %d to %d", c.name, attempts, c.attempts[0], c.attempts[1])
		}
		last := now.Sub(first)
		if last < MaxAge-2*time.Hour {
			t.Errorf("%s: last attempt at %v, more than two hours before MaxAge", c.name, last)
		}
		t.Logf("%s: %d attempts, the last %v after the first; first waits %v", c.name, attempts, last.Round(time.Minute), waits[:min(10, len(waits))])
	}
}
