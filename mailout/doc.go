// Package mailout owns outbound mail: the durable outbox collection and SMTP
// delivery. Every email Turno sends is enqueued here under an idempotency key.
//
// The outbox itself is built by the outbound-mail issue; this package currently
// holds only its place in the layout.
package mailout
