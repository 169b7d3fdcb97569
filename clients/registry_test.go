package clients

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"turno/clock"
	"turno/internal/testenv"
	"turno/store"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func newTestRegistry(t *testing.T, mailer Mailer) (*Registry, *clock.Fake) {
	t.Helper()
	db := testenv.DB(t)
	if err := store.EnsureIndexes(context.Background(), db, Indexes()); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(t0)
	return New(Options{DB: db, Clock: clk, Logger: testenv.Logger(t), Mailer: mailer,
		Access: AccessOptions{PortalURL: "https://clientes.example.cl"}}), clk
}

func completeClient(id, email string) Client {
	c := NewClient(id, "Cliente "+id, email)
	c.Billing = BillingData{RazonSocial: "Cliente " + id + " SpA", TaxID: "76.086.428-5", Giro: "Servicios", Domicilio: "Av. Uno 123", Comuna: "Providencia", Ciudad: "Santiago"}
	return c
}

func mustAdd(t *testing.T, r *Registry, c Client) Client {
	t.Helper()
	got, err := r.Add(context.Background(), c, "test")
	if err != nil {
		t.Fatalf("add %s: %v", c.ID, err)
	}
	return got
}

func TestAddNormalisesAndGet(t *testing.T) {
	r, _ := newTestRegistry(t, nil)
	ctx := context.Background()
	c := completeClient("C-1", "  Ana@Example.CL ")
	mustAdd(t, r, c)
	got, err := r.Get(ctx, "C-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Email != "ana@example.cl" || got.Billing.TaxID != "76086428-5" || got.Billing.TaxCountry != "CL" || !got.CreatedAt.Equal(t0) {
		t.Fatalf("stored %+v", got)
	}
	if _, err := r.Add(ctx, completeClient("C-1", "otra@example.cl"), "test"); !errors.As(err, new(*ExistsError)) {
		t.Fatalf("second add of C-1: %v", err)
	}
	if _, err := r.Get(ctx, "nope"); !errors.As(err, new(*NotFoundError)) {
		t.Fatalf("get missing: %v", err)
	}
}

func TestInvalidWriteNamesFieldAndChangesNothing(t *testing.T) {
	r, _ := newTestRegistry(t, nil)
	ctx := context.Background()
	c := completeClient("C-1", "ana@example.cl")
	c.Billing.TaxID = "76086428-4" // check digit changed
	_, err := r.Add(ctx, c, "test")
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Problems[0].Field != "billing.tax_id" {
		t.Fatalf("add with bad RUT: %v", err)
	}
	if n, _ := r.logins.CountDocuments(ctx, map[string]any{}); n != 0 {
		t.Fatalf("invalid add left %d login claims", n)
	}
	mustAdd(t, r, completeClient("C-1", "ana@example.cl"))
	_, err = r.Edit(ctx, "C-1", "op", func(c *Client) error { c.Email = "not an address"; c.Name = "X"; return nil })
	if !errors.As(err, &ve) || ve.Problems[0].Field != "email" {
		t.Fatalf("edit with bad email: %v", err)
	}
	got, _ := r.Get(ctx, "C-1")
	if got.Name != "Cliente C-1" || got.Email != "ana@example.cl" {
		t.Fatalf("invalid edit changed the client: %+v", got)
	}
}

func TestPrincipalUniqueUnderConcurrentInserts(t *testing.T) {
	r, _ := newTestRegistry(t, nil)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Same address, spelled differently by each writer.
			addr := []string{"Same@Example.cl", " same@example.CL", "SAME@EXAMPLE.CL "}[i%3]
			_, errs[i] = r.Add(context.Background(), completeClient(fmt.Sprintf("C-%d", i), addr), "test")
		}()
	}
	wg.Wait()
	winner := ""
	for i, err := range errs {
		if err == nil {
			if winner != "" {
				t.Fatalf("two clients got the same login: %s and C-%d", winner, i)
			}
			winner = fmt.Sprintf("C-%d", i)
		}
	}
	if winner == "" {
		t.Fatalf("nobody won: %v", errs)
	}
	for i, err := range errs {
		if err == nil {
			continue
		}
		var pt *PrincipalTakenError
		if !errors.As(err, &pt) || pt.ClientID != winner || pt.Address != "same@example.cl" {
			t.Fatalf("C-%d: want a PrincipalTakenError naming %s, got %v", i, winner, err)
		}
	}
	// Once the winner is stored, a later attempt names it as the owner.
	_, err := r.Add(context.Background(), completeClient("C-late", "same@EXAMPLE.cl"), "test")
	var pt *PrincipalTakenError
	if !errors.As(err, &pt) || pt.ClientID != winner || pt.InProgress {
		t.Fatalf("late add: %v", err)
	}
	all, _ := r.List(context.Background(), Filter{})
	if len(all) != 1 {
		t.Fatalf("%d clients stored, want 1", len(all))
	}
}

