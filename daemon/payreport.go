package daemon

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"turno/billing"
	"turno/scheduler"
	"turno/tickets"
)

// Payment reports (tickets/payreport.go) reach billing through a
// tickets.PaymentLedger. The tickets service is built before billing (the
// intake starts first), so the daemon hands it a ledger at once and fills
// in billing when it starts: a report read meanwhile is a transient error,
// and the intake retries it.

// billingLedger adapts billing.Service to tickets.PaymentLedger.
type billingLedger struct {
	b atomic.Pointer[billing.Service]
}

// PaymentLedger is billing as payment reports use it (the CLI's
// confirm-payment wires it the same way).
func PaymentLedger(b *billing.Service) tickets.PaymentLedger {
	l := &billingLedger{}
	l.set(b)
	return l
}

func (l *billingLedger) set(b *billing.Service) {
	if l != nil && b != nil {
		l.b.Store(b)
	}
}

func (l *billingLedger) svc() (*billing.Service, error) {
	b := l.b.Load()
	if b == nil || !b.Wired() {
		return nil, fmt.Errorf("billing is not started yet: %w", tickets.ErrPaymentsUnavailable)
	}
	return b, nil
}

func (l *billingLedger) Unpaid(ctx context.Context, clientID string) ([]tickets.UnpaidInvoice, error) {
	b, err := l.svc()
	if err != nil {
		return nil, err
	}
	invs, err := b.UnpaidOf(ctx, clientID)
	if err != nil {
		return nil, err
	}
	out := make([]tickets.UnpaidInvoice, 0, len(invs))
	for _, inv := range invs {
		out = append(out, tickets.UnpaidInvoice{Number: inv.Number, Balance: inv.Balance()})
	}
	return out, nil
}

func (l *billingLedger) RecordPayment(ctx context.Context, o tickets.PaymentOrder) (string, error) {
	b, err := l.svc()
	if err != nil {
		return "", err
	}
	d, err := scheduler.ParseDate(o.Date)
	if err != nil {
		return "", &tickets.InputError{Field: "date", Msg: fmt.Sprintf("the report's date %q is not a date", o.Date)}
	}
	p, err := b.PayForClient(ctx, o.ClientID, billing.PaymentRequest{Numbers: o.Invoices, Amount: o.Amount,
		Method: o.Method, Reference: o.Reference, Date: d})
	var in *billing.InputError
	if errors.As(err, &in) {
		return "", &tickets.InputError{Field: "invoices", Msg: in.Msg}
	}
	if err != nil {
		return "", err
	}
	return p.ID, nil
}

// wirePaymentReports gives the tickets service its ledger (billing filled
// in by startBilling) and the payments department (tickets.payments_department).
func (d *Daemon) wirePaymentReports() {
	d.payLedger = &billingLedger{}
	d.Tickets.SetPaymentLedger(d.payLedger, d.opts.Config.Tickets.PaymentsDepartment)
}
