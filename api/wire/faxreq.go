package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/faxd/faxd/api/webhook"
)

// FaxRequest is the metadata of a fax submission (the documents come as
// their own parts).
type FaxRequest struct {
	To         []string    `json:"to"`                   // E.164 numbers, "+" and up to 15 digits
	Header     string      `json:"header,omitempty"`     // the header line printed on each page
	Ident      string      `json:"ident,omitempty"`      // the station identity sent (T.30 TSI)
	Resolution string      `json:"resolution,omitempty"` // "standard", "fine" (default) or "superfine"
	ECM        *bool       `json:"ecm,omitempty"`        // error correction mode; default on
	MaxRate    int         `json:"max_rate,omitempty"`   // bit/s: 2400 to 14400; default 14400
	Priority   *int        `json:"priority,omitempty"`   // 0 (lowest) to 9; nil: 5
	NotBefore  *time.Time  `json:"not_before,omitempty"` // not sent before
	Retry      *RetryRules `json:"retry,omitempty"`
	Webhook    string      `json:"webhook,omitempty"` // https URL told of the fax's final state
}

// RetryRules bound a job's attempts.
type RetryRules struct {
	MaxAttempts int `json:"max_attempts"` // 1 to 10 per number
}

// Limits of a submission.
const (
	MaxRecipients = 100
	MaxDocuments  = 20 // documents of one fax
	maxHeader     = 50 // characters a page header line holds
	maxIdent      = 20 // T.30 §5.3.6.2.4: 20 characters
	maxFaxRequest = 64 << 10
)

// ErrFaxRequest is returned for a submission that is not valid; it is
// wrapped with the field at fault.
var ErrFaxRequest = errors.New("invalid fax request")

// ParseE164 checks an E.164 number as submitted: "+", a first digit of 1
// to 9, at most 15 digits in all (ITU-T E.164 §6); spaces, dots, hyphens
// and parentheses between digits are dropped. It returns the number as
// "+" and digits.
func ParseE164(s string) (string, error) {
	if len(s) > 32 {
		return "", fmt.Errorf("%w: number %.32q... is too long", ErrFaxRequest, s)
	}
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "+")
	if !ok {
		return "", fmt.Errorf("%w: number %q is not in E.164 form (+ and country code)", ErrFaxRequest, s)
	}
	var b strings.Builder
	b.WriteByte('+')
	for _, r := range rest {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')':
		default:
			return "", fmt.Errorf("%w: number %q has %q", ErrFaxRequest, s, r)
		}
	}
	n := b.String()
	if len(n) < 3 || len(n) > 16 || n[1] == '0' {
		return "", fmt.Errorf("%w: number %q is not E.164 (1 to 9 first, 2 to 15 digits)", ErrFaxRequest, s)
	}
	return n, nil
}

// DecodeFaxRequest reads and checks a submission's metadata: JSON, no
// unknown fields, at most 64 KiB; numbers in E.164 (returned normalised,
// duplicates dropped); header and identity printable and short enough;
// the defaults filled in.
func DecodeFaxRequest(r io.Reader) (*FaxRequest, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxFaxRequest+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFaxRequest {
		return nil, fmt.Errorf("%w: more than %d octets", ErrFaxRequest, maxFaxRequest)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f FaxRequest
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFaxRequest, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: more than one JSON value", ErrFaxRequest)
	}
	if len(f.To) == 0 || len(f.To) > MaxRecipients {
		return nil, fmt.Errorf("%w: to: 1 to %d numbers, not %d", ErrFaxRequest, MaxRecipients, len(f.To))
	}
	seen := map[string]bool{}
	to := f.To[:0]
	for _, s := range f.To {
		n, err := ParseE164(s)
		if err != nil {
			return nil, err
		}
		if !seen[n] {
			seen[n] = true
			to = append(to, n)
		}
	}
	f.To = to
	if err := printable("header", f.Header, maxHeader); err != nil {
		return nil, err
	}
	for _, r := range f.Ident {
		if !(r >= '0' && r <= '9' || r == '+' || r == ' ') {
			return nil, fmt.Errorf("%w: ident: digits, + and spaces only (T.30 §5.3.6.2.4), not %q", ErrFaxRequest, r)
		}
	}
	if len(f.Ident) > maxIdent {
		return nil, fmt.Errorf("%w: ident: at most %d characters", ErrFaxRequest, maxIdent)
	}
	switch f.Resolution {
	case "":
		f.Resolution = "fine"
	case "standard", "fine", "superfine":
	default:
		return nil, fmt.Errorf("%w: resolution %q (standard, fine or superfine)", ErrFaxRequest, f.Resolution)
	}
	if f.ECM == nil {
		on := true
		f.ECM = &on
	}
	switch f.MaxRate {
	case 0:
		f.MaxRate = 14400
	case 2400, 4800, 7200, 9600, 12000, 14400:
	default:
		return nil, fmt.Errorf("%w: max_rate %d (2400, 4800, 7200, 9600, 12000 or 14400)", ErrFaxRequest, f.MaxRate)
	}
	if f.Priority == nil {
		p := 5
		f.Priority = &p
	}
	if *f.Priority < 0 || *f.Priority > 9 {
		return nil, fmt.Errorf("%w: priority %d (0 to 9)", ErrFaxRequest, *f.Priority)
	}
	if f.Retry == nil {
		f.Retry = &RetryRules{MaxAttempts: 3}
	}
	if f.Retry.MaxAttempts < 1 || f.Retry.MaxAttempts > 10 {
		return nil, fmt.Errorf("%w: retry.max_attempts %d (1 to 10)", ErrFaxRequest, f.Retry.MaxAttempts)
	}
	if f.Webhook != "" {
		// The form here; where it may lead, by the server's policy, at
		// submission and again at every dial.
		if err := webhook.CheckURL(f.Webhook, webhook.Policy{AllowPrivate: true}); err != nil {
			return nil, fmt.Errorf("%w: webhook: %v", ErrFaxRequest, err)
		}
	}
	return &f, nil
}

// printable checks a text field: printable characters, at most max.
func printable(field, s string, max int) error {
	n := 0
	for _, r := range s {
		n++
		if !unicode.IsPrint(r) {
			return fmt.Errorf("%w: %s has an unprintable character %q", ErrFaxRequest, field, r)
		}
	}
	if n > max {
		return fmt.Errorf("%w: %s: at most %d characters, not %d", ErrFaxRequest, field, max, n)
	}
	return nil
}
