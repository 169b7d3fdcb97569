package mailin

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Dropping raw bytes (retention.raw_mail, the retention job).
//
// The owner of a message's meaning (tickets: which tickets are closed and
// which raw messages their messages name) lists the candidates; this
// package drops their bytes and keeps their index document, so the hash
// stays known (Has is true: a copy of the mail fetched again is not
// stored again) and the document says when the bytes went (dropped,
// dropped_at). Open on a dropped message fails.
//
// Writes, in an order a crash cannot hurt: the index document is marked
// dropped with its upload listed as stale (one update by _id), then the
// upload's files document is deleted by _id, its chunks by _id, and the
// stale list cleared. A run after a crash finds the listed uploads and
// finishes them.
//
// Cost on the embedded store, where only an exact {_id} filter is fast: one
// projected read of the raw index (to skip what is already dropped) and,
// when anything is to be dropped, one projected read of the chunks (the
// driver's bucket.Delete deletes chunks by files_id, a scan per message);
// then deletes by _id in unordered bulks of 99.

// RawPruner drops the raw bytes of the messages Candidates names: it is
// the retention job's raw_mail step.
type RawPruner struct {
	DB *mongo.Database
	// Candidates lists the raw ids (content hashes) whose bytes may go:
	// those of messages on tickets closed before the cut-off
	// (tickets.RawCandidates).
	Candidates func(ctx context.Context, before time.Time) ([]string, error)
	Logger     *slog.Logger
	Now        func() time.Time
}

// Prune drops the candidates' bytes and returns how many messages lost
// them.
func (p RawPruner) Prune(ctx context.Context, before time.Time) (int, error) {
	ids, err := p.Candidates(ctx, before)
	if err != nil {
		return 0, fmt.Errorf("prune raw mail: candidates: %w", err)
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	n, err := NewRawStore(p.DB).DropBytes(ctx, ids, now())
	log := p.Logger
	if log == nil {
		log = slog.Default()
	}
	if err == nil {
		log.Info("raw mail pruned", "dropped", n, "candidates", len(ids), "closed_before", before)
	}
	return n, err
}

type dropDoc struct {
	Hash    string          `bson:"_id"`
	FileID  bson.ObjectID   `bson:"file_id"`
	Dropped bool            `bson:"dropped"`
	Stale   []bson.ObjectID `bson:"stale"`
}

// dropBatch is the most _id deletes in one command (a bulk of 100 or more
// statements deadlocks the embedded store).
const dropBatch = 99

// DropBytes drops the stored bytes of the messages with these hashes,
// keeping their index documents, and returns how many it dropped now.
// Unknown hashes and messages already dropped are skipped.
func (s *RawStore) DropBytes(ctx context.Context, hashes []string, now time.Time) (int, error) {
	want := make(map[string]bool, len(hashes))
	for _, h := range hashes {
		want[h] = true
	}
	if len(want) == 0 {
		return 0, nil
	}
	cur, err := s.index.Find(ctx, bson.D{}, options.Find().SetBatchSize(1000).SetProjection(bson.D{
		{Key: "file_id", Value: 1}, {Key: "dropped", Value: 1}, {Key: "stale", Value: 1}}))
	if err != nil {
		return 0, fmt.Errorf("drop raw bytes: read index: %w", err)
	}
	var todo []dropDoc
	for cur.Next(ctx) {
		var d dropDoc
		if err := cur.Decode(&d); err != nil {
			_ = cur.Close(ctx)
			return 0, fmt.Errorf("drop raw bytes: decode: %w", err)
		}
		// A dropped document with stale uploads left is a crashed run's.
		if want[d.Hash] && (!d.Dropped || len(d.Stale) > 0) {
			todo = append(todo, d)
		}
	}
	err = cur.Err()
	_ = cur.Close(ctx)
	if err != nil {
		return 0, fmt.Errorf("drop raw bytes: read index: %w", err)
	}
	if len(todo) == 0 {
		return 0, nil
	}
	// Mark first: from here the bytes are gone as far as readers know.
	files := map[bson.ObjectID]bool{}
	dropped := 0
	for i, d := range todo {
		stale := d.Stale
		if !d.Dropped {
			stale = append(stale, d.FileID)
			_, err := s.index.UpdateOne(ctx, bson.D{{Key: "_id", Value: d.Hash}}, bson.D{
				{Key: "$set", Value: bson.D{{Key: "dropped", Value: true}, {Key: "stripped", Value: true},
					{Key: "size", Value: int64(0)}, {Key: "dropped_at", Value: now.UTC()}}},
				{Key: "$addToSet", Value: bson.D{{Key: "stale", Value: d.FileID}}}})
			if err != nil {
				return dropped, fmt.Errorf("drop raw bytes of %s: %w", d.Hash, err)
			}
			dropped++
		}
		todo[i].Stale = stale
		for _, f := range stale {
			files[f] = true
		}
	}
	var fileIDs []any
	for f := range files {
		fileIDs = append(fileIDs, f)
	}
	if err := deleteByID(ctx, s.files, fileIDs); err != nil {
		return dropped, fmt.Errorf("drop raw bytes: files: %w", err)
	}
	chunks, err := s.chunksOf(ctx, files)
	if err != nil {
		return dropped, err
	}
	if err := deleteByID(ctx, s.chunks, chunks); err != nil {
		return dropped, fmt.Errorf("drop raw bytes: chunks: %w", err)
	}
	for _, d := range todo {
		if _, err := s.index.UpdateOne(ctx, bson.D{{Key: "_id", Value: d.Hash}},
			bson.D{{Key: "$pullAll", Value: bson.D{{Key: "stale", Value: d.Stale}}}}); err != nil {
			return dropped, fmt.Errorf("drop raw bytes of %s: clear stale: %w", d.Hash, err)
		}
	}
	return dropped, nil
}

// chunksOf reads every chunk's files_id once (no data) and returns the
// _ids of the chunks of these files.
func (s *RawStore) chunksOf(ctx context.Context, files map[bson.ObjectID]bool) ([]any, error) {
	cur, err := s.chunks.Find(ctx, bson.D{}, options.Find().SetBatchSize(1000).SetProjection(bson.D{{Key: "files_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("drop raw bytes: read chunks: %w", err)
	}
	defer cur.Close(ctx)
	var out []any
	for cur.Next(ctx) {
		var c struct {
			ID     any           `bson:"_id"`
			FileID bson.ObjectID `bson:"files_id"`
		}
		if err := cur.Decode(&c); err != nil {
			return nil, fmt.Errorf("drop raw bytes: decode chunk: %w", err)
		}
		if files[c.FileID] {
			out = append(out, c.ID)
		}
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("drop raw bytes: read chunks: %w", err)
	}
	return out, nil
}

// deleteByID deletes these _ids, dropBatch per unordered bulk of exact
// {_id} deletes.
func deleteByID(ctx context.Context, coll *mongo.Collection, ids []any) error {
	for len(ids) > 0 {
		k := min(len(ids), dropBatch)
		models := make([]mongo.WriteModel, 0, k)
		for _, id := range ids[:k] {
			models = append(models, mongo.NewDeleteOneModel().SetFilter(bson.D{{Key: "_id", Value: id}}))
		}
		if _, err := coll.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false)); err != nil {
			return err
		}
		ids = ids[k:]
	}
	return nil
}
