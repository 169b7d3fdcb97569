// Package notify mails agents what happens on tickets: a new ticket in
// their departments, a customer's reply on a ticket they own (or on an
// unassigned one of their departments), a ticket assigned to them, a note
// that mentions them, a missed service-level target. It turns ticket
// events into outbox mail (template agent_notification), each agent's
// preferences (agents.Agent.Notify) and language respected.
//
// # How events become mail
//
// Package tickets keeps a marker in ticket_notify_pending for every ticket
// with events not yet notified (tickets/notifyhook.go). A Worker polls
// that small collection (every Options.Interval, and at once on Poke), and
// for each ticket: reads it by _id, reads its cursor, decides for each
// event past the cursor who is told (decide.go), enqueues one mail per
// event per agent under the idempotency key
// notify:<ticket>:<hash of the event>:<agent's primary address>, saves the
// cursor (a replace by _id) and drops the marker by its token
// (tickets.NotifyDone: an event written meanwhile keeps it). A crash at
// any point repeats only enqueues the outbox already holds; two workers
// (two processes) enqueue the same keys, so each mail goes out once.
//
// # Who is told
//
//   - created (new): active agents who see the ticket's department.
//   - message (reply): the assignee at the time of the event; unassigned,
//     the department's agents.
//   - assign (assign): the new assignee.
//   - note (mention): each agent the note names, by one of their addresses
//     or by @localpart of the primary one.
//   - sla_breach (sla): the assignee; unassigned, the admins of the
//     department (every admin when none lists it).
//
// Never the agent who caused the event (Event.By), never an inactive
// agent or one who does not see the department, never about Turno's own
// mail (the intake drops it before it reaches a ticket). Automatic
// customer mail (auto_reply, bulk, list: a message event whose Note names
// its kind, or a ticket opened by one) gives no notification of its own:
// it is counted, and the next notification on that ticket says so in one
// line. Events a merge copied onto a ticket (their Note starts "on #N")
// and events older than Options.MaxAge (a notification a day late is
// noise, and an old ticket first touched after an upgrade has no cursor)
// are skipped.
//
// A notification's Message-ID is msgid.NewNotice: it names the ticket, the
// agent (msgid.Tag of the primary address) and the ticket's newest
// customer-visible message when it was made, which answering by mail
// (package agentmail) checks. It comes From the department's sender with
// Reply-To the department's support address, is marked Auto-Submitted:
// auto-generated and carries the outbox's loop header like all Turno mail.
//
// # Collections
//
//   - notify_cursor: {_id: ticket number, done: events processed, auto:
//     automatic messages not yet mentioned}. Replaced by _id after a
//     ticket's events were enqueued.
package notify
