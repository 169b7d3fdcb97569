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

// Suppression marks an address undeliverable: later mail to it becomes
// suppressed until an operator clears it.
type Suppression struct {
	Address   string    `bson:"_id" json:"address"` // normalised
	Reason    string    `bson:"reason" json:"reason"`
	Source    string    `bson:"source" json:"source"` // "smtp" or "bounce"
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
}

// MarkUndeliverable records addr as undeliverable. The intake calls it for a
// matched bounce (source "bounce"); the outbox for a 5.x.x RCPT reply
// (source "smtp"). Repeating it keeps the first record.
func MarkUndeliverable(ctx context.Context, db *mongo.Database, addr, source, reason string, now time.Time) error {
	n := normalizeAddress(addr)
	if n == "" {
		return errors.New("mark undeliverable: empty address")
	}
	_, err := db.Collection(SuppressionsCollection).UpdateOne(ctx, bson.D{{Key: "_id", Value: n}},
		bson.D{{Key: "$setOnInsert", Value: bson.D{{Key: "reason", Value: reason}, {Key: "source", Value: source}, {Key: "created_at", Value: now.UTC()}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("mark %s undeliverable: %w", n, err)
	}
	return nil
}

// Suppressed reports whether addr is marked undeliverable (one _id read).
func Suppressed(ctx context.Context, db *mongo.Database, addr string) (bool, error) {
	_, ok, err := LookupSuppression(ctx, db, addr)
	return ok, err
}

// LookupSuppression returns addr's suppression record (why and since when
// it is undeliverable) and whether there is one (one _id read). Billing
// uses it to route collection notes around a bounced contact.
func LookupSuppression(ctx context.Context, db *mongo.Database, addr string) (Suppression, bool, error) {
	var s Suppression
	err := db.Collection(SuppressionsCollection).FindOne(ctx, bson.D{{Key: "_id", Value: normalizeAddress(addr)}}).Decode(&s)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Suppression{}, false, nil
	}
	if err != nil {
		return Suppression{}, false, fmt.Errorf("check suppression of %s: %w", addr, err)
	}
	return s, true, nil
}

// ListSuppressions returns every suppressed address, oldest first.
func ListSuppressions(ctx context.Context, db *mongo.Database) ([]Suppression, error) {
	cur, err := db.Collection(SuppressionsCollection).Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list suppressions: %w", err)
	}
	var out []Suppression
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list suppressions: %w", err)
	}
	return out, nil
}

// ClearSuppression lets mail go to addr again. It reports whether the
// address was suppressed.
func ClearSuppression(ctx context.Context, db *mongo.Database, addr string) (bool, error) {
	res, err := db.Collection(SuppressionsCollection).DeleteOne(ctx, bson.D{{Key: "_id", Value: normalizeAddress(addr)}})
	if err != nil {
		return false, fmt.Errorf("clear suppression of %s: %w", addr, err)
	}
	return res.DeletedCount > 0, nil
}
