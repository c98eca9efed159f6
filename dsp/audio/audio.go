// Package audio reads and writes the audio files faxd's tools exchange:
// raw signed 16-bit little-endian mono PCM at 8000 samples per second, and
// RIFF/WAVE files (Microsoft's WAVE format: PCM 16-bit, or G.711 mu-law or
// A-law, mono or stereo, 8000 Hz).
//
// The WAVE reader is written by hand: the Go libraries that read WAVE files
// (go-audio/wav and others) do not decode G.711 and read whole files; this
// one streams, decodes G.711 with package dsp and bounds what it accepts.
package audio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/faxd/faxd/dsp"
)

// Errors the reader returns, wrapped with the offending values.
var (
	ErrFormat      = errors.New("audio: not a supported WAVE file")
	ErrSampleRate  = errors.New("audio: sample rate is not 8000 Hz")
	ErrEncoding    = errors.New("audio: unsupported WAVE encoding")
	ErrChannels    = errors.New("audio: unsupported channel count")
	ErrOddLength   = errors.New("audio: raw input ends in the middle of a sample")
	ErrChunkLayout = errors.New("audio: malformed WAVE chunk layout")
)

// WAVE format tags (the fmt chunk's wFormatTag).
const (
	formatPCM        = 1
	formatALaw       = 6
	formatULaw       = 7
	formatExtensible = 0xFFFE
)

// maxHeaderChunks bounds how many chunks the reader skips before "data", so a
// hostile file cannot keep it busy.
const maxHeaderChunks = 64

// Encoding is how samples are coded in a file.
type Encoding int

// The encodings a Reader understands.
const (
	PCM16 Encoding = iota // signed 16-bit little-endian linear
	ULaw                  // G.711 mu-law, one octet per sample
	ALaw                  // G.711 A-law, one octet per sample
)

func (e Encoding) String() string {
	switch e {
	case PCM16:
		return "pcm16"
	case ULaw:
		return "mu-law"
	case ALaw:
		return "A-law"
	}
	return "unknown"
}

// Format describes an audio stream.
type Format struct {
	Encoding Encoding
	Channels int // 1 or 2
	WAVE     bool
}

// A Reader yields linear 16-bit samples from raw PCM or a WAVE file. For a
// stereo file, channels are interleaved (left, right, left, ...).
type Reader struct {
	r      *bufio.Reader
	format Format
	remain int64 // bytes left in the data chunk; -1 = to EOF
	buf    []byte
	odd    bool
}

// NewReader sniffs r: a stream starting with "RIFF....WAVE" is read as a WAVE
// file, anything else as raw signed 16-bit little-endian mono PCM.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, 4096)
	ar := &Reader{r: br, remain: -1, buf: make([]byte, 4096)}
	head, err := br.Peek(12)
	if err == nil && string(head[0:4]) == "RIFF" && string(head[8:12]) == "WAVE" {
		if err := ar.readWAVEHeader(); err != nil {
			return nil, err
		}
		return ar, nil
	}
	ar.format = Format{Encoding: PCM16, Channels: 1}
	return ar, nil
}

// Format returns the stream's format.
func (a *Reader) Format() Format { return a.format }

func (a *Reader) readWAVEHeader() error {
	var hdr [12]byte
	if _, err := io.ReadFull(a.r, hdr[:]); err != nil {
		return fmt.Errorf("%w: %v", ErrFormat, err)
	}
	haveFmt := false
	for i := 0; i < maxHeaderChunks; i++ {
		var ch [8]byte
		if _, err := io.ReadFull(a.r, ch[:]); err != nil {
			return fmt.Errorf("%w: no data chunk (%v)", ErrChunkLayout, err)
		}
		id := string(ch[0:4])
		size := int64(binary.LittleEndian.Uint32(ch[4:8]))
		switch id {
		case "fmt ":
			if size < 16 || size > 1024 {
				return fmt.Errorf("%w: fmt chunk of %d bytes", ErrChunkLayout, size)
			}
			b := make([]byte, size+size&1)
			if _, err := io.ReadFull(a.r, b); err != nil {
				return fmt.Errorf("%w: short fmt chunk (%v)", ErrChunkLayout, err)
			}
			if err := a.parseFmt(b[:size]); err != nil {
				return err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return fmt.Errorf("%w: data chunk before fmt chunk", ErrChunkLayout)
			}
			a.remain = size
			if size == 0xFFFFFFFF || size == 0 { // streamed WAVE files leave the size open
				a.remain = -1
			}
			return nil
		default:
			if _, err := io.CopyN(io.Discard, a.r, size+size&1); err != nil {
				return fmt.Errorf("%w: short %q chunk (%v)", ErrChunkLayout, id, err)
			}
		}
	}
	return fmt.Errorf("%w: more than %d chunks before data", ErrChunkLayout, maxHeaderChunks)
}

