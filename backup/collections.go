package backup

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Collections lists db's collections, system collections excepted, in
// name order: the set a backup (and a migration) copies.
func Collections(ctx context.Context, db *mongo.Database) ([]string, error) {
	names, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("list collections: %w", err)
	}
	out := names[:0]
	for _, name := range names {
		if !strings.HasPrefix(name, "system.") {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// IndexSpecs lists a collection's indexes but _id's, as canonical
// Extended JSON without the server-specific "v" and "ns": what
// CreateIndexes recreates, on any server.
func IndexSpecs(ctx context.Context, coll *mongo.Collection) ([]json.RawMessage, error) {
	cur, err := coll.Indexes().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list indexes of %s: %w", coll.Name(), err)
	}
	var specs []bson.D
	if err := cur.All(ctx, &specs); err != nil {
		return nil, fmt.Errorf("list indexes of %s: %w", coll.Name(), err)
	}
	out := []json.RawMessage{}
	for _, spec := range specs {
		var keep bson.D
		name := ""
		for _, e := range spec {
			switch e.Key {
			case "v", "ns":
				continue
			case "name":
				name, _ = e.Value.(string)
			}
			keep = append(keep, e)
		}
		if name == "_id_" {
			continue
		}
		b, err := bson.MarshalExtJSON(keep, true, false)
		if err != nil {
			return nil, fmt.Errorf("index %s of %s: %w", name, coll.Name(), err)
		}
		out = append(out, b)
	}
	return out, nil
}

// CreateIndexes creates the indexes IndexSpecs described on collection
// name of db. An index that exists with the same definition is left as it
// is, so it may be repeated. One createIndexes command per index:
// FerretDB 1.24 drops the connection (its handler panics deleting from
// the list it filters) when one command names several existing indexes.
func CreateIndexes(ctx context.Context, db *mongo.Database, name string, indexes []json.RawMessage) error {
	for _, raw := range indexes {
		var spec bson.D
		if err := bson.UnmarshalExtJSON(raw, true, &spec); err != nil {
			return fmt.Errorf("index of %s: %w", name, err)
		}
		if err := db.RunCommand(ctx, bson.D{{Key: "createIndexes", Value: name}, {Key: "indexes", Value: bson.A{spec}}}).Err(); err != nil {
			return fmt.Errorf("create the indexes of %s: %w", name, err)
		}
	}
	return nil
}
