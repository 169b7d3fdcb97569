package portal_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"turno/clients"
	"turno/internal/browser"
)

// Files on portal tickets and a contact's own portal access, in a real
// browser on a real --dev daemon: a disguised file is refused beside the
// field, a form over the size limit too (not a 403), two files open a
// ticket and download from its thread; then the customer gives a contact
// "Acceso al portal", the contact gets their own link by mail, sets a
// password, logs in and writes a ticket as themselves. Every state in
// axe-core, screenshotted.
func TestBrowserTicketFilesAndContactAccess(t *testing.T) {
	b := browser.New(t)
	d, base, dir := startDev(t)
	ctx := context.Background()
	const email, contact = "gerencia@vidrios.cl", "soporte.ti@vidrios.cl"
	if _, err := d.Clients.Add(ctx, clients.Client{ID: "C-400", Name: "Vidrios del Sur", Email: email, PersonType: "other",
		Active: true, Mail: clients.MailSwitches{Invoice: true, CollectionNote: true, PaymentConfirmation: true, Ticket: true, Account: true},
		Billing: clients.BillingData{RazonSocial: "Vidrios del Sur SpA", TaxID: "76.086.428-5"}}, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Clients.Password(ctx, "C-400", "test"); err != nil {
		t.Fatal(err)
	}
	setAndLogin := func(link, addr, pw, name string) {
		t.Helper()
		b.Visit(link, name)
		b.Fill("#password", pw)
		b.Fill("#password2", pw)
		b.Submit("button[type=submit]", ".alert.ok")
		b.Fill("#email", addr)
		b.Fill("#password", pw)
		b.Submit("button[type=submit]", "#datos-save")
	}
	setAndLogin(waitLink(t, dir, email), email, "vidrio templado doble", "set-password")

	files := t.TempDir()
	path := func(name string, data []byte) string {
		p := filepath.Join(files, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fake := path("presupuesto.pdf", []byte("<html><script>alert(1)</script></html>"))
	shot := path("vidrio roto.png", pngBytes(t))
	notes := path("medidas.txt", []byte("Ventanal 2,40 x 1,80\n"))
	huge := path("planos.pdf", append([]byte("%PDF-1.4\n"), make([]byte, 13<<20)...))

	b.Visit(base+"/portal/tickets/nuevo", "ticket-nuevo-con-archivos")
	b.Fill("#subject", "Cotización ventanal")
	b.Fill("#text", "Adjunto foto y medidas.")
	b.Do(chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{fake}))
	b.Submit("#ticket-send", "#files-error")
	b.Check("ticket-archivo-invalido")
	if msg := b.Text("#files-error"); !strings.Contains(msg, "presupuesto.pdf") || !strings.Contains(msg, "no es un PDF") {
		t.Fatalf("error beside the files: %q", msg)
	}
	b.Do(chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{huge}))
	// The refused page's error goes first, so only the next page's counts.
	b.Do(chromedp.Evaluate[chromedp.Void](`document.querySelector("#files-error").remove()`))
	b.Submit("#ticket-send", "#files-error")
	b.Check("ticket-envio-demasiado-grande")
	if msg := b.Text("#files-error"); !strings.Contains(msg, "12 MB") {
		t.Fatalf("error beside the files for an over-size form: %q", msg)
	}
	if ts, _ := d.Tickets.ClientTickets(ctx, "C-400", 10); len(ts) != 0 {
		t.Fatalf("refused forms opened %d tickets", len(ts))
	}
	b.Fill("#subject", "Cotización ventanal")
	b.Fill("#text", "Adjunto foto y medidas.")
	b.Do(chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{shot, notes}))
	b.Submit("#ticket-send", "#ticket-notice")
	b.Check("ticket-con-archivos")
	if n := browser.Get(b, chromedp.Evaluate[int](`document.querySelectorAll("ul.files a[download]").length`)); n != 2 {
		t.Fatalf("%d file links on the thread", n)
	}
	got := browser.Get(b, chromedp.Evaluate[string](`fetch(document.querySelectorAll("ul.files a")[1].getAttribute("href")).then(async r =>
		r.status + "|" + r.headers.get("content-type") + "|" + r.headers.get("content-disposition") + "|" + await r.text())`, chromedp.EvalAwaitPromise))
	if parts := strings.Split(got, "|"); len(parts) != 4 || parts[0] != "200" || parts[1] != "text/plain" ||
		!strings.HasPrefix(parts[2], "attachment;") || parts[3] != "Ventanal 2,40 x 1,80\n" {
		t.Fatalf("file download: %q", got)
	}

	b.Visit(base+"/portal/contactos", "contactos-acceso")
	b.Fill("#address", contact)
	b.Fill("#name", "Rodrigo TI")
	b.Do(chromedp.Click(chromedp.CSS("input[name=role][value=technical]")))
	b.Do(chromedp.Click(chromedp.CSS("#portal")))
	b.Submit("#contact-save", "#contact-notice")
	b.Check("contacto-con-acceso")
	if s := b.Text("#contact-notice"); !strings.Contains(s, "enlace") {
		t.Fatalf("notice %q", s)
	}
	b.Submit("nav form button", "form[action='/portal/login']") // Contactos has an .alert.ok too
	setAndLogin(waitLink(t, dir, contact), contact, "rodrigo elige su frase", "set-password-contacto")
	b.Check("contacto-mis-datos")
	b.Visit(base+"/portal/tickets/nuevo", "contacto-ticket-nuevo")
	b.Fill("#subject", "Acceso VPN")
	b.Fill("#text", "No puedo conectarme.")
	b.Submit("#ticket-send", "#ticket-notice")
	b.Check("contacto-ticket-abierto")
	if from := b.Text("ol.thread li .msg-head strong"); from != "Rodrigo TI" {
		t.Fatalf("the contact's ticket is written by %q", from)
	}
}
