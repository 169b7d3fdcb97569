package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"turno/billing"
	"turno/clients"
)

// portalToken makes a portal token acting for client id.
func (e *env) portalToken(id string) string {
	e.t.Helper()
	tok, _, err := e.d.Agents.CreatePortalToken(context.Background(), id, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// portalValidator checks real responses against the served document.
func (e *env) portalValidator() func(method, path, token string, body any) resp {
	e.t.Helper()
	_, doc := e.routes()
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		e.t.Fatal(err)
	}
	v, errs := validator.NewValidator(d)
	if len(errs) > 0 {
		e.t.Fatal(errs)
	}
	return func(method, path, token string, body any) resp {
		e.t.Helper()
		var j []byte
		if body != nil {
			j, _ = json.Marshal(body)
		}
		req, _ := http.NewRequest(method, e.base+path, bytes.NewReader(j))
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+token)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			e.t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(b))
		req.Body = io.NopCloser(bytes.NewReader(j))
		req.URL.Host, req.URL.Scheme = "", ""
		if ok, verrs := v.ValidateHttpResponse(req, r); !ok {
			for _, ve := range verrs {
				e.t.Errorf("%s %s → %d: %s: %s %v", method, path, r.StatusCode, ve.Message, ve.Reason, ve.SchemaValidationErrors)
			}
		}
		return resp{code: r.StatusCode, header: r.Header, body: b}
	}
}

