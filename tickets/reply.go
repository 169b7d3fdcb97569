package tickets

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/mailin/parse"
	"turno/mailout"
	"turno/msgid"
	"turno/templates"
)

// Reply states (Message.State).
const (
	StatePending = "pending" // stored; not yet on the ticket and in the outbox
	StateSent    = "sent"    // on the ticket and in the outbox
	StateRefused = "refused" // the collision check refused it
)

// Reply mails an agent's answer to ticket n's requester through the outbox
// and stores it on the ticket (see ReplyInput for the collision check and
// idempotency).
//
// The steps, each converging when a retry with the same key repeats it
// after a crash: (1) insert the reply message under its key (state
// pending; its Message-ID is fixed here); (2) in one ticket update, the
// collision check and the ticket's change (LastPublic, status, a "reply"
// event naming the key, skipped when that event is already there); (3)
// enqueue under the message key (the outbox is idempotent by key); (4)
// mark the message sent with its outbox id. A retry after (4) is a replay
// and sends nothing.
func (s *Service) Reply(ctx context.Context, a Actor, n int64, in ReplyInput) (*ReplyResult, error) {
	if err := validateReply(in); err != nil {
		return nil, err
	}
	if s.opts.Mailer == nil {
		return nil, errors.New("tickets: no mailer configured: replies cannot be sent")
	}
	t, err := s.seen(ctx, a, n)
	if err != nil {
		return nil, err
	}
	if !plainAddress(t.Requester.Address) {
		return nil, badInput("ticket", "ticket %d's requester %q has no address a reply can go to", n, t.Requester.Address)
	}
	key := workKey(replyPrefix, a.Email, in.Key)
	target, known, err := s.answeredMessage(ctx, t, in.Answers)
	if err != nil {
		return nil, err
	}
	doc, replay, err := s.claimWork(ctx, s.newReply(t, a, key, replyHash(in), in, target), t.Status == StatusClosed)
	if err != nil {
		return nil, err
	}
	if replay {
		t, err := s.getTicket(ctx, n)
		if err != nil {
			return nil, err
		}
		return &ReplyResult{Message: *doc, Ticket: *t, Replayed: true}, nil
	}

	status := replyStatus(in.Status)
	t2, err := s.update(ctx, n, func(t *Ticket) ([]Event, error) {
		if hasEvent(t, "reply", key) {
			return nil, nil // a retry: the ticket has this reply already
		}
		if t.Status == StatusClosed {
			return nil, badInput("ticket", "ticket %d is closed: reopen it first", n)
		}
		if !in.Force && t.LastPublic != nil && t.LastPublic.Key != in.Answers && t.LastPublic.Key != key {
			return nil, &ConflictError{Ticket: n}
		}
		now := s.clk.Now().UTC()
		ev := Event{At: now, By: a.Email, Type: "reply", From: t.Status, To: status, Note: key, Key: key}
		t.LastPublic = &LastPublic{Key: key, At: now, Agent: a.Email}
		addMessageKey(t, key)
		t.Status = status
		if status == StatusSolved {
			t.SolvedAt = now
		} else {
			t.SolvedAt = time.Time{}
		}
		return []Event{ev}, nil
	})
	if err != nil {
		var ce *ConflictError
		if errors.As(err, &ce) {
			if uerr := s.setWorkState(ctx, key, StateRefused, ""); uerr != nil {
				return nil, uerr
			}
			ce.Newer, err = s.newerMessages(ctx, n, target, known, key)
			if err != nil {
				return nil, err
			}
			return nil, ce
		}
		return nil, err
	}

	m, err := s.replyMail(ctx, t2, a, doc, in, target)
	if err != nil {
		return nil, err
	}
	id, err := s.opts.Mailer.Enqueue(ctx, m)
	if err != nil {
		return nil, failed(fmt.Sprintf("enqueue reply on ticket %d", n), err)
	}
	if err := s.setWorkState(ctx, key, StateSent, id); err != nil {
		return nil, err
	}
	doc.State, doc.OutboxID = StateSent, id
	return &ReplyResult{Message: *doc, Ticket: *t2}, nil
}

func hasEvent(t *Ticket, typ, note string) bool {
	for _, e := range t.Events {
		if e.Type == typ && e.Note == note {
			return true
		}
	}
	return false
}

