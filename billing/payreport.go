package billing

import (
	"context"
	"errors"
	"fmt"
)

// Payments reported by customers (a ticket's payment report, confirmed by
// an agent): billing records them through Pay like a gateway's, after
// checking that every invoice is the reporting client's.

// UnpaidOf lists the client's issued invoices with a balance, oldest
// number first: what a payment report is matched against.
func (s *Service) UnpaidOf(ctx context.Context, clientID string) ([]Invoice, error) {
	if clientID == "" {
		return nil, fmt.Errorf("unpaid invoices: client ID is required")
	}
	all, err := s.Invoices(ctx, InvoiceFilter{ClientID: clientID, Status: StatusUnpaid})
	if err != nil {
		return nil, err
	}
	var out []Invoice
	for _, inv := range all {
		if inv.ClientID == clientID && inv.Balance() > 0 {
			out = append(out, inv)
		}
	}
	return out, nil
}

// PayForClient is Pay for a payment the client reported: an invoice that
// does not exist or is another client's is an *InputError (the same one
// for both, so nothing is told about other clients' invoices) and nothing
// is recorded. Idempotent by req.Reference, like Pay.
func (s *Service) PayForClient(ctx context.Context, clientID string, req PaymentRequest) (*Payment, error) {
	if clientID == "" {
		return nil, inputErr("a reported payment needs the client")
	}
	for _, n := range req.Numbers {
		inv, err := s.InvoiceByNumber(ctx, n)
		if errors.Is(err, ErrNotFound) || err == nil && inv.ClientID != clientID {
			return nil, inputErr("invoice %d is not an invoice of client %s", n, clientID)
		}
		if err != nil {
			return nil, err
		}
	}
	return s.Pay(ctx, req)
}
