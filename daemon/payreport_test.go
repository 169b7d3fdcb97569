package daemon_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/billing"
	"turno/clients"
	"turno/config"
	"turno/daemon"
	"turno/internal/testenv"
	"turno/mailout"
	"turno/scheduler"
	"turno/tickets"
)

func paymentMail(id, from, body string) []byte {
	return []byte("Message-ID: <" + id + ">\r\nFrom: Ana <" + from + ">\r\nTo: pagos@turno.test\r\n" +
		"Subject: Comprobante de transferencia\r\nDate: Mon, 16 Nov 2026 18:00:00 -0300\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		body + "\r\n--b1\r\nContent-Type: application/pdf; name=\"comprobante.pdf\"\r\n" +
		"Content-Disposition: attachment; filename=\"comprobante.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"JVBERi0xLjQKJcOkw7w=\r\n--b1--\r\n")
}

func billedClient(t *testing.T, d *daemon.Daemon, id, principal string, amounts ...int64) {
	t.Helper()
	ctx := context.Background()
	c := clients.NewClient(id, "Cliente "+id+" SpA", principal)
	c.BillingEnabled = true
	c.NotifyEmails = []string{"conta-" + principal}
	c.Billing = clients.BillingData{RazonSocial: "Cliente " + id + " SpA", TaxCountry: "CL", TaxID: "76.086.428-5",
		Giro: "Servicios", Domicilio: "Av. Matta 1234", Comuna: "Santiago", Ciudad: "Santiago"}
	if _, err := d.Clients.Add(ctx, c, "test"); err != nil {
		t.Fatal(err)
	}
	for i, a := range amounts {
		if err := d.Billing.AddContract(ctx, billing.Contract{ID: id + "-K" + string(rune('1'+i)), ClientID: id,
			Description: "Hosting", Currency: billing.CLP, Amount: a, Exempt: true, AnchorDay: 16, Start: "2026-01-01", Active: true}); err != nil {
			t.Fatal(err)
		}
	}
}

func unpaidOf(t *testing.T, d *daemon.Daemon, client string) []billing.Invoice {
	t.Helper()
	invs, err := d.Billing.UnpaidOf(context.Background(), client)
	if err != nil {
		t.Fatal(err)
	}
	return invs
}

// A payment mail with a PDF receipt, appended to the payments mailbox,
// becomes a ticket in the payments department holding the report matched
// to the unpaid invoice of that amount; bad confirmations change nothing;
// confirming pays that invoice once (twice: the same payment) and mails
// payment_received to the principal address only. A report matching no
// invoice proposes none, and rejecting it answers the customer.
func TestPaymentReportByMailConfirmedAndRejected(t *testing.T) {
	pagos := testenv.IMAP(t)
	cfg := testConfig(t)
	mb := watched(pagos, "pagos")
	mb.PollInterval = config.Duration(time.Second)
	cfg.Mailboxes = []config.MailboxConfig{mb}
	d, done := start(t, daemon.Options{Config: cfg, Dev: true})
	defer func() { d.Stop(); <-done }()
	ctx := context.Background()
	billedClient(t, d, "C-300", "ana@cliente.cl", 45990, 12000)
	billedClient(t, d, "C-301", "otro@otro.cl", 30000)
	date, _ := scheduler.ParseDate("2026-11-16")
	for ran := 0; ran < 1; {
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
	mine, other := unpaidOf(t, d, "C-300"), unpaidOf(t, d, "C-301")
	if len(mine) != 2 || len(other) != 1 {
		t.Fatalf("unpaid: %d and %d invoices", len(mine), len(other))
	}
	var want int64
	for _, inv := range mine {
		if inv.Total == 45990 {
			want = inv.Number
		}
	}
	agent := tickets.Actor{Email: "agente@turno.test", Name: "Agente", Admin: true}

	pagos.Append(t, "INBOX", paymentMail("pago-1@cliente.cl", "ana@cliente.cl",
		"Hola, les transferí $45.990 desde BancoEstado.\r\nN° de operación: 55012398\r\nFecha: 16/11/2026"))
	r := waitReport(t, d, agent, 100000)
	tk, _, err := d.Tickets.Show(ctx, 100000)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Department != "pagos" || tk.ClientID != "C-300" || r.State != tickets.ReportProposed {
		t.Fatalf("ticket %s/%s, report %s", tk.Department, tk.ClientID, r.State)
	}
	if len(r.Proposed) != 1 || r.Proposed[0] != want || r.Receipt == nil || r.Receipt.Filename != "comprobante.pdf" ||
		*r.Report.Operation != "55012398" || *r.Report.Amount != 45990 {
		t.Fatalf("report %+v, want invoice %d proposed with the receipt", r, want)
	}

	// Bad input: another client's invoice, an unknown one. Nothing changes.
	for _, bad := range [][]int64{{other[0].Number}, {999999}} {
		_, err := d.Tickets.ConfirmPayment(ctx, agent, 100000, tickets.ConfirmInput{Invoices: bad})
		var in *tickets.InputError
		if !errors.As(err, &in) {
			t.Fatalf("confirm with invoices %v: %v, want an input error", bad, err)
		}
	}
	if len(unpaidOf(t, d, "C-300")) != 2 || len(unpaidOf(t, d, "C-301")) != 1 || countPayments(t, d) != 0 {
		t.Fatal("a refused confirmation changed billing")
	}

	first, err := d.Tickets.ConfirmPayment(ctx, agent, 100000, tickets.ConfirmInput{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := d.Tickets.ConfirmPayment(ctx, agent, 100000, tickets.ConfirmInput{})
	if err != nil || again.PaymentID != first.PaymentID || first.State != tickets.ReportConfirmed {
		t.Fatalf("confirm twice: %+v / %+v, %v", first, again, err)
	}
	left := unpaidOf(t, d, "C-300")
	if len(left) != 1 || left[0].Number == want || countPayments(t, d) != 1 {
		t.Fatalf("after confirming: unpaid %+v, %d payments", left, countPayments(t, d))
	}
	received := outboxTo(t, d, "payment_received")
	if len(received) != 1 || len(received[0]) != 1 || received[0][0] != "ana@cliente.cl" {
		t.Fatalf("payment_received went to %v, want the principal address only, once", received)
	}
	if _, err := d.Tickets.RejectPayment(ctx, agent, 100000, "no"); err == nil {
		t.Fatal("a confirmed report was rejected")
	}

	// An amount matching no invoice proposes none; rejecting answers.
	pagos.Append(t, "INBOX", paymentMail("pago-2@cliente.cl", "ana@cliente.cl",
		"Transferí $99.999, operación N° 77001122"))
	r2 := waitReport(t, d, agent, 100001)
	if len(r2.Proposed) != 0 || r2.State != tickets.ReportProposed {
		t.Fatalf("report matching nothing: %+v", r2)
	}
	if _, err := d.Tickets.ConfirmPayment(ctx, agent, 100001, tickets.ConfirmInput{}); err == nil {
		t.Fatal("a report with no invoice was confirmed")
	}
	rj, err := d.Tickets.RejectPayment(ctx, agent, 100001, "El monto no corresponde a ninguna nota de cobro pendiente.")
	if err != nil || rj.State != tickets.ReportRejected {
		t.Fatalf("reject: %+v, %v", rj, err)
	}
	if _, err := d.Tickets.RejectPayment(ctx, agent, 100001, "El monto no corresponde a ninguna nota de cobro pendiente."); err != nil {
		t.Fatalf("reject twice: %v", err)
	}
	var replies int
	_, msgs, err := d.Tickets.Show(ctx, 100001)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Direction == tickets.DirReply {
			replies++
		}
	}
	if replies != 1 || countPayments(t, d) != 1 {
		t.Fatalf("%d replies on the rejected report's ticket, %d payments", replies, countPayments(t, d))
	}
}

func waitReport(t *testing.T, d *daemon.Daemon, a tickets.Actor, n int64) *tickets.PaymentReport {
	t.Helper()
	var r *tickets.PaymentReport
	waitFor(t, "the payment report", func() bool {
		var err error
		r, err = d.Tickets.PaymentReportOf(context.Background(), a, n)
		if err != nil && !errors.Is(err, tickets.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	})
	return r
}

func countPayments(t *testing.T, d *daemon.Daemon) int64 {
	t.Helper()
	n, err := d.Store.DB.Collection("payments").CountDocuments(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// outboxTo lists the recipients of each outbox entry of template.
func outboxTo(t *testing.T, d *daemon.Daemon, template string) [][]string {
	t.Helper()
	cur, err := d.Store.DB.Collection(mailout.OutboxCollection).Find(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var all []mailout.Entry
	if err := cur.All(context.Background(), &all); err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, e := range all {
		if e.Template == template {
			out = append(out, e.To)
		}
	}
	return out
}
