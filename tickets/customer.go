package tickets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"turno/mailin/parse"
)

// The customer's side (the portal): a client's tickets and their public
// messages, opening a ticket and replying, all scoped to one client.
//
// A customer's request goes through Ingest like a mail, so the one path
// that opens and threads tickets keeps every rule (numbering, dedup,
// sender lookup, priority, acknowledgement, reopening): channel "portal"
// (its priority weight), mailbox "portal", From the client's principal
// address, a Message-ID derived from the client and the form's nonce (a
// resubmitted form is the same message: OutcomeDuplicate, the same
// ticket, even when the second request differs) and no Date. Files are
// stored as the mail they would have come in (customer_files.go). A
// reply names the ticket by its subject tag and In-Reply-To its first
// message, so it joins as the requester's mail would.

// Bounds of what a customer writes.
const (
	MaxCustomerSubject = 200
	MaxCustomerText    = 20000
)

// CustomerRequest is a ticket or reply a customer writes.
type CustomerRequest struct {
	ClientID string
	// From is the address the customer writes as (the client's principal
	// address, or a contact's), Name its display name.
	From, Name string
	Department string // for a new ticket; one of Options.Departments when set
	Subject    string // for a new ticket
	Text       string
	// Nonce is the form's one-time value: the same nonce is one message,
	// whatever a second request with it holds.
	Nonce string
	// Files attached (customer_files.go), stored in Store; Store may be
	// nil when there are none.
	Files []CustomerFile
	Store FileStore
}

// check refuses a request that cannot be accepted with an *InputError
// naming the form field (subject, text, department).
func (r CustomerRequest) check(newTicket bool, depts []string) error {
	if r.ClientID == "" || r.From == "" || r.Nonce == "" {
		return errors.New("customer request: client, sender and nonce are required")
	}
	if newTicket {
		if strings.TrimSpace(r.Subject) == "" {
			return &InputError{"subject", "is required"}
		}
		if utf8.RuneCountInString(r.Subject) > MaxCustomerSubject || strings.ContainsAny(r.Subject, "\r\n") {
			return &InputError{"subject", fmt.Sprintf("must be one line of at most %d characters", MaxCustomerSubject)}
		}
		if len(depts) > 0 && !containsStr(depts, r.Department) {
			return &InputError{"department", "is not one of the departments offered"}
		}
	}
	if strings.TrimSpace(r.Text) == "" {
		return &InputError{"text", "is required"}
	}
	if utf8.RuneCountInString(r.Text) > MaxCustomerText {
		return &InputError{"text", fmt.Sprintf("must be at most %d characters", MaxCustomerText)}
	}
	if !utf8.ValidString(r.Text) || !utf8.ValidString(r.Subject) {
		return &InputError{"text", "is not valid text"}
	}
	return checkFiles(r.Files)
}

