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

	"turno/config"
	"turno/mailout"
	"turno/scheduler"
	"turno/templates"
)

// InputError is a payment or command the caller got wrong: permanent,
// nothing was changed (HTTP 400). Err, when set, says which kind
// (ErrReferenceReused).
type InputError struct {
	Msg string
	Err error
}

func (e *InputError) Error() string { return e.Msg }

// Unwrap lets errors.Is find Err.
func (e *InputError) Unwrap() error { return e.Err }

func inputErr(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// ErrReferenceReused: a payment reference already recorded with another
// amount or other invoices (HTTP 409). It comes wrapped in an *InputError.
var ErrReferenceReused = errors.New("payment reference already used for another payment")

// PaymentRequest pays one or more invoices of one client.
type PaymentRequest struct {
	Numbers   []int64        `json:"invoices"`
	Amount    int64          `json:"amount"`
	Method    string         `json:"method"`
	Reference string         `json:"reference"` // gateway or bank operation number: the idempotency key
	Date      scheduler.Date `json:"-"`
}

// Applied is the part of a payment applied to one invoice. PaidBefore is
// what the invoice had been paid when the payment was split (for the
// record: the part is applied by adding Amount, whatever was paid since).
type Applied struct {
	InvoiceID  string `bson:"invoice_id" json:"invoice_id"`
	Number     int64  `bson:"number" json:"number"`
	Amount     int64  `bson:"amount" json:"amount"`
	PaidBefore int64  `bson:"paid_before" json:"paid_before"`
	Total      int64  `bson:"total" json:"total"`
}

// Payment statuses: applying until every part is on its invoice, then
// applied; refused when a part no longer fits (another payment paid the
// invoice meanwhile), with every part taken back off.
const (
	PaymentApplying = "applying"
	PaymentApplied  = "applied"
	PaymentRefused  = "refused"
)

// Payment is a recorded payment. _id is "ref:<reference>" when a reference
// is given, so paying the same reference twice records one payment.
type Payment struct {
	ID        string `bson:"_id" json:"id"`
	ClientID  string `bson:"client_id" json:"client_id"`
	Amount    int64  `bson:"amount" json:"amount"`
	Method    string `bson:"method" json:"method"`
	Reference string `bson:"reference,omitempty" json:"reference,omitempty"`
	Date      string `bson:"date" json:"date"`
	// Requested is the invoice numbers asked for, sorted: a reference sent
	// again with others is a conflict (payments recorded before it was
	// kept are compared by their applied numbers).
	Requested []int64   `bson:"requested,omitempty" json:"requested,omitempty"`
	Applied   []Applied `bson:"applied" json:"applied"`
	Status    string    `bson:"status" json:"status"`                     // applying, applied or refused
	Reason    string    `bson:"reason,omitempty" json:"reason,omitempty"` // why it was refused
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
}

// Pay records a payment and applies it to the invoices, oldest number
// first: each invoice gets up to its balance; a payment that leaves a
// balance is partial; a payment larger than the balances is refused. Steps,
// each repeatable: the payment document is inserted with its split (a
// repeat with the same reference finds it and resumes; with another amount
// or other invoices it is refused with ErrReferenceReused), each part is
// added to its invoice (apply), the payment is marked applied,
// payment_received goes to the principal address (key
// payment:<id>:received).
//
// Payments racing on one invoice: each part is added ($inc) only while the
// invoice is unpaid, does not carry this payment yet and has room for the
// part, in one conditional update. So concurrent payments that fit all
// land; when one no longer fits, it is refused (an *InputError saying so,
// the payment marked refused and its parts taken back off), and a retry
// with its reference answers the same refusal. None is left applying.
func (s *Service) Pay(ctx context.Context, req PaymentRequest) (*Payment, error) {
	if err := s.wired(); err != nil {
		return nil, err
	}
	req.Method, req.Reference = strings.TrimSpace(req.Method), strings.TrimSpace(req.Reference)
	if req.Amount <= 0 || len(req.Numbers) == 0 || req.Method == "" || req.Date.IsZero() {
		return nil, inputErr("a payment needs invoice numbers, an amount above zero, a method and a date")
	}
	nums := slices.Clone(req.Numbers)
	slices.Sort(nums)
	nums = slices.Compact(nums)
	id := "ref:" + req.Reference
	if req.Reference == "" {
		id = fmt.Sprintf("pay:%d", s.opts.Clock.Now().UnixNano())
	}
	var p Payment
	err := s.payments.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&p)
	switch {
	case err == nil:
		if err := p.sameAs(req.Amount, nums); err != nil {
			return nil, err
		}
		switch p.Status {
		case PaymentApplied:
			return &p, s.confirm(ctx, &p) // once more in case a crash came before it; idempotent by key
		case PaymentRefused:
			return nil, s.refused(ctx, &p)
		}
	case errors.Is(err, mongo.ErrNoDocuments):
		plan, err := s.allocate(ctx, nums, req.Amount)
		if err != nil {
			return nil, err
		}
		p = Payment{ID: id, ClientID: plan.client, Amount: req.Amount, Method: req.Method, Reference: req.Reference,
			Date: req.Date.String(), Requested: nums, Applied: plan.applied, Status: PaymentApplying, CreatedAt: s.opts.Clock.Now().UTC()}
		if _, err := s.payments.InsertOne(ctx, p); err != nil {
			if mongo.IsDuplicateKeyError(err) {
				return s.Pay(ctx, req) // a concurrent twin won: resume its payment
			}
			return nil, fmt.Errorf("record payment %s: %w", id, err)
		}
	default:
		return nil, fmt.Errorf("read payment %s: %w", id, err)
	}
	if err := s.apply(ctx, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// sameAs refuses a reference sent again for another payment: another
// amount, or other invoices.
func (p *Payment) sameAs(amount int64, nums []int64) error {
	same := p.Amount == amount
	if p.Requested != nil {
		same = same && slices.Equal(p.Requested, nums)
	} else {
		for _, a := range p.Applied {
			same = same && slices.Contains(nums, a.Number)
		}
	}
	if same {
		return nil
	}
	was := p.Requested
	if was == nil {
		for _, a := range p.Applied {
			was = append(was, a.Number)
		}
	}
	return &InputError{Err: ErrReferenceReused, Msg: fmt.Sprintf(
		"reference %s was already used for a payment of %d to invoices %v; this one is %d to invoices %v: use a new reference",
		p.Reference, p.Amount, was, amount, nums)}
}

type allocation struct {
	client  string
	applied []Applied
}

func (s *Service) allocate(ctx context.Context, nums []int64, amount int64) (allocation, error) {
	var a allocation
	left := amount
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
		return a, inputErr("overpayment: %d is %d more than the invoices' balance", amount, left)
	}
	return a, nil
}

// apply adds each part to its invoice (once: the invoice lists the
// payments on it), then marks the payment applied and confirms it by mail.
// A part that no longer fits refuses the payment (refuse). Another process
// applying the same payment (a retry racing the first try) converges with
// this one: the applied/refused decision is one conditional update of the
// payment, and whoever finds it refused takes its parts back off.
func (s *Service) apply(ctx context.Context, p *Payment) error {
	for _, part := range p.Applied {
		why, err := s.applyPart(ctx, p.ID, part)
		if err != nil {
			return err
		}
		if why != "" {
			return s.refuse(ctx, p, why)
		}
	}
	res, err := s.payments.UpdateOne(ctx, bson.D{{Key: "_id", Value: p.ID}, {Key: "status", Value: PaymentApplying}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: PaymentApplied}}}})
	if err != nil {
		return fmt.Errorf("mark payment %s applied: %w", p.ID, err)
	}
	if res.MatchedCount == 0 {
		cur, err := s.payment(ctx, p.ID)
		if err != nil {
			return err
		}
		if cur.Status == PaymentRefused {
			return s.refused(ctx, cur) // a twin refused it while we applied: take ours back off
		}
	}
	p.Status = PaymentApplied
	return s.confirm(ctx, p)
}

