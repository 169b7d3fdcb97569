package cli

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/billing"
	"turno/internal/testenv"
	"turno/mailout"
	"turno/store"
)

// TestClientChangesKeepUndeliverableMarkersCurrent: a contact added,
// removed, or a suppression cleared from the CLI re-decides billing's
// undeliverable marker at once, without a report or a daemon start (the
// markers are what a running daemon's gauge counts).
func TestClientChangesKeepUndeliverableMarkersCurrent(t *testing.T) {
	dir := t.TempDir()
	must := func(args ...string) {
		t.Helper()
		if _, errs, code := run(t, dir, args...); code != 0 {
			t.Fatalf("turno %s: %s", strings.Join(args, " "), errs)
		}
	}
	withDB := func(fn func(ctx context.Context, db *mongo.Database) error) {
		t.Helper()
		ctx := context.Background()
		st, err := store.Open(ctx, store.Options{DataDir: dir, Database: "turno", Logger: testenv.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		err = fn(ctx, st.DB)
		if cerr := st.Close(ctx); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	suppress := func(addr string) {
		withDB(func(ctx context.Context, db *mongo.Database) error {
			return mailout.MarkUndeliverable(ctx, db, addr, "smtp", "550 5.1.1 user unknown", time.Now())
		})
	}
	marked := func() bool {
		t.Helper()
		var found bool
		withDB(func(ctx context.Context, db *mongo.Database) error {
			err := db.Collection(billing.UndeliverableCollection).FindOne(ctx, bson.D{{Key: "_id", Value: "C1"}}).Err()
			if errors.Is(err, mongo.ErrNoDocuments) {
				return nil
			}
			found = err == nil
			return err
		})
		return found
	}

	must("clients", "add", "C1", "--name", "Acme SpA", "--email", "ana@acme.cl", "--no-welcome")
	suppress("pagos@acme.cl")
	if marked() {
		t.Fatal("marked before the suppressed address was the client's")
	}
	must("contacts", "add", "C1", "pagos@acme.cl", "--role", "billing")
	if !marked() {
		t.Fatal("adding a suppressed billing contact did not mark the client")
	}
	must("outbox", "suppressions", "clear", "pagos@acme.cl")
	if marked() {
		t.Fatal("clearing the suppression left the client marked")
	}
	suppress("pagos@acme.cl")
	must("contacts", "add", "C1", "cobranza@acme.cl", "--role", "billing") // any change re-decides
	if !marked() {
		t.Fatal("a change after the suppression did not mark the client")
	}
	must("contacts", "remove", "C1", "pagos@acme.cl", "--role", "billing")
	if marked() {
		t.Fatal("removing the suppressed contact left the client marked")
	}
}
