package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/clock"
)

// LeaseCollection holds one document per named lease.
const LeaseCollection = "leases"

// ErrLeaseLost is returned by Renew when another owner holds the lease (ours
// expired and was taken over) or it was released.
var ErrLeaseLost = errors.New("lease lost")

// Lease is a named, expiring claim that one owner at a time holds: the
// leadership primitive for mailboxes ("mailbox:soporte") and the scheduler.
//
// A lease document is {_id: name, owner, expires_at, epoch}. Acquire is one
// findOneAndUpdate by _id that matches only when the lease is free, expired
// or already ours, with upsert: when someone else holds it, the upsert's
// insert collides on _id and we know we lost. Epoch grows with every Acquire
// and is the fencing token: Renew matches it, so a holder whose lease was
// taken over (even if it got it back later) learns it lost the earlier hold.
//
// Holders must renew well before TTL passes (a third of it is a good
// interval) and stop working as soon as Renew fails.
type Lease struct {
	coll  *mongo.Collection
	name  string
	owner string
	ttl   time.Duration
	clock clock.Clock
	epoch int64
}

// LeaseState is what the database says about a lease.
type LeaseState struct {
	Name      string    `bson:"_id"`
	Owner     string    `bson:"owner"`
	ExpiresAt time.Time `bson:"expires_at"`
	Epoch     int64     `bson:"epoch"`
}

// NewLease returns a handle on the lease called name for owner. Nothing is
// written until Acquire.
func NewLease(db *mongo.Database, name, owner string, ttl time.Duration, c clock.Clock) *Lease {
	if c == nil {
		c = clock.Real{}
	}
	return &Lease{coll: db.Collection(LeaseCollection), name: name, owner: owner, ttl: ttl, clock: c}
}

// Acquire takes the lease if it is free, expired or already ours (then it
// renews it). It reports whether we hold it now.
func (l *Lease) Acquire(ctx context.Context) (bool, error) {
	now := l.clock.Now()
	filter := bson.D{{Key: "_id", Value: l.name}, {Key: "$or", Value: bson.A{
		bson.D{{Key: "owner", Value: l.owner}},
		bson.D{{Key: "expires_at", Value: bson.D{{Key: "$lte", Value: now}}}},
	}}}
	var after LeaseState
	err := l.coll.FindOneAndUpdate(ctx, filter,
		bson.D{
			{Key: "$set", Value: bson.D{{Key: "owner", Value: l.owner}, {Key: "expires_at", Value: now.Add(l.ttl)}}},
			{Key: "$inc", Value: bson.D{{Key: "epoch", Value: 1}}},
		},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After),
	).Decode(&after)
	if mongo.IsDuplicateKeyError(err) {
		return false, nil // someone else holds it: the upsert's insert collided
	}
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", l.name, err)
	}
	l.epoch = after.Epoch
	return true, nil
}

// Epoch is the fencing token of our current hold: it grows with every
// Acquire, so work stamped with it can be told apart from a later holder's.
func (l *Lease) Epoch() int64 { return l.epoch }

// Renew extends a lease we hold by TTL from now. It fails with ErrLeaseLost
// if we no longer hold it.
func (l *Lease) Renew(ctx context.Context) error {
	now := l.clock.Now()
	res, err := l.coll.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: l.name}, {Key: "owner", Value: l.owner}, {Key: "epoch", Value: l.epoch},
			{Key: "expires_at", Value: bson.D{{Key: "$gt", Value: now}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "expires_at", Value: now.Add(l.ttl)}}}})
	if err != nil {
		return fmt.Errorf("renew lease %s: %w", l.name, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("renew lease %s: %w", l.name, ErrLeaseLost)
	}
	return nil
}

// Release gives the lease up at once if we hold it, so another owner need not
// wait for it to expire. Releasing a lease we do not hold is a no-op.
func (l *Lease) Release(ctx context.Context) error {
	_, err := l.coll.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: l.name}, {Key: "owner", Value: l.owner}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "owner", Value: ""}, {Key: "expires_at", Value: time.Unix(0, 0).UTC()}}}})
	if err != nil {
		return fmt.Errorf("release lease %s: %w", l.name, err)
	}
	return nil
}

// State reads the lease document; a lease never taken has zero fields.
func (l *Lease) State(ctx context.Context) (LeaseState, error) {
	var st LeaseState
	err := l.coll.FindOne(ctx, bson.D{{Key: "_id", Value: l.name}}).Decode(&st)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return LeaseState{Name: l.name}, nil
	}
	if err != nil {
		return LeaseState{}, fmt.Errorf("read lease %s: %w", l.name, err)
	}
	return st, nil
}
