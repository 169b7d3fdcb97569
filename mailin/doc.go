// Package mailin owns mail intake: it watches IMAP mailboxes, stores every
// message's raw bytes, parses them (package mailin/parse) and hands each one
// to a Sink (package tickets) exactly once in effect, then acknowledges it on
// the server. Parsing lives in mailin/parse; this package is the durable
// plumbing around it.
//
// # How data enters and leaves
//
// One watcher goroutine per configured mailbox (watch.go) holds the store
// lease "mailbox:<name>", renewed every third of intake.lease_ttl; when a
// renewal fails it stops work on that mailbox and competes for the lease
// again, so several `turno serve` processes may share one database and each
// mailbox is worked by one of them, another taking over when the holder
// dies. While holding it, the watcher runs IMAP sessions (session.go) with
// go-imap v2's imapclient, reconnecting with capped exponential backoff and
// jitter; a broken mailbox only ever delays itself.
//
// A session selects the folder, compares its UIDVALIDITY with the cursor,
// and alternates passes (pass.go) with waiting: in IDLE when the server
// offers it (re-issued every Options.IdleRestart, 25 min by default, and
// woken at once by an EXISTS), else on the poll timer. A pass searches
// `UID last+1:*` and fetches the bodies in batches of intake.batch_size,
// with BODY.PEEK so \Seen is never a side effect. Sequence numbers and \Seen
// are never used to decide what is new.
//
// Each message goes through process.go: spool (memory, or an unlinked
// temporary file above intake.max_message_size, so it is held in memory at
// most once), store the raw bytes once per SHA-256 (rawstore.go), parse,
// record it in the ledger under its dedup key, call Sink.Ingest, mark the
// ledger entry ingested. Only after the whole batch is processed does the
// watcher apply the mailbox's after-action on the server (\Seen, MOVE or
// \Deleted + UID EXPUNGE) and then advance the cursor.
//
// # Collections
//
//   - mail_cursors: _id = mailbox name; UIDVALIDITY, last UID fully handled,
//     the lease epoch of the last cursor write, and status for `turno mail
//     status` (connected, owner, last poll, error count, last error).
//   - mail_raw (GridFS bucket) and mail_raw_index (_id = SHA-256 → GridFS
//     file): raw messages, stored once per content. With retention.raw_mail
//     set, the bytes of mail whose tickets closed before it are dropped
//     (rawdrop.go): the index document stays, marked dropped, so a refetch
//     is still known and not stored again.
//   - mail_messages: the intake ledger, _id = dedup key ("mid:" + normalised
//     Message-ID, else "raw:" + SHA-256); server copies that delivered it,
//     the processes that handled it, whether the Sink took it.
//   - mail_attempts: failed attempts per server copy
//     (_id = "mailbox/uidvalidity/uid").
//   - mail_quarantine: messages that failed intake.retry_limit times (or
//     permanently), same _id, with the reason, the error and the raw bytes.
//
// # Invariants
//
//   - Save first, then acknowledge: a message is flagged, moved or deleted
//     on the server, and the cursor passes it, only after its raw bytes are
//     stored and the Sink returned, or after it was quarantined. A crash at
//     any point re-fetches it; every write on the way is keyed by content
//     hash, dedup key or server copy, so repeating it creates nothing.
//   - One dedup key, one ledger entry, across retries, restarts, UIDVALIDITY
//     rescans and mailboxes: enforced by the unique _id, not by a read.
//     The Sink must be idempotent by Incoming.Key (its contract, incoming.go).
//   - The cursor is fenced by the lease epoch: a process that lost the lease
//     cannot move it.
//   - A failing message delays later mail of its mailbox by at most
//     retry_limit × Options.RetryDelay before it is quarantined and skipped.
//   - A UIDVALIDITY change resets the cursor to 0; the rescan finds every
//     message already in the ledger and only re-acknowledges it.
package mailin
