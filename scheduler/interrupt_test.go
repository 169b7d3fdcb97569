package scheduler

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/clock"
	"turno/internal/testenv"
	"turno/store"
)

// A run cut short by this process stopping (the job's context ends, as
// Stop does) is not a failure of the job: the next process resumes it,
// however many starts it took so far. Before, it was recorded "failed"
// and, once crashes had taken it over twice (attempts 3), never retried.
func TestRunInterruptedByStopIsResumed(t *testing.T) {
	st, fc, today := staleRun(t, "dead", 2) // two earlier starts died (kill -9)
	ctx := context.Background()
	a := newSched(t, st, fc, "a")
	entered := make(chan struct{})
	a.AddDaily("cycle", 6, func(ctx context.Context, _ Run) (map[string]int, error) {
		close(entered)
		<-ctx.Done() // stopping
		return map[string]int{"invoiced": 10}, ctx.Err()
	})
	actx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _, _ = a.Tick(actx) }()
	<-entered
	stop()
	<-done
	var rec RunRecord
	if err := st.DB.Collection(RunsCollection).FindOne(ctx, bson.D{{Key: "_id", Value: runID("cycle", today)}}).Decode(&rec); err != nil {
		t.Fatal(err)
	}
	if rec.Status != StatusInterrupted || rec.Attempts != 3 || rec.Failures != 0 {
		t.Errorf("after the stop: status %q, attempts %d, failures %d; want %q, 3, 0", rec.Status, rec.Attempts, rec.Failures, StatusInterrupted)
	}
	// The next process (a's lease released by its Stop) resumes the run.
	if err := a.releaseLease(ctx); err != nil {
		t.Fatal(err)
	}
	b := newSched(t, st, fc, "b")
	rec2 := &recorder{}
	b.AddDaily("cycle", 6, rec2.fn)
	if _, err := b.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rec2.dates) != 1 {
		t.Fatalf("the interrupted run was not resumed (ran %v)", rec2.dates)
	}
	h, err := b.History(ctx, "cycle", 5)
	if err != nil || len(h) != 1 || h[0].Status != StatusOK || h[0].Attempts != 4 || h[0].Failures != 0 {
		t.Fatalf("history %+v err %v", h, err)
	}
}

// staleRun gives a store whose "cycle" run for today (2026-06-05, 07:00 in
// Santiago on the fake clock) is left "running" by owner after attempts
// starts, as a process that died or could not record its outcome leaves it.
func staleRun(t *testing.T, owner string, attempts int) (*store.Store, *clock.Fake, Date) {
	t.Helper()
	st := testenv.Store(t)
	loc := santiago(t)
	fc := clock.NewFake(time.Date(2026, 6, 5, 7, 0, 0, 0, loc))
	today := DateOf(fc.Now(), loc)
	if _, err := st.DB.Collection(RunsCollection).InsertOne(context.Background(), RunRecord{ID: runID("cycle", today), Job: "cycle",
		Date: today.String(), Trigger: "schedule", Status: StatusRunning, Owner: owner, Attempts: attempts, Started: fc.Now()}); err != nil {
		t.Fatal(err)
	}
	return st, fc, today
}
