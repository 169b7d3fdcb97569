package tickets

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/clients"
	"turno/mailin/parse"
	"turno/msgid"
)

// How a message found its ticket (Message.Thread, Result.Thread).
const (
	ThreadTurnoRef  = "turno_reference"  // In-Reply-To/References name a Message-ID Turno sent (HMAC verified)
	ThreadStoredRef = "stored_reference" // ... or a message stored on the ticket
	ThreadSubject   = "subject_tag"      // [Ticket #N] from the requester or a contact of the client
	ThreadNew       = "new"
)

// maxRefs bounds how many referenced Message-IDs are looked up (newest first).
const maxRefs = 20

// turnoShape matches the local part msgid.New (and msgid.NewNotice) gives
// ticket mail; a reference of this shape that fails the HMAC is a forgery
// (or another installation's).
var turnoShape = regexp.MustCompile(`^t\d+\.(n\.[0-9a-f]{8}\.[0-9a-f]{8}\.)?[0-9a-f]{16}\.[0-9a-f]{16}@`)

// decision is where a message goes.
type decision struct {
	ticket     *Ticket // existing ticket to join; nil opens a new one
	reopen     bool
	how        string
	notes      []string
	mentions   int64
	linkedFrom int64
}

// thread decides which ticket a message joins. (a) A reference to a Message-ID
// Turno sent (HMAC verified) or stored for a ticket joins that ticket, whoever
// sends it: only a participant of the thread knows those IDs. (b) Otherwise a
// subject tag joins the named ticket only when the sender is its requester or
// a contact of its client. Anything else opens a new ticket, noting the tag.
// A closed ticket is reopened within the reopen window; later, a new ticket is
// opened and linked to it. unverified (the From failed the trusted server's
// authentication) honours no subject tag: anyone can write one, and the From
// that would make it count is not proven; references still join.
func (s *Service) thread(ctx context.Context, in Incoming, sender string, mem []clients.Membership, unverified bool) (decision, error) {
	var d decision
	n, how, err := s.byReference(ctx, in.Msg, &d)
	if err != nil {
		return d, err
	}
	if n == 0 && in.Msg.TicketRef != "" {
		tag, _ := strconv.ParseInt(in.Msg.TicketRef, 10, 64)
		t, err := s.getTicket(ctx, tag)
		if err != nil {
			return d, err
		}
		if t != nil && !unverified && mayUseTag(t, sender, mem) {
			n, how = tag, ThreadSubject
		} else if tag > 0 {
			d.mentions = tag
			d.notes = append(d.notes, fmt.Sprintf("mentions ticket #%d", tag))
		}
	}
	if n == 0 {
		d.how = ThreadNew
		return d, nil
	}
	t, err := s.getTicket(ctx, n)
	if err == nil {
		t, err = s.survivor(ctx, t) // merged tickets' mail joins the one they were merged into
	}
	if err != nil {
		return d, err
	}
	if t == nil {
		d.how = ThreadNew
		d.notes = append(d.notes, fmt.Sprintf("references ticket #%d, which does not exist", n))
		return d, nil
	}
	if t.Number != n {
		d.notes = append(d.notes, fmt.Sprintf("ticket #%d was merged into #%d", n, t.Number))
		n = t.Number
	}
	if t.Status == StatusClosed {
		if in.ArrivedAt.Sub(t.ClosedAt) > s.opts.ReopenWindow {
			d.how = ThreadNew
			d.linkedFrom = n
			d.notes = append(d.notes, fmt.Sprintf("continues ticket #%d, closed %s", n, t.ClosedAt.Format("2006-01-02")))
			return d, nil
		}
		// Automatic mail (an out-of-office answering our reply) joins the
		// thread but does not reopen it.
		d.reopen = in.Msg.Kind == parse.KindNormal
	}
	d.ticket, d.how = t, how
	return d, nil
}

// byReference walks In-Reply-To, then References newest first.
func (s *Service) byReference(ctx context.Context, m *parse.Message, d *decision) (int64, string, error) {
	refs := make([]string, 0, 1+len(m.References))
	seen := map[string]bool{}
	add := func(id string) {
		if id = parse.NormalizeMessageID(id); id != "" && !seen[id] && len(refs) < maxRefs {
			seen[id] = true
			refs = append(refs, id)
		}
	}
	add(m.InReplyTo)
	for i := len(m.References) - 1; i >= 0; i-- {
		add(m.References[i])
	}
	for _, id := range refs {
		if n, ok := msgid.Ticket(id, s.opts.MessageIDKey); ok && len(s.opts.MessageIDKey) > 0 {
			return n, ThreadTurnoRef, nil
		}
		if turnoShape.MatchString(id) {
			d.notes = append(d.notes, "refused a forged Turno Message-ID reference <"+id+">")
			continue
		}
		var ref struct {
			Ticket int64 `bson:"ticket"`
		}
		// The completion records are small: cheaper to scan than messages.
		err := s.c.done.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&ref)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return 0, "", failed("look up reference", err)
		}
		if ref.Ticket > 0 {
			return ref.Ticket, ThreadStoredRef, nil
		}
	}
	return 0, "", nil
}

// mayUseTag: the subject tag counts only from the ticket's requester or a
// registered contact of the ticket's client.
func mayUseTag(t *Ticket, sender string, mem []clients.Membership) bool {
	if sender == "" {
		return false
	}
	if sender == t.Requester.Address {
		return true
	}
	if t.ClientID == "" {
		return false
	}
	for _, m := range mem {
		if m.ClientID == t.ClientID {
			return true
		}
	}
	return false
}

func (s *Service) getTicket(ctx context.Context, n int64) (*Ticket, error) {
	if n <= 0 {
		return nil, nil
	}
	var t Ticket
	err := s.c.tickets.FindOne(ctx, bson.D{{Key: "_id", Value: ticketID(n)}}).Decode(&t)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, failed(fmt.Sprintf("read ticket %d", n), err)
	}
	return &t, nil
}
