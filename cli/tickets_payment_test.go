package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/clients"
	"turno/clock"
	"turno/config"
	"turno/daemon"
	"turno/internal/testenv"
	"turno/mailin/parse"
	"turno/mailout"
	"turno/store"
	"turno/tickets"
)

// payDir is a data directory with two billed clients (C1 in Spanish, C2
// in English, each with one exempt invoice from the 16 November cycle),
// agents beto (pagos) and ana (soporte), and one payment mail per body
// in bodies ingested into pagos in order (ticket 100000, 100001...), with
// billing wired as the daemon wires it. It returns the invoice numbers
// by client.
func payDir(t *testing.T, mails ...[2]string) (string, map[string]int64) {
	t.Helper()
	dir := t.TempDir()
	must := mustRun(t, dir)
	for _, c := range [][3]string{{"C1", "ana@acme.cl", "es"}, {"C2", "bob@beta.cl", "en"}} {
		must("clients", "add", c[0], "--name", c[0]+" SpA", "--email", c[1], "--no-welcome", "--set", "lang="+c[2],
			"--set", "billing_enabled=true", "--set", "razon_social="+c[0]+" SpA", "--set", "tax_id=76.086.428-5",
			"--set", "giro=Hosting", "--set", "domicilio=Av. Matta 1234", "--set", "billing_comuna=Santiago", "--set", "billing_ciudad=Santiago")
		must("contracts", "add", c[0]+"-K1", "--client", c[0], "--description", "Hosting", "--amount", "45990", "--exempt",
			"--anchor", "16", "--start", "2026-01-01")
	}
	must("jobs", "run", "billing-cycle", "--date", "2026-11-16")
	var invs []struct {
		Number   int64
		ClientID string `json:"client_id"`
	}
	if err := json.Unmarshal([]byte(must("invoices", "list", "--json")), &invs); err != nil || len(invs) != 2 {
		t.Fatalf("invoices: %+v %v", invs, err)
	}
	byClient := map[string]int64{}
	for _, inv := range invs {
		byClient[inv.ClientID] = inv.Number
	}
	withStore(t, dir, func(ctx context.Context, st *store.Store) {
		addAgents(t, ctx, st, map[string][]string{"ana@turno.test": {"soporte"}, "beto@turno.test": {"pagos"}})
		cfg := config.Default()
		cfg.DataDir = dir
		log := testenv.Logger(t)
		ob, err := daemon.NewOutbox(ctx, cfg, st.DB, log) // billing needs one; nothing is sent here
		if err != nil {
			t.Fatal(err)
		}
		reg := clients.New(clients.Options{DB: st.DB, Logger: log})
		parts, err := daemon.NewWorkParts(ctx, cfg, st.DB, reg, nil, clock.Real{}, log)
		if err != nil {
			t.Fatal(err)
		}
		bill, _, err := daemon.BillingParts(daemon.Options{Config: cfg, Logger: log, Clock: clock.Real{}}, st, reg, ob)
		if err != nil {
			t.Fatal(err)
		}
		parts.Tickets.SetPaymentLedger(daemon.PaymentLedger(bill), "")
		for i, m := range mails {
			raw := fmt.Sprintf("From: Cliente <%s>\r\nTo: pagos@turno.test\r\nSubject: Pago\r\nMessage-ID: <pago-%d@cliente.cl>\r\n"+
				"Date: Mon, 16 Nov 2026 18:00:00 -0300\r\n\r\n%s\r\n", m[0], i, m[1])
			msg, err := parse.Parse(strings.NewReader(raw), nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := parts.Tickets.Ingest(ctx, tickets.Incoming{Msg: msg, RawHash: parse.RawHash([]byte(raw)), RawRef: "r",
				Mailbox: "pagos", Department: "pagos"}); err != nil {
				t.Fatal(err)
			}
		}
	})
	return dir, byClient
}

// outboxOf lists the outbox entries of template on ticket (0: any).
func outboxOf(t *testing.T, dir, template string) []mailout.Entry {
	t.Helper()
	var all []mailout.Entry
	withStore(t, dir, func(ctx context.Context, st *store.Store) {
		cur, err := st.DB.Collection(mailout.OutboxCollection).Find(ctx, bson.D{{Key: "template", Value: template}})
		if err != nil {
			t.Fatal(err)
		}
		if err := cur.All(ctx, &all); err != nil {
			t.Fatal(err)
		}
	})
	return all
}

// turno tickets confirm-payment on a proposed report pays the proposed
// invoice once (confirming twice prints the same payment, one
// payment_received to the principal address); refused input (another
// department's agent, another client's invoice, a contradicting second
// confirmation, rejecting it) changes nothing; show prints the report in
// text and JSON.
func TestTicketsConfirmPayment(t *testing.T) {
	dir, inv := payDir(t, [2]string{"ana@acme.cl", "Les transferí $45.990 desde BancoEstado.\r\nN° de operación: 55012398\r\nFecha: 16/11/2026"})
	beto := []string{"TURNO_AGENT=beto@turno.test"}
	must := func(args ...string) string {
		t.Helper()
		out, errs, code := runAs(dir, beto, "", args...)
		if code != 0 {
			t.Fatalf("turno %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
		}
		return out
	}
	refused := func(env []string, want string, args ...string) {
		t.Helper()
		out, errs, code := runAs(dir, env, "", args...)
		if code == 0 || !strings.Contains(errs, want) {
			t.Fatalf("turno %s: exit %d, %s%s; want an error with %q", strings.Join(args, " "), code, out, errs, want)
		}
	}
	out := must("tickets", "show", "100000")
	for _, w := range []string{"Payment report (proposed, from the mail)", "Amount     $45.990", "Operation  55012398",
		fmt.Sprintf("Proposed   invoices %d", inv["C1"]), "turno tickets confirm-payment 100000"} {
		if !strings.Contains(out, w) {
			t.Fatalf("show lacks %q:\n%s", w, out)
		}
	}
	var shown struct {
		Ticket        struct{ Number int64 }
		PaymentReport *struct {
			State    string
			Proposed []int64
		} `json:"payment_report"`
	}
	if err := json.Unmarshal([]byte(must("tickets", "show", "--json", "100000")), &shown); err != nil || shown.Ticket.Number != 100000 ||
		shown.PaymentReport == nil || shown.PaymentReport.State != "proposed" || len(shown.PaymentReport.Proposed) != 1 {
		t.Fatalf("show --json: %+v %v", shown, err)
	}

	refused([]string{"TURNO_AGENT=ana@turno.test"}, "not found", "tickets", "confirm-payment", "100000")
	refused(beto, "--invoices", "tickets", "confirm-payment", "100000", "--invoices", fmt.Sprint(inv["C2"]))
	refused(beto, "--amount must be above zero", "tickets", "confirm-payment", "100000", "--amount", "-5")
	if n := len(outboxOf(t, dir, "payment_received")); n != 0 {
		t.Fatalf("a refused confirmation mailed %d payment_received", n)
	}
	if out := must("invoices", "list", "--status", "paid", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("a refused confirmation paid: %s", out)
	}

	out = must("tickets", "confirm-payment", "100000")
	if !strings.Contains(out, "Payment report on ticket #100000 confirmed: payment ") ||
		!strings.Contains(out, fmt.Sprintf("of $45.990 to invoices %d.", inv["C1"])) {
		t.Fatalf("confirm: %s", out)
	}
	var first, again tickets.PaymentReport
	if err := json.Unmarshal([]byte(must("tickets", "show", "--json", "100000")), &struct {
		P *tickets.PaymentReport `json:"payment_report"`
	}{&first}); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(must("tickets", "confirm-payment", "--json", "100000", "--invoices", fmt.Sprint(inv["C1"]))), &again); err != nil {
		t.Fatal(err)
	}
	if first.State != tickets.ReportConfirmed || first.PaymentID == "" || again.PaymentID != first.PaymentID {
		t.Fatalf("confirm twice: %+v / %+v", first, again)
	}
	var paid []struct{ Number int64 }
	if err := json.Unmarshal([]byte(must("invoices", "list", "--status", "paid", "--json")), &paid); err != nil ||
		len(paid) != 1 || paid[0].Number != inv["C1"] {
		t.Fatalf("paid invoices: %+v %v", paid, err)
	}
	if got := outboxOf(t, dir, "payment_received"); len(got) != 1 || strings.Join(got[0].To, ",") != "ana@acme.cl" {
		t.Fatalf("payment_received: %+v, want one to the principal address", got)
	}
	refused(beto, "already confirmed", "tickets", "confirm-payment", "100000", "--amount", "1")
	refused(beto, "cannot be rejected", "tickets", "reject-payment", "100000", "--reason", "no")
	if out := must("tickets", "show", "100000"); !strings.Contains(out, "Confirmed by beto@turno.test") {
		t.Fatalf("show after confirming:\n%s", out)
	}
}

// turno tickets reject-payment answers the customer once, in the client's
// language, with the reason as written; without --reason it is refused;
// a rejected report cannot be confirmed.
func TestTicketsRejectPayment(t *testing.T) {
	dir, _ := payDir(t, [2]string{"ana@acme.cl", "Transferí $99.999, operación N° 77001122"},
		[2]string{"bob@beta.cl", "Transferí $12.345"})
	beto := []string{"TURNO_AGENT=beto@turno.test"}
	if _, errs, code := runAs(dir, beto, "", "tickets", "reject-payment", "100000"); code == 0 || !strings.Contains(errs, "--reason is required") {
		t.Fatalf("no reason: exit %d, %s", code, errs)
	}
	if n := len(outboxOf(t, dir, "ticket_reply")); n != 0 {
		t.Fatalf("a refused rejection answered (%d replies)", n)
	}
	reason := "El monto no corresponde a ninguna nota de cobro pendiente."
	for range 2 {
		out, errs, code := runAs(dir, beto, "", "tickets", "reject-payment", "100000", "--reason", reason)
		if code != 0 || !strings.Contains(out, "Payment report on ticket #100000 rejected by beto@turno.test") {
			t.Fatalf("reject: exit %d\n%s%s", code, out, errs)
		}
	}
	if _, _, code := runAs(dir, beto, "", "tickets", "reject-payment", "100001", "--reason", "Wrong amount."); code != 0 {
		t.Fatal("reject the English client's report")
	}
	replies := outboxOf(t, dir, "ticket_reply")
	if len(replies) != 2 {
		t.Fatalf("%d replies, want one per rejected report", len(replies))
	}
	out, _, _ := runAs(dir, beto, "", "tickets", "show", "100000")
	for _, w := range []string{"Revisamos el pago que nos informó", "N° de operación: 77001122", reason, "Rejected by beto@turno.test"} {
		if !strings.Contains(out, w) {
			t.Fatalf("show 100000 lacks %q:\n%s", w, out)
		}
	}
	if out, _, _ := runAs(dir, beto, "", "tickets", "show", "100001"); !strings.Contains(out, "We checked the payment you reported") ||
		!strings.Contains(out, "Amount: $12.345") {
		t.Fatalf("the English client's answer:\n%s", out)
	}
	if _, errs, code := runAs(dir, beto, "", "tickets", "confirm-payment", "100000", "--invoices", "1"); code == 0 || !strings.Contains(errs, "was rejected") {
		t.Fatalf("confirm a rejected report: exit %d, %s", code, errs)
	}
}
