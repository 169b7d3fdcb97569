package migrate_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/migrate"
)

// A store copied into a second embedded store, addressed by its URI,
// verifies clean: every collection with its documents byte for byte, its
// indexes, the empty collection and the Message-ID key. A rerun writes
// nothing again.
func TestCopyVerifiesAndCarriesIndexesAndKey(t *testing.T) {
	ctx := context.Background()
	src, _ := openDir(t, t.TempDir())
	key := populate(t, src.DB, 300)
	held, _ := openDir(t, t.TempDir())
	dst, _ := openURI(t, held.URI)

	res, err := migrate.Copy(ctx, src.DB, dst.DB, migrate.Options{Batch: 70, Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Collections) != 6 {
		t.Fatalf("copied %+v, want 6 collections", res.Collections)
	}
	checks := mustVerify(t, src.DB, dst.DB)
	if len(checks) != 6 {
		t.Fatalf("verified %d collections, want 6 (the checkpoint left out): %+v", len(checks), checks)
	}
	if got := settingValue(t, dst.DB, "mailout.message_id_key"); got != key {
		t.Fatalf("message-id key in the target %q, want the source's %q", got, key)
	}
	var docs []bson.Raw
	for _, db := range []*mongo.Database{src.DB, dst.DB} {
		raw, err := db.Collection("mixed").FindOne(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "mailbox", Value: "INBOX"}, {Key: "uid", Value: 3}}}}).Raw()
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, raw)
	}
	a, b := docs[0], docs[1]
	if !slices.Equal(a, b) {
		t.Fatalf("a document differs: %s vs %s", a, b)
	}
	for _, coll := range []string{"records", "empty"} {
		want, got := indexNames(t, src.DB.Collection(coll)), indexNames(t, dst.DB.Collection(coll))
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) || len(got) < 2 {
			t.Errorf("indexes of %s: target %v, source %v", coll, got, want)
		}
	}
	// The unique index holds in the target.
	if _, err := dst.DB.Collection("records").InsertOne(ctx, bson.D{{Key: "_id", Value: "dup"}, {Key: "code", Value: 5}}); err == nil {
		t.Fatal("the target took a duplicate code: its unique index was not copied")
	}

	res, err = migrate.Copy(ctx, src.DB, dst.DB, migrate.Options{Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Collections {
		if c.Resumed != c.Documents {
			t.Errorf("rerun of a finished migration copied %s again: %+v", c.Name, c)
		}
	}
}

// A target with documents and no checkpoint is refused and left as it
// was; --force replaces the source's collections there. A checkpoint from
// another source is refused too.
func TestCopyRefusesForeignTargets(t *testing.T) {
	ctx := context.Background()
	src, _ := openDir(t, t.TempDir())
	populate(t, src.DB, 20)
	held, _ := openDir(t, t.TempDir())
	dst, _ := openURI(t, held.URI)
	if _, err := dst.DB.Collection("records").InsertOne(ctx, bson.D{{Key: "_id", Value: "theirs"}}); err != nil {
		t.Fatal(err)
	}
	_, err := migrate.Copy(ctx, src.DB, dst.DB, migrate.Options{Source: "a"})
	if !errors.Is(err, migrate.ErrNotEmpty) || !strings.Contains(err.Error(), "records") {
		t.Fatalf("copy into a full target: %v; want ErrNotEmpty naming records", err)
	}
	if n, _ := dst.DB.Collection(migrate.CheckpointCollection).CountDocuments(ctx, bson.D{}); n != 0 {
		t.Fatalf("a refused copy wrote %d checkpoint documents", n)
	}
	if _, err := migrate.Copy(ctx, src.DB, dst.DB, migrate.Options{Source: "a", Force: true}); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, src.DB, dst.DB) // "theirs" is gone
	_, err = migrate.Copy(ctx, src.DB, dst.DB, migrate.Options{Source: "b"})
	if err == nil || !strings.Contains(err.Error(), "from a, not b") {
		t.Fatalf("copy from another source: %v; want a refusal", err)
	}
	if _, err := migrate.Copy(ctx, src.DB, dst.DB, migrate.Options{Source: "b", Force: true}); err != nil {
		t.Fatalf("force over another source's migration: %v", err)
	}
	mustVerify(t, src.DB, dst.DB)
}

// Verify names what differs: a document missing in the target, one only
// there, a collection only there. The checkpoint collection is not
// compared.
func TestVerifyFindsDifferences(t *testing.T) {
	ctx := context.Background()
	src, _ := openDir(t, t.TempDir())
	populate(t, src.DB, 50)
	held, _ := openDir(t, t.TempDir())
	dst, _ := openURI(t, held.URI)
	if _, err := migrate.Copy(ctx, src.DB, dst.DB, migrate.Options{}); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, src.DB, dst.DB)
	if _, err := dst.DB.Collection("records").DeleteOne(ctx, bson.D{{Key: "_id", Value: "r00017"}}); err != nil {
		t.Fatal(err)
	}
	// Same count, other _ids: only the hash tells.
	if _, err := dst.DB.Collection("numbered").DeleteOne(ctx, bson.D{{Key: "_id", Value: int64(1000)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.DB.Collection("numbered").InsertOne(ctx, bson.D{{Key: "_id", Value: int64(5)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.DB.Collection("stray").InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	checks, err := migrate.Verify(ctx, src.DB, dst.DB)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]migrate.Check{}
	for _, c := range checks {
		if c.Name == migrate.CheckpointCollection {
			t.Errorf("verify compared the checkpoint collection")
		}
		if !c.OK() {
			bad[c.Name] = c
		}
	}
	if len(bad) != 3 || bad["records"].Source != 50 || bad["records"].Target != 49 ||
		bad["numbered"].Source != bad["numbered"].Target || bad["stray"].Source != 0 || bad["stray"].Target != 1 {
		t.Fatalf("differences found: %+v; want records (50/49), numbered (same count) and stray (0/1)", bad)
	}
}

// A checkpoint whose last _id is not where the natural order puts it (the
// order changed) makes that collection start over, and it still
// verifies.
func TestCopyStartsOverWhenTheOrderChanged(t *testing.T) {
	ctx := context.Background()
	src, _ := openDir(t, t.TempDir())
	populate(t, src.DB, 100)
	held, _ := openDir(t, t.TempDir())
	dst, _ := openURI(t, held.URI)
	if _, err := migrate.Copy(ctx, src.DB, dst.DB, migrate.Options{Source: "s"}); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.DB.Collection(migrate.CheckpointCollection).UpdateOne(ctx, bson.D{{Key: "_id", Value: "records"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "done", Value: false}, {Key: "copied", Value: 40}, {Key: "last_id", Value: "r00090"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.DB.Collection("records").DeleteMany(ctx, bson.D{{Key: "code", Value: bson.D{{Key: "$gte", Value: 30}}}}); err != nil {
		t.Fatal(err)
	}
	res, err := migrate.Copy(ctx, src.DB, dst.DB, migrate.Options{Source: "s"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Collections {
		if c.Name == "records" && (c.Resumed != 0 || c.Documents != 100) {
			t.Fatalf("records after a bad checkpoint: %+v; want copied from the start", c)
		}
	}
	mustVerify(t, src.DB, dst.DB)
}
