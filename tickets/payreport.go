package tickets

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/mailin/parse/payreport"
)

// Payment reports: a customer says they paid (by mail to the payments
// mailbox, or from the portal), the ticket holds the report in structured
// form with the invoices it probably pays, and an agent confirms it, which
// records the payment through billing (a PaymentLedger), or rejects it,
// which answers the customer. Nothing is ever marked paid without that
// confirmation.
//
// Collection ticket_payment_reports: _id is the ticket number (one report
// per ticket: the one that opened it), so every read and write is by _id.
// A report is inserted once (a retried Ingest finds it there) and changed
// only by ConfirmPayment and RejectPayment, each a replace by _id decided
// under the ticket's write marker (update), so two agents cannot decide it
// twice.

// CollPaymentReports holds the payment report of a ticket (_id: ticket number).
const CollPaymentReports = "ticket_payment_reports"

// Payment report states.
const (
	ReportProposed  = "proposed"
	ReportConfirmed = "confirmed"
	ReportRejected  = "rejected"
)

// DefaultPaymentsDepartment is the department whose mail is read for
// payment reports and where portal reports open tickets, unless
// SetPaymentLedger names another.
const DefaultPaymentsDepartment = "pagos"

// PaymentLedger is billing as the payment reports need it; the daemon
// adapts billing.Service to it.
type PaymentLedger interface {
	// Unpaid lists the client's issued invoices with a balance, oldest
	// number first.
	Unpaid(ctx context.Context, clientID string) ([]UnpaidInvoice, error)
	// RecordPayment pays invoices of the client, idempotent by Reference;
	// an invoice that is not the client's, unknown or not payable is an
	// *InputError, nothing changed. It returns the payment's id.
	RecordPayment(ctx context.Context, o PaymentOrder) (string, error)
}

// UnpaidInvoice is an invoice with what is still owed on it.
type UnpaidInvoice struct {
	Number  int64
	Balance int64
}

// PaymentOrder is a confirmed payment to record.
type PaymentOrder struct {
	ClientID  string
	Invoices  []int64
	Amount    int64
	Method    string
	Reference string // the operation number, or "ticket-<n>" without one
	Date      string // YYYY-MM-DD
}

// Receipt is the proof of payment attached to a report: its metadata and
// where its bytes are (the raw message's reference for mail, the portal's
// upload reference).
type Receipt struct {
	Filename    string `bson:"filename" json:"filename"`
	ContentType string `bson:"content_type" json:"content_type"`
	Size        int64  `bson:"size" json:"size"`
	SHA256      string `bson:"sha256" json:"sha256"`
	Ref         string `bson:"ref" json:"ref"`
}