// A portal token works the portal routes for its own client only: its
// record, documents and tickets; another client's are 404; public
// messages only; bad input is 400 and changes nothing.
func TestPortalRoutes(t *testing.T) {
	e := newEnv(t)
	e.billed("C1", "uno@cliente.cl", 10000)
	e.billed("C2", "dos@cliente.cl", 20000)
	nums := e.cycle("C1", "C2")
	one, two := e.portalToken("C1"), e.portalToken("C2")
	do := e.portalValidator()

	var me struct {
		ID      string
		Email   string
		Record  struct{ Name string }
		Missing []any
	}
	r := do("GET", "/api/v1/portal/me", one, nil)
	if r.code != 200 {
		t.Fatalf("me: %d %s", r.code, r.body)
	}
	r.json(t, &me)
	if me.ID != "C1" || me.Email != "uno@cliente.cl" || len(me.Missing) != 0 {
		t.Errorf("me: %+v", me)
	}

	var invs struct {
		Owed         int64
		Unpaid, Paid []struct{ Number, Balance int64 }
	}
	r = do("GET", "/api/v1/portal/invoices", one, nil)
	r.json(t, &invs)
	if r.code != 200 || invs.Owed != 10000 || len(invs.Unpaid) != 1 || invs.Unpaid[0].Number != nums["C1"] || len(invs.Paid) != 0 {
		t.Errorf("invoices: %d %s", r.code, r.body)
	}
	r = do("GET", fmt.Sprintf("/api/v1/portal/invoices/%d/pdf", nums["C1"]), one, nil)
	if r.code != 200 || r.header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(r.body, []byte("%PDF")) {
		t.Errorf("pdf: %d %s %.40q", r.code, r.header.Get("Content-Type"), r.body)
	}
	if r = do("GET", fmt.Sprintf("/api/v1/portal/invoices/%d/pdf", nums["C2"]), one, nil); r.code != 404 {
		t.Errorf("another client's pdf: %d %s", r.code, r.body)
	}

	// Open, list, show, reply.
	r = do("POST", "/api/v1/portal/tickets", one, map[string]any{"department": "soporte", "subject": "No funciona", "text": "El correo no llega."})
	var opened struct{ Number int64 }
	r.json(t, &opened)
	if r.code != 201 || opened.Number == 0 {
		t.Fatalf("open: %d %s", r.code, r.body)
	}
	n := opened.Number
	if th := e.thread(n); th.Ticket.ClientID != "C1" || th.Ticket.Channel != "portal" {
		t.Errorf("opened ticket: client %q channel %q", th.Ticket.ClientID, th.Ticket.Channel)
	}
	note := e.do("POST", fmt.Sprintf("/api/v1/tickets/%d/notes", n), e.admin, map[string]any{"text": "nota interna secreta"},
		"Idempotency-Key", "pn-1")
	if note.code != 201 {
		t.Fatalf("note: %d %s", note.code, note.body)
	}
	var list struct{ Tickets []struct{ Number int64 } }
	r = do("GET", "/api/v1/portal/tickets", one, nil)
	r.json(t, &list)
	if r.code != 200 || len(list.Tickets) != 1 || list.Tickets[0].Number != n {
		t.Errorf("list: %d %s", r.code, r.body)
	}
	r = do("GET", "/api/v1/portal/tickets", two, nil)
	r.json(t, &list)
	if r.code != 200 || len(list.Tickets) != 0 {
		t.Errorf("another client's list: %d %s", r.code, r.body)
	}
	path := fmt.Sprintf("/api/v1/portal/tickets/%d", n)
	r = do("GET", path, one, nil)
	if r.code != 200 || !strings.Contains(string(r.body), "El correo no llega.") || strings.Contains(string(r.body), "secreta") {
		t.Errorf("show: %d %s", r.code, r.body)
	}
	if r = do("GET", path, two, nil); r.code != 404 {
		t.Errorf("another client's ticket: %d %s", r.code, r.body)
	}
	if r = do("POST", path+"/replies", two, map[string]any{"text": "intruso"}); r.code != 404 {
		t.Errorf("reply to another client's ticket: %d %s", r.code, r.body)
	}
	if r = do("POST", path+"/replies", one, map[string]any{"text": "Sigue sin llegar."}); r.code != 201 {
		t.Errorf("reply: %d %s", r.code, r.body)
	}
	if got := len(e.thread(n).Messages); got != 3 { // the opening, the note, the reply
		t.Errorf("thread has %d messages, want 3", got)
	}

	// A payment report for its own document opens a ticket holding it;
	// another client's document is 400 and opens nothing.
	rep := map[string]any{"invoices": []int64{nums["C1"]}, "amount": 10000, "method": "transferencia", "bank": "BCI",
		"date": "2026-11-20", "operation": "123456"}
	r = do("POST", "/api/v1/portal/payment-reports", one, rep)
	var reported struct{ Ticket int64 }
	r.json(t, &reported)
	if r.code != 201 || reported.Ticket == 0 {
		t.Fatalf("payment report: %d %s", r.code, r.body)
	}
	if pr, err := e.d.Tickets.ClientPaymentReport(context.Background(), "C1", reported.Ticket); err != nil || pr.Proposed[0] != nums["C1"] {
		t.Errorf("the report held: %+v %v", pr, err)
	}
	rep["invoices"] = []int64{nums["C2"]}
	if r = do("POST", "/api/v1/portal/payment-reports", one, rep); r.code != 400 || r.err(t).Error.Field != "invoices" {
		t.Errorf("another client's document reported: %d %s", r.code, r.body)
	}

	// Bad input: 400 naming the field, nothing changed.
	rec := map[string]any{"name": "Uno Nuevo", "phone": "", "mobile": "", "address": "", "comuna": "", "ciudad": "", "region": "",
		"billing": map[string]any{"razon_social": "Uno SpA", "tax_country": "CL", "tax_id": "76.086.428-0", "giro": "Servicios",
			"domicilio": "Av. Matta 1234", "comuna": "Santiago", "ciudad": "Santiago"}}
	r = do("PUT", "/api/v1/portal/me", one, rec)
	if r.code != 400 || r.err(t).Error.Field != "billing.tax_id" {
		t.Errorf("bad tax id: %d %s", r.code, r.body)
	}
	if c, _ := e.d.Clients.Get(context.Background(), "C1"); c.Name != "Cliente C1 SpA" || c.Billing.TaxID != "76086428-5" {
		t.Errorf("a refused save changed the client: %+v", c)
	}
	if r = do("POST", "/api/v1/portal/tickets", one, map[string]any{"department": "soporte", "subject": "  ", "text": "x"}); r.code != 400 {
		t.Errorf("empty subject: %d %s", r.code, r.body)
	}
	if r = do("GET", "/api/v1/portal/tickets", one, nil); !bytes.Contains(r.body, []byte(fmt.Sprint(n))) ||
		bytes.Count(r.body, []byte(`"number"`)) != 2 { // the ticket opened and the payment report's
		t.Errorf("a refused open made a ticket: %s", r.body)
	}
	rec["billing"].(map[string]any)["tax_id"] = "76.086.428-5"
	r = do("PUT", "/api/v1/portal/me", one, rec)
	if r.code != 200 || !strings.Contains(string(r.body), "Uno Nuevo") {
		t.Errorf("save: %d %s", r.code, r.body)
	}
}

