package billing

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/clients"
)

// Invoice states. An invoice whose Number is still 0 exists but is not
// issued yet (see numbering.go): nothing lists, mails or collects it.
const (
	StatusUnpaid = "unpaid"
	StatusPaid   = "paid"
	StatusVoid   = "void"
)

// Invoice is one contract's bill for one period. Its _id is
// "<contract>|<period>", so the database refuses a second one.
type Invoice struct {
	ID         string `bson:"_id" json:"id"`
	Number     int64  `bson:"number" json:"number"` // 0 until assigned
	Status     string `bson:"status" json:"status"`
	ClientID   string `bson:"client_id" json:"client_id"`
	ContractID string `bson:"contract_id" json:"contract_id"`
	Period     string `bson:"period" json:"period"`         // "2026-02"
	IssueDate  string `bson:"issue_date" json:"issue_date"` // business date, YYYY-MM-DD
	DueDate    string `bson:"due_date" json:"due_date"`
	// Document is the type it was issued as (nota_de_cobro, factura), set
	// with its number; "" on invoices issued before document types, whose
	// number is in the nota de cobro series and which render as before.
	Document string `bson:"document,omitempty" json:"document,omitempty"`
	// Snapshots: what the invoice was issued from, kept as they were.
	// Issuer is set with the number (nil on invoices issued before it
	// existed, which render from the current configuration, as before).
	Issuer   *Issuer             `bson:"issuer,omitempty" json:"issuer,omitempty"`
	Billing  clients.BillingData `bson:"billing" json:"billing"`
	Contract Contract            `bson:"contract" json:"contract"`
	Lang     string              `bson:"lang" json:"lang"`
	UFRate   float64             `bson:"uf_rate,omitempty" json:"uf_rate,omitempty"`
	Amounts  `bson:",inline"`
	Paid     int64    `bson:"paid" json:"paid"`
	Payments []string `bson:"payments,omitempty" json:"payments,omitempty"`
	// Lines are what the invoice bills (plan, add-ons, one-off charges,
	// prorated parts); nil on invoices from before lines, which bill their
	// contract's amount as one line.
	Lines []InvoiceLine `bson:"lines,omitempty" json:"lines,omitempty"`
	// DTE is the tax document's outcome (dte.go); nil until there is one.
	DTE *InvoiceDTE `bson:"dte,omitempty" json:"dte,omitempty"`
	// Mailed is set once invoice_issued is enqueued for every recipient.
	Mailed    bool      `bson:"mailed" json:"mailed"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
	VoidedAt  time.Time `bson:"voided_at,omitempty" json:"voided_at,omitempty"`
}

// Balance is what is still owed on the invoice.
func (inv Invoice) Balance() int64 {
	if inv.Status == StatusVoid {
		return 0
	}
	return inv.Total - inv.Paid
}

// ExemptPart is the part of Net exempt from IVA: Exempt on invoices with
// lines; all of it on an exempt contract's invoice from before lines.
func (inv Invoice) ExemptPart() int64 {
	if inv.Lines == nil && inv.Contract.Exempt {
		return inv.Net
	}
	return inv.Exempt
}

// InvoiceID is the deterministic _id of a contract's invoice for a period.
func InvoiceID(contractID, period string) string { return contractID + "|" + period }

// InvoiceByNumber reads an issued invoice. Each document type has its own
// number series, so after billing.document was switched one number can name
// two documents: the one of the type issued now is returned.
func (s *Service) InvoiceByNumber(ctx context.Context, n int64) (*Invoice, error) {
	cur, err := s.invoices.Find(ctx, bson.D{{Key: "number", Value: n}})
	if err != nil {
		return nil, fmt.Errorf("read invoice %d: %w", n, err)
	}
	var invs []Invoice
	if err := cur.All(ctx, &invs); err != nil {
		return nil, fmt.Errorf("read invoice %d: %w", n, err)
	}
	if len(invs) == 0 || n == 0 {
		return nil, fmt.Errorf("invoice %d: %w", n, ErrNotFound)
	}
	for i := range invs {
		if invs[i].series() == s.document() {
			return &invs[i], nil
		}
	}
	return &invs[0], nil
}

// InvoiceFilter selects invoices for Invoices; zero fields match all.
type InvoiceFilter struct {
	ClientID string
	Status   string
	Limit    int
}

// Invoices lists issued invoices by number. One client's are read through
// billing_client_index, each by _id (clientindex.go); all clients' scan.
func (s *Service) Invoices(ctx context.Context, f InvoiceFilter) ([]Invoice, error) {
	if f.ClientID != "" {
		return s.clientInvoices(ctx, f)
	}
	filter := bson.D{{Key: "number", Value: bson.D{{Key: "$gt", Value: 0}}}}
	if f.Status != "" {
		filter = append(filter, bson.E{Key: "status", Value: f.Status})
	}
	o := options.Find().SetSort(bson.D{{Key: "number", Value: 1}})
	if f.Limit > 0 {
		o.SetLimit(int64(f.Limit))
	}
	cur, err := s.invoices.Find(ctx, filter, o)
	if err != nil {
		return nil, fmt.Errorf("list invoices: %w", err)
	}
	var out []Invoice
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read invoices: %w", err)
	}
	return out, nil
}

// VoidInvoice cancels an unpaid invoice without payments. It keeps its
// number (the sequence has no holes) and stops collection notes for it.
func (s *Service) VoidInvoice(ctx context.Context, n int64) error {
	inv, err := s.InvoiceByNumber(ctx, n)
	if err != nil {
		return err
	}
	if inv.Status != StatusUnpaid || inv.Paid != 0 {
		return fmt.Errorf("void invoice %d: it is %s with %d paid; only unpaid invoices without payments can be voided", n, inv.Status, inv.Paid)
	}
	res, err := s.invoices.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: inv.ID}, {Key: "status", Value: StatusUnpaid}, {Key: "paid", Value: int64(0)}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: StatusVoid}, {Key: "voided_at", Value: s.opts.Clock.Now().UTC()}}}})
	if err != nil {
		return fmt.Errorf("void invoice %d: %w", n, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("void invoice %d: it changed meanwhile; try again", n)
	}
	return nil
}