func containsStr(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// customerMessage is the request as the parsed mail Ingest takes.
func customerMessage(r CustomerRequest, subject string) *parse.Message {
	h := sha256.Sum256([]byte(r.ClientID + "\x00" + r.Nonce))
	return &parse.Message{
		MessageID: "portal." + hex.EncodeToString(h[:16]) + "@turno.portal",
		Subject:   subject,
		From:      &parse.Address{Name: r.Name, Address: strings.ToLower(strings.TrimSpace(r.From))},
		Kind:      parse.KindNormal,
		Text:      strings.ReplaceAll(strings.TrimSpace(r.Text), "\r\n", "\n"),
	}
}

// OpenForClient opens a ticket for a customer (channel portal). The ticket
// belongs to the client only when the sender is one of its contacts; a
// request from an address that is not is refused.
func (s *Service) OpenForClient(ctx context.Context, r CustomerRequest) (int64, error) {
	if err := r.check(true, s.opts.Departments); err != nil {
		return 0, err
	}
	if err := s.isContact(ctx, r.ClientID, r.From); err != nil {
		return 0, err
	}
	m := customerMessage(r, strings.TrimSpace(r.Subject))
	if seen, err := s.seenRequest(ctx, m); err != nil || seen != nil {
		if seen == nil {
			return 0, err
		}
		return seen.Ticket, err
	}
	ref, err := s.storeFiles(ctx, r, m)
	if err != nil {
		return 0, err
	}
	res, err := s.Ingest(ctx, Incoming{Msg: m, Mailbox: "portal",
		Department: r.Department, Channel: ChannelPortal, RawRef: ref})
	if err != nil {
		return 0, err
	}
	return res.Ticket, nil
}

// ReplyForClient adds a customer's message to the client's ticket n (which
// reopens it as the customer's mail would). Another client's ticket is
// ErrNotFound.
func (s *Service) ReplyForClient(ctx context.Context, n int64, r CustomerRequest) error {
	if err := r.check(false, nil); err != nil {
		return err
	}
	t, err := s.clientTicket(ctx, r.ClientID, n)
	if err != nil {
		return err
	}
	if err := s.isContact(ctx, r.ClientID, r.From); err != nil {
		return err
	}
	m := customerMessage(r, fmt.Sprintf("Re: %s [Ticket #%d]", t.Subject, t.Number))
	m.TicketRef = fmt.Sprint(t.Number)
	m.InReplyTo = t.Origin
	if seen, err := s.seenRequest(ctx, m); err != nil || seen != nil {
		return err
	}
	ref, err := s.storeFiles(ctx, r, m)
	if err != nil {
		return err
	}
	_, err = s.Ingest(ctx, Incoming{Msg: m, Mailbox: "portal", Department: t.Department, Channel: ChannelPortal, RawRef: ref})
	return err
}

func (s *Service) isContact(ctx context.Context, clientID, addr string) error {
	mem, err := s.lookup(ctx, strings.ToLower(strings.TrimSpace(addr)))
	if err != nil {
		return err
	}
	for _, m := range mem {
		if m.ClientID == clientID {
			return nil
		}
	}
	return fmt.Errorf("%s is not a contact of client %s", addr, clientID)
}

// clientTicket is ticket n when it is clientID's, else ErrNotFound.
func (s *Service) clientTicket(ctx context.Context, clientID string, n int64) (*Ticket, error) {
	t, err := s.getTicket(ctx, n)
	if err != nil {
		return nil, err
	}
	if t == nil || clientID == "" || t.ClientID != clientID {
		return nil, fmt.Errorf("ticket %d: %w", n, ErrNotFound)
	}
	return t, nil
}

// ClientTickets are the client's tickets, newest first, at most limit (0:
// 100): the client's index document, then each ticket by _id.
func (s *Service) ClientTickets(ctx context.Context, clientID string, limit int) ([]Ticket, error) {
	if limit <= 0 {
		limit = 100
	}
	nums, err := s.clientTicketNumbers(ctx, clientID)
	if err != nil {
		return nil, err
	}
	var out []Ticket
	for _, n := range nums {
		if len(out) >= limit {
			break
		}
		t, err := s.getTicket(ctx, n)
		if err != nil {
			return nil, err
		}
		if t != nil && t.ClientID == clientID {
			t.Events = nil
			out = append(out, *t)
		}
	}
	return out, nil
}

// ClientThread is the client's ticket n with the messages the customer may
// see: their own mail and requests and the agents' replies that went out,
// oldest first; never internal notes, held items or replies not sent.
// Another client's ticket is ErrNotFound.
func (s *Service) ClientThread(ctx context.Context, clientID string, n int64) (*Ticket, []Message, error) {
	if _, err := s.clientTicket(ctx, clientID, n); err != nil {
		return nil, nil, err
	}
	t, msgs, err := s.Show(ctx, n)
	if err != nil {
		return nil, nil, err
	}
	var pub []Message
	for _, m := range msgs {
		if public(m) {
			m.HTML, m.Notes, m.Seed, m.RawRef = "", nil, nil, ""
			pub = append(pub, m)
		}
	}
	t.Events = nil
	return t, pub, nil
}

// public reports whether the customer may see m.
func public(m Message) bool {
	if m.Disposition != DispTicket {
		return false
	}
	switch m.Direction {
	case DirIn:
		return m.Kind == string(parse.KindNormal) || m.Kind == ""
	case DirReply:
		return m.State == StateSent
	}
	return false
}
