package wire

import (
	"time"

	"github.com/faxd/faxd/api/auth"
)

// CredentialList is the body of GET /v1/admin/credentials.
type CredentialList struct {
	Credentials []CredentialView `json:"credentials"`
}

// NumbersBody is the body of the numbers resource: the E.164 numbers
// whose received faxes go to the account's inbox.
type NumbersBody struct {
	Numbers []string `json:"numbers"`
}

// WebhookSecret is the answer to POST /v1/admin/webhook-secret.
type WebhookSecret struct {
	Secret string `json:"secret"`
}

// NewCredential is the body of POST /v1/admin/credentials.
type NewCredential struct {
	Name  string      `json:"name"`
	Roles []auth.Role `json:"roles"`
}

// CredentialView is a credential as the API shows it; Secret only in the
// answer that made it, once.
type CredentialView struct {
	Name    string      `json:"name"`
	Roles   []auth.Role `json:"roles"`
	Kind    string      `json:"kind"`
	Created time.Time   `json:"created,omitzero"`
	Secret  string      `json:"secret,omitempty"`
}

// NetworkRulesBody is the body of the network rules resource.
type NetworkRulesBody struct {
	Rules string `json:"rules"` // "192.0.2.0/24, 2001:db8::/32"
}
