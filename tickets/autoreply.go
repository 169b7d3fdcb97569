package tickets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/mailin/parse"
	"turno/mailout"
	"turno/templates"
)

// Automatic replies (Result.AutoReply).
const (
	ReplyAck           = "ack"
	ReplyUnknownSender = "unknown_sender"
	ReplyOversize      = "attachment_too_large"
)

// autoReply sends what a message is owed: its primary reply (see
// primaryReply) and, when the intake dropped its attachments, one
// ticket_attachment_too_large notice to a registered contact (it names the
// files, words a stranger would choose). Results are joined with ", ".
func (s *Service) autoReply(ctx context.Context, m *Message) (string, error) {
	out, err := s.primaryReply(ctx, m)
	if err != nil || m.Oversize == nil || m.Ticket == 0 {
		return out, err
	}
	var extra string
	if m.Registered {
		extra, err = s.sendBudgeted(ctx, ReplyOversize, m)
	} else if s.suppressed(m) == "" {
		extra = "suppressed: no attachment notice to an unknown sender"
	}
	if err != nil {
		return "", err
	}
	if extra == "" {
		return out, nil
	}
	if out == "" {
		return extra, nil
	}
	return out + ", " + extra, nil
}

// primaryReply sends the one automatic reply a message is owed, if any: an
// acknowledgement for a new ticket from a registered contact, or the "how to
// regain access" reply for an unknown sender (at most one per address per
// window). Never to automatic mail nor to a sender whose From failed the
// trusted server's authentication, and at most AutoReplyBudget per address
// per clock hour. It returns what was sent or why nothing was; "" when
// nothing applies (a message appended to a ticket).
func (s *Service) primaryReply(ctx context.Context, m *Message) (string, error) {
	var kind string
	switch {
	case m.Opened && m.Registered:
		kind = ReplyAck
	case !m.Registered && (m.Opened || m.Disposition == DispRejected):
		kind = ReplyUnknownSender
	default:
		return "", nil
	}
	if why := s.suppressed(m); why != "" {
		return why, nil
	}
	addr := m.From.Address
	var claim string
	if kind == ReplyUnknownSender {
		id, ok, err := s.claimUnknownWindow(ctx, addr, m.Key)
		if err != nil {
			return "", err
		}
		if !ok {
			return "suppressed: unknown-sender reply already sent in window", nil
		}
		claim = id
	}
	out, err := s.sendBudgeted(ctx, kind, m)
	if err == nil && out != kind && kind == ReplyUnknownSender {
		err = s.releaseUnknownWindow(ctx, claim, m.Key)
	}
	return out, err
}

// suppressed says why no automatic reply at all goes to m's sender, "" when
// one may: automatic mail, a From that failed the trusted server's
// authentication (a forged From: the reply would go to its victim), no
// address, no mailer.
func (s *Service) suppressed(m *Message) string {
	switch {
	case m.Kind != string(parse.KindNormal):
		return "suppressed: " + m.Kind
	case m.Auth == parse.AuthFail:
		return "suppressed: sender authentication failed"
	case m.From.Address == "":
		return "suppressed: no sender address"
	case s.opts.Mailer == nil:
		return "suppressed: no mailer"
	}
	return ""
}

// sendBudgeted enqueues one automatic reply of kind if the recipient's
// hourly budget allows, never where suppressed says not to.
func (s *Service) sendBudgeted(ctx context.Context, kind string, m *Message) (string, error) {
	if why := s.suppressed(m); why != "" {
		return why, nil
	}
	addr := m.From.Address
	ok, err := s.spendBudget(ctx, addr, kind+":"+m.Key)
	if err != nil {
		return "", err
	}
	if !ok {
		s.log.Warn("automatic reply suppressed by the hourly budget", "reply", kind, "to", addr, "key", m.Key, "ticket", m.Ticket)
		return "suppressed: hourly budget", nil
	}
	id, err := s.opts.Mailer.Enqueue(ctx, s.replyMessage(kind, m))
	if err != nil {
		return "", failed("enqueue "+kind, err)
	}
	s.log.Info("automatic reply enqueued", "reply", kind, "ticket", m.Ticket, "outbox_id", id)
	return kind, nil
}

