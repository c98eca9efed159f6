package v17

// The vector decoder (viterbi_amd64.s) keeps the eight survivors'
// histories in one array, in vecOrder: the even states in the first half,
// the odd in the second, each half ordered so that one interleave of the
// new survivors into states 0 to 3 with those into 4 to 7 makes the next
// symbol's array (see viterbiStep).
var (
	vecOrder = [8]uint8{0, 4, 2, 6, 1, 5, 3, 7} // the state in each slot
	vecSlot  = [8]uint8{0, 4, 2, 6, 1, 5, 3, 7} // the slot of each state (the same permutation: it is its own inverse)
)
