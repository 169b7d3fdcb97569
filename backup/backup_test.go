package backup_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/backup"
	"turno/internal/testenv"
)

func all(t *testing.T, coll *mongo.Collection) []bson.Raw {
	t.Helper()
	cur, err := coll.Find(context.Background(), bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		t.Fatal(err)
	}
	var out []bson.Raw
	for cur.Next(context.Background()) {
		out = append(out, append(bson.Raw(nil), cur.Current...))
	}
	if err := cur.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func indexes(t *testing.T, coll *mongo.Collection) string {
	t.Helper()
	cur, err := coll.Indexes().List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var specs []bson.M
	if err := cur.All(context.Background(), &specs); err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, sp := range specs {
		delete(sp, "v")
		delete(sp, "ns")
		keys := slices.Sorted(maps.Keys(sp))
		var f []string
		for _, k := range keys {
			f = append(f, fmt.Sprintf("%s=%v", k, sp[k]))
		}
		s = append(s, strings.Join(f, " "))
	}
	return fmt.Sprint(s)
}

// A backup taken while writes go on, restored into a fresh embedded store:
// every collection comes back (an empty one too) with its indexes; every
// document written before the backup started is there as it was, in
// batches walked by _id range, and a collection whose _ids mix types is
// whole. A second restore into the now full store is refused and changes
// nothing; with Force it replaces the collections.
func TestBackupDuringWritesRestoresIntoFreshStore(t *testing.T) {
	ctx := context.Background()
	src := testenv.Store(t).DB
	tickets := src.Collection("tickets")
	if _, err := tickets.Indexes().CreateMany(ctx, []mongo.IndexModel{
		{Keys: bson.D{{Key: "number", Value: 1}}, Options: options.Index().SetUnique(true)},
		{Keys: bson.D{{Key: "department", Value: 1}, {Key: "created", Value: -1}}},
	}); err != nil {
		t.Fatal(err)
	}
	before := map[string]bool{}
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for i := range 40 {
		id := fmt.Sprintf("T%05d", i)
		before[id] = true
		if _, err := tickets.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "number", Value: 100000 + i},
			{Key: "department", Value: "soporte"}, {Key: "created", Value: at.Add(time.Duration(i) * time.Minute)},
			{Key: "events", Value: bson.A{bson.D{{Key: "key", Value: "opened"}, {Key: "n", Value: int64(i)}}}}}); err != nil {
			t.Fatal(err)
		}
	}
	mixed := src.Collection("mixed")
	for _, id := range []any{int32(1), int64(2), 3.5, "a", "b", bson.NewObjectID()} {
		if _, err := mixed.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "v", Value: fmt.Sprint(id)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := src.CreateCollection(ctx, "empty"); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Collection("empty").Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "k", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	srcBefore := all(t, tickets)

	// Writes go on during the backup: new tickets, as intake would add.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 40; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_, _ = tickets.InsertOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("T%05d", i)}, {Key: "number", Value: 100000 + i},
				{Key: "department", Value: "pagos"}, {Key: "created", Value: at}})
		}
	})
	var archive bytes.Buffer
	m, err := backup.Write(ctx, src, &archive, backup.Options{Batch: 7})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Collections) != 3 {
		t.Fatalf("manifest collections %+v; want empty, mixed, tickets", m.Collections)
	}

	dst := testenv.Store(t).DB
	if _, err := backup.Restore(ctx, dst, bytes.NewReader(archive.Bytes()), backup.Options{Batch: 5}); err != nil {
		t.Fatal(err)
	}
	got := all(t, dst.Collection("tickets"))
	have := map[string]bson.Raw{}
	for _, d := range got {
		have[d.Lookup("_id").StringValue()] = d
	}
	for _, d := range srcBefore {
		id := d.Lookup("_id").StringValue()
		if !bytes.Equal(have[id], d) {
			t.Errorf("ticket %s: restored %v; want %v", id, have[id], d)
		}
	}
	if int64(len(got)) != m.Collections[2].Documents || len(got) < len(before) {
		t.Errorf("restored %d tickets; the manifest says %d, %d were there before", len(got), m.Collections[2].Documents, len(before))
	}
	srcTickets := map[string]bson.Raw{}
	for _, d := range all(t, tickets) {
		srcTickets[d.Lookup("_id").StringValue()] = d
	}
	for id, d := range have {
		if !bytes.Equal(srcTickets[id], d) {
			t.Errorf("ticket %s restored as %v, which the source never held", id, d)
		}
	}
	for _, name := range []string{"mixed", "empty", "tickets"} {
		if name != "tickets" {
			a, b := all(t, src.Collection(name)), all(t, dst.Collection(name))
			if fmt.Sprint(a) != fmt.Sprint(b) {
				t.Errorf("%s: restored %v; want %v", name, b, a)
			}
		}
		if a, b := indexes(t, src.Collection(name)), indexes(t, dst.Collection(name)); a != b {
			t.Errorf("%s indexes: restored %s; want %s", name, b, a)
		}
	}

	// Into a store with documents: refused, nothing changed.
	if _, err := dst.Collection("mixed").InsertOne(ctx, bson.D{{Key: "_id", Value: "extra"}}); err != nil {
		t.Fatal(err)
	}
	_, err = backup.Restore(ctx, dst, bytes.NewReader(archive.Bytes()), backup.Options{})
	if !errors.Is(err, backup.ErrNotEmpty) {
		t.Fatalf("restore into a full store: %v; want ErrNotEmpty", err)
	}
	if n, _ := dst.Collection("mixed").CountDocuments(ctx, bson.D{}); n != 7 {
		t.Fatalf("the refused restore changed the target: %d documents in mixed", n)
	}
	if _, err := backup.Restore(ctx, dst, bytes.NewReader(archive.Bytes()), backup.Options{Force: true}); err != nil {
		t.Fatal(err)
	}
	if a, b := all(t, src.Collection("mixed")), all(t, dst.Collection("mixed")); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("after --force: mixed %v; want %v", b, a)
	}
}

// Not an archive, or a truncated one: a clear error.
func TestRestoreRefusesWhatIsNotABackup(t *testing.T) {
	ctx := context.Background()
	dst := testenv.Store(t).DB
	if _, err := backup.Restore(ctx, dst, bytes.NewReader([]byte("hola")), backup.Options{}); err == nil {
		t.Fatal("restored a file that is not a backup")
	}
	src := testenv.Store(t).DB
	for i := range 20 {
		if _, err := src.Collection("c").InsertOne(ctx, bson.D{{Key: "_id", Value: i}, {Key: "pad", Value: bytes.Repeat([]byte{byte(i)}, 2000)}}); err != nil {
			t.Fatal(err)
		}
	}
	var archive bytes.Buffer
	if _, err := backup.Write(ctx, src, &archive, backup.Options{}); err != nil {
		t.Fatal(err)
	}
	cut := archive.Bytes()[:archive.Len()*2/3]
	if _, err := backup.Restore(ctx, dst, bytes.NewReader(cut), backup.Options{}); err == nil {
		t.Fatal("restored a truncated backup without an error")
	}
}
