package mailout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Pruning the outbox (the retention job, package retention).
//
// A final entry (sent, failed, suppressed, cancelled) whose last change
// (updated_at) is older than the cut-off is deleted with what only it
// needs: its claim and end tokens in outbox_claims ("<id>#1" up to one past
// its attempts, which a cancel takes, and "<id>#n.end") and its VERP record
// (the tag is computed from the Message-ID key, so records written under a
// key since rotated are left behind). Dependents go first and the entry
// last, so a crash in between leaves an entry the next run deletes again,
// never tokens nothing names. Queued, retrying and sending entries are
// never touched.
//
// Finding them: on the embedded store a filter on anything but _id decodes
// the whole collection, and so does {_id: {$in: [...]}} and an _id range
// with a sort (measured on this 2-core machine with 1.5 KB documents: a
// $in of 100 ids, as a find or a deleteMany, 1.8 s among 2,000 documents
// and 5.6 s among 8,000, the same as reading all of them; one page of an
// _id-range scan with sort and limit 4.3 s among 8,000). So the job reads
// the outbox once, as one cursor over every entry with a projection of
// the four fields it needs (3 s for 8,000), and deletes by exact _id: an
// unordered bulk of DeleteOne {_id} models, at most 99 per command (the
// store's write batch), measured at 0.26-0.36 s per 99 (about 3 ms a
// document, the same as one DeleteOne by _id, without the round trips;
// the write lock is held for one command, so intake and sends interleave
// between batches). The same pass counts the final entries it keeps by
// state (FinalCounts), which the depth gauge reports between passes.
//
// The idempotency key of a deleted entry no longer deduplicates: a caller
// that enqueued under it again would send again. Every caller keeps its
// own record of what it sent (tickets' completion records, billing's
// stages, the notifier's pending markers), which is why the default
// retention (90 days) is far beyond any retry.

// PruneBatch is the most _id deletes sent in one command.
const PruneBatch = 99

// Pruner deletes final outbox entries older than a cut-off.
type Pruner struct {
	DB *mongo.Database
	// MessageIDKey is the key VERP tags are computed with (MessageIDKey);
	// nil leaves the VERP records.
	MessageIDKey []byte
	Logger       *slog.Logger
	// Now stamps the final counts; default time.Now.
	Now func() time.Time
}

// finalCountsSetting holds the final entries counted by the last prune.
const finalCountsSetting = "mailout.final_counts"

// FinalCounts is what the last prune counted: the final entries it kept,
// by state, and when.
type FinalCounts struct {
	ID     string        `bson:"_id"`
	Counts map[State]int `bson:"counts"`
	At     time.Time     `bson:"at"`
}

