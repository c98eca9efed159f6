package auth

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// ErrNetwork is returned for a client outside its account's rules.
var ErrNetwork = errors.New("auth: client address not allowed")

// NetworkRules are an account's allow rules: the prefixes its clients may
// come from. No rules allow nothing: an account is closed until an
// administrator opens it to its networks.
type NetworkRules []netip.Prefix

// ParseNetworkRules reads rules as "192.0.2.0/24, 2001:db8::/32"; a bare
// address is a rule for itself alone.
func ParseNetworkRules(s string) (NetworkRules, error) {
	var rs NetworkRules
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		var p netip.Prefix
		var err error
		if strings.Contains(f, "/") {
			p, err = netip.ParsePrefix(f)
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(f); err == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			}
		}
		if err != nil {
			return nil, fmt.Errorf("auth: network rule %.60q: %v", f, err)
		}
		if p != p.Masked() {
			return nil, fmt.Errorf("auth: network rule %s has host bits set (did you mean %s?)", p, p.Masked())
		}
		rs = append(rs, p)
	}
	return rs, nil
}

// Check returns nil when addr is inside one of the rules. An IPv4 address
// mapped into IPv6 is taken as the IPv4 address it is.
func (rs NetworkRules) Check(addr netip.Addr) error {
	addr = addr.Unmap()
	for _, p := range rs {
		if p.Contains(addr) {
			return nil
		}
	}
	return fmt.Errorf("%w: %v", ErrNetwork, addr)
}

// String lists the rules as ParseNetworkRules reads them.
func (rs NetworkRules) String() string {
	s := make([]string, len(rs))
	for i, p := range rs {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}
