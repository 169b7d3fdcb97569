// Package migrate copies a Turno database into another one (`turno
// migrate --to URI`): the embedded store into a MongoDB, for the operator
// who outgrows one machine. It owns one collection, in the target only:
// _turno_migrate, the checkpoint of a migration.
//
// What is copied: every collection but system ones, its documents and its
// indexes (listed and created by package backup's Collections, IndexSpecs
// and CreateIndexes). Turno keeps all its state in collections, the
// Message-ID HMAC key included (settings, _id mailout.message_id_key,
// unless mail.message_id_secret is configured) with the other settings
// documents, so copying every collection carries them.
//
// How: the source must not change meanwhile (turno serve stopped; the
// embedded store's lock refuses to open beside a running one). Each
// collection is read once with one cursor in natural order, not by _id:
// FerretDB's SQLite backend pushes no sort down, so a sort by _id loads
// and sorts the whole collection in memory (raw mail's GridFS chunks
// included), and an _id range is a scan of the collection. Documents are
// written to the target in unordered bulks of ReplaceOne upserts by _id,
// so writing one twice changes nothing. After each bulk the checkpoint
// {_id: collection, copied, last_id} records how far it got; a rerun
// skips that many documents of the same natural order and checks that
// the last one skipped is last_id (if not, the order changed and that
// collection starts over, still idempotently). A kill at any point costs
// at most one batch written again. Once a collection's documents are
// copied its indexes are created and its checkpoint is marked done.
//
// Refusals (nothing written): a target with documents and no checkpoint;
// a checkpoint written for another source. Force starts over instead: it
// drops the source's collections and the checkpoint from the target.
//
// Verify (verify.go) compares each collection's count and a SHA-256 over
// its _ids in both databases.
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

// CheckpointCollection is the target's record of a migration: one
// document per collection ({_id: name, copied, last_id, done}) and one
// naming the source (_id "$source"; no collection name holds a '$').
const CheckpointCollection = "_turno_migrate"

const sourceDoc = "$source"

// DefaultBatch is the documents per bulk write (and checkpoint).
const DefaultBatch = 500

// maxBatchBytes ends a bulk early: GridFS chunks are 255 KiB each.
const maxBatchBytes = 8 << 20

// ErrNotEmpty is the refusal of a target that holds documents but no
// checkpoint.
var ErrNotEmpty = errors.New("the target database is not empty")

// Options tune Copy.
type Options struct {
	// Source names the source for the checkpoint (the embedded store's
	// directory, or a redacted URI); a rerun from another source is
	// refused. Empty: the source database's name.
	Source string
	// Batch is the documents per bulk write; default DefaultBatch.
	Batch int
	// Force starts over: the source's collections and the checkpoint are
	// dropped from the target first, whatever it holds.
	Force bool
	// Progress, if set, is told each collection when it is done: its
	// documents in the source, and how many were already in the target
	// from an earlier run.
	Progress func(name string, documents, resumed int64)
	// AfterBatch, if set, is called after each bulk write and before its
	// checkpoint is recorded: the one place a crash leaves the target
	// ahead of its checkpoint. Tests stop there.
	AfterBatch func(name string, copied int64)
}

func (o Options) batch() int {
	if o.Batch <= 0 {
		return DefaultBatch
	}
	return o.Batch
}

// Result says what Copy did, collection by collection.
type Result struct {
	Collections []Copied
}

// Copied is one collection of a Result.
type Copied struct {
	Name      string
	Documents int64 // in the source
	Resumed   int64 // already copied by an earlier run, not read again
	Indexes   int
}

// checkpoint is one collection's document in CheckpointCollection.
type checkpoint struct {
	Name   string        `bson:"_id"`
	Copied int64         `bson:"copied"`
	LastID bson.RawValue `bson:"last_id,omitempty"`
	Done   bool          `bson:"done"`
	At     time.Time     `bson:"at"`
}

