package scheduler

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/clock"
	"turno/internal/testenv"
)

// A process that lost the lease while its job ran (it froze past the TTL)
// and whose run another process took over must not record an outcome on
// the run it no longer owns: the owner is still running it, and a stale
// "ok" (or "failed") written over it is wrong either way — an owner then
// stopped mid-run turned the finished run back into an interrupted one.
func TestStaleRunnerDoesNotRecordOverTheOwner(t *testing.T) {
	st := testenv.Store(t)
	loc := santiago(t)
	fc := clock.NewFake(time.Date(2026, 6, 5, 7, 0, 0, 0, loc))
	ctx := context.Background()
	today := DateOf(fc.Now(), loc)
	blocking := func(s *Scheduler) (entered, release chan struct{}) {
		entered, release = make(chan struct{}), make(chan struct{})
		s.AddDaily("cycle", 6, func(context.Context, Run) (map[string]int, error) {
			close(entered)
			<-release
			return map[string]int{"n": 1}, nil
		})
		return entered, release
	}
	a, b := newSched(t, st, fc, "a"), newSched(t, st, fc, "b")
	aIn, aGo := blocking(a)
	bIn, bGo := blocking(b)
	aDone, bDone := make(chan error, 1), make(chan error, 1)
	go func() { _, err := a.Tick(ctx); aDone <- err }()
	<-aIn
	fc.Advance(31 * time.Second) // a froze: its lease expired, b takes the run over
	go func() { _, err := b.Tick(ctx); bDone <- err }()
	<-bIn
	read := func() RunRecord {
		var rec RunRecord
		if err := st.DB.Collection(RunsCollection).FindOne(ctx, bson.D{{Key: "_id", Value: runID("cycle", today)}}).Decode(&rec); err != nil {
			t.Fatal(err)
		}
		return rec
	}
	close(aGo) // the stale run ends first
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
	if rec := read(); rec.Status != StatusRunning || rec.Owner != "b" {
		t.Fatalf("after the stale runner ended: status %q owner %q; want running by b", rec.Status, rec.Owner)
	}
	close(bGo)
	if err := <-bDone; err != nil {
		t.Fatal(err)
	}
	if rec := read(); rec.Status != StatusOK || rec.Owner != "b" || rec.Attempts != 2 {
		t.Fatalf("after b ended: %+v", rec)
	}
}

// A run this very process left "running" (its outcome write failed) is
// not ours to wait for: the job is not running here, so the next tick
// takes it over and records an outcome, instead of leaving the date
// running for good.
func TestOwnStaleRunningRecordIsTakenOver(t *testing.T) {
	st, fc, _ := staleRun(t, "a", 1)
	ctx := context.Background()
	a := newSched(t, st, fc, "a")
	rec := &recorder{}
	a.AddDaily("cycle", 6, rec.fn)
	if _, err := a.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rec.dates) != 1 {
		t.Fatalf("the stale run was not taken over (ran %v)", rec.dates)
	}
	h, err := a.History(ctx, "cycle", 5)
	if err != nil || len(h) != 1 || h[0].Status != StatusOK || h[0].Attempts != 2 {
		t.Fatalf("history %+v err %v", h, err)
	}
}
