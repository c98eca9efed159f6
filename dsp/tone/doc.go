// Package tone generates and detects the tones that open a fax call:
//
//   - CNG, the calling tone (ITU-T T.30 §4.1.1 and V.25): 1100 Hz ±38 Hz,
//     on for 0.5 s ±15%, off for 3 s ±15%, repeating.
//   - CED, the called station's answer tone (T.30 §4.1.2, V.25 ANS):
//     2100 Hz ±15 Hz for 2.6 to 4.0 s (3.3 s ±0.7 s), after 0.2 s of silence.
//   - ANS with phase reversals (V.25 §5.2.2, "ANS/"): 180° reversals every
//     450 ms ±25 ms.
//   - ANSam and ANSam/ (V.8 §7.3): 2100 Hz ±1 Hz amplitude-modulated by a
//     15 Hz ±0.1 Hz sine at 20% ±1%, without or with the phase reversals, for
//     up to 5 s.
//
// Generators are plain structs with Process(out []int16) int. The Detector
// correlates 10 ms blocks against both tone frequencies with phase-coherent
// references (a block DFT at each frequency), so it knows each block's
// tone level, the share of the block's energy the tone holds, and the tone's
// frequency error from the phase advance between blocks. It reports a tone
// only when all three hold for the cadence the recommendation gives; it
// classifies an answer tone by its phase reversals and its 15 Hz envelope.
// Nothing is allocated after New.
package tone
