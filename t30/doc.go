// Package t30 will hold the ITU-T T.30 fax protocol engine, HDLC framing and
// ECM, with the T.4/T.6 image codecs and TIFF in subpackages. It is driven by
// frames, bits and elapsed time counted in samples, and knows nothing of
// modems or packets.
package t30
