// Package agentmail lets agents answer tickets from their own mail client:
// a mail that reaches a watched mailbox as an agent's answer becomes that
// agent's reply (or note, or status change) on the ticket, exactly as an API
// reply would, and anything that cannot be applied is held on the ticket,
// never silently dropped and never mailed to a customer.
//
// The intake hands every stored message to Router.Route before
// tickets.Ingest (daemon/tickets.go). Route either handles it (handled
// true: the intake flags it done) or passes it on (handled false: it is
// customer mail and Ingest threads it as always).
//
// # Which mail is an agent's
//
// Only a reference proves anything; a subject tag never does:
//
//   - In-Reply-To or References name a valid notification Message-ID
//     (msgid.Notice: HMAC-signed, names the ticket, the agent and the
//     ticket's newest public message when it was sent) — whoever the sender.
//     An agent address that is also a customer contact is an agent here.
//   - or the From is an agent's primary or alternate address (agents'
//     agent_addresses claims, an _id read) and the references name a valid
//     ticket Message-ID (msgid.Ticket: any ticket mail Turno sent), unless
//     that address is also a registered contact of an active client: then
//     it is the customer's mail and passes on.
//   - A notification-shaped reference with a bad HMAC, from anyone, or a
//     ticket-shaped one (on mail.domain) with a bad HMAC from an agent's
//     address, is refused: held on no ticket (reason forged_reference), no
//     explanation mailed (the From is probably forged: the mail would go to
//     the victim), nothing changed.
//   - Turno's own mail and bounces pass on (the intake ignores the former
//     and judges the latter by VERP, which changes no ticket).
//
// Automatic mail (parse.Kind auto_reply or bulk: RFC 3834, out-of-office,
// lists) on the agent path is logged and counted (ignored_auto) and stops:
// it never reaches a customer, changes no ticket and gets no answer.
//
// # Applying
//
// The sender must be an active agent (by any of their addresses) who sees
// the ticket's department; the ticket must exist, not be merged away, not
// closed (reopen first). With mailboxes.agent_auth = "dkim_or_spf" the
// trusted receiving server's Authentication-Results must pass the From
// domain (parse.Authenticate: DMARC, or an aligned DKIM or SPF pass).
// The text is parse's Text (quoted history removed; "-- " signature
// removed), then leading command lines, then a trailing mobile or Outlook
// signature line ("Enviado desde mi iPhone", "Get Outlook for Android"…)
// and the agent's own configured signature (the reply template adds it).
//
// Leading lines (blank lines skipped) that are commands are removed from
// the text; the first other line ends them:
//
//	#nota  | #note                  the text becomes an internal note
//	#pendiente | #pending           status pending after the reply
//	#resuelto  | #solved            status solved after the reply
//	#asignar EMAIL | #assign EMAIL  assign to that agent (checked first)
//
// A mail with only commands changes only what they say. An assignee that
// is not an active agent of the ticket's department holds the whole mail
// (bad_command), so nothing is half applied. A note keeps no attachments
// (notes have none): their names are appended to the note.
//
// A reply goes through tickets.Service.Reply with idempotency key
// "mail:<sha256 of the mail's dedup key>" (so retries, rescans, a second
// mailbox and a second daemon apply it once) and the collision check:
// Answers is the ticket's LastPublic when the notification's LastTag is the
// tag of that key (or the references name that message's Message-ID, or
// it is this very reply on a retry); otherwise the reply is stale: held and
// the agent told. Non-inline attachments are read back from the raw store
// and mailed with the reply (inline images are signature logos).
//
// # Held mail and explanations
//
// Whatever cannot be applied (unknown_sender, inactive_agent, no_access,
// merged, closed, stale, unauthenticated, no_ticket, bad_command, empty,
// invalid) is kept with tickets.Service.Hold on its ticket (listed by
// `turno tickets show N`) and its sender gets one agent_mail_held mail
// through the outbox (key "agentmail-held:<mail key>"), at most one per
// address per clock hour, never to automatic mail, repeating none of its
// words. Holding is not confirming: an agent answers again (the newest
// notification, the CLI or the API) once the reason is fixed.
//
// A mail held for authentication (unauthenticated) is the one exception:
// the agent who sent it, or an admin, confirms it with Router.Release
// (`turno tickets release N KEY`, POST
// /api/v1/tickets/{number}/held/{key}/release), which applies it exactly
// as Route would have (every other check again, the same keyed writes, as
// the sending agent), once however often it is released, and refuses it
// with the usual *tickets.ConflictError when the customer has written
// since the notification it answers. The item is then marked released
// (tickets.Service.MarkReleased) and the mail's agentmail_done record
// replaced with what was done.
//
// # Collections
//
//   - agentmail_done: {_id: mail key, outcome, ticket, reason, at}: written
//     when a mail was fully handled; a later copy is answered from it.
//   - agentmail_explained: {_id: address|hour, key}: the one explanation an
//     address gets per clock hour, claimed by insert (a retry of the same
//     mail finds its own claim).
//
// # Metrics
//
// turno_agentmail_total{result}: applied, note, held, ignored_auto, refused.
package agentmail
