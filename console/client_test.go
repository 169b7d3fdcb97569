package console_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"turno/billing"
	"turno/clients"
	"turno/config"
	"turno/console"
	"turno/mailin"
	"turno/mailin/parse"
	"turno/scheduler"
	"turno/tickets"
)

// receipt is the PDF attached to the payment mail, decoded.
const receipt = "%PDF-1.4\n%\xc3\xa4\xc3\xbc"

func paymentMail(id, from, body string) []byte {
	return []byte("Message-ID: <" + id + ">\r\nFrom: Ana <" + from + ">\r\nTo: pagos@turno.test\r\n" +
		"Subject: Comprobante de transferencia\r\nDate: Mon, 16 Nov 2026 18:00:00 -0300\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		body + "\r\n--b1\r\nContent-Type: application/pdf; name=\"comprobante.pdf\"\r\n" +
		"Content-Disposition: attachment; filename=\"comprobante.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"JVBERi0xLjQKJcOkw7w=\r\n--b1--\r\n")
}

// billingEnv is an env with a payments department (pia works there) and
// a console mounted with billing (the daemon's console is not given it),
// a billed client C-300 with two unpaid invoices and a payment report
// ticket from its principal address with the receipt in the raw store.
type billingEnv struct {
	*env
	ticket int64
	unpaid []billing.Invoice
	want   int64 // the invoice the report matches
}

func newBillingEnv(t *testing.T) *billingEnv {
	e := newEnvWith(t, func(c *config.Config) { c.Departments["pagos"] = config.DepartmentConfig{} })
	e.agent("pia@proveedor.cl", "Pía Vera", "pagos")
	d := e.d
	srv := httptest.NewServer(nil)
	cons, err := console.New(console.Options{DB: d.Store.DB, Agents: d.Agents, Tickets: d.Tickets, Replies: d.Replies,
		Clients: d.Clients, Billing: d.Billing, Departments: []string{"soporte", "ventas", "pagos"}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = cons.Handler()
	t.Cleanup(srv.Close)
	e.base = srv.URL

	ctx := context.Background()
	c := clients.NewClient("C-300", "<b>Hostil & Cía</b> SpA", "ana@cliente.cl")
	c.BillingEnabled = true
	c.SupportTier = "premium"
	c.Billing = clients.BillingData{RazonSocial: "Hostil y Cía SpA", TaxCountry: "CL", TaxID: "76.086.428-5",
		Giro: "Servicios", Domicilio: "Av. Matta 1234", Comuna: "Santiago", Ciudad: "Santiago"}
	if _, err := d.Clients.Add(ctx, c, "test"); err != nil {
		t.Fatal(err)
	}
	if err := d.Clients.AddContact(ctx, "C-300", clients.Contact{Address: "conta@cliente.cl", Name: "<i>Conta</i>",
		Role: clients.RoleBilling}, "test"); err != nil {
		t.Fatal(err)
	}
	for i, a := range []int64{45990, 12000} {
		if err := d.Billing.AddContract(ctx, billing.Contract{ID: fmt.Sprintf("C-300-K%d", i+1), ClientID: "C-300",
			Description: "Hosting <plan>", Currency: billing.CLP, Amount: a, Exempt: true, AnchorDay: 16,
			Start: "2026-01-01", Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	date, _ := scheduler.ParseDate("2026-11-16")
	for ran := false; !ran; {
		err := d.Scheduler.RunNow(ctx, billing.CycleJob, scheduler.Run{Date: date, Out: io.Discard})
		switch {
		case errors.Is(err, scheduler.ErrRunning):
			time.Sleep(20 * time.Millisecond)
		case err != nil:
			t.Fatal(err)
		default:
			ran = true
		}
	}
	be := &billingEnv{env: e}
	if be.unpaid, err = d.Billing.UnpaidOf(ctx, "C-300"); err != nil || len(be.unpaid) != 2 {
		t.Fatalf("unpaid: %v %v", be.unpaid, err)
	}
	for _, inv := range be.unpaid {
		if inv.Total == 45990 {
			be.want = inv.Number
		}
	}
	raw := paymentMail("pago-1@cliente.cl", "ana@cliente.cl",
		"Hola, les transferí $45.990 desde BancoEstado.\r\nN° de operación: 55012398\r\nFecha: 16/11/2026")
	hash := parse.RawHash(raw)
	if _, err := mailin.NewRawStore(d.Store.DB).Put(ctx, hash, int64(len(raw)), bytes.NewReader(raw), time.Now()); err != nil {
		t.Fatal(err)
	}
	m, err := parse.Parse(bytes.NewReader(raw), &parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Tickets.Ingest(ctx, tickets.Incoming{Msg: m, RawHash: hash, RawRef: hash, Mailbox: "pagos", Department: "pagos"})
	if err != nil {
		t.Fatal(err)
	}
	be.ticket = res.Ticket
	return be
}

// TestClientPanelAndPayment: beside a payment report's ticket the agent
// sees the requester's client (escaped), its contracts, unpaid invoices
// and balance, recent tickets and the report; downloads the receipt;
// confirms it once (a second confirmation pays nothing more, a rejection
// after it is refused with what was decided); another department's agent
// gets 404 for the page, the file and the forms.
func TestClientPanelAndPayment(t *testing.T) {
	e := newBillingEnv(t)
	n := e.ticket
	page := fmt.Sprintf("/console/tickets/%d", n)
	e.mail("pagos", "Ana <ana@cliente.cl>", "Otra consulta <x>", "")
	e.mail("soporte", "Ana <ana@cliente.cl>", "Secreto de soporte", "")
	pia := e.loggedIn("pia@proveedor.cl")
	resp, body := pia.get(page)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ticket page: %d", resp.StatusCode)
	}
	for _, want := range []string{
		`id="client-name">&lt;b&gt;Hostil &amp; Cía&lt;/b&gt; SpA`,
		`id="client-taxid">76`, "premium",
		"&lt;i&gt;Conta&lt;/i&gt;", "conta@cliente.cl",
		"Hosting &lt;plan&gt; · $45.990", `id="client-balance">$57.990`,
		`id="payment-state"`, `id="payment-amount">$45.990`, "55012398", `id="confirm-payment"`,
		fmt.Sprintf(`href="/console/tickets/%d/files/0/0" download>comprobante.pdf`, n),
		`id="client-recent"`, "Otra consulta &lt;x&gt;",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("ticket page lacks %q", want)
		}
	}
	if strings.Contains(body, "<b>Hostil") || strings.Contains(body, "<i>Conta") {
		t.Fatal("client data rendered unescaped")
	}
	if strings.Contains(body, "Secreto de soporte") {
		t.Fatal("recent tickets list another department's ticket")
	}

	t.Run("attachment download", func(t *testing.T) {
		resp, got := pia.get(fmt.Sprintf("/console/tickets/%d/files/0/0", n))
		if resp.StatusCode != http.StatusOK || got != receipt {
			t.Fatalf("file: %d %q", resp.StatusCode, got)
		}
		h := resp.Header
		if !strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") || !strings.Contains(h.Get("Content-Disposition"), "comprobante.pdf") ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Type") != "application/octet-stream" {
			t.Fatalf("file headers: %v", h)
		}
		for _, p := range []string{"/files/0/1", "/files/1/0", "/files/x/0"} {
			if resp, _ := pia.get(page + p); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("%s: %d", p, resp.StatusCode)
			}
		}
	})

	t.Run("another department: 404 for page, file and forms", func(t *testing.T) {
		ana := e.loggedIn("ana@proveedor.cl")
		f := ana.fields("/console/queue")
		for _, p := range []string{page, page + "/files/0/0"} {
			if resp, _ := ana.get(p); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("ana GET %s: %d", p, resp.StatusCode)
			}
		}
		for _, a := range []string{"confirm", "reject"} {
			if resp, _ := ana.post(page+"/payment/"+a, with(f, "reason", "no")); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("ana %s: %d", a, resp.StatusCode)
			}
		}
	})

	f := pia.fields(page)
	t.Run("bad input and no CSRF change nothing", func(t *testing.T) {
		if resp, _ := pia.post(page+"/payment/confirm", url.Values{"invoices": {""}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("confirm without csrf: %d", resp.StatusCode)
		}
		resp, body := pia.post(page+"/payment/confirm", with(f, "invoices", "abc"))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="form-error"`) {
			t.Fatalf("bad invoices: %d", resp.StatusCode)
		}
		resp, body = pia.post(page+"/payment/reject", with(f, "reason", "  "))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Escriba el motivo") {
			t.Fatalf("empty reason: %d", resp.StatusCode)
		}
		if r, _ := e.d.Tickets.PaymentReportOf(context.Background(), tickets.Actor{Admin: true}, n); r.State != tickets.ReportProposed {
			t.Fatalf("report %s", r.State)
		}
	})

	t.Run("confirm pays once; a rejection afterwards is refused", func(t *testing.T) {
		for i := 0; i < 2; i++ {
			resp, _ := pia.post(page+"/payment/confirm", with(f, "invoices", ""))
			if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "done=confirm") {
				t.Fatalf("confirm %d: %d %s", i, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
		inv, err := e.d.Billing.InvoiceByNumber(context.Background(), e.want)
		if err != nil || inv.Status == billing.StatusUnpaid || inv.Paid != inv.Total || len(inv.Payments) != 1 {
			t.Fatalf("invoice %d after two confirmations: %+v %v", e.want, inv, err)
		}
		_, body := pia.get(page)
		if !strings.Contains(body, `id="client-balance">$12.000`) || !strings.Contains(body, `id="payment-paid">$45.990`) ||
			strings.Contains(body, `id="confirm-payment"`) {
			t.Fatal("page after confirming: balance, paid line or a confirm form left")
		}
		resp, body := pia.post(page+"/payment/reject", with(f, "reason", "No llegó"))
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "ya lo confirmó Pía Vera") && !strings.Contains(body, "ya lo confirmó pia@proveedor.cl") {
			t.Fatalf("reject after confirm: %d\n%s", resp.StatusCode, body)
		}
	})
}
