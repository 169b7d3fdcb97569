package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/internal/testenv"
	"turno/store"
)

func TestEmbeddedRoundTripAndRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func() *store.Store {
		s, err := store.Open(ctx, store.Options{DataDir: dir, Database: "turno"})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	if !s.Embedded() || !strings.HasPrefix(s.Location, dir) {
		t.Fatalf("want embedded store under %s, got %q", dir, s.Location)
	}
	if _, err := s.DB.Collection("things").InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}, {Key: "n", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s = open()
	defer s.Close(ctx)
	var got struct{ N int }
	if err := s.DB.Collection("things").FindOne(ctx, bson.D{{Key: "_id", Value: "a"}}).Decode(&got); err != nil {
		t.Fatalf("document lost across restart: %v", err)
	}
	if got.N != 1 {
		t.Fatalf("got %+v", got)
	}
}

func TestEmbeddedDataDirIsLocked(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	_, err = store.Open(ctx, store.Options{DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), "in use by another turno process") {
		t.Fatalf("second open of the same data dir: got %v", err)
	}
}

func TestUnreachableServerFailsWithinTimeout(t *testing.T) {
	// A loopback port with nothing listening: connection refused at once,
	// retried by the driver until server selection gives up.
	start := time.Now()
	_, err := store.Open(context.Background(), store.Options{
		URI:            "mongodb://turno:pw@127.0.0.1:1/?directConnection=true",
		ConnectTimeout: 500 * time.Millisecond,
	})
	if err == nil {
		t.Fatal("want error")
	}
	if strings.Contains(err.Error(), "pw") {
		t.Fatalf("error leaks the password: %v", err)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("error does not name the server: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %s", d)
	}
}

func TestEnsureIndexesIsIdempotentAndEnforced(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	ix := []store.Index{{Collection: "c", Model: mongo.IndexModel{
		Keys: bson.D{{Key: "email", Value: 1}}, Options: optsUnique(),
	}}}
	for i := 0; i < 2; i++ {
		if err := store.EnsureIndexes(ctx, db, ix); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	if _, err := db.Collection("c").InsertOne(ctx, bson.D{{Key: "email", Value: "a@b"}}); err != nil {
		t.Fatal(err)
	}
	_, err := db.Collection("c").InsertOne(ctx, bson.D{{Key: "email", Value: "a@b"}})
	if !mongo.IsDuplicateKeyError(err) {
		t.Fatalf("unique index not enforced: %v", err)
	}
}

func TestRedactURI(t *testing.T) {
	got := store.RedactURI("mongodb://user:s3cret@db1:27017,db2:27017/turno?replicaSet=rs0&authSource=admin")
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "user@db1:27017") {
		t.Fatalf("got %q", got)
	}
}

func TestRedactURIOfASocket(t *testing.T) {
	if got := store.RedactURI("mongodb://%2Ftmp%2Fturno-1%2Fturno.sock/"); got != "mongodb:///tmp/turno-1/turno.sock" {
		t.Fatalf("RedactURI = %q", got)
	}
	if got := store.RedactURI("mongodb://turno:secret@db.example:27017/?tls=true"); strings.Contains(got, "secret") {
		t.Fatalf("RedactURI kept the password: %q", got)
	}
}
