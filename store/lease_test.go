package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/clock"
	"turno/internal/testenv"
	"turno/store"
)

func optsUnique() *options.IndexOptionsBuilder { return options.Index().SetUnique(true) }

func TestLeaseLifecycle(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	clk := clock.NewFake(time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC))
	a := store.NewLease(db, "mailbox:soporte", "a", time.Minute, clk)
	b := store.NewLease(db, "mailbox:soporte", "b", time.Minute, clk)

	mustAcquire(t, a, true)
	mustAcquire(t, b, false)
	mustAcquire(t, a, true) // re-acquire by the holder renews
	if err := a.Renew(ctx); err != nil {
		t.Fatal(err)
	}

	clk.Advance(59 * time.Second)
	mustAcquire(t, b, false) // not expired yet
	clk.Advance(2 * time.Second)
	mustAcquire(t, b, true) // a expired: b takes over
	if err := a.Renew(ctx); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("renew after takeover: got %v, want ErrLeaseLost", err)
	}
	if b.Epoch() <= a.Epoch() {
		t.Fatalf("epoch did not grow: a=%d b=%d", a.Epoch(), b.Epoch())
	}

	if err := a.Release(ctx); err != nil { // not ours: no-op
		t.Fatal(err)
	}
	if st, _ := b.State(ctx); st.Owner != "b" {
		t.Fatalf("release by non-holder changed owner to %q", st.Owner)
	}
	if err := b.Release(ctx); err != nil {
		t.Fatal(err)
	}
	mustAcquire(t, a, true) // released: free at once, no waiting for expiry
}

func TestLeaseOneHolderUnderContention(t *testing.T) {
	db := testenv.DB(t)
	clk := clock.NewFake(time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC))
	for round := 0; round < 5; round++ {
		name := fmt.Sprintf("scheduler-%d", round)
		var wg sync.WaitGroup
		var mu sync.Mutex
		winners := 0
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				l := store.NewLease(db, name, fmt.Sprintf("p%d", i), time.Minute, clk)
				ok, err := l.Acquire(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					mu.Lock()
					winners++
					mu.Unlock()
				}
			}(i)
		}
		wg.Wait()
		if winners != 1 {
			t.Fatalf("round %d: %d holders, want exactly 1", round, winners)
		}
	}
}

func mustAcquire(t *testing.T, l *store.Lease, want bool) {
	t.Helper()
	got, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("Acquire = %v, want %v", got, want)
	}
}
