package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"turno/billing"
	"turno/clients"
	"turno/tickets"
)

// clientPanel is the requester's client beside a ticket: the record, its
// contacts, what it has contracted and owes, its recent tickets (those the
// agent may see) and the ticket's payment report. Every fact comes from a
// domain package: clients.Registry, billing.Service, tickets.Service.
type clientPanel struct {
	ID, Name, TaxID, Tier string
	Active                bool
	Contacts              []clients.Contact
	// Billing is false without a billing service (nothing shown of it).
	Billing   bool
	Contracts []contractLine
	Unpaid    []invoiceLine
	Balance   string
	Recent    []tickets.Ticket
}

type contractLine struct{ ID, Description, Amount string }

type invoiceLine struct {
	Number           int64
	Period, Due      string
	Total, Remaining string
}

// reportView is the ticket's payment report with what the forms need.
type reportView struct {
	R        *tickets.PaymentReport
	Amount   string // reported, "" when the report has none
	Paid     string // confirmed amount
	Proposed string // invoice numbers, "12, 14"
	Decided  bool
	Reason   string // a rejection's reason typed, kept when refused
}

// money formats a contract amount: pesos, or thousandths of a UF.
func money(currency string, v int64) string {
	if currency == billing.UF {
		return fmt.Sprintf("UF %d,%03d", v/1000, v%1000)
	}
	return tickets.Pesos(v)
}

func joinNumbers(ns []int64) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(s, ", ")
}

// clientPanel reads the client of t; nil when the ticket has none, the
// registry is not wired or the client is gone.
func (c *Console) clientPanel(ctx context.Context, a tickets.Actor, t tickets.Ticket) (*clientPanel, error) {
	if c.o.Clients == nil || t.ClientID == "" {
		return nil, nil
	}
	cl, err := c.o.Clients.Get(ctx, t.ClientID)
	var nf *clients.NotFoundError
	if errors.As(err, &nf) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p := &clientPanel{ID: cl.ID, Name: cl.Name, TaxID: cl.Billing.TaxID, Tier: cl.SupportTier, Active: cl.Active}
	if p.Contacts, err = c.o.Clients.Contacts(ctx, cl.ID); err != nil {
		return nil, err
	}
	if c.o.Billing != nil {
		p.Billing = true
		g, err := c.o.Billing.Glance(ctx, cl.ID)
		if err != nil {
			return nil, err
		}
		for _, k := range g.ActiveContracts {
			p.Contracts = append(p.Contracts, contractLine{ID: k.ID, Description: k.Description, Amount: money(k.Currency, k.Amount)})
		}
		invs, err := c.o.Billing.UnpaidOf(ctx, cl.ID)
		if err != nil {
			return nil, err
		}
		var owed int64
		for _, inv := range invs {
			owed += inv.Balance()
			p.Unpaid = append(p.Unpaid, invoiceLine{Number: inv.Number, Period: inv.Period, Due: inv.DueDate,
				Total: tickets.Pesos(inv.Total), Remaining: tickets.Pesos(inv.Balance())})
		}
		p.Balance = tickets.Pesos(owed)
	}
	recent, err := c.o.Tickets.RecentClientTickets(ctx, a, cl.ID, 6)
	if err != nil {
		return nil, err
	}
	for _, r := range recent {
		if r.Number != t.Number && len(p.Recent) < 5 {
			p.Recent = append(p.Recent, r)
		}
	}
	return p, nil
}

// report is ticket n's payment report for the page; nil when it has none.
func (c *Console) report(ctx context.Context, a tickets.Actor, n int64) (*reportView, error) {
	r, err := c.o.Tickets.PaymentReportOf(ctx, a, n)
	if errors.Is(err, tickets.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v := &reportView{R: r, Proposed: joinNumbers(r.Proposed), Decided: r.State != tickets.ReportProposed}
	if r.Report.Amount != nil {
		v.Amount = tickets.Pesos(*r.Report.Amount)
	}
	if r.Amount != 0 {
		v.Paid = tickets.Pesos(r.Amount)
	}
	return v, nil
}

// paymentAction confirms or rejects ticket n's payment report with the
// agent as the actor. Confirm takes the report's invoices and amount
// unless the form names invoices ("12, 14"); reject needs a reason (the
// customer reads it). A refusal renders the page with the reason: a
// decision already taken (*tickets.DecidedError) says which.
func (c *Console) paymentAction(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, ok := ticketNumber(r)
		if !ok {
			c.Site.Error(w, r, http.StatusNotFound)
			return
		}
		ctx := r.Context()
		a := agentOf(r)
		act := a.Actor()
		reason := r.PostForm.Get("reason")
		var err error
		switch kind {
		case "confirm":
			var in tickets.ConfirmInput
			in, err = confirmInput(r.PostForm.Get("invoices"))
			if err == nil {
				_, err = c.o.Tickets.ConfirmPayment(ctx, act, n, in)
			}
		case "reject":
			_, err = c.o.Tickets.RejectPayment(ctx, act, n, reason)
		}
		var ie *tickets.InputError
		var de *tickets.DecidedError
		keep := ticketView{Reason: reason}
		switch {
		case err == nil:
			c.log.Info("console: payment "+kind, "agent", a.Email, "ticket", n)
			http.Redirect(w, r, fmt.Sprintf("%s/tickets/%d?done=%s#payment", Prefix, n, kind), http.StatusSeeOther)
		case errors.Is(err, tickets.ErrNotFound):
			c.Site.Error(w, r, http.StatusNotFound)
		case errors.As(err, &de):
			keep.Error = c.decided(r, de.Report)
			c.renderTicket(w, r, n, http.StatusConflict, keep)
		case errors.As(err, &ie):
			keep.Error = c.inputMessage(r, ie.Field, ie.Msg)
			c.renderTicket(w, r, n, http.StatusBadRequest, keep)
		case errors.Is(err, tickets.ErrPaymentsUnavailable):
			keep.Error = c.Site.T(r, "payment.unavailable")
			c.renderTicket(w, r, n, http.StatusServiceUnavailable, keep)
		default:
			c.internal(w, r, "payment "+kind, err)
		}
	}
}

// confirmInput reads the invoices field: numbers separated by commas or
// spaces; empty takes the report's.
func confirmInput(s string) (tickets.ConfirmInput, error) {
	var in tickets.ConfirmInput
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		v, err := strconv.ParseInt(strings.TrimPrefix(f, "#"), 10, 64)
		if err != nil || v <= 0 {
			return in, &tickets.InputError{Field: "invoices", Msg: fmt.Sprintf("%q is not an invoice number", f)}
		}
		in.Invoices = append(in.Invoices, v)
	}
	return in, nil
}

// decided says what was decided already: "Ya se confirmó como el pago X
// de $45.990 (facturas 12) por Ana" or "Ya se rechazó: motivo".
func (c *Console) decided(r *http.Request, rep *tickets.PaymentReport) string {
	if rep == nil {
		return c.Site.T(r, "payment.decided")
	}
	if rep.State == tickets.ReportRejected {
		return c.Site.T(r, "payment.decided.rejected", rep.DecidedBy, rep.Reason)
	}
	return c.Site.T(r, "payment.decided.confirmed", rep.DecidedBy, rep.PaymentID, tickets.Pesos(rep.Amount), joinNumbers(rep.Paid))
}
