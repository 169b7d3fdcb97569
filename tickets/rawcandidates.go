package tickets

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// RawCandidates lists, for retention.raw_mail, the raw messages whose
// bytes may be dropped: those every message naming them sits on a ticket
// closed before the cut-off. It deletes nothing: the raw store (mailin's
// RawPruner) drops the bytes by raw id, and the ticket messages keep
// their text, attachments' metadata and raw_ref (the hash).
//
// A raw id that also appears on a message of a ticket not closed, or
// closed since the cut-off, or on a message with no ticket (a refused
// sender's), is kept. A closed ticket that reopens keeps its messages'
// text, not their bytes dropped before. Receipts of payment reports are
// read from the raw message (payreport.go): a payments ticket closed
// before the cut-off has no receipt to show afterwards.
//
// Cost: one projected read of tickets and one of ticket_messages per run
// (on the embedded store any other query is a scan too), no writes.
type RawCandidates struct {
	DB *mongo.Database
}

// List returns the candidates' raw ids.
func (c RawCandidates) List(ctx context.Context, before time.Time) ([]string, error) {
	closed := map[int64]bool{}
	cur, err := c.DB.Collection(CollTickets).Find(ctx, bson.D{}, options.Find().SetBatchSize(1000).SetProjection(bson.D{
		{Key: "number", Value: 1}, {Key: "status", Value: 1}, {Key: "closed_at", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("raw candidates: read tickets: %w", err)
	}
	for cur.Next(ctx) {
		var t struct {
			Number   int64     `bson:"number"`
			Status   string    `bson:"status"`
			ClosedAt time.Time `bson:"closed_at"`
		}
		if err := cur.Decode(&t); err != nil {
			_ = cur.Close(ctx)
			return nil, fmt.Errorf("raw candidates: decode ticket: %w", err)
		}
		if t.Status == StatusClosed && !t.ClosedAt.IsZero() && t.ClosedAt.Before(before) {
			closed[t.Number] = true
		}
	}
	err = cur.Err()
	_ = cur.Close(ctx)
	if err != nil {
		return nil, fmt.Errorf("raw candidates: read tickets: %w", err)
	}
	if len(closed) == 0 {
		return nil, nil
	}
	cur, err = c.DB.Collection(CollMessages).Find(ctx, bson.D{}, options.Find().SetBatchSize(1000).SetProjection(bson.D{
		{Key: "ticket", Value: 1}, {Key: "raw_ref", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("raw candidates: read messages: %w", err)
	}
	defer cur.Close(ctx)
	may, keep := map[string]bool{}, map[string]bool{}
	for cur.Next(ctx) {
		var m struct {
			Ticket int64  `bson:"ticket"`
			RawRef string `bson:"raw_ref"`
		}
		if err := cur.Decode(&m); err != nil {
			return nil, fmt.Errorf("raw candidates: decode message: %w", err)
		}
		if m.RawRef == "" {
			continue
		}
		if closed[m.Ticket] {
			may[m.RawRef] = true
		} else {
			keep[m.RawRef] = true
		}
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("raw candidates: read messages: %w", err)
	}
	var out []string
	for r := range may {
		if !keep[r] {
			out = append(out, r)
		}
	}
	return out, nil
}
