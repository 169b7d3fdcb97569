package billing

import (
	"context"
	"io"
	"testing"
	"time"

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

// A contract listed under the day that ended before it is read once, then
// skipped by reruns like the billed ones (not by a dry run's); moving its
// end past the day has the next run read and bill it.
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
	if n := run("2026-06-05", true); n["already_done"] != 0 || log.commands("update", CycleDoneCollection) != 0 {
		t.Fatalf("dry run: %v, %d writes of the finished list", n, log.commands("update", CycleDoneCollection))
	}
	if n := run("2026-06-05", false); n["invoiced"] != 1 || n["already_done"] != 0 {
		t.Fatalf("first run: %v", n)
	}
	n := run("2026-06-05", false)
	if n["invoiced"] != 0 || n["already_done"] != 2 {
		t.Fatalf("rerun: %v, want the billed and the ended contract skipped", n)
	}
	if k := log.commands("find", ContractsCollection); k != 0 {
		t.Fatalf("the rerun read contracts %d times", k)
	}
	if err := f.svc.EndContract(ctx, "k-c2", date(t, "2026-12-31")); err != nil {
		t.Fatal(err)
	}
	if n := run("2026-06-05", false); n["invoiced"] != 1 || n["already_done"] != 1 {
		t.Fatalf("after the end moved: %v, want k-c2 billed", n)
	}
	if _, err := f.svc.invoice(ctx, InvoiceID("k-c2", "2026-06")); err != nil {
		t.Fatalf("k-c2's June invoice: %v", err)
	}
}
