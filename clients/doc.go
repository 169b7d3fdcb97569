// Package clients owns the client registry (fichas de cliente), their
// contacts and billing data, their portal access, and the validation of
// national tax IDs (subpackage taxid).
//
// # Collections
//
//   - clients: one document per client, _id = the custom client ID. Holds
//     the Client fields, the technical and billing contacts, the derived
//     billing_complete / billing_missing, a version for optimistic
//     concurrency and last_change (the audit entries of the last write).
//   - client_logins: _id = normalised principal address → client_id. A
//     second client claiming the same login gets E11000 on any MongoDB, and
//     the error names the client that has it.
//   - client_addresses: _id = normalised address → the (client, role) pairs
//     it is a contact of. Lookup reads it by _id, then each client by _id:
//     the only fast reads on the embedded store.
//   - client_audit: one entry per changed field per write (who, when,
//     field, old, new), _id = client/version/field.
//   - client_access: _id = client ID → an argon2id hash of the current
//     set-password token or generated password, its expiry and use (and
//     locked_mail_until: the lock window whose login_locked mail went).
//   - client_contact_access: _id = ContactAccessID(address) → a contact's
//     own portal access: its client, token and password hashes
//     (contact_access.go).
//
// # Invariants and crash windows
//
// There are no transactions (DESIGN.md, invariant 7), so every write is
// ordered so that a crash between two steps leaves nothing a reader trusts:
//
//   - A login is claimed before the client document names it and released
//     after it stops naming it. A claim whose client never got written (a
//     crash mid-registration) is honoured for Options.ClaimGrace, then taken
//     over by a compare-and-swap; a retried registration reuses its own.
//   - The address index is a superset of the truth: entries are added before
//     and removed after the client document changes; Lookup checks each
//     entry against the client document and ignores leftovers.
//   - The client document is the commit point. Its last_change is written
//     in the same atomic update and copied to client_audit right after; a
//     crash in between is repaired by the next write to that client, and
//     copying twice changes nothing (audit _ids are deterministic).
//   - Every write normalises and validates first and changes nothing when
//     invalid; a ValidationError names each bad field. Free-text fields are
//     single lines, so no control character gets into a mail header, a CSV
//     row or a report line; only the notes may hold line breaks and tabs.
//     A write re-checks only the values it changes (see normalize).
//
// # How data enter and leave
//
// Operators add and edit through Registry methods, which the turno clients
// and turno contacts commands call, and Import (CSV in the Export's
// columns, upsert by client ID, idempotent, linear time in bulk batches,
// never overwriting a client changed while it runs). Export neutralises
// cells a spreadsheet would run as formulas, and Import undoes exactly that
// (csvcell.go).
// The intake calls Lookup once per message; the outbox calls MailAllowed
// (its opt-out hook); billing iterates with Each and a Filter, reads
// BillingAddress, and snapshots BillingData, whose Check says what is
// missing in words a client can act on.
//
// Access mail (Password, Welcome) and RequestData go out through a Mailer
// (the outbox's Enqueue, mailout.Message contract), idempotent by key:
// welcome:<client>, password:<client>:<generation>,
// billing_data_required:<client>:<cycle>. The secret exists only in the
// sensitive outbox entry, whose body the outbox purges once sent; the
// registry keeps its hash and never logs it.
package clients
