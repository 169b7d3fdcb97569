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
// entry by one lease instead of losing it. An operator's Cancel wins its
// attempt the same way (winAttempt), so a claim and a cancel never both
// win. The hook steps (claim.read, claim.token, claim.lease) let a test
// run a cancel between any two of them. nil, nil: not ours to send now.
func (o *Outbox) claim(ctx context.Context, id string) (*Entry, error) {
	now := o.clock.Now().UTC()
	o.at("claim.read")
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
	o.at("claim.token")
	n, won, err := winAttempt(ctx, o.claims, id, e.Attempts, claimToken{Owner: o.opts.Owner, At: now}, o.opts.Outbox.Lease.D())
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w", id, err)
	}
	if !won {
		return nil, nil // another process won attempt n (and is alive)
	}
	o.at("claim.lease")
	until := now.Add(o.opts.Outbox.Lease.D())
	_, err = o.entries.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "state", Value: StateSending}, {Key: "lease_owner", Value: o.opts.Owner},
			{Key: "lease_until", Value: until}, {Key: "next_attempt_at", Value: until}, {Key: "updated_at", Value: now},
			{Key: "attempts", Value: n}}}})
	if err != nil {
		return nil, fmt.Errorf("claim %s: lease: %w", id, err)
	}
	e.State, e.LeaseOwner, e.LeaseUntil, e.NextAttemptAt, e.Attempts = StateSending, o.opts.Owner, until, until, n
	// The marker follows (state for the depth gauge, due at the lease's
	// end, when anyone else could take it): one _id update, no upsert, so
	// a marker already dropped stays dropped.
	if _, err := o.ready.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "state", Value: StateSending}, {Key: "due", Value: until}}}}); err != nil {
		o.log.Warn("outbox: ready marker not moved to the lease end", "outbox_id", id, "err", err)
	}
	return &e, nil
}

// claimToken is a document of outbox_claims: "<id>#<n>" won attempt n of
// entry id (a sender's claim, or an operator's cancel), "<id>#<n>.end"
// ended it (see endAttempt).
type claimToken struct {
	ID    string    `bson:"_id"`
	Owner string    `bson:"owner"` // the winning process, or "operator"
	At    time.Time `bson:"at"`
	// Why: "cancel" on the claim token of a cancel; "record" or
	// "takeover" on end tokens; empty on a sender's claim token.
	Why string `bson:"why,omitempty"`
}

// winAttempt wins the attempt after attempts of entry id by inserting its
// claim token tok ("<id>#<attempts+1>"): a unique _id insert, atomic on
// every store, so of a sender and a cancel (or two senders) exactly one
// wins each attempt. A claim token whose entry was never put in sending
// is a lease old only if its winner died between the token and its entry
// write, before sending anything: that attempt number is skipped (a few
// at most). won=false: another holder of attempt n is alive.
func winAttempt(ctx context.Context, claims *mongo.Collection, id string, attempts int, tok claimToken, lease time.Duration) (n int, won bool, err error) {
	for n = attempts + 1; ; n++ {
		tok.ID = fmt.Sprintf("%s#%d", id, n)
		_, err := claims.InsertOne(ctx, tok)
		if err == nil {
			return n, true, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return n, false, fmt.Errorf("token: %w", err)
		}
		stale, err := staleToken(ctx, claims, tok.ID, tok.At, lease)
		if err != nil || !stale || n > attempts+3 {
			return n, false, err
		}
	}
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
	// The marker's state is repaired here too (a writer that crashed
	// between the entry and the marker left it behind).
	if due.After(rd.Due) || (rd.State != e.State && e.State != "") {
		rd.Due, rd.State = maxTime(due, rd.Due), e.State
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
	return staleToken(ctx, o.claims, endToken(e.ID, e.Attempts), now, o.opts.Outbox.Lease.D())
}

// staleToken reports whether the token id in outbox_claims is at least a
// lease old: its inserter did not follow it with the entry write it was
// for within a lease, so it died in between.
func staleToken(ctx context.Context, claims *mongo.Collection, id string, now time.Time, lease time.Duration) (bool, error) {
	var tok claimToken
	err := claims.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&tok)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read token %s: %w", id, err)
	}
	return now.Sub(tok.At) >= lease, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