// Copy copies every collection of src into dst, resuming from dst's
// checkpoint. src must not change while it runs.
func Copy(ctx context.Context, src, dst *mongo.Database, opts Options) (*Result, error) {
	if opts.Source == "" {
		opts.Source = src.Name()
	}
	names, err := backup.Collections(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("the source: %w", err)
	}
	points, err := prepareTarget(ctx, dst, names, opts)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	for _, name := range names {
		if name == CheckpointCollection {
			continue // a database that was itself a migration's target
		}
		c, err := copyCollection(ctx, src, dst, name, points[name], opts)
		if err != nil {
			return res, fmt.Errorf("copy %s: %w", name, err)
		}
		res.Collections = append(res.Collections, c)
		if opts.Progress != nil {
			opts.Progress(name, c.Documents, c.Resumed)
		}
	}
	return res, nil
}

// prepareTarget reads dst's checkpoint or, for a fresh migration, checks
// that dst is empty, and records the source. With Force it starts over:
// it drops the source's collections and the checkpoint from dst.
func prepareTarget(ctx context.Context, dst *mongo.Database, names []string, opts Options) (map[string]checkpoint, error) {
	cps := dst.Collection(CheckpointCollection)
	if opts.Force {
		for _, name := range append(names, CheckpointCollection) {
			if err := dst.Collection(name).Drop(ctx); err != nil {
				return nil, fmt.Errorf("drop %s in the target: %w", name, err)
			}
		}
	} else {
		var src struct {
			Source string `bson:"source"`
		}
		err := cps.FindOne(ctx, bson.D{{Key: "_id", Value: sourceDoc}}).Decode(&src)
		switch {
		case err == nil && src.Source == opts.Source:
			return readCheckpoints(ctx, cps)
		case err == nil:
			return nil, fmt.Errorf("the target holds a migration from %s, not %s: pass --force to start over", src.Source, opts.Source)
		case !errors.Is(err, mongo.ErrNoDocuments):
			return nil, fmt.Errorf("read the target's checkpoint: %w", err)
		}
		full, err := nonEmpty(ctx, dst)
		if err != nil {
			return nil, err
		}
		if len(full) > 0 {
			return nil, fmt.Errorf("%w (%s has documents) and holds no migration to resume: migrate into an empty database, or pass --force to replace the source's collections there", ErrNotEmpty, full[0])
		}
	}
	if _, err := cps.InsertOne(ctx, bson.D{{Key: "_id", Value: sourceDoc}, {Key: "source", Value: opts.Source},
		{Key: "started", Value: time.Now().UTC()}}); err != nil {
		return nil, fmt.Errorf("record the migration in the target: %w", err)
	}
	return map[string]checkpoint{}, nil
}

func readCheckpoints(ctx context.Context, cps *mongo.Collection) (map[string]checkpoint, error) {
	cur, err := cps.Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("read the target's checkpoint: %w", err)
	}
	defer cur.Close(ctx)
	out := map[string]checkpoint{}
	for cur.Next(ctx) {
		if id, _ := cur.Current.Lookup("_id").StringValueOK(); id == sourceDoc {
			continue
		}
		var cp checkpoint
		if err := cur.Decode(&cp); err != nil {
			return nil, fmt.Errorf("read the target's checkpoint: %w", err)
		}
		cp.LastID = cloneValue(cp.LastID)
		out[cp.Name] = cp
	}
	return out, cur.Err()
}

// nonEmpty names dst's collections that hold documents.
func nonEmpty(ctx context.Context, dst *mongo.Database) ([]string, error) {
	names, err := backup.Collections(ctx, dst)
	if err != nil {
		return nil, fmt.Errorf("the target: %w", err)
	}
	var full []string
	for _, name := range names {
		n, err := dst.Collection(name).CountDocuments(ctx, bson.D{}, options.Count().SetLimit(1))
		if err != nil {
			return nil, fmt.Errorf("count %s in the target: %w", name, err)
		}
		if n > 0 {
			full = append(full, name)
		}
	}
	return full, nil
}

func cloneValue(v bson.RawValue) bson.RawValue {
	v.Value = append([]byte(nil), v.Value...)
	return v
}
