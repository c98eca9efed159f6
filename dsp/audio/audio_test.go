package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/faxd/faxd/dsp"
)

func ramp(n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(i*97 - 20000)
	}
	return s
}

func TestRawRoundTrip(t *testing.T) {
	want := ramp(5000)
	var b bytes.Buffer
	if err := WriteRaw(&b, want); err != nil {
		t.Fatal(err)
	}
	// One byte at a time: samples split across reads must still arrive whole.
	r, err := NewReader(iotest.OneByteReader(&b))
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.ReadAll(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	if !equal(got, want) {
		t.Fatalf("raw round trip differs: got %d samples, want %d", len(got), len(want))
	}
	if f := r.Format(); f.WAVE || f.Encoding != PCM16 || f.Channels != 1 {
		t.Fatalf("format %+v", f)
	}
}

func TestWAVERoundTrip(t *testing.T) {
	for _, ch := range []int{1, 2} {
		want := ramp(4000)
		var b bytes.Buffer
		if err := WriteWAVE(&b, want, ch); err != nil {
			t.Fatal(err)
		}
		b.WriteString("trailing junk after the data chunk")
		r, err := NewReader(&b)
		if err != nil {
			t.Fatal(err)
		}
		if f := r.Format(); !f.WAVE || f.Channels != ch {
			t.Fatalf("format %+v", f)
		}
		got, err := r.ReadAll(1 << 20)
		if err != nil {
			t.Fatal(err)
		}
		if !equal(got, want) {
			t.Fatalf("%d channels: WAVE round trip differs (%d vs %d samples)", ch, len(got), len(want))
		}
	}
}

// wave builds a WAVE file by hand with the given format tag and payload.
func wave(tag, channels uint16, rate uint32, bits uint16, extra []byte, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(0))
	b.WriteString("WAVE")
	b.Write(extra)
	b.WriteString("fmt ")
	binary.Write(&b, binary.LittleEndian, uint32(16))
	binary.Write(&b, binary.LittleEndian, tag)
	binary.Write(&b, binary.LittleEndian, channels)
	binary.Write(&b, binary.LittleEndian, rate)
	binary.Write(&b, binary.LittleEndian, rate*uint32(channels*bits/8))
	binary.Write(&b, binary.LittleEndian, channels*bits/8)
	binary.Write(&b, binary.LittleEndian, bits)
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}

func TestG711WAVE(t *testing.T) {
	codes := []byte{0xFF, 0x80, 0x00, 0x7F, 0x12}
	for _, c := range []struct {
		tag  uint16
		enc  Encoding
		dec  func(uint8) int16
		name string
	}{{7, ULaw, dsp.ULawToLinear, "mu-law"}, {6, ALaw, dsp.ALawToLinear, "A-law"}} {
		// A LIST chunk before fmt must be skipped.
		list := append([]byte("LIST\x03\x00\x00\x00abc"), 0)
		r, err := NewReader(bytes.NewReader(wave(c.tag, 1, 8000, 8, list, codes)))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if r.Format().Encoding != c.enc {
			t.Fatalf("%s: encoding %v", c.name, r.Format().Encoding)
		}
		got, err := r.ReadAll(100)
		if err != nil {
			t.Fatal(err)
		}
		for i, code := range codes {
			if got[i] != c.dec(code) {
				t.Errorf("%s: sample %d = %d, want %d", c.name, i, got[i], c.dec(code))
			}
		}
	}
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"rate", wave(1, 1, 16000, 16, nil, []byte{0, 0}), ErrSampleRate},
		{"channels", wave(1, 3, 8000, 16, nil, []byte{0, 0}), ErrChannels},
		{"float", wave(3, 1, 8000, 32, nil, []byte{0, 0, 0, 0}), ErrEncoding},
		{"pcm8", wave(1, 1, 8000, 8, nil, []byte{0}), ErrEncoding},
		{"truncated", []byte("RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00"), ErrChunkLayout},
		{"no fmt", []byte("RIFF\x00\x00\x00\x00WAVEdata\x02\x00\x00\x00\x00\x00"), ErrChunkLayout},
	}
	for _, c := range cases {
		_, err := NewReader(bytes.NewReader(c.in))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	r, err := NewReader(bytes.NewReader([]byte{1, 2, 3}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadAll(10); !errors.Is(err, ErrOddLength) {
		t.Errorf("odd raw length: got %v", err)
	}
	r, _ = NewReader(bytes.NewReader(make([]byte, 100)))
	if _, err := r.ReadAll(10); err == nil {
		t.Error("ReadAll beyond its limit did not fail")
	}
	r, _ = NewReader(bytes.NewReader(nil))
	if n, err := r.Read(make([]int16, 10)); n != 0 || err != io.EOF {
		t.Errorf("empty input: %d, %v", n, err)
	}
}

func FuzzReader(f *testing.F) {
	var b bytes.Buffer
	WriteWAVE(&b, ramp(100), 1)
	f.Add(b.Bytes())
	f.Add(wave(7, 2, 8000, 8, nil, []byte{1, 2, 3, 4}))
	f.Add(wave(6, 1, 8000, 8, []byte("junk\xff\xff\xff\x7f"), []byte{1}))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVE"))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := NewReader(bytes.NewReader(in))
		if err != nil {
			return
		}
		got, err := r.ReadAll(len(in))
		if err == nil && len(got) > len(in) {
			t.Fatalf("%d samples from %d bytes", len(got), len(in))
		}
	})
}

func equal(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
