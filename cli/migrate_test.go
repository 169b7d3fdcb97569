package cli

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/config"
	"turno/internal/devserve"
	"turno/internal/testenv"
	"turno/store"
)

// The operator's path to MongoDB, on real stores: migrate is refused
// while serve runs; with serve stopped, `turno migrate --to URI --verify`
// copies the dev daemon's store into a second embedded store addressed by
// its URI (the wire protocol a MongoDB speaks) and verifies clean, with
// the tickets, the Message-ID key and the indexes there. A document
// deleted in the target makes --verify-only exit non-zero naming its
// collection; --force copies again. A daemon started with mongodb.uri set
// to the target serves the migrated tickets and numbers the next one on.
func TestMigrateIntoSecondStoreVerifiesAndServes(t *testing.T) {
	ctx := context.Background()
	d, dir, stop := startDevServe(t)
	for i, id := range []string{"uno", "dos"} {
		msg := []byte("Message-ID: <migra-" + id + "@gmail.com>\r\nFrom: Pedro <pedro@gmail.com>\r\nTo: soporte@turno.test\r\n" +
			"Subject: Migración " + id + "\r\n\r\nHola.\r\n")
		appendAndWaitTicket(t, d, msg, int64(100000+i))
	}
	if _, errs, code := runIn(dir, "clients", "add", "C1", "--name", "Acme", "--email", "ana@acme.cl", "--no-welcome"); code != 0 {
		t.Fatalf("clients add: %s", errs)
	}
	key := settingKey(t, d.Store.DB)

	held := testenv.StoreAt(t, t.TempDir())
	if _, errs, code := runIn(dir, "migrate", "--to", held.URI); code == 0 || !strings.Contains(errs, "turno serve stopped") {
		t.Fatalf("migrate while serve runs: code %d\n%s; want a refusal", code, errs)
	}
	stop()

	out, errs, code := runIn(dir, "migrate", "--to", held.URI, "--verify", "--batch", "7")
	if code != 0 || !strings.Contains(out, "verify: all") || !strings.Contains(errs, "tickets: 2 documents") {
		t.Fatalf("migrate --verify: code %d\n%s\n%s", code, out, errs)
	}
	t.Logf("migrate --verify:\n%s%s", errs, out)
	dst := connect(t, held.URI)
	if got := settingKey(t, dst); got != key {
		t.Fatalf("the target's Message-ID key %q, want the source's %q", got, key)
	}
	src := connectDir(t, dir)
	want, got := indexNames(t, src.DB.Collection("tickets")), indexNames(t, dst.Collection("tickets"))
	if len(want) < 2 || !slices.Equal(want, got) {
		t.Fatalf("indexes of tickets: target %v, source %v", got, want)
	}
	if err := src.Close(ctx); err != nil { // migrate opens the data directory itself
		t.Fatal(err)
	}

	if _, err := dst.Collection("ticket_messages").DeleteOne(ctx, bson.D{{Key: "_id", Value: "migra-dos@gmail.com"}}); err != nil {
		t.Fatal(err)
	}
	out, errs, code = runIn(dir, "migrate", "--to", held.URI, "--verify-only")
	if code == 0 || !strings.Contains(errs, "differ: ticket_messages") || !strings.Contains(out, "DIFFERENT") {
		t.Fatalf("verify after a deletion: code %d\n%s\n%s; want non-zero naming ticket_messages", code, out, errs)
	}
	out, errs, code = runIn(dir, "migrate", "--to", held.URI, "--force", "--verify")
	if code != 0 || !strings.Contains(out, "verify: all") {
		t.Fatalf("migrate --force --verify: code %d\n%s\n%s", code, out, errs)
	}

	// What the README says to do next: mongodb.uri is the target.
	s := devserve.Start(t, func(cfg *config.Config) { cfg.MongoDB.URI = held.URI })
	tk, msgs, err := s.D.Tickets.Show(ctx, 100001)
	if err != nil || tk.Subject != "Migración dos" || len(msgs) != 1 {
		t.Fatalf("ticket 100001 on the migrated store: %+v, %d messages, %v", tk, len(msgs), err)
	}
	if _, err := s.D.Clients.Get(ctx, "C1"); err != nil {
		t.Fatalf("client C1 on the migrated store: %v", err)
	}
	appendAndWaitTicket(t, s.D, []byte("Message-ID: <migra-tres@gmail.com>\r\nFrom: Ana <ana@acme.cl>\r\nTo: soporte@turno.test\r\n"+
		"Subject: Después\r\n\r\nHola.\r\n"), 100002)
	if got := settingKey(t, s.D.Store.DB); got != key {
		t.Fatalf("the daemon on the target uses Message-ID key %q, want %q", got, key)
	}
}

// connect opens a store by URI; connectDir opens a data directory's
// embedded store (the caller closes it).
func connect(t *testing.T, uri string) *mongo.Database {
	t.Helper()
	st := openTestStore(t, store.Options{URI: uri, Database: "turno"})
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	return st.DB
}

func connectDir(t *testing.T, dir string) *store.Store {
	t.Helper()
	return openTestStore(t, store.Options{DataDir: dir, Database: "turno"})
}

func openTestStore(t *testing.T, o store.Options) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := store.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func settingKey(t *testing.T, db *mongo.Database) string {
	t.Helper()
	var doc struct {
		Value string `bson:"value"`
	}
	if err := db.Collection("settings").FindOne(context.Background(), bson.D{{Key: "_id", Value: "mailout.message_id_key"}}).Decode(&doc); err != nil || doc.Value == "" {
		t.Fatalf("the Message-ID key in settings: %q, %v", doc.Value, err)
	}
	return doc.Value
}

func indexNames(t *testing.T, coll *mongo.Collection) []string {
	t.Helper()
	specs, err := coll.Indexes().ListSpecifications(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range specs {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	return names
}
