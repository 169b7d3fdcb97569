package agentmail

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/mailout"
	"turno/templates"
	"turno/tickets"
)

// explain mails the sender of a held mail why, at most once per address
// per clock hour (the hour's claim is an insert; a retry of the same mail
// finds its own claim and enqueues again, which the outbox's key makes a
// no-op). Never to automatic mail, an empty From or Turno's own address.
func (r *Router) explain(ctx context.Context, m Mail, key string, h held, lang string) (bool, error) {
	if r.opts.Mailer == nil || m.Msg.From == nil || automatic(m.Msg) {
		return false, nil
	}
	addr := strings.ToLower(strings.TrimSpace(m.Msg.From.Address))
	if addr == "" || r.own[addr] {
		return false, nil
	}
	hour := r.clk.Now().UTC().Truncate(time.Hour)
	id := addr + "|" + hour.Format(time.RFC3339)
	_, err := r.expl.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "key", Value: key},
		{Key: "address", Value: addr}, {Key: "hour", Value: hour}})
	if mongo.IsDuplicateKeyError(err) {
		var c struct {
			Key string `bson:"key"`
		}
		if err := r.expl.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&c); err != nil {
			return false, &tickets.TransientError{Err: fmt.Errorf("agentmail: read explanation budget: %w", err)}
		}
		if c.Key != key {
			r.log.Warn("agentmail: explanation suppressed: one per address per hour", "to", addr, "reason", h.reason)
			return false, nil
		}
	} else if err != nil {
		return false, &tickets.TransientError{Err: fmt.Errorf("agentmail: claim explanation budget: %w", err)}
	}
	at := m.ArrivedAt
	if at.IsZero() {
		at = r.clk.Now()
	}
	out := mailout.Message{
		Key: "agentmail-held:" + key, Template: "agent_mail_held", Lang: lang, To: []string{addr},
		Ticket: h.ticket, AutoSubmitted: "auto-replied", Priority: mailout.PriorityTicket,
		Data: templates.AgentMailHeld{TicketNumber: h.ticket, ReceivedAt: at, Reason: h.reason, MergedInto: h.mergedInto,
			HeldKey: "held:" + key},
	}
	if id := m.Msg.MessageID; id != "" && !strings.ContainsAny(id, " \t\r\n<>") {
		out.InReplyTo = "<" + id + ">"
		out.References = []string{out.InReplyTo}
	}
	if _, err := r.opts.Mailer.Enqueue(ctx, out); err != nil {
		var perm *tickets.PermanentError
		if errors.As(err, &perm) {
			return false, err
		}
		return false, &tickets.TransientError{Err: fmt.Errorf("agentmail: enqueue explanation: %w", err)}
	}
	return true, nil
}
