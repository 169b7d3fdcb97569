package store_test

import (
	"context"
	"fmt"
	"strings"
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

// Large messages (an insert of many documents, an update carrying a large
// value, a reply of several megabytes) pass the proxy whole in both
// directions, and writes among them are still serialised.
func TestEmbeddedLargeMessagesPassWholeAndSerialised(t *testing.T) {
	ctx := context.Background()
	c := testenv.DB(t).Collection("large")
	pad := strings.Repeat("x", 100<<10)
	var docs []any
	for i := range 20 { // one insert of 2 MB in a document sequence
		docs = append(docs, bson.D{{Key: "_id", Value: fmt.Sprint(i)}, {Key: "pad", Value: pad + fmt.Sprint(i)}})
	}
	if _, err := c.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: "n"}, {Key: "v", Value: 0}}); err != nil {
		t.Fatal(err)
	}
	const workers, each = 4, 10
	var wg sync.WaitGroup
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				// A large command body: the update itself carries the padding.
				up := bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}},
					{Key: "$set", Value: bson.D{{Key: "pad", Value: pad + fmt.Sprint(g, i)}}}}
				if err := c.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: "n"}}, up).Err(); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	var n struct{ V int }
	if err := c.FindOne(ctx, bson.D{{Key: "_id", Value: "n"}}).Decode(&n); err != nil {
		t.Fatal(err)
	}
	if n.V != workers*each {
		t.Fatalf("%d increments survived of %d", n.V, workers*each)
	}
	cur, err := c.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$ne", Value: "n"}}}})
	if err != nil {
		t.Fatal(err)
	}
	var got []struct {
		ID  string `bson:"_id"`
		Pad string `bson:"pad"`
	}
	if err := cur.All(ctx, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(docs) {
		t.Fatalf("read back %d documents of %d", len(got), len(docs))
	}
	for _, d := range got {
		if d.Pad != pad+d.ID {
			t.Fatalf("document %s came back with %d bytes of padding", d.ID, len(d.Pad))
		}
	}
}
