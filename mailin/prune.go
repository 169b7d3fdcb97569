package mailin

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Pruning the intake's bookkeeping (the retention job, package retention).
//
//   - mail_messages: an entry whose Sink took the message (ingested) and
//     that arrived before the cut-off. The ledger is what makes a rescan
//     cheap, not what makes it correct: the Sink must be idempotent by
//     Incoming.Key for ever (tickets keeps ticket_seen and
//     ticket_message_ids with its messages, agentmail its agentmail_done),
//     so a rescanned old mail is stored (raw bytes once per hash), claimed
//     in the ledger anew and found a duplicate by the Sink. Entries not
//     ingested (the message was quarantined) stay.
//   - mail_attempts: failures of a server copy the mailbox's cursor has
//     passed (same UIDVALIDITY and UID at most the last handled one, or an
//     older UIDVALIDITY). A copy is passed only once it was stored or
//     quarantined, and both clear its attempts, so what is left is a
//     crash's leftover that nothing reads again. They carry no time; the
//     cursor decides.
//   - mail_quarantine: entries in state done (an operator's retry
//     succeeded) quarantined before the cut-off. Held and retrying ones
//     stay whatever their age: they wait for an operator.
//
// Each collection is read once, as one cursor with a projection (on the
// embedded store any filter but an exact _id reads the whole collection
// anyway), and deleted from by exact _id, 99 per command (see mailout's
// prune.go for the measurements).

// Pruner deletes the intake's bookkeeping nothing needs any more.
type Pruner struct {
	DB     *mongo.Database
	Logger *slog.Logger
}

// Prune deletes ingested ledger entries and done quarantine entries from
// before before, and the failed-attempt records of copies the cursors have
// passed; it returns how many documents it deleted.
func (p Pruner) Prune(ctx context.Context, before time.Time) (int, error) {
	log := p.Logger
	if log == nil {
		log = slog.Default()
	}
	ledger, err := p.pruneWhere(ctx, MessageCollection, bson.D{{Key: "ingested", Value: 1}, {Key: "at", Value: 1}},
		func(raw bson.Raw) bool {
			ing, _ := raw.Lookup("ingested").BooleanOK()
			at, ok := raw.Lookup("at").TimeOK()
			return ing && ok && at.Before(before)
		})
	if err != nil {
		return ledger, err
	}
	quar, err := p.pruneWhere(ctx, QuarantineCollection, bson.D{{Key: "state", Value: 1}, {Key: "at", Value: 1}},
		func(raw bson.Raw) bool {
			st, _ := raw.Lookup("state").StringValueOK()
			at, ok := raw.Lookup("at").TimeOK()
			return st == QuarantineDone && ok && at.Before(before)
		})
	if err != nil {
		return ledger + quar, err
	}
	curs, err := Statuses(ctx, p.DB)
	if err != nil {
		return ledger + quar, err
	}
	byBox := map[string]Cursor{}
	for _, c := range curs {
		byBox[c.Mailbox] = c
	}
	att, err := p.pruneWhere(ctx, AttemptCollection, bson.D{{Key: "_id", Value: 1}}, func(raw bson.Raw) bool {
		id, _ := raw.Lookup("_id").StringValueOK()
		return passed(byBox, id)
	})
	n := ledger + quar + att
	if err != nil {
		return n, err
	}
	log.Info("intake pruned", "ledger", ledger, "quarantine", quar, "attempts", att, "before", before)
	return n, nil
}

// passed reports whether the cursor of the copy's mailbox is past the
// copy "mailbox/uidvalidity/uid" (the mailbox name may hold slashes).
func passed(byBox map[string]Cursor, source string) bool {
	i := strings.LastIndexByte(source, '/')
	if i < 0 {
		return false
	}
	j := strings.LastIndexByte(source[:i], '/')
	if j < 0 {
		return false
	}
	uidv, err1 := strconv.ParseUint(source[j+1:i], 10, 32)
	uid, err2 := strconv.ParseUint(source[i+1:], 10, 32)
	c, ok := byBox[source[:j]]
	if err1 != nil || err2 != nil || !ok {
		return false
	}
	if uint32(uidv) != c.UIDValidity {
		return c.UIDValidity != 0 // the mailbox moved on to another UIDVALIDITY
	}
	return uint32(uid) <= c.LastUID
}

// pruneWhere reads every document of coll with proj and deletes, by _id,
// those drop accepts.
func (p Pruner) pruneWhere(ctx context.Context, coll string, proj bson.D, drop func(bson.Raw) bool) (int, error) {
	c := p.DB.Collection(coll)
	cur, err := c.Find(ctx, bson.D{}, options.Find().SetBatchSize(1000).SetProjection(proj))
	if err != nil {
		return 0, fmt.Errorf("prune %s: read: %w", coll, err)
	}
	defer cur.Close(ctx)
	var ids []string
	deleted := 0
	for cur.Next(ctx) {
		if !drop(cur.Current) {
			continue
		}
		id, ok := cur.Current.Lookup("_id").StringValueOK()
		if !ok {
			continue
		}
		if ids = append(ids, id); len(ids) == pruneBatch {
			n, err := deleteIDs(ctx, c, ids)
			deleted += n
			if err != nil {
				return deleted, fmt.Errorf("prune %s: %w", coll, err)
			}
			ids = ids[:0]
		}
	}
	if err := cur.Err(); err != nil {
		return deleted, fmt.Errorf("prune %s: read: %w", coll, err)
	}
	n, err := deleteIDs(ctx, c, ids)
	deleted += n
	if err != nil {
		return deleted, fmt.Errorf("prune %s: %w", coll, err)
	}
	return deleted, nil
}

// pruneBatch is the most _id deletes in one command (the embedded
// store's write batch).
const pruneBatch = 99

// deleteIDs deletes by exact _id, one unordered bulk of DeleteOne models
// (ids holds at most pruneBatch).
func deleteIDs(ctx context.Context, c *mongo.Collection, ids []string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	models := make([]mongo.WriteModel, 0, len(ids))
	for _, id := range ids {
		models = append(models, mongo.NewDeleteOneModel().SetFilter(bson.D{{Key: "_id", Value: id}}))
	}
	res, err := c.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
	if res == nil {
		return 0, err
	}
	return int(res.DeletedCount), err
}