// claimWork inserts doc (a reply or note, state pending) under its key. When
// the key is taken, the stored document stands: another request behind it
// is ErrKeyReused, a sent one is a replay (replay true), a pending or
// refused one goes on with its remaining steps. closed refuses a new reply
// on a closed ticket without refusing the replay of an old one.
func (s *Service) claimWork(ctx context.Context, doc *Message, closed bool) (*Message, bool, error) {
	if !closed {
		_, err := s.c.messages.InsertOne(ctx, doc)
		if err == nil {
			return doc, false, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return nil, false, failed("store "+doc.Direction, err)
		}
	}
	var old Message
	err := s.c.messages.FindOne(ctx, bson.D{{Key: "_id", Value: doc.Key}}).Decode(&old)
	if errors.Is(err, mongo.ErrNoDocuments) {
		if closed {
			return nil, false, badInput("ticket", "ticket %d is closed: reopen it first", doc.Ticket)
		}
		return nil, false, failed("read "+doc.Direction, err) // deleted under us: retry
	}
	if err != nil {
		return nil, false, failed("read "+doc.Direction, err)
	}
	if old.RequestHash != doc.RequestHash || old.Ticket != doc.Ticket || old.Direction != doc.Direction {
		return nil, false, ErrKeyReused
	}
	if old.State == StateSent {
		return &old, true, nil
	}
	// Pending or refused: its remaining steps run again (on a closed
	// ticket the update refuses it, unless the ticket took it before).
	return &old, false, nil
}

// setWorkState records how far a reply or note got.
func (s *Service) setWorkState(ctx context.Context, key, state, outboxID string) error {
	set := bson.D{{Key: "state", Value: state}}
	if outboxID != "" {
		set = append(set, bson.E{Key: "outbox_id", Value: outboxID})
	}
	if _, err := s.c.messages.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}}, bson.D{{Key: "$set", Value: set}}); err != nil {
		return failed("record "+state, err)
	}
	return nil
}

// sender is the From of replies on department dept.
func (s *Service) sender(dept string) Sender {
	if snd, ok := s.opts.Senders[dept]; ok && snd.Address != "" {
		if snd.Name == "" {
			snd.Name = s.opts.DefaultSender.Name
		}
		return snd
	}
	return s.opts.DefaultSender
}

// own reports whether addr is one of Turno's sending addresses.
func (s *Service) own(addr string) bool {
	addr = strings.ToLower(strings.TrimSpace(addr))
	if addr == strings.ToLower(s.opts.DefaultSender.Address) {
		return true
	}
	for _, snd := range s.opts.Senders {
		if addr == strings.ToLower(snd.Address) {
			return true
		}
	}
	return false
}

// fromName is "Agent — Team", or the team alone for a nameless agent.
func fromName(agent, team string) string {
	switch {
	case agent == "":
		return team
	case team == "":
		return agent
	}
	return agent + " — " + team
}

// newReply is the reply message as first stored. target is the message it
// threads under (nil: none known).
func (s *Service) newReply(t *Ticket, a Actor, key, hash string, in ReplyInput, target *Message) *Message {
	now := s.clk.Now().UTC()
	snd := s.sender(t.Department)
	mid := parse.NormalizeMessageID(msgid.New(s.opts.MailDomain, t.Number, s.opts.MessageIDKey))
	m := &Message{
		Key: key, Ticket: t.Number, Disposition: DispTicket, MessageID: mid,
		From:    Address{Name: fromName(a.Name, snd.Name), Address: snd.Address},
		To:      []Address{t.Requester},
		Subject: "Re: " + t.Subject, Date: now, Kind: string(parse.KindNormal),
		Text: in.Text, Attachments: attachMeta(in.Attachments),
		ArrivedAt: now, StoredAt: now, ClientID: t.ClientID,
		Thread: "agent_reply", Direction: DirReply, Agent: a.Email, AgentName: a.Name,
		Answers: in.Answers, RequestHash: hash, State: StatePending,
	}
	if target != nil {
		m.InReplyTo = target.MessageID
		m.References = threadRefs(target)
		if in.CcOthers {
			m.Cc = s.others(t, target)
		}
	}
	return m
}

