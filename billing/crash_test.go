package billing

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/scheduler"
)

func manyContracts(t *testing.T, f *fixture, n, perClient int) {
	t.Helper()
	docs := make([]any, 0, n)
	for i := range n {
		cl := fmt.Sprintf("c%05d", i/perClient)
		if i%perClient == 0 {
			f.dir.put(completeClient(cl))
		}
		docs = append(docs, Contract{ID: fmt.Sprintf("k%05d", i), ClientID: cl, Description: "Plan",
			Currency: CLP, Amount: int64(1000 + i), AnchorDay: 5, Start: "2026-01-01", Active: true})
	}
	if _, err := f.svc.contracts.InsertMany(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
}

// checkExactlyOnce: one invoice per contract, numbers 1..n, one invoice
// mail key per invoice, and nothing left in "numbering" or unmailed.
func checkExactlyOnce(t *testing.T, f *fixture, n int) {
	t.Helper()
	invs := checkNumbers(t, f.svc, n)
	seen := map[string]bool{}
	for _, inv := range invs {
		if seen[inv.ContractID] {
			t.Fatalf("contract %s invoiced twice", inv.ContractID)
		}
		seen[inv.ContractID] = true
		if !inv.Mailed {
			t.Fatalf("invoice %d not mailed", inv.Number)
		}
		if _, ok := f.box.byKey["invoice:"+inv.ID+":issued:"+inv.ClientID+"@cliente.cl"]; !ok {
			t.Fatalf("invoice %d has no mail", inv.Number)
		}
	}
	if got := len(f.box.withPrefix("invoice:")); got != n {
		t.Fatalf("%d invoice mail keys, want %d", got, n)
	}
	left, err := f.svc.invoices.CountDocuments(context.Background(), bson.D{{Key: "number", Value: int64(0)}})
	if err != nil || left != 0 {
		t.Fatalf("%d invoices left unnumbered (err %v)", left, err)
	}
	checkNoMarkers(t, f.svc)
}

// The cycle over 1,000 contracts (5,000 takes over 15 minutes on the
// embedded store: see the package doc) is stopped at random points — by
// cancelling its context while it reads clients, inserts and numbers, or
// enqueues mail — and rerun until it completes: exactly one invoice per
// contract, numbers without gaps or repeats, every mail once. (In-process:
// a cancelled context stands in for kill -9 of a real turno serve; the
// outbox and clients registry are not on this branch yet.)
func TestCycleInterruptedAtRandomPointsIssuesExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 contracts")
	}
	f := newFixture(t, nil, time.Date(2026, 6, 5, 12, 0, 0, 0, time.UTC))
	const n = 1000
	manyContracts(t, f, n, 2)
	rng := rand.New(rand.NewPCG(6, 2026))
	var cancel atomic.Value
	var gets, queued atomic.Int64
	var stopAtGet, stopAtQueue atomic.Int64
	f.dir.onGet = func() {
		if gets.Add(1) == stopAtGet.Load() {
			cancel.Load().(context.CancelFunc)()
		}
	}
	f.box.onQueue = func() {
		if queued.Add(1) == stopAtQueue.Load() {
			cancel.Load().(context.CancelFunc)()
		}
	}
	d := scheduler.Run{Date: date(t, "2026-06-05")}
	interrupted := 0
	for attempt := 0; ; attempt++ {
		ctx, c := context.WithCancel(context.Background())
		cancel.Store(c)
		gets.Store(0)
		queued.Store(0)
		stopAtGet.Store(-1)
		stopAtQueue.Store(-1)
		switch {
		case attempt >= 6:
		case attempt%2 == 0:
			stopAtGet.Store(1 + rng.Int64N(n/2))
		default:
			stopAtQueue.Store(1 + rng.Int64N(n/3))
		}
		_, err := f.svc.Cycle(ctx, d)
		c()
		if err == nil {
			break
		}
		interrupted++
		if attempt > 8 {
			t.Fatalf("cycle does not complete: %v", err)
		}
	}
	if interrupted == 0 {
		t.Fatal("no run was interrupted: the test tested nothing")
	}
	checkExactlyOnce(t, f, n)
}

// Two processes (two Services on one database) run the same cycle at the
// same time, twice over: the same result as one.
func TestTwoProcessesSameResult(t *testing.T) {
	f := newFixture(t, nil, time.Date(2026, 6, 5, 12, 0, 0, 0, time.UTC))
	g := newFixture(t, f.st, f.clock.Now())
	g.dir, g.box = f.dir, f.box
	g.svc.opts.Clients, g.svc.opts.Mailer = f.dir, f.box
	f.svc.opts.BatchSize, g.svc.opts.BatchSize = 50, 70 // interleave the counter claims
	const n = 1000
	manyContracts(t, f, n, 3)
	d := scheduler.Run{Date: date(t, "2026-06-05")}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for _, svc := range []*Service{f.svc, g.svc, f.svc, g.svc} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.Cycle(context.Background(), d)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	checkExactlyOnce(t, f, n)
}

// A claimer that died right after moving the counter leaves its block
// unnumbered; the next assignment completes it first, so no number is lost.
func TestNumberingRepairsACrashedClaim(t *testing.T) {
	f := newFixture(t, nil, time.Date(2026, 6, 5, 12, 0, 0, 0, time.UTC))
	ctx := context.Background()
	var docs []any
	for i := range 5 {
		docs = append(docs, Invoice{ID: fmt.Sprintf("x%d", i), Status: StatusUnpaid, CreatedAt: f.clock.Now()})
	}
	if _, err := f.svc.invoices.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.readCounter(ctx, DocNotaDeCobro); err != nil {
		t.Fatal(err)
	}
	// The crashed claimer: counter moved to 1..2 for x3, x1; numbers never written.
	if _, err := f.svc.counters.UpdateOne(ctx, bson.D{{Key: "_id", Value: counterID(DocNotaDeCobro)}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "last", Value: int64(2)}, {Key: "first", Value: int64(1)}, {Key: "block", Value: []string{"x3", "x1"}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.repairNumbering(ctx); err != nil {
		t.Fatal(err)
	}
	invs := checkNumbers(t, f.svc, 5)
	if invs[0].ID != "x3" || invs[1].ID != "x1" {
		t.Fatalf("crashed block not honoured: %s %s", invs[0].ID, invs[1].ID)
	}
}
