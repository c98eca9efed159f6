package webhook

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Policy errors.
var (
	// ErrURL: a webhook URL refused by CheckURL.
	ErrURL = errors.New("webhook: URL not allowed")
	// ErrAddress: an address refused when dialled (the SSRF guard).
	ErrAddress = errors.New("webhook: address not allowed")
)

// MaxURL is the longest webhook URL, in octets.
const MaxURL = 2048

// Timeouts of the client NewClient builds.
const (
	attemptTimeout = 10 * time.Second // a whole attempt: dial, TLS, request, answer, body
	dialTimeout    = 5 * time.Second
	tlsTimeout     = 5 * time.Second
)

// A Policy says where webhooks may go. The zero Policy is the one for
// customers' URLs on the Internet.
type Policy struct {
	// AllowHTTP allows http URLs as well as https (tests).
	AllowHTTP bool
	// AllowPrivate allows loopback, private IPv4 (RFC 1918), unique
	// local IPv6 (RFC 4193), deprecated site-local IPv6 and shared CGNAT
	// space (RFC 6598): for a carrier delivering to its own network, and
	// for tests. Link-local (169.254.169.254, the usual cloud metadata
	// service), multicast, unspecified and reserved addresses stay
	// refused. Some clouds put such services in the ranges this opens
	// (AWS's IPv6 metadata address fd00:ec2::254 is unique local,
	// Alibaba Cloud's 100.100.100.200 is in the CGNAT range): allow
	// private addresses only where every webhook URL is trusted.
	AllowPrivate bool
}

// CheckURL refuses a webhook URL that is longer than MaxURL, does not
// parse, is not https (or http with AllowHTTP), carries user information,
// has no host or a bad port, names a refused IP address (as the dial
// guard would), names localhost (RFC 6761 §6.3; unless AllowPrivate), or
// has a host ending in a number that is not a dotted-quad IPv4 address
// ("0x7f.1", "2130706433", "127.1": resolvers read these differently).
// Names are only checked as names here: what they resolve to is checked
// when dialled, every time, by the client NewClient builds.
func CheckURL(raw string, p Policy) error {
	if len(raw) > MaxURL {
		return fmt.Errorf("%w: %d octets (at most %d)", ErrURL, len(raw), MaxURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%w: %v", ErrURL, err)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && p.AllowHTTP:
	default:
		return fmt.Errorf("%w: scheme %.20q (https only)", ErrURL, u.Scheme)
	}
	if u.Opaque != "" {
		return fmt.Errorf("%w: no // after the scheme", ErrURL)
	}
	if u.User != nil {
		return fmt.Errorf("%w: user information in the URL", ErrURL)
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("%w: no host", ErrURL)
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%w: port %.10q", ErrURL, port)
		}
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if why := p.refusal(a); why != "" {
			return fmt.Errorf("%w: %s address %s", ErrURL, why, a)
		}
		return nil
	}
	if strings.Contains(host, ":") {
		return fmt.Errorf("%w: host %.60q is not an IPv6 address", ErrURL, host)
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if name == "" || strings.HasSuffix(name, ".") {
		return fmt.Errorf("%w: host %.60q", ErrURL, host)
	}
	if endsInNumber(name) {
		return fmt.Errorf("%w: host %.60q ends in a number but is not an IPv4 address", ErrURL, host)
	}
	if !p.AllowPrivate && (name == "localhost" || strings.HasSuffix(name, ".localhost")) {
		return fmt.Errorf("%w: host %.60q is local", ErrURL, host)
	}
	return nil
}

// endsInNumber reports whether a host name's last label is decimal digits
// or 0x and hexadecimal digits, which the WHATWG URL standard ("ends in a
// number") and inet_aton read as an IPv4 address.
func endsInNumber(name string) bool {
	last := name[strings.LastIndexByte(name, '.')+1:]
	if rest, ok := strings.CutPrefix(last, "0x"); ok {
		for i := 0; i < len(rest); i++ {
			c := rest[i]
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(last); i++ {
		if last[i] < '0' || last[i] > '9' {
			return false
		}
	}
	return last != ""
}

// Special ranges netip's predicates do not name.
var (
	cgnat      = netip.MustParsePrefix("100.64.0.0/10")  // RFC 6598
	thisNet    = netip.MustParsePrefix("0.0.0.0/8")      // RFC 791, RFC 6890
	reserved4  = netip.MustParsePrefix("240.0.0.0/4")    // RFC 1112 §4; with 255.255.255.255
	siteLocal  = netip.MustParsePrefix("fec0::/10")      // RFC 3879 (deprecated)
	compatible = netip.MustParsePrefix("::/96")          // RFC 4291 §2.5.5.1 (deprecated)
	nat64      = netip.MustParsePrefix("64:ff9b::/96")   // RFC 6052 §2.1
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48") // RFC 8215
	sixToFour  = netip.MustParsePrefix("2002::/16")      // RFC 3056
)

// refusal says why a may not be dialled under p, or "" when it may.
func (p Policy) refusal(a netip.Addr) string {
	if !a.IsValid() {
		return "invalid"
	}
	a = a.WithZone("").Unmap() // RFC 4291 §2.5.5.2
	switch {
	case a.IsUnspecified():
		return "unspecified"
	case a.IsMulticast():
		return "multicast"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.Is4() && thisNet.Contains(a):
		return "this-network"
	case a.Is4() && reserved4.Contains(a):
		return "reserved"
	}
	if a.Is6() {
		// An IPv4 address carried inside IPv6 is judged as itself.
		var v4 netip.Addr
		b := a.As16()
		switch {
		case a.IsLoopback():
		case compatible.Contains(a), nat64.Contains(a), nat64Local.Contains(a):
			v4 = netip.AddrFrom4([4]byte(b[12:16]))
		case sixToFour.Contains(a):
			v4 = netip.AddrFrom4([4]byte(b[2:6]))
		}
		if v4.IsValid() {
			if why := p.refusal(v4); why != "" {
				return why + " IPv4 in IPv6"
			}
		}
	}
	if p.AllowPrivate {
		return ""
	}
	switch {
	case a.IsLoopback():
		return "loopback"
	case a.IsPrivate():
		return "private"
	case cgnat.Contains(a):
		return "shared (CGNAT)"
	case siteLocal.Contains(a):
		return "site-local"
	}
	return ""
}

// control is the dial guard: a net.Dialer calls it with the address it
// is about to connect to, after name resolution, so the check holds for
// whatever a name resolves to at that moment.
func (p Policy) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s %.60q: %v", ErrAddress, network, address, err)
	}
	if why := p.refusal(ap.Addr()); why != "" {
		return fmt.Errorf("%w: %s address %s", ErrAddress, why, ap.Addr())
	}
	return nil
}

// NewClient returns the HTTP client Deliverer uses when given none: every
// address it dials checked against p (ErrAddress), no proxy (so the check
// is on the receiver's address), at most 10 s for a whole attempt, TLS 1.2
// at least, and no redirect followed (the 3xx answer is returned as it
// is).
func NewClient(p Policy) *http.Client {
	return newClient(p, nil)
}

// newClient is NewClient resolving names with r (nil: the default
// resolver); tests resolve with their own.
func newClient(p Policy, r *net.Resolver) *http.Client {
	d := &net.Dialer{
		Timeout:  dialTimeout,
		Resolver: r,
		Control:  p.control,
	}
	t := &http.Transport{
		Proxy:                  nil,
		DialContext:            d.DialContext,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    tlsTimeout,
		ForceAttemptHTTP2:      true,
		DisableCompression:     true, // the answer is discarded
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport: t,
		Timeout:   attemptTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
