//go:build race

package main

// testPeriod is the tick of the faster-than-real-time server runs in
// tests: the race detector slows a tick tenfold, and a run whose ticks
// overrun their period loses audio.
const testPeriod = "5ms"
