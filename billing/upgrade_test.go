package billing

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/config"
	"turno/internal/testenv"
	"turno/scheduler"
)

// oldInvoice is an invoice as a version before markers wrote it: straight
// into the collection, no marker, no index entry.
func oldInvoice(t *testing.T, f *fixture, id, client string, number int64, mailed bool) {
	t.Helper()
	c := Contract{ID: id, ClientID: client, Description: "Plan", Currency: CLP, Amount: 1000, AnchorDay: 1,
		Start: "2026-01-01", Active: true}
	inv := Invoice{ID: InvoiceID(id, "2026-05"), Number: number, Status: StatusUnpaid, ClientID: client, ContractID: id,
		Period: "2026-05", IssueDate: "2026-05-01", DueDate: "2026-05-11", Billing: completeClient(client).Billing,
		Contract: c, Lang: "es", Amounts: Amounts{Net: 1000, Tax: 190, Total: 1190}, Mailed: mailed, CreatedAt: f.clock.Now()}
	if number > 0 {
		inv.Document = DocNotaDeCobro
	}
	if _, err := f.svc.invoices.InsertOne(context.Background(), inv); err != nil {
		t.Fatal(err)
	}
}

// A store from before markers: invoices unnumbered, numbered and unmailed,
// and done, of two clients, and their contracts. The first cycle scans once
// (numbering and mailing what needs it), sets the flag, and indexes every
// invoice and contract under its client; from then on the cycle reads
// markers only: an invoice an old version writes after the flag, without a
// marker, is not found.
func TestUpgradeReconcilesExistingInvoices(t *testing.T) {
	f := newFixture(t, nil, time.Date(2026, 6, 5, 12, 0, 0, 0, time.UTC))
	ctx := context.Background()
	for _, c := range []string{"c1", "c2"} {
		f.dir.put(completeClient(c))
	}
	var olds []any
	for i, cl := range []string{"c1", "c1", "c2"} {
		olds = append(olds, Contract{ID: fmt.Sprintf("old%d", i), ClientID: cl, Description: "Plan antiguo", Currency: CLP,
			Amount: 1000, AnchorDay: 20, Start: "2026-01-01", Active: true})
	}
	if _, err := f.svc.contracts.InsertMany(ctx, olds); err != nil {
		t.Fatal(err)
	}
	// The counter as the old version left it: numbers 1 and 2 issued.
	if _, err := f.svc.counters.InsertOne(ctx, counter{ID: counterID(DocNotaDeCobro), Last: 2, First: 1,
		Block: []string{"done|2026-05", "unmailed|2026-05"}, Document: DocNotaDeCobro}); err != nil {
		t.Fatal(err)
	}
	oldInvoice(t, f, "done", "c1", 1, true)
	oldInvoice(t, f, "unmailed", "c1", 2, false)
	oldInvoice(t, f, "unnumbered", "c2", 0, false)

	n, err := f.svc.Cycle(ctx, scheduler.Run{Date: date(t, "2026-06-05")})
	if err != nil {
		t.Fatal(err)
	}
	if n["repaired"] != 1 {
		t.Fatalf("counts %v, want 1 repaired", n)
	}
	invs := checkNumbers(t, f.svc, 3)
	for _, inv := range invs {
		if !inv.Mailed {
			t.Fatalf("invoice %s not mailed", inv.ID)
		}
	}
	if got := len(f.box.withPrefix("invoice:")); got != 2 {
		t.Fatalf("%d invoice mails, want 2 (the unmailed and the unnumbered one)", got)
	}
	if f.box.byKey["invoice:done|2026-05:issued:c1@cliente.cl"].Key != "" {
		t.Fatal("an invoice mailed before the upgrade was mailed again")
	}
	checkNoMarkers(t, f.svc)
	if err := f.svc.opts.DB.Collection(FlagsCollection).FindOne(ctx, bson.D{{Key: "_id", Value: upgradeFlag}}).Err(); err != nil {
		t.Fatalf("upgrade flag: %v", err)
	}

	// The client reads find the old data through the index.
	mine, owed, err := f.svc.ClientInvoices(ctx, "c1")
	if err != nil || len(mine) != 2 || owed != 2380 || mine[0].ID != "done|2026-05" {
		t.Fatalf("c1 invoices %v owed %d err %v", mine, owed, err)
	}
	theirs, _, err := f.svc.ClientInvoices(ctx, "c2")
	if err != nil || len(theirs) != 1 || theirs[0].ID != "unnumbered|2026-05" {
		t.Fatalf("c2 invoices %v err %v", theirs, err)
	}
	if _, err := f.svc.ClientInvoice(ctx, "c2", mine[0].Number); err == nil {
		t.Fatal("c2 read c1's invoice")
	}
	g, err := f.svc.Glance(ctx, "c1")
	if err != nil || len(g.ActiveContracts) != 2 || g.UnpaidCount != 2 || g.UnpaidBalance != 2380 {
		t.Fatalf("glance c1 %+v err %v", g, err)
	}
	cs, err := f.svc.Contracts(ctx, "c2")
	if err != nil || len(cs) != 1 || cs[0].ID != "old2" {
		t.Fatalf("contracts of c2 %v err %v", cs, err)
	}

	// After the flag: an old version's unnumbered invoice is not scanned for.
	oldInvoice(t, f, "late", "c2", 0, false)
	g2 := newFixture(t, f.st, f.clock.Now()) // another process: reads the flag, not the invoices
	g2.svc.opts.Clients, g2.svc.opts.Mailer = f.dir, f.box
	n, err = g2.svc.Cycle(ctx, scheduler.Run{Date: date(t, "2026-06-06")})
	if err != nil || n["repaired"] != 0 {
		t.Fatalf("counts %v err %v: the cycle scanned the invoices after the upgrade", n, err)
	}
}

