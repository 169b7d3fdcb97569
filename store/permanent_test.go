package store_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/internal/testenv"
	"turno/store"
)

// Errors from a real embedded store: what a retry cannot change is
// permanent, what the database might answer differently is not.
func TestIsPermanentOnRealErrors(t *testing.T) {
	db := testenv.DB(t)
	coll := db.Collection("things")
	type badTag struct {
		ID     string `bson:"_id"`
		Inline bool   `bson:"inline"` // the driver's inline option, not a field name
	}
	_, err := coll.InsertOne(context.Background(), badTag{ID: "a", Inline: true})
	if err == nil || !store.IsPermanent(err) {
		t.Errorf("marshal failure %v: permanent = false", err)
	}
	if _, err := coll.InsertOne(context.Background(), nil); err == nil || !store.IsPermanent(err) {
		t.Errorf("nil document %v: permanent = false", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "b"}})
	if err == nil || store.IsPermanent(err) {
		t.Errorf("cancelled call %v: permanent = true", err)
	}
	if _, err := coll.InsertOne(context.Background(), bson.D{{Key: "_id", Value: "c"}}); err != nil {
		t.Fatal(err)
	}
	_, err = coll.InsertOne(context.Background(), bson.D{{Key: "_id", Value: "c"}})
	if err == nil || store.IsPermanent(err) {
		t.Errorf("duplicate key %v: permanent = true (callers decide what a duplicate means)", err)
	}
	if store.IsPermanent(nil) {
		t.Error("nil error is permanent")
	}
}
