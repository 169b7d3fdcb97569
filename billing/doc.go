// Package billing owns contracts, invoices, holds, payments and collection
// notes: the billing calendar's domain. The scheduler runs its two daily
// jobs, Cycle ("billing-cycle") and Collect ("collection-notes"); the CLI
// and POST /api/payments call the rest.
//
// Collections (all written without transactions, DESIGN.md invariant 7):
//
//   - contracts {_id: contract ID, client_id, description, currency CLP|UF,
//     amount (pesos, or thousandths of a UF), exempt, anchor_day 1–31,
//     start, end, active, support_tier, addons [{id, description, amount,
//     exempt}], charges [{id, description, amount, exempt, added_at}]}.
//     The anchor is kept forever: a contract anchored on the 31st bills on
//     the last day of short months and on the 31st when there is one
//     (BillingDay). charges are one-off charges queued for the next
//     invoice (lines.go).
//   - invoices {_id: "<contract>|<YYYY-MM>", number, document
//     nota_de_cobro|factura, status unpaid|paid|void, issue/due dates,
//     snapshots of the issuer, the billing data and the contract, lines
//     [{kind plan|addon|charge, ref, description, quantity, unit_price,
//     amount, exempt, from, to, days, of}], net/exempt/tax/total/paid in
//     whole pesos, payments, dte (the tax document's outcome), mailed}. The _id makes
//     "one invoice per contract per period" a unique key: a rerun, a crash
//     midway or a second process inserts nothing new. document and issuer
//     are written with the number (document.go); invoices from before them
//     have neither and render as they always did.
//   - billing_counters {_id: "invoice_number" (nota de cobro) or
//     "invoice_number:<type>", last, first, block, document, issuer}: one
//     number series per document type (numbering.go).
//   - billing_holds {_id: "<contract>|<period>", reasons, status
//     held|billed}: periods not invoiced for incomplete billing data.
//   - payments {_id: "ref:<reference>"…, allocation, status}.
//   - dunning {_id: client, episode, stage, note}: collection-note
//     progress; note is the last note sent (key, stage, to, recipients,
//     invoices, done), watched until it is known not to need re-sending.
//   - dunning_held {_id: client, stage, addresses, since}: a note no
//     address of the client could receive, retried each run.
//   - dte_requests {_id: invoice _id, key, trigger, payments, attempts,
//     next_at, last_error, claimed_by, claimed_until} and dte_documents
//     {_id: invoice _id, type, folio, pdf}: the DTE issuer hook (dte.go).
//   - invoice_unnumbered {_id: invoice _id, at} and invoice_unmailed
//     {_id: invoice _id, at}: work markers (markers.go). Both are upserted
//     before an invoice is inserted; the first is deleted after its number
//     is written, the second after mailed: true is. A superset of the work
//     left, which the repair steps read instead of scanning invoices.
//   - billing_client_index {_id: client, invoices: [_ids], contracts:
//     [_ids]}: each client's invoices and contracts (clientindex.go),
//     added to before the insert; a superset, readers check client_id.
//   - billing_due_index {_id: "d07", contracts: [_ids]}: the contracts of
//     each anchor day (dueindex.go), added to before the insert and around
//     an end's move; the cycle reads its days by _id, drops contracts
//     ended more than 92 days before, and moves those ended before the
//     day to their end month's list {_id: "d07e2026-10", contracts:
//     ["2026-10-03|_id"]}, which only a run for an earlier day reads.
//   - billing_cycle_done {_id: "d07", period, contracts: [_ids]}: the
//     contracts of each anchor day whose invoice for period is complete
//     (cycledone.go; written after the work), so a rerun of the cycle on
//     a day already billed skips them unread; a new period replaces it.
//   - billing_flags {_id: "markers_v2", done_at}: the one-time scan that
//     built markers and index entries for data from before them is done
//     (upgrade.go; v1 lacked the due index, so a v1 store scans once more).
//   - billing_undeliverable {_id: client, addresses, updated_at}: one per
//     client whose billing mail has nowhere to go, kept on each suppression
//     and contact change and reconciled at start, so the
//     turno_billing_undeliverable_clients gauge counts this small
//     collection (undeliverable_markers.go).
//
// The cycle for a business date is a plain loop, every step idempotent:
// number what a crash left unnumbered (the invoices invoice_unnumbered
// names); bill held periods whose client is
// now complete (also `turno billing release CLIENT`); then, per batch of due
// contracts of active, billed clients: hold the ones whose client's
// billing data fail clients.BillingData.Check (recording the reasons and
// enqueuing billing_data_required once per client and period, key
// "billing-data:<client>:<period>"), insert the others' invoices unordered
// (duplicates ignored), number them, render each PDF and enqueue
// invoice_issued to the principal and every notify address (keys
// "invoice:<id>:issued:<address>", unless the client switched invoice mail
// off), and mark them mailed; last, mail what invoice_unmailed still
// names.
//
// Numbers without gaps. An invoice is inserted with number 0 (not issued:
// nothing lists, mails or collects it) before it can get a number. The
// counter document names the last block of numbers it handed out and the
// invoices they went to; whoever moves the counter first writes the
// previous block's numbers on its invoices, then re-reads its candidates,
// then moves the counter with a compare-and-set on "last", then writes its
// own block. So every number the counter passed belongs to an invoice that
// exists and is written on it before the counter moves again: a process
// dying between any two steps leaves a block the next one completes, and
// two processes never hand out one number twice (assignNumbers).
//
// Amounts are whole pesos: UF amounts convert at the UF value of the issue
// date (uf_rates {_id: date, cents}, `turno billing uf set`; else the
// billing.uf_rate fallback), in integer centavos, rounded half up. An
// invoice has lines (lines.go): the plan and each add-on for the period
// (from the billing day to the day before next month's), and the queued
// one-off charges; each line is taxed or exempt. With billing.prorate a
// contract ending within the period bills its days up to the end, and its
// first invoice bills the days between its start and the period on a line
// of its own: amount × days / days of that period, half up on the peso in
// one integer step. IVA = round(taxed net × 19 / 100) half up, once per
// document, as Chilean documents compute it. A charge leaves the queue
// only after the stored invoice lists it (settleCharges), so a crash
// between the insert and that never bills it twice.
//
// Tax documents. Turno does not sign DTEs: with billing.dte set, the
// provider's DTE system is asked for one per invoice, on issue (the
// invoice is mailed only with it) or on payment in full (the payment
// confirmation waits for and carries it), through a request recorded
// before the call and an idempotency key per invoice (dte.go).
//
// Collection notes: for each client owing money, the days past its oldest
// due date select the highest configured stage reached (default −3, 0, +7,
// +15); a stage is sent only when it is beyond the client's last one in
// this episode of debt, so stages move forward and after an outage only the
// highest is sent, once (key "collection:<client>:<episode>:<stage>"). The
// note lists all unpaid invoices with the total and goes to the billing
// contact (else the principal), copied to the notify addresses when
// configured; the outbox drops suppressed addresses. Before sending, a
// suppressed billing contact (mailout's suppressions) sends the note to the
// principal instead; with no deliverable address the note is held and the
// stage does not advance until an address is fixed (undeliverable.go). Both
// count as contact_suppressed and log a warning; Undeliverable (`turno
// billing undeliverable`, gauge turno_billing_undeliverable_clients) lists
// the clients whose billing contact or principal address is suppressed.
// A note that bounces after it was sent (a 5.x.x at delivery, or a DSN the
// intake matches to it: both become a suppression) is re-sent once to the
// principal address. The trigger is the collection run itself: for each
// client owing money with no new stage due, it checks the last note
// recorded in the client's dunning state, one suppression _id read and,
// only when its address is suppressed, one outbox-entry _id read to see
// that this note is what bounced; the re-send lists the note's invoices
// still unpaid, key "<note key>:resend:<principal>", and is skipped when
// the principal had the note (it is the bounced address, or was copied),
// everything it listed is paid, or a new stage due the same day replaces
// it; with the principal suppressed too it is held like any note
// (bounced.go). Paying everything ends the episode.
//
// Payments apply to invoices oldest number first; a partial payment leaves
// a balance, an overpayment is refused and changes nothing; the same
// gateway reference twice is one payment; payment_received goes to the
// principal address only. UnpaidByClient feeds the clients export.
//
// Embedded store. FerretDB 1.24 (SQLite) uses an index only for a filter
// that is exactly {_id: value} (with the index store/idindex.go adds); a
// $in, even on _id, scans the collection. So everything the cycle does per
// batch reads and writes one invoice at a time by _id; the repair steps
// read the small marker collections and each marked invoice by _id, and a
// client's invoices and contracts come through billing_client_index; the
// due contracts come through billing_due_index (less those
// billing_cycle_done says are finished with); the cycle's remaining
// scan is the open holds. A bulk
// write of 100 or more statements deadlocks it (each statement holds a
// connection until the command ends): the store's proxy caps every bulk at
// 99 (store/serialize.go), and the only bulks here are marker upserts and
// deletes by exact _id. Open cursors also hold a connection: results are
// read whole before writing.
package billing
