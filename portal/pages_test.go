package portal_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"turno/billing"
	"turno/clients"
	"turno/scheduler"
	"turno/tickets"
)

var santiago, _ = time.LoadLocation("America/Santiago")

func today() scheduler.Date { return scheduler.DateOf(time.Now(), santiago) }

// heldClient is a logged-in client with incomplete billing data whose
// contract billing held today.
func (r *rig) heldClient(id, email string) *client {
	r.t.Helper()
	ctx := context.Background()
	b := r.loggedIn(id, "Ferretería "+id, email, "caballo correcto batería")
	if _, err := r.reg.Edit(ctx, id, "test", func(c *clients.Client) error {
		c.BillingEnabled = true
		c.Billing = clients.BillingData{RazonSocial: "Ferretería " + id + " SpA"}
		return nil
	}); err != nil {
		r.t.Fatal(err)
	}
	r.contract(id)
	r.cycle()
	if hs, err := r.bil.Holds(ctx, id); err != nil || len(hs) != 1 {
		r.t.Fatalf("holds of %s: %v %v", id, hs, err)
	}
	return b
}

func (r *rig) contract(clientID string) {
	r.t.Helper()
	if err := r.bil.AddContract(context.Background(), billing.Contract{ID: "K-" + clientID, ClientID: clientID,
		Description: "Hosting Pyme", Currency: billing.CLP, Amount: 45990, AnchorDay: today().Day, Start: "2020-01-01"}); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) cycle() {
	r.t.Helper()
	if _, err := r.bil.Cycle(context.Background(), scheduler.Run{Date: today()}); err != nil {
		r.t.Fatal(err)
	}
}

// completeClient is a logged-in client with complete data and an issued invoice.
func (r *rig) billedClient(id, email string) *client {
	r.t.Helper()
	b := r.loggedIn(id, "Empresa "+id, email, "caballo correcto batería")
	if _, err := r.reg.Edit(context.Background(), id, "test", func(c *clients.Client) error {
		c.BillingEnabled = true
		c.Billing = clients.BillingData{RazonSocial: "Empresa " + id + " SpA", TaxID: "76.086.428-5", Giro: "Comercio",
			Domicilio: "Av. Providencia 1234", Comuna: "Providencia", Ciudad: "Santiago"}
		return nil
	}); err != nil {
		r.t.Fatal(err)
	}
	r.contract(id)
	return b
}

func datosForm(csrf, rut string) url.Values {
	return url.Values{"csrf": {csrf}, "name": {"Ferretería Uno"}, "razon_social": {"Ferretería Uno SpA"}, "tax_id": {rut},
		"giro": {"Venta de artículos de ferretería"}, "domicilio": {"Av. Italia 1234"}, "b_comuna": {"Ñuñoa"}, "b_ciudad": {"Santiago"}}
}

func (r *rig) mailsTo(addr, template string) int {
	n := 0
	for _, e := range r.accessMails(addr) {
		if e.Template == template {
			n++
		}
	}
	return n
}

