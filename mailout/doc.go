// Package mailout owns outbound mail: the durable outbox and SMTP delivery.
// Every email Turno sends is enqueued here under an idempotency key and
// leaves through one of the configured relays.
//
// # Collections
//
//	outbox        one Entry per idempotency key; _id = the key, or
//	              "sha256:<hex>" of it when longer than 200 bytes
//	outbox_ready  one tiny marker {_id, priority, due, created_at} per entry
//	              that may still need work
//	outbox_claims _id = "<entry id>#<attempt>": who won each attempt (a
//	              sender, or an operator's cancel);
//	              "<entry id>#<attempt>.end": who ended it
//	suppressions  _id = normalised address marked undeliverable
//	outbox_verp   _id = the entry tag of a VERP envelope sender, entry =
//	              the outbox _id it names (verp.go)
//	settings      "mailout.message_id_key": the generated Message-ID key
//	outbox_hourly _id = UTC hour "2026-12-03T14": sent, failed, suppressed
//	              entries that became final then (the dashboard's chart)
//	outbox_failed _id = the entry id of an entry that ended failed (the
//	              dashboard's failure list; stats.go)
//
// # Data in
//
// Enqueue(ctx, Message) validates the message (a CR or LF in any value that
// reaches a header is ErrHeaderInjection), renders it once to refuse bad
// template data, then writes the ready marker (upsert) and inserts the
// entry. A duplicate key is an E11000 on insert (or a hit on the _id read
// before it) and returns the existing id: no read-then-write decides
// uniqueness. The marker goes first so that a crash between the two writes
// leaves a marker without an entry (deleted when met), never an entry that
// nothing picks up. Template data are stored as JSON and rendered with
// templates.Set at send time; the Message-ID (msgid.New, HMAC-carrying for
// ticket mail) is fixed at enqueue, so every retry carries the same one. A
// caller may choose it (Message.MessageID: an agent's reply records its
// Message-ID on the ticket before enqueueing it).
//
// # States
//
//	queued ──claim──► sending ──► sent | failed | suppressed
//	  ▲                  │
//	  └── retry ◄────────┘   (4xx, timeout, connection error)
//	cancelled: by an operator, from queued or retry.
//
// Cancel is fenced like a sender: it first wins the entry's next attempt
// (the claim token below) and only then writes cancelled. A cancel racing
// a claim therefore either wins, and nothing is sent, or finds the
// attempt taken and returns ErrSending ("already being sent"; the mail
// goes out once); a sending entry is refused the same way.
//
// sending is held under a lease (lease_owner, lease_until), never forever:
// when it runs out, the entry is claimable again. retry carries
// next_attempt_at, attempts and last_error; failed carries the SMTP reply;
// every entry lists its recipients, each pending, sent, failed or
// suppressed with the reply that decided it.
//
// # Claiming without scanning the outbox
//
// The embedded store does _id operations fast and filtered or sorted ones
// slowly (DESIGN.md, Storage), so nothing here claims with a filtered,
// sorted query. Each process keeps an in-memory heap ordered by (priority
// desc, due asc), of at most 2,000 ids (a more urgent push evicts the
// least urgent). Its own Enqueue pushes there at once; a scan every
// outbox.poll_interval reads the markers of outbox_ready due now or
// within the lookahead, 10 s plus the poll interval (a set as large as
// the backlog, not the history), sorts the due ones here and fills the
// heap, and keeps the others, with the process's own retries, until each
// is due. A busy process (1,000 or more ids in its heap) scans only every
// 10 s, as a scan decodes the whole ready set. Even then a retry enters
// the heap of every running process within one poll interval of its
// next_attempt_at if it was scheduled at least the lookahead ahead (every
// retry under the default backoff) or by that process; anything else that
// comes due elsewhere (another process's enqueue, `turno outbox retry`, an
// expired lease) within the lookahead (scanDue in run.go states the
// guarantee).
//
// A worker pops an id, reads the entry by _id and, if it is due or its
// lease ran out, wins the attempt by inserting the unique token
// "<id>#<attempts+1>" in outbox_claims (a conditional findOneAndUpdate was
// not atomic on the embedded store: two processes both won it), then sets
// state=sending, the lease, attempts and next_attempt_at = lease end
// BEFORE dialling (mox's habit): a crash at any later point delays the
// entry by one lease and loses nothing. A process that loses a race reads
// the entry and either deletes a stale marker (entry final or gone) or
// moves it to when the entry could be due; only losers pay for that
// read. Attempts are fenced by tokens, not by filters: the embedded
// store answers only a filter that is exactly {_id: <string>} from an
// index and decodes the whole collection for any other (a fenced write
// matching _id, state, owner and attempts made every outcome scan the
// outbox: a drain of n entries cost n²). Attempt n is
// ended by whoever first inserts "<id>#<n>.end" in outbox_claims: its
// sender before it writes the outcome by _id, or a process taking over the
// expired lease before it claims attempt n+1. So a sender whose lease was
// taken over cannot overwrite the new holder. A token older than a lease
// whose entry is still sending means its inserter died before the entry
// write; the entry is then taken over (the residual risk: an outcome write
// delayed by more than a lease after its own token). Likewise a claim
// token a lease old whose entry never entered sending means its winner
// died between the token and the lease write, before sending anything:
// the attempt number is skipped (the kill -9 test once stranded an entry
// in queued that way). Every per-message
// operation filters by _id alone (a test watches the commands).
//
// # Delivery
//
// go-mail dials (TLS mode implicit, STARTTLS required, or none only on
// loopback; AUTH PLAIN/LOGIN or XOAUTH2 with a token read from a command
// or file at each dial), and the transactions are driven on its
// smtp.Client: one per recipient (MAIL from that recipient's VERP address,
// RCPT, DATA), so that each recipient's envelope sender names the entry
// and that recipient alone (below, Bounces). One connection per
// worker is reused across messages, with no NOOP before and no RSET after
// a successful message (a new MAIL starts a new transaction); a reused
// connection found dead before DATA is redialled once at no cost to the
// attempt count. Relays are tried in their configured order when dialling.
// Each relay has one pair of rate limiters (per second, per minute),
// shared by every worker, not one per worker. Optional DKIM signing uses
// go-msgauth with the relay's domain, selector and key file.
//
// Errors are classified where they occur (classify.go): an SMTP reply is
// *SMTPError (Permanent for 5xx), anything else *TransientError. Transient
// failures leave recipients pending and schedule a retry after
// retry_initial doubling to retry_max, jittered to [d/2, d); once
// give_up_after has passed since enqueue the entry fails. A 5xx to a RCPT
// fails that recipient only, and with a 5.x.x code (or none) marks the
// address in suppressions; a 5xx to MAIL or DATA fails every recipient
// tried. Later mail to a suppressed address is suppressed without an SMTP
// attempt until `turno outbox suppressions clear ADDR`; the intake marks
// addresses from matched bounces through RecordBounce (below). A client's opt-out
// of a kind of mail (OptOuts, satisfied by the clients registry) makes the
// entry suppressed. Sensitive entries lose their data and attachments once
// final (purged=true).
//
// # Bounces
//
// A bounce changes nothing unless it proves it answers our message to that
// very recipient (DESIGN.md, invariant 5): quoting a Turno Message-ID
// proves nothing, as anyone who got one Turno mail (the unknown-sender
// reply) has one. So every transaction's envelope sender is
// mail.from_address with a VERP token as a "+" subaddress,
// soporte+b.<entry>.<rcpt>.<mac>@proveedor.cl (verp.go): the entry tag,
// which outbox_verp maps to the entry's _id, a tag of the recipient, and an
// HMAC over both under the Message-ID key (MessageIDKey). A bounce goes to
// the envelope sender; RecordBounce accepts it when an address it was
// delivered or addressed to, or quotes, carries a token that verifies for
// an entry and one of its recipients, and that recipient is a failed
// recipient of the report; only then is a 5.x.x status marked
// undeliverable. Every read is by _id. One transaction per recipient,
// rather than one per entry with the Final-Recipient checked against the
// entry's recipient list, because each recipient sees its envelope sender
// (in Return-Path): with one shared token, a Cc'd recipient of a collection
// note or a ticket reply could forge a bounce that silences the principal
// address. The cost is one transaction (and one DKIM signature) per
// recipient of multi-recipient mail, and a duplicate-send window that
// spans the entry's later transactions; most entries have one recipient.
//
// The token fits RFC 5321's 64-character local part when
// mail.from_address's local part has at most 31 characters and no "+";
// otherwise mail goes out from the plain address and no bounce can prove
// itself (logged once). The bounces must still reach the mailbox the
// intake watches: the provider's MTA must deliver "soporte+anything@" to
// soporte@'s mailbox, which needs recipient_delimiter = + (Postfix's
// main.cf: it is empty by default; Dovecot's LMTP/LDA setting defaults to
// "+"; Google Workspace and Microsoft 365 deliver plus addresses by
// default). A relay that rewrites the envelope sender to the
// authenticated account, or refuses a subaddressed one, defeats this:
// bounces then arrive unmatched (counted as no_verp), and only SMTP
// rejections mark addresses undeliverable.
//
// # Headers
//
// Message-ID, Date, From with display name (RFC 2047 when not ASCII; a
// message may override it, as agents' replies do with their department's
// address, while the envelope sender stays mail.from_address, with its
// VERP token, which SPF and bounce handling are set up for),
// Reply-To, In-Reply-To/References, "[Ticket #N]" in ticket subjects (the
// tag is added by mailout, not by the templates),
// Auto-Submitted (auto-replied or auto-generated), X-Auto-Response-Suppress:
// All and X-Turno-Loop: <mail.domain>, the header mailin/parse treats as
// Turno's own. Text and HTML alternatives in UTF-8 quoted-printable,
// attachments in multipart/mixed.
//
// # The duplicate-send windows
//
// Mail can go out twice only when the relay may have accepted it (250
// after DATA) and the outbox does not know it. There are two such windows.
//
// The first: the relay accepted the message before the process recorded
// "sent", and a kill -9 came in between. The entry stays in sending, and
// after the lease it is sent again. The window is one insert and one _id
// update (the end token and the write of the outcome) and is
// measured on every send (DuplicateWindow, the histogram
// turno_outbox_unrecorded_window_seconds). On this shared, loaded 2-core
// machine with the embedded store and 4 connections it measured a mean of
// 8 ms, maximum 20 ms over 1,000 sends and a mean of 8 ms, maximum 35 ms
// over 10,000 sends in a quiet moment (mean 16 ms, maximum 561 ms under
// load; bench/outbox); before the fence tokens a mean of
// 164 ms, maximum 994 ms over 298 sends under load. At most one message
// per connection can be in it, which the kill -9 test asserts (2,000
// entries: 2, 3 and 2 duplicates in three runs with 4 connections).
//
// The second: the whole body and its final "." were written, and then
// the connection dropped, or outbox.smtp_timeout passed, before the
// relay's reply to it arrived. The relay may have queued the message and
// lost the connection before its 250 reached us, or may still be working
// on it; nothing on our side can tell. The attempt is treated like any
// connection error, as RFC 5321 section 3.8 asks (as if the reply were a
// 451: a retry with backoff, recipients left pending), so if the relay
// did accept it the retry delivers it a second time (the duplicate RFC
// 1047 describes): sending twice is preferred to losing mail. Each such
// attempt is counted in turno_outbox_ambiguous_deliveries_total{relay},
// logged at WARN with its outbox_id, and adds one to the entry's
// ambiguous field (`turno outbox show` prints it when not 0), so an
// operator can tell a customer who got a message twice why. An entry that gives up after such
// attempts ends failed though the relay may have delivered it. A
// connection that breaks before the final "." was written (during MAIL,
// RCPT, DATA or the body) cannot duplicate: the relay never saw the end
// of the message. The write of the "." is checked on its own (endData in
// deliver.go), because go-mail's DataCloser.Close drops that error.
// Unlike the first window, this one needs no crash: a relay that stalls
// or drops connections after DATA can make every attempt of an entry
// ambiguous, and each may add a copy.
//
// # Cost and known limits
//
// With the fence tokens every per-message operation is an _id lookup,
// insert, update or delete (about ten per sent message). bench/outbox, in
// a quiet moment, drained 10,000 queued entries at 247 msgs/s and 1,000 at
// 261 msgs/s on the embedded store with 4 connections, against go-mail
// alone at ~11,600 msgs/s (ratio 0.021-0.022), peak RSS 54 MiB at 1,000
// and 138 MiB at 10,000; under other work on this shared machine the same
// run gave 128 msgs/s at 10,000, so the numbers move by 2x with the load.
// What still grows with the outbox: the depth-by-state
// gauge is a $group over every entry every 30 s (7% of the drain's CPU at
// 10,000 entries, and it keeps growing with the history, as sent entries
// are never purged); the scan decodes the whole ready set (the backlog,
// not the history) every poll interval, or every 10 s while busy (at
// 10,000 markers 2.2-2.7 s a scan on this loaded machine, and still
// 1.2-2 s with a filter that returns 5 of them: the store decodes every
// marker for any filter on due). A purge of final entries, end tokens and
// claim tokens is a follow-up.
package mailout
