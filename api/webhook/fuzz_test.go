package webhook

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzVerify feeds Verify arbitrary headers and bodies: it must not panic,
// must fail with one of its three errors, and may succeed only when the
// header holds the body's true MAC.
func FuzzVerify(f *testing.F) {
	f.Add(kaHeader, []byte(kaBody))
	f.Add("v1="+kaMAC+",t=1700000000", []byte(kaBody))
	f.Add("t=1700000000,v1="+kaMAC+",v1="+strings.Repeat("0", 64), []byte(kaBody))
	f.Add(" t=1700000000 ,\tv2=x,v1="+strings.ToUpper(kaMAC), []byte(kaBody))
	f.Add("t=1700000001,v1="+kaMAC, []byte(kaBody))
	f.Add("t=1700000000,v1="+kaMAC, []byte("{}"))
	f.Add("", []byte(nil))
	f.Add(",,,", []byte(nil))
	f.Add("t=,v1=", []byte(nil))
	f.Add("t==,v1==", []byte(nil))
	f.Add("t=99999999999999999999,v1="+kaMAC, []byte(kaBody))
	f.Add("t=-1,v1="+kaMAC, []byte(kaBody))
	f.Add("t=1700000000,v1="+kaMAC[:63]+"\xff", []byte(kaBody))
	f.Add("t=1700000000,t=1,v1="+kaMAC, []byte(kaBody))
	now := time.Unix(kaTime, 0)
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := Verify(kaSecret, header, body, now, time.Minute)
		if err == nil {
			ts, _, perr := parseHeader(header)
			if perr != nil {
				t.Fatalf("accepted %q that does not parse: %v", header, perr)
			}
			want := Sign(kaSecret, time.Unix(ts, 0), body)
			_, mac, _ := strings.Cut(want, "v1=")
			if !strings.Contains(strings.ToLower(header), mac) {
				t.Fatalf("accepted %q without the MAC %s", header, mac)
			}
			return
		}
		if !errors.Is(err, ErrHeader) && !errors.Is(err, ErrSignature) && !errors.Is(err, ErrTimestamp) {
			t.Fatalf("%q: unexpected error %v", header, err)
		}
	})
}