// commandLog records every command a client sends.
type commandLog struct {
	mu   sync.Mutex
	cmds []bson.Raw
}

func (l *commandLog) reset() {
	l.mu.Lock()
	l.cmds = nil
	l.mu.Unlock()
}

// scans lists the reads and writes of coll whose filter is not exactly
// {_id: value}: what scans the collection on the embedded store.
func (l *commandLog) scans(coll string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, c := range l.cmds {
		name := c.Index(0).Key()
		if v, ok := c.Index(0).Value().StringValueOK(); !ok || v != coll {
			continue
		}
		var filters []bson.Raw
		switch name {
		case "find", "count", "delete", "update", "findAndModify", "findandmodify", "aggregate", "distinct":
		default:
			continue // insert, createIndexes: no filter
		}
		for _, k := range []string{"filter", "query"} {
			if f, ok := c.Lookup(k).DocumentOK(); ok {
				filters = append(filters, f)
			}
		}
		for _, k := range []string{"deletes", "updates"} {
			if arr, ok := c.Lookup(k).ArrayOK(); ok {
				vals, _ := arr.Values()
				for _, v := range vals {
					if d, ok := v.DocumentOK(); ok {
						filters = append(filters, d.Lookup("q").Document())
					}
				}
			}
		}
		if name == "aggregate" || name == "distinct" || len(filters) == 0 {
			out = append(out, c.String())
			continue
		}
		for _, f := range filters {
			if !idOnly(f) {
				out = append(out, name+" "+f.String())
			}
		}
	}
	return out
}

// idOnly: the filter is {_id: value} with a plain value (not {$in: ...}).
func idOnly(f bson.Raw) bool {
	els, err := f.Elements()
	if err != nil || len(els) != 1 || els[0].Key() != "_id" {
		return false
	}
	_, isDoc := els[0].Value().DocumentOK()
	return !isDoc
}

