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
// rerun of the same date sends nothing more. A contract of the same day
// that ended before it bills nothing then, and a catch-up run for an
// earlier day it was live on mails its invoice (the cycle finds it in its
// end month's list, billing/dueindex.go).
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
	ended := clients.NewClient("C-201", "Imprenta Sur SpA", "cobranza@imprentasur.cl")
	ended.BillingEnabled = true
	ended.Billing = c.Billing
	ended.Billing.RazonSocial = "Imprenta Sur SpA"
	if _, err := d.Clients.Add(ctx, ended, "test"); err != nil {
		t.Fatal(err)
	}
	if err := d.Billing.AddContract(ctx, billing.Contract{ID: "K-2", ClientID: "C-201", Description: "Correo Pyme",
		Currency: billing.CLP, Amount: 12990, AnchorDay: 16, Start: "2026-01-01", End: "2026-10-31", Active: true}); err != nil {
		t.Fatal(err)
	}
	// The daemon's own scheduler may be running the cycle too (its catch-up
	// covers the 16th): wait for our turn.
	runCycle := func(day string) {
		t.Helper()
		date, err := scheduler.ParseDate(day)
		if err != nil {
			t.Fatal(err)
		}
		for {
			err := d.Scheduler.RunNow(ctx, billing.CycleJob, scheduler.Run{Date: date, Out: io.Discard})
			if !errors.Is(err, scheduler.ErrRunning) {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// mails are the messages in dev-mail to address (any but the dev
	// customer's welcome when address is "").
	mails := func(address string) []*parse.Message {
		var out []*parse.Message
		files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "dev-mail", "*.eml"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := parse.Parse(bytes.NewReader(b), nil)
			if err != nil || len(m.To) != 1 || m.To[0].Address == daemon.DevClientAddress {
				continue
			}
			if address == "" || m.To[0].Address == address {
				out = append(out, m)
			}
		}
		return out
	}
	runCycle("2026-11-16")
	runCycle("2026-11-16")
	var got []*parse.Message
	waitFor(t, "two invoice mails in dev-mail", func() bool {
		got = mails("")
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

	// October's catch-up: K-2 was live on the 16th and bills, with its PDF.
	runCycle("2026-10-16")
	var oct []*parse.Message
	waitFor(t, "K-2's October invoice mail", func() bool {
		oct = mails("cobranza@imprentasur.cl")
		return len(oct) >= 1
	})
	var pdf bool
	for _, a := range oct[0].Attachments {
		pdf = pdf || (a.ContentType == "application/pdf" && a.Size > 1000)
	}
	if len(oct) != 1 || !pdf || !strings.Contains(oct[0].Text, "12.990") && !strings.Contains(oct[0].Text, "15.458") {
		t.Fatalf("%d mails to K-2's client; the first: pdf=%v text:\n%s", len(oct), pdf, oct[0].Text)
	}
	waitFor(t, "K-1's October invoice mails", func() bool { return len(mails("")) >= 5 })
	waitFor(t, "the outbox drained", func() bool {
		n, err := d.Outbox.CountByState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n[mailout.StateQueued]+n[mailout.StateRetry]+n[mailout.StateSending] == 0
	})
	if all, k2 := mails(""), mails("cobranza@imprentasur.cl"); len(all) != 5 || len(k2) != 1 {
		t.Fatalf("%d invoice mails, %d to K-2's client; want K-1's two a month and K-2's October only", len(all), len(k2))
	}
}