func TestStaleLoginClaimIsTakenOverAfterGrace(t *testing.T) {
	r, clk := newTestRegistry(t, nil)
	ctx := context.Background()
	// A registration that crashed after claiming the login.
	if err := r.claimLogin(ctx, "x@example.cl", "GHOST"); err != nil {
		t.Fatal(err)
	}
	_, err := r.Add(ctx, completeClient("C-1", "x@example.cl"), "test")
	var pt *PrincipalTakenError
	if !errors.As(err, &pt) || !pt.InProgress || pt.ClientID != "GHOST" {
		t.Fatalf("within grace: %v", err)
	}
	clk.Advance(11 * time.Minute)
	mustAdd(t, r, completeClient("C-1", "x@example.cl"))
}

func TestLookupOrderAndContacts(t *testing.T) {
	r, clk := newTestRegistry(t, nil)
	ctx := context.Background()
	mustAdd(t, r, completeClient("OLD", "old@example.cl"))
	clk.Advance(time.Hour)
	mustAdd(t, r, completeClient("NEW", "shared@example.cl"))
	clk.Advance(time.Hour)
	mustAdd(t, r, completeClient("MID", "mid@example.cl"))
	for _, tc := range []struct {
		id   string
		role Role
	}{{"OLD", RoleTechnical}, {"MID", RoleBilling}, {"OLD", RoleBilling}} {
		if err := r.AddContact(ctx, tc.id, Contact{Address: "Shared@Example.cl", Role: tc.role}, "op"); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := r.Lookup(ctx, " SHARED@example.cl")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.ClientID+"/"+string(m.Role))
	}
	want := "[NEW/principal OLD/billing MID/billing OLD/technical]"
	if fmt.Sprint(got) != want {
		t.Fatalf("lookup order %v, want %s", got, want)
	}
	if ms, _ := r.Lookup(ctx, "nobody@example.cl"); len(ms) != 0 {
		t.Fatalf("unknown address: %v", ms)
	}
	if a, _ := r.BillingAddress(ctx, "OLD"); a != "shared@example.cl" {
		t.Fatalf("billing address of OLD: %s", a)
	}
	if a, _ := r.BillingAddress(ctx, "NEW"); a != "shared@example.cl" {
		t.Fatalf("billing address of NEW (principal): %s", a)
	}
	if err := r.RemoveContact(ctx, "OLD", "shared@example.cl", "", "op"); err != nil {
		t.Fatal(err)
	}
	ms, _ = r.Lookup(ctx, "shared@example.cl")
	if len(ms) != 2 || ms[1].ClientID != "MID" {
		t.Fatalf("after removal: %+v", ms)
	}
	cs, _ := r.Contacts(ctx, "MID")
	if len(cs) != 2 || cs[0].Role != RolePrincipal || cs[1].Address != "shared@example.cl" {
		t.Fatalf("contacts of MID: %+v", cs)
	}
	// A stale index entry (crash between index write and client write) is ignored.
	if err := r.indexAdd(ctx, "shared@example.cl", "GHOST", RolePrincipal); err != nil {
		t.Fatal(err)
	}
	if err := r.indexAdd(ctx, "shared@example.cl", "OLD", RolePrincipal); err != nil {
		t.Fatal(err)
	}
	if ms, _ := r.Lookup(ctx, "shared@example.cl"); len(ms) != 2 {
		t.Fatalf("stale entries not ignored: %+v", ms)
	}
}

