package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// The embedded store's lookups by _id must use an index: SQLite's plan for
// the query FerretDB runs must name ours, not scan the table.
func TestEmbeddedIDLookupUsesIndex(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, Options{DataDir: dir, Database: "probe"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	c := s.DB.Collection("things")
	if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: "k1"}}); err != nil {
		t.Fatal(err)
	}
	db, err := s.embedded.ids.open("probe")
	if err != nil || db == nil {
		t.Fatalf("open sqlite file: %v", err)
	}
	var table string
	if err := db.QueryRow(`SELECT table_name FROM _ferretdb_collections WHERE name = 'things'`).Scan(&table); err != nil {
		t.Fatal(err)
	}
	plan := func() string {
		rows, err := db.Query(fmt.Sprintf(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM %q WHERE _ferretdb_sjson->'$._id' = ?`, table), `"k1"`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			out = append(out, detail)
		}
		return strings.Join(out, "; ")
	}
	// The insert kicked the indexer; wait for it (it batches every 200 ms).
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(plan(), table+"_turno_id") {
		if time.Now().After(deadline) {
			t.Fatalf("lookup by _id does not use the index: %s", plan())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := c.FindOne(ctx, bson.D{{Key: "_id", Value: "k1"}}).Err(); err != nil {
		t.Fatalf("lookup after indexing: %v", err)
	}
}

// New collections get their _id index while writers keep writing (to them
// and to others): no write fails and none hangs, because indexes are
// created under the write serializer's lock.
func TestIndexingNewCollectionsBesideWrites(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s, err := Open(ctx, Options{DataDir: t.TempDir(), Database: "busy"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	errs := make(chan error, 4)
	for w := range 4 {
		go func() {
			for c := range 15 {
				coll := s.DB.Collection(fmt.Sprintf("w%d_c%d", w, c))
				for i := range 20 {
					if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("d%d", i)}}); err != nil {
						errs <- fmt.Errorf("writer %d, %s: %w", w, coll.Name(), err)
						return
					}
					if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("d%d", i)}},
						bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: i}}}}); err != nil {
						errs <- fmt.Errorf("writer %d, %s: %w", w, coll.Name(), err)
						return
					}
				}
				time.Sleep(time.Millisecond) // let the indexer's 200 ms batches land between collections
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// Every collection ends up indexed.
	db, err := s.embedded.ids.open("busy")
	if err != nil || db == nil {
		t.Fatalf("open sqlite file: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE '%_turno_id'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n >= 60 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 60 collections indexed", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
