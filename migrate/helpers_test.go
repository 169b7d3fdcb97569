package migrate_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/internal/testenv"
	"turno/mailout"
	"turno/migrate"
	"turno/store"
)

const dbName = "turno"

// openDir opens the embedded store of dataDir; closed at cleanup unless
// the returned close was called first.
func openDir(t *testing.T, dataDir string) (*store.Store, func()) {
	t.Helper()
	return open(t, store.Options{DataDir: dataDir, Database: dbName, Logger: testenv.Logger(t)})
}

// openURI connects to a store by its URI, as turno migrate --to does.
func openURI(t *testing.T, uri string) (*store.Store, func()) {
	t.Helper()
	return open(t, store.Options{URI: uri, Database: dbName, Logger: testenv.Logger(t)})
}

func open(t *testing.T, o store.Options) (*store.Store, func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := store.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	closeFn := func() {
		if !closed {
			closed = true
			_ = s.Close(context.Background())
		}
	}
	t.Cleanup(closeFn)
	return s, closeFn
}

// populate fills db with what a migration must carry: string, integer,
// ObjectID and mixed _ids, secondary indexes (one unique), an empty
// collection with an index, and the Message-ID key in settings, written
// by mailout itself. It returns the key.
func populate(t *testing.T, db *mongo.Database, records int) string {
	t.Helper()
	ctx := context.Background()
	insert := func(coll string, docs []any) {
		t.Helper()
		if _, err := db.Collection(coll).InsertMany(ctx, docs); err != nil {
			t.Fatalf("insert into %s: %v", coll, err)
		}
	}
	var docs []any
	for i := range records {
		docs = append(docs, bson.D{{Key: "_id", Value: fmt.Sprintf("r%05d", i)}, {Key: "code", Value: i},
			{Key: "body", Value: strings.Repeat("x", 200)}, {Key: "at", Value: time.Unix(int64(i), 0).UTC()}})
	}
	insert("records", docs)
	docs = nil
	for i := range 150 {
		docs = append(docs, bson.D{{Key: "_id", Value: int64(1000 - i)}, {Key: "n", Value: i}})
	}
	insert("numbered", docs)
	docs = nil
	for range 60 {
		docs = append(docs, bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "k", Value: "v"}})
	}
	insert("objects", docs)
	insert("mixed", []any{
		bson.D{{Key: "_id", Value: "a"}}, bson.D{{Key: "_id", Value: int32(7)}}, bson.D{{Key: "_id", Value: 2.5}},
		bson.D{{Key: "_id", Value: bson.NewObjectID()}}, bson.D{{Key: "_id", Value: bson.D{{Key: "mailbox", Value: "INBOX"}, {Key: "uid", Value: 3}}}},
	})
	if err := store.EnsureIndexes(ctx, db, []store.Index{
		{Collection: "records", Model: mongo.IndexModel{Keys: bson.D{{Key: "code", Value: 1}}, Options: options.Index().SetUnique(true).SetName("code_unique")}},
		{Collection: "records", Model: mongo.IndexModel{Keys: bson.D{{Key: "at", Value: -1}, {Key: "code", Value: 1}}}},
		{Collection: "empty", Model: mongo.IndexModel{Keys: bson.D{{Key: "due", Value: 1}}}},
	}); err != nil {
		t.Fatal(err)
	}
	key, err := mailout.MessageIDKey(ctx, db, "")
	if err != nil {
		t.Fatal(err)
	}
	return string(key)
}

// indexNames lists coll's index names, sorted by the server.
func indexNames(t *testing.T, coll *mongo.Collection) []string {
	t.Helper()
	names, err := coll.Indexes().ListSpecifications(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range names {
		out = append(out, n.Name)
		if n.Name == "code_unique" && (n.Unique == nil || !*n.Unique) {
			t.Errorf("%s: index code_unique lost its uniqueness", coll.Name())
		}
	}
	return out
}

// mustVerify fails the test unless every collection verifies.
func mustVerify(t *testing.T, src, dst *mongo.Database) []migrate.Check {
	t.Helper()
	checks, err := migrate.Verify(context.Background(), src, dst)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if !c.OK() {
			t.Errorf("verify %s: source %d %s, target %d %s", c.Name, c.Source, c.SourceHash[:12], c.Target, c.TargetHash[:12])
		}
	}
	return checks
}

func settingValue(t *testing.T, db *mongo.Database, id string) string {
	t.Helper()
	var doc struct {
		Value string `bson:"value"`
	}
	if err := db.Collection(mailout.SettingsCollection).FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Decode(&doc); err != nil {
		t.Fatalf("settings %s: %v", id, err)
	}
	return doc.Value
}
