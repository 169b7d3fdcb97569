package billing

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/scheduler"
)

// The cycle finds its due contracts through billing_due_index: contracts
// from before the index (inserted as an older version did) bill after the
// upgrade; a contract ended long ago leaves its day's list on the first
// cycle that reads it, and moving its end again puts it back so it bills;
// and no cycle filters contracts on anything but _id.
func TestDueIndexFindsDueContractsWithoutScanning(t *testing.T) {
	f := newFixture(t, nil, time.Date(2026, 6, 5, 12, 0, 0, 0, time.UTC))
	ctx := context.Background()
	for _, c := range []string{"c1", "c2"} {
		f.dir.put(completeClient(c))
	}
	// As an older version wrote them: no index entries.
	if _, err := f.svc.contracts.InsertMany(ctx, []any{
		Contract{ID: "old-live", ClientID: "c1", Description: "Plan", Currency: CLP, Amount: 1000, AnchorDay: 5,
			Start: "2026-01-01", Active: true},
		Contract{ID: "old-ended", ClientID: "c2", Description: "Plan", Currency: CLP, Amount: 2000, AnchorDay: 5,
			Start: "2025-01-01", End: "2025-12-31", Active: true},
	}); err != nil {
		t.Fatal(err)
	}
	f.contract(t, "new-live", "c2", 5, 3000, "2026-01-01")
	f.contract(t, "other-day", "c1", 6, 4000, "2026-01-01")

	svc, log := monitored(t, f)
	n, err := svc.Cycle(ctx, scheduler.Run{Date: date(t, "2026-06-05")})
	if err != nil {
		t.Fatal(err)
	}
	if n["invoiced"] != 2 {
		t.Fatalf("counts %v: want old-live and new-live invoiced", n)
	}
	if s := log.scans(ContractsCollection); len(s) > 1 {
		// the upgrade's one scan of contracts is allowed, no other
		t.Fatalf("the cycle scanned contracts %d times: %v", len(s), s)
	}
	listed := func() []string {
		var d dueIndexDoc
		if err := f.svc.dueIndex().FindOne(ctx, bson.D{{Key: "_id", Value: dueKey(5)}}).Decode(&d); err != nil {
			t.Fatal(err)
		}
		slices.Sort(d.Contracts)
		return d.Contracts
	}
	if got := listed(); !slices.Equal(got, []string{"new-live", "old-live"}) {
		t.Fatalf("day 5 lists %v after the cycle; the long-ended contract should have left", got)
	}

	// The next month: no scan at all, and the ended contract, its end
	// moved past the date, is listed again and bills.
	if err := f.svc.EndContract(ctx, "old-ended", date(t, "2026-12-31")); err != nil {
		t.Fatal(err)
	}
	if got := listed(); !slices.Contains(got, "old-ended") {
		t.Fatalf("moving the end did not list the contract again: %v", got)
	}
	log.reset()
	n, err = svc.Cycle(ctx, scheduler.Run{Date: date(t, "2026-07-05")})
	if err != nil {
		t.Fatal(err)
	}
	if n["invoiced"] != 3 {
		t.Fatalf("counts %v: want the two live contracts and the one whose end moved", n)
	}
	if s := log.scans(ContractsCollection); len(s) > 0 {
		t.Fatalf("the cycle scanned contracts after the upgrade: %v", s)
	}
	// The monitor does see a contracts scan when there is one.
	log.reset()
	if _, err := svc.Contracts(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if len(log.scans(ContractsCollection)) == 0 {
		t.Fatal("the monitor did not see the all-contracts listing's scan: the check checks nothing")
	}
}
