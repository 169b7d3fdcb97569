package templates

import "strings"

// AgentNotification ("agent_notification") tells an agent what happened on
// a ticket: a new ticket in their department, a customer's reply, a ticket
// assigned to them, a note that mentions them, or a missed service-level
// target. It shows the ticket, its requester and their client (tier,
// unpaid balance), the priority and the new message's text (quoted
// history already stripped), and says how to answer by mail. It goes to
// the agent, never to a customer (package notify).
type AgentNotification struct {
	TicketNumber int64  `json:"ticket_number"`
	Subject      string `json:"subject"` // the ticket's subject
	// Event is new, reply, assign, mention or sla.
	Event string `json:"event"`
	// AgentName greets the agent; empty greets generically.
	AgentName string `json:"agent_name,omitempty"`
	// Actor is who caused the event (assign: who assigned; mention: who
	// wrote the note), as "Name <address>" or an address; empty for the
	// customer and the system.
	Actor string `json:"actor,omitempty"`
	// SLATarget is first_response or resolution (event sla).
	SLATarget string `json:"sla_target,omitempty"`
	// RequesterName and RequesterAddress are who wrote in.
	RequesterName    string `json:"requester_name,omitempty"`
	RequesterAddress string `json:"requester_address"`
	// Unverified: the requester is not a registered contact.
	Unverified bool `json:"unverified,omitempty"`
	// ClientName is the requester's client ("" when none); ClientTier its
	// support tier, UnpaidCount and UnpaidBalance (pesos) what it owes.
	ClientName    string `json:"client_name,omitempty"`
	ClientTier    string `json:"client_tier,omitempty"`
	UnpaidCount   int    `json:"unpaid_count,omitempty"`
	UnpaidBalance int64  `json:"unpaid_balance,omitempty"`
	// Priority is the ticket's label: high, medium or low.
	Priority   string `json:"priority"`
	Department string `json:"department,omitempty"`
	// Text is the new message's text (the customer's mail or the note),
	// without quoted history; TextCut says it was shortened.
	Text    string `json:"text,omitempty"`
	TextCut bool   `json:"text_cut,omitempty"`
	// Automatic counts automatic messages (out-of-office answers, list
	// mail) that reached the ticket since the last notification and were
	// not notified on their own.
	Automatic int `json:"automatic,omitempty"`
}

// TextLines is Text split into lines, trailing blank lines dropped, for
// the text template to prefix each with "> ".
func (n AgentNotification) TextLines() []string {
	s := strings.TrimRight(strings.ReplaceAll(n.Text, "\r\n", "\n"), " \t\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func sampleAgentNotification() any {
	return AgentNotification{
		TicketNumber: 10482, Subject: "No puedo enviar correos desde Outlook", Event: "reply",
		AgentName: "Camila Rojas", RequesterName: "María José Pérez", RequesterAddress: "maria.perez@cliente.cl",
		ClientName: "Comercial Los Andes SpA", ClientTier: "premium", UnpaidCount: 2, UnpaidBalance: 58490,
		Priority: "high", Department: "soporte",
		Text: "Hola:\n\nProbé con el puerto 587 y sigue igual: dice <error 0x800CCC0F> & no envía.\n\nGracias,\nMaría José",
	}
}