func (s *Service) replyMessage(kind string, m *Message) mailout.Message {
	out := mailout.Message{
		To: []string{m.From.Address}, Ticket: m.Ticket,
		AutoSubmitted: "auto-replied", Priority: mailout.PriorityTicket,
		ClientID: m.ClientID, Kind: "ticket", Lang: m.Lang,
	}
	if m.MessageID != "" {
		out.InReplyTo = "<" + m.MessageID + ">"
		for _, r := range m.References {
			out.References = append(out.References, "<"+r+">")
		}
		out.References = append(out.References, out.InReplyTo)
	}
	// The sender's own words (subject, display name) are repeated only to
	// a sender the receiving server authenticated: an unproven From may be
	// a forger's, who would have the provider mail their text to a
	// customer. A stranger's words are never repeated (invariant 5).
	var subject, name string
	if m.Registered && m.Auth == parse.AuthPass {
		subject, name = strings.Join(strings.Fields(m.Subject), " "), m.From.Name
	}
	switch kind {
	case ReplyOversize:
		out.Key = "ticket-oversize:" + m.Key
		out.Template = "ticket_attachment_too_large"
		var names []string
		for _, a := range m.Attachments {
			if !a.Inline {
				names = append(names, a.Filename)
			}
		}
		out.Data = templates.TicketAttachmentTooLarge{TicketNumber: m.Ticket, Subject: subject,
			RequesterName: name, Filenames: names, LimitBytes: m.Oversize.Limit}
	case ReplyAck:
		out.Key = "ticket-ack:" + m.Key
		out.Template = "ticket_ack"
		out.Data = templates.TicketAck{TicketNumber: m.Ticket, Subject: subject, RequesterName: name}
	default:
		out.Key = "ticket-unknown-sender:" + m.Key
		out.Template = "ticket_unknown_sender"
		out.Data = templates.TicketUnknownSender{TicketNumber: m.Ticket, SenderAddress: m.From.Address,
			ProviderKind: s.opts.ProviderKind}
	}
	return out
}

// spendBudget takes one automatic reply from the address's budget for the
// current clock hour. The budget is AutoReplyBudget slot documents
// (address|hour|i); a reply claims the lowest free slot by inserting it, so
// the unique _id arbitrates concurrent callers on every store without
// relying on update atomicity (see allocate). Slots are claimed in order and never freed, so a retry
// finds its own slot before any free one and keeps it.
func (s *Service) spendBudget(ctx context.Context, addr, key string) (bool, error) {
	hour := s.clk.Now().UTC().Truncate(time.Hour)
	for i := range s.opts.AutoReplyBudget {
		id := fmt.Sprintf("%s|%s|%d", addr, hour.Format(time.RFC3339), i)
		_, err := s.c.budget.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "key", Value: key},
			{Key: "address", Value: addr}, {Key: "hour", Value: hour}})
		if err == nil {
			return true, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return false, failed("spend reply budget", err)
		}
		var slot struct {
			Key string `bson:"key"`
		}
		if err := s.c.budget.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&slot); err != nil {
			return false, failed("read reply budget", err)
		}
		if slot.Key == key {
			return true, nil
		}
	}
	return false, nil
}

// claimUnknownWindow decides whether addr gets its unknown-sender reply now.
// Time is cut into buckets one window long; a reply claims its bucket by
// inserting address|bucket (atomic on every store), and is refused when the
// previous bucket's reply is less than a window old. So at most one reply per
// address per window, except that two concurrent claims straddling a bucket
// boundary can both pass. It returns the claim's id for releaseUnknownWindow.
func (s *Service) claimUnknownWindow(ctx context.Context, addr, key string) (string, bool, error) {
	now := s.clk.Now().UTC().Truncate(time.Millisecond)
	w := s.opts.UnknownSenderReplyWindow
	b := now.UnixNano() / int64(w)
	id := fmt.Sprintf("%s|%d", addr, b)
	type claim struct {
		Key    string    `bson:"key"`
		SentAt time.Time `bson:"sent_at"`
	}
	_, err := s.c.unknown.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "key", Value: key},
		{Key: "address", Value: addr}, {Key: "sent_at", Value: now}})
	if mongo.IsDuplicateKeyError(err) {
		var c claim
		if err := s.c.unknown.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&c); err != nil {
			return "", false, failed("read unknown-sender claim", err)
		}
		return id, c.Key == key, nil
	}
	if err != nil {
		return "", false, failed("claim unknown-sender reply", err)
	}
	var prev claim
	err = s.c.unknown.FindOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("%s|%d", addr, b-1)}}).Decode(&prev)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return id, true, nil
	case err != nil:
		return "", false, failed("read unknown-sender claim", err)
	case prev.Key != key && now.Sub(prev.SentAt) < w:
		if err := s.releaseUnknownWindow(ctx, id, key); err != nil {
			return "", false, err
		}
		return "", false, nil
	}
	return id, true, nil
}

// releaseUnknownWindow removes our claim (the budget refused the reply, or
// the previous bucket's reply is too recent), so a later message may claim.
func (s *Service) releaseUnknownWindow(ctx context.Context, id, key string) error {
	_, err := s.c.unknown.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "key", Value: key}})
	if err != nil {
		return failed("release unknown-sender claim "+id, err)
	}
	return nil
}
