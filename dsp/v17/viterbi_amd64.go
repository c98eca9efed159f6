//go:build amd64 && !purego

package v17

import "golang.org/x/sys/cpu"

// vectorOK is whether the CPU has what viterbiStep uses: AVX2. It is read
// once, as dsp reads its kernels' features.
var vectorOK = cpu.X86.HasAVX2

// useVector is whether Decode uses viterbiStep (tests switch it).
var useVector = vectorOK

// viterbiStep is one symbol of Decode's work after the cell is found, in
// AVX2 (viterbi_amd64.s), with the same results bit for bit: the branch
// metrics of point (zr, zi) (times coordScale) against cell c's
// candidates, the nearest element of each subset into *elems, the
// add-compare-select into metric, the survivors' histories in paths (in
// vecOrder) extended; it returns the nearest element to the point and the
// best state.
//
//go:noescape
func viterbiStep(metric *[8]int32, paths *[8]uint64, elems *uint64, c *vecCell, zr, zi float32) (near, best uint32)
