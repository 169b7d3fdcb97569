package mailout

// Message is one email as a caller enqueues it. The outbox stores it (the
// template data as JSON) and renders it with package templates at send time.
// This is the contract between mailout and every package that sends mail
// (tickets, clients, billing); those declare their own one-method interface:
//
//	type Mailer interface {
//		Enqueue(ctx context.Context, m mailout.Message) (id string, err error)
//	}
//
// Enqueue is idempotent by Key: a second call with the same Key changes
// nothing and returns the existing entry's id.
type Message struct {
	// Key is the caller's idempotency key, e.g. "ticket-ack:<message-id>",
	// "invoice:<id>:issued:<recipient>". Required.
	Key string
	// Template names a template in package templates (e.g. "ticket_ack"),
	// Lang its language ("" = "es"), Data its typed data (templates.TicketAck…).
	Template string
	Lang     string
	Data     any
	// Recipients. To is required.
	To []string
	Cc []string
	// ReplyTo, if set, is where answers should go (e.g. the support address).
	ReplyTo string
	// Ticket, if not 0, makes this ticket mail: a [Ticket #N] subject tag and
	// an HMAC-carrying Message-ID from package msgid.
	Ticket int64
	// Threading headers for ticket replies (Message-IDs with brackets).
	InReplyTo  string
	References []string
	// MessageID, if set, is the Message-ID to send with (with angle
	// brackets, a well-formed msg-id): a caller that records it before
	// enqueueing (an agent's reply on its ticket) chooses it. Empty: the
	// outbox makes one (msgid.New).
	MessageID string
	// FromName and FromAddress, if set, replace the configured From for
	// this message (an agent's reply comes from the department's address
	// under "Agent — Team"). The SMTP envelope sender (MAIL FROM) stays
	// the configured mail.from_address: it is the address the operator's
	// SPF record and relay account are set up for, and where bounces
	// return to be matched by the intake. DMARC passes when the From
	// domain aligns with that envelope domain (relaxed alignment: the same
	// organisational domain, as soporte@ and ventas@ of one provider are)
	// or with the relay's DKIM domain; a department address on another
	// domain needs DKIM for that domain.
	FromName    string
	FromAddress string
	// Attachments, e.g. the invoice PDF. Kept small: they are stored in the
	// outbox entry.
	Attachments []Attachment
	// Priority orders the drain: higher first (a password mail before a
	// batch of invoices). See the Priority* constants.
	Priority int
	// Sensitive entries (a password or set-password link in Data) have their
	// body purged once sent or failed; only metadata remain.
	Sensitive bool
	// AutoSubmitted is the Auto-Submitted header value: "auto-replied" for
	// automatic answers, "auto-generated" for billing and account mail (and
	// the default). "no" is a person's mail (an agent's reply): it carries
	// neither Auto-Submitted nor X-Auto-Response-Suppress, like any mail a
	// person writes, so the customer's mail system treats it as such.
	AutoSubmitted string
	// ClientID and Kind let the outbox honour a client's per-kind opt-out
	// (Kind: "invoice", "collection_note", "payment_confirmation",
	// "ticket", "account"); empty: no opt-out applies.
	ClientID string
	Kind     string
}

// Attachment is a file sent with a message.
type Attachment struct {
	Filename    string
	ContentType string
	Data        []byte
}

// Drain priorities: higher goes first.
const (
	PriorityBulk    = 0  // invoices, collection notes
	PriorityTicket  = 10 // acknowledgements, replies
	PriorityAccount = 20 // password and welcome mail
)
