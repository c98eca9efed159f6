// Package tiff reads and writes fax images in TIFF Class F, the "F profile" of TIFF for
// facsimile (RFC 2306, "Tag Image File Format (TIFF) - F Profile for Facsimile"), on top
// of the T.4/T.6 codec of package t4.
//
// File structure (TIFF 6.0 section 2): an 8-byte header, "II" (little-endian) or "MM"
// (big-endian), the number 42 and the offset of the first image file directory (IFD);
// each IFD is a count, 12-byte entries sorted by tag (tag, field type, count, value or
// offset of the value when it does not fit in four bytes) and the offset of the next IFD,
// 0 for the last. A fax document is one IFD per page (RFC 2306), each with NewSubfileType
// 2, "single page of a multi-page image" (TIFF 6.0 section 8), and PageNumber n of total
// (section 12).
//
// Image data (TIFF 6.0 sections 3 and 11; RFC 2306): one bit per pixel, the page cut
// into strips of RowsPerStrip rows (StripOffsets, StripByteCounts). Compression 1 is
// uncompressed, rows padded to whole octets; Compression 3 is T.4 (Group 3) with the
// T4Options field (TIFF 6.0 section 11, "T4Options"): bit 0 two-dimensional coding (MR),
// bit 1 uncompressed mode allowed, bit 2 fill bits before EOL so that EOLs end on an
// octet boundary; Compression 4 is T.6 (Group 4, MMR) with T6Options (bit 1 uncompressed
// mode). Each strip is coded on its own: a G3 strip starts with an EOL and 1-D coding, a
// G4 strip against an all-white reference line. FillOrder (TIFF 6.0 section 8) 1 puts
// the first bit (pixel) in the most significant bit of an octet, 2 in the least
// significant bit, as fax modems deliver it. PhotometricInterpretation 0 (WhiteIsZero,
// the Class F value) makes a 1 bit black; 1 (BlackIsZero) the opposite. Class F G3 data
// has no RTC at the end (libtiff's FAXMODE_CLASSF is its FAXMODE_NORTC, and fax2tiff
// writes it so); the Reader accepts it either way. XResolution and YResolution are
// rationals in ResolutionUnit 2 (inch) or 3 (centimetre): 204 x 98 (standard), 204 x 196
// (fine), 204 x 391 (superfine), and 300 or 400 square. The Class F fields BadFaxLines
// (326), CleanFaxData (327) and ConsecutiveBadFaxLines (328) record the quality of a
// received page.
//
// Rows handed in and out are what package t4 uses: (Width+7)/8 octets, first pixel in
// the most significant bit, 1 = black, whatever the file's FillOrder and Photometric.
//
// The Reader validates every offset and count against the file size, bounds pages
// (MaxPages), width (t4.MaxWidth) and height (MaxHeight), detects IFD loops and returns
// errors wrapping the Err sentinels below; it turns a panic into ErrCorrupt. Not
// supported: BigTIFF, tiles, more than one bit per pixel, compressions other than 1, 3
// and 4, and the uncompressed mode extension of T.4/T.6 (G3 rows using it come out as bad
// rows, G4 ones as ErrCorrupt).
package tiff

import (
	"errors"
	"fmt"
	"time"

	"github.com/faxd/faxd/t30/t4"
)

// Limits.
const (
	MaxPages  = 10000   // most IFDs (pages) a Reader accepts
	MaxHeight = 1 << 16 // most rows per page, read or written
	maxString = 1024    // longest ASCII field kept (longer ones are cut)
	maxStrBuf = 1 << 20 // total ASCII bytes kept per file
	maxIFDLen = 4096    // most entries per IFD
)

