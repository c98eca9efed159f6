// Package auth is faxd's authentication and authorisation: passwords and
// API secrets hashed with argon2id, short-lived signed access tokens with
// role claims, roles that allow nothing unless the table says so, per-
// account network allow rules, and lock-out after repeated failures.
//
// Tokens are our own compact format (claims in JSON, HMAC-SHA256 over
// them), not JWT: one algorithm, no header to negotiate it, nothing to
// misconfigure. The rest stands on golang.org/x/crypto/argon2 (RFC 9106)
// and the standard library's net/netip and crypto/hmac.
package auth
