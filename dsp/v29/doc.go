// Package v29 implements the ITU-T V.29 modem (9600, 7200 and 4800 bit/s,
// 2400 baud on a 1700 Hz carrier) used by Group 3 facsimile.
//
// The Transmitter sends the training sequence of V.29 §2 (silence,
// alternations, the 1 + x^-6 + x^-7 equaliser conditioning pattern,
// scrambled ones), then the data scrambled by 1 + x^-18 + x^-23 (V.29 §5),
// shaped by a polyphase root-raised-cosine filter at 10/3 samples per
// symbol. It interoperates with SpanDSP's receiver (see the spandsp-tagged
// tests).
//
// The Receiver finds segment 2 by its two-symbol periodicity, sets its gain
// and carrier frequency there, recognises the start of segment 3 by two
// consecutive 180-degree turns, trains a T/2 fractionally spaced equaliser
// (normalised LMS) and a second-order carrier loop on the known segment 3,
// and delivers data only when the known segment 4 decodes within
// SpanDSP's error bound. Symbol timing is Gardner's detector on matched-filter
// outputs interpolated from a 32-phase polyphase filter.
package v29

import "errors"

// ErrRate is returned for a bit rate V.29 does not define (V.29 §1: 9600,
// with fallbacks 7200 and 4800 bit/s).
var ErrRate = errors.New("v29: unsupported bit rate")
