package scheduler

import (
	"context"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/store"
)

// Two processes killed while running today's run (each taken over by the
// next) and then one real, transient failure: the failure is retried by
// the next tick, because only failures use up retries. Before, the two
// takeovers had made the failed run's third attempt its last.
func TestCrashTakeoversDoNotUseUpRetries(t *testing.T) {
	st, fc, today := staleRun(t, "dead", 2) // two starts died (kill -9)
	ctx := context.Background()
	a := newSched(t, st, fc, "a")
	rec := &recorder{fail: map[string]int{today.String(): 1}}
	a.AddDaily("cycle", 6, rec.fn)
	if _, err := a.Tick(ctx); err == nil {
		t.Fatal("the transient failure was not reported")
	}
	failed := readRun(t, st, runID("cycle", today))
	if _, err := a.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rec.dates) != 1 {
		t.Fatalf("the failed run (attempts %d) was not retried after two takeovers (ran %v)", failed.Attempts, rec.dates)
	}
	if r := failed; r.Status != StatusFailed || r.Attempts != 3 || r.Failures != 1 {
		t.Fatalf("after the failure: status %q attempts %d failures %d; want failed, 3, 1", r.Status, r.Attempts, r.Failures)
	}
	if r := readRun(t, st, runID("cycle", today)); r.Status != StatusOK || r.Attempts != 4 || r.Failures != 1 {
		t.Fatalf("after the retry: status %q attempts %d failures %d; want ok, 4, 1", r.Status, r.Attempts, r.Failures)
	}
}

// Retries stop at the third failure however many attempts the run had,
// and interrupted runs between failures use none up. A record written
// before failures were counted is retried.
func TestRetriesStopAtThreeFailures(t *testing.T) {
	ctx := context.Background()
	failing := func(calls *int) JobFunc {
		return func(context.Context, Run) (map[string]int, error) {
			*calls++
			return nil, errors.New("relay down")
		}
	}
	t.Run("interrupted after two failures", func(t *testing.T) {
		st, fc, today := staleRun(t, "dead", 6)
		id := runID("cycle", today)
		setRun(t, st, id, bson.D{{Key: "status", Value: StatusInterrupted}, {Key: "failures", Value: 2}})
		a := newSched(t, st, fc, "a")
		var calls int
		a.AddDaily("cycle", 6, failing(&calls))
		for range 3 {
			_, _ = a.Tick(ctx)
		}
		if calls != 1 {
			t.Fatalf("job ran %d times; want once (the interrupted run resumed, then its third failure)", calls)
		}
		if r := readRun(t, st, id); r.Status != StatusFailed || r.Attempts != 7 || r.Failures != 3 {
			t.Fatalf("status %q attempts %d failures %d; want failed, 7, 3", r.Status, r.Attempts, r.Failures)
		}
	})
	t.Run("failed once after four takeovers", func(t *testing.T) {
		st, fc, today := staleRun(t, "dead", 5)
		id := runID("cycle", today)
		setRun(t, st, id, bson.D{{Key: "status", Value: StatusFailed}, {Key: "failures", Value: 1}})
		a := newSched(t, st, fc, "a")
		var calls int
		a.AddDaily("cycle", 6, failing(&calls))
		for range 4 {
			_, _ = a.Tick(ctx)
		}
		if calls != 2 {
			t.Fatalf("job ran %d times; want 2 (failures 2 and 3)", calls)
		}
		if r := readRun(t, st, id); r.Status != StatusFailed || r.Attempts != 7 || r.Failures != 3 {
			t.Fatalf("status %q attempts %d failures %d; want failed, 7, 3", r.Status, r.Attempts, r.Failures)
		}
	})
	t.Run("recorded before failures were counted", func(t *testing.T) {
		st, fc, today := staleRun(t, "dead", 3)
		id := runID("cycle", today)
		if _, err := st.DB.Collection(RunsCollection).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{
			{Key: "$set", Value: bson.D{{Key: "status", Value: StatusFailed}}},
			{Key: "$unset", Value: bson.D{{Key: "failures", Value: ""}}}}); err != nil {
			t.Fatal(err)
		}
		a := newSched(t, st, fc, "a")
		rec := &recorder{}
		a.AddDaily("cycle", 6, rec.fn)
		if _, err := a.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if r := readRun(t, st, id); len(rec.dates) != 1 || r.Status != StatusOK || r.Attempts != 4 || r.Failures != 0 {
			t.Fatalf("ran %v; status %q attempts %d failures %d; want one run, ok, 4, 0", rec.dates, r.Status, r.Attempts, r.Failures)
		}
	})
}

func readRun(t *testing.T, st *store.Store, id string) RunRecord {
	t.Helper()
	var rec RunRecord
	if err := st.DB.Collection(RunsCollection).FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Decode(&rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

func setRun(t *testing.T, st *store.Store, id string, set bson.D) {
	t.Helper()
	if _, err := st.DB.Collection(RunsCollection).UpdateOne(context.Background(), bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: set}}); err != nil {
		t.Fatal(err)
	}
}
