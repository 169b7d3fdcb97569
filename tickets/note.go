package tickets

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Note stores an internal note on ticket n; it is never mailed. It does not
// change the ticket's status or LastPublic, and a closed ticket takes notes
// too. Idempotent like Reply: the same actor and key store one note and
// one "note" event (the second call is Replayed); the same key with another
// text is ErrKeyReused. A note's State is pending until its event is on the
// ticket, then sent (meaning done: notes are never mailed).
func (s *Service) Note(ctx context.Context, a Actor, n int64, in NoteInput) (*ReplyResult, error) {
	if err := checkKey(in.Key); err != nil {
		return nil, err
	}
	if err := checkText(in.Text); err != nil {
		return nil, err
	}
	t, err := s.seen(ctx, a, n)
	if err != nil {
		return nil, err
	}
	key := workKey(notePrefix, a.Email, in.Key)
	now := s.clk.Now().UTC()
	fresh := &Message{
		Key: key, Ticket: n, Disposition: DispTicket, From: Address{Name: a.Name, Address: a.Email},
		Subject: t.Subject, Date: now, Kind: "note", Text: in.Text, ArrivedAt: now, StoredAt: now,
		ClientID: t.ClientID, Thread: "agent_note", Direction: DirNote, Agent: a.Email, AgentName: a.Name,
		RequestHash: noteHash(in), State: StatePending,
	}
	doc, replay, err := s.claimWork(ctx, fresh, false)
	if err != nil {
		return nil, err
	}
	existed := doc != fresh // stored by an earlier call with this key
	t2, err := s.update(ctx, n, func(t *Ticket) ([]Event, error) {
		addMessageKey(t, key)
		if hasEvent(t, "note", key) {
			return nil, nil
		}
		return []Event{{At: s.clk.Now().UTC(), By: a.Email, Type: "note", Note: key, Key: key}}, nil
	})
	if err != nil {
		return nil, err
	}
	if doc.State != StateSent {
		if _, err := s.c.messages.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "state", Value: StateSent}}}}); err != nil {
			return nil, failed(fmt.Sprintf("record note on ticket %d", n), err)
		}
		doc.State = StateSent
	}
	return &ReplyResult{Message: *doc, Ticket: *t2, Replayed: replay || existed}, nil
}
