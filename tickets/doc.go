// Package tickets turns parsed support mail into tickets: numbering,
// threading, sender registration, priority, the queue order agents work in,
// acknowledgements and unknown-sender replies, and the record of bounces.
//
// # How data enters and leaves
//
// The mail intake (package mailin) stores each raw message, parses it
// (mailin/parse) and calls Service.Ingest once per message with the parsed
// message, the mailbox, its department and unknown-sender policy, an opaque
// reference to the raw bytes and the arrival time. Only when Ingest returns
// nil does the intake flag the message on the IMAP server; an error is
// transient (retry) or permanent (quarantine), see IsTransient. Automatic
// replies leave through a Mailer (the outbox), bounces through Bounces (the
// outbox marks undeliverable addresses), sender identity comes from a
// Directory (the clients registry). The CLI reads the queue with List and a
// thread with Show; agents (API, CLI) work through the methods of work.go,
// each scoped to an Actor: Queue, Get, SetStatus, Assign, SetPriority, Move,
// Link, Merge, Reply, Note. CloseSolved closes solved tickets after
// Options.CloseAfter; RepairQueue (at start) finishes crashed writers.
//
// # Collections
//
//   - tickets: _id is the ticket number in decimal (number holds it as an
//     integer; the embedded store matches string _ids, not numbers, in its
//     _id pushdown). sort_key encodes the queue order
//     (priority descending, first arrival ascending, number) so listing the
//     queue is one indexed query; origin (unique) is the dedup key of the
//     message that opened it.
//   - ticket_messages: _id is the dedup key: the normalised Message-ID, or
//     raw:<sha256 of the raw bytes> when there is none. A different mail
//     that reuses a Message-ID already taken (web forms, broken mailers:
//     another parse.Fingerprint of sender, date, subject and body) gets
//     <Message-ID>#<first 16 hex of its fingerprint>, logged at WARN. One document per
//     distinct mail, whatever became of it (on a ticket, or rejected), with
//     the seed of the ticket it opened.
//   - ticket_seen: {_id: dedup key, fp: fingerprint}, inserted first: a
//     successful insert is how a new message is recognised cheaply; a
//     failed one with another fp is a reused Message-ID.
//   - ticket_message_ids: {_id: dedup key, ticket, thread, auto_reply},
//     inserted when every step for the message completed. Duplicates are
//     answered from it, and it is the Message-ID → ticket lookup of
//     threading (small documents: cheap to read).
//   - ticket_numbers: {_id: number, origin}: a number is claimed by
//     inserting it, so the unique _id makes the claim atomic.
//   - ticket_counters: {_id: "number", seq}: a hint of the last number
//     claimed, where the next claim starts looking.
//   - auto_reply_budget: {_id: address|hour|slot, key}: one document per
//     automatic reply sent to an address in a clock hour; slots are
//     claimed by insert.
//   - unknown_sender_replies: {_id: address|window bucket, key, sent_at}:
//     the "how to regain access" reply of that window, claimed by insert.
//   - bounces: _id is the bounce's dedup key; matched says whether the
//     report proved it answers one outbox delivery to that very recipient
//     (its VERP envelope address, see BounceJudge); an unmatched one keeps
//     the reason, suppresses nothing and is listed for operators.
//   - ticket_queue: _id is the ticket number; a copy without events of
//     every ticket that is not closed. The agents' queue reads only this,
//     so its cost follows the open work, not closed history. Written after
//     the ticket, guarded by version (an older state never replaces a
//     newer one), deleted when the ticket closes.
//   - ticket_queue_dirty: {_id: ticket number, token, at}: inserted before
//     a ticket is written and deleted once its queue document follows it.
//     It is the per-ticket write lock (see update.go) and the crash record
//     RepairQueue re-syncs from; one older than 30 s is a crashed writer's
//     and is taken over.
//   - ticket_queue_changes: {_id: change number in decimal, ticket}: one
//     entry per projection write, numbered by $inc of ticket_counters
//     {_id: "queue_seq", seq} and inserted before the marker goes, so
//     every process's in-memory queue index (queuecache.go) follows other
//     processes' writes by reading the counter and the new entries by _id.
//     The last 5,000 are kept (queuecache_log.go has the pruning rule).
//   - ticket_notify_pending: {_id: ticket number, token, at}: a ticket
//     with events agents were not yet notified of (package notify reads
//     it; see notifyhook.go). Upserted with a fresh token before and
//     after every write of events; the notifier deletes it by {_id,
//     token}, so an event written meanwhile keeps it.
//   - ticket_client_index: {_id: client ID, tickets: [numbers], complete}:
//     each client's tickets, a superset kept ahead of the tickets
//     (clientindex.go), so a customer's list reads by _id (customer.go).
//     ticket_counters {_id: "client_index_complete"} says every client's
//     entry is complete (UpgradeClientIndex, run once at daemon start).
//   - ticket_payment_reports: {_id: ticket number, report, receipt,
//     proposed invoices, state}: the structured payment report a ticket
//     holds (payreport.go), proposed from a payment mail or the portal,
//     confirmed or rejected by an agent.
//   - ticket_presence: {_id: ticket number, until, by: {agent key: {agent,
//     name, state, until}}}: which agents have the ticket open or are
//     replying (presence.go), for the console's collision warning.
//   - tickets_daily: {_id: "2026-12-03", opened, solved, first_responses,
//     first_response_seconds}: the operations dashboard's counters per
//     business day, bumped after the writes they count (stats.go; an
//     approximation).
//
// # Changing a ticket
//
// Every change to an existing ticket (agents' actions, replies, notes, a
// customer message joining it, merges, the automatic close) is one call of
// update: take the marker, read the ticket by _id, apply the change to a
// copy, write it back by _id with Version+1 and the change's events
// (checking the replaced document's Version), sync the queue document,
// drop the marker. Reads and writes filter on _id alone: on the embedded
// store any other filter reads the whole collection.
//
// Every hot path is an insert or an _id lookup; secondary indexes serve the
// listing and a ticket's thread. On the embedded store (FerretDB 1.24,
// SQLite) inserts check the unique _id through an index, but a find by _id
// reads the table row by row (its query and its index use different JSON
// path expressions), so a new message costs only inserts and reads happen
// only for duplicates, replies and budgets.
// Whatever must hold under concurrency is decided by an insert on a unique
// _id, never by a counter update: updates are slow on the embedded
// FerretDB (read-modify-write after a scan) and were only made atomic there
// by store's write serialisation.
//
// # Ingest and its invariants
//
// One mail yields one ticket message across retries, restarts, rescans and
// mailboxes, because the message insert by dedup key decides, never a
// read-then-write check. The order of the steps makes every crash window
// converge on the next call for the same mail:
//
//  1. A message whose ticket_seen insert fails is known: with a completion
//     record it is a duplicate; with only a stored message the remaining
//     steps are completed from it (its decision stands); with neither it
//     goes on as new.
//  2. Otherwise look the sender up, decide the thread, and for a new ticket
//     claim a number. The ticket as it will be written (its seed) goes
//     into the message document.
//  3. Insert the message by dedup key. Losing that race (another mailbox, a
//     concurrent retry) means the winner's document and number stand; the
//     number we allocated becomes a gap. Numbers are never reused, so a
//     crash or a race leaves gaps, never two tickets for one message.
//  4. Create the ticket from the seed (insert by number; a duplicate with
//     the same origin is ours) and its queue document, or record the
//     message on the ticket it joins (one update: a newer normal message
//     becomes LastPublic, moves pending or solved back to open and reopens
//     a closed ticket within the window; a message not newer than
//     LastPublic, i.e. this one again on a retry, changes nothing), send
//     the automatic reply it is owed (the outbox is idempotent by key, the
//     budget counts each message once), and insert the completion record.
//
// # Threading
//
// A message joins an existing ticket when (a) its In-Reply-To or References
// name a Message-ID Turno generated for the ticket (package msgid; the HMAC
// is checked, an ID of that shape with a bad HMAC is refused and noted) or
// one stored on the ticket, or (b) its subject carries [Ticket #N] and the
// sender is the ticket's requester or a registered contact of the ticket's
// client. Anything else opens a new ticket that records "mentions ticket
// #N". A closed ticket is reopened by a normal message arriving within the
// reopen window (automatic mail joins without reopening); after the window
// the message opens a new ticket linked to the old one. A ticket merged
// into another (MergedInto) passes its mail on to the survivor (the chain
// is followed, at most 10 hops).
//
// # Senders, priority and automatic replies
//
// A sender is registered when the Directory lists the address as a contact
// of an active client; the first membership owns the ticket. Unknown
// senders follow the mailbox policy: "ticket" opens an unverified ticket
// with no contact bonus and no tier (the lowest priority of its channel and
// department), "reject" opens nothing. Priority is channel weight +
// registered-contact bonus + tier weight + department offset, labelled
// high/medium/low by thresholds.
//
// A new ticket from a registered contact gets one acknowledgement
// (template ticket_ack); an unknown sender gets at most one
// ticket_unknown_sender reply per address per window. Neither is ever sent
// to auto_reply, bounce or bulk mail, nor to Turno's own mail (Own), which
// is ignored entirely. Both count against a per-address hourly budget
// (default 5), whose slots are claimed by insert so concurrent Ingests
// cannot overspend it. Bounces never open a ticket. A mail the intake
// quarantined (NotifyQuarantined) gets one ticket_under_review notice from
// the same budget, under the same rules, repeating none of its words.
//
// No automatic reply repeats a stranger's words: the unknown-sender reply
// carries no subject or text of the mail, an unknown sender gets no
// attachment notice (it would name their files), and the acknowledgement
// repeats the subject and the sender's name only when the From domain was
// authenticated (below).
//
// # Service levels
//
// With Options.SLA (package sla, the [sla] config) every ticket carries
// when its first response and its resolution are due, counted in business
// hours from the first message's arrival by its priority label. Every
// write keeps them in step (trackSLA, in update and when a ticket opens):
// a change of label recomputes them; the stretches a ticket spends
// pending, solved or closed (Waiting) do not count toward resolution, whose
// due time is zero while the ticket waits; the first agent reply (not a
// note) meets the first response (FirstResponseAt). A ticket is overdue
// when now is past a due time not met; solved and closed tickets owe
// nothing. Queue and Get mark overdue tickets (Overdue, computed on read,
// never stored) and Queue filters on it, reading only ticket_queue; queue
// order does not change. CheckSLA (the daemon runs it every minute in
// every process) reads ticket_queue and records each breach once per
// ticket and target: an "sla_breach" event (To: first_response or
// resolution) and the target in SLABreached, in one write through update,
// so repeated and concurrent runs record it once; it also counts the
// overdue tickets per department. The agents' notifier mails the breach.
//
// # Sender authentication
//
// With Options.TrustedAuthservID set, Ingest reads the Authentication-Results
// the receiving server wrote (parse.Authenticate) and stores the verdict in
// Message.Auth. A fail (the From domain failed DMARC, or without a DMARC
// result has no aligned SPF or DKIM pass) makes the sender unverified
// whatever the Directory says: no contact bonus, no tier, no client, no
// joining a ticket by subject tag, no automatic reply at all (its reply
// would go to the forged address), and a note "sender authentication
// failed: …". References to Turno's HMAC Message-IDs, or to a message
// stored on a ticket, still join: only a participant of the thread knows
// them. Unset, every From is taken as written.
package tickets
