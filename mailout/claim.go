package mailout

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// claim takes the entry under a lease with one findOneAndUpdate by _id. It
// matches only an entry that is due (queued or retry) or whose lease ran
// out (a crashed sender), and pushes lease_until and next_attempt_at
// forward before anything is dialled, so a crash from here on delays the
// entry by one lease instead of losing it. attempts doubles as the fencing
// token: every later write matches it. nil, nil: not ours to send now.
func (o *Outbox) claim(ctx context.Context, id string) (*Entry, error) {
	now := o.clock.Now().UTC()
	until := now.Add(o.opts.Outbox.Lease.D())
	filter := bson.D{{Key: "_id", Value: id}, {Key: "$or", Value: bson.A{
		bson.D{{Key: "state", Value: bson.D{{Key: "$in", Value: bson.A{StateQueued, StateRetry}}}}, {Key: "next_attempt_at", Value: bson.D{{Key: "$lte", Value: now}}}},
		bson.D{{Key: "state", Value: StateSending}, {Key: "lease_until", Value: bson.D{{Key: "$lte", Value: now}}}},
	}}}
	update := bson.D{
		{Key: "$set", Value: bson.D{{Key: "state", Value: StateSending}, {Key: "lease_owner", Value: o.opts.Owner},
			{Key: "lease_until", Value: until}, {Key: "next_attempt_at", Value: until}, {Key: "updated_at", Value: now}}},
		{Key: "$inc", Value: bson.D{{Key: "attempts", Value: 1}}},
	}
	var e Entry
	err := o.entries.FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&e)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w", id, err)
	}
	return &e, nil
}

// missed handles a marker whose entry could not be claimed: the entry is
// gone or final (delete the marker), or another process holds it or it is
// not due yet (move the marker's due time to when it could be).
func (o *Outbox) missed(ctx context.Context, rd readyDoc) error {
	var e Entry
	err := o.entries.FindOne(ctx, bson.D{{Key: "_id", Value: rd.ID}},
		options.FindOne().SetProjection(bson.D{{Key: "state", Value: 1}, {Key: "next_attempt_at", Value: 1}, {Key: "lease_until", Value: 1}})).Decode(&e)
	if errors.Is(err, mongo.ErrNoDocuments) || (err == nil && e.State.Final()) {
		return o.unready(ctx, rd.ID)
	}
	if err != nil {
		return fmt.Errorf("check unclaimed %s: %w", rd.ID, err)
	}
	due := e.NextAttemptAt
	if e.State == StateSending && e.LeaseUntil.After(due) {
		due = e.LeaseUntil
	}
	if due.After(rd.Due) {
		rd.Due = due
		return o.setDue(ctx, rd)
	}
	return nil
}
