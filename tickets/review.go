package tickets

import (
	"context"
	"time"

	"turno/mailin/parse"
	"turno/mailout"
	"turno/templates"
)

// ReplyUnderReview names the notice sent when intake quarantined a mail.
const ReplyUnderReview = "under_review"

// NotifyQuarantined tells the sender of a mail that intake quarantined (it
// could not become a ticket message) that a person is reviewing it: one
// ticket_under_review notice per quarantined mail (outbox key by id), from
// the same hourly budget as every automatic reply, never to automatic or
// Turno's own mail, and with none of the sender's words. It returns what
// was sent or why nothing was.
func (s *Service) NotifyQuarantined(ctx context.Context, id string, m *parse.Message, receivedAt time.Time) (string, error) {
	switch {
	case m == nil:
		return "suppressed: not parsed", nil
	case m.Own:
		return "suppressed: own mail", nil
	case m.Kind != parse.KindNormal:
		return "suppressed: " + string(m.Kind), nil
	case s.opts.Mailer == nil:
		return "suppressed: no mailer", nil
	}
	addr := senderAddress(m)
	if addr == "" {
		return "suppressed: no sender address", nil
	}
	key := "ticket-under-review:" + id
	ok, err := s.spendBudget(ctx, addr, key)
	if err != nil {
		return "", err
	}
	if !ok {
		s.log.Warn("automatic reply suppressed by the hourly budget", "reply", ReplyUnderReview, "to", addr, "quarantine_id", id)
		return "suppressed: hourly budget", nil
	}
	out := mailout.Message{
		Key: key, Template: "ticket_under_review", To: []string{addr},
		Data:          templates.TicketUnderReview{ReceivedAt: receivedAt},
		AutoSubmitted: "auto-replied", Priority: mailout.PriorityTicket, Kind: "ticket",
		Lang: parse.GuessLang(m.Subject + "\n" + m.Text),
	}
	if m.MessageID != "" {
		out.InReplyTo = "<" + m.MessageID + ">"
		out.References = []string{out.InReplyTo}
	}
	oid, err := s.opts.Mailer.Enqueue(ctx, out)
	if err != nil {
		return "", failed("enqueue "+ReplyUnderReview, err)
	}
	s.log.Info("automatic reply enqueued", "reply", ReplyUnderReview, "quarantine_id", id, "outbox_id", oid)
	return ReplyUnderReview, nil
}
