// Package dsp holds faxd's signal-processing primitives: G.711 companding,
// levels in dBm0, power meters, AGC, numerically controlled oscillators,
// FIR and root-raised-cosine filters, Goertzel detectors, self-synchronising
// scramblers and DC blocking. The modems live in subpackages (v21, v27ter,
// v29), the call-progress tones in tone and the telephone line model in line.
//
// Every block is a plain struct that allocates only when it is made; its
// Process-style methods allocate nothing and may be called on any block size.
// Audio is 8000 samples per second, signed 16-bit linear.
//
// Levels follow ITU-T G.711 and SpanDSP: 0 dBm0 is 3.14 dB below the power of
// a full-scale sine wave, so a sine of peak amplitude 32767 is +3.14 dBm0 and
//
//	dBm0 = 20·log10(rms/32768) + 6.16
//
// (3.14 dB for the G.711 reference plus 3.01 dB for the sine's crest factor).
//
// Package dsp imports nothing of faxd's. Everything here is written by hand:
// no maintained Go library offers allocation-free, block-oriented float32 DSP
// for 8 kHz telephony (github.com/mjibson/go-dsp allocates per call and is
// used only offline, in tests).
package dsp