// threadRefs is the References of a reply to m: m's, then m's Message-ID
// (normalised, without brackets, as stored).
func threadRefs(m *Message) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range append(append([]string(nil), m.References...), m.MessageID) {
		if r = parse.NormalizeMessageID(bracket(r)); r != "" && !seen[r] && plainID(r) {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// others are m's To and Cc recipients besides the requester and Turno's own
// addresses, each once.
func (s *Service) others(t *Ticket, m *Message) []Address {
	var out []Address
	seen := map[string]bool{strings.ToLower(t.Requester.Address): true}
	for _, r := range append(append([]Address(nil), m.To...), m.Cc...) {
		k := strings.ToLower(strings.TrimSpace(r.Address))
		if k == "" || seen[k] || s.own(k) || !plainAddress(r.Address) {
			continue
		}
		seen[k] = true
		out = append(out, r)
	}
	return out
}

// answeredMessage finds the message a reply threads under: the one it
// answers when that is a customer mail or a reply on this ticket (known
// true), else the ticket's newest public message, else its first.
func (s *Service) answeredMessage(ctx context.Context, t *Ticket, answers string) (*Message, bool, error) {
	if answers != "" {
		m, err := s.findMessage(ctx, answers)
		if err != nil {
			return nil, false, err
		}
		if m != nil && m.Ticket == t.Number && m.Direction != DirNote && m.Disposition == DispTicket {
			return m, true, nil
		}
	}
	for _, k := range []string{lastPublicKey(t), t.Origin} {
		if k == "" {
			continue
		}
		m, err := s.findMessage(ctx, k)
		if err != nil {
			return nil, false, err
		}
		if m != nil {
			return m, false, nil
		}
	}
	return nil, false, nil
}

func lastPublicKey(t *Ticket) string {
	if t.LastPublic == nil {
		return ""
	}
	return t.LastPublic.Key
}

// newerMessages are the customer messages and sent replies on ticket n
// that arrived since answered (all of them when it is not known), oldest
// first, this reply aside.
func (s *Service) newerMessages(ctx context.Context, n int64, answered *Message, known bool, self string) ([]Message, error) {
	_, msgs, err := s.Show(ctx, n)
	if err != nil {
		return nil, err
	}
	t, err := s.getTicket(ctx, n)
	if err != nil || t == nil {
		return nil, err
	}
	var out []Message
	for _, m := range msgs {
		if m.Key == self || m.Direction == DirNote || m.Disposition != DispTicket {
			continue
		}
		if m.Direction == DirReply && m.State != StateSent && !hasEvent(t, "reply", m.Key) {
			continue // not (yet) seen by the customer
		}
		if known && (m.Key == answered.Key || m.ArrivedAt.Before(answered.ArrivedAt)) {
			continue
		}
		out = append(out, m)
	}
	return out, nil
}

// replyMail is the outbox message of a stored reply.
func (s *Service) replyMail(ctx context.Context, t *Ticket, a Actor, doc *Message, in ReplyInput, target *Message) (mailout.Message, error) {
	lang, err := s.ticketLang(ctx, t)
	if err != nil {
		return mailout.Message{}, err
	}
	snd := s.sender(t.Department)
	data := templates.TicketReply{
		TicketNumber: t.Number, Subject: t.Subject, RequesterName: t.Requester.Name,
		Body: doc.Text, AgentName: doc.AgentName, Signature: a.Signature,
	}
	if target != nil && !s.opts.NoQuote {
		data.QuotedFrom = target.From.Address
		if target.From.Name != "" {
			data.QuotedFrom = target.From.Name + " <" + target.From.Address + ">"
		}
		data.QuotedDate = target.Date
		if data.QuotedDate.IsZero() {
			data.QuotedDate = target.ArrivedAt
		}
		data.QuotedText = target.Text
	}
	m := mailout.Message{
		Key: doc.Key, Template: "ticket_reply", Lang: lang, Data: data,
		To: []string{t.Requester.Address}, Ticket: t.Number,
		MessageID: bracket(doc.MessageID), InReplyTo: bracket(doc.InReplyTo),
		FromName: doc.From.Name, FromAddress: doc.From.Address, ReplyTo: snd.Address,
		Attachments: in.Attachments, Priority: mailout.PriorityTicket,
		// A person's answer to the customer's own request: no opt-out of
		// automatic ticket mail applies, and it is not marked automatic.
		AutoSubmitted: "no", ClientID: t.ClientID,
	}
	for _, c := range doc.Cc {
		m.Cc = append(m.Cc, c.Address)
	}
	for _, r := range doc.References {
		m.References = append(m.References, bracket(r))
	}
	return m, nil
}

// ticketLang is the language of the ticket's first message (es when it has
// none or one the templates lack).
func (s *Service) ticketLang(ctx context.Context, t *Ticket) (string, error) {
	m, err := s.findMessage(ctx, t.Origin)
	if err != nil {
		return "", err
	}
	if m != nil {
		for _, l := range templates.Langs() {
			if m.Lang == l {
				return l, nil
			}
		}
	}
	return "es", nil
}

// bracket puts angle brackets around a stored (normalised) Message-ID.
func bracket(id string) string {
	if id == "" || strings.HasPrefix(id, "<") {
		return id
	}
	return "<" + id + ">"
}

// plainID reports whether a normalised Message-ID can go in a header as is.
func plainID(id string) bool {
	return id != "" && !strings.ContainsAny(id, " \t\r\n<>\x00") && strings.Contains(id, "@")
}

// plainAddress reports whether addr is one plain address the outbox takes.
func plainAddress(addr string) bool {
	a, err := mail.ParseAddress(addr)
	return err == nil && a.Address == addr
}
