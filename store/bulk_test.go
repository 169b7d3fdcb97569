package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/internal/testenv"
)

// FerretDB 1.24 deadlocks on a write command of 100 or more statements; the
// embedded store's proxy makes drivers split bulk writes below that, so a
// bulk of any size completes.
func TestLargeBulkUpdateCompletes(t *testing.T) {
	db := testenv.DB(t)
	coll := db.Collection("bulk")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 250
	docs := make([]any, n)
	for i := range docs {
		docs[i] = bson.D{{Key: "_id", Value: fmt.Sprintf("d%03d", i)}, {Key: "n", Value: 0}}
	}
	if _, err := coll.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	models := make([]mongo.WriteModel, n)
	for i := range models {
		models[i] = mongo.NewUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: fmt.Sprintf("d%03d", i)}}).
			SetUpdate(bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}})
	}
	res, err := coll.BulkWrite(ctx, models, nil)
	if err != nil {
		t.Fatalf("bulk of %d updates: %v", n, err)
	}
	if res.ModifiedCount != n {
		t.Fatalf("modified %d of %d", res.ModifiedCount, n)
	}
	del, err := coll.DeleteMany(ctx, bson.D{})
	if err != nil || del.DeletedCount != n {
		t.Fatalf("delete: %d %v", del.DeletedCount, err)
	}
}
