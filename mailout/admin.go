package mailout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The operator's view of the outbox (turno outbox ...). These need only the
// database, not a running Outbox.

// ErrNotFound is returned for an unknown entry id.
var ErrNotFound = errors.New("no such outbox entry")

// ListOptions filter List. Zero values list the newest 50 of every state.
type ListOptions struct {
	State State
	Limit int
}

// List returns entries, newest first, without bodies.
func List(ctx context.Context, db *mongo.Database, lo ListOptions) ([]Entry, error) {
	if lo.Limit <= 0 {
		lo.Limit = 50
	}
	filter := bson.D{}
	if lo.State != "" {
		filter = bson.D{{Key: "state", Value: lo.State}}
	}
	cur, err := db.Collection(OutboxCollection).Find(ctx, filter, options.Find().
		SetSort(bson.D{{Key: "created_at", Value: -1}}).SetLimit(int64(lo.Limit)).
		SetProjection(bson.D{{Key: "data", Value: 0}, {Key: "attachments.data", Value: 0}}))
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	var out []Entry
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	return out, nil
}

// Get returns one entry, with its template data unless purged.
func Get(ctx context.Context, db *mongo.Database, id string) (*Entry, error) {
	var e Entry
	err := db.Collection(OutboxCollection).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&e)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", id, err)
	}
	return &e, nil
}

// Retry makes a failed, retrying or queued entry due now; failed
// recipients become pending again. A sent, sending, suppressed, cancelled
// or purged entry is refused.
func Retry(ctx context.Context, db *mongo.Database, id string, now time.Time) error {
	e, err := Get(ctx, db, id)
	if err != nil {
		return err
	}
	if e.Purged {
		return fmt.Errorf("retry %s: its body was purged", id)
	}
	if e.State != StateFailed && e.State != StateRetry && e.State != StateQueued {
		return fmt.Errorf("retry %s: entry is %s", id, e.State)
	}
	if err := retryGuard(ctx, db, e, now); err != nil {
		return err
	}
	for i := range e.Recipients {
		if e.Recipients[i].State == RcptFailed {
			e.Recipients[i].State, e.Recipients[i].Reply = RcptPending, ""
		}
	}
	now = now.UTC()
	res, err := db.Collection(OutboxCollection).UpdateOne(ctx,
		bson.D{{Key: "_id", Value: id}, {Key: "state", Value: e.State}, {Key: "attempts", Value: e.Attempts}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "state", Value: StateRetry}, {Key: "next_attempt_at", Value: now},
			{Key: "recipients", Value: e.Recipients}, {Key: "created_at", Value: now}, {Key: "updated_at", Value: now}}}})
	if err != nil {
		return fmt.Errorf("retry %s: %w", id, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("retry %s: it changed meanwhile; look again", id)
	}
	_, err = db.Collection(ReadyCollection).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "due", Value: now}, {Key: "priority", Value: e.Priority}, {Key: "created_at", Value: now}, {Key: "state", Value: StateRetry}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("retry %s: mark ready: %w", id, err)
	}
	return nil
}
