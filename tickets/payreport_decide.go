package tickets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/mailin/parse"
	"turno/mailin/parse/payreport"
	"turno/templates"
)

// EventPayment is the ticket event of a decided payment report: To is
// confirmed or rejected, Note the payment id or the reason.
const EventPayment = "payment"

// ConfirmInput is an agent's confirmation of a payment report. Zero
// fields take the report's: its proposed invoices and its amount.
type ConfirmInput struct {
	Invoices []int64
	Amount   int64
}

// ConfirmPayment records the payment the report on ticket n describes
// through billing (idempotent by its operation number, "ticket-<n>"
// without one) and marks the report confirmed; billing mails
// payment_received to the principal address. Confirming again with the
// same invoices (or none) returns the same report and pays nothing more;
// bad input (no report, no invoices, another client's or an unknown
// invoice) is an *InputError, a decision contradicting the one taken (a
// rejected report, a confirmed one with other invoices or amount) a
// *DecidedError, and neither changes anything. Without billing wired:
// ErrPaymentsUnavailable.
func (s *Service) ConfirmPayment(ctx context.Context, a Actor, n int64, in ConfirmInput) (*PaymentReport, error) {
	t, err := s.seen(ctx, a, n)
	if err != nil {
		return nil, err
	}
	if s.pay.ledger == nil {
		return nil, ErrPaymentsUnavailable
	}
	if t.ClientID == "" {
		return nil, badInput("ticket", "ticket %d has no client (an unknown sender): link the sender to a client first", n)
	}
	for _, v := range in.Invoices {
		if v <= 0 {
			return nil, badInput("invoices", "invoice numbers must be positive (got %d)", v)
		}
	}
	if in.Amount < 0 {
		return nil, badInput("amount", "must be above zero")
	}
	var out *PaymentReport
	_, err = s.update(ctx, n, func(tk *Ticket) ([]Event, error) {
		r, err := s.report(ctx, n)
		if err != nil {
			return nil, badInput("ticket", "%v", err)
		}
		invs := slices.Clone(in.Invoices)
		if len(invs) == 0 {
			invs = r.Proposed
		}
		slices.Sort(invs)
		invs = slices.Compact(invs)
		switch r.State {
		case ReportRejected:
			return nil, &DecidedError{Report: r, Msg: fmt.Sprintf("the payment report on ticket %d was rejected by %s: %s", n, r.DecidedBy, r.Reason)}
		case ReportConfirmed:
			if len(in.Invoices) > 0 && !slices.Equal(invs, r.Paid) || in.Amount != 0 && in.Amount != r.Amount {
				return nil, &DecidedError{Report: r, Msg: fmt.Sprintf("the payment report on ticket %d was already confirmed as payment %s of %s to invoices %v",
					n, r.PaymentID, Pesos(r.Amount), r.Paid)}
			}
			out = r
			return nil, nil
		}
		if len(invs) == 0 {
			return nil, badInput("invoices", "no invoice was proposed for this report: name the invoices it pays")
		}
		amount := in.Amount
		if amount == 0 && r.Report.Amount != nil {
			amount = *r.Report.Amount
		}
		if amount <= 0 {
			return nil, badInput("amount", "the report has no amount: give it")
		}
		o := PaymentOrder{ClientID: tk.ClientID, Invoices: invs, Amount: amount, Method: payreport.MethodTransfer,
			Reference: fmt.Sprintf("ticket-%d", n), Date: s.clk.Now().UTC().Format(time.DateOnly)}
		if m := r.Report.Method; m != nil {
			o.Method = *m
		}
		if op := r.Report.Operation; op != nil {
			o.Reference = *op
		}
		if d := r.Report.Date; d != nil {
			o.Date = *d
		}
		id, err := s.pay.ledger.RecordPayment(ctx, o)
		if err != nil {
			return nil, err
		}
		r.State, r.PaymentID, r.Paid, r.Amount = ReportConfirmed, id, invs, amount
		r.DecidedBy, r.DecidedAt = a.Email, s.clk.Now().UTC()
		if err := s.replaceReport(ctx, r); err != nil {
			return nil, err
		}
		out = r
		return []Event{{By: a.Email, Type: EventPayment, To: ReportConfirmed, Note: id}}, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RejectPayment marks the report on ticket n rejected and answers the
// customer with reason (a reply on the ticket, left pending). Rejecting
// again by the same agent re-sends nothing new (the reply is idempotent
// by its key); a confirmed report cannot be rejected (*DecidedError). The
// answer is the reply text payment_report_rejected (package templates) in
// the ticket's language.
func (s *Service) RejectPayment(ctx context.Context, a Actor, n int64, reason string) (*PaymentReport, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, badInput("reason", "say why the payment is rejected: the customer reads it")
	}
	if err := checkText(reason); err != nil {
		return nil, err
	}
	t, err := s.seen(ctx, a, n)
	if err != nil {
		return nil, err
	}
	var out *PaymentReport
	_, err = s.update(ctx, n, func(tk *Ticket) ([]Event, error) {
		r, err := s.report(ctx, n)
		if err != nil {
			return nil, badInput("ticket", "%v", err)
		}
		switch r.State {
		case ReportConfirmed:
			return nil, &DecidedError{Report: r, Msg: fmt.Sprintf("the payment report on ticket %d was confirmed as payment %s: it cannot be rejected", n, r.PaymentID)}
		case ReportRejected:
			out = r
			return nil, nil
		}
		r.State, r.Reason, r.DecidedBy, r.DecidedAt = ReportRejected, reason, a.Email, s.clk.Now().UTC()
		if err := s.replaceReport(ctx, r); err != nil {
			return nil, err
		}
		out = r
		return []Event{{By: a.Email, Type: EventPayment, To: ReportRejected, Note: reason}}, nil
	})
	if err != nil {
		return nil, err
	}
	if out.DecidedBy != a.Email {
		return out, nil // another agent rejected it and answered
	}
	text, err := s.rejectionText(ctx, t, out)
	if err == nil {
		_, err = s.Reply(ctx, a, n, ReplyInput{Key: fmt.Sprintf("payment-report-rejected:%d", n), Text: text,
			Status: StatusPending, Force: true})
	}
	if err != nil {
		return nil, fmt.Errorf("payment report on ticket %d rejected; the answer to the customer failed, retry to send it: %w", n, err)
	}
	return out, nil
}

// rejectionText is the answer to a rejected report in the ticket's
// language (the client's for a registered sender): the reply text
// payment_report_rejected of package templates, the agent's reason as
// written.
func (s *Service) rejectionText(ctx context.Context, t *Ticket, r *PaymentReport) (string, error) {
	lang, err := s.ticketLang(ctx, t)
	if err != nil {
		return "", err
	}
	d := templates.PaymentReportRejected{TicketNumber: r.Ticket, Reason: r.Reason}
	if v := r.Report.Amount; v != nil {
		d.Amount = *v
	}
	if v := r.Report.Operation; v != nil {
		d.Operation = *v
	}
	if v := r.Report.Date; v != nil {
		d.Date, _ = time.Parse(time.DateOnly, *v) // not a date: the line is left out
	}
	return templates.RenderReply("payment_report_rejected", lang, d)
}

// ErrPaymentsUnavailable: billing is not wired into this tickets service
// (SetPaymentLedger), so no report can be confirmed here.
var ErrPaymentsUnavailable = errors.New("payments are not available: billing is not wired")

// DecidedError refuses a decision that contradicts the one already taken
// on a payment report: confirming a rejected report, confirming a
// confirmed one with other invoices or another amount, rejecting a
// confirmed one. Nothing changed; Report is the report as decided.
type DecidedError struct {
	Report *PaymentReport
	Msg    string
}

func (e *DecidedError) Error() string { return e.Msg }

func (s *Service) replaceReport(ctx context.Context, r *PaymentReport) error {
	if _, err := s.reports().ReplaceOne(ctx, bson.D{{Key: "_id", Value: r.ID}}, r); err != nil {
		return failed(fmt.Sprintf("record payment report of ticket %d", r.Ticket), err)
	}
	return nil
}

// PortalCustomer is who reports a payment from the portal: the client, the
// address they are signed in as (the principal or a contact with portal
// access), and the form's one-time nonce (the same nonce is the same
// report: a resubmitted form opens nothing new).
type PortalCustomer struct {
	ClientID, From, Name, Nonce string
}

// OpenPaymentReport opens a ticket in the payments department (channel
// portal) holding the customer's report, with the invoices they chose
// proposed. The invoices must be the client's unpaid ones, the amount
// above zero; the receipt, when given, a PDF, JPEG or PNG. Bad input is
// an *InputError naming the field, and opens nothing. It returns the
// report (its Ticket is the new ticket's number).
func (s *Service) OpenPaymentReport(ctx context.Context, c PortalCustomer, r payreport.Report, receipt *Receipt) (*PaymentReport, error) {
	from := strings.ToLower(strings.TrimSpace(c.From))
	if c.ClientID == "" || from == "" || c.Nonce == "" {
		return nil, fmt.Errorf("payment report: client, sender and nonce are required")
	}
	if r.Amount == nil || *r.Amount <= 0 {
		return nil, badInput("amount", "must be above zero")
	}
	if len(r.Invoices) == 0 {
		return nil, badInput("invoices", "choose the invoices you paid")
	}
	if receipt != nil && !receiptType(receipt.ContentType) {
		return nil, badInput("receipt", "must be a PDF, JPG or PNG file")
	}
	mem, err := s.lookup(ctx, from)
	if err != nil {
		return nil, err
	}
	if len(mem) == 0 || mem[0].ClientID != c.ClientID {
		return nil, fmt.Errorf("payment report: %s is not the first contact of client %s", from, c.ClientID)
	}
	if s.pay.ledger != nil {
		unpaid, err := s.pay.ledger.Unpaid(ctx, c.ClientID)
		if err != nil {
			return nil, err
		}
		for _, n := range r.Invoices {
			if !slices.ContainsFunc(unpaid, func(u UnpaidInvoice) bool { return u.Number == n }) {
				return nil, badInput("invoices", "invoice %d is not one of your unpaid invoices", n)
			}
		}
	}
	h := sha256.Sum256([]byte(c.ClientID + "\x00payment\x00" + c.Nonce))
	msg := &parse.Message{
		MessageID: "payreport." + hex.EncodeToString(h[:16]) + "@turno.portal",
		Subject:   "Reporte de pago",
		From:      &parse.Address{Name: c.Name, Address: from},
		Kind:      parse.KindNormal,
		Text:      reportText(r),
	}
	ref := "portal"
	if receipt != nil {
		msg.Attachments = []parse.Attachment{{Filename: receipt.Filename, ContentType: receipt.ContentType,
			Size: receipt.Size, SHA256: receipt.SHA256}}
		ref = receipt.Ref
	}
	res, err := s.Ingest(ctx, Incoming{Msg: msg, Mailbox: "portal", Department: s.paymentsDepartment(),
		Channel: ChannelPortal, RawRef: ref})
	if err != nil {
		return nil, err
	}
	doc := &PaymentReport{ID: ticketID(res.Ticket), Ticket: res.Ticket, ClientID: c.ClientID, Source: "portal",
		MessageKey: res.Key, Report: r, Receipt: receipt, Proposed: slices.Sorted(slices.Values(r.Invoices)),
		Match: "chosen by the customer", State: ReportProposed, CreatedAt: s.clk.Now().UTC()}
	if err := s.insertReport(ctx, doc); err != nil {
		return nil, err
	}
	return s.report(ctx, res.Ticket)
}

// reportText is the ticket text of a portal report, in Spanish.
func reportText(r payreport.Report) string {
	var b strings.Builder
	b.WriteString("Reporte de pago desde el portal\n\n")
	fmt.Fprintf(&b, "Monto: %s\n", Pesos(*r.Amount))
	line := func(label string, v *string) {
		if v != nil && *v != "" {
			fmt.Fprintf(&b, "%s: %s\n", label, *v)
		}
	}
	line("Fecha", r.Date)
	line("Medio de pago", r.Method)
	line("Banco", r.Bank)
	line("N° de operación", r.Operation)
	nums := make([]string, len(r.Invoices))
	for i, n := range r.Invoices {
		nums[i] = fmt.Sprint(n)
	}
	fmt.Fprintf(&b, "Documentos: %s\n", strings.Join(nums, ", "))
	return b.String()
}
