package billing

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/scheduler"
)

// checkNoMarkers: no invoice is left marked as needing a number or a mail.
func checkNoMarkers(t testing.TB, svc *Service) {
	t.Helper()
	for _, name := range []string{UnnumberedCollection, UnmailedCollection} {
		left, err := svc.opts.DB.Collection(name).CountDocuments(context.Background(), bson.D{})
		if err != nil || left != 0 {
			t.Fatalf("%d %s markers left (err %v)", left, name, err)
		}
	}
}

func markerIDs(t testing.TB, svc *Service, name string) map[string]bool {
	t.Helper()
	ms, err := svc.readMarkers(context.Background(), svc.opts.DB.Collection(name))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range ms {
		out[m.ID] = true
	}
	return out
}

// A crash can stop the issue of one invoice after any of its steps: the
// markers written, the insert, the number, the enqueue, mailed written.
// Each state left is finished by the next cycle (on a day the contract is
// not due, so only the repair steps can do it) exactly once: one number,
// one mail per recipient, no marker left.
func TestCrashBetweenMarkerAndStepsRepairedOnce(t *testing.T) {
	states := []struct {
		name  string
		steps int // how many of the steps below ran before the "crash"
	}{
		{"marked, not inserted", 1},
		{"inserted, not numbered", 2},
		{"numbered, unnumbered marker left", 3},
		{"enqueued, mailed not written", 4},
		{"mailed, unmailed marker left", 5},
	}
	for _, st := range states {
		t.Run(st.name, func(t *testing.T) {
			f := newFixture(t, nil, time.Date(2026, 6, 5, 12, 0, 0, 0, time.UTC))
			ctx := context.Background()
			cl := completeClient("c1")
			f.dir.put(cl)
			f.contract(t, "k1", "c1", 5, 20000, "2026-01-01")
			if err := f.svc.UpgradeIndexes(ctx); err != nil {
				t.Fatal(err)
			}
			c, err := f.svc.Contract(ctx, "k1")
			if err != nil {
				t.Fatal(err)
			}
			d := date(t, "2026-06-05")
			inv, err := f.svc.newInvoice(ctx, *c, cl, PeriodOf(d), d)
			if err != nil {
				t.Fatal(err)
			}
			id := inv.ID
			steps := []func() error{
				func() error { return f.svc.markInvoices(ctx, []*Invoice{inv}) },
				func() error { _, err := f.svc.insertInvoices(ctx, []*Invoice{inv}); return err },
				func() error { _, err := f.svc.assignNumbers(ctx, []string{id}); return err },
				func() error {
					invs, err := f.svc.invoicesByID(ctx, []string{id}, nil)
					if err != nil {
						return err
					}
					return f.svc.mailInvoice(ctx, &invs[0], cl, counts{})
				},
				func() error { return f.svc.mailInvoices(ctx, []string{id}, counts{}) },
			}
			for i, step := range steps[:st.steps] {
				if i == 3 && st.steps == 5 {
					continue // mailInvoices enqueues itself
				}
				if err := step(); err != nil {
					t.Fatal(err)
				}
			}
			if st.steps == 5 { // the crash before the marker's delete
				if err := f.svc.putMarkers(ctx, f.svc.unmailed(), []string{id}); err != nil {
					t.Fatal(err)
				}
			}
			if !markerIDs(t, f.svc, UnmailedCollection)[id] {
				t.Fatal("no unmailed marker in the crashed state: the test tests nothing")
			}
			if st.steps == 1 {
				// Nothing to repair yet: the marker points at no invoice and
				// is young, so it stays; the contract's own rerun inserts it.
				n, err := f.svc.Cycle(ctx, scheduler.Run{Date: date(t, "2026-06-06")})
				if err != nil {
					t.Fatal(err)
				}
				if n["repaired"] != 0 || !markerIDs(t, f.svc, UnnumberedCollection)[id] {
					t.Fatalf("young orphan marker: counts %v, markers %v", n, markerIDs(t, f.svc, UnnumberedCollection))
				}
				if _, err := f.svc.Cycle(ctx, scheduler.Run{Date: d}); err != nil {
					t.Fatal(err)
				}
			}
			for range 2 {
				if _, err := f.svc.Cycle(ctx, scheduler.Run{Date: date(t, "2026-06-06")}); err != nil {
					t.Fatal(err)
				}
			}
			invs := checkNumbers(t, f.svc, 1)
			if !invs[0].Mailed {
				t.Fatal("invoice not mailed")
			}
			key := "invoice:" + id + ":issued:c1@cliente.cl"
			if len(f.box.withPrefix("invoice:")) != 1 || f.box.byKey[key].Key != key {
				t.Fatalf("invoice mails %d, want 1", len(f.box.withPrefix("invoice:")))
			}
			// Enqueued at most once more than the steps that ran did: the
			// repair enqueues only what was never marked mailed.
			wantCalls := 1
			if st.steps == 4 {
				wantCalls = 2 // the one window: enqueued, crash before mailed (same key, one entry)
			}
			if f.box.calls[key] != wantCalls {
				t.Fatalf("invoice mail enqueued %d times, want %d", f.box.calls[key], wantCalls)
			}
			checkNoMarkers(t, f.svc)
		})
	}
}

// A marker whose invoice was never inserted (a crash after the marker, and
// the contract not due again) is dropped once a day old, never younger.
func TestOrphanMarkerDroppedWhenOld(t *testing.T) {
	f := newFixture(t, nil, time.Date(2026, 6, 5, 12, 0, 0, 0, time.UTC))
	ctx := context.Background()
	if err := f.svc.putMarkers(ctx, f.svc.unnumbered(), []string{"gone|2026-06"}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.putMarkers(ctx, f.svc.unmailed(), []string{"gone|2026-06"}); err != nil {
		t.Fatal(err)
	}
	run := func() {
		if _, err := f.svc.Cycle(ctx, scheduler.Run{Date: date(t, "2026-06-06")}); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Set(f.clock.Now().Add(23 * time.Hour))
	run()
	if !markerIDs(t, f.svc, UnnumberedCollection)["gone|2026-06"] || !markerIDs(t, f.svc, UnmailedCollection)["gone|2026-06"] {
		t.Fatal("a marker younger than a day was dropped")
	}
	f.clock.Set(f.clock.Now().Add(2 * time.Hour))
	run()
	checkNoMarkers(t, f.svc)
}
