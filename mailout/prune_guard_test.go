package mailout

import (
	"context"
	"errors"
	"testing"
	"time"

	"turno/internal/testenv"
)

// TestRetryRefusesWhatAPruneRunMayDelete: once a prune run has recorded
// its reach, a failed entry it could have selected (last changed before
// now - retention + the margin) is refused with ErrTooOldToRetry and left
// as it was; a newer failed entry is retried. The interleaving the guard
// closes: the pruner reads the old failed entry, the operator retries it,
// the pruner deletes it. With the guard the retry is refused, so what is
// deleted is a final entry, never a live one.
func TestRetryRefusesWhatAPruneRunMayDelete(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	now := time.Now().UTC()
	age := 30 * 24 * time.Hour
	seed := map[string]time.Time{
		"failed-edge":   now.Add(-age + time.Hour), // not selected by a run now, but by one a little later
		"failed-recent": now.Add(-age + 3*pruneGuardMargin),
	}
	for id, at := range seed {
		if _, err := db.Collection(OutboxCollection).InsertOne(ctx, Entry{ID: id, Key: id, State: StateFailed,
			Template: "ticket_ack", To: []string{"a@example.cl"}, CreatedAt: at, UpdatedAt: at, Attempts: 3}); err != nil {
			t.Fatal(err)
		}
	}
	p := Pruner{DB: db, Logger: testenv.Logger(t)}
	if _, err := p.Prune(ctx, now.Add(-age)); err != nil {
		t.Fatal(err)
	}
	if countIDs(t, db, OutboxCollection, "failed-edge", "failed-recent") != 2 {
		t.Fatal("the prune run deleted an entry newer than its cut-off")
	}
	err := Retry(ctx, db, "failed-edge", time.Now())
	if !errors.Is(err, ErrTooOldToRetry) {
		t.Fatalf("retry of an entry within a day of the cut-off: %v, want ErrTooOldToRetry", err)
	}
	if e, err := Get(ctx, db, "failed-edge"); err != nil || e.State != StateFailed {
		t.Fatalf("refused retry changed the entry: %+v %v", e, err)
	}
	if err := Retry(ctx, db, "failed-recent", time.Now()); err != nil {
		t.Fatalf("retry of a recent failed entry: %v", err)
	}
	if e, _ := Get(ctx, db, "failed-recent"); e.State != StateRetry {
		t.Fatalf("recent entry is %s after retry", e.State)
	}
	// A run a day later may select failed-edge: still final, never live.
	if _, err := p.Prune(ctx, now.Add(-age+2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if countIDs(t, db, OutboxCollection, "failed-edge") != 0 || countIDs(t, db, OutboxCollection, "failed-recent") != 1 {
		t.Fatal("the later run should delete the old failed entry and keep the retried one")
	}
}

// TestRetryBeforeAnyPruneAssumesTheDefault: without a recorded run, the
// default retention.outbox bounds what may be retried.
func TestRetryBeforeAnyPruneAssumesTheDefault(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	at := time.Now().UTC().Add(-DefaultPruneAge)
	if _, err := db.Collection(OutboxCollection).InsertOne(ctx, Entry{ID: "ancient", Key: "ancient", State: StateFailed,
		Template: "ticket_ack", To: []string{"a@example.cl"}, CreatedAt: at, UpdatedAt: at, Attempts: 1}); err != nil {
		t.Fatal(err)
	}
	if err := Retry(ctx, db, "ancient", time.Now()); !errors.Is(err, ErrTooOldToRetry) {
		t.Fatalf("got %v, want ErrTooOldToRetry", err)
	}
}
