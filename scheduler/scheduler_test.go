package scheduler

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"turno/clock"
	"turno/internal/testenv"
	"turno/store"
)

type recorder struct {
	mu    sync.Mutex
	dates []string
	fail  map[string]int // date -> failures left
}

func (r *recorder) fn(_ context.Context, run Run) (map[string]int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail[run.Date.String()] > 0 {
		r.fail[run.Date.String()]--
		return nil, errors.New("boom")
	}
	r.dates = append(r.dates, run.Date.String())
	return map[string]int{"n": 1}, nil
}

func santiago(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("America/Santiago")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func newSched(t *testing.T, st *store.Store, c clock.Clock, owner string) *Scheduler {
	t.Helper()
	s, err := New(Options{DB: st.DB, Location: santiago(t), CatchUpDays: 7, Clock: c, Owner: owner,
		Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.EnsureIndexes(context.Background(), st.DB, Indexes()); err != nil {
		t.Fatal(err)
	}
	return s
}

// A server clock in UTC stepped hourly through a year that includes both
// Santiago DST changes: the job runs once per business date, in order, and
// never before its local hour.
func TestDailyJobOncePerBusinessDateThroughDST(t *testing.T) {
	st := testenv.Store(t)
	loc := santiago(t)
	start := time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC)
	fc := clock.NewFake(start)
	s := newSched(t, st, fc, "a")
	rec := &recorder{}
	s.AddDaily("cycle", 0, rec.fn) // midnight: the hour that vanishes on the September change
	ctx := context.Background()
	end := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for now := start; now.Before(end); now = now.Add(7 * time.Hour) {
		fc.Set(now)
		if _, err := s.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	first := DateOf(start, loc) // 2025-12-31 local, hour 0 passed
	want := first
	if len(rec.dates) < 365 {
		t.Fatalf("ran %d times, want ≥365", len(rec.dates))
	}
	for i, d := range rec.dates {
		if d != want.String() {
			t.Fatalf("run %d for %s, want %s", i, d, want)
		}
		want = want.AddDays(1)
	}
	if last := DateOf(end.Add(-time.Nanosecond), loc); rec.dates[len(rec.dates)-1] != last.String() {
		t.Fatalf("last run %s, want %s", rec.dates[len(rec.dates)-1], last)
	}
}

func TestCatchUpOldestFirstWithinHorizon(t *testing.T) {
	st := testenv.Store(t)
	loc := santiago(t)
	fc := clock.NewFake(time.Date(2026, 3, 1, 7, 0, 0, 0, loc))
	s := newSched(t, st, fc, "a")
	rec := &recorder{}
	s.AddDaily("cycle", 6, rec.fn)
	ctx := context.Background()
	if _, err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	fc.Set(time.Date(2026, 3, 4, 5, 0, 0, 0, loc)) // before 06:00: the 4th is not due yet
	if _, err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	fc.Set(time.Date(2026, 3, 20, 8, 0, 0, 0, loc)) // long outage
	if _, err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-03-01", "2026-03-02", "2026-03-03",
		"2026-03-13", "2026-03-14", "2026-03-15", "2026-03-16", "2026-03-17", "2026-03-18", "2026-03-19", "2026-03-20"}
	if len(rec.dates) != len(want) {
		t.Fatalf("ran %v, want %v", rec.dates, want)
	}
	for i := range want {
		if rec.dates[i] != want[i] {
			t.Fatalf("ran %v, want %v", rec.dates, want)
		}
	}
}

func TestOnlyLeaseHolderRunsAndFailedRunsRetry(t *testing.T) {
	st := testenv.Store(t)
	loc := santiago(t)
	fc := clock.NewFake(time.Date(2026, 2, 28, 7, 0, 0, 0, loc))
	a, b := newSched(t, st, fc, "a"), newSched(t, st, fc, "b")
	rec := &recorder{fail: map[string]int{"2026-02-28": 1}}
	a.AddDaily("cycle", 6, rec.fn)
	b.AddDaily("cycle", 6, rec.fn)
	ctx := context.Background()
	if lead, err := a.Tick(ctx); !lead || err == nil {
		t.Fatalf("a: leader %v err %v; want leader with the job's failure", lead, err)
	}
	if lead, _ := b.Tick(ctx); lead {
		t.Fatal("b ran while a holds the lease")
	}
	if _, err := a.Tick(ctx); err != nil { // retry of the failed run
		t.Fatal(err)
	}
	if _, err := a.Tick(ctx); err != nil { // nothing left
		t.Fatal(err)
	}
	if len(rec.dates) != 1 {
		t.Fatalf("ran %v, want one successful run", rec.dates)
	}
	h, err := a.History(ctx, "cycle", 10)
	if err != nil || len(h) != 1 || h[0].Status != StatusOK || h[0].Attempts != 2 || h[0].Failures != 1 {
		t.Fatalf("history %+v err %v", h, err)
	}
	fc.Advance(31 * time.Second) // a's lease expires: b takes over the next day
	fc.Set(fc.Now().Add(24 * time.Hour))
	if lead, err := b.Tick(ctx); !lead || err != nil {
		t.Fatalf("b: leader %v err %v", lead, err)
	}
	if len(rec.dates) != 2 || rec.dates[1] != "2026-03-01" {
		t.Fatalf("ran %v", rec.dates)
	}
}

func TestRunningJobNotStartedAgain(t *testing.T) {
	st := testenv.Store(t)
	loc := santiago(t)
	fc := clock.NewFake(time.Date(2026, 4, 5, 7, 0, 0, 0, loc))
	s := newSched(t, st, fc, "a")
	entered, release := make(chan struct{}), make(chan struct{})
	var n int
	s.AddDaily("slow", 6, func(context.Context, Run) (map[string]int, error) {
		n++
		close(entered)
		<-release
		return nil, nil
	})
	ctx := context.Background()
	done := make(chan error)
	go func() { _, err := s.Tick(ctx); done <- err }()
	<-entered
	if _, err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.RunNow(ctx, "slow", Run{Date: DateOf(fc.Now(), loc)}); err == nil {
		t.Fatal("manual run of a running job was accepted")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("job started %d times", n)
	}
}
