package wire

import (
	"errors"
	"strings"
	"testing"
)

func TestParseE164(t *testing.T) {
	for in, want := range map[string]string{
		"+15550100": "+15550100", "+44 20 7946 0958": "+442079460958", "+1 (555) 010-0199": "+15550100199",
		"+493012345678901": "+493012345678901",
	} {
		if got, err := ParseE164(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "15550100", "+", "+0123", "+1", "+1234567890123456", "+1555x0100", "+1555０100", "++1555", strings.Repeat("1", 40)} {
		if _, err := ParseE164(bad); !errors.Is(err, ErrFaxRequest) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestDecodeFaxRequest(t *testing.T) {
	f, err := DecodeFaxRequest(strings.NewReader(`{"to":["+1 555 0100","+15550100","+442079460958"],"header":"ACME Bank","ident":"+1 555 0100"}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.To) != 2 || f.To[0] != "+15550100" || f.Resolution != "fine" || !*f.ECM || f.MaxRate != 14400 || *f.Priority != 5 || f.Retry.MaxAttempts != 3 {
		t.Fatalf("%+v", f)
	}
	// 0 is the lowest priority, not "the default".
	for body, want := range map[string]int{`{"to":["+15550100"],"priority":0}`: 0, `{"to":["+15550100"],"priority":9}`: 9, `{"to":["+15550100"],"priority":null}`: 5} {
		f, err := DecodeFaxRequest(strings.NewReader(body))
		if err != nil || f.Priority == nil || *f.Priority != want {
			t.Errorf("%s: %+v %v", body, f, err)
		}
	}
	for name, body := range map[string]string{
		"no numbers":       `{"to":[]}`,
		"bad number":       `{"to":["5550100"]}`,
		"unknown field":    `{"to":["+15550100"],"cc":["+15550101"]}`,
		"two values":       `{"to":["+15550100"]}{}`,
		"header too long":  `{"to":["+15550100"],"header":"` + strings.Repeat("x", 51) + `"}`,
		"header control":   `{"to":["+15550100"],"header":"a\u0007b"}`,
		"ident letters":    `{"to":["+15550100"],"ident":"ACME"}`,
		"ident too long":   `{"to":["+15550100"],"ident":"` + strings.Repeat("1", 21) + `"}`,
		"resolution":       `{"to":["+15550100"],"resolution":"ultra"}`,
		"rate":             `{"to":["+15550100"],"max_rate":33600}`,
		"priority":         `{"to":["+15550100"],"priority":10}`,
		"priority below 0": `{"to":["+15550100"],"priority":-1}`,
		"retries":          `{"to":["+15550100"],"retry":{"max_attempts":11}}`,
		"http webhook":     `{"to":["+15550100"],"webhook":"http://example.com/x"}`,
		"webhook password": `{"to":["+15550100"],"webhook":"https://u:p@example.com/x"}`,
		"too many":         `{"to":[` + strings.Repeat(`"+15550100",`, 100) + `"+15550101"]}`,
		"too large":        `{"to":["+15550100"],"header":"` + strings.Repeat(" ", 70000) + `"}`,
		"not JSON":         `to=+15550100`,
	} {
		if _, err := DecodeFaxRequest(strings.NewReader(body)); !errors.Is(err, ErrFaxRequest) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzDecodeFaxRequest(f *testing.F) {
	f.Add([]byte(`{"to":["+15550100"],"header":"ACME","ident":"+1 555","resolution":"fine","ecm":false,"max_rate":9600,"priority":1,"not_before":"2026-12-01T10:00:00Z","retry":{"max_attempts":2},"webhook":"https://example.com/h"}`))
	f.Add([]byte(`{"to":null}`))
	f.Add([]byte(`{"to":["+15550100"],"priority":0}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeFaxRequest(strings.NewReader(string(b)))
		if err != nil {
			return
		}
		for _, n := range r.To {
			if again, err := ParseE164(n); err != nil || again != n {
				t.Fatalf("accepted number %q is not normal: %q %v", n, again, err)
			}
		}
		if r.Priority == nil || *r.Priority < 0 || *r.Priority > 9 || r.ECM == nil || r.Retry == nil || len(r.To) == 0 {
			t.Fatalf("accepted %+v", r)
		}
	})
}
