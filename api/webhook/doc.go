// Package webhook delivers faxd's signed webhooks: when a fax job becomes
// final, its status JSON is POSTed to the URL the customer gave, one
// attempt per call to [Deliverer.Deliver]. The caller's job queue makes
// the retries durable; this package keeps no goroutines and no queue of
// its own, it only says whether and when to try again ([ShouldRetry]).
//
// # Signature
//
// The wire format is the one api/API.md ("Webhooks") fixes, shaped like
// Stripe's Stripe-Signature header:
//
//	Faxd-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
//
// where the MAC (HMAC, RFC 2104, over SHA-256, FIPS 180-4) is taken over
// the ASCII decimal timestamp, a full stop and the raw body, `<t>.<body>`,
// with the account's webhook secret as key: the secret string exactly as
// shown, `whsec_` prefix included, as its bytes (as Stripe does; Standard
// Webhooks instead decodes the base64 after the prefix — we do not).
// Secrets are `whsec_` and the unpadded base64url (RFC 4648 §5) of 32
// random octets ([NewSecret]).
//
// The header is a comma-separated list of key=value elements, spaces
// around an element allowed: exactly one t (1 to 19 decimal digits), one
// or more v1 (64 hexadecimal digits each), and any other keys ignored so
// that a later scheme (v2, say) can be added beside v1 without breaking
// receivers. [Verify] accepts the header when any v1 matches: a sender
// may sign one body under several secrets while it rotates them. faxd
// itself signs with the account's one current secret (API.md: "the old
// one stops signing"), so a receiver that keeps its old and new secret
// across a rotation calls Verify once with each; see the example.
//
// Each attempt is signed afresh with the time it is sent, so a receiver
// that refuses timestamps outside a tolerance (Stripe and Standard
// Webhooks both recommend five minutes, [DefaultTolerance]) still
// accepts retries; `Faxd-Delivery` carries the same id on every attempt
// at one event, so a receiver can drop duplicates (Standard Webhooks'
// webhook-id does this job).
//
// # Where requests may go
//
// A webhook URL is chosen by a customer and fetched by our server, which
// is the shape of server-side request forgery (OWASP's SSRF Prevention
// Cheat Sheet). [CheckURL] refuses what is wrong in the URL itself, and
// the client [NewClient] builds checks every address at dial time, after
// DNS has answered (a net.Dialer Control function), so a name that
// resolves to an internal address — now or after a rebinding — is refused
// there. Refused unless [Policy.AllowPrivate]: loopback (RFC 1122
// §3.2.1.3, RFC 4291 §2.5.3), private IPv4 (RFC 1918), unique local IPv6
// (RFC 4193), deprecated site-local IPv6 (RFC 3879), shared CGNAT space
// (RFC 6598). Refused always: link-local
// (RFC 3927, RFC 4291 §2.5.6; where cloud metadata services live),
// multicast, unspecified and limited broadcast addresses, 0.0.0.0/8 and
// 240.0.0.0/4 (RFC 6890). An IPv4 address inside IPv6 — mapped (RFC 4291
// §2.5.5.2), compatible (§2.5.5.1), NAT64's well-known prefix (RFC 6052)
// and 6to4 (RFC 3056) — is judged as the IPv4 address it carries.
//
// # Retry
//
// 2xx is done; 408, 425 (RFC 8470), 429 (RFC 6585), 5xx, timeouts,
// connection and TLS failures are tried again; other answers, redirects
// among them (none is followed), are final, and so are refused URLs and
// addresses. A Retry-After header (RFC 9110 §10.2.3) is honoured up to
// an hour. [Backoff] grows from 10 s, doubling, to an hour, with "equal
// jitter" (AWS Architecture Blog, "Exponential Backoff And Jitter",
// 2015); delivery gives up [MaxAge] after the first attempt, as API.md
// promises ("until a 2xx answer or a day has passed").
//
// A queue's worker makes one attempt per run and asks what next:
//
//	r := d.Deliver(ctx, url, secret, "fax.final", deliveryID, status)
//	if r.Err == nil {
//		return nil // delivered
//	}
//	if wait, ok := webhook.ShouldRetry(firstAttempt, time.Now(), r); ok {
//		// run again after wait (river: river.JobSnooze(wait))
//	}
//	// give up (river: river.JobCancel(r.Err))
//
// The signing scheme and the SSRF guard are written here by hand: the
// standard library has neither, and faxd takes on no dependency for them.
package webhook
