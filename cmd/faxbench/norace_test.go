//go:build !race

package main

// testPeriod is the tick of the faster-than-real-time server runs in tests.
const testPeriod = "3ms"
