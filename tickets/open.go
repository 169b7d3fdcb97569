package tickets

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/clients"
	"turno/mailin/parse"
)

// newMessage builds the ticket message document from the parsed mail.
func newMessage(key string, in Incoming, sender string, mem []clients.Membership, now time.Time) *Message {
	m := in.Msg
	doc := &Message{
		Key: key, Disposition: DispTicket,
		MessageID: m.MessageID, InReplyTo: m.InReplyTo, References: m.References,
		Subject: m.Subject, Kind: string(m.Kind), KindReason: m.KindReason,
		Warnings: m.Warnings,
		To:       addrs(m.To), Cc: addrs(m.Cc),
		Mailbox: in.Mailbox, RawRef: in.RawRef, ArrivedAt: in.ArrivedAt, StoredAt: now.UTC(),
		Registered: len(mem) > 0,
	}
	if m.From != nil {
		doc.From = Address{Name: m.From.Name, Address: sender}
	}
	var cut bool
	doc.Text, cut = clip(m.Text, maxStoredText)
	doc.Quoted, _ = clip(m.Quoted, maxStoredText)
	doc.HTML, _ = clip(m.HTML, maxStoredText)
	if cut || len(m.Quoted) > maxStoredText || len(m.HTML) > maxStoredText {
		doc.Notes = append(doc.Notes, fmt.Sprintf("text cut to %d bytes per part; the raw message has it all", maxStoredText))
	}
	if o := in.Oversize; o != nil {
		doc.Oversize = o
		doc.Notes = append(doc.Notes, fmt.Sprintf("attachments dropped: the message has %d bytes, over the %d-byte limit", o.Size, o.Limit))
	}
	if m.Date != nil {
		doc.Date = m.Date.UTC()
	}
	doc.Lang = parse.GuessLang(m.Subject + "\n" + m.Text)
	if len(mem) > 0 {
		doc.ClientID = mem[0].ClientID
		if mem[0].Lang != "" {
			doc.Lang = mem[0].Lang
		}
	}
	for _, a := range m.Attachments {
		doc.Attachments = append(doc.Attachments, Attach{Filename: a.Filename, ContentType: a.ContentType,
			Size: a.Size, SHA256: a.SHA256, Inline: a.Inline})
	}
	return doc
}

// maxStoredText bounds each of text, quoted history and HTML in a message
// document, so that no message exceeds MongoDB's 16 MB document limit and
// becomes a poison message; the raw store keeps everything.
const maxStoredText = 2 << 20

// clip cuts s to at most n bytes on a UTF-8 boundary.
func clip(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], true
}

func addrs(in []parse.Address) []Address {
	var out []Address
	for _, a := range in {
		out = append(out, Address{Name: a.Name, Address: strings.ToLower(a.Address)})
	}
	return out
}

// seed is the ticket a message opens, stored in the message itself so that
// a retry creates exactly this ticket.
func (s *Service) seed(n int64, key string, in Incoming, doc *Message, mem []clients.Membership, d decision) *Ticket {
	in2 := PriorityInput{Channel: in.Channel, Registered: len(mem) > 0, Department: in.Department}
	if len(mem) > 0 {
		in2.Tier = mem[0].SupportTier
	}
	p, label := s.w.Score(in2)
	subject := doc.Subject
	if strings.TrimSpace(subject) == "" {
		subject = "(sin asunto)"
	}
	t := &Ticket{
		ID: ticketID(n), Number: n, Subject: subject, Requester: doc.From, ClientID: doc.ClientID,
		Unverified: len(mem) == 0, Department: in.Department, Channel: in.Channel, Mailbox: in.Mailbox,
		Status: StatusNew, Priority: p, Label: label, Score: p, SortKey: sortKey(p, in.ArrivedAt, n),
		Origin: key, FirstArrival: in.ArrivedAt, CreatedAt: doc.StoredAt,
		Mentions: d.mentions, LinkedFrom: d.linkedFrom,
		LastPublic: &LastPublic{Key: key, At: in.ArrivedAt},
		Events:     []Event{{At: doc.StoredAt, By: ByCustomer, Type: EventCreated, Key: key}},
		Version:    1, UpdatedAt: doc.StoredAt,
		MessageKeys: []string{key}, Keyed: true,
	}
	s.trackSLA(t, nil, doc.StoredAt) // sla.go: due times
	return t
}

