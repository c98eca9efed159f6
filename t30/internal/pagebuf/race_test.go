//go:build race

package pagebuf

const raceEnabled = true