// PaymentReport is one document of ticket_payment_reports.
type PaymentReport struct {
	ID       string `bson:"_id" json:"-"`
	Ticket   int64  `bson:"ticket" json:"ticket"`
	ClientID string `bson:"client_id,omitempty" json:"client_id,omitempty"`
	Source   string `bson:"source" json:"source"` // mail or portal
	// MessageKey is the ticket message that carried the report.
	MessageKey string           `bson:"message_key" json:"message_key"`
	Report     payreport.Report `bson:"report" json:"report"`
	Receipt    *Receipt         `bson:"receipt,omitempty" json:"receipt"`
	// Proposed are the invoices the report probably pays, Match says why
	// (or why none).
	Proposed []int64 `bson:"proposed,omitempty" json:"proposed"`
	Match    string  `bson:"match" json:"match"`
	State    string  `bson:"state" json:"state"`
	// The decision: the payment recorded (confirmed) or the reason given
	// to the customer (rejected).
	PaymentID string    `bson:"payment_id,omitempty" json:"payment_id,omitempty"`
	Paid      []int64   `bson:"paid,omitempty" json:"paid,omitempty"`
	Amount    int64     `bson:"amount,omitempty" json:"amount,omitempty"`
	Reason    string    `bson:"reason,omitempty" json:"reason,omitempty"`
	DecidedBy string    `bson:"decided_by,omitempty" json:"decided_by,omitempty"`
	DecidedAt time.Time `bson:"decided_at,omitempty" json:"decided_at,omitzero"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
}

// payWiring is what SetPaymentLedger sets.
type payWiring struct {
	ledger     PaymentLedger
	department string
}

// SetPaymentLedger wires billing in and names the payments department
// ("" keeps DefaultPaymentsDepartment). Call it before mail is ingested.
// Without a ledger, reports are still read and held, unmatched, and
// cannot be confirmed.
func (s *Service) SetPaymentLedger(l PaymentLedger, department string) {
	if department == "" {
		department = DefaultPaymentsDepartment
	}
	s.pay = payWiring{ledger: l, department: department}
}

func (s *Service) paymentsDepartment() string {
	if s.pay.department == "" {
		return DefaultPaymentsDepartment
	}
	return s.pay.department
}

func (s *Service) reports() *mongo.Collection { return s.opts.DB.Collection(CollPaymentReports) }

// proposeFromMail reads the payment report in mail m that opened a ticket
// in the payments department and holds it on the ticket, matched to the
// client's unpaid invoices. A mail that is not a report changes nothing.
// Idempotent: the report is inserted by ticket number once.
func (s *Service) proposeFromMail(ctx context.Context, m *Message) error {
	t := m.Seed
	if t == nil || !m.Opened || t.Channel != ChannelEmail || t.Department != s.paymentsDepartment() {
		return nil
	}
	in := payreport.Input{From: m.From.Name + " <" + m.From.Address + ">", Subject: m.Subject, Text: m.Text, Quoted: m.Quoted}
	for _, a := range m.Attachments {
		in.Attachments = append(in.Attachments, a.Filename)
	}
	r := payreport.Read(in)
	if r == nil {
		return nil
	}
	doc := &PaymentReport{ID: ticketID(t.Number), Ticket: t.Number, ClientID: t.ClientID, Source: "mail",
		MessageKey: m.Key, Report: *r, Receipt: receiptOf(m), State: ReportProposed, CreatedAt: s.clk.Now().UTC()}
	switch {
	case t.ClientID == "":
		doc.Match = "sender is not a registered contact: no invoices to match"
	case s.pay.ledger == nil:
		doc.Match = "billing is not wired: invoices not matched"
	default:
		unpaid, err := s.pay.ledger.Unpaid(ctx, t.ClientID)
		if err != nil {
			return &TransientError{Err: fmt.Errorf("payment report on ticket %d: unpaid invoices: %w", t.Number, err)}
		}
		doc.Proposed, doc.Match = matchInvoices(r, unpaid)
	}
	return s.insertReport(ctx, doc)
}

func (s *Service) insertReport(ctx context.Context, doc *PaymentReport) error {
	_, err := s.reports().InsertOne(ctx, doc)
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return failed(fmt.Sprintf("store payment report of ticket %d", doc.Ticket), err)
	}
	return nil
}

// receiptOf is the mail's receipt: the first PDF or image attachment, one
// whose name says it is a receipt first.
func receiptOf(m *Message) *Receipt {
	var pick *Attach
	for i := range m.Attachments {
		a := &m.Attachments[i]
		if !receiptType(a.ContentType) {
			continue
		}
		if pick == nil || (looksLikeReceipt(a.Filename) && !looksLikeReceipt(pick.Filename)) {
			pick = a
		}
	}
	if pick == nil {
		return nil
	}
	return &Receipt{Filename: pick.Filename, ContentType: pick.ContentType, Size: pick.Size, SHA256: pick.SHA256, Ref: m.RawRef}
}

func receiptType(ct string) bool {
	return ct == "application/pdf" || ct == "image/jpeg" || ct == "image/png"
}

func looksLikeReceipt(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"comprobante", "transfer", "voucher", "recibo", "pago", "receipt"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// matchInvoices proposes the unpaid invoices the report pays, by amount:
// the invoices it names when their balances add up to the amount; else
// the oldest one whose balance is the amount; else the oldest ones whose
// balances add up to it. An amount matching nothing proposes none.
func matchInvoices(r *payreport.Report, unpaid []UnpaidInvoice) ([]int64, string) {
	if r.Amount == nil {
		return nil, "the report has no amount"
	}
	amount := *r.Amount
	if len(unpaid) == 0 {
		return nil, "the client owes nothing"
	}
	var named []int64
	var namedSum int64
	for _, u := range unpaid {
		if slices.Contains(r.Invoices, u.Number) {
			named, namedSum = append(named, u.Number), namedSum+u.Balance
		}
	}
	if len(named) > 0 && namedSum == amount {
		return named, "the invoices named add up to the amount"
	}
	for _, u := range unpaid {
		if u.Balance == amount {
			return []int64{u.Number}, "the oldest unpaid invoice with that balance"
		}
	}
	var sum int64
	var prefix []int64
	for _, u := range unpaid {
		sum += u.Balance
		prefix = append(prefix, u.Number)
		if sum == amount {
			return prefix, "the oldest unpaid invoices add up to the amount"
		}
		if sum > amount {
			break
		}
	}
	return nil, fmt.Sprintf("no unpaid invoice matches %s", Pesos(amount))
}

// Pesos writes an amount as Chileans do: $45.990.
func Pesos(v int64) string {
	s := strconv.FormatInt(v, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-$" + b.String()
	}
	return "$" + b.String()
}

// PaymentReportOf is the payment report on ticket n (scoped to the
// actor); ErrNotFound when the ticket has none.
func (s *Service) PaymentReportOf(ctx context.Context, a Actor, n int64) (*PaymentReport, error) {
	if _, err := s.seen(ctx, a, n); err != nil {
		return nil, err
	}
	return s.report(ctx, n)
}

func (s *Service) report(ctx context.Context, n int64) (*PaymentReport, error) {
	var r PaymentReport
	err := s.reports().FindOne(ctx, bson.D{{Key: "_id", Value: ticketID(n)}}).Decode(&r)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("ticket %d holds no payment report: %w", n, ErrNotFound)
	}
	if err != nil {
		return nil, failed(fmt.Sprintf("read payment report of ticket %d", n), err)
	}
	return &r, nil
}
