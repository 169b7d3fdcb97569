package tickets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/mailin/parse"
)

// Held items: mail that came in as an agent's answer by mail (package
// agentmail) but could not be applied, kept so that nothing is silently
// dropped. A held item is a ticket_messages document with Direction and
// Disposition "held", _id "held:<sha256 of the mail's dedup key>", Thread
// "held: <reason>" and the detail in Notes. It is filed on its ticket like
// any message (the ticket's message keys and a "held" event naming the
// item), so Show and Get list it to the agents who see the ticket; one
// that names no ticket it may touch (a forged reference) has Ticket 0 and
// is listed by HeldItems(ctx, 0). Nothing about it is mailed to a
// customer, and its Disposition keeps it out of every customer-visible
// path (replies thread only under DispTicket messages).
//
// A held item can be released once the reason is settled (today: a mail
// held for authentication, confirmed by its agent or an admin; package
// agentmail applies it exactly as it would have on arrival). MarkReleased
// then sets its State to "released", notes who released it and adds a
// "released" event naming it to the ticket.

// DirHeld is the Direction (and DispHeld the Disposition) of a held item;
// StateReleased is the State of one applied after all.
const (
	DirHeld       = "held"
	DispHeld      = "held"
	EventHeld     = "held"
	StateReleased = "released"
	EventReleased = "released"
)

// Reasons a mail is held (HeldInput.Reason).
const (
	HeldUnknownSender = "unknown_sender"   // not an agent's address, answering a notification
	HeldInactive      = "inactive_agent"   // the agent is deactivated
	HeldNoAccess      = "no_access"        // the agent does not see the ticket's department (moved, or lost access)
	HeldMerged        = "merged"           // the ticket was merged into another
	HeldClosed        = "closed"           // the ticket is closed
	HeldStale         = "stale"            // the customer wrote again after the mail the agent answered
	HeldAuth          = "unauthenticated"  // the mailbox requires DKIM or SPF and the mail lacks it
	HeldForged        = "forged_reference" // a Turno-shaped reference with a bad signature
	HeldNoTicket      = "no_ticket"        // the reference names a ticket that does not exist
	HeldBadCommand    = "bad_command"      // a command line that cannot be carried out
	HeldEmpty         = "empty"            // nothing to apply: no text and no command
)

// HeldInput is a mail to hold.
type HeldInput struct {
	Key    string // the mail's dedup key (DedupKey); required
	Ticket int64  // the ticket to file it on; 0: none
	Reason string // one of the Held* reasons; required
	Detail string // what an admin should know
	Msg    *parse.Message
	// Text is what is kept of the body ("" keeps Msg.Text).
	Text    string
	Agent   string // the agent it came from, if known
	Mailbox string
	RawRef  string
	// ArrivedAt: zero means now.
	ArrivedAt time.Time
}

// HeldKey is the _id of the held item of the mail with dedup key key.
func HeldKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "held:" + hex.EncodeToString(sum[:])
}

// ReplyKey and NoteKey are the message keys Reply and Note give the work of
// actor (primary address) under idempotency key key.
func ReplyKey(actor, key string) string { return workKey(replyPrefix, actor, key) }
func NoteKey(actor, key string) string  { return workKey(notePrefix, actor, key) }

// Hold keeps a mail that could not be applied. Idempotent by the mail's
// dedup key: a retry or a second copy finds the stored item and files it
// again (a no-op once filed). It never mails anyone.
func (s *Service) Hold(ctx context.Context, in HeldInput) (*Message, error) {
	if in.Key == "" || in.Reason == "" || in.Msg == nil {
		return nil, badInput("", "hold: key, reason and message are required")
	}
	key := HeldKey(in.Key)
	at := in.ArrivedAt
	if at.IsZero() {
		at = s.clk.Now()
	}
	text := in.Text
	if text == "" {
		text = in.Msg.Text
	}
	if len(text) > maxTextBytes {
		text = text[:maxTextBytes]
	}
	m := in.Msg
	doc := &Message{
		Key: key, Ticket: in.Ticket, Disposition: DispHeld, MessageID: m.MessageID, InReplyTo: m.InReplyTo,
		References: m.References, Subject: m.Subject, Kind: string(m.Kind), KindReason: m.KindReason,
		Text: text, Mailbox: in.Mailbox, RawRef: in.RawRef, ArrivedAt: at.UTC().Truncate(time.Millisecond),
		StoredAt: s.clk.Now().UTC(), Thread: "held: " + in.Reason, Direction: DirHeld, Agent: in.Agent,
		State: DirHeld,
	}
	if in.Detail != "" {
		doc.Notes = []string{in.Detail}
	}
	if m.From != nil {
		doc.From = Address{Name: m.From.Name, Address: strings.ToLower(m.From.Address)}
	}
	for _, a := range m.To {
		doc.To = append(doc.To, Address{Name: a.Name, Address: a.Address})
	}
	for _, a := range m.Cc {
		doc.Cc = append(doc.Cc, Address{Name: a.Name, Address: a.Address})
	}
	if m.Date != nil {
		doc.Date = m.Date.UTC()
	}
	for _, a := range m.Attachments {
		doc.Attachments = append(doc.Attachments, Attach{Filename: a.Filename, ContentType: a.ContentType,
			Size: a.Size, SHA256: a.SHA256, Inline: a.Inline})
	}
	if _, err := s.c.messages.InsertOne(ctx, doc); err != nil {
		if !mongo.IsDuplicateKeyError(err) {
			return nil, failed("store held mail", err)
		}
		old, err := s.findMessage(ctx, key)
		if err != nil {
			return nil, err
		}
		if old == nil {
			return nil, failed("store held mail", errors.New("duplicate key but no document"))
		}
		doc = old // the first decision stands
	}
	if doc.Ticket == 0 {
		return doc, nil
	}
	_, err := s.update(ctx, doc.Ticket, func(t *Ticket) ([]Event, error) {
		addMessageKey(t, key)
		if hasEvent(t, EventHeld, key) {
			return nil, nil
		}
		by := doc.Agent
		if by == "" {
			by = doc.From.Address
		}
		return []Event{{By: by, Type: EventHeld, To: strings.TrimPrefix(doc.Thread, "held: "), Note: key}}, nil
	})
	if errors.Is(err, ErrNotFound) {
		return doc, nil
	}
	if err != nil {
		return nil, err
	}
	return doc, nil
}

