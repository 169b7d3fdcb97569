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

// errLeaseLost: our claim was taken over before we recorded the outcome.
var errLeaseLost = errors.New("lease lost before the outcome was recorded")

// outcome is what one attempt decided.
type outcome struct {
	State      State
	Recipients []Recipient
	LastError  string
	Relay      string
	NextAt     time.Time // for StateRetry
	// AcceptedAt is when the relay accepted the message (wall clock), the
	// start of the duplicate-send window.
	AcceptedAt time.Time
	// Ambiguous: the body was sent and no reply came (txResult.NoReply);
	// it adds one to the entry's ambiguous count.
	Ambiguous bool
}

// record writes the outcome, fenced by attempt n's end token (endAttempt),
// then moves or removes the ready marker. Sensitive entries lose their body once final.
func (o *Outbox) record(ctx context.Context, e *Entry, out outcome) error {
	now := o.clock.Now().UTC()
	set := bson.D{{Key: "state", Value: out.State}, {Key: "recipients", Value: out.Recipients},
		{Key: "last_error", Value: out.LastError}, {Key: "updated_at", Value: now},
		{Key: "lease_owner", Value: ""}, {Key: "lease_until", Value: time.Time{}}}
	if out.Relay != "" {
		set = append(set, bson.E{Key: "relay", Value: out.Relay})
	}
	switch {
	case out.State == StateRetry:
		set = append(set, bson.E{Key: "next_attempt_at", Value: out.NextAt})
	case out.State == StateSent:
		set = append(set, bson.E{Key: "sent_at", Value: now})
	}
	update := bson.D{{Key: "$set", Value: set}}
	if out.State.Final() && e.Sensitive {
		update = append(update, bson.E{Key: "$unset", Value: bson.D{{Key: "data", Value: ""}, {Key: "attachments", Value: ""}}})
		set = append(set, bson.E{Key: "purged", Value: true})
		update[0].Value = set
	}
	if out.Ambiguous {
		update = append(update, bson.E{Key: "$inc", Value: bson.D{{Key: "ambiguous", Value: 1}}})
	}
	// The fence: whoever inserts attempt n's end token first ends it, this
	// sender or a process taking over its expired lease (claim). The write
	// itself then filters by _id alone, the only filter the embedded store
	// answers from an index; a filter on state, owner and attempts made
	// every outcome decode the whole outbox.
	won, err := o.endAttempt(ctx, e.ID, e.Attempts, "record", now)
	if err != nil {
		return fmt.Errorf("record %s for %s: %w", out.State, e.ID, err)
	}
	if !won {
		return fmt.Errorf("record %s for %s: %w", out.State, e.ID, errLeaseLost)
	}
	res, err := o.entries.UpdateOne(ctx, bson.D{{Key: "_id", Value: e.ID}}, update)
	if err != nil {
		return fmt.Errorf("record %s for %s: %w", out.State, e.ID, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("record %s for %s: %w", out.State, e.ID, errLeaseLost)
	}
	if out.State.Final() {
		o.countFinal(ctx, e, out, now) // stats.go: the dashboard's counters
		return o.unready(ctx, e.ID)
	}
	rd := readyDoc{ID: e.ID, Priority: e.Priority, CreatedAt: e.CreatedAt, Due: out.NextAt, State: StateRetry}
	if err := o.setDue(ctx, rd); err != nil {
		return err
	}
	o.queue.later(rd) // pushed when due, even while a busy process skips scans
	return nil
}

func (o *Outbox) unready(ctx context.Context, id string) error {
	if _, err := o.ready.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
		return fmt.Errorf("drop ready marker %s: %w", id, err)
	}
	return nil
}

// setDue moves (or recreates) an entry's ready marker to rd.Due, and
// records rd.State on it when set.
func (o *Outbox) setDue(ctx context.Context, rd readyDoc) error {
	set := bson.D{{Key: "due", Value: rd.Due.UTC()}}
	if rd.State != "" {
		set = append(set, bson.E{Key: "state", Value: rd.State})
	}
	_, err := o.ready.UpdateOne(ctx, bson.D{{Key: "_id", Value: rd.ID}},
		bson.D{{Key: "$set", Value: set},
			{Key: "$setOnInsert", Value: bson.D{{Key: "priority", Value: rd.Priority}, {Key: "created_at", Value: rd.CreatedAt.UTC()}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("move ready marker %s: %w", rd.ID, err)
	}
	return nil
}

// endToken is the _id in outbox_claims that ends attempt n of entry id. It
// cannot equal a claim token "<id>#<n>", which ends in a digit.
func endToken(id string, n int) string { return fmt.Sprintf("%s#%d.end", id, n) }

// endAttempt inserts attempt n's end token: true if this process inserted
// it, false if someone already had (a unique _id insert decides, atomic on
// every store).
func (o *Outbox) endAttempt(ctx context.Context, id string, n int, why string, now time.Time) (bool, error) {
	_, err := o.claims.InsertOne(ctx, claimToken{ID: endToken(id, n), Owner: o.opts.Owner, Why: why, At: now})
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("end attempt %d: %w", n, err)
	}
	return true, nil
}