// Prune deletes every final entry last changed before before, with its
// tokens and VERP record, and returns how many entries it deleted.
func (p Pruner) Prune(ctx context.Context, before time.Time) (int, error) {
	log := p.Logger
	if log == nil {
		log = slog.Default()
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	// Record how far back this run reaches before reading a single row,
	// so that Retry, which reads it, refuses every entry this run may
	// have selected (see retryGuard).
	if err := recordPruneAge(ctx, p.DB, now().Sub(before)); err != nil {
		return 0, err
	}
	entries := p.DB.Collection(OutboxCollection)
	cur, err := entries.Find(ctx, bson.D{}, options.Find().SetBatchSize(1000).SetProjection(bson.D{
		{Key: "state", Value: 1}, {Key: "updated_at", Value: 1}, {Key: "attempts", Value: 1}}))
	if err != nil {
		return 0, fmt.Errorf("prune outbox: read: %w", err)
	}
	defer cur.Close(ctx)
	kept := map[State]int{}
	var batch []pruneRow
	deleted := 0
	for cur.Next(ctx) {
		var r pruneRow
		if err := cur.Decode(&r); err != nil {
			return deleted, fmt.Errorf("prune outbox: decode: %w", err)
		}
		if !r.State.Final() {
			continue
		}
		if !r.UpdatedAt.Before(before) {
			kept[r.State]++
			continue
		}
		batch = append(batch, r)
		if len(batch) == PruneBatch {
			n, err := p.deleteEntries(ctx, batch)
			deleted += n
			if err != nil {
				return deleted, err
			}
			batch = batch[:0]
		}
	}
	if err := cur.Err(); err != nil {
		return deleted, fmt.Errorf("prune outbox: read: %w", err)
	}
	n, err := p.deleteEntries(ctx, batch)
	deleted += n
	if err != nil {
		return deleted, err
	}
	fc := FinalCounts{ID: finalCountsSetting, Counts: kept, At: now().UTC()}
	if _, err := p.DB.Collection(SettingsCollection).ReplaceOne(ctx, bson.D{{Key: "_id", Value: fc.ID}}, fc,
		options.Replace().SetUpsert(true)); err != nil {
		return deleted, fmt.Errorf("prune outbox: record final counts: %w", err)
	}
	log.Info("outbox pruned", "deleted", deleted, "before", before, "final_kept", kept)
	return deleted, nil
}

type pruneRow struct {
	ID        string    `bson:"_id"`
	State     State     `bson:"state"`
	UpdatedAt time.Time `bson:"updated_at"`
	Attempts  int       `bson:"attempts"`
}

// deleteEntries deletes the rows' tokens and VERP records, then the rows.
func (p Pruner) deleteEntries(ctx context.Context, rows []pruneRow) (int, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	var tokens, tags, ids []string
	for _, r := range rows {
		for n := 1; n <= r.Attempts+1; n++ {
			tokens = append(tokens, fmt.Sprintf("%s#%d", r.ID, n))
			if n <= r.Attempts {
				tokens = append(tokens, endToken(r.ID, n))
			}
		}
		if len(p.MessageIDKey) > 0 {
			tags = append(tags, verpEntryTag(p.MessageIDKey, r.ID))
		}
		ids = append(ids, r.ID)
	}
	if _, err := DeleteIDs(ctx, p.DB.Collection(ClaimsCollection), tokens); err != nil {
		return 0, fmt.Errorf("prune outbox: claim tokens: %w", err)
	}
	if _, err := DeleteIDs(ctx, p.DB.Collection(VERPCollection), tags); err != nil {
		return 0, fmt.Errorf("prune outbox: VERP records: %w", err)
	}
	n, err := DeleteIDs(ctx, p.DB.Collection(OutboxCollection), ids)
	if err != nil {
		return n, fmt.Errorf("prune outbox: entries: %w", err)
	}
	return n, nil
}

// DeleteIDs deletes the documents with these _ids, PruneBatch at a time,
// each by an exact {_id} filter (the only filter the embedded store
// answers from an index; see the note on pruning above), and returns how
// many existed.
func DeleteIDs(ctx context.Context, coll *mongo.Collection, ids []string) (int, error) {
	deleted := 0
	for len(ids) > 0 {
		k := min(len(ids), PruneBatch)
		models := make([]mongo.WriteModel, 0, k)
		for _, id := range ids[:k] {
			models = append(models, mongo.NewDeleteOneModel().SetFilter(bson.D{{Key: "_id", Value: id}}))
		}
		res, err := coll.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
		if res != nil {
			deleted += int(res.DeletedCount)
		}
		if err != nil {
			return deleted, err
		}
		ids = ids[k:]
	}
	return deleted, nil
}

// LastFinalCounts returns what the last prune counted, or zero counts
// before the first one.
func LastFinalCounts(ctx context.Context, db *mongo.Database) (FinalCounts, error) {
	var fc FinalCounts
	err := db.Collection(SettingsCollection).FindOne(ctx, bson.D{{Key: "_id", Value: finalCountsSetting}}).Decode(&fc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return FinalCounts{ID: finalCountsSetting, Counts: map[State]int{}}, nil
	}
	if err != nil {
		return fc, fmt.Errorf("read final counts: %w", err)
	}
	return fc, nil
}
