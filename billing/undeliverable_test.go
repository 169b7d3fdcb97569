package billing

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/clients"
	"turno/clock"
	"turno/config"
	"turno/internal/testenv"
	"turno/mailout"
	"turno/scheduler"
	"turno/store"
	"turno/templates"
)

// liveRig is billing wired to the real parts: the clients registry and the
// outbox on one embedded store, the outbox delivering to a scripted go-smtp
// server that answers 550 5.1.1 to the addresses in reject.
type liveRig struct {
	db    *mongo.Database
	uri   string // the store's, for child processes
	svc   *Service
	reg   *clients.Registry
	ob    *mailout.Outbox
	smtp  *testenv.SMTPServer
	clock *clock.Fake
	loc   *time.Location
	prom  *prometheus.Registry
	logs  *testenv.Buffer

	mu     sync.Mutex
	reject map[string]bool
	rcpts  map[string]int // RCPT attempts per address
}

func newLiveRig(t *testing.T, reject ...string) *liveRig {
	t.Helper()
	ctx := context.Background()
	st := testenv.Store(t)
	r := &liveRig{db: st.DB, uri: st.URI, clock: clock.NewFake(time.Date(2026, 6, 5, 12, 0, 0, 0, time.UTC)),
		prom: prometheus.NewRegistry(), logs: &testenv.Buffer{}, reject: map[string]bool{}, rcpts: map[string]int{}}
	for _, a := range reject {
		r.reject[a] = true
	}
	r.smtp = testenv.SMTP(t, func(c testenv.Cmd) testenv.Reply {
		if c.Step != testenv.StepRcpt {
			return testenv.Reply{}
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.rcpts[c.Arg]++
		if r.reject[c.Arg] {
			return testenv.Reply{Code: 550, Enhanced: "5.1.1", Message: "user unknown"}
		}
		return testenv.Reply{}
	})
	if err := store.EnsureIndexes(ctx, r.db, append(append(append(Indexes(), scheduler.Indexes()...), clients.Indexes()...), mailout.Indexes()...)); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(r.smtp.Addr)
	p, _ := strconv.Atoi(port)
	cfg := config.Default()
	cfg.Outbox.Relays = []config.RelayConfig{{Host: host, Port: p, TLS: "none"}}
	cfg.Outbox.SMTPTimeout = config.Duration(5 * time.Second)
	set, err := templates.Load(templates.Options{Company: templates.Company{Name: "Mi Proveedor SpA", SupportAddress: "soporte@example.cl"}})
	if err != nil {
		t.Fatal(err)
	}
	r.ob, err = mailout.New(mailout.Options{DB: r.db, Templates: set, Mail: cfg.Mail, Outbox: cfg.Outbox,
		MessageIDKey: []byte("k"), Clock: r.clock, Logger: testenv.Logger(t), Owner: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.ob.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.ob.Stop(sctx); err != nil {
			t.Error(err)
		}
	})
	r.reg = clients.New(clients.Options{DB: r.db, Clock: r.clock, Logger: testenv.Logger(t), Mailer: r.ob})
	if r.loc, err = time.LoadLocation("America/Santiago"); err != nil {
		t.Fatal(err)
	}
	r.svc, err = New(Options{DB: r.db, Clients: r.reg, Mailer: r.ob, Billing: cfg.Billing, Company: cfg.Company,
		Location: r.loc, Clock: r.clock, Registry: r.prom,
		Logger: slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *liveRig) setReject(addr string, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reject[addr] = on
}

func (r *liveRig) attempts(addr string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rcpts[addr]
}

// client c1 (principal c1@cliente.cl) with billing contact conta@cliente.cl
// and a contract billed on the 5th: invoice 1 of $45.990, due 2026-06-15.
func (r *liveRig) client(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if _, err := r.reg.Add(ctx, *completeClient("c1"), "op"); err != nil {
		t.Fatal(err)
	}
	if err := r.reg.AddContact(ctx, "c1", clients.Contact{Address: "conta@cliente.cl", Role: clients.RoleBilling}, "op"); err != nil {
		t.Fatal(err)
	}
	if err := r.svc.AddContract(ctx, Contract{ID: "k1", ClientID: "c1", Description: "Hosting Pyme", Currency: CLP,
		Amount: 38647, AnchorDay: 5, Start: "2026-01-01"}); err != nil {
		t.Fatal(err)
	}
}

// run runs a job for business date d at noon there, the clock set to it.
func (r *liveRig) run(t *testing.T, job scheduler.JobFunc, d string) map[string]int {
	t.Helper()
	day, err := time.ParseInLocation(time.DateOnly, d, r.loc)
	if err != nil {
		t.Fatal(err)
	}
	if now := day.Add(12 * time.Hour); now.After(r.clock.Now()) {
		r.clock.Set(now)
	}
	n, err := job(context.Background(), scheduler.Run{Date: date(t, d)})
	if err != nil {
		t.Fatalf("%s: %v", d, err)
	}
	r.ob.Kick()
	return n
}

// waitFor kicks the outbox until cond holds (a generous upper bound, no
// fixed sleep decides the outcome).
func (r *liveRig) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		r.ob.Kick()
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *liveRig) waitSuppressed(t *testing.T, addr string) {
	t.Helper()
	r.waitFor(t, addr+" to be suppressed", func() bool {
		ok, err := mailout.Suppressed(context.Background(), r.db, addr)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	})
}

// received waits for n accepted messages and returns them with their
// decoded subjects.
func (r *liveRig) received(t *testing.T, n int) ([]testenv.Received, []string) {
	t.Helper()
	got := r.smtp.WaitFor(n, 20*time.Second)
	if len(got) != n {
		t.Fatalf("%d messages reached the SMTP server, want %d", len(got), n)
	}
	subjects := make([]string, n)
	for i, m := range got {
		mr, err := mail.CreateReader(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		if subjects[i], err = mr.Header.Subject(); err != nil {
			t.Fatal(err)
		}
	}
	return got, subjects
}

func (r *liveRig) report(t *testing.T) []UndeliverableContact {
	t.Helper()
	rows, err := r.svc.Undeliverable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func (r *liveRig) gauge(t *testing.T) float64 {
	t.Helper()
	fams, err := r.prom.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == "turno_billing_undeliverable_clients" {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("gauge turno_billing_undeliverable_clients not registered")
	return 0
}

// TestBouncedBillingContactIsSuppressedAndReported: the billing contact
// answers 550 5.1.1 to the −3 note, so the outbox suppresses it; the note
// of the next stage goes to the principal address instead, never to the
// suppressed one, and the run, the log, the report and the gauge name the
// client until the suppression is cleared.
func TestBouncedBillingContactIsSuppressedAndReported(t *testing.T) {
	r := newLiveRig(t, "conta@cliente.cl")
	r.client(t)
	if n := r.run(t, r.svc.Cycle, "2026-06-05"); n["invoiced"] != 1 {
		t.Fatalf("cycle: %v", n)
	}
	if got, _ := r.received(t, 1); got[0].To[0] != "c1@cliente.cl" {
		t.Fatalf("invoice to %v", got[0].To)
	}
	if n := r.run(t, r.svc.Collect, "2026-06-12"); n["notes"] != 1 || n["contact_suppressed"] != 0 {
		t.Fatalf("−3: %v", n)
	}
	bounced := r.clock.Now()
	r.waitSuppressed(t, "conta@cliente.cl")
	if r.attempts("conta@cliente.cl") != 1 || len(r.smtp.Received()) != 1 {
		t.Fatalf("−3 note: %d attempts at the billing contact, %d accepted", r.attempts("conta@cliente.cl"), len(r.smtp.Received()))
	}

	// Reported as soon as the outbox knows, before any other run.
	rows := r.report(t)
	if len(rows) != 1 || rows[0].ClientID != "c1" || rows[0].Role != clients.RoleBilling || rows[0].Address != "conta@cliente.cl" ||
		!strings.Contains(rows[0].Reason, "5.1.1") || rows[0].Source != "smtp" || !rows[0].Since.Equal(bounced) || rows[0].HeldStage != nil {
		t.Fatalf("report after the bounce: %+v", rows)
	}

	// A dry run says where the note would go, and sends nothing.
	var dry strings.Builder
	if _, err := r.svc.Collect(context.Background(), scheduler.Run{Date: date(t, "2026-06-15"), DryRun: true, Out: &dry}); err != nil {
		t.Fatal(err)
	}
	if want := "client c1: collection note stage +0 for 1 invoices, to c1@cliente.cl (billing contact conta@cliente.cl is suppressed)\n"; dry.String() != want {
		t.Fatalf("dry run said %q, want %q", dry.String(), want)
	}

	n := r.run(t, r.svc.Collect, "2026-06-15") // stage 0
	if n["notes"] != 1 || n["contact_suppressed"] != 1 || n["notes_held"] != 0 || n["errors"] != 0 {
		t.Fatalf("stage 0: %v", n)
	}
	got, subjects := r.received(t, 2)
	if len(got[1].To) != 1 || got[1].To[0] != "c1@cliente.cl" || subjects[1] != "Recordatorio de pago: su pago de $45.990 vence hoy" {
		t.Fatalf("stage 0 note to %v, subject %q; want the principal", got[1].To, subjects[1])
	}
	if a := r.attempts("conta@cliente.cl"); a != 1 {
		t.Fatalf("%d RCPT attempts at the suppressed billing contact, want only the first bounce", a)
	}
	logs := r.logs.String()
	if !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "client=c1") ||
		!strings.Contains(logs, "address=conta@cliente.cl") || !strings.Contains(logs, "sent_to=c1@cliente.cl") {
		t.Fatalf("no warning naming the client and the address:\n%s", logs)
	}
	if g := r.gauge(t); g != 1 {
		t.Fatalf("gauge %v, want 1", g)
	}

	// An operator clears it (turno outbox suppressions clear): off the
	// report at once, and the next stage goes to the billing contact again.
	if ok, err := mailout.ClearSuppression(context.Background(), r.db, "conta@cliente.cl"); !ok || err != nil {
		t.Fatalf("clear: %v %v", ok, err)
	}
	if rows := r.report(t); len(rows) != 0 {
		t.Fatalf("report after clearing: %+v", rows)
	}
	r.setReject("conta@cliente.cl", false)
	if n := r.run(t, r.svc.Collect, "2026-06-22"); n["notes"] != 1 || n["contact_suppressed"] != 0 {
		t.Fatalf("+7: %v", n)
	}
	if got, _ := r.received(t, 3); got[2].To[0] != "conta@cliente.cl" {
		t.Fatalf("+7 note to %v", got[2].To)
	}
	if g := r.gauge(t); g != 0 {
		t.Fatalf("gauge after clearing %v, want 0", g)
	}
}

// TestNoteHeldUntilAnAddressIsDeliverable: with the billing contact and the
// principal both suppressed the note is not sent and the stage does not
// advance; the report shows the held stage; once the client has a
// deliverable billing contact the next run sends it, once.
func TestNoteHeldUntilAnAddressIsDeliverable(t *testing.T) {
	r := newLiveRig(t, "conta@cliente.cl", "c1@cliente.cl")
	ctx := context.Background()
	r.client(t)
	r.run(t, r.svc.Cycle, "2026-06-05") // the invoice bounces at the principal
	r.waitSuppressed(t, "c1@cliente.cl")
	r.run(t, r.svc.Collect, "2026-06-12") // −3 bounces at the billing contact
	r.waitSuppressed(t, "conta@cliente.cl")
	if rows := r.report(t); len(rows) != 2 || rows[0].Role != clients.RoleBilling || rows[1].Role != clients.RolePrincipal {
		t.Fatalf("report: %+v", rows)
	}

	heldSince := r.clock.Now()
	for _, d := range []string{"2026-06-15", "2026-06-16"} {
		n := r.run(t, r.svc.Collect, d)
		if n["notes"] != 0 || n["contact_suppressed"] != 1 || n["notes_held"] != 1 || n["errors"] != 0 {
			t.Fatalf("%s: %v", d, n)
		}
		if d == "2026-06-15" {
			heldSince = r.clock.Now()
		}
	}
	rows := r.report(t)
	if len(rows) != 2 || rows[0].HeldStage == nil || *rows[0].HeldStage != 0 || !rows[0].HeldSince.Equal(heldSince) {
		t.Fatalf("report with a held note: %+v", rows)
	}
	if a, b := r.attempts("conta@cliente.cl"), r.attempts("c1@cliente.cl"); a != 1 || b != 1 || len(r.smtp.Received()) != 0 {
		t.Fatalf("attempts %d %d, accepted %d: a held note reached the server", a, b, len(r.smtp.Received()))
	}
	if !strings.Contains(r.logs.String(), "collection note held") {
		t.Fatalf("no warning for the held note:\n%s", r.logs.String())
	}

	// The client gives a new billing contact: the billing row goes at once;
	// the principal stays suppressed and reported.
	if err := r.reg.RemoveContact(ctx, "c1", "conta@cliente.cl", clients.RoleBilling, "op"); err != nil {
		t.Fatal(err)
	}
	if err := r.reg.AddContact(ctx, "c1", clients.Contact{Address: "pagos@cliente.cl", Role: clients.RoleBilling}, "op"); err != nil {
		t.Fatal(err)
	}
	if rows := r.report(t); len(rows) != 1 || rows[0].Role != clients.RolePrincipal || rows[0].Address != "c1@cliente.cl" {
		t.Fatalf("report after the contact changed: %+v", rows)
	}
	if n := r.run(t, r.svc.Collect, "2026-06-17"); n["notes"] != 1 || n["contact_suppressed"] != 0 || n["notes_held"] != 0 {
		t.Fatalf("after the fix: %v", n)
	}
	got, subjects := r.received(t, 1)
	if got[0].To[0] != "pagos@cliente.cl" || subjects[0] != "Recordatorio de pago: su pago de $45.990 vence hoy" {
		t.Fatalf("held note sent to %v, subject %q", got[0].To, subjects[0])
	}
	if n := r.run(t, r.svc.Collect, "2026-06-18"); n["notes"] != 0 {
		t.Fatalf("the held stage was sent twice: %v", n)
	}
	if rows := r.report(t); len(rows) != 1 || rows[0].HeldStage != nil {
		t.Fatalf("held note still reported after sending: %+v", rows)
	}
	if _, err := mailout.ClearSuppression(ctx, r.db, "c1@cliente.cl"); err != nil {
		t.Fatal(err)
	}
	if rows := r.report(t); len(rows) != 0 {
		t.Fatalf("report after clearing: %+v", rows)
	}
}

// TestPaymentEndsAHeldNote: a client whose note is held pays; the held
// note is forgotten and nothing is sent when its address is fixed.
func TestPaymentEndsAHeldNote(t *testing.T) {
	r := newLiveRig(t, "conta@cliente.cl", "c1@cliente.cl")
	ctx := context.Background()
	r.client(t)
	r.run(t, r.svc.Cycle, "2026-06-05")
	r.waitSuppressed(t, "c1@cliente.cl")
	r.run(t, r.svc.Collect, "2026-06-12")
	r.waitSuppressed(t, "conta@cliente.cl")
	if n := r.run(t, r.svc.Collect, "2026-06-15"); n["notes_held"] != 1 {
		t.Fatalf("stage 0: %v", n)
	}
	if _, err := r.svc.Pay(ctx, PaymentRequest{Numbers: []int64{1}, Amount: 45990, Method: "transferencia",
		Reference: "OP-1", Date: date(t, "2026-06-16")}); err != nil {
		t.Fatal(err)
	}
	if n := r.run(t, r.svc.Collect, "2026-06-16"); n["notes"] != 0 || n["notes_held"] != 0 || n["contact_suppressed"] != 0 {
		t.Fatalf("after payment: %v", n)
	}
	for _, row := range r.report(t) {
		if row.HeldStage != nil {
			t.Fatalf("held note reported after payment: %+v", row)
		}
	}
	if held, err := r.svc.heldNotes(ctx); err != nil || len(held) != 0 {
		t.Fatalf("held notes after payment: %v %v", held, err)
	}
}
