package templates

import (
	"strings"
	"time"
)

// TicketAck ("ticket_ack") confirms to a registered contact that a new
// ticket was opened from their mail. Subject and RequesterName repeat the
// sender's words, so package tickets fills them only when the receiving
// server authenticated the From domain (a forged From of a contact must not
// make the provider mail the forger's text to its customer); the templates
// read well without them.
type TicketAck struct {
	// TicketNumber is the ticket's public number, shown as "#10482" and
	// used in the subject tag that threads replies.
	TicketNumber int64 `json:"ticket_number"`
	// Subject is the subject of the customer's mail, unfolded; any line
	// breaks are collapsed to spaces.
	Subject string `json:"subject"`
	// RequesterName is how to greet the sender; empty greets generically.
	RequesterName string `json:"requester_name"`
}

// TicketReply ("ticket_reply") carries an agent's answer on a ticket.
type TicketReply struct {
	TicketNumber  int64  `json:"ticket_number"`
	Subject       string `json:"subject"` // the ticket's subject
	RequesterName string `json:"requester_name"`
	// Body is the agent's answer as plain text. The HTML part escapes it
	// and turns blank lines into paragraphs and line breaks into <br>.
	Body string `json:"body"`
	// AgentName signs the reply; empty signs as the support team.
	AgentName string `json:"agent_name"`
	// Signature is the agent's own signature (plain text), shown below
	// the name; empty shows none.
	Signature string `json:"signature,omitempty"`
	// QuotedText is the customer message the reply answers, quoted below
	// it ("El <fecha>, <from> escribió:" and the lines prefixed with "> "
	// in text, a blockquote in HTML); empty quotes nothing. QuotedFrom
	// names its sender, QuotedDate is when it was written (zero: not
	// shown).
	QuotedFrom string    `json:"quoted_from,omitempty"`
	QuotedDate time.Time `json:"quoted_date,omitzero"`
	QuotedText string    `json:"quoted_text,omitempty"`
}

// QuotedLines is QuotedText split into lines, trailing blank lines
// dropped, for the text template to prefix each with "> ".
func (r TicketReply) QuotedLines() []string {
	s := strings.TrimRight(strings.ReplaceAll(r.QuotedText, "\r\n", "\n"), " \t\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// TicketUnknownSender ("ticket_unknown_sender") is the one reply sent to an
// address that is not a registered contact. It explains how to regain
// access: register the address as a contact, or write in with proof of
// being the holder of a service and of identity or of control of the
// company.
//
// It has no subject and no text of the mail on purpose: the sender may be
// anyone and the From anybody's address, so the reply repeats none of the
// sender's words (a spammer would otherwise have the provider mail their
// text to any address). Its own subject is fixed ("Recibimos su mensaje",
// which the outbox tags [Ticket #N]).
//
// ProviderKind (config tickets.provider_kind) decides the proof of
// identity it asks for: "hosting" (or empty) a domain name hosted with the
// provider, "isp" the holder's RUT and the service address or contract
// number.
type TicketUnknownSender struct {
	TicketNumber  int64  `json:"ticket_number"`
	SenderAddress string `json:"sender_address"` // the From address the reply goes to
	ProviderKind  string `json:"provider_kind"`  // "hosting" (default) or "isp"
}

// ISP reports whether the provider sells internet access (proof of
// identity by RUT and service address or contract number).
func (d TicketUnknownSender) ISP() bool { return d.ProviderKind == "isp" }

// TicketAttachmentTooLarge ("ticket_attachment_too_large") tells the sender
// that some attachments were dropped because they exceed the size limit.
type TicketAttachmentTooLarge struct {
	TicketNumber  int64    `json:"ticket_number"`
	Subject       string   `json:"subject"`
	RequesterName string   `json:"requester_name"`
	Filenames     []string `json:"filenames"`   // the dropped attachments
	LimitBytes    int64    `json:"limit_bytes"` // the per-attachment limit
}

// TicketUnderReview ("ticket_under_review") tells a sender, once, that their
// mail reached support but could not be processed automatically and is being
// reviewed by a person. It never repeats the sender's words (no subject, no
// name): the sender may be anyone.
type TicketUnderReview struct {
	// ReceivedAt is when the mail reached the support mailbox.
	ReceivedAt time.Time `json:"received_at"`
}
