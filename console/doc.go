// Package console is the agents' web pages under /console/ on the HTTP
// listener: a thin layer over packages tickets, agents and replies, on
// package web's shared sessions, CSRF protection, headers, templates and
// rate limits (the portal's rules, with its own cookie, turno_console).
// It reads and writes no collection itself: every fact comes from a
// domain package's methods, and every ticket read or change goes through
// tickets.Service with the session's agent as the tickets.Actor, so the
// domain package keeps every rule (departments, collision, idempotency):
// another department's ticket is a 404 here because it is ErrNotFound
// there.
//
// # Pages
//
//	GET  /console/                      → the queue (or the login page)
//	GET  /console/login                 log in with an agent's address and password
//	POST /console/login                 (turno agents password EMAIL sets one)
//	POST /console/logout                end this session
//	GET  /console/queue                 Turno's order, filtered (view, dept, status, overdue)
//	GET  /console/queue/marker          {"marker": …}: changes when the page would
//	GET  /console/tickets/{n}           the thread and the forms below
//	POST /console/tickets/{n}/reply     answer (optional saved reply), then a status
//	POST /console/tickets/{n}/note      internal note
//	POST /console/tickets/{n}/assign    assignee ("" unassigns)
//	POST /console/tickets/{n}/status    open, pending, solved, closed
//	POST /console/tickets/{n}/priority  high, medium, low ("" back to computed)
//	POST /console/tickets/{n}/payment/confirm  the payment report: pay its (or the named) invoices
//	POST /console/tickets/{n}/payment/reject   with a reason the customer reads
//	GET  /console/tickets/{n}/files/{m}/{i}    attachment i of message m, as a download
//	GET  /console/tickets/{n}/html/{m}  message m's HTML, sanitised, for the page's sandboxed iframe
//	POST /console/tickets/{n}/presence  the script's beacon: viewing, replying or gone
//	POST /console/tickets/{n}/move      to another department (department)
//	POST /console/tickets/{n}/merge     this ticket into another (into, confirm=1)
//	POST /console/tickets/{n}/link      the unverified requester to a client (client)
//	GET  /console/static/…              turno.css (web), console.css and console.js
//	GET  /console/ops…                  operations, admins only (ops.go lists them)
//
// The operations pages (ops*.go, pages/ops.html) are an admin's: every
// other agent gets 404 for each page and action, and the navigation
// shows their link to admins only. They call what the CLI calls (the
// mailboxes' status and the quarantine with its retry from mailin, the
// outbox's depth, failures and suppressions from mailout, the job runs
// from scheduler, holds and undeliverable contacts from billing), and
// the dashboard reads small counter collections by _id (tickets_daily,
// outbox_hourly) instead of the tickets or the outbox. Its charts are
// SVG drawn here (ops_chart.go): classes for colour, escaped text, and
// the numbers again in a table.
//
// Beside a ticket, the requester's client (client.go): its record
// (clients.Registry), active contracts, unpaid invoices and balance
// (billing.Service, Options.Billing; nothing of billing without it), its
// recent tickets in the agent's departments (tickets.RecentClientTickets)
// and the ticket's payment report (tickets.PaymentReportOf) with its
// confirm and reject forms. Attachments of customer mail (files.go) are
// read back from the raw message store (mailin.RawStore) after the
// ticket is read with the agent as the actor, and always served as
// downloads (Content-Disposition: attachment, application/octet-stream,
// nosniff, a sandbox CSP).
//
// # Presence, counts, HTML, move/merge/link
//
// Who else is on a ticket (presence.go) is package tickets' fact
// (ticket_presence, one document per ticket by _id; MarkPresence,
// PresenceOn): the console writes no collection of its own for it.
// Serving the ticket page marks the agent "viewing"; console.js marks
// "viewing" or "replying" (the reply box has focus or text) every 20 s
// and "gone" on leaving, by a CSRF-protected POST whose answer is the
// others' marks. A queue row says "Ana Rojas está respondiendo" (or "lo
// está viendo") and the ticket page says it above the reply box, for
// other agents only; the queue reads the marks of its rows one _id each,
// and its change marker includes them. Reply's collision refusal stays
// the rule; this is the warning before it. Console.Sweep also prunes the
// marks long past.
//
// The view links show counts of the open queue (all, mine, unassigned;
// of the filtered department when there is one, none under a status or
// overdue filter) from tickets.QueueStats, one read of the queue
// projection.
//
// A customer's message with an HTML part gets a link; the page then
// frames GET …/html/{m} in an iframe with an empty sandbox attribute
// (htmlview.go). That answer is the stored HTML sanitised again with
// bluemonday (the user-content policy without remote or cid: images:
// only data: pictures, a few inline styles, links without referrer),
// under its own CSP: default-src 'none'; img-src data:; style-src
// 'unsafe-inline'; sandbox; frame-ancestors 'self' (only that route may
// be framed, and only the page showing it allows frame-src 'self').
//
// Move, merge and link (manage.go) call tickets.Move, Merge and Link, as
// the CLI does, with the agent as the actor: another department's ticket
// is a 404, bad input is the reason on the page and changes nothing. A
// ticket moved out of the agent's departments sends them to the queue
// with a notice; a merge goes to the surviving ticket.
//
// Without a session a page redirects to the login page and an action or
// the marker answers 401. Every request re-reads the agent by _id: a
// deactivated agent, or a session older than the agent's last password
// change, is logged out.
//
// # Script
//
// Everything works without JavaScript. console.js (served from the
// binary; the CSP allows scripts from 'self' only and fetch to 'self')
// adds keyboard navigation in the queue (j/k move, Enter opens, r opens
// with the reply box focused; r on a ticket focuses the reply box) and
// polls the marker every 10 s, swapping in the queue table when it
// changed. The marker is a hash of the first page of the same view (the
// same query as the page, without HTML), so it costs one queue read.
//
// Customer-written text (subjects, names, message text) is only ever
// rendered by html/template as text; a message's HTML is only ever shown
// sanitised, in the sandboxed view above, never in a console page.
package console
