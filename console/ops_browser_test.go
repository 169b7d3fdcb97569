package console_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-imap/v2"
	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/config"
	"turno/daemon"
	"turno/internal/browser"
	"turno/internal/devserve"
	"turno/mailin"
	"turno/mailout"
	"turno/tickets"
)

// An admin's operations round in a real browser on a real serve --dev:
// the dashboard's charts, the mailboxes and the quarantine, where an
// admin retries a quarantined message and sees it gone once the intake
// took it, the outbox with a suppression, the jobs and billing. Every
// page is screenshotted and audited with axe-core.
func TestBrowserOpsRound(t *testing.T) {
	b := browser.New(t)
	s := devserve.Start(t, func(cfg *config.Config) { cfg.Intake.RetryLimit = 1 })
	d, base := s.D, s.Base
	ctx := context.Background()
	db := d.Store.DB
	appendMail := func(id, from, subject string) {
		t.Helper()
		raw := "Message-ID: <" + id + ">\r\nFrom: " + from + "\r\nTo: " + d.Dev.Mailbox.Address + "\r\nSubject: " + subject +
			"\r\nDate: Wed, 02 Dec 2026 10:00:00 -0300\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHola.\r\n"
		if _, err := d.Dev.Mailbox.Append("INBOX", literal{bytes.NewReader([]byte(raw))}, &imap.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// A mail the intake's record step cannot take (an entry it cannot
	// read under its key): quarantined by the real intake.
	const stuck = "atascado@cliente.cl"
	ledger := db.Collection(mailin.MessageCollection)
	if _, err := ledger.InsertOne(ctx, bson.D{{Key: "_id", Value: "mid:" + stuck}, {Key: "sources", Value: "roto"}, {Key: "fp", Value: 7}}); err != nil {
		t.Fatal(err)
	}
	appendMail("ok-1@cliente.cl", "Paula <paula@cliente.cl>", "No llega el correo")
	appendMail(stuck, "Tomás <tomas@cliente.cl>", "Factura atascada")
	var q mailin.Quarantined
	waitFor(t, "the mail quarantined", func() bool {
		l, err := mailin.ListQuarantine(ctx, db, mailin.QuarantineHeld)
		if err == nil && len(l) == 1 {
			q = l[0]
		}
		return len(l) == 1
	})
	if err := mailout.MarkUndeliverable(ctx, db, "rebota@cliente.cl", "smtp", "550 5.1.1 user unknown", time.Now()); err != nil {
		t.Fatal(err)
	}

	b.Visit(base+"/console/", "login")
	b.Fill("#email", daemon.DevAgent)
	b.Fill("#password", d.DevPassword)
	b.Submit("button[type=submit]", "table.queue")
	b.Submit(`.top nav a[href="/console/ops"]`, `[data-page="ops-dashboard"]`)
	b.Check("ops-dashboard")
	if n := browser.Get(b, chromedp.Evaluate[int](`document.querySelectorAll("svg.chart[role=img]").length`)); n != 3 {
		t.Fatalf("%d charts", n)
	}
	if got := b.Text(`.card.stat.warn a[href="/console/ops/mail#quarantine"] .stat-value`); got != "1" {
		t.Fatalf("quarantine card %q", got)
	}

	b.Submit(`.views a[href="/console/ops/mail"]`, `[data-page="ops-mail"]`)
	b.Check("ops-mail")
	row := `tr[data-id="` + q.ID + `"]`
	if got := b.Text(row + " td:nth-child(3)"); got != "record" {
		t.Fatalf("the quarantined mail's step: %q", got)
	}
	// The defect is fixed; an admin retries a quarantined message.
	if _, err := ledger.DeleteOne(ctx, bson.D{{Key: "_id", Value: "mid:" + stuck}}); err != nil {
		t.Fatal(err)
	}
	b.Submit(row+" button.retry", "#done")
	b.Check("ops-mail-retry-requested")
	if got := b.Text(row + " .badge"); got != "reintento pedido" {
		t.Fatalf("the row after the retry: %q", got)
	}
	appendMail("despierta@cliente.cl", "ana@cliente.cl", "hola") // the watcher takes retries at its next pass
	waitFor(t, "the retried mail on a ticket", func() bool {
		list, err := d.Tickets.List(ctx, tickets.Filter{})
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
	waitFor(t, "the quarantine entry done", func() bool {
		l, err := mailin.ListQuarantine(ctx, db, mailin.QuarantineDone)
		return err == nil && len(l) == 1
	})
	b.Visit(base+"/console/ops/mail", "ops-mail-after-retry")
	if n := browser.Get(b, chromedp.Evaluate[int](`document.querySelectorAll('`+row+`').length`)); n != 0 {
		t.Fatal("the retried message is still in the quarantine")
	}
	if got := b.Text("#quarantine-empty"); got != "No hay mensajes en cuarentena." {
		t.Fatalf("empty quarantine: %q", got)
	}

	b.Submit(`.views a[href="/console/ops/outbox"]`, `[data-page="ops-outbox"]`)
	b.Check("ops-outbox")
	b.Submit(`tr[data-address="rebota@cliente.cl"] button`, "#done")
	b.Check("ops-outbox-cleared")
	if ok, err := mailout.Suppressed(ctx, db, "rebota@cliente.cl"); err != nil || ok {
		t.Fatalf("still suppressed: %v %v", ok, err)
	}
	b.Submit(`.views a[href="/console/ops/jobs"]`, `[data-page="ops-jobs"]`)
	b.Check("ops-jobs")
	b.Submit(`.views a[href="/console/ops/billing"]`, `[data-page="ops-billing"]`)
	b.Check("ops-billing")
	b.Visit(base+"/console/ops?lang=en", "ops-dashboard-en")
	if got := b.Text("h1"); got != "Operations" {
		t.Fatalf("English title %q", got)
	}
	if !strings.Contains(b.Text(".top nav"), "Operations") {
		t.Fatal("no Operations link in the English navigation")
	}
}
