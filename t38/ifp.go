package t38

import (
	"errors"
	"fmt"
)

// Errors of the IFP codec. Every error Decode or AppendEncode returns wraps
// one of these with the values (octet offsets, field numbers) that explain it.
var (
	// ErrTruncated reports an IFP packet that ends inside an element.
	ErrTruncated = errors.New("t38: truncated packet")
	// ErrMalformed reports an encoding that X.691 or T.38 Annex A forbids:
	// octets left over, a data-field with an indicator, a normally small
	// number of 64 or more, a fragmented length.
	ErrMalformed = errors.New("t38: malformed packet")
	// ErrUnknownType reports an indicator, data type or field type value
	// that no version of T.38 defines.
	ErrUnknownType = errors.New("t38: unknown indicator, data or field type")
	// ErrVersion reports a T.38 version outside 0..3, or a value the
	// version's ASN.1 cannot carry (the 1998 syntax has no extension
	// values).
	ErrVersion = errors.New("t38: not encodable in this T.38 version")
	// ErrFieldData reports field data of more than 65535 octets (Annex A:
	// field-data OCTET STRING (SIZE (1..65535))) or too many fields.
	ErrFieldData = errors.New("t38: field data or field count out of range")
)

// MaxVersion is the highest T.38 version (T38FaxVersion) the codec knows.
const MaxVersion = 3

// Indicator is the t30-indicator of Type-of-msg (T.38 Annex A). The first 16
// values are the root of the ENUMERATED; from IndV8ANSam on they are
// extension additions (V.8 and V.34 for T.38 version 3, and V.33).
type Indicator uint8

// Indicator values, in Annex A order (the order is the encoding).
const (
	IndNoSignal               Indicator = iota // no-signal
	IndCNG                                     // cng
	IndCED                                     // ced
	IndV21Preamble                             // v21-preamble
	IndV27ter2400Training                      // v27-2400-training
	IndV27ter4800Training                      // v27-4800-training
	IndV29_7200Training                        // v29-7200-training
	IndV29_9600Training                        // v29-9600-training
	IndV17_7200ShortTraining                   // v17-7200-short-training
	IndV17_7200LongTraining                    // v17-7200-long-training
	IndV17_9600ShortTraining                   // v17-9600-short-training
	IndV17_9600LongTraining                    // v17-9600-long-training
	IndV17_12000ShortTraining                  // v17-12000-short-training
	IndV17_12000LongTraining                   // v17-12000-long-training
	IndV17_14400ShortTraining                  // v17-14400-short-training
	IndV17_14400LongTraining                   // v17-14400-long-training
	IndV8ANSam                                 // v8-ansam (extension)
	IndV8Signal                                // v8-signal (extension)
	IndV34CntlChannel1200                      // v34-cntl-channel-1200 (extension)
	IndV34PriChannel                           // v34-pri-channel (extension)
	IndV34CCRetrain                            // v34-CC-retrain (extension)
	IndV33_12000Training                       // v33-12000-training (extension)
	IndV33_14400Training                       // v33-14400-training (extension)

	numIndicators     = iota
	indicatorRootSize = 16
)

var indicatorNames = [numIndicators]string{
	"no-signal", "cng", "ced", "v21-preamble", "v27-2400-training",
	"v27-4800-training", "v29-7200-training", "v29-9600-training",
	"v17-7200-short-training", "v17-7200-long-training",
	"v17-9600-short-training", "v17-9600-long-training",
	"v17-12000-short-training", "v17-12000-long-training",
	"v17-14400-short-training", "v17-14400-long-training",
	"v8-ansam", "v8-signal", "v34-cntl-channel-1200", "v34-pri-channel",
	"v34-CC-retrain", "v33-12000-training", "v33-14400-training",
}

// String returns the Annex A identifier, e.g. "v17-14400-long-training".
func (i Indicator) String() string {
	if int(i) < numIndicators {
		return indicatorNames[i]
	}
	return fmt.Sprintf("indicator(%d)", uint8(i))
}

// Valid reports whether T.38 defines i.
func (i Indicator) Valid() bool { return int(i) < numIndicators }

