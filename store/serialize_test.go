package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/internal/testenv"
)

// FerretDB alone loses concurrent read-modify-write updates; through the
// store's write serializer it must not (single-document atomicity).
func TestEmbeddedUpdatesAreAtomic(t *testing.T) {
	ctx := context.Background()
	c := testenv.DB(t).Collection("counters")
	for _, id := range []string{"fam", "upd"} {
		if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "v", Value: 0}}); err != nil {
			t.Fatal(err)
		}
	}
	const workers, each = 8, 40
	var wg sync.WaitGroup
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inc := bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}
			for i := 0; i < each; i++ {
				if err := c.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: "fam"}}, inc,
					options.FindOneAndUpdate().SetReturnDocument(options.After)).Err(); err != nil {
					t.Error(err)
				}
				if _, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: "upd"}}, inc); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	for _, id := range []string{"fam", "upd"} {
		var got struct{ V int }
		if err := c.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&got); err != nil {
			t.Fatal(err)
		}
		if got.V != workers*each {
			t.Errorf("%s: %d increments survived of %d", id, got.V, workers*each)
		}
	}
}

// A conditional claim (state: queued → sending) must have exactly one winner.
func TestEmbeddedConditionalClaimHasOneWinner(t *testing.T) {
	ctx := context.Background()
	c := testenv.DB(t).Collection("jobs")
	for round := 0; round < 20; round++ {
		id := fmt.Sprintf("job-%d", round)
		if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "state", Value: "queued"}}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		winners := 0
		for g := 0; g < 6; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				res, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "state", Value: "queued"}},
					bson.D{{Key: "$set", Value: bson.D{{Key: "state", Value: "sending"}, {Key: "owner", Value: g}}}})
				if err != nil {
					t.Error(err)
					return
				}
				if res.ModifiedCount == 1 {
					mu.Lock()
					winners++
					mu.Unlock()
				}
			}(g)
		}
		wg.Wait()
		if winners != 1 {
			t.Fatalf("round %d: %d claimants won", round, winners)
		}
	}
}
