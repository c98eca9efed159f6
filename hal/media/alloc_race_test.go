//go:build race

package media

// raceOn: the race detector makes sync.Pool drop items at random.
const raceOn = true
