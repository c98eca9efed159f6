// Package t38 holds ITU-T T.38 fax over IP: the IFP codec, UDPTL with
// redundancy and FEC, the T.38 SDP attributes, and (beside them) the T.38
// terminal.
//
// What is here:
//
//   - [Packet], [Decode] and [Packet.AppendEncode]: the IFPPacket of T.38
//     Annex A in ALIGNED PER (X.691), for T.38 versions 0 to 3, with every
//     [Indicator], [DataType] and [FieldType] under its Annex A name.
//     Version 0 is the 1998 (pre-corrigendum) syntax, whose field-type has
//     no extension marker. Neither direction allocates: decoded field data
//     alias the input.
//   - [UDPTLPacket] and [DecodeUDPTL]: the UDPTL datagram of T.38 §9.1;
//     [Encoder] numbers IFPs and adds redundancy or parity FEC within
//     T38FaxMaxDatagram; [Decoder] reorders, drops duplicates, recovers
//     from either scheme, gives up gaps within a bounded window and hands
//     the IFPs out in order with the losses counted.
//   - [SDP], [ParseSDP]: the T38Fax* attributes of an m=image udptl t38
//     section (pion/sdp refuses m=image, so this is our own).
//
// Conformance notes. Decode accepts what deployed gear sends: the 1998
// Data-Field layout for version 0, t30-data without a data-field, and for
// versions 1..3 SpanDSP's octet-per-element Data-Field layout when the
// X.691 reading fails. SpanDSP 0.0.6 encodes the extension field types
// (cm-message, jm-message, ci-message, v34rate) one bit off from X.691 (it
// reuses the indicator's arithmetic); we follow X.691, so those two differ
// for every value but cm-message — moot in practice, since SpanDSP has no
// V.34 to send them with.
package t38