// applyPart adds part to its invoice in one conditional update: only while
// the invoice is unpaid, does not carry payment pid and has room for the
// part; the update that fills the invoice also marks it paid. It returns
// why the part cannot go on ("" when it is on the invoice, now or before).
// The two updates (fill, or add below the total) are tried again while
// the invoice still has room: another payment may land between them.
func (s *Service) applyPart(ctx context.Context, pid string, part Applied) (string, error) {
	base := bson.D{{Key: "_id", Value: part.InvoiceID}, {Key: "status", Value: StatusUnpaid},
		{Key: "payments", Value: bson.D{{Key: "$ne", Value: pid}}}}
	room := part.Total - part.Amount // paid may be at most this before the part
	tries := []struct {
		paid   bson.D
		update bson.D
	}{
		{bson.D{{Key: "$eq", Value: room}}, bson.D{{Key: "$set", Value: bson.D{{Key: "paid", Value: part.Total}, {Key: "status", Value: StatusPaid}}}}},
		{bson.D{{Key: "$lt", Value: room}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "paid", Value: part.Amount}}}}},
	}
	for range maxApplyTries {
		for _, try := range tries {
			filter := append(slices.Clone(base), bson.E{Key: "paid", Value: try.paid})
			update := append(slices.Clone(try.update), bson.E{Key: "$push", Value: bson.D{{Key: "payments", Value: pid}}})
			res, err := s.invoices.UpdateOne(ctx, filter, update)
			if err != nil {
				return "", fmt.Errorf("apply payment %s to invoice %d: %w", pid, part.Number, err)
			}
			if res.MatchedCount == 1 {
				return "", nil
			}
		}
		inv, err := s.invoice(ctx, part.InvoiceID)
		if err != nil {
			return "", err
		}
		switch {
		case slices.Contains(inv.Payments, pid):
			return "", nil // applied before (a retry, or a twin)
		case inv.Status != StatusUnpaid:
			return fmt.Sprintf("invoice %d is %s now: another payment or an operator changed it meanwhile; nothing was applied", part.Number, inv.Status), nil
		case inv.Paid > room:
			return fmt.Sprintf("overpayment: the %d for invoice %d is more than its balance now, %d (another payment was applied to it meanwhile); nothing was applied",
				part.Amount, part.Number, inv.Balance()), nil
		}
		// It fits: another payment landed between our two updates.
	}
	return "", fmt.Errorf("apply payment %s to invoice %d: it kept changing; retry with the same reference", pid, part.Number)
}

