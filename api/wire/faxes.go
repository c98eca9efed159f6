package wire

import "time"

// FaxStatus is a fax job as the API shows it.
type FaxStatus struct {
	ID         string            `json:"id"`
	State      string            `json:"state"` // queued, sending, sent, failed, canceled, partial
	To         []string          `json:"to"`
	Documents  int               `json:"documents"`
	Priority   int               `json:"priority"`
	NotBefore  time.Time         `json:"not_before"`
	Created    time.Time         `json:"created"`
	Updated    time.Time         `json:"updated"`
	Pages      int               `json:"pages"` // 0 until the documents are rendered for the first attempt
	Recipients []RecipientStatus `json:"recipients"`
}

// RecipientStatus is one destination of a fax, with its attempts.
type RecipientStatus struct {
	To          string          `json:"to"`
	State       string          `json:"state"`
	PagesSent   int             `json:"pages_sent"`
	NextAttempt *time.Time      `json:"next_attempt,omitempty"`
	Attempts    []AttemptStatus `json:"attempts"`
}

// AttemptStatus is one call placed for a recipient.
type AttemptStatus struct {
	N         int        `json:"n"`
	Started   time.Time  `json:"started"`
	Ended     *time.Time `json:"ended,omitempty"` // nil: in progress
	Result    string     `json:"result,omitempty"`
	PagesSent int        `json:"pages_sent"`
	FirstPage int        `json:"first_page"`
	Call      string     `json:"call,omitempty"`
	// CallRecord is the attempt's call detail record (none for an attempt
	// that placed no call, or cut short by a stopped server).
	CallRecord *CallRecord `json:"call_record,omitempty"`
}

// StatePartial is the state of a failed fax that some recipients got.
const StatePartial = "partial"

// FaxList is a page of faxes; Next is the cursor for the next page.
type FaxList struct {
	Faxes []FaxStatus `json:"faxes"`
	Next  string      `json:"next,omitempty"`
}
