// Package calldecode decodes a recorded fax call: it listens to the audio
// the way a T.30 terminal would, but only listens, and reports the T.30
// dialogue with times, the tones, the trainings and the pages, whose
// images it decodes.
//
// What does it do: a [Decoder] takes 8 kHz samples of one direction of a
// call, of both directions mixed (fax is half duplex, so one mixed track
// carries the whole dialogue), or of both directions on the two channels of
// a stereo recording. It emits [Event]s, in time order, and hands each
// decoded [Page] to the caller, who may write it to a TIFF file with
// [WritePage].
//
// How does it work: every channel runs, side by side as SpanDSP's fax
// front end does,
//
//   - the tone detector of dsp/tone (CNG, T.30 §4.1.1; CED, ANS, ANSam,
//     T.30 §4.1.2 and V.8 §7.3);
//   - the V.21 receivers of both channels (channel 2 carries T.30's
//     control frames, T.30 §5.3.1), each into an HDLC deframer, giving
//     T.30 frames (T.30 §5.3.6);
//   - once a DCS has named one (T.30 Table 2, bits 11-14), the fast modem's
//     receiver: V.27 ter, V.29 or V.17. The first transmission after DCS
//     is the training check, TCF (T.30 §5.3.6.2.1: zeros for 1.5 s after
//     the long train); the ones that follow carry the page. V.17 sends
//     TCF after its long train and the pages after the short one (V.17
//     §2.5, as SpanDSP does after CFR), and again the long one after CTC
//     (T.30 §A.4.3).
//
// Without ECM the page is the bit stream after the training, coded in T.4
// MH or MR (T.4 §4.1, §4.2) with the DCS's coding and width, up to RTC or
// the carrier's end; it goes to a t4 Decoder. With ECM (T.30 Annex A, T.4
// Annex A) the fast modem carries HDLC frames: FCD frames of 64 or 256
// octets of coded data, each with its frame number, then RCP. The frames
// are kept by number; each PPS (T.30 §A.4.1) closes a partial page of the
// number of frames it names, frames resent after PPR take the place of the
// bad ones, and the partial pages in order make the page's T.4 or T.6
// data.
//
// Who sent what is read from T.30 itself: the X bit of a frame's FCF is 1
// from the terminal that received DIS, the calling terminal (T.30
// §5.3.6.1), so every frame, tone and transmission is placed on the
// calling (->) or called (<-) side even in a mixed recording.
//
// Memory is bounded: the coded data of a page is capped
// ([Options.MaxPageBytes]), as are its rows ([Options.MaxRows]); an ECM
// partial page takes at most 256 frames of 256 octets. Nothing the audio
// holds can make the decoder panic; a bug that would is turned into an
// error at the boundary ([ErrInternal]).
package calldecode
