//go:build !race

package pagebuf

const raceEnabled = false