// Portal tokens open only the portal routes; agent tokens never do.
func TestPortalTokenScope(t *testing.T) {
	e := newEnv(t)
	e.billed("C1", "uno@cliente.cl", 10000)
	one := e.portalToken("C1")
	for _, c := range []struct{ method, path, token string }{
		{"GET", "/api/v1/portal/me", e.admin},
		{"GET", "/api/v1/portal/tickets", e.ana},
		{"GET", "/api/v1/tickets", one},
		{"GET", "/api/v1/agents/me", one},
		{"POST", "/api/v1/payments", one},
	} {
		if r := e.do(c.method, c.path, c.token, nil); r.code != 401 {
			t.Errorf("%s %s: %d %s", c.method, c.path, r.code, r.body)
		}
	}
	if _, _, err := e.d.Agents.CreatePortalToken(context.Background(), " ", ""); err == nil {
		t.Error("a portal token without a client")
	}
}

// Completing the billing data through PUT /portal/me issues the documents
// held for them, as the portal's page does, and says how many.
func TestPortalCompletingBillingReleasesHeld(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := clients.NewClient("C3", "Cliente C3 SpA", "tres@cliente.cl")
	c.BillingEnabled = true
	c.Billing = clients.BillingData{RazonSocial: "Cliente C3 SpA", TaxCountry: "CL", TaxID: "76.086.428-5",
		Domicilio: "Av. Matta 1234", Comuna: "Santiago", Ciudad: "Santiago"} // no giro
	if _, err := e.d.Clients.Add(ctx, c, "test"); err != nil {
		t.Fatal(err)
	}
	if err := e.d.Billing.AddContract(ctx, billing.Contract{ID: "C3-K1", ClientID: "C3", Description: "Hosting",
		Currency: billing.CLP, Amount: 15000, Exempt: true, AnchorDay: 16, Start: "2026-01-01", Active: true}); err != nil {
		t.Fatal(err)
	}
	e.cycle()
	tok := e.portalToken("C3")
	do := e.portalValidator()
	var me struct{ Missing []struct{ Field string } }
	r := do("GET", "/api/v1/portal/me", tok, nil)
	r.json(t, &me)
	if len(me.Missing) != 1 || me.Missing[0].Field != "billing.giro" {
		t.Fatalf("missing: %s", r.body)
	}
	if invs, _ := e.d.Billing.UnpaidOf(ctx, "C3"); len(invs) != 0 {
		t.Fatalf("issued while incomplete: %+v", invs)
	}
	rec := map[string]any{"name": "Cliente C3 SpA", "phone": "", "mobile": "", "address": "", "comuna": "", "ciudad": "", "region": "",
		"billing": map[string]any{"razon_social": "Cliente C3 SpA", "tax_country": "CL", "tax_id": "76.086.428-5", "giro": "Servicios",
			"domicilio": "Av. Matta 1234", "comuna": "Santiago", "ciudad": "Santiago"}}
	r = do("PUT", "/api/v1/portal/me", tok, rec)
	var up struct {
		Released int
		Missing  []any
	}
	r.json(t, &up)
	if r.code != 200 || up.Released != 1 || len(up.Missing) != 0 {
		t.Errorf("save: %d %s", r.code, r.body)
	}
	if invs, _ := e.d.Billing.UnpaidOf(ctx, "C3"); len(invs) != 1 {
		t.Errorf("released: %+v", invs)
	}
}

// The same Idempotency-Key opens one ticket: a retry answers its number.
func TestPortalOpenIsIdempotent(t *testing.T) {
	e := newEnv(t)
	e.billed("C1", "uno@cliente.cl", 10000)
	one := e.portalToken("C1")
	body := map[string]any{"department": "soporte", "subject": "Ayuda", "text": "Hola"}
	var a, b struct{ Number int64 }
	e.do("POST", "/api/v1/portal/tickets", one, body, "Idempotency-Key", "k-1").json(t, &a)
	e.do("POST", "/api/v1/portal/tickets", one, body, "Idempotency-Key", "k-1").json(t, &b)
	if a.Number == 0 || a.Number != b.Number {
		t.Errorf("retry opened %d then %d", a.Number, b.Number)
	}
	var list struct{ Tickets []any }
	e.do("GET", "/api/v1/portal/tickets", one, nil).json(t, &list)
	if len(list.Tickets) != 1 {
		t.Errorf("%d tickets after a retry", len(list.Tickets))
	}
}
