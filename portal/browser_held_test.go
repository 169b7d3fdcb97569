package portal_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/billing"
	"turno/clients"
	"turno/daemon"
	"turno/internal/browser"
	"turno/mailout"
	"turno/scheduler"
	"turno/tickets"
)

// The loop the portal closes, in a real browser on a real --dev daemon: a
// client held in a billing cycle for incomplete data sets a password,
// logs in, enters a wrong RUT (the Spanish error beside the field), then
// the right one: the held invoice is issued and mailed, is listed under
// Facturas and its PDF downloads; then a ticket, a contact, and every page
// in axe-core, screenshotted.
func TestBrowserHeldClientCompletesDataAndSeesInvoice(t *testing.T) {
	b := browser.New(t)
	d, base, dir := startDev(t)
	ctx := context.Background()
	const email = "admin@panaderia.cl"
	if _, err := d.Clients.Add(ctx, clients.Client{ID: "C-300", Name: "Panadería La Espiga", Email: email,
		PersonType: "other", Active: true, BillingEnabled: true, Comuna: "Ñuñoa", Ciudad: "Santiago",
		Mail:    clients.MailSwitches{Invoice: true, CollectionNote: true, PaymentConfirmation: true, Ticket: true, Account: true},
		Billing: clients.BillingData{RazonSocial: "Panadería La Espiga Limitada"}}, "test"); err != nil {
		t.Fatal(err)
	}
	day := scheduler.DateOf(time.Now(), santiago)
	if err := d.Billing.AddContract(ctx, billing.Contract{ID: "K-300", ClientID: "C-300", Description: "Internet Fibra 600",
		Currency: billing.CLP, Amount: 29990, AnchorDay: day.Day, Start: "2020-01-01"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Billing.Cycle(ctx, scheduler.Run{Date: day}); err != nil {
		t.Fatal(err)
	}
	if hs, err := d.Billing.Holds(ctx, "C-300"); err != nil || len(hs) != 1 {
		t.Fatalf("held: %v %v", hs, err)
	}
	// The billing-data request reached the client, saying what is missing.
	request := devMailText(t, dir, email, "Complete sus datos de facturación")
	for _, want := range []string{"RUT", "giro"} {
		if !strings.Contains(request, want) {
			t.Fatalf("the billing-data request does not mention %s:\n%s", want, request)
		}
	}
	if _, err := d.Clients.Password(ctx, "C-300", "test"); err != nil {
		t.Fatal(err)
	}
	b.Visit(waitLink(t, dir, email), "set-password")
	b.Fill("#password", "harina trigo levadura sal")
	b.Fill("#password2", "harina trigo levadura sal")
	b.Submit("button[type=submit]", ".alert.ok")
	b.Fill("#email", email)
	b.Fill("#password", "harina trigo levadura sal")
	b.Submit("button[type=submit]", "#datos-save")
	b.Check("mis-datos-incompletos")
	// Its link leads to Mis datos on this portal.
	link := urlRe.FindString(request)
	if link == "" {
		t.Fatalf("the billing-data request has no link to Mis datos:\n%s", request)
	}
	b.Visit(link, "mis-datos-desde-correo")
	if loc := b.Location(); !strings.HasPrefix(loc, base+"/portal/datos") {
		t.Fatalf("the request's link %s led to %s", link, loc)
	}

	fill := func(sel, v string) {
		t.Helper()
		b.Do(chromedp.Clear(chromedp.CSS(sel)))
		b.Fill(sel, v)
	}
	fill("#tax_id", "76.086.428-4")
	fill("#giro", "Elaboración de pan")
	fill("#domicilio", "Av. Irarrázaval 2450")
	fill("#b_comuna", "Ñuñoa")
	fill("#b_ciudad", "Santiago")
	// #datos-invalid, not #tax_id-error: the incomplete page already shows
	// that error (the RUT is missing), and waiting for it raced the POST.
	b.Submit("#datos-save", "#datos-invalid")
	b.Check("rut-incorrecto")
	if msg := b.Text("#tax_id-error"); !strings.Contains(msg, "no es válido") {
		t.Fatalf("error beside the RUT: %q", msg)
	}
	fill("#tax_id", "76.086.428-5")
	b.Submit("#datos-save", "#datos-released")
	b.Check("datos-completos-documento-emitido")

	invs, owed, err := d.Billing.ClientInvoices(ctx, "C-300")
	if err != nil || len(invs) != 1 || invs[0].Number == 0 || owed == 0 {
		t.Fatalf("issued: %+v %d %v", invs, owed, err)
	}
	waitMail(t, d.Store.DB.Collection(mailout.OutboxCollection), email, "invoice_issued")

	b.Visit(base+"/portal/facturas", "facturas")
	pdfHref := browser.Get(b, chromedp.Evaluate[string](`document.querySelector("a.pdf").getAttribute("href")`))
	got := browser.Get(b, chromedp.Evaluate[string](`fetch(`+"`"+pdfHref+"`"+`).then(async r => r.status + "|" + r.headers.get("content-type") + "|" +
		r.headers.get("content-disposition") + "|" + new TextDecoder().decode((await r.arrayBuffer()).slice(0, 4)))`, chromedp.EvalAwaitPromise))
	if parts := strings.Split(got, "|"); len(parts) != 4 || parts[0] != "200" || parts[1] != "application/pdf" ||
		!strings.HasPrefix(parts[2], "attachment;") || parts[3] != "%PDF" {
		t.Fatalf("PDF download: %s", got)
	}

	b.Visit(base+"/portal/tickets", "tickets-vacio")
	b.Submit("#ticket-new", "#ticket-send")
	b.Check("ticket-nuevo")
	b.Fill("#subject", "<b>Sin conexión</b> desde ayer")
	b.Fill("#text", "La fibra no tiene luz desde ayer a las 20:00.\nGracias.")
	b.Submit("#ticket-send", "#ticket-notice")
	b.Check("ticket-abierto")
	if s := b.Text("#ticket-subject"); s != "<b>Sin conexión</b> desde ayer" {
		t.Fatalf("ticket subject shown as %q", s)
	}
	b.Fill("#text", "Ya reinicié el equipo.")
	b.Submit("#reply-send", "ol.thread li:nth-child(2)")
	b.Check("ticket-respondido")
	if got := b.Text("ol.thread li:nth-child(2) .msg-text"); got != "Ya reinicié el equipo." {
		t.Fatalf("the reply shows %q", got)
	}
	b.Visit(base+"/portal/tickets", "tickets")

	b.Visit(base+"/portal/contactos", "contactos")
	b.Fill("#address", "contabilidad@panaderia.cl")
	b.Fill("#name", "Marta Contadora")
	b.Submit("#contact-save", "#contact-notice")
	b.Check("contacto-agregado")
	if addr, _ := d.Clients.BillingAddress(ctx, "C-300"); addr != "contabilidad@panaderia.cl" {
		t.Fatalf("billing contact %q", addr)
	}
	b.Visit(base+"/portal/facturas?lang=en", "invoices-en")
	b.Visit(base+"/portal/datos", "mis-datos-en")
	b.Visit(base+"/portal/datos?lang=es", "mis-datos-final")

	reportAndConfirmPayment(t, b, d, base, dir, email, invs[0].Number, owed)
}

// reportAndConfirmPayment: the customer reports the invoice's payment with
// a receipt (a disguised file first, refused beside its field) → the
// ticket is in the payments department holding the report matched to the
// invoice → the dev agent confirms it → Facturas shows it paid, and
// payment_received went to the principal address only (not the billing
// contact), through dev-mail. Phone-width screenshots of Facturas and
// Reportar pago on the way.
func reportAndConfirmPayment(t *testing.T, b *browser.Browser, d *daemon.Daemon, base, dir, email string, number, owed int64) {
	t.Helper()
	ctx := context.Background()
	files := t.TempDir()
	fake, receipt := filepath.Join(files, "comprobante.pdf"), filepath.Join(files, "comprobante-transferencia.png")
	if err := os.WriteFile(fake, []byte("<html><script>alert(1)</script></html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(receipt, pngBytes(t), 0o644); err != nil {
		t.Fatal(err)
	}
	b.Do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	b.Visit(base+"/portal/facturas", "facturas-telefono")
	b.Submit("#pay-report", "#pay-send")
	b.Check("reportar-pago-telefono")
	b.Do(chromedp.EmulateViewport(1280, 900)) // the desktop again
	b.Visit(base+"/portal/pago", "reportar-pago")
	if !browser.Get(b, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector("#invoice-%d").checked`, number))) {
		t.Fatal("the only unpaid invoice is not preselected")
	}
	if got := browser.Get(b, chromedp.Value(chromedp.CSS("#amount"))); got != tickets.Pesos(owed)[1:] {
		t.Fatalf("the amount is not prefilled with what the one invoice owes: %q", got)
	}
	b.Do(chromedp.SetValue(chromedp.CSS("#bank"), "Santander"))
	b.Fill("#operation", "98765432")
	b.Do(chromedp.SetUploadFiles(chromedp.CSS("#receipt"), []string{fake}))
	b.Submit("#pay-send", "#receipt-error")
	b.Check("reportar-pago-comprobante-invalido")
	if msg := b.Text("#receipt-error"); !strings.Contains(msg, "no es un PDF, JPG o PNG") {
		t.Fatalf("error beside the receipt: %q", msg)
	}
	if ts, _ := d.Tickets.ClientTickets(ctx, "C-300", 10); len(ts) != 1 { // the support ticket only
		t.Fatalf("a refused report opened a ticket: %d tickets", len(ts))
	}
	b.Do(chromedp.SetUploadFiles(chromedp.CSS("#receipt"), []string{receipt}))
	b.Submit("#pay-send", "#payment-report")
	b.Check("pago-reportado")
	loc := b.Location()
	m := regexp.MustCompile(`/portal/tickets/(\d+)\?n=reported$`).FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("after the report at %s", loc)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	agent, err := d.Agents.Actor(ctx, daemon.DevAgent)
	if err != nil {
		t.Fatal(err)
	}
	tk, _, err := d.Tickets.Show(ctx, n)
	if err != nil || tk.Department != tickets.DefaultPaymentsDepartment || tk.Channel != tickets.ChannelPortal {
		t.Fatalf("the report's ticket: %+v %v", tk, err)
	}
	rep, err := d.Tickets.PaymentReportOf(ctx, agent, n)
	if err != nil || len(rep.Proposed) != 1 || rep.Proposed[0] != number || *rep.Report.Amount != owed || rep.Receipt == nil ||
		rep.Receipt.ContentType != "image/png" {
		t.Fatalf("the report: %+v %v", rep, err)
	}
	got := browser.Get(b, chromedp.Evaluate[string](`fetch(document.querySelector("#report-receipt").getAttribute("href")).then(r =>
		r.status + "|" + r.headers.get("content-type") + "|" + r.headers.get("content-disposition"))`, chromedp.EvalAwaitPromise))
	if parts := strings.Split(got, "|"); len(parts) != 3 || parts[0] != "200" || parts[1] != "image/png" || !strings.HasPrefix(parts[2], "attachment;") {
		t.Fatalf("receipt download: %s", got)
	}

	if _, err := d.Tickets.ConfirmPayment(ctx, agent, n, tickets.ConfirmInput{}); err != nil {
		t.Fatal(err)
	}
	b.Visit(base+"/portal/facturas", "facturas-pagada")
	if s := b.Text(fmt.Sprintf("#invoice-%d .badge", number)); s != "Pagada" {
		t.Fatalf("invoice %d shows %q", number, s)
	}
	if s := b.Text("#owed"); !strings.Contains(s, "No tiene documentos pendientes") {
		t.Fatalf("owed: %q", s)
	}
	b.Visit(fmt.Sprintf("%s/portal/tickets/%d", base, n), "pago-confirmado")
	if s := b.Text("#report-state"); s != "Confirmado" {
		t.Fatalf("report state %q", s)
	}
	outbox := d.Store.DB.Collection(mailout.OutboxCollection)
	waitMail(t, outbox, email, "payment_received")
	if n, _ := outbox.CountDocuments(ctx, bson.D{{Key: "template", Value: "payment_received"}}); n != 1 {
		t.Fatalf("%d payment_received mails queued", n)
	}
	to := waitDevMail(t, dir, "Recibimos su pago")
	if len(to) != 1 || to[0] != email {
		t.Fatalf("payment_received went to %v", to)
	}
}

// waitMail waits for an outbox entry of template to addr.
func waitMail(t *testing.T, coll *mongo.Collection, addr, template string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		n, err := coll.CountDocuments(context.Background(), bson.D{{Key: "to", Value: addr}, {Key: "template", Value: template}})
		if err == nil && n > 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no %s mail to %s", template, addr)
}
