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

// claim takes the entry under a lease. It reads the entry by _id and, if
// it is due (queued or retry) or its lease ran out (a crashed sender),
// wins attempt number attempts+1 by inserting the claim token
// "<id>#<n>" into outbox_claims: a unique _id insert, which the embedded
// store makes atomic where its findOneAndUpdate is not (two processes were
// seen to both "win" one conditional findOneAndUpdate). The winner then
// sets state=sending, the lease, attempts=n and next_attempt_at = lease
// end BEFORE anything is dialled, so a crash from here on delays the
// entry by one lease instead of losing it. attempts is the fencing token
// every later write matches. nil, nil: not ours to send now.
func (o *Outbox) claim(ctx context.Context, id string) (*Entry, error) {
	now := o.clock.Now().UTC()
	var e Entry
	err := o.entries.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&e)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim %s: read: %w", id, err)
	}
	due := (e.State == StateQueued || e.State == StateRetry) && !e.NextAttemptAt.After(now)
	expired := e.State == StateSending && !e.LeaseUntil.After(now)
	if !due && !expired {
		return nil, nil
	}
	if expired {
		ok, err := o.takeOver(ctx, &e, now)
		if err != nil || !ok {
			return nil, err
		}
	}
	// A claim token whose entry was never put in sending is a lease old
	// only if its winner died between the token and the lease write, before
	// sending anything: that attempt number is skipped.
	n := e.Attempts + 1
	for ; ; n++ {
		tokenID := fmt.Sprintf("%s#%d", id, n)
		token := bson.D{{Key: "_id", Value: tokenID}, {Key: "owner", Value: o.opts.Owner}, {Key: "at", Value: now}}
		_, err := o.claims.InsertOne(ctx, token)
		if err == nil {
			break
		}
		if !mongo.IsDuplicateKeyError(err) {
			return nil, fmt.Errorf("claim %s: token: %w", id, err)
		}
		stale, err := o.staleToken(ctx, tokenID, now)
		if err != nil || !stale || n > e.Attempts+3 {
			return nil, err // another process won attempt n (and is alive)
		}
	}
	until := now.Add(o.opts.Outbox.Lease.D())
	_, err = o.entries.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "state", Value: StateSending}, {Key: "lease_owner", Value: o.opts.Owner},
			{Key: "lease_until", Value: until}, {Key: "next_attempt_at", Value: until}, {Key: "updated_at", Value: now},
			{Key: "attempts", Value: n}}}})
	if err != nil {
		return nil, fmt.Errorf("claim %s: lease: %w", id, err)
	}
	e.State, e.LeaseOwner, e.LeaseUntil, e.NextAttemptAt, e.Attempts = StateSending, o.opts.Owner, until, until, n
	return &e, nil
}

// missed handles a marker whose entry could not be claimed: the entry is
// gone or final (delete the marker), or another process holds it or it is
// not due yet (move the marker's due time to when it could be).
func (o *Outbox) missed(ctx context.Context, rd readyDoc) error {
	var e Entry
	err := o.entries.FindOne(ctx, bson.D{{Key: "_id", Value: rd.ID}},
		options.FindOne().SetProjection(bson.D{{Key: "state", Value: 1}, {Key: "next_attempt_at", Value: 1}, {Key: "lease_until", Value: 1}})).Decode(&e)
	if errors.Is(err, mongo.ErrNoDocuments) {
		// Enqueue writes the marker before the entry, so a scan can see a
		// marker whose entry is a moment from existing: only a marker older
		// than a lease is a crash leftover. A young one stays for the next
		// scan (and Enqueue's own push).
		if o.clock.Now().Sub(rd.CreatedAt) < o.opts.Outbox.Lease.D() {
			return nil
		}
		return o.unready(ctx, rd.ID)
	}
	if err == nil && e.State.Final() {
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

// takeOver ends the expired attempt of a sender that did not record it, by
// inserting its end token (see record): from then on that sender's late
// outcome is refused. If the token exists, the sender recorded (or is
// recording) its outcome: not ours, unless the token is older than a lease,
// which means its holder died between the token and the entry write.
func (o *Outbox) takeOver(ctx context.Context, e *Entry, now time.Time) (bool, error) {
	won, err := o.endAttempt(ctx, e.ID, e.Attempts, "takeover", now)
	if err != nil || won {
		return won, err
	}
	return o.staleToken(ctx, endToken(e.ID, e.Attempts), now)
}

// staleToken reports whether the token _id in outbox_claims is at least a
// lease old: its inserter did not follow it with the entry write it was
// for within a lease, so it died in between.
func (o *Outbox) staleToken(ctx context.Context, id string, now time.Time) (bool, error) {
	var tok struct {
		At time.Time `bson:"at"`
	}
	err := o.claims.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&tok)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read token %s: %w", id, err)
	}
	return now.Sub(tok.At) >= o.opts.Outbox.Lease.D(), nil
}
