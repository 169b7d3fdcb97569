package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"turno/billing"
	"turno/clients"
	"turno/tickets"
)

type listTicketsInput struct {
	Status     string `query:"status" enum:"new,open,pending,solved,closed,all" doc:"One status; absent: every status but closed (the queue); all: every ticket"`
	Department string `query:"department" doc:"Only this department's tickets"`
	Assignee   string `query:"assignee" doc:"An agent's address, none (unassigned) or me"`
	Priority   string `query:"priority" enum:"high,medium,low" doc:"Priority label"`
	Requester  string `query:"requester" doc:"The requester's address (any case)"`
	Q          string `query:"q" maxLength:"200" doc:"Text in the subject (any case)"`
	Overdue    bool   `query:"overdue" doc:"true: only tickets past a service-level due time not met (first response or resolution)"`
	Cursor     string `query:"cursor" doc:"next of the previous page"`
	Limit      int    `query:"limit" minimum:"1" maximum:"500" doc:"Page size; default 50"`
}

type listTicketsOutput struct {
	Body tickets.Page
}

type numberInput struct {
	Number int64 `path:"number" minimum:"1" doc:"The ticket number"`
}

// ClientGlance is the requester's client at a glance.
type ClientGlance struct {
	ID              string                  `json:"id"`
	Name            string                  `json:"name"`
	SupportTier     string                  `json:"support_tier,omitempty"`
	Active          bool                    `json:"active" doc:"false: the client is deactivated"`
	ContractCount   int                     `json:"active_contract_count"`
	ActiveContracts []billing.ContractBrief `json:"active_contracts"`
	UnpaidCount     int                     `json:"unpaid_count" doc:"Unpaid invoices"`
	UnpaidBalance   int64                   `json:"unpaid_balance" doc:"What they still owe, in pesos"`
}

// TicketView is a ticket as an agent opens it.
type TicketView struct {
	Ticket tickets.Ticket `json:"ticket" doc:"The ticket with its events"`
	// Messages are the thread, oldest first: customer mail, replies and
	// internal notes (direction note).
	Messages []tickets.Message `json:"messages" doc:"The thread, oldest first: customer mail, agents' replies and internal notes"`
	Client   *ClientGlance     `json:"client,omitempty" doc:"The requester's client, when the ticket has one"`
	// PaymentReport is the payment report the ticket holds (payreport.go).
	PaymentReport *PaymentReportView `json:"payment_report,omitempty" doc:"The payment report the ticket holds, when it holds one"`
}

type showTicketOutput struct {
	Body TicketView
}

func (s *Server) registerTickets() {
	op := s.op("listTickets", http.MethodGet, "/tickets", "tickets", "List the queue")
	op.Description = "The tickets of the caller's departments in queue order (priority, then arrival), one page at a time. " +
		"Each carries its service-level due times (first_response_due, resolution_due) and overdue: true once past one not met."
	huma.Register(s.api, op, s.listTickets)

	op = s.op("getTicket", http.MethodGet, "/tickets/{number}", "tickets", "Show a ticket", http.StatusNotFound)
	op.Description = "A ticket with its events, its whole thread (internal notes included) and the requester's client at a glance. " +
		"A ticket outside the caller's departments is 404."
	huma.Register(s.api, op, s.getTicket)
}

func (s *Server) listTickets(ctx context.Context, in *listTicketsInput) (*listTicketsOutput, error) {
	a := actorOf(ctx)
	assignee := in.Assignee
	if assignee == "me" {
		assignee = a.Email
	}
	page, err := s.opts.Tickets.Queue(ctx, a, tickets.QueueFilter{Status: in.Status, Department: in.Department,
		Assignee: assignee, Label: in.Priority, Requester: in.Requester, Text: in.Q, Cursor: in.Cursor, Limit: in.Limit,
		Overdue: in.Overdue})
	if err != nil {
		return nil, s.fail("list tickets", err)
	}
	if page.Tickets == nil {
		page.Tickets = []tickets.Ticket{}
	}
	return &listTicketsOutput{Body: page}, nil
}

func (s *Server) getTicket(ctx context.Context, in *numberInput) (*showTicketOutput, error) {
	th, err := s.opts.Tickets.Get(ctx, actorOf(ctx), in.Number)
	if err != nil {
		return nil, s.fail("show ticket", err)
	}
	v := TicketView{Ticket: th.Ticket, Messages: th.Messages}
	if v.Messages == nil {
		v.Messages = []tickets.Message{}
	}
	if v.Client, err = s.glance(ctx, th.Ticket.ClientID); err != nil {
		return nil, s.fail("show ticket's client", err)
	}
	if v.PaymentReport, err = s.paymentReportOf(ctx, in.Number); err != nil {
		return nil, s.fail("show ticket's payment report", err)
	}
	return &showTicketOutput{Body: v}, nil
}

// glance reads the client through the registry and its billing through
// the billing service; nil when there is no client (or it is gone).
func (s *Server) glance(ctx context.Context, id string) (*ClientGlance, error) {
	if id == "" || s.opts.Clients == nil {
		return nil, nil
	}
	c, err := s.opts.Clients.Get(ctx, id)
	var nf *clients.NotFoundError
	if errors.As(err, &nf) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	g := &ClientGlance{ID: c.ID, Name: c.Name, SupportTier: c.SupportTier, Active: c.Active,
		ActiveContracts: []billing.ContractBrief{}}
	if s.opts.Billing == nil {
		return g, nil
	}
	b, err := s.opts.Billing.Glance(ctx, id)
	if err != nil {
		return nil, err
	}
	g.ActiveContracts, g.ContractCount = b.ActiveContracts, len(b.ActiveContracts)
	g.UnpaidCount, g.UnpaidBalance = b.UnpaidCount, b.UnpaidBalance
	return g, nil
}
