package tickets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// CollPresence says which agents have a ticket open, and which of them
// are writing a reply: the console marks it while an agent's page is
// open, so the queue and the ticket page can warn the others before a
// reply collides (Reply's collision refusal stays the rule; this is the
// warning before it).
//
// One document per ticket touched, _id the ticket number:
//
//	{_id: "100123", until: <latest>, by: {<agent key>: {agent, name, state, until}}}
//
// An agent's entry is set with $set on its own path (the key is a hash of
// the address, as an address may hold dots), so two agents marking at once
// never overwrite each other; it counts until its until (PresenceTTL after
// the mark). Every read and write is by _id. PrunePresence drops the
// documents whose every entry is long past (the console's daily sweep).
const CollPresence = "ticket_presence"

// Presence states (MarkPresence).
const (
	PresenceViewing  = "viewing"  // the ticket's page is open
	PresenceReplying = "replying" // the reply box has focus or text
	PresenceGone     = "gone"     // the page was left: the mark is removed
)

// PresenceTTL is how long one mark counts: a page that stops marking
// (closed, crashed, asleep) stops counting after this long.
const PresenceTTL = 90 * time.Second

// presencePrune: a document is dropped when it was last current this
// long ago.
const presencePrune = time.Hour

// Presence is one agent's current mark on a ticket.
type Presence struct {
	Agent string    `bson:"agent" json:"agent"`
	Name  string    `bson:"name" json:"name"`
	State string    `bson:"state" json:"state"`
	Until time.Time `bson:"until" json:"until"`
}

type presenceDoc struct {
	ID    string              `bson:"_id"`
	Until time.Time           `bson:"until"`
	By    map[string]Presence `bson:"by"`
}

func presenceKey(email string) string {
	h := sha256.Sum256([]byte(email))
	return "a" + hex.EncodeToString(h[:8]) // never all digits: a path, not an index
}

func (s *Service) presence() *mongo.Collection { return s.opts.DB.Collection(CollPresence) }

// MarkPresence records that the actor is viewing or replying on ticket n
// (for PresenceTTL), or removes their mark (PresenceGone), and returns the
// other agents' current marks (as PresenceOn). A ticket the actor does not
// see is ErrNotFound. It reads the ticket's department, writes one
// document and reads it back, each by _id.
func (s *Service) MarkPresence(ctx context.Context, a Actor, n int64, state string) ([]Presence, error) {
	switch state {
	case PresenceViewing, PresenceReplying, PresenceGone:
	default:
		return nil, badInput("state", "unknown presence %q (viewing, replying or gone)", state)
	}
	if a.Email == "" {
		return nil, badInput("agent", "required")
	}
	var t struct {
		Department string `bson:"department"`
	}
	err := s.c.tickets.FindOne(ctx, bson.D{{Key: "_id", Value: ticketID(n)}},
		options.FindOne().SetProjection(bson.D{{Key: "department", Value: 1}})).Decode(&t)
	if errors.Is(err, mongo.ErrNoDocuments) || (err == nil && !a.Sees(t.Department)) {
		return nil, fmt.Errorf("ticket %d: %w", n, ErrNotFound)
	}
	if err != nil {
		return nil, failed(fmt.Sprintf("read ticket %d", n), err)
	}
	path := "by." + presenceKey(a.Email)
	id := bson.D{{Key: "_id", Value: ticketID(n)}}
	if state == PresenceGone {
		if _, err := s.presence().UpdateOne(ctx, id, bson.D{{Key: "$unset", Value: bson.D{{Key: path, Value: ""}}}}); err != nil {
			return nil, failed(fmt.Sprintf("clear presence on ticket %d", n), err)
		}
		return nil, nil
	}
	until := s.clk.Now().UTC().Add(PresenceTTL)
	p := Presence{Agent: a.Email, Name: a.Name, State: state, Until: until}
	_, err = s.presence().UpdateOne(ctx, id, bson.D{
		{Key: "$set", Value: bson.D{{Key: path, Value: p}}},
		{Key: "$max", Value: bson.D{{Key: "until", Value: until}}},
	}, options.UpdateOne().SetUpsert(true))
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return nil, failed(fmt.Sprintf("mark presence on ticket %d", n), err)
	}
	return s.othersOn(ctx, a, n)
}

// PresenceOn is, for each of ts the actor sees, the other agents whose
// mark is current: replying first, then by name. It reads one document by
// _id per ticket (never a filter over the collection): the queue's page
// of 50 is 50 lookups. Tickets without anyone else are absent.
func (s *Service) PresenceOn(ctx context.Context, a Actor, ts ...Ticket) (map[int64][]Presence, error) {
	out := map[int64][]Presence{}
	for _, t := range ts {
		if !a.Sees(t.Department) {
			continue
		}
		ps, err := s.othersOn(ctx, a, t.Number)
		if err != nil {
			return nil, err
		}
		if len(ps) > 0 {
			out[t.Number] = ps
		}
	}
	return out, nil
}

// othersOn are the current marks on ticket n of agents other than a,
// replying first, then by name.
func (s *Service) othersOn(ctx context.Context, a Actor, n int64) ([]Presence, error) {
	var d presenceDoc
	err := s.presence().FindOne(ctx, bson.D{{Key: "_id", Value: ticketID(n)}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, failed(fmt.Sprintf("read presence on ticket %d", n), err)
	}
	now := s.clk.Now()
	if !d.Until.After(now) {
		return nil, nil
	}
	var ps []Presence
	for _, p := range d.By {
		if p.Agent != a.Email && p.Until.After(now) {
			ps = append(ps, p)
		}
	}
	sort.Slice(ps, func(i, j int) bool {
		if (ps[i].State == PresenceReplying) != (ps[j].State == PresenceReplying) {
			return ps[i].State == PresenceReplying
		}
		return ps[i].Name+ps[i].Agent < ps[j].Name+ps[j].Agent
	})
	return ps, nil
}

// PrunePresence drops the presence documents last current over an hour
// ago (deletes by _id in unordered bulks). It reads the whole collection,
// one small document per ticket touched since the last prune: a daily job.
func (s *Service) PrunePresence(ctx context.Context) (int, error) {
	cutoff := s.clk.Now().UTC().Add(-presencePrune)
	cur, err := s.presence().Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "until", Value: 1}}))
	if err != nil {
		return 0, failed("read presence", err)
	}
	var docs []struct {
		ID    string    `bson:"_id"`
		Until time.Time `bson:"until"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return 0, failed("read presence", err)
	}
	var gone []mongo.WriteModel
	for _, d := range docs {
		if d.Until.Before(cutoff) {
			gone = append(gone, mongo.NewDeleteOneModel().SetFilter(bson.D{{Key: "_id", Value: d.ID}}))
		}
	}
	n := 0
	for len(gone) > 0 {
		batch := gone[:min(len(gone), 99)]
		gone = gone[len(batch):]
		res, err := s.presence().BulkWrite(ctx, batch, options.BulkWrite().SetOrdered(false))
		if res != nil {
			n += int(res.DeletedCount)
		}
		if err != nil {
			return n, failed("prune presence", err)
		}
	}
	return n, nil
}
