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

// Retry against pruning.
//
// The pruner reads a final entry, then deletes it by _id alone (the only
// delete the embedded store answers from an index). An operator's Retry
// that lands between the two would make the entry live again just before
// it is deleted, and the mail would be lost. So every prune run first
// records how far back it reaches (its age, now - cut-off) in settings,
// and Retry refuses an entry last changed earlier than now - age + a
// margin: a run that started before the retry selected only entries older
// than its start - age, which is earlier still. Before any run has
// recorded an age, DefaultPruneAge is assumed (the default
// retention.outbox); a first run with a shorter retention that starts in
// the same instant as a retry of an entry older than it is the one case
// left open.

// DefaultPruneAge is retention.outbox's default.
const DefaultPruneAge = 90 * 24 * time.Hour

// pruneGuardMargin keeps retries clear of a prune run by this much more
// (clocks of two processes on one machine agree far better).
const pruneGuardMargin = 24 * time.Hour

const pruneAgeSetting = "mailout.prune_age"

type pruneAge struct {
	ID      string    `bson:"_id"`
	Seconds int64     `bson:"seconds"`
	At      time.Time `bson:"at"`
}

// ErrTooOldToRetry refuses a retry of an entry the retention job may be
// deleting.
var ErrTooOldToRetry = errors.New("too old to retry: the retention job deletes it; enqueue the mail again")

func recordPruneAge(ctx context.Context, db *mongo.Database, age time.Duration) error {
	doc := pruneAge{ID: pruneAgeSetting, Seconds: int64(age / time.Second), At: time.Now().UTC()}
	_, err := db.Collection(SettingsCollection).ReplaceOne(ctx, bson.D{{Key: "_id", Value: doc.ID}}, doc,
		options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("prune outbox: record age: %w", err)
	}
	return nil
}

// retryGuard refuses e when a prune run may have selected it.
func retryGuard(ctx context.Context, db *mongo.Database, e *Entry, now time.Time) error {
	age := DefaultPruneAge
	var doc pruneAge
	err := db.Collection(SettingsCollection).FindOne(ctx, bson.D{{Key: "_id", Value: pruneAgeSetting}}).Decode(&doc)
	switch {
	case err == nil:
		age = time.Duration(doc.Seconds) * time.Second
	case !errors.Is(err, mongo.ErrNoDocuments):
		return fmt.Errorf("retry %s: read prune age: %w", e.ID, err)
	}
	if e.UpdatedAt.Before(now.Add(-age + pruneGuardMargin)) {
		return fmt.Errorf("retry %s: %w", e.ID, ErrTooOldToRetry)
	}
	return nil
}