// DataType is the t30-data of Type-of-msg (T.38 Annex A): the modulation the
// data fields travel on. The first 9 values are the root; from DataV8 on
// they are extension additions.
type DataType uint8

// DataType values, in Annex A order.
const (
	DataV21        DataType = iota // v21
	DataV27ter2400                 // v27-2400
	DataV27ter4800                 // v27-4800
	DataV29_7200                   // v29-7200
	DataV29_9600                   // v29-9600
	DataV17_7200                   // v17-7200
	DataV17_9600                   // v17-9600
	DataV17_12000                  // v17-12000
	DataV17_14400                  // v17-14400
	DataV8                         // v8 (extension)
	DataV34PriRate                 // v34-pri-rate (extension)
	DataV34CC1200                  // v34-CC-1200 (extension)
	DataV34PriCh                   // v34-pri-ch (extension)
	DataV33_12000                  // v33-12000 (extension)
	DataV33_14400                  // v33-14400 (extension)

	numDataTypes     = iota
	dataTypeRootSize = 9
)

var dataTypeNames = [numDataTypes]string{
	"v21", "v27-2400", "v27-4800", "v29-7200", "v29-9600", "v17-7200",
	"v17-9600", "v17-12000", "v17-14400", "v8", "v34-pri-rate",
	"v34-CC-1200", "v34-pri-ch", "v33-12000", "v33-14400",
}

// String returns the Annex A identifier, e.g. "v29-9600".
func (d DataType) String() string {
	if int(d) < numDataTypes {
		return dataTypeNames[d]
	}
	return fmt.Sprintf("data(%d)", uint8(d))
}

// Valid reports whether T.38 defines d.
func (d DataType) Valid() bool { return int(d) < numDataTypes }

// FieldType is the field-type of a Data-Field element (T.38 Annex A). The
// first 8 values are the root; from FieldCMMessage on they are extension
// additions, which exist only in the post-corrigendum syntax (version 1 on).
type FieldType uint8

// FieldType values, in Annex A order.
const (
	FieldHDLCData         FieldType = iota // hdlc-data
	FieldHDLCSigEnd                        // hdlc-sig-end
	FieldHDLCFCSOK                         // hdlc-fcs-OK
	FieldHDLCFCSBad                        // hdlc-fcs-BAD
	FieldHDLCFCSOKSigEnd                   // hdlc-fcs-OK-sig-end
	FieldHDLCFCSBadSigEnd                  // hdlc-fcs-BAD-sig-end
	FieldT4NonECMData                      // t4-non-ecm-data
	FieldT4NonECMSigEnd                    // t4-non-ecm-sig-end
	FieldCMMessage                         // cm-message (extension)
	FieldJMMessage                         // jm-message (extension)
	FieldCIMessage                         // ci-message (extension)
	FieldV34Rate                           // v34rate (extension)

	numFieldTypes     = iota
	fieldTypeRootSize = 8
)

var fieldTypeNames = [numFieldTypes]string{
	"hdlc-data", "hdlc-sig-end", "hdlc-fcs-OK", "hdlc-fcs-BAD",
	"hdlc-fcs-OK-sig-end", "hdlc-fcs-BAD-sig-end", "t4-non-ecm-data",
	"t4-non-ecm-sig-end", "cm-message", "jm-message", "ci-message", "v34rate",
}

// String returns the Annex A identifier, e.g. "hdlc-fcs-OK-sig-end".
func (f FieldType) String() string {
	if int(f) < numFieldTypes {
		return fieldTypeNames[f]
	}
	return fmt.Sprintf("field(%d)", uint8(f))
}

// Valid reports whether T.38 defines f.
func (f FieldType) Valid() bool { return int(f) < numFieldTypes }

// Field is one element of Data-Field. An empty Data means field-data is
// absent (Annex A gives it SIZE (1..65535), so there is no empty field-data).
type Field struct {
	Type FieldType
	Data []byte
}

