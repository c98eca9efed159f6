//go:build !amd64 || purego

package v17

// Off amd64, and with the build tag purego, Decode is plain Go.

// vectorOK is whether viterbiStep can run here.
const vectorOK = false

// useVector is whether Decode uses viterbiStep (tests switch it).
var useVector = false

func viterbiStep(metric *[8]int32, paths *[8]uint64, elems *uint64, c *vecCell, zr, zi float32) (near, best uint32) {
	panic("v17: no vector decoder")
}
