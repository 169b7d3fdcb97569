package billing

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"turno/clients"
	"turno/clock"
	"turno/config"
	"turno/internal/testenv"
	"turno/mailout"
	"turno/scheduler"
	"turno/store"
)

// directory is a clients registry held in memory: the real one lives in
// package clients (another branch); billing only needs Get and
// BillingAddress.
type directory struct {
	mu      sync.Mutex
	clients map[string]*clients.Client
	billing map[string]string // billing contact per client
	onGet   func()
}

func (d *directory) Get(_ context.Context, id string) (*clients.Client, error) {
	if d.onGet != nil {
		d.onGet()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.clients[id]
	if !ok {
		return nil, fmt.Errorf("client %s: not found", id)
	}
	cp := *c
	return &cp, nil
}

func (d *directory) BillingAddress(_ context.Context, id string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if a := d.billing[id]; a != "" {
		return a, nil
	}
	c, ok := d.clients[id]
	if !ok {
		return "", fmt.Errorf("client %s: not found", id)
	}
	return c.Email, nil
}

func (d *directory) put(c *clients.Client) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.clients == nil {
		d.clients = map[string]*clients.Client{}
	}
	d.clients[c.ID] = c
}

// outbox records enqueued messages by key, as the outbox contract says:
// a second Enqueue with the same key changes nothing.
type outbox struct {
	mu      sync.Mutex
	byKey   map[string]mailout.Message
	calls   map[string]int
	onQueue func()
}

func (o *outbox) Enqueue(_ context.Context, m mailout.Message) (string, error) {
	if o.onQueue != nil {
		o.onQueue()
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.byKey == nil {
		o.byKey, o.calls = map[string]mailout.Message{}, map[string]int{}
	}
	o.calls[m.Key]++
	if _, ok := o.byKey[m.Key]; !ok {
		o.byKey[m.Key] = m
	}
	return m.Key, nil
}

func (o *outbox) withPrefix(p string) []mailout.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []mailout.Message
	for k, m := range o.byKey {
		if strings.HasPrefix(k, p) {
			out = append(out, m)
		}
	}
	return out
}

const goodRUT = "76.123.456-0"

func completeClient(id string) *clients.Client {
	return &clients.Client{
		ID: id, Name: "Cliente " + id, Email: id + "@cliente.cl", Active: true, BillingEnabled: true,
		Billing: clients.BillingData{RazonSocial: "Comercial Ñuñoa " + id + " Ltda.", TaxID: goodRUT,
			Giro: "Servicios informáticos", Domicilio: "Av. Irarrázaval 1234", Comuna: "Ñuñoa", Ciudad: "Santiago"},
		Mail: clients.MailSwitches{Invoice: true, CollectionNote: true, PaymentConfirmation: true},
	}
}

type fixture struct {
	st    *store.Store
	svc   *Service
	dir   *directory
	box   *outbox
	clock *clock.Fake
	loc   *time.Location
}

func newFixture(t testing.TB, st *store.Store, start time.Time) *fixture {
	t.Helper()
	if st == nil {
		st = testenv.Store(t)
	}
	if err := store.EnsureIndexes(context.Background(), st.DB, append(Indexes(), scheduler.Indexes()...)); err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation("America/Santiago")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, dir: &directory{}, box: &outbox{}, clock: clock.NewFake(start), loc: loc}
	cfg := config.Default()
	svc, err := New(Options{DB: st.DB, Clients: f.dir, Mailer: f.box, Billing: cfg.Billing, Company: cfg.Company,
		Location: loc, Clock: f.clock, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func (f *fixture) contract(t testing.TB, id, client string, anchor int, amount int64, start string) {
	t.Helper()
	err := f.svc.AddContract(context.Background(), Contract{ID: id, ClientID: client, Description: "Hosting Pyme",
		Currency: CLP, Amount: amount, AnchorDay: anchor, Start: start})
	if err != nil {
		t.Fatal(err)
	}
}

func date(t testing.TB, s string) scheduler.Date {
	t.Helper()
	d, err := scheduler.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// checkNumbers asserts issued numbers are exactly 1..want.
func checkNumbers(t testing.TB, svc *Service, want int) []Invoice {
	t.Helper()
	invs, err := svc.Invoices(context.Background(), InvoiceFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(invs) != want {
		t.Fatalf("%d numbered invoices, want %d", len(invs), want)
	}
	for i, inv := range invs {
		if inv.Number != int64(i+1) {
			t.Fatalf("invoice #%d has number %d: gap or repeat", i+1, inv.Number)
		}
	}
	return invs
}
