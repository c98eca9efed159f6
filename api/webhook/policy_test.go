package webhook

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// Addresses and what the zero Policy and AllowPrivate make of them.
var addrCases = []struct {
	addr          string
	public        bool // allowed by the zero Policy
	privateOpened bool // allowed with AllowPrivate
}{
	// Public.
	{"8.8.8.8", true, true},
	{"93.184.215.14", true, true},
	{"2606:4700:4700::1111", true, true},
	{"::ffff:8.8.8.8", true, true},
	{"64:ff9b::808:808", true, true}, // NAT64 of 8.8.8.8
	{"2002:808:808::1", true, true},  // 6to4 of 8.8.8.8
	{"100.63.255.255", true, true},   // just below CGNAT
	{"100.128.0.0", true, true},      // just above
	{"172.32.0.1", true, true},       // just above 172.16/12
	{"11.0.0.1", true, true},
	{"223.255.255.255", true, true},
	// Loopback, private, ULA, CGNAT, site-local: opened by AllowPrivate.
	{"127.0.0.1", false, true},
	{"127.255.255.254", false, true},
	{"::1", false, true},
	{"::ffff:127.0.0.1", false, true},
	{"::127.0.0.1", false, true}, // IPv4-compatible
	{"64:ff9b::7f00:1", false, true},
	{"64:ff9b:1::a00:1", false, true},
	{"2002:7f00:1::", false, true},
	{"10.0.0.1", false, true},
	{"10.255.255.255", false, true},
	{"::ffff:10.1.2.3", false, true},
	{"172.16.0.1", false, true},
	{"172.31.255.255", false, true},
	{"192.168.1.1", false, true},
	{"::ffff:192.168.1.1", false, true},
	{"fc00::1", false, true},
	{"fd00:ec2::254", false, true},
	{"100.64.0.1", false, true},
	{"100.127.255.255", false, true},
	{"::ffff:100.64.0.1", false, true},
	{"fec0::1", false, true},
	// Never.
	{"169.254.169.254", false, false},
	{"::ffff:169.254.169.254", false, false},
	{"fe80::1", false, false},
	{"fe80::1%eth0", false, false},
	{"0.0.0.0", false, false},
	{"0.1.2.3", false, false},
	{"::", false, false},
	{"::ffff:0.0.0.0", false, false},
	{"224.0.0.1", false, false},
	{"239.255.255.250", false, false},
	{"ff02::1", false, false},
	{"ff0e::1", false, false},
	{"::ffff:224.0.0.1", false, false},
	{"240.0.0.1", false, false},
	{"255.255.255.255", false, false},
	{"64:ff9b::a9fe:a9fe", false, false}, // NAT64 of 169.254.169.254
}

func TestRefusal(t *testing.T) {
	for _, c := range addrCases {
		a := netip.MustParseAddr(c.addr)
		if got := (Policy{}).refusal(a) == ""; got != c.public {
			t.Errorf("%s: allowed %v, want %v (%q)", c.addr, got, c.public, Policy{}.refusal(a))
		}
		p := Policy{AllowPrivate: true}
		if got := p.refusal(a) == ""; got != c.privateOpened {
			t.Errorf("%s with AllowPrivate: allowed %v, want %v (%q)", c.addr, got, c.privateOpened, p.refusal(a))
		}
	}
	if (Policy{AllowPrivate: true}).refusal(netip.Addr{}) == "" {
		t.Error("the zero Addr allowed")
	}
}

// The dial guard as a net.Dialer calls it.
func TestControl(t *testing.T) {
	for _, c := range addrCases {
		a := netip.MustParseAddr(c.addr)
		address := netip.AddrPortFrom(a, 443).String()
		network := "tcp4"
		if a.Is6() {
			network = "tcp6"
		}
		err := Policy{}.control(network, address, nil)
		if c.public != (err == nil) || err != nil && !errors.Is(err, ErrAddress) {
			t.Errorf("%s: %v", address, err)
		}
		err = Policy{AllowPrivate: true}.control(network, address, nil)
		if c.privateOpened != (err == nil) || err != nil && !errors.Is(err, ErrAddress) {
			t.Errorf("%s with AllowPrivate: %v", address, err)
		}
	}
	if err := (Policy{AllowPrivate: true}).control("tcp", "not an address", nil); !errors.Is(err, ErrAddress) {
		t.Errorf("unparsable address: %v", err)
	}
}

