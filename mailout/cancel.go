package mailout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/config"
)

// ErrSending is returned by Cancel for an entry a process is sending (or
// has claimed and is about to send): it can no longer be stopped.
var ErrSending = errors.New("the mail is already being sent")

// cancelOwner names an operator's cancel in the claim token it wins.
const cancelOwner = "operator"

// Cancel stops a queued or retrying entry from being sent. It is fenced
// like a sender: it first wins the entry's next attempt by inserting that
// attempt's claim token ("<id>#<attempts+1>", a unique _id insert; see
// claim), and only then writes cancelled, by _id. A sender needs the same
// token before it may put the entry in sending, so of a cancel and a
// claim racing for an entry exactly one wins: either Cancel returns nil
// and nothing more is sent, or it returns an error wrapping ErrSending
// because a process holds the attempt (it may not have written sending
// yet) and will send the mail. A sending entry is refused with ErrSending
// too, and a final one with its state.
//
// lease is outbox.lease (0: the default): a claim token that old whose
// entry never entered sending was left by a process that died before
// sending, and is skipped, as claim skips it.
//
// A sensitive entry (a password or set-password link in its data) is
// purged in the same write that cancels it, exactly as record purges one
// that ends otherwise; then rev, when not nil, revokes the secret it
// carried (clients.Registry.RevokeSecret), from the copy read before the
// purge. A crash between the two leaves a cancelled, purged entry and a
// secret that still works but that no stored document holds any more; an
// error from rev says so.
func Cancel(ctx context.Context, db *mongo.Database, id string, now time.Time, lease time.Duration, rev Revoker) error {
	return cancelEntry(ctx, db, id, now, lease, rev, nil)
}

// Revoker revokes the secret a sensitive entry carried when it is
// cancelled before being sent. clients.Registry is one: it revokes the
// set-password token or generated password of e.Data if it is still the
// client's current one, and does nothing otherwise.
type Revoker interface {
	RevokeSecret(ctx context.Context, e *Entry) error
}

// cancelEntry is Cancel with a test hook called before each step.
func cancelEntry(ctx context.Context, db *mongo.Database, id string, now time.Time, lease time.Duration, rev Revoker, hook func(step string)) error {
	at := func(step string) {
		if hook != nil {
			hook(step)
		}
	}
	if lease <= 0 {
		lease = config.Default().Outbox.Lease.D()
	}
	now = now.UTC()
	entries, claims := db.Collection(OutboxCollection), db.Collection(ClaimsCollection)
	// lost is the entry's attempt count when we lost attempt lostN to
	// another holder of its claim token; -1 until then.
	lost, lostN := -1, 0
	for try := 0; try < 3; try++ {
		at("cancel.read")
		e, err := Get(ctx, db, id)
		if err != nil {
			return err
		}
		switch {
		case e.State == StateSending:
			return fmt.Errorf("cancel %s: %w (attempt %d by %s, lease until %s)", id, ErrSending,
				e.Attempts, e.LeaseOwner, e.LeaseUntil.Format(time.RFC3339))
		case lost >= 0 && e.State.Final() && e.State != StateCancelled:
			// The sender that beat us has already finished.
			return fmt.Errorf("cancel %s: %w (it is %s now)", id, ErrSending, e.State)
		case e.State != StateQueued && e.State != StateRetry:
			return fmt.Errorf("cancel %s: entry is %s; only queued or retrying entries can be cancelled", id, e.State)
		case e.Attempts == lost:
			// Still waiting, with the attempt we lost taken: its winner has
			// not written sending yet, or is another cancel.
			tok, err := readToken(ctx, claims, fmt.Sprintf("%s#%d", id, lostN))
			if err != nil {
				return fmt.Errorf("cancel %s: %w", id, err)
			}
			if tok.Why == "cancel" {
				return fmt.Errorf("cancel %s: another cancel of this entry is under way; look again", id)
			}
			return fmt.Errorf("cancel %s: %w (attempt %d was claimed by %s)", id, ErrSending, lostN, tok.Owner)
		}
		at("cancel.token")
		n, won, err := winAttempt(ctx, claims, id, e.Attempts, claimToken{Owner: cancelOwner, Why: "cancel", At: now}, lease)
		if err != nil {
			return fmt.Errorf("cancel %s: %w", id, err)
		}
		if !won {
			lost, lostN = e.Attempts, n // look again: a sender took it, or the entry moved on since our read
			continue
		}
		// Ours: no sender can put the entry in sending any more, so an
		// _id-only write cannot overwrite one.
		at("cancel.write")
		set := bson.D{{Key: "state", Value: StateCancelled}, {Key: "last_error", Value: "cancelled by an operator"},
			{Key: "updated_at", Value: now}}
		update := bson.D{{Key: "$set", Value: set}}
		if e.Sensitive {
			update = bson.D{{Key: "$set", Value: append(set, bson.E{Key: "purged", Value: true})},
				{Key: "$unset", Value: bson.D{{Key: "data", Value: ""}, {Key: "attachments", Value: ""}}}}
		}
		if _, err = entries.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, update); err != nil {
			return fmt.Errorf("cancel %s: %w", id, err)
		}
		if _, err := db.Collection(ReadyCollection).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
			return fmt.Errorf("cancel %s: drop ready marker: %w", id, err)
		}
		if e.Sensitive && rev != nil {
			at("cancel.revoke")
			if err := rev.RevokeSecret(ctx, e); err != nil {
				return fmt.Errorf("cancel %s: cancelled and purged, but the secret it carried was not revoked "+
					"(no stored copy of it is left; it expires by itself): %w", id, err)
			}
		}
		return nil
	}
	return fmt.Errorf("cancel %s: it kept changing while we looked; look again", id)
}

// readToken reads one document of outbox_claims.
func readToken(ctx context.Context, claims *mongo.Collection, id string) (claimToken, error) {
	var tok claimToken
	if err := claims.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&tok); err != nil {
		return tok, fmt.Errorf("read token %s: %w", id, err)
	}
	return tok, nil
}
