// Package api is the root of faxd's HTTPS job API: server (the /v1
// resources and the checks in front of them), store (the embedded
// database), auth (credentials, tokens, roles, network rules, lock-out),
// seal (message-level encryption), vault (data at rest and its
// destruction), audit (the hash-chained audit log) and webhook (signed
// delivery of final fax states to customers' URLs); wire holds the
// resources' bodies, headers and error codes, which client shares without
// linking the server.
package api
