// Package capture reads T.38 fax calls from packet captures: gopacket
// layers for UDPTL and IFP, a Reader that walks a pcap or pcapng file and
// hands out each T.38 flow's IFP packets in order with losses recovered,
// and a Call that turns them into the T.30 dialogue and pages, printed
// and written as t30/calldecode does for audio recordings.
//
// What is here:
//
//   - [UDPTL] and [T38]: gopacket layers ([LayerTypeUDPTL],
//     [LayerTypeT38], numbers 1380 and 1381) that are also
//     gopacket.DecodingLayers, for use with gopacket.DecodingLayerParser
//     or gopacket.NewPacket. T.38 has no well-known port (the SDP of each
//     call names one, T.38 Annex D/E): [RegisterPorts] hooks given ports
//     into gopacket's UDP layer, and [LooksLikeUDPTL] recognises UDPTL by
//     its structure (T.38 §9.1) where the ports are not known.
//   - [Reader]: pcap or pcapng (pure Go, gopacket/pcapgo; the format is
//     told by the magic number, [Sniff]), Ethernet, 802.1Q, Linux cooked,
//     loopback or raw IP, IPv4 or IPv6. Each direction of each UDPTL
//     conversation is a [Flow] with its own t38.Decoder, which puts
//     datagrams in sequence order, drops duplicates and recovers from
//     redundancy or FEC the datagrams the capture missed; IFPs of all
//     flows come out merged in time order, each with its time and
//     sequence number. The T.38 version (the 1998 syntax, version 0, or
//     the corrected one of versions 1 to 3) is detected per flow.
//   - [Call]: the IFPs of a call → calldecode.Events (tones and trainings
//     from the indicators, T.30 frames from the V.21 HDLC data with their
//     FCS status and FIF decoded, the TCF, ECM blocks) and
//     calldecode.Pages (non-ECM page data after DCS, decoded with the DCS
//     coding and width; ECM frames reassembled per PPS), which
//     calldecode.WritePage writes to TIFF. [Decode] runs a Reader into a
//     Call.
//
// Nothing a capture holds can make the Reader or the Call panic: the
// decoders' panics are turned into errors at their boundaries, and memory
// is bounded by the flows followed (Options.MaxFlows), the decoders'
// windows and the page caps.
package capture