// maxApplyTries bounds applyPart's rounds; each failed round means another
// payment landed on the invoice meanwhile.
const maxApplyTries = 20

// refuse decides that payment p is refused for why (unless a twin already
// decided it applied, which it did only with every part on its invoice)
// and takes its parts back off.
func (s *Service) refuse(ctx context.Context, p *Payment, why string) error {
	res, err := s.payments.UpdateOne(ctx, bson.D{{Key: "_id", Value: p.ID}, {Key: "status", Value: PaymentApplying}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: PaymentRefused}, {Key: "reason", Value: why}}}})
	if err != nil {
		return fmt.Errorf("refuse payment %s: %w", p.ID, err)
	}
	cur := p
	if res.MatchedCount == 0 {
		if cur, err = s.payment(ctx, p.ID); err != nil {
			return err
		}
		if cur.Status == PaymentApplied {
			*p = *cur
			return s.confirm(ctx, p)
		}
	} else {
		cur.Status, cur.Reason = PaymentRefused, why
	}
	return s.refused(ctx, cur)
}

// refused takes every part of refused payment p off its invoice (where it
// is on one) and answers p's refusal. Each take-back is conditional on the
// invoice carrying p, so it happens once per application.
func (s *Service) refused(ctx context.Context, p *Payment) error {
	for _, part := range p.Applied {
		_, err := s.invoices.UpdateOne(ctx,
			bson.D{{Key: "_id", Value: part.InvoiceID}, {Key: "payments", Value: p.ID}, {Key: "status", Value: bson.D{{Key: "$ne", Value: StatusVoid}}}},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "paid", Value: -part.Amount}}},
				{Key: "$set", Value: bson.D{{Key: "status", Value: StatusUnpaid}}},
				{Key: "$pull", Value: bson.D{{Key: "payments", Value: p.ID}}}})
		if err != nil {
			return fmt.Errorf("take refused payment %s off invoice %d: %w", p.ID, part.Number, err)
		}
	}
	return &InputError{Msg: fmt.Sprintf("payment %s refused: %s", p.ID, p.Reason)}
}

func (s *Service) payment(ctx context.Context, id string) (*Payment, error) {
	var p Payment
	if err := s.payments.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&p); err != nil {
		return nil, fmt.Errorf("read payment %s: %w", id, err)
	}
	return &p, nil
}

func (s *Service) invoice(ctx context.Context, id string) (*Invoice, error) {
	var inv Invoice
	if err := s.invoices.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&inv); err != nil {
		return nil, fmt.Errorf("read invoice %s: %w", id, err)
	}
	return &inv, nil
}

// confirm sends payment_received to the principal address only. With the
// DTE issued on payment, the invoices this payment paid off get their tax
// documents first (ensureDTE), and the confirmation waits for them: it
// carries them, and the DTE pass calls confirm again once they are all
// answered (a refused one is left off, never claimed as issued).
func (s *Service) confirm(ctx context.Context, p *Payment) error {
	var files []mailout.Attachment
	var taxDocs []templates.TaxDocument
	if s.dteOnPayment() {
		ready := true
		for _, a := range p.Applied {
			inv, err := s.invoice(ctx, a.InvoiceID)
			if err != nil {
				return err
			}
			if inv.Status != StatusPaid {
				continue
			}
			done, err := s.ensureDTE(ctx, inv, config.DTEOnPayment, p.ID)
			if err != nil {
				return err
			}
			if !done {
				ready = false
				continue
			}
			if inv.DTE.Status == DTEOK {
				f, td, err := s.taxDocument(ctx, inv)
				if err != nil {
					return err
				}
				files, taxDocs = append(files, f), append(taxDocs, td)
			}
		}
		if !ready {
			return nil
		}
	}
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
	data := templates.PaymentReceived{ClientName: clientName(cl), Amount: p.Amount, Method: p.Method, Reference: p.Reference,
		TaxDocuments: taxDocs}
	data.Date, _ = time.ParseInLocation(time.DateOnly, p.Date, s.opts.Location)
	for _, a := range p.Applied {
		data.Invoices = append(data.Invoices, templates.AppliedLine{InvoiceNumber: a.Number, Amount: a.Amount})
	}
	for _, inv := range owed {
		data.Balance += inv.Balance()
	}
	_, err = s.opts.Mailer.Enqueue(ctx, mailout.Message{
		Key: "payment:" + p.ID + ":received", Template: "payment_received", Lang: cl.Lang, Data: data,
		To: []string{cl.Email}, Attachments: files, Priority: mailout.PriorityBulk, AutoSubmitted: "auto-generated",
		ClientID: cl.ID, Kind: "payment_confirmation",
	})
	if err != nil {
		return fmt.Errorf("enqueue payment_received for %s: %w", p.ID, err)
	}
	return nil
}
