package webhook

import (
	"math/rand/v2"
	"time"
)

// MaxAge is how long after its first attempt an event is delivered: no
// attempt is made later (API.md: "until a 2xx answer or a day has
// passed").
const MaxAge = 24 * time.Hour

// The backoff's ceiling: 10 s after the first attempt, doubling after
// each, never above an hour.
const (
	backoffBase = 10 * time.Second
	backoffCap  = time.Hour
)

// Backoff returns how long to wait after the attempt-th failed attempt
// (1 for the first; less than 1 is taken as 1) before the next. The
// ceiling c is 10 s doubled attempt-1 times, at most an hour; the wait is
// drawn uniformly from [c/2, c] ("equal jitter"): the ceilings still
// double, so a receiver that is down is not hammered, and half the wait
// is random, so the deliveries that failed together (the receiver went
// down under all of them) do not come back together. Full jitter, drawn
// from [0, c], spreads them wider but may retry almost at once after a
// failure; equal jitter never waits less than half the ceiling.
//
//	attempt   1    2    3    4    5     6     7     8      9      10 and after
//	wait (s)  5-10 10-20 20-40 40-80 80-160 160-320 320-640 640-1280 1280-2560 1800-3600
func Backoff(attempt int) time.Duration {
	return backoff(attempt, rand.Int64N)
}

// backoff is Backoff drawing with randN (which returns [0, n)).
func backoff(attempt int, randN func(n int64) int64) time.Duration {
	c := ceiling(attempt)
	half := c / 2
	return half + time.Duration(randN(int64(c-half)+1))
}

// ceiling is Backoff's ceiling after attempt attempts.
func ceiling(attempt int) time.Duration {
	c := backoffBase
	for i := 1; i < attempt && c < backoffCap; i++ {
		c *= 2
	}
	return min(c, backoffCap)
}

// ShouldRetry says whether and after how long to make another attempt at
// an event whose first attempt was at first, given the Result of the
// latest, now: never when the Result is not a Retry, or when the next
// attempt would come more than MaxAge after first; otherwise after
// Backoff's wait, or the receiver's Retry-After if that is longer (it
// asked for at least that long; it cannot make us come sooner).
//
// It needs no count of attempts: it takes the attempt the schedule
// without jitter (10 s, 20 s, 40 s, ... an hour, an hour, ...) would
// have reached by now-first, so the wait grows with how long the event
// has been failing, however many attempts a queue recorded (a snoozed or
// interrupted job, a process restart). Jitter shortens waits, so the
// ceiling doubles every one or two attempts (every two when every draw
// is the lowest). A receiver down all day gets 32 to 64 attempts, about
// 45 on average, two an hour or fewer once the ceiling is an hour.
func ShouldRetry(first, now time.Time, r Result) (time.Duration, bool) {
	return shouldRetry(first, now, r, rand.Int64N)
}

func shouldRetry(first, now time.Time, r Result, randN func(n int64) int64) (time.Duration, bool) {
	if !r.Retry {
		return 0, false
	}
	age := max(now.Sub(first), 0)
	if age >= MaxAge {
		return 0, false
	}
	wait := max(backoff(attemptAt(age), randN), min(r.RetryAfter, MaxRetryAfter))
	if age+wait > MaxAge {
		return 0, false
	}
	return wait, true
}

// attemptAt is the number of attempts the schedule without jitter has
// made by age after the first: 1 before 10 s, 2 before 30 s, 3 before
// 70 s, and so on. age is less than MaxAge, so the loop is short.
func attemptAt(age time.Duration) int {
	n := 1
	var at time.Duration // when attempt n is made
	for w := backoffBase; at+w <= age; n++ {
		at += w
		w = min(2*w, backoffCap)
	}
	return n
}
