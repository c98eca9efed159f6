package dsp

// G.711 companding (ITU-T G.711, tables 1a/1b and 2a/2b): mu-law as used in
// North America and Japan, A-law elsewhere. Encoding takes the 14-bit
// (mu-law) or 13-bit (A-law) magnitude of a 16-bit linear sample; decoding
// returns the mid-point of the quantisation interval, scaled to 16 bits.

const (
	ulawBias = 0x84 // 132: the bias G.711 adds before finding the segment
	ulawClip = 32635
)

var (
	ulawToLinear [256]int16
	alawToLinear [256]int16
)

func init() {
	for i := 0; i < 256; i++ {
		ulawToLinear[i] = ulawDecode(uint8(i))
		alawToLinear[i] = alawDecode(uint8(i))
	}
}

// LinearToULaw encodes one linear sample as mu-law.
func LinearToULaw(x int16) uint8 {
	v := int32(x)
	mask := uint8(0xFF)
	if v < 0 {
		v = -v
		mask = 0x7F
	}
	if v > ulawClip {
		v = ulawClip
	}
	v += ulawBias
	seg := uint8(topBit(uint32(v|0xFF)) - 7)
	return (seg<<4 | uint8(v>>(seg+3))&0x0F) ^ mask
}

// ULawToLinear decodes one mu-law octet.
func ULawToLinear(u uint8) int16 { return ulawToLinear[u] }

func ulawDecode(u uint8) int16 {
	u = ^u
	t := (int32(u&0x0F) << 3) + ulawBias
	t <<= (u & 0x70) >> 4
	if u&0x80 != 0 {
		return int16(ulawBias - t)
	}
	return int16(t - ulawBias)
}

// LinearToALaw encodes one linear sample as A-law (with the even bits
// inverted, as sent on the line).
func LinearToALaw(x int16) uint8 {
	v := int32(x)
	mask := uint8(0xD5)
	if v < 0 {
		v = ^v // one's complement keeps -32768 in range
		mask = 0x55
	}
	seg := topBit(uint32(v|0xFF)) - 7
	var out uint8
	if seg >= 8 {
		out = 0x7F
	} else {
		shift := seg + 3
		if seg == 0 {
			shift = 4
		}
		out = uint8(seg<<4) | uint8(v>>shift)&0x0F
	}
	return out ^ mask
}

// ALawToLinear decodes one A-law octet.
func ALawToLinear(a uint8) int16 { return alawToLinear[a] }

func alawDecode(a uint8) int16 {
	a ^= 0x55
	i := int32(a&0x0F) << 4
	seg := int32(a&0x70) >> 4
	if seg != 0 {
		i = (i + 0x108) << (seg - 1)
	} else {
		i += 8
	}
	if a&0x80 != 0 {
		return int16(i)
	}
	return int16(-i)
}

// topBit returns the index of the highest set bit of v (v > 0).
func topBit(v uint32) int {
	n := 0
	for v > 1 {
		v >>= 1
		n++
	}
	return n
}

// ULawEncode encodes in into out (len(out) >= len(in)) and returns len(in).
func ULawEncode(out []uint8, in []int16) int {
	out = out[:len(in)]
	for i, x := range in {
		out[i] = LinearToULaw(x)
	}
	return len(in)
}

// ULawDecode decodes in into out (len(out) >= len(in)) and returns len(in).
func ULawDecode(out []int16, in []uint8) int {
	out = out[:len(in)]
	for i, u := range in {
		out[i] = ulawToLinear[u]
	}
	return len(in)
}

// ALawEncode encodes in into out (len(out) >= len(in)) and returns len(in).
func ALawEncode(out []uint8, in []int16) int {
	out = out[:len(in)]
	for i, x := range in {
		out[i] = LinearToALaw(x)
	}
	return len(in)
}

// ALawDecode decodes in into out (len(out) >= len(in)) and returns len(in).
func ALawDecode(out []int16, in []uint8) int {
	out = out[:len(in)]
	for i, a := range in {
		out[i] = alawToLinear[a]
	}
	return len(in)
}
