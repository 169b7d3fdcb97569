package store

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Index is one index a package relies on, declared beside the code that
// relies on it.
type Index struct {
	Collection string
	Model      mongo.IndexModel
}

// EnsureIndexes creates every index that does not exist yet. Creating an
// index that exists with the same definition is a no-op, so this runs at
// every start.
func EnsureIndexes(ctx context.Context, db *mongo.Database, indexes []Index) error {
	for _, ix := range indexes {
		if _, err := db.Collection(ix.Collection).Indexes().CreateOne(ctx, ix.Model); err != nil {
			return fmt.Errorf("create index on %s: %w", ix.Collection, err)
		}
	}
	return nil
}
