package tickets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/mailin/parse"
	"turno/mailout"
	"turno/templates"
)

// Automatic replies (Message.AutoReply, Result.AutoReply).
const (
	ReplyAck           = "ack"
	ReplyUnknownSender = "unknown_sender"
)

// autoReply sends the one automatic reply a message is owed, if any: an
// acknowledgement for a new ticket from a registered contact, or the "how to
// regain access" reply for an unknown sender (at most one per address per
// window). Never to automatic mail, and at most AutoReplyBudget per address
// per clock hour. It returns what was sent or why nothing was; "" when
// nothing applies (a message appended to a ticket).
func (s *Service) autoReply(ctx context.Context, m *Message) (string, error) {
	var kind string
	switch {
	case m.Opened && m.Registered:
		kind = ReplyAck
	case !m.Registered && (m.Opened || m.Disposition == DispRejected):
		kind = ReplyUnknownSender
	default:
		return "", nil
	}
	if m.Kind != string(parse.KindNormal) {
		return "suppressed: " + m.Kind, nil
	}
	addr := m.From.Address
	if addr == "" {
		return "suppressed: no sender address", nil
	}
	if s.opts.Mailer == nil {
		return "suppressed: no mailer", nil
	}
	if kind == ReplyUnknownSender {
		ok, err := s.claimUnknownWindow(ctx, addr, m.Key)
		if err != nil {
			return "", err
		}
		if !ok {
			return "suppressed: unknown-sender reply already sent in window", nil
		}
	}
	ok, err := s.spendBudget(ctx, addr, m.Key)
	if err != nil {
		return "", err
	}
	if !ok {
		if kind == ReplyUnknownSender {
			if err := s.releaseUnknownWindow(ctx, addr, m.Key); err != nil {
				return "", err
			}
		}
		s.log.Warn("automatic reply suppressed by the hourly budget", "to", addr, "key", m.Key, "ticket", m.Ticket)
		return "suppressed: hourly budget", nil
	}
	msg := s.replyMessage(kind, m)
	id, err := s.opts.Mailer.Enqueue(ctx, msg)
	if err != nil {
		return "", transient("enqueue "+kind, err)
	}
	s.log.Info("automatic reply enqueued", "reply", kind, "ticket", m.Ticket, "outbox_id", id)
	return kind, nil
}

func (s *Service) replyMessage(kind string, m *Message) mailout.Message {
	out := mailout.Message{
		To: []string{m.From.Address}, Ticket: m.Ticket,
		AutoSubmitted: "auto-replied", Priority: mailout.PriorityTicket,
		ClientID: m.ClientID, Kind: "ticket",
	}
	if m.MessageID != "" {
		out.InReplyTo = "<" + m.MessageID + ">"
		for _, r := range m.References {
			out.References = append(out.References, "<"+r+">")
		}
		out.References = append(out.References, out.InReplyTo)
	}
	subject := strings.Join(strings.Fields(m.Subject), " ")
	switch kind {
	case ReplyAck:
		out.Key = "ticket-ack:" + m.Key
		out.Template = "ticket_ack"
		out.Data = templates.TicketAck{TicketNumber: m.Ticket, Subject: subject, RequesterName: m.From.Name}
	default:
		out.Key = "ticket-unknown-sender:" + m.Key
		out.Template = "ticket_unknown_sender"
		out.Data = templates.TicketUnknownSender{TicketNumber: m.Ticket, Subject: subject, SenderAddress: m.From.Address}
	}
	return out
}

// spendBudget takes one automatic reply from the address's budget for the
// current clock hour, atomically: the update matches only while the count
// is under the limit and this message has not been counted; when it does
// not match, the upsert's insert collides on _id. A message already counted
// (a retry) keeps its place.
func (s *Service) spendBudget(ctx context.Context, addr, key string) (bool, error) {
	if s.opts.AutoReplyBudget < 0 {
		return false, nil
	}
	hour := s.clk.Now().UTC().Truncate(time.Hour)
	id := addr + "|" + hour.Format(time.RFC3339)
	_, err := s.c.budget.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: id},
			{Key: "n", Value: bson.D{{Key: "$lt", Value: s.opts.AutoReplyBudget}}},
			{Key: "keys", Value: bson.D{{Key: "$ne", Value: key}}}},
		bson.D{
			{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}},
			{Key: "$push", Value: bson.D{{Key: "keys", Value: key}}},
			{Key: "$setOnInsert", Value: bson.D{{Key: "address", Value: addr}, {Key: "hour", Value: hour}}},
		},
		options.UpdateOne().SetUpsert(true))
	if err == nil {
		return true, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return false, transient("spend reply budget", err)
	}
	var doc struct {
		Keys []string `bson:"keys"`
	}
	if err := s.c.budget.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc); err != nil {
		return false, transient("read reply budget", err)
	}
	for _, k := range doc.Keys {
		if k == key {
			return true, nil
		}
	}
	return false, nil
}

// claimUnknownWindow marks that addr gets its unknown-sender reply now,
// unless one was sent within the window for another message. Atomic like
// spendBudget: a non-match makes the upsert collide on _id.
func (s *Service) claimUnknownWindow(ctx context.Context, addr, key string) (bool, error) {
	now := s.clk.Now().UTC()
	_, err := s.c.unknown.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: addr}, {Key: "$or", Value: bson.A{
			bson.D{{Key: "sent_at", Value: bson.D{{Key: "$lte", Value: now.Add(-s.opts.UnknownSenderReplyWindow)}}}},
			bson.D{{Key: "key", Value: key}},
		}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "sent_at", Value: now}, {Key: "key", Value: key}}}},
		options.UpdateOne().SetUpsert(true))
	if err == nil {
		return true, nil
	}
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	return false, transient("claim unknown-sender reply", err)
}

// releaseUnknownWindow undoes a claim whose reply the budget then refused,
// so the address is answered once the budget allows.
func (s *Service) releaseUnknownWindow(ctx context.Context, addr, key string) error {
	_, err := s.c.unknown.DeleteOne(ctx, bson.D{{Key: "_id", Value: addr}, {Key: "key", Value: key}})
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return transient(fmt.Sprintf("release unknown-sender claim for %s", addr), err)
	}
	return nil
}