// Packet is an IFPPacket (T.38 Annex A):
//
//	IFPPacket ::= SEQUENCE {
//	    type-of-msg  Type-of-msg,      -- CHOICE { t30-indicator, t30-data }
//	    data-field   Data-Field OPTIONAL }
//
// When IsData is false the packet is a t30-indicator and only Indicator
// counts; when it is true the packet is t30-data of DataType carrying Fields.
// A data packet without fields is encoded with data-field absent.
type Packet struct {
	IsData    bool
	Indicator Indicator
	DataType  DataType
	Fields    []Field
}

// Decode decodes the IFP packet b, encoded in ALIGNED PER for the given T.38
// version (0 = the 1998 syntax, 1..3 = the post-corrigendum syntax), into p.
//
// It does not allocate: each Field.Data aliases b, and p.Fields reuses its
// backing array (p.Fields[:0] grows only when a packet has more fields than
// cap(p.Fields); give it make([]Field, 0, 8) once and the codec never
// allocates). On error p is left with the fields decoded so far.
//
// Version 0 is the pre-corrigendum (1998) Annex A, where field-type has no
// extension marker: an element is 4 bits (field-data present, 3-bit type),
// so a field without data leaves the next one to start mid-octet. That is
// what deployed version 0 gear sends and what SpanDSP's t38_core decodes.
// Decode also accepts, as SpanDSP does, a t30-data packet with data-field
// absent; and for versions 1..3 it falls back, when the strict X.691 reading
// fails, to the layout SpanDSP's encoder uses, in which every element starts
// on an octet boundary (it rounds a 5-bit field without data up to an octet).
func Decode(b []byte, version int, p *Packet) (err error) {
	if version < 0 || version > MaxVersion {
		return fmt.Errorf("%w: version %d", ErrVersion, version)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: decoder panic: %v", ErrMalformed, r)
		}
	}()
	_, err = decodeLenient(b, version, p, false)
	return err
}

// decodeLenient tries the readings in turn: X.691 with zero padding;
// SpanDSP's octet-per-element layout (versions 1..3); X.691 with any
// padding. The zero-padding check is what tells SpanDSP's layout from
// X.691's when both would parse. It returns the first reading's error.
func decodeLenient(b []byte, version int, p *Packet, prefix bool) (int, error) {
	var f, f2 failure
	n, err := decodeIFP(b, version, p, prefix, modeStrict, &f)
	if err == nil {
		return n, err
	}
	if version > 0 && p.IsData {
		if n2, err2 := decodeIFP(b, version, p, prefix, modeOctet, &f2); err2 == nil {
			return n2, nil
		}
	}
	if n2, err2 := decodeIFP(b, version, p, prefix, modeLax, &f2); err2 == nil {
		return n2, nil
	}
	// Leave p as the strict reading left it.
	decodeIFP(b, version, p, prefix, modeStrict, &f2)
	return n, f.err()
}

// IFPLen returns the number of octets the IFP packet at the start of b
// occupies, ignoring whatever follows it. It helps to trim a packet
// recovered by UDPTL FEC, which comes back as long as the longest packet of
// its group.
func IFPLen(b []byte, version int) (n int, err error) {
	if version < 0 || version > MaxVersion {
		return 0, fmt.Errorf("%w: version %d", ErrVersion, version)
	}
	defer func() {
		if r := recover(); r != nil {
			n, err = 0, fmt.Errorf("%w: decoder panic: %v", ErrMalformed, r)
		}
	}()
	var fs [16]Field
	p := Packet{Fields: fs[:0]}
	return decodeLenient(b, version, &p, true)
}

// bitReader reads ALIGNED PER bits, most significant bit of each octet
// first (X.691 §10: octets are filled from bit 8 down to bit 1).
type bitReader struct {
	b       []byte
	pos     int  // in bits
	zeroPad bool // padding bits must be zero
	f       *failure
}

// failure records why a reading failed without allocating: the lenient
// decoder tries several readings and only the error it returns is built.
type failure struct {
	kind   error
	format string
	args   [6]int
	n      int
}

var errDecode = errors.New("t38: decode failed")

func (r *bitReader) fail(kind error, format string, a ...int) error {
	r.f.kind, r.f.format = kind, format
	r.f.n = copy(r.f.args[:], a)
	return errDecode
}

