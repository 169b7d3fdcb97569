package billing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/mailout"
	"turno/scheduler"
	"turno/templates"
)

// InputError is a payment or command the caller got wrong: permanent,
// nothing was changed (HTTP 400).
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputErr(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// PaymentRequest pays one or more invoices of one client.
type PaymentRequest struct {
	Numbers   []int64        `json:"invoices"`
	Amount    int64          `json:"amount"`
	Method    string         `json:"method"`
	Reference string         `json:"reference"` // gateway or bank operation number: the idempotency key
	Date      scheduler.Date `json:"-"`
}

// Applied is the part of a payment applied to one invoice.
type Applied struct {
	InvoiceID  string `bson:"invoice_id" json:"invoice_id"`
	Number     int64  `bson:"number" json:"number"`
	Amount     int64  `bson:"amount" json:"amount"`
	PaidBefore int64  `bson:"paid_before" json:"paid_before"`
	Total      int64  `bson:"total" json:"total"`
}

// Payment is a recorded payment. _id is "ref:<reference>" when a reference
// is given, so paying the same reference twice records one payment.
type Payment struct {
	ID        string    `bson:"_id" json:"id"`
	ClientID  string    `bson:"client_id" json:"client_id"`
	Amount    int64     `bson:"amount" json:"amount"`
	Method    string    `bson:"method" json:"method"`
	Reference string    `bson:"reference,omitempty" json:"reference,omitempty"`
	Date      string    `bson:"date" json:"date"`
	Applied   []Applied `bson:"applied" json:"applied"`
	Status    string    `bson:"status" json:"status"` // "applying", then "applied"
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
}

// Pay records a payment and applies it to the invoices, oldest number
// first: each invoice gets up to its balance; a payment that leaves a
// balance is partial; a payment larger than the balances is refused. Steps,
// each repeatable: the payment document is inserted with its allocation
// (a repeat with the same reference finds it and resumes), each invoice is
// updated only if the payment is not on it yet, payment_received goes to
// the principal address (key payment:<id>:received), the payment is marked
// applied.
func (s *Service) Pay(ctx context.Context, req PaymentRequest) (*Payment, error) {
	if err := s.wired(); err != nil {
		return nil, err
	}
	req.Method, req.Reference = strings.TrimSpace(req.Method), strings.TrimSpace(req.Reference)
	if req.Amount <= 0 || len(req.Numbers) == 0 || req.Method == "" || req.Date.IsZero() {
		return nil, inputErr("a payment needs invoice numbers, an amount above zero, a method and a date")
	}
	id := "ref:" + req.Reference
	if req.Reference == "" {
		id = fmt.Sprintf("pay:%d", s.opts.Clock.Now().UnixNano())
	}
	var p Payment
	err := s.payments.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&p)
	switch {
	case err == nil:
		if p.Amount != req.Amount {
			return nil, inputErr("reference %s was already paid with amount %d", req.Reference, p.Amount)
		}
		if p.Status == "applied" {
			return &p, nil
		}
	case errors.Is(err, mongo.ErrNoDocuments):
		plan, err := s.allocate(ctx, req)
		if err != nil {
			return nil, err
		}
		p = Payment{ID: id, ClientID: plan.client, Amount: req.Amount, Method: req.Method, Reference: req.Reference,
			Date: req.Date.String(), Applied: plan.applied, Status: "applying", CreatedAt: s.opts.Clock.Now().UTC()}
		if _, err := s.payments.InsertOne(ctx, p); err != nil {
			if mongo.IsDuplicateKeyError(err) {
				return s.Pay(ctx, req) // a concurrent twin won: resume its payment
			}
			return nil, fmt.Errorf("record payment %s: %w", id, err)
		}
	default:
		return nil, fmt.Errorf("read payment %s: %w", id, err)
	}
	return &p, s.apply(ctx, &p)
}

type allocation struct {
	client  string
	applied []Applied
}

