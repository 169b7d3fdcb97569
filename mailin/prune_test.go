package mailin

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/internal/testenv"
)

// TestPruneIntakeBookkeeping: ingested ledger entries and done quarantine
// entries from before the cut-off go; newer ones, entries not ingested and
// held or retrying quarantine stay whatever their age; attempts go once
// the mailbox's cursor passed their copy (a mailbox name with a slash
// included), and stay while it has not.
func TestPruneIntakeBookkeeping(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	cut := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	old, recent := cut.Add(-time.Hour), cut.Add(time.Hour)
	ins := func(coll string, doc any) {
		t.Helper()
		if _, err := db.Collection(coll).InsertOne(ctx, doc); err != nil {
			t.Fatal(err)
		}
	}
	ins(MessageCollection, Entry{Key: "mid:old-done", At: old, Ingested: true})
	ins(MessageCollection, Entry{Key: "mid:old-pending", At: old, Ingested: false})
	ins(MessageCollection, Entry{Key: "mid:recent-done", At: recent, Ingested: true})
	ins(QuarantineCollection, Quarantined{ID: "q-old-done", State: QuarantineDone, At: old})
	ins(QuarantineCollection, Quarantined{ID: "q-old-held", State: QuarantineHeld, At: old})
	ins(QuarantineCollection, Quarantined{ID: "q-old-retry", State: QuarantineRetry, At: old})
	ins(QuarantineCollection, Quarantined{ID: "q-recent-done", State: QuarantineDone, At: recent})
	ins(CursorCollection, Cursor{Mailbox: "soporte", UIDValidity: 7, LastUID: 10})
	ins(CursorCollection, Cursor{Mailbox: "pagos/ventas", UIDValidity: 3, LastUID: 5})
	for _, id := range []string{"soporte/7/10", "soporte/7/11", "soporte/6/99", "pagos/ventas/3/5", "pagos/ventas/3/6", "otro/1/1"} {
		ins(AttemptCollection, bson.D{{Key: "_id", Value: id}, {Key: "attempts", Value: 1}})
	}
	n, err := Pruner{DB: db, Logger: testenv.Logger(t)}.Prune(ctx, cut)
	if err != nil {
		t.Fatal(err)
	}
	gone := map[string]bool{"mid:old-done": true, "q-old-done": true, "soporte/7/10": true, "soporte/6/99": true, "pagos/ventas/3/5": true}
	if n != len(gone) {
		t.Errorf("pruned %d, want %d", n, len(gone))
	}
	for coll, ids := range map[string][]string{
		MessageCollection:    {"mid:old-done", "mid:old-pending", "mid:recent-done"},
		QuarantineCollection: {"q-old-done", "q-old-held", "q-old-retry", "q-recent-done"},
		AttemptCollection:    {"soporte/7/10", "soporte/7/11", "soporte/6/99", "pagos/ventas/3/5", "pagos/ventas/3/6", "otro/1/1"},
	} {
		for _, id := range ids {
			err := db.Collection(coll).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Err()
			if exists := err == nil; exists == gone[id] {
				t.Errorf("%s %s: exists=%v, want %v", coll, id, exists, !gone[id])
			}
		}
	}
}