func TestCheckURL(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("a", MaxURL-len("https://example.com/"))
	cases := []struct {
		url         string
		zero        bool // allowed by the zero Policy
		httpPrivate bool // allowed with AllowHTTP and AllowPrivate
	}{
		{"https://example.com/hooks/fax", true, true},
		{"https://example.com", true, true},
		{"HTTPS://Example.COM/x?a=b#frag", true, true},
		{"https://example.com:8443/x", true, true},
		{"https://example.com./x", true, true},
		{"https://8.8.8.8/x", true, true},
		{"https://[2606:4700:4700::1111]:443/x", true, true},
		{"https://xn--bcher-kva.example/x", true, true},
		{"https://1.example/x", true, true}, // a number, but not the last label
		{"https://example.0x/x", false, false},
		{long, true, true},
		{long + "a", false, false},
		{"http://example.com/x", false, true},
		{"ftp://example.com/x", false, false},
		{"example.com/x", false, false},
		{"//example.com/x", false, false},
		{"https:example.com", false, false},
		{"https:///x", false, false},
		{"https://:443/x", false, false},
		{"https://user:pass@example.com/x", false, false},
		{"https://user@example.com/x", false, false},
		{"https://example.com:0/x", false, false},
		{"https://example.com:65536/x", false, false},
		{"https://example.com:99999999999999999999/x", false, false},
		{"https://exa mple.com/x", false, false},
		{"https://example.com%2F/x", false, false},
		{"https://example..com./x", true, true}, // only the last dot is the root; DNS refuses the rest
		{"https://example.com../x", false, false},
		{"https://[::1/x", false, false},
		{"https://127.0.0.1/x", false, true},
		{"https://127.0.0.1:8080/x", false, true},
		{"https://[::1]/x", false, true},
		{"https://[::ffff:127.0.0.1]/x", false, true},
		{"https://[::ffff:7f00:1]/x", false, true},
		{"https://10.0.0.1/x", false, true},
		{"https://192.168.0.1/x", false, true},
		{"https://100.64.0.1/x", false, true},
		{"https://[fd00::1]/x", false, true},
		{"https://localhost/x", false, true},
		{"https://LocalHost./x", false, true},
		{"https://api.localhost/x", false, true},
		{"https://169.254.169.254/latest/meta-data/", false, false},
		{"https://[fe80::1%25eth0]/x", false, false},
		{"https://0.0.0.0/x", false, false},
		{"https://224.0.0.1/x", false, false},
		{"https://2130706433/x", false, false},
		{"https://0x7f000001/x", false, false},
		{"https://0x7f.1/x", false, false},
		{"https://127.1/x", false, false},
		{"https://0177.0.0.1/x", false, false},
		{"https://example.com.1/x", false, false},
	}
	for _, c := range cases {
		err := CheckURL(c.url, Policy{})
		if c.zero != (err == nil) || err != nil && !errors.Is(err, ErrURL) {
			t.Errorf("%.60s: %v", c.url, err)
		}
		err = CheckURL(c.url, Policy{AllowHTTP: true, AllowPrivate: true})
		if c.httpPrivate != (err == nil) || err != nil && !errors.Is(err, ErrURL) {
			t.Errorf("%.60s with AllowHTTP, AllowPrivate: %v", c.url, err)
		}
	}
}

// countingServer is an httptest server on loopback that counts requests.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.WriteString(w, "ok")
	}))
	t.Cleanup(s.Close)
	return s, &n
}

// The client refuses a loopback server it is pointed at directly (no
// CheckURL in the way), and reaches it with AllowPrivate.
func TestClientGuardAddress(t *testing.T) {
	s, n := countingServer(t)
	_, err := NewClient(Policy{AllowHTTP: true}).Get(s.URL)
	if !errors.Is(err, ErrAddress) {
		t.Fatalf("loopback without AllowPrivate: %v", err)
	}
	if n.Load() != 0 {
		t.Fatal("the server was reached")
	}
	resp, err := NewClient(Policy{AllowHTTP: true, AllowPrivate: true}).Get(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || n.Load() != 1 {
		t.Fatalf("status %d, %d requests", resp.StatusCode, n.Load())
	}
}

// A name that CheckURL passes but that resolves to loopback (or that
// resolves to a public address and then, rebound, to loopback) is refused
// when dialled.
func TestClientGuardResolvedName(t *testing.T) {
	s, n := countingServer(t)
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	res := testResolver(map[string][]netip.Addr{
		"receiver.test": {netip.MustParseAddr("127.0.0.1")},
		"mapped.test":   {netip.MustParseAddr("::ffff:127.0.0.1")},
		"private.test":  {netip.MustParseAddr("10.11.12.13")},
		"metadata.test": {netip.MustParseAddr("169.254.169.254")},
	})
	for _, name := range []string{"receiver.test", "mapped.test", "private.test", "metadata.test"} {
		u := (&url.URL{Scheme: "http", Host: net.JoinHostPort(name, port), Path: "/"}).String()
		if err := CheckURL(u, Policy{AllowHTTP: true}); err != nil {
			t.Fatalf("CheckURL(%s): %v", u, err)
		}
		_, err := newClient(Policy{AllowHTTP: true}, res).Get(u)
		if !errors.Is(err, ErrAddress) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n.Load() != 0 {
		t.Fatal("the server was reached")
	}
	u := "http://" + net.JoinHostPort("receiver.test", port) + "/"
	resp, err := newClient(Policy{AllowHTTP: true, AllowPrivate: true}, res).Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || n.Load() != 1 {
		t.Fatalf("status %d, %d requests", resp.StatusCode, n.Load())
	}
}
