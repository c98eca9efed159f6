package t38

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrSDP reports a T.38 SDP attribute this package cannot read.
var ErrSDP = errors.New("t38: bad T.38 SDP attribute")

// RateManagement is T38FaxRateManagement (T.38 Annex D): who makes TCF.
type RateManagement uint8

const (
	RateUnset          RateManagement = iota // attribute absent
	RateLocalTCF                             // localTCF: each gateway makes and checks TCF itself
	RateTransferredTCF                       // transferredTCF: TCF travels end to end
)

// SDP holds the T.38 attributes of an m=image udptl t38 media section
// (T.38 Annex D and E; RFC 4612 registers them). Zero means absent for the
// numbers; the booleans are flags (present = true).
type SDP struct {
	Version         int // T38FaxVersion (0..3); absent reads as 0, as Annex D says
	MaxBitRate      int // T38MaxBitRate, bit/s
	FillBitRemoval  bool
	TranscodingMMR  bool
	TranscodingJBIG bool
	RateManagement  RateManagement
	MaxBuffer       int    // T38FaxMaxBuffer, octets
	MaxDatagram     int    // T38FaxMaxDatagram, octets
	MaxIFP          int    // T38FaxMaxIFP, octets (T.38 2010)
	UDPEC           Scheme // T38FaxUdpEC; SchemeNone when absent or t38UDPNoEC
	UDPECSet        bool   // T38FaxUdpEC was present
	// Other keeps attributes this struct has no field for ("name" or
	// "name:value", without "a="), so that a parse and format round trip
	// loses nothing.
	Other []string
}

// ParseSDPAttribute reads one attribute line ("a=T38FaxVersion:0", or
// without the "a=") into s. Names are matched without regard to case, as
// deployed gear varies; a flag also accepts ":0"/":1" values, which some
// gear sends. Attributes that are not T.38's go to s.Other.
func (s *SDP) ParseSDPAttribute(line string) error {
	line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "a="))
	name, val, hasVal := strings.Cut(line, ":")
	name, val = strings.TrimSpace(name), strings.TrimSpace(val)
	num := func(max int) (int, error) {
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 || n > max {
			return 0, fmt.Errorf("%w: %q", ErrSDP, line)
		}
		return n, nil
	}
	flag := func() (bool, error) {
		if !hasVal {
			return true, nil
		}
		switch strings.ToLower(val) {
		case "1", "true", "":
			return true, nil
		case "0", "false":
			return false, nil
		}
		return false, fmt.Errorf("%w: %q", ErrSDP, line)
	}
	var err error
	switch strings.ToLower(name) {
	case "t38faxversion":
		s.Version, err = num(MaxVersion)
	case "t38maxbitrate":
		s.MaxBitRate, err = num(1 << 20)
	case "t38faxfillbitremoval":
		s.FillBitRemoval, err = flag()
	case "t38faxtranscodingmmr":
		s.TranscodingMMR, err = flag()
	case "t38faxtranscodingjbig":
		s.TranscodingJBIG, err = flag()
	case "t38faxratemanagement":
		switch strings.ToLower(val) {
		case "localtcf":
			s.RateManagement = RateLocalTCF
		case "transferredtcf":
			s.RateManagement = RateTransferredTCF
		default:
			err = fmt.Errorf("%w: %q", ErrSDP, line)
		}
	case "t38faxmaxbuffer":
		s.MaxBuffer, err = num(1 << 24)
	case "t38faxmaxdatagram":
		s.MaxDatagram, err = num(1 << 24)
	case "t38faxmaxifp":
		s.MaxIFP, err = num(1 << 24)
	case "t38faxudpec":
		switch strings.ToLower(val) {
		case "t38udpredundancy":
			s.UDPEC = SchemeRedundancy
		case "t38udpfec":
			s.UDPEC = SchemeFEC
		case "t38udpnoec":
			s.UDPEC = SchemeNone
		default:
			return fmt.Errorf("%w: %q", ErrSDP, line)
		}
		s.UDPECSet = true
	default:
		if line != "" {
			s.Other = append(s.Other, line)
		}
	}
	return err
}

