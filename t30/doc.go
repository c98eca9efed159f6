// Package t30 holds the ITU-T T.30 fax protocol: HDLC framing, the frame
// codec and (to come) the engine and ECM, with the T.4/T.6 image codecs and
// TIFF in subpackages. It is driven by frames, bits and elapsed time counted
// in samples, and knows nothing of modems or packets.
//
// What is here:
//
//   - [HDLCTx] and [HDLCRx]: T.30 §5.3.1 framing (flags, zero-bit insertion,
//     FCS-16, aborts) as a [dsp.BitSource] and a [dsp.BitSink], so they plug
//     into the V.21 modem for control frames and into a fast modem for ECM.
//     Neither allocates after it is made.
//   - [Frame] and [FCF]: the address, control, FCF and FIF of T.30 §5.3.6,
//     with every FCF of Table 2/T.30 under its own name (DIS, DCS, MCF,
//     PRI_EOP for PRI-EOP, ...) and the X bit of §5.3.6.1.
//   - [Params]: the FIF of DIS, DTC and DCS (Table 2/T.30), one named field
//     per bit group, round-tripping unknown bits.
//   - identity frames (CSI, TSI, CIG, SUB, SID, SEP, PWD: [AppendIdent],
//     [ParseIdent]), NSF/NSS/NSC ([NonStandard]), and the ECM frames PPS
//     ([PartialPage]), PPR ([FrameMap]), EOR and CTC.
//
// Octets are held as received least significant bit first, the order in
// which T.30 sends every octet; T.30's tables, and test scripts that follow
// them, write each octet the other way round (first bit on the left).
package t30
