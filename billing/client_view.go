package billing

import (
	"context"
	"fmt"
)

// What a client sees of its own billing (the customer portal): its issued
// invoices and each one's document, never another client's. Every read is
// scoped by the client ID the caller authenticated; an invoice of another
// client is ErrNotFound, exactly like one that does not exist.

// ClientInvoices are a client's issued invoices, unpaid and paid (void
// ones left out), by number, and what it owes in total.
func (s *Service) ClientInvoices(ctx context.Context, clientID string) ([]Invoice, int64, error) {
	if clientID == "" {
		return nil, 0, fmt.Errorf("client invoices: client ID is required")
	}
	all, err := s.Invoices(ctx, InvoiceFilter{ClientID: clientID})
	if err != nil {
		return nil, 0, err
	}
	var out []Invoice
	var owed int64
	for _, inv := range all {
		if inv.Status == StatusVoid || inv.ClientID != clientID {
			continue
		}
		owed += inv.Balance()
		out = append(out, inv)
	}
	return out, owed, nil
}

// ClientInvoice is the client's issued invoice with that number (of the
// document series issued now when the client has two with one number);
// ErrNotFound when the client has none, whoever else does.
func (s *Service) ClientInvoice(ctx context.Context, clientID string, number int64) (*Invoice, error) {
	invs, _, err := s.ClientInvoices(ctx, clientID)
	if err != nil {
		return nil, err
	}
	var found *Invoice
	for i := range invs {
		if invs[i].Number != number {
			continue
		}
		if found == nil || invs[i].series() == s.document() {
			found = &invs[i]
		}
	}
	if found == nil || number <= 0 {
		return nil, fmt.Errorf("invoice %d of client %s: %w", number, clientID, ErrNotFound)
	}
	return found, nil
}

// ClientInvoicePDF renders the client's invoice with that number (RenderPDF)
// and names the file as the invoice mail attaches it.
func (s *Service) ClientInvoicePDF(ctx context.Context, clientID string, number int64) ([]byte, string, error) {
	inv, err := s.ClientInvoice(ctx, clientID, number)
	if err != nil {
		return nil, "", err
	}
	pdf, err := s.RenderPDF(inv)
	if err != nil {
		return nil, "", fmt.Errorf("render invoice %d: %w", number, err)
	}
	return pdf, pdfFilename(inv), nil
}

// ReleaseClient issues a client's held periods now that its billing data
// are complete: Release, for this one client (the customer completed the
// data in the portal). It returns how many held periods became invoices.
func (s *Service) ReleaseClient(ctx context.Context, clientID string) (int, error) {
	n, err := s.Release(ctx, clientID)
	return n["released"], err
}
