package clients

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"testing"

	"turno/clock"
	"turno/config"
	"turno/internal/testenv"
	"turno/mailout"
	"turno/store"
	"turno/templates"
)

// newQueuedOutbox is a real outbox on a fresh embedded store that is never
// started: what it enqueues stays queued until an operator cancels it.
func newQueuedOutbox(t *testing.T, mode string) (*Registry, *mailout.Outbox, *clock.Fake) {
	t.Helper()
	ctx := context.Background()
	db := testenv.DB(t)
	if err := store.EnsureIndexes(ctx, db, append(Indexes(), mailout.Indexes()...)); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(t0)
	cfg := config.Default()
	set, err := templates.Load(templates.Options{Company: templates.Company{Name: "Mi Proveedor SpA", SupportAddress: "soporte@example.cl"}})
	if err != nil {
		t.Fatal(err)
	}
	ob, err := mailout.New(mailout.Options{DB: db, Templates: set, Mail: cfg.Mail, Outbox: cfg.Outbox,
		MessageIDKey: []byte("k"), Clock: clk, Logger: testenv.Logger(t), Owner: "test"})
	if err != nil {
		t.Fatal(err)
	}
	reg := New(Options{DB: db, Clock: clk, Logger: testenv.Logger(t), Mailer: ob,
		Access: AccessOptions{Mode: mode, PortalURL: "https://clientes.example.cl/"}})
	return reg, ob, clk
}

// queuedAccess reads the access data of a queued entry, as the outbox keeps it.
func queuedAccess(t *testing.T, r *Registry, id string) (*mailout.Entry, templates.PasswordReset) {
	t.Helper()
	e, err := mailout.Get(context.Background(), r.db, id)
	if err != nil {
		t.Fatal(err)
	}
	if e.State != mailout.StateQueued || !e.Sensitive || e.Data == "" {
		t.Fatalf("entry %s: state %s sensitive %v data %d bytes", id, e.State, e.Sensitive, len(e.Data))
	}
	var d templates.PasswordReset
	if err := json.Unmarshal([]byte(e.Data), &d); err != nil {
		t.Fatal(err)
	}
	return e, d
}

// A password mail cancelled while queued keeps no link: the entry is
// purged (no fragment of the token in any document) and the token no
// longer redeems.
func TestCancelledPasswordMailKeepsNoLinkAndRevokesToken(t *testing.T) {
	r, _, clk := newQueuedOutbox(t, "link")
	ctx := context.Background()
	mustAdd(t, r, completeClient("A", "ana@example.cl"))
	id, err := r.Password(ctx, "A", "op")
	if err != nil {
		t.Fatal(err)
	}
	_, d := queuedAccess(t, r, id)
	client, token := tokenFromLink(t, d.Link)
	if client != "A" {
		t.Fatalf("link names %q", client)
	}
	if n := leakedFragment(t, r, token); n == "" {
		t.Fatal("the queued entry should hold the link before the cancel (else the scan proves nothing)")
	}
	if err := mailout.Cancel(ctx, r.db, id, clk.Now(), 0, r); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	e, err := mailout.Get(ctx, r.db, id)
	if err != nil {
		t.Fatal(err)
	}
	if e.State != mailout.StateCancelled || !e.Purged || e.Data != "" || len(e.Attachments) != 0 {
		t.Fatalf("cancelled entry: state %s purged %v data %q", e.State, e.Purged, e.Data)
	}
	if n := leakedFragment(t, r, token); n != "" {
		t.Fatalf("the token is left in the database after the cancel (found %q)", n)
	}
	if err := r.RedeemToken(ctx, "A", token); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("the cancelled mail's token still redeems: %v", err)
	}
	// A cancel again is refused (final) and changes nothing.
	if err := mailout.Cancel(ctx, r.db, id, clk.Now(), 0, r); err == nil {
		t.Fatal("a second cancel of a cancelled entry said ok")
	}
}

