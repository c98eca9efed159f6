package v27ter

import "time"

var epoch = time.Now()

// nowNs is a monotonic clock reading for benchmarks that time two things
// alternately.
func nowNs() int64 { return int64(time.Since(epoch)) }
