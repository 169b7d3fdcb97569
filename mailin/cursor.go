package mailin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// CursorCollection holds one document per mailbox (_id = its name): the
// cursor (UIDVALIDITY and the last UID fully handled) and the watcher's
// status, so `turno mail status` works from any process.
const CursorCollection = "mail_cursors"

// Cursor is a mailbox's position and status.
type Cursor struct {
	Mailbox     string `bson:"_id" json:"mailbox"`
	UIDValidity uint32 `bson:"uidvalidity" json:"uidvalidity"`
	LastUID     uint32 `bson:"last_uid" json:"last_uid"`
	// Epoch is the lease epoch of the last cursor write: a writer with an
	// older epoch (a process that lost the lease) cannot move it.
	Epoch int64 `bson:"epoch" json:"-"`

	Owner       string    `bson:"owner,omitempty" json:"owner,omitempty"`
	Connected   bool      `bson:"connected" json:"connected"`
	LastPoll    time.Time `bson:"last_poll,omitempty" json:"last_poll,omitzero"`
	Errors      int64     `bson:"errors" json:"errors"`
	LastError   string    `bson:"last_error,omitempty" json:"last_error,omitempty"`
	LastErrorAt time.Time `bson:"last_error_at,omitempty" json:"last_error_at,omitzero"`
	UpdatedAt   time.Time `bson:"updated_at,omitempty" json:"updated_at,omitzero"`
}

var errFenced = errors.New("cursor moved by a newer lease holder")

type cursors struct{ coll *mongo.Collection }

func (c cursors) get(ctx context.Context, name string) (Cursor, error) {
	var cur Cursor
	err := c.coll.FindOne(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&cur)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Cursor{Mailbox: name}, nil
	}
	if err != nil {
		return Cursor{}, fmt.Errorf("read cursor: %w", err)
	}
	return cur, nil
}

// set moves the cursor, fenced by the lease epoch. last only grows within
// one UIDVALIDITY; a new UIDVALIDITY resets it.
func (c cursors) set(ctx context.Context, name string, epoch int64, uidValidity, last uint32) error {
	filter := bson.D{{Key: "_id", Value: name}, {Key: "$or", Value: bson.A{
		bson.D{{Key: "epoch", Value: bson.D{{Key: "$lte", Value: epoch}}}},
		bson.D{{Key: "epoch", Value: bson.D{{Key: "$exists", Value: false}}}},
	}}}
	_, err := c.coll.UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: bson.D{
		{Key: "epoch", Value: epoch}, {Key: "uidvalidity", Value: uidValidity}, {Key: "last_uid", Value: last},
	}}}, options.UpdateOne().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) {
		return errFenced
	}
	if err != nil {
		return fmt.Errorf("write cursor: %w", err)
	}
	return nil
}

// status records the watcher's state; unfenced, it is only for display.
func (c cursors) status(ctx context.Context, name string, set bson.D, inc bson.D) error {
	upd := bson.D{{Key: "$set", Value: set}}
	if len(inc) > 0 {
		upd = append(upd, bson.E{Key: "$inc", Value: inc})
	}
	_, err := c.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: name}}, upd, options.UpdateOne().SetUpsert(true))
	return err
}

// Statuses reads every mailbox's cursor and status.
func Statuses(ctx context.Context, db *mongo.Database) ([]Cursor, error) {
	cur, err := db.Collection(CursorCollection).Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("read mailbox status: %w", err)
	}
	var out []Cursor
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read mailbox status: %w", err)
	}
	return out, nil
}