func (s *Service) allocate(ctx context.Context, req PaymentRequest) (allocation, error) {
	nums := slices.Clone(req.Numbers)
	slices.Sort(nums)
	nums = slices.Compact(nums)
	var a allocation
	left := req.Amount
	for _, n := range nums {
		inv, err := s.InvoiceByNumber(ctx, n)
		if errors.Is(err, ErrNotFound) {
			return a, inputErr("invoice %d does not exist", n)
		}
		if err != nil {
			return a, err
		}
		if inv.Status != StatusUnpaid {
			return a, inputErr("invoice %d is %s", n, inv.Status)
		}
		if a.client != "" && inv.ClientID != a.client {
			return a, inputErr("invoices %d and %d belong to different clients", nums[0], n)
		}
		a.client = inv.ClientID
		part := min(left, inv.Balance())
		if part > 0 {
			a.applied = append(a.applied, Applied{InvoiceID: inv.ID, Number: n, Amount: part, PaidBefore: inv.Paid, Total: inv.Total})
			left -= part
		}
	}
	if left > 0 {
		return a, inputErr("overpayment: %d is %d more than the invoices' balance", req.Amount, left)
	}
	return a, nil
}

// apply writes each part on its invoice (once: the invoice lists the
// payments applied to it), confirms by mail and marks the payment applied.
func (s *Service) apply(ctx context.Context, p *Payment) error {
	for _, part := range p.Applied {
		paid := part.PaidBefore + part.Amount
		status := StatusUnpaid
		if paid >= part.Total {
			status = StatusPaid
		}
		res, err := s.invoices.UpdateOne(ctx,
			bson.D{{Key: "_id", Value: part.InvoiceID}, {Key: "payments", Value: bson.D{{Key: "$ne", Value: p.ID}}}, {Key: "paid", Value: part.PaidBefore}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "paid", Value: paid}, {Key: "status", Value: status}}},
				{Key: "$push", Value: bson.D{{Key: "payments", Value: p.ID}}}})
		if err != nil {
			return fmt.Errorf("apply payment %s to invoice %d: %w", p.ID, part.Number, err)
		}
		if res.MatchedCount == 0 {
			inv, err := s.InvoiceByNumber(ctx, part.Number)
			if err != nil {
				return err
			}
			if !slices.Contains(inv.Payments, p.ID) {
				return fmt.Errorf("apply payment %s: invoice %d changed meanwhile (paid %d, expected %d)", p.ID, part.Number, inv.Paid, part.PaidBefore)
			}
		}
	}
	if err := s.confirm(ctx, p); err != nil {
		return err
	}
	if _, err := s.payments.UpdateOne(ctx, bson.D{{Key: "_id", Value: p.ID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: "applied"}}}}); err != nil {
		return fmt.Errorf("mark payment %s applied: %w", p.ID, err)
	}
	p.Status = "applied"
	return nil
}

// confirm sends payment_received to the principal address only.
func (s *Service) confirm(ctx context.Context, p *Payment) error {
	cl, err := s.opts.Clients.Get(ctx, p.ClientID)
	if err != nil {
		return fmt.Errorf("read client %s: %w", p.ClientID, err)
	}
	if !cl.Mail.PaymentConfirmation {
		return nil
	}
	owed, err := s.Invoices(ctx, InvoiceFilter{ClientID: p.ClientID, Status: StatusUnpaid})
	if err != nil {
		return err
	}
	data := templates.PaymentReceived{ClientName: clientName(cl), Amount: p.Amount, Method: p.Method, Reference: p.Reference}
	data.Date, _ = time.ParseInLocation(time.DateOnly, p.Date, s.opts.Location)
	for _, a := range p.Applied {
		data.Invoices = append(data.Invoices, templates.AppliedLine{InvoiceNumber: a.Number, Amount: a.Amount})
	}
	for _, inv := range owed {
		data.Balance += inv.Balance()
	}
	_, err = s.opts.Mailer.Enqueue(ctx, mailout.Message{
		Key: "payment:" + p.ID + ":received", Template: "payment_received", Lang: cl.Lang, Data: data,
		To: []string{cl.Email}, Priority: mailout.PriorityBulk, AutoSubmitted: "auto-generated",
		ClientID: cl.ID, Kind: "payment_confirmation",
	})
	if err != nil {
		return fmt.Errorf("enqueue payment_received for %s: %w", p.ID, err)
	}
	return nil
}