// A wrong RUT is refused beside its field in Spanish and changes nothing;
// the right one saves, and the client's held period is issued and mailed
// at once.
func TestMisDatosWrongRUTThenRightReleasesHeldInvoice(t *testing.T) {
	r := newRig(t)
	b := r.heldClient("C-1", "uno@example.cl")
	ctx := context.Background()
	tok := b.csrf("/portal/datos")

	resp, body := b.post("/portal/datos", datosForm(tok, "76.086.428-4"))
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("wrong RUT: %d", resp.StatusCode)
	}
	m := regexp.MustCompile(`<p class="field-error" id="tax_id-error">([^<]+)</p>`).FindStringSubmatch(body)
	if m == nil || !strings.Contains(m[1], "no es válido") {
		t.Fatalf("no Spanish error beside the RUT field:\n%s", body)
	}
	if !strings.Contains(body, `aria-describedby="tax_id-error"`) || !strings.Contains(body, `value="76.086.428-4"`) {
		t.Fatal("the RUT field does not point at its error or lost what was typed")
	}
	c, _ := r.reg.Get(ctx, "C-1")
	if c.Billing.TaxID != "" || c.Billing.Giro != "" || c.Name != "Ferretería C-1" {
		t.Fatalf("a refused form changed the client: %+v", c.Billing)
	}
	if invs, _, _ := r.bil.ClientInvoices(ctx, "C-1"); len(invs) != 0 {
		t.Fatalf("invoices after a refused form: %d", len(invs))
	}

	// English: the same error in English.
	_, body = b.post("/portal/datos?lang=en", datosForm(tok, "76.086.428-4"))
	if !strings.Contains(body, "is not valid") {
		t.Fatalf("no English error:\n%s", body)
	}
	b.get("/portal/datos?lang=es")

	resp, body = b.post("/portal/datos", datosForm(tok, "76086428-5"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="datos-released"`) || !strings.Contains(body, "Ya emitimos 1 documento") {
		t.Fatalf("right RUT: %d\n%s", resp.StatusCode, body)
	}
	c, _ = r.reg.Get(ctx, "C-1")
	if c.Billing.TaxID != "76086428-5" || c.Billing.Giro == "" || c.Name != "Ferretería Uno" {
		t.Fatalf("saved %+v", c)
	}
	invs, owed, err := r.bil.ClientInvoices(ctx, "C-1")
	if err != nil || len(invs) != 1 || invs[0].Number == 0 || owed != invs[0].Total || invs[0].Billing.TaxID != "76086428-5" {
		t.Fatalf("after completing: %+v owed %d %v", invs, owed, err)
	}
	if n := r.mailsTo("uno@example.cl", "invoice_issued"); n != 1 {
		t.Fatalf("invoice_issued mails to the principal: %d", n)
	}
	if hs, _ := r.bil.Holds(ctx, "C-1"); len(hs) != 0 {
		t.Fatalf("holds left open: %v", hs)
	}
	// Saving again issues nothing more.
	if _, body := b.post("/portal/datos", datosForm(tok, "76086428-5")); strings.Contains(body, "datos-released") {
		t.Fatal("a second save released again")
	}
	if n := r.mailsTo("uno@example.cl", "invoice_issued"); n != 1 {
		t.Fatalf("invoice_issued mails after a second save: %d", n)
	}
}

func TestMisDatosRefusesBlankRequiredFieldsAndCSRFLessForm(t *testing.T) {
	r := newRig(t)
	b := r.loggedIn("C-1", "Uno", "uno@example.cl", "caballo correcto batería")
	tok := b.csrf("/portal/datos")
	f := datosForm(tok, "76.086.428-5")
	f.Set("giro", "  ")
	f.Set("name", "")
	resp, body := b.post("/portal/datos", f)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="giro-error"`) || !strings.Contains(body, `id="name-error"`) {
		t.Fatalf("blank giro and name: %d\n%s", resp.StatusCode, body)
	}
	f = datosForm("", "76.086.428-5")
	f.Del("csrf")
	if resp, _ := b.post("/portal/datos", f); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("without CSRF: %d", resp.StatusCode)
	}
	c, _ := r.reg.Get(context.Background(), "C-1")
	if c.Billing.TaxID != "" || c.Name != "Uno" {
		t.Fatalf("changed: %+v", c)
	}
}

var numRe = regexp.MustCompile(`id="invoice-(\d+)"`)

func TestFacturasListsOwnInvoicesAndServesOnlyOwnPDF(t *testing.T) {
	r := newRig(t)
	a := r.billedClient("C-1", "uno@example.cl")
	r.billedClient("C-2", "dos@example.cl")
	r.cycle()
	ctx := context.Background()
	mine, owed, _ := r.bil.ClientInvoices(ctx, "C-1")
	theirs, _, _ := r.bil.ClientInvoices(ctx, "C-2")
	if len(mine) != 1 || len(theirs) != 1 {
		t.Fatalf("invoices: %d and %d", len(mine), len(theirs))
	}
	resp, body := a.get("/portal/facturas")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("facturas: %d", resp.StatusCode)
	}
	got := numRe.FindAllStringSubmatch(body, -1)
	if len(got) != 1 || got[0][1] != fmt.Sprint(mine[0].Number) {
		t.Fatalf("listed %v, want only %d", got, mine[0].Number)
	}
	if !strings.Contains(body, "$54.728") || owed != 54728 {
		t.Fatalf("total owed not shown (%d):\n%s", owed, body)
	}
	resp, pdf := a.get(fmt.Sprintf("/portal/facturas/%d.pdf", mine[0].Number))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") || !strings.HasPrefix(pdf, "%PDF") {
		t.Fatalf("own PDF: %d %v", resp.StatusCode, resp.Header)
	}
	for _, p := range []string{fmt.Sprintf("/portal/facturas/%d.pdf", theirs[0].Number), "/portal/facturas/999.pdf",
		"/portal/facturas/0.pdf", "/portal/facturas/abc", fmt.Sprintf("/portal/facturas/%d", mine[0].Number)} {
		if resp, body := a.get(p); resp.StatusCode != http.StatusNotFound || strings.HasPrefix(body, "%PDF") {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
	}
	// Paid invoices move to the paid list and the total drops.
	if _, err := r.bil.Pay(ctx, billing.PaymentRequest{Numbers: []int64{mine[0].Number}, Amount: mine[0].Total, Method: "transfer", Reference: "op-1", Date: today()}); err != nil {
		t.Fatal(err)
	}
	_, body = a.get("/portal/facturas")
	if !strings.Contains(body, "No tiene documentos pendientes de pago") || !strings.Contains(body, "Pagada") {
		t.Fatalf("after payment:\n%s", body)
	}
}