// ParseSDP reads the T.38 attributes of the first "m=image ... udptl t38"
// media section of an SDP body (lines end in CRLF or LF). It returns the
// section's port too. Attributes at session level or in other media
// sections are not read.
func ParseSDP(body string) (s SDP, port int, err error) {
	in := false
	found := false
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.HasPrefix(line, "m=") {
			if found {
				break
			}
			f := strings.Fields(line[2:])
			if len(f) >= 4 && f[0] == "image" && strings.EqualFold(f[2], "udptl") && strings.EqualFold(f[3], "t38") {
				in, found = true, true
				p, _, _ := strings.Cut(f[1], "/")
				if port, err = strconv.Atoi(p); err != nil || port < 0 || port > 65535 {
					return s, 0, fmt.Errorf("%w: port in %q", ErrSDP, line)
				}
			}
			continue
		}
		if in && strings.HasPrefix(line, "a=") {
			if err := s.ParseSDPAttribute(line); err != nil {
				return s, port, err
			}
		}
	}
	if !found {
		return s, 0, fmt.Errorf("%w: no m=image udptl t38 section", ErrSDP)
	}
	return s, port, nil
}

// AppendAttributes appends s as "a=" lines ending in CRLF, in the order
// T.38 Annex D lists them, then Other. Flags are written without a value;
// T38FaxVersion is always written.
func (s *SDP) AppendAttributes(dst []byte) []byte {
	line := func(name string, v int) {
		dst = append(dst, "a="...)
		dst = append(dst, name...)
		dst = append(dst, ':')
		dst = strconv.AppendInt(dst, int64(v), 10)
		dst = append(dst, "\r\n"...)
	}
	flag := func(name string, on bool) {
		if on {
			dst = append(dst, "a="...)
			dst = append(dst, name...)
			dst = append(dst, "\r\n"...)
		}
	}
	line("T38FaxVersion", s.Version)
	if s.MaxBitRate > 0 {
		line("T38MaxBitRate", s.MaxBitRate)
	}
	flag("T38FaxFillBitRemoval", s.FillBitRemoval)
	flag("T38FaxTranscodingMMR", s.TranscodingMMR)
	flag("T38FaxTranscodingJBIG", s.TranscodingJBIG)
	switch s.RateManagement {
	case RateLocalTCF:
		dst = append(dst, "a=T38FaxRateManagement:localTCF\r\n"...)
	case RateTransferredTCF:
		dst = append(dst, "a=T38FaxRateManagement:transferredTCF\r\n"...)
	}
	if s.MaxBuffer > 0 {
		line("T38FaxMaxBuffer", s.MaxBuffer)
	}
	if s.MaxDatagram > 0 {
		line("T38FaxMaxDatagram", s.MaxDatagram)
	}
	if s.MaxIFP > 0 {
		line("T38FaxMaxIFP", s.MaxIFP)
	}
	if s.UDPECSet || s.UDPEC != SchemeNone {
		switch s.UDPEC {
		case SchemeRedundancy:
			dst = append(dst, "a=T38FaxUdpEC:t38UDPRedundancy\r\n"...)
		case SchemeFEC:
			dst = append(dst, "a=T38FaxUdpEC:t38UDPFEC\r\n"...)
		default:
			dst = append(dst, "a=T38FaxUdpEC:t38UDPNoEC\r\n"...)
		}
	}
	for _, o := range s.Other {
		dst = append(dst, "a="...)
		dst = append(dst, o...)
		dst = append(dst, "\r\n"...)
	}
	return dst
}

// AppendMedia appends an "m=image <port> udptl t38" line and s's
// attributes.
func (s *SDP) AppendMedia(dst []byte, port int) []byte {
	dst = append(dst, "m=image "...)
	dst = strconv.AppendInt(dst, int64(port), 10)
	dst = append(dst, " udptl t38\r\n"...)
	return s.AppendAttributes(dst)
}
