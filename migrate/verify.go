package migrate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/backup"
)

// Check is one collection compared in source and target.
type Check struct {
	Name string
	// Source and Target count the documents on each side; a collection
	// missing on one side counts 0 there.
	Source, Target int64
	// SourceHash and TargetHash are the hex SHA-256 of each side's _ids.
	SourceHash, TargetHash string
}

// OK reports whether both sides hold the same _ids.
func (c Check) OK() bool { return c.Source == c.Target && c.SourceHash == c.TargetHash }

// Verify compares every collection of src and dst (the union of both,
// the checkpoint collection excepted): each side's document count and a
// SHA-256 over its _ids, each as canonical Extended JSON ({"_id": ...}),
// sorted bytewise and each followed by a newline. The _ids are read in
// natural order and sorted here, so neither server's sort order (nor its
// memory for sorting) matters; they are held in memory, one string each.
func Verify(ctx context.Context, src, dst *mongo.Database) ([]Check, error) {
	a, err := backup.Collections(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("the source: %w", err)
	}
	b, err := backup.Collections(ctx, dst)
	if err != nil {
		return nil, fmt.Errorf("the target: %w", err)
	}
	names := slices.Compact(slices.Sorted(slices.Values(append(a, b...))))
	var out []Check
	for _, name := range names {
		if name == CheckpointCollection {
			continue
		}
		c := Check{Name: name}
		if c.Source, c.SourceHash, err = idHash(ctx, src.Collection(name)); err != nil {
			return nil, fmt.Errorf("verify %s in the source: %w", name, err)
		}
		if c.Target, c.TargetHash, err = idHash(ctx, dst.Collection(name)); err != nil {
			return nil, fmt.Errorf("verify %s in the target: %w", name, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// idHash counts coll's documents and hashes their sorted _ids. A
// collection that does not exist reads as empty.
func idHash(ctx context.Context, coll *mongo.Collection) (int64, string, error) {
	cur, err := coll.Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}).SetBatchSize(5000))
	if err != nil {
		return 0, "", err
	}
	defer cur.Close(ctx)
	var ids []string
	for cur.Next(ctx) {
		j, err := bson.MarshalExtJSON(bson.D{{Key: "_id", Value: cur.Current.Lookup("_id")}}, true, false)
		if err != nil {
			return 0, "", err
		}
		ids = append(ids, string(j))
	}
	if err := cur.Err(); err != nil {
		return 0, "", err
	}
	slices.Sort(ids)
	h := sha256.New()
	for _, id := range ids {
		h.Write([]byte(id))
		h.Write([]byte{'\n'})
	}
	return int64(len(ids)), hex.EncodeToString(h.Sum(nil)), nil
}
