package t38

import (
	"errors"
	"reflect"
	"testing"
)

func TestSDPRoundTrip(t *testing.T) {
	in := SDP{Version: 2, MaxBitRate: 14400, FillBitRemoval: true, TranscodingJBIG: true,
		RateManagement: RateTransferredTCF, MaxBuffer: 2000, MaxDatagram: 400, MaxIFP: 300,
		UDPEC: SchemeRedundancy, UDPECSet: true, Other: []string{"T38FaxUdpECDepth:1 3"}}
	body := "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n" +
		"m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n" + string(in.AppendMedia(nil, 5004))
	want := "m=image 5004 udptl t38\r\na=T38FaxVersion:2\r\na=T38MaxBitRate:14400\r\na=T38FaxFillBitRemoval\r\n" +
		"a=T38FaxTranscodingJBIG\r\na=T38FaxRateManagement:transferredTCF\r\na=T38FaxMaxBuffer:2000\r\n" +
		"a=T38FaxMaxDatagram:400\r\na=T38FaxMaxIFP:300\r\na=T38FaxUdpEC:t38UDPRedundancy\r\na=T38FaxUdpECDepth:1 3\r\n"
	if got := string(in.AppendMedia(nil, 5004)); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	out, port, err := ParseSDP(body)
	if err != nil || port != 5004 || !reflect.DeepEqual(out, in) {
		t.Fatalf("%+v %d %v", out, port, err)
	}
}

// What deployed gear sends: lower case names, flags with values, LF lines.
func TestSDPVariants(t *testing.T) {
	body := "m=image 6000 udptl t38\n" +
		"a=t38faxversion:0\na=T38MaxBitRate:9600\na=T38FaxFillBitRemoval:0\na=T38FaxTranscodingMMR:1\n" +
		"a=T38FaxRateManagement:localTCF\na=T38FaxMaxDatagram:72\na=T38FaxUdpEC:t38UDPFEC\n" +
		"m=audio 4000 RTP/AVP 0\na=T38FaxVersion:3\n"
	s, port, err := ParseSDP(body)
	want := SDP{Version: 0, MaxBitRate: 9600, TranscodingMMR: true, RateManagement: RateLocalTCF,
		MaxDatagram: 72, UDPEC: SchemeFEC, UDPECSet: true}
	if err != nil || port != 6000 || !reflect.DeepEqual(s, want) {
		t.Fatalf("%+v %d %v", s, port, err)
	}
	for _, bad := range []string{"a=T38FaxVersion:4", "a=T38FaxUdpEC:magic", "a=T38FaxMaxDatagram:-1",
		"a=T38FaxRateManagement:x", "a=T38FaxFillBitRemoval:maybe"} {
		var s SDP
		if err := s.ParseSDPAttribute(bad); !errors.Is(err, ErrSDP) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if _, _, err := ParseSDP("m=audio 1 RTP/AVP 0\r\n"); !errors.Is(err, ErrSDP) {
		t.Error(err)
	}
}