// monitored is a Service on the fixture's database through a client of
// its own whose every command is logged.
func monitored(t *testing.T, f *fixture) (*Service, *commandLog) {
	t.Helper()
	log := &commandLog{}
	mon := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		if e.DatabaseName != f.st.DB.Name() {
			return
		}
		log.mu.Lock()
		log.cmds = append(log.cmds, append(bson.Raw(nil), e.Command...))
		log.mu.Unlock()
	}}
	client, err := mongo.Connect(options.Client().ApplyURI(f.st.URI).SetMonitor(mon))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	cfg := config.Default()
	svc, err := New(Options{DB: client.Database(f.st.DB.Name()), Clients: f.dir, Mailer: f.box, Billing: cfg.Billing,
		Company: cfg.Company, Location: f.loc, Clock: f.clock, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return svc, log
}

// Once the upgrade flag is set, the cycle (issuing, numbering and mailing
// invoices, and repairing a crashed one) and a client's reads (its
// invoices, one invoice's PDF, the glance) read and write invoices only by
// exact _id, and a client's contracts too: nothing scans them.
func TestCycleReadsInvoicesOnlyByIDAfterUpgrade(t *testing.T) {
	f := newFixture(t, nil, time.Date(2026, 6, 5, 12, 0, 0, 0, time.UTC))
	ctx := context.Background()
	for i := range 6 {
		cl := fmt.Sprintf("c%d", i%3)
		f.dir.put(completeClient(cl))
		f.contract(t, fmt.Sprintf("k%d", i), cl, 5, int64(1000+i), "2026-01-01")
	}
	oldInvoice(t, f, "old", "c1", 0, false) // from before: the upgrade marks it
	if err := f.svc.UpgradeIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	// A crash left one invoice inserted and not numbered.
	c, err := f.svc.Contract(ctx, "k0")
	if err != nil {
		t.Fatal(err)
	}
	cl, _ := f.dir.Get(ctx, "c0")
	inv, err := f.svc.newInvoice(ctx, *c, cl, "2026-05", date(t, "2026-05-05"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.insertInvoices(ctx, []*Invoice{inv}); err != nil {
		t.Fatal(err)
	}

	svc, log := monitored(t, f)
	n, err := svc.Cycle(ctx, scheduler.Run{Date: date(t, "2026-06-05")})
	if err != nil {
		t.Fatal(err)
	}
	if n["invoiced"] != 6 || n["repaired"] != 2 {
		t.Fatalf("counts %v: want 6 invoiced and 2 repaired", n)
	}
	checkNumbers(t, f.svc, 8)
	checkNoMarkers(t, f.svc)
	if len(log.cmds) == 0 {
		t.Fatal("the monitor saw no command: the test tests nothing")
	}
	if s := log.scans(InvoicesCollection); len(s) > 0 {
		t.Fatalf("the cycle scanned invoices %d times, first: %s", len(s), s[0])
	}

	log.reset()
	invs, _, err := svc.ClientInvoices(ctx, "c1")
	if err != nil || len(invs) != 3 {
		t.Fatalf("c1: %d invoices, err %v", len(invs), err)
	}
	if _, _, err := svc.ClientInvoicePDF(ctx, "c1", invs[0].Number); err != nil {
		t.Fatal(err)
	}
	if g, err := svc.Glance(ctx, "c1"); err != nil || len(g.ActiveContracts) != 2 || g.UnpaidCount != 3 {
		t.Fatalf("glance %+v err %v", g, err)
	}
	for _, coll := range []string{InvoicesCollection, ContractsCollection} {
		if s := log.scans(coll); len(s) > 0 {
			t.Fatalf("a client's reads scanned %s %d times, first: %s", coll, len(s), s[0])
		}
	}
	// The monitor can see a scan: the all-clients listing is one.
	log.reset()
	if _, err := svc.Invoices(ctx, InvoiceFilter{}); err != nil {
		t.Fatal(err)
	}
	if len(log.scans(InvoicesCollection)) == 0 {
		t.Fatal("the monitor did not see the listing's scan: the check checks nothing")
	}
}
