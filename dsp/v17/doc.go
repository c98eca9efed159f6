// Package v17 implements the ITU-T V.17 modem (14400, 12000, 9600 and 7200
// bit/s, 2400 baud on an 1800 Hz carrier) used by Group 3 facsimile.
//
// V.17 sends 6, 5, 4 or 3 data bits per symbol (§1). The bits are
// scrambled by 1 + x^-18 + x^-23 (the polynomial of V.29), the first two
// bits of each symbol, Q1 and Q2, are differentially encoded into Y1 and Y2,
// an 8-state systematic convolutional encoder adds the redundant bit Y0,
// and Y0 Y1 Y2 with the uncoded bits Q3... select one of 128, 64, 32 or 16
// signal elements (the coding of §2.4). Y0 Y1 Y2 name one of eight subsets
// of the constellation; the code makes successive subsets depend on each
// other, and the Viterbi decoder in this package recovers the most likely
// sequence of them from received points (its free distance is five times
// the constellation's least squared distance, against twice that for the
// uncoded alphabet of half the size: about 4 dB). The code is transparent
// to rotations of the constellation by multiples of 90 degrees: the
// differential code of Q1 Q2 absorbs them.
//
// The Transmitter sends the training sequence of §2.5 as SpanDSP,
// its interop peer, does: the long train is segment 1 (256 symbols of the
// alternation ABAB), segment 2 (2976 symbols of the equaliser-conditioning
// pattern CDBA keyed by the scrambler fed with ones), segment 3 (the
// 64-symbol TCM bridge, which differentially encodes the bridge word through
// the scrambler) and segment 4 (48 symbols of scrambled ones through the
// trellis encoder); the short train, used after a long train has set up the
// far receiver, keeps segment 1, cuts segment 2 to 38 symbols and leaves out
// the bridge. The optional talker-echo-protection tone before segment 1 is
// not sent (SpanDSP's fax terminal leaves it off too). After the data a transmission ends
// with 32 symbols of scrambled ones and 48 of silence. Shaping is a
// polyphase root-raised-cosine filter (25% roll-off) at 10/3 samples per
// symbol.
//
// The Receiver runs on package qam's front end: it finds segment 2 after the
// alternation of segment 1, whose symbols turn by +90 and -90 degrees in
// turn (which tells it from a tone, such as the tail of the V.21 frame
// before a TCF), by two consecutive 180-degree turns against the symbol two
// before; trains its equaliser on segments 2 and 3, whose symbols it
// replicates from the scrambler, judges the training on the known segment 4
// against a limit where the Viterbi decoder still corrects (a failed
// training delivers nothing), then decodes data with the Viterbi decoder,
// tracking on its tentative decisions. After a long train it can be told to
// expect the short train (SetShortTrain), keeping the equaliser, gain,
// carrier frequency and timing it trained.
package v17

import "errors"

// ErrRate is returned for a bit rate V.17 does not define (V.17 §1: 14400,
// 12000, 9600 and 7200 bit/s).
var ErrRate = errors.New("v17: unsupported bit rate (want 14400, 12000, 9600 or 7200)")
