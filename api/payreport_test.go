package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"turno/billing"
	"turno/clients"
	"turno/mailin/parse"
	"turno/scheduler"
	"turno/tickets"
)

// billed adds a client with complete billing data and one exempt
// contract of amount, for the cycle of 16 November 2026.
func (e *env) billed(id, principal string, amount int64) {
	e.t.Helper()
	ctx := context.Background()
	c := clients.NewClient(id, "Cliente "+id+" SpA", principal)
	c.BillingEnabled = true
	c.Billing = clients.BillingData{RazonSocial: "Cliente " + id + " SpA", TaxCountry: "CL", TaxID: "76.086.428-5",
		Giro: "Servicios", Domicilio: "Av. Matta 1234", Comuna: "Santiago", Ciudad: "Santiago"}
	if _, err := e.d.Clients.Add(ctx, c, "test"); err != nil {
		e.t.Fatal(err)
	}
	if err := e.d.Billing.AddContract(ctx, billing.Contract{ID: id + "-K1", ClientID: id, Description: "Hosting",
		Currency: billing.CLP, Amount: amount, Exempt: true, AnchorDay: 16, Start: "2026-01-01", Active: true}); err != nil {
		e.t.Fatal(err)
	}
}

// cycle runs the billing cycle of 16 November 2026 and returns each
// client's unpaid invoice number.
func (e *env) cycle(ids ...string) map[string]int64 {
	e.t.Helper()
	ctx := context.Background()
	date, _ := scheduler.ParseDate("2026-11-16")
	for {
		err := e.d.Scheduler.RunNow(ctx, billing.CycleJob, scheduler.Run{Date: date, Out: io.Discard})
		if errors.Is(err, scheduler.ErrRunning) {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if err != nil {
			e.t.Fatal(err)
		}
		break
	}
	out := map[string]int64{}
	for _, id := range ids {
		invs, err := e.d.Billing.UnpaidOf(ctx, id)
		if err != nil || len(invs) != 1 {
			e.t.Fatalf("unpaid of %s: %+v %v", id, invs, err)
		}
		out[id] = invs[0].Number
	}
	return out
}

// payMail ingests a payment mail into pagos and returns its ticket.
func (e *env) payMail(from, body string) int64 {
	e.t.Helper()
	e.n++
	raw := fmt.Sprintf("Message-ID: <pay%d-%d@cliente.cl>\r\nFrom: %s\r\nTo: pagos@example.cl\r\nSubject: Pago\r\n"+
		"Date: Mon, 16 Nov 2026 18:00:00 -0300\r\n\r\n%s\r\n", e.n, time.Now().UnixNano(), from, body)
	m, err := parse.Parse(bytes.NewReader([]byte(raw)), &parse.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := e.d.Tickets.Ingest(context.Background(), tickets.Incoming{Msg: m, RawHash: parse.RawHash([]byte(raw)),
		RawRef: "r", Mailbox: "pagos", Department: "pagos"})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.Ticket
}

type reportBody struct {
	Ticket    int64
	State     string
	Proposed  []int64
	Paid      []int64
	PaymentID string `json:"payment_id"`
	Reason    string
	Report    struct {
		Amount    *int64
		Operation *string
	}
}

// Confirming a payment report through the API pays the proposed invoice
// once (again: the same payment), and rejecting one answers the customer
// once; another department's agent gets 404, bad input 400 naming the
// field, a contradicting decision 409, each changing nothing; the ticket
// view carries the report; every answer matches the document.
func TestPaymentReportRoutes(t *testing.T) {
	e := newEnv(t)
	e.billed("C-1", "ana@cliente.cl", 45990)
	e.billed("C-2", "otro@otro.cl", 30000)
	inv := e.cycle("C-1", "C-2")
	paid := e.payMail("Ana <ana@cliente.cl>", "Les transferí $45.990.\r\nN° de operación: 55012398\r\nFecha: 16/11/2026")
	unmatched := e.payMail("Ana <ana@cliente.cl>", "Transferí $99.999, operación N° 77001122")
	plain := e.mail("Ana <ana@cliente.cl>", "Consulta", "").Ticket
	v := e.validator()
	call := func(token, method, path string, body any, want int) resp {
		t.Helper()
		r := e.do(method, path, token, body)
		if r.code != want {
			t.Fatalf("%s %s %v: %d %s, want %d", method, path, body, r.code, r.body, want)
		}
		v.check(t, method, path, body, r)
		return r
	}
	confirm := func(n int64) string { return fmt.Sprintf("/api/v1/tickets/%d/payment/confirm", n) }
	reject := func(n int64) string { return fmt.Sprintf("/api/v1/tickets/%d/payment/reject", n) }
	state := func() (int, int64) {
		t.Helper()
		left, err := e.d.Billing.UnpaidOf(context.Background(), "C-1")
		if err != nil {
			t.Fatal(err)
		}
		return len(left), e.outboxReplies(unmatched)
	}

	var view struct {
		PaymentReport *reportBody `json:"payment_report"`
	}
	call(e.admin, "GET", fmt.Sprintf("/api/v1/tickets/%d", paid), nil, 200).json(t, &view)
	if r := view.PaymentReport; r == nil || r.State != "proposed" || len(r.Proposed) != 1 || r.Proposed[0] != inv["C-1"] ||
		r.Report.Amount == nil || *r.Report.Amount != 45990 {
		t.Fatalf("ticket view: %+v", view.PaymentReport)
	}
	view.PaymentReport = nil
	call(e.admin, "GET", fmt.Sprintf("/api/v1/tickets/%d", plain), nil, 200).json(t, &view)
	if view.PaymentReport != nil {
		t.Fatalf("a ticket without a report shows %+v", view.PaymentReport)
	}

	// Refused: nothing paid, nothing answered.
	call(e.ana, "POST", confirm(paid), nil, 404)
	call(e.ana, "POST", reject(paid), map[string]any{"reason": "no"}, 404)
	for _, bad := range []struct {
		path  string
		body  any
		field string
	}{
		{confirm(paid), map[string]any{"invoices": []int64{inv["C-2"]}}, "invoices"},
		{confirm(paid), map[string]any{"invoices": []int64{999999}}, "invoices"},
		{confirm(paid), map[string]any{"amount": -1}, "amount"},
		{confirm(paid), map[string]any{"amout": 45990}, ""},
		{confirm(plain), nil, "ticket"},
		{confirm(unmatched), map[string]any{}, "invoices"},
		{reject(unmatched), map[string]any{"reason": ""}, "reason"},
		{reject(unmatched), map[string]any{"reason": "   "}, "reason"},
		{reject(plain), map[string]any{"reason": "no"}, "ticket"},
	} {
		got := call(e.admin, "POST", bad.path, bad.body, 400).err(t)
		if got.Error.Code != "bad_request" || bad.field != "" && got.Error.Field != bad.field {
			t.Errorf("%s %v: %+v, want field %q", bad.path, bad.body, got.Error, bad.field)
		}
	}
	if n, replies := state(); n != 1 || replies != 0 {
		t.Fatalf("refused requests changed something: %d unpaid, %d replies", n, replies)
	}

	var first, again reportBody
	call(e.admin, "POST", confirm(paid), nil, 200).json(t, &first)
	call(e.admin, "POST", confirm(paid), map[string]any{"invoices": []int64{inv["C-1"]}, "amount": 45990}, 200).json(t, &again)
	if first.State != "confirmed" || first.PaymentID == "" || again.PaymentID != first.PaymentID ||
		len(first.Paid) != 1 || first.Paid[0] != inv["C-1"] {
		t.Fatalf("confirm twice: %+v / %+v", first, again)
	}
	if n, _ := state(); n != 0 {
		t.Fatalf("after confirming, %d invoices unpaid", n)
	}
	if got := call(e.admin, "POST", confirm(paid), map[string]any{"amount": 1}, 409).err(t); got.Error.Code != "conflict" ||
		!strings.Contains(got.Error.Message, "already confirmed") {
		t.Fatalf("confirm with another amount: %+v", got.Error)
	}
	call(e.admin, "POST", reject(paid), map[string]any{"reason": "no"}, 409)

	reason := "El monto no corresponde a ninguna nota de cobro pendiente."
	var rj reportBody
	call(e.admin, "POST", reject(unmatched), map[string]any{"reason": reason}, 200).json(t, &rj)
	call(e.admin, "POST", reject(unmatched), map[string]any{"reason": reason}, 200)
	if rj.State != "rejected" || rj.Reason != reason {
		t.Fatalf("reject: %+v", rj)
	}
	if _, replies := state(); replies != 1 {
		t.Fatalf("rejecting twice answered %d times, want once", replies)
	}
	call(e.admin, "POST", confirm(unmatched), map[string]any{"invoices": []int64{inv["C-2"]}}, 409)
	call(e.admin, "GET", fmt.Sprintf("/api/v1/tickets/%d", unmatched), nil, 200).json(t, &view)
	if view.PaymentReport == nil || view.PaymentReport.State != "rejected" {
		t.Fatalf("ticket view after rejecting: %+v", view.PaymentReport)
	}
	th := e.thread(unmatched)
	if last := th.Messages[len(th.Messages)-1]; last.Direction != tickets.DirReply || !strings.Contains(last.Text, reason) ||
		!strings.Contains(last.Text, "Revisamos el pago que nos informó") {
		t.Fatalf("the answer: %+v", last)
	}
}

// docValidator checks real answers against the served document.
type docValidator struct {
	v    validator.Validator
	base string
}

func (e *env) validator() docValidator {
	e.t.Helper()
	_, body := e.routes()
	doc, err := libopenapi.NewDocument(body)
	if err != nil {
		e.t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		e.t.Fatal(errs)
	}
	return docValidator{v: v, base: e.base}
}

func (d docValidator) check(t *testing.T, method, path string, body any, r resp) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res := &http.Response{StatusCode: r.code, Header: r.header, Body: io.NopCloser(bytes.NewReader(r.body)), Request: req}
	if ok, verrs := d.v.ValidateHttpResponse(req, res); !ok {
		for _, ve := range verrs {
			t.Errorf("%s %s → %d: %s: %s %v", method, path, r.code, ve.Message, ve.Reason, ve.SchemaValidationErrors)
		}
	}
}