// TIFF field tags (TIFF 6.0 sections 8, 11 and 12; RFC 2306; HylaFAX private tags 34908-34911).
const (
	tagNewSubfileType       = 254
	tagImageWidth           = 256
	tagImageLength          = 257
	tagBitsPerSample        = 258
	tagCompression          = 259
	tagPhotometric          = 262
	tagFillOrder            = 266
	tagDocumentName         = 269
	tagImageDescription     = 270
	tagMake                 = 271
	tagModel                = 272
	tagStripOffsets         = 273
	tagOrientation          = 274
	tagSamplesPerPixel      = 277
	tagRowsPerStrip         = 278
	tagStripByteCounts      = 279
	tagXResolution          = 282
	tagYResolution          = 283
	tagPlanarConfiguration  = 284
	tagPageName             = 285
	tagT4Options            = 292
	tagT6Options            = 293
	tagResolutionUnit       = 296
	tagPageNumber           = 297
	tagSoftware             = 305
	tagDateTime             = 306
	tagHostComputer         = 316
	tagTileWidth            = 322
	tagBadFaxLines          = 326
	tagCleanFaxData         = 327
	tagConsecutiveBadFaxLns = 328
	tagFaxRecvParams        = 34908
	tagFaxSubAddress        = 34909
	tagFaxRecvTime          = 34910
	tagFaxDCS               = 34911
)

// Field types (TIFF 6.0 section 2, "Types").
const (
	typeByte      = 1
	typeASCII     = 2
	typeShort     = 3
	typeLong      = 4
	typeRational  = 5
	typeSByte     = 6
	typeUndefined = 7
	typeSShort    = 8
	typeSLong     = 9
	typeSRational = 10
	typeFloat     = 11
	typeDouble    = 12
)

var typeSize = [...]int{0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8}

// Compression values (TIFF 6.0 section 3 and 11).
const (
	CompressionNone = 1 // uncompressed, one bit per pixel packed into octets
	CompressionG3   = 3 // T.4 (T4Options tells MH or MR)
	CompressionG4   = 4 // T.6 MMR
)

// T4Options and T6Options bits (TIFF 6.0 section 11).
const (
	T4TwoD         = 1 << 0 // T4Options: two-dimensional (MR) coding
	T4Uncompressed = 1 << 1 // T4Options: uncompressed mode may be used
	T4FillBits     = 1 << 2 // T4Options: fill bits make each EOL end on an octet boundary
	T6Uncompressed = 1 << 1 // T6Options: uncompressed mode may be used
)

// ResolutionUnit values (TIFF 6.0 section 8).
const (
	ResUnitNone = 1
	ResUnitInch = 2
	ResUnitCM   = 3
)

// CleanFaxData values (RFC 2306, TIFF Class F field 327).
type CleanFaxData int

const (
	Clean       CleanFaxData = 0 // no bad lines
	Regenerated CleanFaxData = 1 // bad lines were regenerated (concealed) by the receiver
	Unclean     CleanFaxData = 2 // bad lines are present and were not regenerated
)

// Sentinel errors. Errors returned by the package wrap one of these with the values that
// explain them.
var (
	ErrFormat      = errors.New("tiff: not a TIFF file")
	ErrUnsupported = errors.New("tiff: unsupported TIFF feature")
	ErrRange       = errors.New("tiff: offset or count outside the file")
	ErrIFDLoop     = errors.New("tiff: IFD chain loops")
	ErrTooMany     = errors.New("tiff: too many pages")
	ErrLimit       = errors.New("tiff: value outside the accepted limits")
	ErrMissing     = errors.New("tiff: required field missing")
	ErrPage        = errors.New("tiff: no such page")
	ErrCorrupt     = errors.New("tiff: corrupt image data")
	ErrClosed      = errors.New("tiff: writer or page already closed")
	ErrPageOpen    = errors.New("tiff: previous page not closed")
	ErrNoRows      = errors.New("tiff: page has no rows")
)

// Coding is the coding of a page's image data.
type Coding int

const (
	MH           Coding = iota // Compression 3, T4Options bit 0 clear: T.4 one-dimensional (the Class F baseline)
	MR                         // Compression 3, T4Options bit 0 set: T.4 two-dimensional
	MMR                        // Compression 4: T.6
	Uncompressed               // Compression 1
)

func (c Coding) String() string {
	switch c {
	case MH:
		return "MH"
	case MR:
		return "MR"
	case MMR:
		return "MMR"
	case Uncompressed:
		return "none"
	}
	return fmt.Sprintf("Coding(%d)", int(c))
}

