package retention

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/clock"
	"turno/config"
	"turno/internal/testenv"
	"turno/mailout"
	"turno/scheduler"
	"turno/store"
)

type countingPruner struct {
	n      atomic.Int32
	before chan time.Time
}

func (c *countingPruner) Prune(_ context.Context, before time.Time) (int, error) {
	c.n.Add(1)
	c.before <- before
	return 0, nil
}

// TestRetentionRunsOncePerDayAcrossProcesses: two schedulers (two
// processes) on one store tick at the job's hour, concurrently and again:
// the job runs once that day, with the configured cut-off, and once more
// the next day; the real steps delete an old final outbox entry and keep
// a pending one.
func TestRetentionRunsOncePerDayAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	st := testenv.Store(t)
	if err := store.EnsureIndexes(ctx, st.DB, scheduler.Indexes()); err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation("America/Santiago")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2027, 3, 10, 5, 0, 0, 0, loc) // after the 04:00 run time
	fc := clock.NewFake(start)
	cfg := config.Default()
	probe := &countingPruner{before: make(chan time.Time, 10)}
	old := start.Add(-cfg.Retention.Outbox.D() - time.Hour)
	for _, e := range []mailout.Entry{
		{ID: "old-sent", State: mailout.StateSent, UpdatedAt: old, CreatedAt: old},
		{ID: "old-queued", State: mailout.StateQueued, UpdatedAt: old, CreatedAt: old},
	} {
		if _, err := st.DB.Collection(mailout.OutboxCollection).InsertOne(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(owner string) *scheduler.Scheduler {
		s, err := scheduler.New(scheduler.Options{DB: st.DB, Location: loc, LeaseTTL: time.Minute, Clock: fc,
			Owner: owner, Logger: testenv.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		j := New(Options{DB: st.DB, Config: cfg, MessageIDKey: []byte("k"), Clock: fc, Location: loc, Logger: testenv.Logger(t)})
		j.Steps = append(j.Steps, Step{Name: "probe", Age: cfg.Retention.Intake.D(), Pruner: probe})
		Register(s, cfg.Retention, j)
		return s
	}
	a, b := mk("a"), mk("b")
	tickBoth := func() {
		var wg sync.WaitGroup
		for _, s := range []*scheduler.Scheduler{a, b, a, b} {
			wg.Go(func() {
				if _, err := s.Tick(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	tickBoth()
	tickBoth()
	if got := probe.n.Load(); got != 1 {
		t.Fatalf("first day: the job ran %d times, want 1", got)
	}
	if before := <-probe.before; !before.Equal(start.Add(-cfg.Retention.Intake.D())) {
		t.Errorf("cut-off %s, want now - retention.intake", before)
	}
	for id, want := range map[string]bool{"old-sent": false, "old-queued": true} {
		err := st.DB.Collection(mailout.OutboxCollection).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Err()
		if (err == nil) != want {
			t.Errorf("outbox %s exists=%v, want %v", id, err == nil, want)
		}
	}
	// The lease holder keeps running it, once a day.
	fc.Advance(24 * time.Hour)
	tickBoth()
	tickBoth()
	if got := probe.n.Load(); got != 2 {
		t.Fatalf("second day: the job ran %d times in all, want 2", got)
	}
}
