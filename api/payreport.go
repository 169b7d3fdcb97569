package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"turno/mailin/parse/payreport"
	"turno/tickets"
)

// Payment reports held on tickets (tickets/payreport.go): an agent
// confirms one (billing records the payment, idempotent by the report's
// operation number, and mails payment_received) or rejects it (the
// customer is answered). The ticket view carries the report.

// PaymentReportView is a ticket's payment report as agents see it.
type PaymentReportView struct {
	Ticket   int64            `json:"ticket"`
	ClientID string           `json:"client_id,omitempty" doc:"The reporting client; empty for an unknown sender"`
	Source   string           `json:"source" enum:"mail,portal" doc:"Read from a mail to the payments department, or entered in the portal"`
	State    string           `json:"state" enum:"proposed,confirmed,rejected"`
	Report   payreport.Report `json:"report" doc:"What the customer reported; null where not found"`
	Receipt  *tickets.Receipt `json:"receipt,omitempty" doc:"The proof of payment attached, when there is one"`
	Proposed []int64          `json:"proposed" doc:"The unpaid invoices the report probably pays (confirm pays these by default)"`
	Match    string           `json:"match" doc:"Why those invoices (or why none)"`
	// The decision.
	PaymentID string     `json:"payment_id,omitempty" doc:"Confirmed: the payment recorded"`
	Paid      []int64    `json:"paid,omitempty" doc:"Confirmed: the invoices paid"`
	Amount    int64      `json:"amount,omitempty" doc:"Confirmed: the amount recorded, whole pesos"`
	Reason    string     `json:"reason,omitempty" doc:"Rejected: the reason given to the customer"`
	DecidedBy string     `json:"decided_by,omitempty" doc:"The agent who confirmed or rejected it"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}

func reportView(r *tickets.PaymentReport) *PaymentReportView {
	if r == nil {
		return nil
	}
	v := &PaymentReportView{Ticket: r.Ticket, ClientID: r.ClientID, Source: r.Source, State: r.State, Report: r.Report,
		Receipt: r.Receipt, Proposed: r.Proposed, Match: r.Match, PaymentID: r.PaymentID, Paid: r.Paid, Amount: r.Amount,
		Reason: r.Reason, DecidedBy: r.DecidedBy, CreatedAt: r.CreatedAt}
	if v.Proposed == nil {
		v.Proposed = []int64{}
	}
	if v.Report.Invoices == nil {
		v.Report.Invoices = []int64{}
	}
	if !r.DecidedAt.IsZero() {
		at := r.DecidedAt
		v.DecidedAt = &at
	}
	return v
}

type confirmPaymentInput struct {
	Number int64 `path:"number" minimum:"1" doc:"The ticket number"`
	Body   *struct {
		Invoices []int64 `json:"invoices,omitempty" maxItems:"100" doc:"The invoice numbers paid; absent: the report's proposed ones"`
		Amount   int64   `json:"amount,omitempty" minimum:"1" doc:"The amount paid, whole pesos; absent: the report's"`
	}
}

type rejectPaymentInput struct {
	Number int64 `path:"number" minimum:"1" doc:"The ticket number"`
	Body   struct {
		Reason string `json:"reason" minLength:"1" maxLength:"10000" doc:"Why: the customer reads it, as written"`
	}
}

type paymentReportOutput struct {
	Body *PaymentReportView
}

func (s *Server) registerPaymentReports() {
	op := s.op("confirmPayment", http.MethodPost, "/tickets/{number}/payment/confirm", "tickets",
		"Confirm the payment report on a ticket", http.StatusNotFound, http.StatusConflict, http.StatusServiceUnavailable)
	op.Description = "Records the payment the ticket's report describes through billing (the invoices are marked paid and " +
		"payment_received is mailed to the client's principal address), by default to the report's proposed invoices and " +
		"for its amount. Idempotent by the report's operation number: confirming again answers the same payment. 400 for " +
		"bad input (no report on the ticket, no invoice proposed or named, another client's or an unknown invoice); 409 " +
		"when the report was rejected, or confirmed with other invoices or another amount."
	huma.Register(s.api, op, s.confirmPayment)

	op = s.op("rejectPayment", http.MethodPost, "/tickets/{number}/payment/reject", "tickets",
		"Reject the payment report on a ticket", http.StatusNotFound, http.StatusConflict)
	op.Description = "Marks the report rejected and answers the customer on the ticket, in their language, with the reason " +
		"as written (the ticket is left pending). Rejecting again sends nothing more; 409 when the report was confirmed."
	huma.Register(s.api, op, s.rejectPayment)
}

func (s *Server) confirmPayment(ctx context.Context, in *confirmPaymentInput) (*paymentReportOutput, error) {
	var ci tickets.ConfirmInput
	if in.Body != nil {
		ci = tickets.ConfirmInput{Invoices: in.Body.Invoices, Amount: in.Body.Amount}
	}
	r, err := s.opts.Tickets.ConfirmPayment(ctx, actorOf(ctx), in.Number, ci)
	if err != nil {
		return nil, s.payFail("confirm payment", err)
	}
	return &paymentReportOutput{Body: reportView(r)}, nil
}

func (s *Server) rejectPayment(ctx context.Context, in *rejectPaymentInput) (*paymentReportOutput, error) {
	r, err := s.opts.Tickets.RejectPayment(ctx, actorOf(ctx), in.Number, in.Body.Reason)
	if err != nil {
		return nil, s.payFail("reject payment", err)
	}
	return &paymentReportOutput{Body: reportView(r)}, nil
}

// payFail is fail plus the payment reports' own refusals.
func (s *Server) payFail(op string, err error) error {
	var dec *tickets.DecidedError
	switch {
	case errors.As(err, &dec):
		return newErr(http.StatusConflict, CodeConflict, "", "%s", dec.Msg)
	case errors.Is(err, tickets.ErrPaymentsUnavailable):
		return newErr(http.StatusServiceUnavailable, CodeUnavailable, "", "payments are not available here: billing is not wired")
	}
	return s.fail(op, err)
}

// paymentReportOf is the report ticket n holds for the ticket view (nil
// when none); the caller has already read the ticket in its scope.
func (s *Server) paymentReportOf(ctx context.Context, n int64) (*PaymentReportView, error) {
	r, err := s.opts.Tickets.PaymentReportOf(ctx, actorOf(ctx), n)
	if errors.Is(err, tickets.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return reportView(r), nil
}