func (a *Reader) parseFmt(b []byte) error {
	tag := binary.LittleEndian.Uint16(b[0:2])
	channels := int(binary.LittleEndian.Uint16(b[2:4]))
	rate := binary.LittleEndian.Uint32(b[4:8])
	bits := binary.LittleEndian.Uint16(b[14:16])
	if tag == formatExtensible && len(b) >= 26 {
		tag = binary.LittleEndian.Uint16(b[24:26]) // the sub-format GUID starts with the tag
	}
	if rate != dsp.SampleRate {
		return fmt.Errorf("%w: %d Hz", ErrSampleRate, rate)
	}
	if channels != 1 && channels != 2 {
		return fmt.Errorf("%w: %d", ErrChannels, channels)
	}
	f := Format{Channels: channels, WAVE: true}
	switch {
	case tag == formatPCM && bits == 16:
		f.Encoding = PCM16
	case tag == formatULaw && bits == 8:
		f.Encoding = ULaw
	case tag == formatALaw && bits == 8:
		f.Encoding = ALaw
	default:
		return fmt.Errorf("%w: format tag %d with %d bits per sample", ErrEncoding, tag, bits)
	}
	a.format = f
	return nil
}

// Read fills out with samples and returns how many it wrote; at the end of
// the stream it returns 0 and io.EOF. A raw stream that ends half-way
// through a sample gives ErrOddLength.
func (a *Reader) Read(out []int16) (int, error) {
	if len(out) == 0 {
		return 0, nil
	}
	width := 2
	if a.format.Encoding != PCM16 {
		width = 1
	}
	want := len(out) * width
	if want > len(a.buf) {
		want = len(a.buf) / width * width
	}
	if a.remain >= 0 && int64(want) > a.remain {
		want = int(a.remain) / width * width
		if want == 0 {
			return 0, io.EOF
		}
	}
	n, err := io.ReadAtLeast(a.r, a.buf[:want], width)
	if n < width {
		if err == io.ErrUnexpectedEOF || (err == io.EOF && n > 0) {
			return 0, fmt.Errorf("%w (%d stray byte)", ErrOddLength, n)
		}
		if err == nil {
			err = io.EOF
		}
		return 0, err
	}
	if rem := n % width; rem != 0 {
		// A pipe may deliver half a sample: complete it.
		if _, err := io.ReadFull(a.r, a.buf[n:n+width-rem]); err != nil {
			return 0, fmt.Errorf("%w (%d stray byte)", ErrOddLength, rem)
		}
		n += width - rem
	}
	if a.remain >= 0 {
		a.remain -= int64(n)
	}
	k := n / width
	switch a.format.Encoding {
	case PCM16:
		for i := 0; i < k; i++ {
			out[i] = int16(binary.LittleEndian.Uint16(a.buf[2*i:]))
		}
	case ULaw:
		dsp.ULawDecode(out, a.buf[:k])
	case ALaw:
		dsp.ALawDecode(out, a.buf[:k])
	}
	return k, nil
}

// ReadAll reads the rest of the stream, refusing more than maxSamples.
func (a *Reader) ReadAll(maxSamples int) ([]int16, error) {
	var all []int16
	block := make([]int16, 2048)
	for {
		n, err := a.Read(block)
		all = append(all, block[:n]...)
		if len(all) > maxSamples {
			return nil, fmt.Errorf("audio: more than %d samples", maxSamples)
		}
		if err == io.EOF {
			return all, nil
		}
		if err != nil {
			return all, err
		}
	}
}

// WriteRaw writes samples as signed 16-bit little-endian PCM.
func WriteRaw(w io.Writer, samples []int16) error {
	var buf [4096]byte
	for len(samples) > 0 {
		n := min(len(samples), len(buf)/2)
		for i := 0; i < n; i++ {
			binary.LittleEndian.PutUint16(buf[2*i:], uint16(samples[i]))
		}
		if _, err := w.Write(buf[:2*n]); err != nil {
			return err
		}
		samples = samples[n:]
	}
	return nil
}

// WriteWAVE writes samples as a 16-bit PCM WAVE file at 8000 Hz with the
// given number of interleaved channels.
func WriteWAVE(w io.Writer, samples []int16, channels int) error {
	if channels != 1 && channels != 2 {
		return fmt.Errorf("%w: %d", ErrChannels, channels)
	}
	dataLen := uint32(2 * len(samples))
	var h [44]byte
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 36+dataLen)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], formatPCM)
	binary.LittleEndian.PutUint16(h[22:], uint16(channels))
	binary.LittleEndian.PutUint32(h[24:], dsp.SampleRate)
	binary.LittleEndian.PutUint32(h[28:], uint32(dsp.SampleRate*2*channels))
	binary.LittleEndian.PutUint16(h[32:], uint16(2*channels))
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], dataLen)
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	return WriteRaw(w, samples)
}