// createTicket writes a seed once, by insert, and queues it. A duplicate
// _id is fine when it is this seed's ticket (a retry, a concurrent call);
// any other ticket under that number is a bug we refuse to file the
// message into. The queue marker goes in first (see projection.go); when
// another writer holds it, the projection is synced by reading instead.
func (s *Service) createTicket(ctx context.Context, t *Ticket) error {
	if t == nil {
		return &PermanentError{Err: errors.New("opening message has no ticket seed")}
	}
	tok, err := newToken()
	if err != nil {
		return err
	}
	_, err = s.c.dirty.InsertOne(ctx, dirtyDoc{ID: t.ID, Token: tok, At: s.clk.Now().UTC()})
	locked := err == nil
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return failed(fmt.Sprintf("mark ticket %d", t.Number), err)
	}
	if err := s.notifyPending(ctx, t.Number); err != nil { // notifyhook.go
		return err
	}
	if err := s.indexClientTicket(ctx, t.ClientID, t.Number); err != nil { // clientindex.go
		return err
	}
	_, err = s.c.tickets.InsertOne(ctx, t)
	created := err == nil
	if created {
		s.countOpened(ctx, t) // stats.go: the dashboard's counters
		if err := s.notifyPending(ctx, t.Number); err != nil {
			return err
		}
	}
	if err != nil {
		if !mongo.IsDuplicateKeyError(err) {
			return failed(fmt.Sprintf("create ticket %d", t.Number), err)
		}
		have, gerr := s.getTicket(ctx, t.Number)
		if gerr != nil {
			return gerr
		}
		if have == nil || have.Origin != t.Origin {
			if locked {
				s.unmark(ctx, t.Number, tok)
			}
			return &PermanentError{Err: fmt.Errorf("create ticket %d: number taken by another ticket: %w", t.Number, err)}
		}
	}
	if created && locked {
		// The common case: inserts only.
		p := *t
		p.Events = nil
		_, err = s.c.queue.InsertOne(ctx, &p)
		if err != nil && !mongo.IsDuplicateKeyError(err) {
			return failed(fmt.Sprintf("queue ticket %d", t.Number), err)
		}
		if err != nil {
			err = s.syncProjection(ctx, t.Number)
		} else {
			err = s.recordChange(ctx, t.Number) // queuecache_log.go
		}
	} else {
		err = s.syncProjection(ctx, t.Number)
	}
	if err != nil {
		return err
	}
	if locked {
		s.unmark(ctx, t.Number, tok)
	}
	return nil
}

// joinTicket records a customer message on the ticket it joined: a newer
// message (by arrival, then key) becomes LastPublic, moves a pending or
// solved ticket back to open, and reopens a closed one when the message
// reopens it (normal mail within the reopen window). Automatic mail
// changes nothing. Idempotent: a message not newer than LastPublic (this
// very message, on a retry) changes nothing.
func (s *Service) joinTicket(ctx context.Context, m *Message) error {
	if m.Ticket <= 0 || m.Disposition != DispTicket || m.Direction != DirIn {
		return nil
	}
	_, err := s.update(ctx, m.Ticket, func(t *Ticket) ([]Event, error) {
		// A "message" event the first time the message is filed here (its
		// Note is the kind of automatic mail, "" for normal mail).
		var evs []Event
		if !slices.Contains(t.MessageKeys, m.Key) {
			evs = []Event{{By: ByCustomer, Type: EventMessage, Key: m.Key}}
			if m.Kind != string(parse.KindNormal) {
				evs[0].Note = m.Kind
			}
		}
		addMessageKey(t, m.Key)
		if m.Kind != string(parse.KindNormal) {
			return evs, nil // automatic mail joins the thread and changes nothing else
		}
		if lp := t.LastPublic; lp != nil && !newerThan(m.ArrivedAt, m.Key, lp.At, lp.Key) {
			return evs, nil
		}
		t.LastPublic = &LastPublic{Key: m.Key, At: m.ArrivedAt}
		switch t.Status {
		case StatusPending, StatusSolved:
			from := t.Status
			t.Status, t.SolvedAt = StatusOpen, time.Time{}
			return append(evs, Event{By: ByCustomer, Type: EventStatus, From: from, To: StatusOpen}), nil
		case StatusClosed:
			if t.MergedInto != 0 || !(m.Reopens || m.ArrivedAt.Sub(t.ClosedAt) <= s.opts.ReopenWindow) {
				return evs, nil
			}
			t.Status, t.ReopenedAt = StatusOpen, m.ArrivedAt
			t.ClosedAt, t.SolvedAt = time.Time{}, time.Time{}
			return append(evs, Event{By: ByCustomer, Type: EventReopened, From: StatusClosed, To: StatusOpen}), nil
		}
		return evs, nil
	})
	if errors.Is(err, ErrNotFound) {
		return &PermanentError{Err: fmt.Errorf("message %s joins ticket %d: %w", m.Key, m.Ticket, err)}
	}
	return err
}

// addMessageKey files key in the ticket's thread (once).
func addMessageKey(t *Ticket, key string) {
	if !slices.Contains(t.MessageKeys, key) {
		t.MessageKeys = append(t.MessageKeys, key)
	}
}

// newerThan orders messages by arrival, then key.
func newerThan(at time.Time, key string, than time.Time, thanKey string) bool {
	if !at.Equal(than) {
		return at.After(than)
	}
	return key > thanKey
}

func ticketID(n int64) string { return strconv.FormatInt(n, 10) }