func (f *failure) err() error {
	args := make([]any, 0, 1+f.n)
	args = append(args, f.kind)
	for _, a := range f.args[:f.n] {
		args = append(args, a)
	}
	return fmt.Errorf("%w: "+f.format, args...)
}

func (r *bitReader) left() int { return len(r.b)*8 - r.pos }

func (r *bitReader) bits(n int) (uint32, error) {
	if r.left() < n {
		return 0, r.fail(ErrTruncated, "%d bits wanted at octet %d bit %d of %d octets", n, r.pos/8, r.pos%8, len(r.b))
	}
	var v uint32
	for range n {
		v = v<<1 | uint32(r.b[r.pos>>3]>>(7-uint(r.pos&7)))&1
		r.pos++
	}
	return v, nil
}

// align skips the padding to the next octet boundary. X.691 makes padding
// bits zero; with zeroPad a nonzero one is an error.
func (r *bitReader) align() error {
	n := (8 - r.pos&7) & 7
	if n == 0 {
		return nil
	}
	at := r.pos / 8
	if at >= len(r.b) {
		r.pos += n
		return nil
	}
	v, _ := r.bits(n)
	if r.zeroPad && v != 0 {
		return r.fail(ErrMalformed, "nonzero padding in octet %d", at)
	}
	return nil
}

// length reads an unconstrained length determinant (X.691 §10.9.3.6,
// aligned variant): 0xxxxxxx, 10xxxxxx xxxxxxxx. The fragmented form 11xxxxxx
// never occurs in a datagram-sized packet and is refused.
func (r *bitReader) length() (int, error) {
	if err := r.align(); err != nil {
		return 0, err
	}
	at := r.pos / 8
	v, err := r.bits(8)
	if err != nil {
		return 0, err
	}
	if v&0x80 == 0 {
		return int(v), nil
	}
	if v&0x40 != 0 {
		return 0, r.fail(ErrMalformed, "fragmented length at octet %d", at)
	}
	lo, err := r.bits(8)
	if err != nil {
		return 0, err
	}
	return int(v&0x3f)<<8 | int(lo), nil
}

// smallNumber reads a normally small non-negative whole number (X.691
// §10.6), which is how an extension addition of an ENUMERATED is indexed.
func (r *bitReader) smallNumber() (int, error) {
	at := r.pos / 8
	big, err := r.bits(1)
	if err != nil {
		return 0, err
	}
	if big != 0 {
		return 0, r.fail(ErrUnknownType, "extension index of 64 or more at octet %d", at)
	}
	v, err := r.bits(6)
	return int(v), err
}

type mode uint8

const (
	modeStrict mode = iota // X.691, padding zero
	modeOctet              // every Data-Field element octet aligned (SpanDSP, versions 1..3)
	modeLax                // X.691, any padding
)