// t4 returns the t4 coding of a compressed coding.
func (c Coding) t4() t4.Coding {
	switch c {
	case MR:
		return t4.MR
	case MMR:
		return t4.MMR
	}
	return t4.MH
}

// Resolution is a pair of resolutions in dots (pixels) per inch.
type Resolution struct{ X, Y float64 }

// The fax resolutions (T.4 §2), in the inch-based values Class F files use.
var (
	Standard  = Resolution{204, 98}  // 8 pels/mm x 3.85 lines/mm
	Fine      = Resolution{204, 196} // 8 pels/mm x 7.7 lines/mm
	Superfine = Resolution{204, 391} // 8 pels/mm x 15.4 lines/mm
	R300      = Resolution{300, 300}
	R400      = Resolution{400, 400}
)

// Quality is what a receiver knows about a page's line errors (RFC 2306 Class F fields).
type Quality struct {
	BadFaxLines            int          // rows received with errors
	CleanFaxData           CleanFaxData // whether bad rows were regenerated
	ConsecutiveBadFaxLines int          // longest run of consecutive bad rows
}

// PageInfo describes one page (IFD) of a file.
type PageInfo struct {
	Index          int    // position in the IFD chain, from 0
	SubfileType    uint32 // NewSubfileType (2 = page of a multi-page document)
	Width, Height  int    // pixels per row, rows
	Compression    int    // 1, 3 or 4
	T4Options      uint32 // Compression 3: T4TwoD, T4Uncompressed, T4FillBits
	T6Options      uint32 // Compression 4: T6Uncompressed
	FillOrder      t4.FillOrder
	Photometric    int     // 0 WhiteIsZero, 1 BlackIsZero
	XRes, YRes     float64 // dots per inch; 0 when not given or ResolutionUnit is none
	ResolutionUnit int     // 1 none, 2 inch, 3 cm
	RawXRes        float64 // XResolution as stored, in ResolutionUnit
	RawYRes        float64 // YResolution as stored
	PageNumber     int     // from 0, as stored; -1 when absent
	PageTotal      int     // as stored (0 = unknown); -1 when absent
	RowsPerStrip   int     // rows per strip, at most Height
	Strips         int     // number of strips the page is cut into
	Software       string
	DateTime       string // "YYYY:MM:DD HH:MM:SS" as stored
	PageName       string
	DocumentName   string
	Description    string // ImageDescription
	Make, Model    string
	HostComputer   string
	Quality        *Quality // Class F BadFaxLines etc., nil when BadFaxLines and CleanFaxData are absent
	// HylaFAX private tags, zero when absent.
	FaxRecvParams uint32 // T.30 session parameters encoded by HylaFAX
	FaxRecvTime   uint32 // seconds spent receiving the page
	FaxSubAddress string
	FaxDCS        string
}

// Coding returns how the page is coded.
func (p *PageInfo) Coding() Coding {
	switch {
	case p.Compression == CompressionG4:
		return MMR
	case p.Compression == CompressionG3 && p.T4Options&T4TwoD != 0:
		return MR
	case p.Compression == CompressionG3:
		return MH
	}
	return Uncompressed
}

// Resolution returns the page resolution in dots per inch.
func (p *PageInfo) Resolution() Resolution { return Resolution{p.XRes, p.YRes} }

// Time parses DateTime (TIFF 6.0 section 8: "YYYY:MM:DD HH:MM:SS") as local time.
func (p *PageInfo) Time() (time.Time, error) {
	t, err := time.ParseInLocation(dateLayout, p.DateTime, time.Local)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: DateTime %q", ErrFormat, p.DateTime)
	}
	return t, nil
}

const dateLayout = "2006:01:02 15:04:05"

// Stats counts what a RowReader met on a page so far.
type Stats struct {
	Rows          int // rows delivered
	BadRows       int // G3 rows that failed to decode and were concealed by repeating the last good row (t4)
	LongestBadRun int // longest run of consecutive bad rows
	MissingRows   int // rows the strip data did not hold (ended early or strip missing), delivered white
}