// HeldItems lists the held items filed on ticket n (n > 0), or those filed
// on no ticket (n == 0, newest first, at most limit; a filtered read meant
// for admins, not a hot path).
func (s *Service) HeldItems(ctx context.Context, n int64, limit int64) ([]Message, error) {
	if n > 0 {
		_, msgs, err := s.Show(ctx, n)
		if err != nil {
			return nil, err
		}
		var out []Message
		for _, m := range msgs {
			if m.Direction == DirHeld {
				out = append(out, m)
			}
		}
		return out, nil
	}
	opts := options.Find().SetSort(bson.D{{Key: "arrived_at", Value: -1}})
	if limit > 0 {
		opts.SetLimit(limit)
	}
	cur, err := s.c.messages.Find(ctx, bson.D{{Key: "ticket", Value: int64(0)}, {Key: "direction", Value: DirHeld}}, opts)
	if err != nil {
		return nil, fmt.Errorf("list held mail: %w", err)
	}
	var out []Message
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list held mail: %w", err)
	}
	return out, nil
}

// Peek reads ticket n unscoped (for the mail router, which decides scope
// itself); ErrNotFound (wrapped) when there is none.
func (s *Service) Peek(ctx context.Context, n int64) (*Ticket, error) {
	t, err := s.getTicket(ctx, n)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, fmt.Errorf("ticket %d: %w", n, ErrNotFound)
	}
	return t, nil
}

// FindMessage reads one ticket message by key (nil when there is none).
func (s *Service) FindMessage(ctx context.Context, key string) (*Message, error) {
	return s.findMessage(ctx, key)
}

// HeldReason is why held item m was held ("" when m is not a held item).
func HeldReason(m *Message) string {
	if m == nil || m.Direction != DirHeld {
		return ""
	}
	return strings.TrimPrefix(m.Thread, "held: ")
}

// MarkReleased records that held item key (a HeldKey) on ticket n was
// applied after all, released by `by`. first is false when it was marked
// before (nothing changes then). Writes by _id only: the item, then a
// "released" event on the ticket (once per item, also after a crash
// between the two).
func (s *Service) MarkReleased(ctx context.Context, n int64, key, by string) (first bool, err error) {
	item, err := s.findMessage(ctx, key)
	if err != nil {
		return false, err
	}
	if item == nil || item.Direction != DirHeld || item.Ticket != n {
		return false, fmt.Errorf("held item %s on ticket %d: %w", key, n, ErrNotFound)
	}
	var before Message
	err = s.c.messages.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: key}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "state", Value: StateReleased}}}}).Decode(&before)
	if err != nil {
		return false, failed("mark held mail released", err)
	}
	first = before.State != StateReleased
	if first {
		note := fmt.Sprintf("released by %s at %s", by, s.clk.Now().UTC().Format(time.RFC3339))
		if _, err := s.c.messages.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}},
			bson.D{{Key: "$push", Value: bson.D{{Key: "notes", Value: note}}}}); err != nil {
			return false, failed("note held mail released", err)
		}
	}
	_, err = s.update(ctx, n, func(t *Ticket) ([]Event, error) {
		if hasEvent(t, EventReleased, key) {
			return nil, nil
		}
		return []Event{{By: by, Type: EventReleased, To: HeldReason(&before), Note: key}}, nil
	})
	if err != nil {
		return false, err
	}
	return first, nil
}