// decodeIFP is Decode's body. prefix stops after the packet instead of
// requiring it to fill b. It returns the number of octets used.
func decodeIFP(b []byte, version int, p *Packet, prefix bool, m mode, f *failure) (int, error) {
	octetFields := m == modeOctet
	p.IsData, p.Indicator, p.DataType = false, 0, 0
	p.Fields = p.Fields[:0]
	r := bitReader{b: b, zeroPad: m == modeStrict, f: f}
	if len(b) == 0 {
		return 0, r.fail(ErrTruncated, "empty packet")
	}
	// Preamble of IFPPacket: one bit, data-field present (X.691 §18.2).
	present, _ := r.bits(1)
	// Type-of-msg: a CHOICE of two, one bit (X.691 §23.6).
	choice, _ := r.bits(1)
	// Both ENUMERATEDs carry an extension bit (X.691 §14.3), then a
	// constrained index over the root (4 bits for 16 or 9 values) or a
	// normally small extension index.
	ext, _ := r.bits(1)
	var idx int
	if ext == 0 {
		v, err := r.bits(4)
		if err != nil {
			return 0, err
		}
		idx = int(v)
	} else {
		v, err := r.smallNumber()
		if err != nil {
			return 0, err
		}
		if choice == 0 {
			idx = indicatorRootSize + v
		} else {
			idx = dataTypeRootSize + v
		}
	}
	if choice == 0 {
		if idx >= numIndicators {
			return 0, r.fail(ErrUnknownType, "indicator %d at octet 0", idx)
		}
		p.Indicator = Indicator(idx)
		if present != 0 {
			return 0, r.fail(ErrMalformed, "data-field with indicator %d at octet 0", int(p.Indicator))
		}
		return r.finish(prefix)
	}
	p.IsData = true
	if idx >= numDataTypes || (ext == 0 && idx >= dataTypeRootSize) {
		return 0, r.fail(ErrUnknownType, "data type %d at octet 0", idx)
	}
	p.DataType = DataType(idx)
	if present == 0 {
		// A data packet with no data-field: pointless, but SpanDSP accepts it.
		return r.finish(prefix)
	}
	// Data-Field ::= SEQUENCE OF: an aligned length determinant, then the
	// elements back to back (X.691 §20.6), not aligned.
	count, err := r.length()
	if err != nil {
		return 0, err
	}
	minBits := 4 // 1998: field-data present + 3-bit type
	if version > 0 {
		minBits = 5 // + the extension bit
	}
	if octetFields {
		minBits = 8
	}
	if count*minBits > r.left() {
		return 0, r.fail(ErrTruncated, "%d fields announced, %d bits left at octet %d", count, r.left(), r.pos/8)
	}
	for i := range count {
		if octetFields {
			if err := r.align(); err != nil {
				return 0, err
			}
		}
		at := r.pos / 8
		fp, err := r.bits(1)
		if err != nil {
			return 0, err
		}
		var ft int
		if version == 0 {
			// Pre-corrigendum: field-type ENUMERATED without "...".
			v, err := r.bits(3)
			if err != nil {
				return 0, err
			}
			ft = int(v)
		} else {
			fe, err := r.bits(1)
			if err != nil {
				return 0, err
			}
			if fe == 0 {
				v, err := r.bits(3)
				if err != nil {
					return 0, err
				}
				ft = int(v)
			} else {
				v, err := r.smallNumber()
				if err != nil {
					return 0, err
				}
				ft = fieldTypeRootSize + v
			}
		}
		if ft >= numFieldTypes {
			return 0, r.fail(ErrUnknownType, "field %d type %d at octet %d", i, ft, at)
		}
		f := Field{Type: FieldType(ft)}
		if fp != 0 {
			// field-data OCTET STRING (SIZE (1..65535)): the length is a
			// constrained whole number with a range of 65535, so two
			// aligned octets holding length-1 (X.691 §10.9.3.3, §10.5.7.3).
			if err := r.align(); err != nil {
				return 0, err
			}
			n, err := r.bits(16)
			if err != nil {
				return 0, err
			}
			l := int(n) + 1
			start := r.pos / 8
			if start+l > len(b) {
				return 0, r.fail(ErrTruncated, "field %d wants %d octets at octet %d, %d left", i, l, start, len(b)-start)
			}
			f.Data = b[start : start+l : start+l]
			r.pos += l * 8
		}
		p.Fields = append(p.Fields, f)
	}
	return r.finish(prefix)
}

// finish checks that the packet fills b: the last octet may hold padding,
// nothing more (X.691 §10.1.3, a complete encoding is a whole number of
// octets).
func (r *bitReader) finish(prefix bool) (int, error) {
	if err := r.align(); err != nil {
		return 0, err
	}
	n := r.pos / 8
	if !prefix && n != len(r.b) {
		return n, r.fail(ErrMalformed, "%d octets left over after octet %d", len(r.b)-n, n)
	}
	return n, nil
}

// bitWriter appends ALIGNED PER bits to a byte slice.
type bitWriter struct {
	b     []byte
	start int // offset of the packet in b
	pos   int // bits written since start
}

func (w *bitWriter) bits(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		if w.pos&7 == 0 {
			w.b = append(w.b, 0)
		}
		if v>>uint(i)&1 != 0 {
			w.b[w.start+w.pos>>3] |= 0x80 >> uint(w.pos&7)
		}
		w.pos++
	}
}

