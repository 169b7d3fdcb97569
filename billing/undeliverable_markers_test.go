package billing

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/clients"
	"turno/clock"
	"turno/internal/testenv"
	"turno/mailout"
	"turno/store"
)

// markerRig is billing over the real clients registry and suppressions on
// one embedded store, with its own metrics registry.
type markerRig struct {
	st    *store.Store
	reg   *clients.Registry
	svc   *Service
	prom  *prometheus.Registry
	clock *clock.Fake
}

func newMarkerRig(t *testing.T, st *store.Store) *markerRig {
	t.Helper()
	ctx := context.Background()
	if st == nil {
		st = testenv.Store(t)
		if err := store.EnsureIndexes(ctx, st.DB, append(Indexes(), clients.Indexes()...)); err != nil {
			t.Fatal(err)
		}
	}
	r := &markerRig{st: st, prom: prometheus.NewRegistry(), clock: clock.NewFake(time.Date(2026, 6, 5, 12, 0, 0, 0, time.UTC))}
	r.reg = clients.New(clients.Options{DB: st.DB, Clock: r.clock, Logger: testenv.Logger(t)})
	var err error
	r.svc, err = New(Options{DB: st.DB, Clients: r.reg, Clock: r.clock, Registry: r.prom, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *markerRig) gauge(t *testing.T) int {
	t.Helper()
	fams, err := r.prom.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == "turno_billing_undeliverable_clients" {
			return int(f.GetMetric()[0].GetGauge().GetValue())
		}
	}
	t.Fatal("gauge turno_billing_undeliverable_clients not registered")
	return 0
}

// recount decides every client from scratch, without billing's code: its
// billing address (the first billing contact, else the principal) or its
// principal address is suppressed.
func (r *markerRig) recount(t *testing.T, ids []string) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	for _, id := range ids {
		cs, err := r.reg.Contacts(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		billing := cs[0].Address
		for _, c := range cs[1:] {
			if c.Role == clients.RoleBilling {
				billing = c.Address
				break
			}
		}
		bad := false
		for _, a := range []string{billing, cs[0].Address} {
			ok, err := mailout.Suppressed(ctx, r.st.DB, a)
			if err != nil {
				t.Fatal(err)
			}
			bad = bad || ok
		}
		if bad {
			n++
		}
	}
	return n
}

// TestUndeliverableGaugeFollowsEveryChange: a random sequence of
// suppressions, clears, billing-contact additions and removals and
// principal-address changes, each followed by the hook the daemon wires
// (AddressChanged or ClientChanged): after every step the gauge equals a
// recount of all clients from scratch, and at the end the full report
// names as many clients.
func TestUndeliverableGaugeFollowsEveryChange(t *testing.T) {
	ctx := context.Background()
	r := newMarkerRig(t, nil)
	var ids []string
	for i := range 6 {
		id := fmt.Sprintf("c%d", i)
		if _, err := r.reg.Add(ctx, *completeClient(id), "op"); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// Addresses shared between clients, so one suppression can touch
	// several, and the principals themselves.
	pool := []string{"conta@a.cl", "conta@b.cl", "pagos@c.cl", "c0@cliente.cl", "c1@cliente.cl", "nuevo@d.cl", "otro@e.cl"}
	rng := rand.New(rand.NewPCG(16, 2026))
	seen := map[int]bool{}
	for step := range 80 {
		addr := pool[rng.IntN(len(pool))]
		id := ids[rng.IntN(len(ids))]
		op := rng.IntN(5)
		var what string
		switch op {
		case 0:
			what = "suppress " + addr
			if err := mailout.MarkUndeliverable(ctx, r.st.DB, addr, "smtp", "550 5.1.1 user unknown", r.clock.Now()); err != nil {
				t.Fatal(err)
			}
			if err := r.svc.AddressChanged(ctx, addr); err != nil {
				t.Fatal(err)
			}
		case 1:
			what = "clear " + addr
			if _, err := mailout.ClearSuppression(ctx, r.st.DB, addr); err != nil {
				t.Fatal(err)
			}
			if err := r.svc.AddressChanged(ctx, addr); err != nil {
				t.Fatal(err)
			}
		case 2:
			what = "billing contact " + addr + " for " + id
			if err := r.reg.AddContact(ctx, id, clients.Contact{Address: addr, Role: clients.RoleBilling}, "op"); err != nil {
				t.Fatal(err)
			}
			if err := r.svc.ClientChanged(ctx, id); err != nil {
				t.Fatal(err)
			}
		case 3:
			what = "remove billing contact " + addr + " of " + id
			if err := r.reg.RemoveContact(ctx, id, addr, clients.RoleBilling, "op"); err != nil {
				t.Fatal(err)
			}
			if err := r.svc.ClientChanged(ctx, id); err != nil {
				t.Fatal(err)
			}
		case 4:
			// A principal address is a login, unique across clients: a
			// refused change changes nothing, and the hook is harmless.
			what = "principal " + addr + " for " + id
			_, err := r.reg.Edit(ctx, id, "op", func(c *clients.Client) error { c.Email = addr; return nil })
			if err != nil {
				what += " (refused)"
			}
			if err := r.svc.ClientChanged(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		want := r.recount(t, ids)
		seen[want] = true
		if got := r.gauge(t); got != want {
			t.Fatalf("step %d (%s): gauge %d, recount %d", step, what, got, want)
		}
	}
	if len(seen) < 3 {
		t.Errorf("the sequence only reached counts %v: make it richer", seen)
	}
	rows, err := r.svc.Undeliverable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	for _, row := range rows {
		named[row.ClientID] = true
	}
	if got, want := len(named), r.recount(t, ids); got != want || r.gauge(t) != want {
		t.Errorf("report names %d clients, gauge %d, recount %d", got, r.gauge(t), want)
	}
}

// TestUndeliverableMarkersReconciledAtStart: changes made with no hook
// called (another process, a crash between the change and the marker) are
// picked up by ReconcileUndeliverable, which a starting daemon runs: a
// stale marker goes, a missing one comes.
func TestUndeliverableMarkersReconciledAtStart(t *testing.T) {
	ctx := context.Background()
	r := newMarkerRig(t, nil)
	for _, id := range []string{"c1", "c2", "c3"} {
		if _, err := r.reg.Add(ctx, *completeClient(id), "op"); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.reg.AddContact(ctx, "c2", clients.Contact{Address: "conta@b.cl", Role: clients.RoleBilling}, "op"); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"c1@cliente.cl", "conta@b.cl"} {
		if err := mailout.MarkUndeliverable(ctx, r.st.DB, a, "bounce", "5.1.1", r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if err := r.svc.AddressChanged(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.gauge(t); got != 2 {
		t.Fatalf("gauge %d, want 2", got)
	}
	// Behind billing's back: c1 is cleared, c3's principal bounces.
	if _, err := mailout.ClearSuppression(ctx, r.st.DB, "c1@cliente.cl"); err != nil {
		t.Fatal(err)
	}
	if err := mailout.MarkUndeliverable(ctx, r.st.DB, "c3@cliente.cl", "bounce", "5.1.1", r.clock.Now()); err != nil {
		t.Fatal(err)
	}
	restarted := newMarkerRig(t, r.st)
	n, err := restarted.svc.ReconcileUndeliverable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := r.recount(t, []string{"c1", "c2", "c3"})
	if n != want || restarted.gauge(t) != want || want != 2 {
		t.Errorf("after reconcile: %d, gauge %d, recount %d (want 2: c2 and c3)", n, restarted.gauge(t), want)
	}
	for id, want := range map[string]bool{"c1": false, "c2": true, "c3": true} {
		err := r.st.DB.Collection(UndeliverableCollection).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Err()
		if (err == nil) != want {
			t.Errorf("%s has a marker=%v, want %v (%v)", id, err == nil, want, err)
		}
	}
}
