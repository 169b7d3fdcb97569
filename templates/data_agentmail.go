package templates

import "time"

// AgentMailHeld ("agent_mail_held") tells the sender of a mail that came in
// as an answer to a ticket (a reply to an agent notification or to ticket
// mail) why it was not applied and is held for review: nothing of it
// reached the customer. It repeats none of the mail's words (the sender
// may be anyone, and the From anybody's): only the ticket number, when the
// mail arrived and the reason.
type AgentMailHeld struct {
	TicketNumber int64     `json:"ticket_number"`
	ReceivedAt   time.Time `json:"received_at"`
	// Reason is one of: unknown_sender, inactive_agent, no_access, merged,
	// closed, stale, unauthenticated, no_ticket, bad_command, empty.
	Reason string `json:"reason"`
	// MergedInto is the ticket that took this one's mail (reason merged).
	MergedInto int64 `json:"merged_into,omitempty"`
	// HeldKey is the held item's key ("held:<hex>"): with reason
	// unauthenticated, the agent confirms the mail with it (turno tickets
	// release, or the API).
	HeldKey string `json:"held_key,omitempty"`
}

func sampleAgentMailHeld() any {
	return AgentMailHeld{TicketNumber: 10482, ReceivedAt: sampleDay(2026, time.December, 2, 9, 40), Reason: "stale"}
}
