package billing

import (
	"context"
	"fmt"

	"turno/scheduler"
)

// ContractBrief is a contract as an agent sees it beside a ticket.
type ContractBrief struct {
	ID          string `json:"id"`
	Description string `json:"plan"`
	Currency    string `json:"currency"`
	// Amount in pesos (CLP) or thousandths of a UF (UF).
	Amount int64 `json:"amount"`
}

// Glance is one client's billing at a glance: what it has contracted and
// what it owes.
type Glance struct {
	ActiveContracts []ContractBrief `json:"active_contracts"`
	UnpaidCount     int             `json:"unpaid_count"`
	UnpaidBalance   int64           `json:"unpaid_balance"`
}

// Glance summarises a client's active contracts (active and not ended
// before today's business date) and unpaid invoices. A client with no
// contracts or invoices has an empty Glance, not an error.
func (s *Service) Glance(ctx context.Context, clientID string) (*Glance, error) {
	if clientID == "" {
		return nil, fmt.Errorf("glance: client ID is required")
	}
	cs, err := s.Contracts(ctx, clientID)
	if err != nil {
		return nil, err
	}
	today := scheduler.DateOf(s.opts.Clock.Now(), s.opts.Location).String()
	g := &Glance{ActiveContracts: []ContractBrief{}}
	for _, c := range cs {
		if !c.Active || (c.End != "" && c.End < today) {
			continue
		}
		g.ActiveContracts = append(g.ActiveContracts, ContractBrief{ID: c.ID, Description: c.Description,
			Currency: c.Currency, Amount: c.Amount})
	}
	invs, err := s.Invoices(ctx, InvoiceFilter{ClientID: clientID, Status: StatusUnpaid})
	if err != nil {
		return nil, err
	}
	for _, inv := range invs {
		if b := inv.Balance(); b > 0 {
			g.UnpaidCount++
			g.UnpaidBalance += b
		}
	}
	return g, nil
}