// Cancelling an older password mail after a regeneration leaves the newer
// link working: only the secret the cancelled mail carried is revoked.
func TestCancelOfAnOlderPasswordMailLeavesTheNewerLink(t *testing.T) {
	r, _, clk := newQueuedOutbox(t, "link")
	ctx := context.Background()
	mustAdd(t, r, completeClient("A", "ana@example.cl"))
	first, err := r.Password(ctx, "A", "op")
	if err != nil {
		t.Fatal(err)
	}
	second, err := r.Password(ctx, "A", "op")
	if err != nil {
		t.Fatal(err)
	}
	_, d2 := queuedAccess(t, r, second)
	_, token2 := tokenFromLink(t, d2.Link)
	if err := mailout.Cancel(ctx, r.db, first, clk.Now(), 0, r); err != nil {
		t.Fatal(err)
	}
	if err := r.RedeemToken(ctx, "A", token2); err != nil {
		t.Fatalf("the newer link was revoked by cancelling the older mail: %v", err)
	}
}

// A welcome with a generated password, cancelled while queued: the
// password no longer works and no copy of it is stored.
func TestCancelledWelcomeRevokesGeneratedPassword(t *testing.T) {
	r, _, clk := newQueuedOutbox(t, "password")
	ctx := context.Background()
	mustAdd(t, r, completeClient("A", "ana@example.cl"))
	id, err := r.Welcome(ctx, "A", "op")
	if err != nil {
		t.Fatal(err)
	}
	_, d := queuedAccess(t, r, id)
	if err := r.CheckPassword(ctx, "A", d.Password); err != nil {
		t.Fatalf("the password does not work before the cancel: %v", err)
	}
	if err := mailout.Cancel(ctx, r.db, id, clk.Now(), 0, r); err != nil {
		t.Fatal(err)
	}
	if err := r.CheckPassword(ctx, "A", d.Password); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("the cancelled welcome's password still works: %v", err)
	}
	if n := leakedFragment(t, r, d.Password); n != "" {
		t.Fatalf("the password is left in the database (found %q)", n)
	}
}

// A contact's set-password mail cancelled while queued: its link stops
// working, and cancelling an older one leaves the newer link alone.
func TestCancelledContactLinkIsRevoked(t *testing.T) {
	r, _, clk := newQueuedOutbox(t, "link")
	ctx := context.Background()
	mustAdd(t, r, completeClient("A", "ana@example.cl"))
	if ps, err := r.SaveCustomerContact(ctx, "A", "", Contact{Address: "pagos@example.cl", Name: "Pagos", Role: RoleBilling}, "test"); err != nil || len(ps) > 0 {
		t.Fatalf("add contact: %v %v", ps, err)
	}
	first, err := r.GrantContactAccess(ctx, "A", "pagos@example.cl", "test")
	if err != nil || first == "" {
		t.Fatalf("grant: %q %v", first, err)
	}
	second, err := r.ContactPassword(ctx, "pagos@example.cl", "test")
	if err != nil || second == "" || second == first {
		t.Fatalf("second link: %q %v", second, err)
	}
	link := func(id string) (contact, token string) {
		_, d := queuedAccess(t, r, id)
		u, err := url.Parse(d.Link)
		if err != nil || u.Query().Get("contact") == "" || u.Query().Get("token") == "" {
			t.Fatalf("link %q", d.Link)
		}
		return u.Query().Get("contact"), u.Query().Get("token")
	}
	contact, token1 := link(first)
	_, token2 := link(second)
	if err := mailout.Cancel(ctx, r.db, first, clk.Now(), 0, r); err != nil {
		t.Fatal(err)
	}
	if err := r.CheckContactToken(ctx, contact, token2); err != nil {
		t.Fatalf("the newer link was revoked by cancelling the older mail: %v", err)
	}
	if err := r.CheckContactToken(ctx, contact, token1); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("the replaced link works: %v", err)
	}
	if err := mailout.Cancel(ctx, r.db, second, clk.Now(), 0, r); err != nil {
		t.Fatal(err)
	}
	if err := r.CheckContactToken(ctx, contact, token2); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("the cancelled mail's contact link still works: %v", err)
	}
	if _, err := r.SetContactPasswordWithToken(ctx, contact, token2, "una clave larga 123"); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("the cancelled link set a password: %v", err)
	}
	if n := leakedFragment(t, r, token2); n != "" {
		t.Fatalf("the token is left in the database (found %q)", n)
	}
}
