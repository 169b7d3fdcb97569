package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"turno/mailin/parse/payreport"
	"turno/tickets"
)

// POST /api/v1/portal/payment-reports: the portal's "Reportar pago" as
// JSON, through tickets.OpenPaymentReport. A receipt file is not taken
// here yet: storing it needs the raw file store, which Options lacks.

type portalPayReportInput struct {
	Key  string `header:"Idempotency-Key" maxLength:"200" doc:"The same key opens one report"`
	Body struct {
		Invoices  []int64 `json:"invoices" minItems:"1" maxItems:"50" doc:"Numbers of the client's unpaid documents paid"`
		Amount    int64   `json:"amount" minimum:"1" doc:"Whole pesos"`
		Method    string  `json:"method" enum:"transferencia,deposito,webpay,efectivo,cheque,mercadopago,tenpo,mach"`
		Bank      string  `json:"bank,omitempty" maxLength:"60"`
		Date      string  `json:"date" format:"date" doc:"The day paid, YYYY-MM-DD"`
		Operation string  `json:"operation,omitempty" maxLength:"60" doc:"The bank's operation number"`
	}
}

type portalPayReportOutput struct {
	Body struct {
		Ticket int64 `json:"ticket" doc:"The ticket holding the report, in the payments department"`
	}
}

func (s *Server) registerPortalPayReports() {
	op := s.portalOp("portalPaymentReport", http.MethodPost, "/payment-reports", "Report a payment")
	op.Description = "Opens a ticket in the payments department holding the report, for an agent to confirm. " +
		"The documents must be the client's unpaid ones (else 400, field invoices). No receipt file is taken here."
	op.DefaultStatus = http.StatusCreated
	huma.Register(s.api, op, s.portalPayReport)
}

func (s *Server) portalPayReport(ctx context.Context, in *portalPayReportInput) (*portalPayReportOutput, error) {
	c, err := s.portalClient(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body
	r := payreport.Report{Invoices: b.Invoices, Amount: &b.Amount, Method: &b.Method, Date: &b.Date}
	if b.Bank != "" {
		r.Bank = &b.Bank
	}
	if b.Operation != "" {
		r.Operation = &b.Operation
	}
	doc, err := s.opts.Tickets.OpenPaymentReport(ctx, tickets.PortalCustomer{ClientID: c.ID, From: c.Email, Name: c.Name,
		Nonce: nonceOr(in.Key)}, r, nil)
	if err != nil {
		return nil, s.fail("payment report", err)
	}
	s.log.Info("api: portal payment reported", "client", c.ID, "ticket", doc.Ticket, "amount", b.Amount)
	out := &portalPayReportOutput{}
	out.Body.Ticket = doc.Ticket
	return out, nil
}
