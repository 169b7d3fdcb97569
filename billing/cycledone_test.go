package billing

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/scheduler"
)

// commands counts the logged commands named verb on coll.
func (l *commandLog) commands(verb, coll string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.cmds {
		if v, ok := c.Index(0).Value().StringValueOK(); ok && v == coll && c.Index(0).Key() == verb {
			n++
		}
	}
	return n
}

// Another run of the cycle on a day already billed skips the contracts
// whose invoice is complete without reading them or writing anything for
// them; a contract held for its client's data is not complete and is
// looked at again; a new period starts the list over.
func TestCycleRerunSkipsContractsAlreadyBilled(t *testing.T) {
	f := newFixture(t, nil, time.Date(2026, 6, 5, 12, 0, 0, 0, time.UTC))
	ctx := context.Background()
	for _, c := range []string{"c1", "c2", "c3"} {
		f.dir.put(completeClient(c))
		f.contract(t, "k-"+c, c, 5, 1000, "2026-01-01")
	}
	svc, log := monitored(t, f)
	run := func(day string) map[string]int {
		t.Helper()
		log.reset()
		n, err := svc.Cycle(ctx, scheduler.Run{Date: date(t, day)})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := run("2026-06-05"); n["invoiced"] != 3 || n["already_done"] != 0 {
		t.Fatalf("first run: %v", n)
	}
	n := run("2026-06-05")
	if n["invoiced"] != 0 || n["already_done"] != 3 || n["due"] != 0 {
		t.Fatalf("rerun: %v, want the three contracts skipped as already billed", n)
	}
	if k := log.commands("find", ContractsCollection); k != 0 {
		t.Fatalf("the rerun read contracts %d times", k)
	}
	// (The numbering repair rewrites the last block's numbers on every
	// run, so updates of invoices are no sign; inserts and markers are.)
	if k := log.commands("insert", InvoicesCollection) + log.commands("update", UnnumberedCollection) +
		log.commands("insert", UnnumberedCollection); k != 0 {
		t.Fatalf("the rerun wrote invoices or their markers %d times", k)
	}

	// July: c2's data are incomplete, so its contract is held, not done.
	held := completeClient("c2")
	held.Billing.TaxID = ""
	f.dir.put(held)
	if n := run("2026-07-05"); n["invoiced"] != 2 || n["held"] != 1 || n["already_done"] != 0 {
		t.Fatalf("next period: %v, want two invoiced, c2 held", n)
	}
	if n := run("2026-07-05"); n["invoiced"] != 0 || n["held"] != 1 || n["already_done"] != 2 {
		t.Fatalf("next period's rerun: %v, want the held contract looked at again", n)
	}
	// The data completed, the held period is billed (by the holds' retry)
	// and the contract is looked at once more, then skipped.
	f.dir.put(completeClient("c2"))
	if n := run("2026-07-05"); n["released"] != 1 || n["already_done"] != 2 {
		t.Fatalf("after completing the data: %v", n)
	}
	if n := run("2026-07-05"); n["already_done"] != 3 || n["due"] != 0 {
		t.Fatalf("last rerun: %v", n)
	}
	invs, _, err := f.svc.ClientInvoices(ctx, "c2")
	if err != nil || len(invs) != 2 {
		t.Fatalf("c2 has %d invoices (%v), want June and July once each", len(invs), err)
	}
}

// A contract listed under the day that ended before it is read once and
// leaves the day's list for its end month's (not on a dry run), so a rerun
// reads no contract; a catch-up run for a day before its end still bills
// it; moving its end past the day has the next run read and bill it.
func TestCycleRerunSkipsEndedContractsUntilTheEndMoves(t *testing.T) {
	f := newFixture(t, nil, time.Date(2026, 6, 5, 12, 0, 0, 0, time.UTC))
	ctx := context.Background()
	for _, c := range []string{"c1", "c2"} {
		f.dir.put(completeClient(c))
		f.contract(t, "k-"+c, c, 5, 1000, "2026-01-01")
	}
	if err := f.svc.EndContract(ctx, "k-c2", date(t, "2026-05-20")); err != nil {
		t.Fatal(err)
	}
	svc, log := monitored(t, f)
	run := func(day string, dry bool) map[string]int {
		t.Helper()
		log.reset()
		n, err := svc.Cycle(ctx, scheduler.Run{Date: date(t, day), DryRun: dry, Out: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	listed := func(id string) []string {
		t.Helper()
		var d dueIndexDoc
		err := f.svc.dueIndex().FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			t.Fatal(err)
		}
		slices.Sort(d.Contracts)
		return d.Contracts
	}
	if n := run("2026-06-05", true); n["already_done"] != 0 || log.commands("update", CycleDoneCollection) != 0 ||
		!slices.Equal(listed(dueKey(5)), []string{"k-c1", "k-c2"}) {
		t.Fatalf("dry run: %v, %d writes of the finished list, day 5 lists %v", n,
			log.commands("update", CycleDoneCollection), listed(dueKey(5)))
	}
	// A list of contracts that ended five months before is dropped whole.
	if _, err := f.svc.dueIndex().InsertOne(ctx, dueIndexDoc{ID: endedKey(5, "2026-01"), Contracts: []string{"2026-01-10|k-old"}}); err != nil {
		t.Fatal(err)
	}
	if n := run("2026-06-05", false); n["invoiced"] != 1 || n["already_done"] != 0 {
		t.Fatalf("first run: %v", n)
	}
	if old := listed(endedKey(5, "2026-01")); len(old) != 0 {
		t.Fatalf("January's list of ended contracts is still there: %v", old)
	}
	if got, ended := listed(dueKey(5)), listed(endedKey(5, "2026-05")); !slices.Equal(got, []string{"k-c1"}) ||
		!slices.Equal(ended, []string{"2026-05-20|k-c2"}) {
		t.Fatalf("day 5 lists %v and May's ended %v; want k-c2 moved to May's", got, ended)
	}
	n := run("2026-06-05", false)
	if n["invoiced"] != 0 || n["already_done"] != 1 {
		t.Fatalf("rerun: %v, want the billed contract skipped", n)
	}
	if k := log.commands("find", ContractsCollection); k != 0 {
		t.Fatalf("the rerun read contracts %d times", k)
	}
	// A catch-up for May 5 (before k-c2's end) finds it in May's list.
	if n := run("2026-05-05", false); n["invoiced"] != 2 {
		t.Fatalf("catch-up for May: %v, want both contracts billed", n)
	}
	if err := f.svc.EndContract(ctx, "k-c2", date(t, "2026-12-31")); err != nil {
		t.Fatal(err)
	}
	if n := run("2026-06-05", false); n["invoiced"] != 1 || n["already_done"] != 1 {
		t.Fatalf("after the end moved: %v, want k-c2 billed", n)
	}
	for _, id := range []string{InvoiceID("k-c2", "2026-05"), InvoiceID("k-c2", "2026-06")} {
		if _, err := f.svc.invoice(ctx, id); err != nil {
			t.Fatalf("k-c2's invoice %s: %v", id, err)
		}
	}
}

// An end that moves while the cycle moves the contract off its day is
// listed on the day again: the cycle reads each moved contract again.
func TestMoveEndedListsBackAContractWhoseEndMoved(t *testing.T) {
	f := newFixture(t, nil, time.Date(2026, 6, 5, 12, 0, 0, 0, time.UTC))
	ctx := context.Background()
	f.dir.put(completeClient("c1"))
	f.contract(t, "k-c1", "c1", 5, 1000, "2026-01-01")
	if err := f.svc.EndContract(ctx, "k-c1", date(t, "2026-05-28")); err != nil {
		t.Fatal(err)
	}
	// The cycle read the end as 2026-05-01; it is 2026-05-28 by the time
	// it moves the contract, so May's list says it ended before May 5.
	if err := f.svc.moveEnded(ctx, 5, date(t, "2026-06-05"), map[string]string{"k-c1": "2026-05-01"}); err != nil {
		t.Fatal(err)
	}
	var d dueIndexDoc
	if err := f.svc.dueIndex().FindOne(ctx, bson.D{{Key: "_id", Value: dueKey(5)}}).Decode(&d); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(d.Contracts, "k-c1") {
		t.Fatalf("day 5 lists %v: the contract whose end moved should be back", d.Contracts)
	}
	// A catch-up for May 5 bills it (k-c1 ended on the 28th).
	n, err := f.svc.Cycle(ctx, scheduler.Run{Date: date(t, "2026-05-05")})
	if err != nil || n["invoiced"] != 1 {
		t.Fatalf("catch-up for May 5: %v, %v", n, err)
	}
}