var contactLinkRe = regexp.MustCompile(`href="/portal/contactos/([0-9a-f]+)"`)

func TestContactosAddEditRemoveScopedToClient(t *testing.T) {
	r := newRig(t)
	a := r.loggedIn("C-1", "Uno", "uno@example.cl", "caballo correcto batería")
	b := r.loggedIn("C-2", "Dos", "dos@example.cl", "caballo correcto batería")
	ctx := context.Background()
	tok := a.csrf("/portal/contactos")
	resp, body := a.post("/portal/contactos", url.Values{"csrf": {tok}, "address": {"no es correo"}, "role": {"billing"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="address-error"`) {
		t.Fatalf("bad address: %d", resp.StatusCode)
	}
	resp, body = a.post("/portal/contactos", url.Values{"csrf": {tok}, "address": {"uno@example.cl"}, "role": {"billing"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "dirección principal") {
		t.Fatalf("principal as contact: %d", resp.StatusCode)
	}
	if resp, _ := a.post("/portal/contactos", url.Values{"csrf": {tok}, "address": {"Conta@Example.cl"}, "name": {"<i>Conta</i>"}, "role": {"billing"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: %d", resp.StatusCode)
	}
	if addr, _ := r.reg.BillingAddress(ctx, "C-1"); addr != "conta@example.cl" {
		t.Fatalf("billing address %q", addr)
	}
	_, body = a.get("/portal/contactos")
	if strings.Contains(body, "<i>Conta</i>") || !strings.Contains(body, "&lt;i&gt;Conta&lt;/i&gt;") {
		t.Fatal("contact name not escaped")
	}
	ids := contactLinkRe.FindAllStringSubmatch(body, -1)
	if len(ids) != 1 {
		t.Fatalf("edit links %v", ids)
	}
	id := ids[0][1]
	// The other client cannot see, edit or remove it.
	btok := b.csrf("/portal/contactos")
	if resp, _ := b.get("/portal/contactos/" + id); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("other client's contact: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/portal/contactos/"+id, url.Values{"csrf": {btok}, "address": {"x@example.cl"}, "role": {"technical"}}); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("edit other client's contact: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/portal/contactos/"+id+"/eliminar", url.Values{"csrf": {btok}}); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("remove other client's contact: %d", resp.StatusCode)
	}
	// Edit: becomes technical with a new address, in one write.
	if resp, _ := a.post("/portal/contactos/"+id, url.Values{"csrf": {tok}, "address": {"tec@example.cl"}, "name": {"Tec"}, "role": {"technical"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", resp.StatusCode)
	}
	cs, _ := r.reg.Contacts(ctx, "C-1")
	if len(cs) != 2 || cs[1].Address != "tec@example.cl" || cs[1].Role != clients.RoleTechnical {
		t.Fatalf("contacts %+v", cs)
	}
	if addr, _ := r.reg.BillingAddress(ctx, "C-1"); addr != "uno@example.cl" {
		t.Fatalf("billing address after edit %q", addr)
	}
	_, body = a.get("/portal/contactos")
	id = contactLinkRe.FindStringSubmatch(body)[1]
	if resp, _ := a.post("/portal/contactos/"+id+"/eliminar", url.Values{"csrf": {tok}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", resp.StatusCode)
	}
	if cs, _ := r.reg.Contacts(ctx, "C-1"); len(cs) != 1 {
		t.Fatalf("after remove %+v", cs)
	}
	if cs, _ := r.reg.Contacts(ctx, "C-2"); len(cs) != 1 {
		t.Fatalf("other client changed %+v", cs)
	}
}

var ticketLinkRe = regexp.MustCompile(`href="/portal/tickets/(\d+)"`)

func TestTicketsOpenReplyEscapedScopedAndWithoutNotes(t *testing.T) {
	r := newRig(t)
	a := r.loggedIn("C-1", "Uno", "uno@example.cl", "caballo correcto batería")
	b := r.loggedIn("C-2", "Dos", "dos@example.cl", "caballo correcto batería")
	ctx := context.Background()
	tok := a.csrf("/portal/tickets/nuevo")
	_, page := a.get("/portal/tickets/nuevo")
	nonce := regexp.MustCompile(`name="nonce" value="([0-9a-f]+)"`).FindStringSubmatch(page)[1]
	form := url.Values{"csrf": {tok}, "nonce": {nonce}, "department": {"soporte"}, "subject": {"<script>alert(1)</script>"}, "text": {"No funciona el correo.\nGracias."}}
	if resp, _ := a.post("/portal/tickets", url.Values{"csrf": {tok}, "nonce": {nonce}, "department": {"ventas-secretas"}, "subject": {"x"}, "text": {"y"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("unknown department: %d", resp.StatusCode)
	}
	resp, _ := a.post("/portal/tickets", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("open: %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	// The same form again (a double click) is the same ticket.
	if resp2, _ := a.post("/portal/tickets", form); resp2.Header.Get("Location") != loc {
		t.Fatalf("resubmitted form: %s, first %s", resp2.Header.Get("Location"), loc)
	}
	_, body := a.get("/portal/tickets")
	nums := ticketLinkRe.FindAllStringSubmatch(body, -1)
	if len(nums) != 1 {
		t.Fatalf("tickets listed: %v", nums)
	}
	var n int64
	fmt.Sscan(nums[0][1], &n)
	tk, _, err := r.tk.Show(ctx, n)
	if err != nil || tk.Channel != tickets.ChannelPortal || tk.ClientID != "C-1" || tk.Department != "soporte" {
		t.Fatalf("ticket %+v %v", tk, err)
	}
	if strings.Contains(body, "<script>alert(1)</script>") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatal("subject not shown as text in the list")
	}
	// An internal note never reaches the customer.
	if _, err := r.tk.Note(ctx, tickets.Actor{Email: "ana@proveedor.cl", Name: "Ana", Admin: true}, n, tickets.NoteInput{Key: "n1", Text: "NOTA INTERNA: cliente moroso"}); err != nil {
		t.Fatal(err)
	}
	atok := a.csrf(loc)
	if resp, _ := a.post(fmt.Sprintf("/portal/tickets/%d", n), url.Values{"csrf": {atok}, "nonce": {"r1"}, "text": {"Sigue sin funcionar."}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply: %d", resp.StatusCode)
	}
	_, body = a.get(fmt.Sprintf("/portal/tickets/%d", n))
	if strings.Contains(body, "NOTA INTERNA") || !strings.Contains(body, "No funciona el correo.") || !strings.Contains(body, "Sigue sin funcionar.") {
		t.Fatalf("thread:\n%s", body)
	}
	if strings.Contains(body, "<script>alert(1)</script>") {
		t.Fatal("subject unescaped on the ticket page")
	}
	_, msgs, _ := r.tk.Show(ctx, n)
	if len(msgs) != 3 {
		t.Fatalf("messages on the ticket: %d", len(msgs))
	}
	// The other client: 404 for the page and the reply, and an empty list.
	btok := b.csrf("/portal/tickets")
	if resp, _ := b.get(fmt.Sprintf("/portal/tickets/%d", n)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("other client's ticket: %d", resp.StatusCode)
	}
	if resp, _ := b.post(fmt.Sprintf("/portal/tickets/%d", n), url.Values{"csrf": {btok}, "nonce": {"x"}, "text": {"intruso"}}); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("reply to other client's ticket: %d", resp.StatusCode)
	}
	if _, body := b.get("/portal/tickets"); ticketLinkRe.MatchString(body) {
		t.Fatal("the other client lists the ticket")
	}
	if _, msgs, _ := r.tk.Show(ctx, n); len(msgs) != 3 {
		t.Fatalf("a refused reply was stored: %d messages", len(msgs))
	}
}
