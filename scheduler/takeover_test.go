package scheduler

import (
	"context"
	"testing"
	"time"

	"turno/clock"
	"turno/internal/testenv"
	"turno/store"
)

// A process that died holding the lease (here: a scheduler that ticked once
// and was never started, so nothing renews its lease) keeps it until its TTL
// passes. A started scheduler must then take the lease and run what is due
// soon after — within a few TTLs — and not wait for cron's next minute.
func TestStartedSchedulerTakesOverADeadLeaderPromptly(t *testing.T) {
	st := testenv.Store(t)
	ctx := context.Background()
	const ttl = time.Second
	mk := func(owner string, fn JobFunc) *Scheduler {
		s, err := New(Options{DB: st.DB, Location: santiago(t), LeaseTTL: ttl, Clock: clock.Real{}, Owner: owner,
			Logger: testenv.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		if err := store.EnsureIndexes(ctx, st.DB, Indexes()); err != nil {
			t.Fatal(err)
		}
		s.AddDaily("cycle", 0, fn)
		return s
	}
	dead := mk("dead", func(context.Context, Run) (map[string]int, error) { return nil, nil })
	// The dead leader took the lease; no job ran (say it died right after).
	if ok, err := dead.lease.Acquire(ctx); !ok || err != nil {
		t.Fatalf("dead leader: acquired %v, err %v", ok, err)
	}
	ran := make(chan time.Time, 1)
	s := mk("survivor", func(context.Context, Run) (map[string]int, error) {
		select {
		case ran <- time.Now():
		default:
		}
		return nil, nil
	})
	start := time.Now()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := s.Stop(sctx); err != nil {
			t.Error(err)
		}
	}()
	// The lease expires after ttl; cron's own catch-up tick comes only a
	// minute after the start. 20 s is a generous bound between the two.
	select {
	case at := <-ran:
		t.Logf("took over and ran %s after the start (lease TTL %s)", at.Sub(start).Round(time.Millisecond), ttl)
	case <-time.After(20 * time.Second):
		t.Fatalf("the job did not run within 20s of the start: a dead leader's lease (TTL %s) delays the takeover until cron's next minute", ttl)
	}
}
