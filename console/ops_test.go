package console_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/agents"
	"turno/config"
	"turno/internal/testenv"
	"turno/mailin"
	"turno/mailout"
	"turno/tickets"
)

var opsPages = map[string]string{
	"/console/ops":         "ops-dashboard",
	"/console/ops/mail":    "ops-mail",
	"/console/ops/outbox":  "ops-outbox",
	"/console/ops/jobs":    "ops-jobs",
	"/console/ops/billing": "ops-billing",
}

// admin adds an admin agent with the console password.
func (e *env) admin(email string) *client {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.d.Agents.Add(ctx, agents.Agent{Email: email, Name: "Jefa de Operaciones", Role: agents.RoleAdmin}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.d.Agents.SetPassword(ctx, email, pw); err != nil {
		e.t.Fatal(err)
	}
	return e.loggedIn(email)
}

// Every operations page is an admin's: another agent gets 404 (and no
// link to them), nobody without a session gets past the login.
func TestOpsPagesAreAdminsOnly(t *testing.T) {
	e := newEnv(t)
	boss := e.admin("jefa@proveedor.cl")
	ana := e.loggedIn("ana@proveedor.cl")
	anon := e.client()
	for path, page := range opsPages {
		resp, body := boss.get(path)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-page="`+page+`"`) {
			t.Fatalf("admin GET %s: %d\n%s", path, resp.StatusCode, body)
		}
		if strings.Contains(body, "ops.") {
			t.Errorf("admin GET %s shows a message key: %s", path, body[strings.Index(body, "ops."):][:40])
		}
		resp, body = ana.get(path)
		if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "data-page=\"ops") {
			t.Fatalf("agent GET %s: %d", path, resp.StatusCode)
		}
		resp, _ = anon.get(path)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/login?next=") {
			t.Fatalf("anonymous GET %s: %d → %s", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if _, body := boss.get("/console/queue"); !strings.Contains(body, `href="/console/ops">Operaciones</a>`) {
		t.Fatal("the admin's navigation has no Operaciones link")
	}
	if _, body := ana.get("/console/queue"); strings.Contains(body, "/console/ops") {
		t.Fatal("an agent's navigation links to the operations pages")
	}
	if _, body := boss.get("/console/ops/mail?lang=en"); !strings.Contains(body, "<h1>Mailboxes and quarantine</h1>") {
		t.Fatal("no English operations page")
	}
	// Each action: 404 for an agent with a valid token, 401/403 without a session.
	f := ana.fields("/console/queue")
	for _, a := range []string{"/console/ops/mail/retry", "/console/ops/outbox/unsuppress"} {
		if resp, _ := ana.post(a, with(f, "id", "x/1/1", "address", "x@y.cl")); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("agent POST %s: %d", a, resp.StatusCode)
		}
		if resp, _ := anon.post(a, url.Values{"id": {"x/1/1"}}); resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("anonymous POST %s: %d", a, resp.StatusCode)
		}
	}
}

// The dashboard reads its counters, not the tickets: a ticket opened,
// answered and solved today is one of each on today's bar, and the
// acknowledgement's delivery is on this hour's.
func TestOpsDashboardCounts(t *testing.T) {
	e := newEnv(t)
	boss := e.admin("jefa@proveedor.cl")
	ctx := context.Background()
	n := e.mail("soporte", "Paula <paula@cliente.cl>", "No llega el correo", "").Ticket
	ana, err := e.d.Agents.Get(ctx, "ana@proveedor.cl")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.d.Tickets.Reply(ctx, ana.Actor(), n, tickets.ReplyInput{Key: "r1", Force: true, Text: "Ya está.", Status: tickets.StatusSolved}); err != nil {
		t.Fatal(err)
	}
	days, err := e.d.Tickets.DailyStats(ctx, time.Now(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if d := days[1]; d.Opened != 1 || d.Solved != 1 || d.FirstResponses != 1 || days[0].Opened != 0 {
		t.Fatalf("daily counters %+v", days)
	}
	waitFor(t, "the reply sent", func() bool {
		hs, err := mailout.HourlyStats(ctx, e.d.Store.DB, time.Now(), 1)
		return err == nil && hs[0].Sent >= 1
	})
	_, body := boss.get("/console/ops")
	if c := strings.Count(body, `<svg class="chart"`); c != 3 {
		t.Fatalf("%d charts on the dashboard", c)
	}
	loc, err := config.Default().Location() // the business zone the test daemon runs in
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(loc).Format("02/01")
	if !strings.Contains(body, `<tr><th scope="row">`+today+`</th><td>1</td><td>1</td></tr>`) {
		t.Fatalf("today's row of opened/solved is not 1/1:\n%s", body)
	}
	if !strings.Contains(body, `aria-labelledby="chart-tickets-t"`) || !strings.Contains(body, `<title id="chart-tickets-t">`) {
		t.Fatal("the chart has no accessible name")
	}
}

// Clearing a suppression: CSRF-less and non-admin posts change nothing;
// the admin's clears it and says so; a second one says it is not there.
func TestOpsClearSuppression(t *testing.T) {
	e := newEnv(t)
	boss := e.admin("jefa@proveedor.cl")
	ana := e.loggedIn("ana@proveedor.cl")
	ctx := context.Background()
	db := e.d.Store.DB
	const addr = "rebota@cliente.cl"
	if err := mailout.MarkUndeliverable(ctx, db, addr, "smtp", "550 5.1.1 <script>no such user</script>", time.Now()); err != nil {
		t.Fatal(err)
	}
	suppressed := func() bool {
		ok, err := mailout.Suppressed(ctx, db, addr)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	_, body := boss.get("/console/ops/outbox")
	if !strings.Contains(body, `data-address="`+addr+`"`) || !strings.Contains(body, "&lt;script&gt;no such user") {
		t.Fatalf("the suppression is not listed, escaped:\n%s", body)
	}
	form := url.Values{"address": {addr}}
	if resp, _ := boss.post("/console/ops/outbox/unsuppress", form); resp.StatusCode != http.StatusForbidden || !suppressed() {
		t.Fatalf("CSRF-less clear: %d, suppressed %v", resp.StatusCode, suppressed())
	}
	if resp, _ := ana.post("/console/ops/outbox/unsuppress", with(ana.fields("/console/queue"), "address", addr)); resp.StatusCode != http.StatusNotFound || !suppressed() {
		t.Fatalf("agent's clear: %d, suppressed %v", resp.StatusCode, suppressed())
	}
	f := boss.fields("/console/ops/outbox")
	resp, _ := boss.post("/console/ops/outbox/unsuppress", with(f, "address", addr))
	if resp.StatusCode != http.StatusSeeOther || suppressed() {
		t.Fatalf("admin's clear: %d, suppressed %v", resp.StatusCode, suppressed())
	}
	_, body = boss.get(resp.Header.Get("Location"))
	if !strings.Contains(body, `id="done">`+addr+` vuelve a recibir correo.`) || strings.Contains(body, `data-address="`+addr+`"`) {
		t.Fatalf("after the clear:\n%s", body)
	}
	resp, _ = boss.post("/console/ops/outbox/unsuppress", with(f, "address", addr))
	if _, body = boss.get(resp.Header.Get("Location")); !strings.Contains(body, `id="failed"`) {
		t.Fatalf("a second clear is not refused:\n%s", body)
	}
}

// A mail the intake could not process is quarantined; the admin's retry
// (the CLI's mailin.RequestRetry) has the watcher process it again, and
// it becomes a ticket; CSRF-less and non-admin retries change nothing.
func TestOpsQuarantineRetryReingests(t *testing.T) {
	srv := testenv.IMAP(t)
	host, port, _ := net.SplitHostPort(srv.Addr)
	p, _ := strconv.Atoi(port)
	e := newEnvWith(t, func(cfg *config.Config) {
		cfg.Intake.RetryLimit = 1
		cfg.Mailboxes = []config.MailboxConfig{{Name: "soporte", Host: host, Port: p, TLS: "none", Username: srv.Username,
			Password: srv.Password, Department: "soporte", PollInterval: config.Duration(time.Hour)}}
	})
	boss := e.admin("jefa@proveedor.cl")
	ana := e.loggedIn("ana@proveedor.cl")
	ctx := context.Background()
	db := e.d.Store.DB
	const mid = "atascado-1@cliente.cl"
	// What the intake's record step cannot read: the mail fails there.
	ledger := db.Collection(mailin.MessageCollection)
	if _, err := ledger.InsertOne(ctx, bson.D{{Key: "_id", Value: "mid:" + mid}, {Key: "sources", Value: "roto"},
		{Key: "fp", Value: 7}}); err != nil {
		t.Fatal(err)
	}
	srv.Append(t, "INBOX", []byte("Message-ID: <"+mid+">\r\nFrom: Paula <paula@cliente.cl>\r\nTo: soporte@example.test\r\n"+
		"Subject: Factura atascada\r\nDate: Wed, 02 Dec 2026 10:00:00 -0300\r\n\r\nNo puedo pagar la factura.\r\n"))
	var q mailin.Quarantined
	waitFor(t, "the mail quarantined", func() bool {
		l, err := mailin.ListQuarantine(ctx, db, mailin.QuarantineHeld)
		if err != nil {
			t.Fatal(err)
		}
		if len(l) == 1 {
			q = l[0]
		}
		return len(l) == 1
	})
	_, body := boss.get("/console/ops/mail")
	if !strings.Contains(body, `<tr data-id="`+q.ID+`">`) || !strings.Contains(body, `name="id" value="`+q.ID+`"`) {
		t.Fatalf("the quarantined mail is not listed with its retry:\n%s", body)
	}
	if _, body := boss.get("/console/ops"); !strings.Contains(body, `<span class="stat-value">1</span> <span class="stat-label">mensajes en cuarentena`) {
		t.Fatalf("the dashboard does not count it:\n%s", body)
	}
	state := func() string {
		l, err := mailin.ListQuarantine(ctx, db, "")
		if err != nil || len(l) != 1 {
			t.Fatalf("quarantine %+v, %v", l, err)
		}
		return l[0].State
	}
	if resp, _ := boss.post("/console/ops/mail/retry", url.Values{"id": {q.ID}}); resp.StatusCode != http.StatusForbidden || state() != mailin.QuarantineHeld {
		t.Fatalf("CSRF-less retry: %d, %s", resp.StatusCode, state())
	}
	if resp, _ := ana.post("/console/ops/mail/retry", with(ana.fields("/console/queue"), "id", q.ID)); resp.StatusCode != http.StatusNotFound || state() != mailin.QuarantineHeld {
		t.Fatalf("agent's retry: %d, %s", resp.StatusCode, state())
	}
	// The defect is fixed; the admin retries.
	if _, err := ledger.DeleteOne(ctx, bson.D{{Key: "_id", Value: "mid:" + mid}}); err != nil {
		t.Fatal(err)
	}
	resp, _ := boss.post("/console/ops/mail/retry", with(boss.fields("/console/ops/mail"), "id", q.ID))
	if resp.StatusCode != http.StatusSeeOther || state() != mailin.QuarantineRetry {
		t.Fatalf("admin's retry: %d, %s", resp.StatusCode, state())
	}
	if _, body := boss.get(resp.Header.Get("Location")); !strings.Contains(body, `id="done">Se reintentará `+q.ID) ||
		!strings.Contains(body, "reintento pedido") {
		t.Fatalf("after the retry:\n%s", body)
	}
	// The watcher takes retries at its next pass; new mail starts one.
	srv.Append(t, "INBOX", []byte("Message-ID: <despierta@cliente.cl>\r\nFrom: ana@cliente.cl\r\nSubject: hola\r\n\r\nhola\r\n"))
	waitFor(t, "the retried mail on a ticket", func() bool {
		list, err := e.d.Tickets.List(ctx, tickets.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range list {
			if tk.Subject == "Factura atascada" {
				return true
			}
		}
		return false
	})
	waitFor(t, "the quarantine entry done", func() bool { return state() == mailin.QuarantineDone })
	if _, body := boss.get("/console/ops/mail"); strings.Contains(body, `data-id="`+q.ID+`"`) || !strings.Contains(body, `id="quarantine-empty"`) {
		t.Fatalf("the retried mail is still listed:\n%s", body)
	}
	// A second retry of it is refused with a message, changing nothing.
	resp, _ = boss.post("/console/ops/mail/retry", with(boss.fields("/console/ops/mail"), "id", q.ID))
	if _, body := boss.get(resp.Header.Get("Location")); !strings.Contains(body, `id="failed"`) || state() != mailin.QuarantineDone {
		t.Fatalf("a second retry:\n%s", body)
	}
}