func (w *bitWriter) align() { w.pos = (w.pos + 7) &^ 7 }

// AppendEncode appends the ALIGNED PER encoding of p for the given T.38
// version to dst. It allocates only if dst lacks capacity.
//
// Version 0 writes the 1998 syntax (4-bit Data-Field elements) and refuses
// the extension values (V.8, V.34, V.33 indicators and data types, the
// V.34 field types), which that syntax either lacks or no version 0 peer
// knows. Versions 1..3 write the post-corrigendum syntax exactly as X.691
// packs it: a field without data takes 5 bits and the next one follows it
// inside the octet (SpanDSP would round it up to an octet; see Decode).
// The V.8/V.34 values are T.38 version 3 features; whether the peer
// negotiated version 3 is the caller's business.
func (p *Packet) AppendEncode(dst []byte, version int) ([]byte, error) {
	if version < 0 || version > MaxVersion {
		return dst, fmt.Errorf("%w: version %d", ErrVersion, version)
	}
	w := bitWriter{b: dst, start: len(dst)}
	if !p.IsData {
		if !p.Indicator.Valid() {
			return dst, fmt.Errorf("%w: indicator %d", ErrUnknownType, p.Indicator)
		}
		w.bits(0, 1) // data-field absent
		w.bits(0, 1) // t30-indicator
		if p.Indicator < indicatorRootSize {
			w.bits(0, 1)
			w.bits(uint32(p.Indicator), 4)
		} else {
			if version == 0 {
				return dst, fmt.Errorf("%w: indicator %v in version 0", ErrVersion, p.Indicator)
			}
			w.bits(1, 1)
			w.bits(uint32(p.Indicator-indicatorRootSize), 7) // 0 + 6-bit index
		}
		return w.b, nil
	}
	if !p.DataType.Valid() {
		return dst, fmt.Errorf("%w: data type %d", ErrUnknownType, p.DataType)
	}
	if len(p.Fields) > 0x3fff {
		return dst, fmt.Errorf("%w: %d fields", ErrFieldData, len(p.Fields))
	}
	w.bits(b2u(len(p.Fields) > 0), 1)
	w.bits(1, 1) // t30-data
	if p.DataType < dataTypeRootSize {
		w.bits(0, 1)
		w.bits(uint32(p.DataType), 4)
	} else {
		if version == 0 {
			return dst, fmt.Errorf("%w: data type %v in version 0", ErrVersion, p.DataType)
		}
		w.bits(1, 1)
		w.bits(uint32(p.DataType-dataTypeRootSize), 7)
	}
	if len(p.Fields) == 0 {
		return w.b, nil
	}
	w.align()
	if n := len(p.Fields); n < 0x80 {
		w.bits(uint32(n), 8)
	} else {
		w.bits(0x8000|uint32(n), 16)
	}
	for i := range p.Fields {
		f := &p.Fields[i]
		if !f.Type.Valid() {
			return dst, fmt.Errorf("%w: field %d type %d", ErrUnknownType, i, f.Type)
		}
		if len(f.Data) > 65535 {
			return dst, fmt.Errorf("%w: field %d has %d octets > 65535", ErrFieldData, i, len(f.Data))
		}
		w.bits(b2u(len(f.Data) > 0), 1)
		switch {
		case version == 0:
			if f.Type >= fieldTypeRootSize {
				return dst, fmt.Errorf("%w: field %d type %v in version 0", ErrVersion, i, f.Type)
			}
			w.bits(uint32(f.Type), 3)
		case f.Type < fieldTypeRootSize:
			w.bits(0, 1)
			w.bits(uint32(f.Type), 3)
		default:
			w.bits(1, 1)
			w.bits(uint32(f.Type-fieldTypeRootSize), 7)
		}
		if len(f.Data) > 0 {
			w.align()
			w.bits(uint32(len(f.Data)-1), 16)
			w.b = append(w.b, f.Data...)
			w.pos += 8 * len(f.Data)
		}
	}
	return w.b, nil
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}
