// Package templates owns every email Turno sends: its subject, its
// plain-text part and its HTML part, in Spanish (the default, "es") and
// English ("en"), written for a hosting provider's customers.
//
// # Emails
//
// Names lists them; each is rendered from one documented data struct:
//
//	ticket_ack                   TicketAck
//	ticket_reply                 TicketReply
//	ticket_unknown_sender        TicketUnknownSender
//	ticket_attachment_too_large  TicketAttachmentTooLarge
//	ticket_under_review          TicketUnderReview
//	agent_mail_held              AgentMailHeld
//	agent_notification           AgentNotification
//	invoice_issued               InvoiceIssued
//	collection_note              CollectionNote
//	payment_received             PaymentReceived
//	password_reset               PasswordReset
//	welcome                      Welcome
//	billing_data_required        BillingDataRequired
//	login_locked                 LoginLocked
//
// Reply texts (replytext.go) are not emails: they are what Turno writes
// as an agent's reply on a ticket, the body ticket_reply then carries,
// rendered by RenderReply from replies/<lang>/<name>.txt (not
// overridable; golden files testdata/golden/<lang>/<name>.reply.txt):
//
//	payment_report_rejected      PaymentReportRejected
//
// Every template also reaches the Company given to Load (name, support
// address, website, phone, footer) as {{company.Name}} and so on.
// SampleData returns realistic values of each struct and DecodeData reads
// one from JSON, for `turno templates render [--data FILE.json]`.
//
// # Files
//
// The defaults are embedded from default/, one file per part:
//
//	default/<lang>/<name>.subject.txt   text/template, must render to one line
//	default/<lang>/<name>.txt           text/template, the plain-text body
//	default/<lang>/<name>.html          html/template, the HTML body
//	default/<lang>/layout.txt           wraps every plain-text body
//	default/<lang>/layout.html          wraps every HTML body
//
// A layout includes the body with {{template "body" .}}; the dot is the
// email's data in both. The text layout ends in a "-- " signature with the
// company's details; the HTML layout is a table-based page (what mail
// clients render reliably) with the company's name as header and its
// contact details and footer below. The plain text is written by hand, not
// derived from the HTML.
//
// Options.Dir names an override directory with the same layout. Each file
// found there replaces that one default and nothing else, so an operator
// copies one file, edits it and restarts. A file that is not one of the
// known paths is an error naming it, which catches typos.
//
// # Helpers
//
// Templates may call money (Chilean pesos: "$45.990", "-$1.000", "$0"),
// date ("16 de noviembre de 2026" / "November 16, 2026"), datetime ("16 de
// noviembre de 2026 a las 18:30 (hora de Santiago)" / "November 16, 2026
// at 6:30 PM (Santiago time)"), size, neg, plural, oneline and company;
// HTML bodies may also call paragraphs, which turns an agent's plain-text
// reply into escaped <p> and <br>. The formatting lives in format.go; the
// helpers are listed in funcs.go.
//
// # Time zone
//
// Every date and time is shown in Options.TimeZone (the configuration's
// time_zone, America/Santiago by default), whatever the location of the
// time.Time passed in: the outbox keeps its data in MongoDB, which hands
// times back in UTC. datetime names the zone, since a bare "05:33" reads as
// the reader's own time: "(hora de Santiago)" / "(Santiago time)", from the
// zone's IANA city, or "(UTC)" and "(UTC-03)" for zones without one. date
// shows the calendar date in the zone and no zone: a due date is a day
// there. So a caller passing a calendar date passes an instant inside that
// day in the zone (billing passes local midnight), never UTC midnight.
//
// # Invariants
//
//   - Template mistakes surface at Load, not at send time. Load parses
//     every file, then renders every email in every language with its
//     sample data and with the zero value of its data type; any failure (a
//     parse error, an unknown function or field, a layout without the
//     body, markup left open in an HTML body, an empty or multi-line
//     subject) fails Load. All failures are reported together, each naming
//     the file (the override's real path) and, where text/template or
//     html/template give one, the line. The helpers never return errors,
//     so a loaded Set renders any data of the right type; the one hole
//     left is an override using index or slice on a list longer in the
//     samples than in real data.
//   - Render fails only on bad input: an unknown name or language, data of
//     the wrong type, data breaking its type's rule (Access: a link or a
//     password, exactly one), or data that would put a line break into the
//     subject (header injection). The default subjects pass customer
//     values through oneline, so only overrides can hit the last case.
//   - HTML is produced by html/template, so data is escaped by context;
//     the text parts and the subject are produced by text/template and
//     carry data verbatim. Subjects are trimmed and not MIME-encoded;
//     encoding headers is mailout's job.
//   - A Set holds no mutable state and is safe for concurrent use. The
//     package holds none either: the catalog is a function, the defaults
//     an embed.FS.
//
// Mail carrying an Access (password_reset, welcome) holds a secret; its
// body must be purged once sent, which is mailout's concern.
//
// # Data in, mail out
//
// Callers (tickets, billing, the CLI) build a data struct, call
// Set.Render(name, lang, data) and hand the Rendered subject, text and HTML
// to mailout, which builds the MIME message. Times may be in any location
// (see Time zone). Strings that are shown as they are (PeriodLabel, Method,
// Missing) must already be in the mail's language.
//
// # Tests
//
// testdata/golden holds every email in both languages, rendered from
// SampleData with a fixed Company. After changing a template, run
//
//	go test ./templates/ -update
//
// and read the diff.
package templates
