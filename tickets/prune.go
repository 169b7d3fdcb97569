package tickets

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/mailout"
)

// Pruning (the retention job, package retention).
//
// What goes: auto_reply_budget slots of clock hours before the cut-off
// (a slot is read only by a reply in its own hour), and
// unknown_sender_replies claims sent before the cut-off and at least two
// windows ago (a claim is read by its own bucket and the next one, so
// deleting it sooner could let a second reply into one window).
//
// What stays, for ever, with the messages they describe: ticket_seen and
// ticket_message_ids. They are the dedup records: a rescanned old mail
// (a UIDVALIDITY change, a mailbox restored from backup, the intake's
// ledger pruned) must find its seen record to be known, its fingerprint
// there to tell a different mail reusing its Message-ID from itself, and
// its completion record to be answered as a duplicate without running the
// remaining steps. Without the seen record it would be taken as new: a
// number allocated for nothing, and the automatic reply enqueued again
// under its old key, which the outbox no longer knows once its entry was
// pruned (a second acknowledgement); a reused Message-ID would collide
// with the stored message and be dropped (DESIGN.md, invariant 2). Both
// are a few dozen bytes per message, beside the message they guard.
// Tickets, messages, numbers, bounces and the queue are records, never
// pruned here.
//
// Both collections are read once as one cursor with a projection and
// deleted from by exact _id (mailout.DeleteIDs; mailout's prune.go has
// the measurements).

// Pruner deletes expired automatic-reply budgets and unknown-sender
// windows.
type Pruner struct {
	DB *mongo.Database
	// Window is tickets.unknown_sender_reply_window; default 7 days.
	Window time.Duration
	Now    func() time.Time // default time.Now
	Logger *slog.Logger
}

// Prune deletes budget slots of hours before before, and unknown-sender
// claims sent before before and two windows before now; it returns how
// many it deleted.
func (p Pruner) Prune(ctx context.Context, before time.Time) (int, error) {
	now, w, log := time.Now, p.Window, p.Logger
	if p.Now != nil {
		now = p.Now
	}
	if w <= 0 {
		w = 7 * 24 * time.Hour
	}
	if log == nil {
		log = slog.Default()
	}
	budget, err := pruneByTime(ctx, p.DB.Collection(CollBudget), "hour", before)
	if err != nil {
		return budget, err
	}
	cut := before
	if twoWindows := now().Add(-2 * w); twoWindows.Before(cut) {
		cut = twoWindows
	}
	unknown, err := pruneByTime(ctx, p.DB.Collection(CollUnknown), "sent_at", cut)
	if err != nil {
		return budget + unknown, err
	}
	log.Info("automatic-reply bookkeeping pruned", "budget_slots", budget, "unknown_sender_claims", unknown, "before", before)
	return budget + unknown, nil
}

// pruneByTime deletes, by _id, the documents of c whose field is before t.
func pruneByTime(ctx context.Context, c *mongo.Collection, field string, t time.Time) (int, error) {
	cur, err := c.Find(ctx, bson.D{}, options.Find().SetBatchSize(1000).SetProjection(bson.D{{Key: field, Value: 1}}))
	if err != nil {
		return 0, fmt.Errorf("prune %s: read: %w", c.Name(), err)
	}
	defer cur.Close(ctx)
	var ids []string
	for cur.Next(ctx) {
		at, ok := cur.Current.Lookup(field).TimeOK()
		id, isStr := cur.Current.Lookup("_id").StringValueOK()
		if ok && isStr && at.Before(t) {
			ids = append(ids, id)
		}
	}
	if err := cur.Err(); err != nil {
		return 0, fmt.Errorf("prune %s: read: %w", c.Name(), err)
	}
	n, err := mailout.DeleteIDs(ctx, c, ids)
	if err != nil {
		return n, fmt.Errorf("prune %s: %w", c.Name(), err)
	}
	return n, nil
}
