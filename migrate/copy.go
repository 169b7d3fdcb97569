package migrate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/backup"
)

// copyCollection copies one collection from where its checkpoint left
// off, then creates its indexes and marks it done.
func copyCollection(ctx context.Context, src, dst *mongo.Database, name string, cp checkpoint, opts Options) (Copied, error) {
	c := Copied{Name: name}
	specs, err := backup.IndexSpecs(ctx, src.Collection(name))
	if err != nil {
		return c, err
	}
	c.Indexes = len(specs)
	if cp.Done {
		n, err := src.Collection(name).EstimatedDocumentCount(ctx)
		c.Documents, c.Resumed = n, n
		return c, err
	}
	cur, skipped, err := resume(ctx, src.Collection(name), cp)
	if err != nil {
		return c, err
	}
	defer cur.Close(ctx)
	c.Resumed = skipped

	target := dst.Collection(name)
	cps := dst.Collection(CheckpointCollection)
	copied := skipped
	var models []mongo.WriteModel
	var size int
	var last bson.RawValue
	flush := func() error {
		if len(models) == 0 {
			return nil
		}
		if _, err := target.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false)); err != nil {
			return fmt.Errorf("write to the target: %w", err)
		}
		copied += int64(len(models))
		models, size = models[:0], 0
		if opts.AfterBatch != nil {
			opts.AfterBatch(name, copied)
		}
		return saveCheckpoint(ctx, cps, checkpoint{Name: name, Copied: copied, LastID: last, At: time.Now().UTC()})
	}
	for cur.Next(ctx) {
		doc := append(bson.Raw(nil), cur.Current...)
		id := doc.Lookup("_id")
		models = append(models, mongo.NewReplaceOneModel().SetFilter(bson.D{{Key: "_id", Value: id}}).
			SetReplacement(doc).SetUpsert(true))
		size += len(doc)
		last = id
		if len(models) >= opts.batch() || size >= maxBatchBytes {
			if err := flush(); err != nil {
				return c, err
			}
		}
	}
	if err := cur.Err(); err != nil {
		return c, fmt.Errorf("read the source: %w", err)
	}
	if err := flush(); err != nil {
		return c, err
	}
	c.Documents = copied
	if copied == 0 {
		// An empty collection is still copied, with its indexes.
		if err := dst.CreateCollection(ctx, name); err != nil && !alreadyExists(err) {
			return c, fmt.Errorf("create in the target: %w", err)
		}
	}
	if err := backup.CreateIndexes(ctx, dst, name, specs); err != nil {
		return c, err
	}
	done := checkpoint{Name: name, Copied: copied, LastID: last, Done: true, At: time.Now().UTC()}
	if last.Type == 0 {
		done.LastID = cp.LastID
	}
	return c, saveCheckpoint(ctx, cps, done)
}

// resume opens coll in natural order after the documents cp counts as
// copied: it skips copied-1 and checks that the next one is cp.LastID.
// If it is not (the order changed), it starts from the first document.
func resume(ctx context.Context, coll *mongo.Collection, cp checkpoint) (*mongo.Cursor, int64, error) {
	find := func(skip int64) (*mongo.Cursor, error) {
		o := options.Find().SetBatchSize(1000)
		if skip > 0 {
			o.SetSkip(skip)
		}
		cur, err := coll.Find(ctx, bson.D{}, o)
		if err != nil {
			return nil, fmt.Errorf("read the source: %w", err)
		}
		return cur, nil
	}
	if cp.Copied <= 0 || cp.LastID.Type == 0 {
		cur, err := find(0)
		return cur, 0, err
	}
	cur, err := find(cp.Copied - 1)
	if err != nil {
		return nil, 0, err
	}
	if cur.Next(ctx) && cur.Current.Lookup("_id").Equal(cp.LastID) {
		return cur, cp.Copied, nil
	}
	err = cur.Err()
	cur.Close(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("read the source: %w", err)
	}
	cur, err = find(0)
	return cur, 0, err
}

func saveCheckpoint(ctx context.Context, cps *mongo.Collection, cp checkpoint) error {
	if _, err := cps.ReplaceOne(ctx, bson.D{{Key: "_id", Value: cp.Name}}, cp, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("record the checkpoint: %w", err)
	}
	return nil
}

func alreadyExists(err error) bool {
	var ce mongo.CommandError
	return errors.As(err, &ce) && (ce.Code == 48 || ce.Name == "NamespaceExists")
}
