package auth

import "errors"

// Account is what authentication needs of an account.
type Account struct {
	ID       string
	Rules    NetworkRules
	Disabled bool
}

// Credential is an API credential or an admin login: its secret's hash
// and what it may do.
type Credential struct {
	Account string
	Name    string
	Hash    string // HashPassword's
	Roles   []Role
	Kind    string // "api" or "user"
	// MustChange marks a one-time password: its tokens are good only to
	// change it.
	MustChange bool
}

// ErrNotFound is returned by whatever holds accounts and credentials for
// what it does not hold.
var ErrNotFound = errors.New("auth: no such account or credential")
