// Package seal is faxd's message-level encryption inside HTTPS: a key
// agreed once per session, then every request and every response sealed
// under it, as etherFAX's published model does (ECDH P-521, AES-256 per
// message), in a standard form.
//
// A client opens a session with HPKE (RFC 9180) to the server's long-term
// key: by default DHKEM(P-521, HKDF-SHA512), HKDF-SHA512 and AES-256-GCM
// ([SuiteP521]); the hybrid post-quantum ML-KEM-768 + X25519 KEM is the
// option ([SuiteHybrid]). The HPKE info binds the session to one account.
// Both ends then export, from the HPKE context, a session ID and one
// AES-256 key per direction (as Oblivious HTTP, RFC 9458, exports its
// response key), so that each message afterwards costs one AES-256-GCM
// seal and no public-key operation: a P-521 key agreement costs about
// 2.5 ms of CPU, which is why it happens once a session.
//
// Each message carries its sequence number. Its nonce is the sequence
// number; its additional data binds the protocol version, the direction,
// the method, the path, the account, the session and the sequence number
// (and a response's status), so a sealed body moved to another request,
// another account or another session does not open. The server refuses a
// sequence number it has seen, or one more than [WindowSize] behind the
// newest, with a sliding window as IPsec's anti-replay (RFC 4303 §3.4.3)
// keeps, so that concurrent requests on one session may arrive in any
// order. Sessions expire after a time and a number of messages.
//
// Written on the standard library's crypto/hpke and crypto/cipher; the
// session, framing and replay window are ours (no library offers
// HPKE-keyed HTTP message sessions).
package seal
