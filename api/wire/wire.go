// Package wire is the /v1 API's request and response bodies, headers and
// error codes, as api/API.md describes them: what api/server answers and
// api/client sends, in one place. It imports only the standard library,
// api/webhook (the form of a webhook URL) and api/auth (for its Role, a
// string; auth itself needs only the standard library and
// golang.org/x/crypto), so a client links none of the server.
package wire

import (
	"time"

	"github.com/faxd/faxd/api/auth"
)

// DefaultMaxBody bounds a request body (documents of a fax included).
const DefaultMaxBody = 32 << 20

// Headers of the protocol.
const (
	HeaderAccount     = "Faxd-Account"
	HeaderSealSession = "Faxd-Seal-Session"
	HeaderSealSeq     = "Faxd-Seal-Seq"
	// ContentTypeSealed marks a sealed body.
	ContentTypeSealed = "application/vnd.faxd.sealed"
)

// Error codes, the machine-readable part of every error response.
const (
	CodeBadRequest     = "bad_request"
	CodeNoAccount      = "unknown_account"
	CodeNetwork        = "network_denied"
	CodeUnauthorized   = "unauthorized"
	CodeTokenExpired   = "token_expired"
	CodeLocked         = "locked_out"
	CodeForbidden      = "forbidden"
	CodeTooLarge       = "too_large"
	CodeMediaType      = "unsupported_media_type"
	CodeSealRequired   = "seal_required"
	CodeSealSession    = "seal_session"
	CodeSealReplay     = "seal_replay"
	CodeSealOpen       = "seal_open"
	CodeInternal       = "internal"
	CodeNotFound       = "not_found"
	CodeMethod         = "method_not_allowed"
	CodeSealExhausted  = "seal_exhausted"
	CodeDocumentType   = "unsupported_document"
	CodeState          = "wrong_state"
	CodeExists         = "exists"
	CodeChangePassword = "password_change_required"
)

// ErrorBody is the one shape of every error response.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// TokenRequest is the body of POST /v1/tokens: an API credential's name
// and secret, or an admin's user name and password.
type TokenRequest struct {
	Name   string `json:"name"`
	Secret string `json:"secret"`
}

// TokenResponse is its answer.
type TokenResponse struct {
	Token   string      `json:"token"`
	Expires time.Time   `json:"expires"`
	Roles   []auth.Role `json:"roles"`
	// ChangeRequired: the password is one-time; the token is good only
	// for POST /v1/password.
	ChangeRequired bool `json:"password_change_required"`
}

// PasswordChange is the body of POST /v1/password.
type PasswordChange struct {
	Secret    string `json:"secret"`
	NewSecret string `json:"new_secret"`
}

// SealKey is the body of GET /v1/seal/key.
type SealKey struct {
	PublicKey string `json:"public_key"` // seal.Key.Public, base64
}

// SealSession is the answer to POST /v1/seal/sessions.
type SealSession struct {
	Session string    `json:"session"`
	Expires time.Time `json:"expires"`
	Confirm string    `json:"confirm"` // the server's confirmation, base64: seal.Client.Confirm
}