func TestEmailChangeMovesLoginAndAudits(t *testing.T) {
	r, clk := newTestRegistry(t, nil)
	ctx := context.Background()
	mustAdd(t, r, completeClient("A", "a@example.cl"))
	mustAdd(t, r, completeClient("B", "b@example.cl"))
	clk.Advance(time.Minute)
	if _, err := r.Edit(ctx, "B", "op", func(c *Client) error { c.Email = "A@example.cl"; return nil }); !errors.As(err, new(*PrincipalTakenError)) {
		t.Fatalf("taking A's login: %v", err)
	}
	if _, err := r.Edit(ctx, "A", "maria", func(c *Client) error {
		c.Email = "nueva@example.cl"
		c.Billing.RazonSocial = "Nueva Razón SpA"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if ms, _ := r.Lookup(ctx, "a@example.cl"); len(ms) != 0 {
		t.Fatalf("old address still found: %+v", ms)
	}
	if ms, _ := r.Lookup(ctx, "nueva@example.cl"); len(ms) != 1 || ms[0].ClientID != "A" {
		t.Fatalf("new address: %+v", ms)
	}
	// The old login is free again.
	if _, err := r.Edit(ctx, "B", "op", func(c *Client) error { c.Email = "a@example.cl"; return nil }); err != nil {
		t.Fatal(err)
	}
	trail, err := r.Audit(ctx, "A")
	if err != nil {
		t.Fatal(err)
	}
	var rs *AuditEntry
	for i := range trail {
		if trail[i].Field == "billing.razon_social" {
			rs = &trail[i]
		}
	}
	if len(trail) != 3 || trail[0].Action != "create" || rs == nil {
		t.Fatalf("audit trail: %+v", trail)
	}
	if rs.Old != "Cliente A SpA" || rs.New != "Nueva Razón SpA" || rs.By != "maria" || !rs.At.Equal(t0.Add(time.Minute)) || rs.Version != 2 {
		t.Fatalf("razón social entry: %+v", rs)
	}
	// An edit that changes nothing writes nothing.
	if _, err := r.Edit(ctx, "A", "op", func(c *Client) error { c.Name = "  " + c.Name + " "; return nil }); err != nil {
		t.Fatal(err)
	}
	if again, _ := r.Audit(ctx, "A"); len(again) != len(trail) {
		t.Fatalf("no-op edit audited: %d entries", len(again))
	}
}

func TestAuditRecoveredAfterCrash(t *testing.T) {
	r, _ := newTestRegistry(t, nil)
	ctx := context.Background()
	mustAdd(t, r, completeClient("A", "a@example.cl"))
	if _, err := r.SetActive(ctx, "A", "op", false); err != nil {
		t.Fatal(err)
	}
	// Simulate a crash after the client write, before the audit copy.
	if _, err := r.audit.DeleteMany(ctx, map[string]any{"version": 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.SetActive(ctx, "A", "op", true); err != nil {
		t.Fatal(err)
	}
	trail, _ := r.Audit(ctx, "A")
	var acts []string
	for _, e := range trail {
		acts = append(acts, e.Action+":"+e.Field+":"+e.New)
	}
	if fmt.Sprint(acts) != "[create:: deactivate:active:false reactivate:active:true]" {
		t.Fatalf("trail %v", acts)
	}
}

func TestMailAllowedAndFilters(t *testing.T) {
	r, _ := newTestRegistry(t, nil)
	ctx := context.Background()
	c := completeClient("A", "a@example.cl")
	c.Mail.CollectionNote = false
	c.Zone = "Norte"
	mustAdd(t, r, c)
	inc := NewClient("B", "Beta Ltda", "b@example.cl")
	inc.Billing.TaxID = "12.531.909-2"
	mustAdd(t, r, inc)
	for kind, want := range map[string]bool{"invoice": true, "collection_note": false, "account": true} {
		if got, err := r.MailAllowed(ctx, "A", kind); err != nil || got != want {
			t.Fatalf("MailAllowed(A, %s) = %v, %v", kind, got, err)
		}
	}
	if _, err := r.MailAllowed(ctx, "A", "spam"); err == nil {
		t.Fatal("unknown kind accepted")
	}
	no := false
	for _, tc := range []struct {
		f    Filter
		want string
	}{
		{Filter{BillingComplete: &no}, "[B]"},
		{Filter{Zone: "Norte"}, "[A]"},
		{Filter{Text: "12.531.909"}, "[B]"},
		{Filter{Text: "beta"}, "[B]"},
		{Filter{Text: "A@EXAMPLE"}, "[A]"},
		{Filter{}, "[A B]"},
	} {
		cs, err := r.List(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		if fmt.Sprint(ids) != tc.want {
			t.Errorf("filter %+v: got %v, want %s", tc.f, ids, tc.want)
		}
	}
}
