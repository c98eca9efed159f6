package wire

import "time"

// InboxEntry is a received fax as the API shows it.
type InboxEntry struct {
	ID          string    `json:"id"`
	Number      string    `json:"number"` // ours, that it came to
	RemoteIdent string    `json:"remote_ident"`
	Pages       int       `json:"pages"`
	Received    time.Time `json:"received"`
	Complete    bool      `json:"complete"`
	Call        string    `json:"call"`
	// Acknowledged is when the entry was acknowledged and its image
	// destroyed; nil until then.
	Acknowledged *time.Time `json:"acknowledged"`
}

// InboxList is a page of the inbox.
type InboxList struct {
	Faxes []InboxEntry `json:"faxes"`
	Next  string       `json:"next,omitempty"`
}

// CallRecord is a call detail record as the API shows it.
type CallRecord struct {
	ID          string     `json:"id"`
	Direction   string     `json:"direction"`       // "in" or "out"
	Fax         string     `json:"fax,omitempty"`   // the fax sent, for a call out
	Inbox       string     `json:"inbox,omitempty"` // the inbox entry, for a call in
	Local       string     `json:"local"`
	Remote      string     `json:"remote"`
	RemoteIdent string     `json:"remote_ident"`
	Started     time.Time  `json:"started"`
	Answered    *time.Time `json:"answered,omitempty"` // nil: not answered
	Ended       time.Time  `json:"ended"`
	Pages       int        `json:"pages"`
	Rate        int        `json:"rate"`
	Modem       string     `json:"modem"`
	ECM         bool       `json:"ecm"`
	Result      string     `json:"result"`
	Detail      string     `json:"detail,omitempty"`
}

// CallList is a page of call records.
type CallList struct {
	Calls []CallRecord `json:"calls"`
	Next  string       `json:"next,omitempty"`
}
