package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"turno/billing"
	"turno/clients"
	"turno/daemon"
	"turno/mailin/parse"
	"turno/mailout"
	"turno/scheduler"
)

// The billing cycle runs in the daemon against the real clients registry and
// outbox: a client with complete billing data and a contract due today gets
// one invoice, mailed with its PDF to the principal and notify addresses; a
// rerun of the same date sends nothing more.
func TestBillingCycleMailsInvoiceWithPDF(t *testing.T) {
	cfg := testConfig(t)
	d, done := start(t, daemon.Options{Config: cfg, Dev: true})
	defer func() { d.Stop(); <-done }()
	ctx := context.Background()
	c := clients.NewClient("C-200", "Ferretería Los Andes Ltda.", "pagos@losandes.cl")
	c.BillingEnabled = true
	c.NotifyEmails = []string{"contabilidad@losandes.cl"}
	c.Billing = clients.BillingData{RazonSocial: "Ferretería Los Andes Ltda.", TaxCountry: "CL", TaxID: "76.086.428-5",
		Giro: "Venta de artículos de ferretería", Domicilio: "Av. Matta 1234", Comuna: "Santiago", Ciudad: "Santiago"}
	if _, err := d.Clients.Add(ctx, c, "test"); err != nil {
		t.Fatal(err)
	}
	if err := d.Billing.AddContract(ctx, billing.Contract{ID: "K-1", ClientID: "C-200", Description: "Hosting Pyme",
		Currency: billing.CLP, Amount: 45990, AnchorDay: 16, Start: "2026-01-01", Active: true}); err != nil {
		t.Fatal(err)
	}
	date, err := scheduler.ParseDate("2026-11-16")
	if err != nil {
		t.Fatal(err)
	}
	// The daemon's own scheduler may be running the cycle too (its catch-up
	// covers the 16th): wait for our turn, twice.
	for ran := 0; ran < 2; {
		err := d.Scheduler.RunNow(ctx, billing.CycleJob, scheduler.Run{Date: date, Out: io.Discard})
		switch {
		case errors.Is(err, scheduler.ErrRunning):
			time.Sleep(20 * time.Millisecond)
		case err != nil:
			t.Fatal(err)
		default:
			ran++
		}
	}
	var got []*parse.Message
	waitFor(t, "two invoice mails in dev-mail", func() bool {
		got = nil
		files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "dev-mail", "*.eml"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// The dev customer's welcome is in dev-mail too: only the
			// test's client's mail counts.
			if m, err := parse.Parse(bytes.NewReader(b), nil); err == nil && !(len(m.To) == 1 && m.To[0].Address == daemon.DevClientAddress) {
				got = append(got, m)
			}
		}
		return len(got) >= 2
	})
	to := map[string]bool{}
	for _, m := range got {
		to[m.To[0].Address] = true
		var pdf bool
		for _, a := range m.Attachments {
			pdf = pdf || (a.ContentType == "application/pdf" && a.Size > 1000)
		}
		if !pdf || !strings.Contains(m.Text, "45.990") && !strings.Contains(m.Text, "54.728") {
			t.Fatalf("invoice mail to %s: pdf=%v text:\n%s", m.To[0].Address, pdf, m.Text)
		}
	}
	waitFor(t, "the outbox drained", func() bool {
		n, err := d.Outbox.CountByState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n[mailout.StateQueued]+n[mailout.StateRetry]+n[mailout.StateSending] == 0 && n[mailout.StateSent] > 0
	})
	if files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "dev-mail", "*.eml")); len(files) != 3 {
		t.Fatalf("%d mails after the rerun drained, want 3 (two invoice mails and the dev customer's welcome)", len(files))
	}
	if len(got) != 2 || !to["pagos@losandes.cl"] || !to["contabilidad@losandes.cl"] {
		t.Fatalf("%d invoice mails to %v, want one each to the principal and the notify address", len(got), to)
	}
}
