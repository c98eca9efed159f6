//go:build !race

package bench

// testPeriod is the tick of the faster-than-real-time server runs in tests.
const testPeriod = "3ms"
