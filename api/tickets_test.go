package api_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"turno/billing"
	"turno/clients"
	"turno/tickets"
)

type ticketView struct {
	Ticket   tickets.Ticket
	Messages []tickets.Message
	Client   *struct {
		ID, Name        string
		SupportTier     string `json:"support_tier"`
		ContractCount   int    `json:"active_contract_count"`
		ActiveContracts []struct {
			ID, Plan string
			Amount   int64
		} `json:"active_contracts"`
		UnpaidCount   int   `json:"unpaid_count"`
		UnpaidBalance int64 `json:"unpaid_balance"`
	}
}

// An agent asking for another department's ticket gets 404 from every
// route, and the queue does not list it.
func TestOtherDepartmentsTicketIs404(t *testing.T) {
	e := newEnv(t)
	res := e.mail("pedro@gmail.com", "No puedo entrar", "")
	n := res.Ticket
	path := fmt.Sprintf("/api/v1/tickets/%d", n)
	if got := e.do("GET", path, e.ana, nil); got.code != 200 {
		t.Fatalf("own department: %d %s", got.code, got.body)
	}
	if got := e.do("GET", path, e.beto, nil); got.code != http.StatusNotFound || got.err(t).Error.Code != "not_found" ||
		strings.Contains(string(got.body), "No puedo entrar") {
		t.Fatalf("other department: %d %s", got.code, got.body)
	}
	for _, c := range []struct {
		sub  string
		body any
	}{
		{"/replies", map[string]any{"text": "x", "force": true}},
		{"/notes", map[string]any{"text": "x"}},
		{"/assign", map[string]any{"assignee": "me"}},
		{"/status", map[string]any{"status": "pending"}},
		{"/priority", map[string]any{"label": "high"}},
		{"/department", map[string]any{"department": "ventas"}},
		{"/link", map[string]any{"client_id": "C-1"}},
	} {
		if got := e.do("POST", path+c.sub, e.beto, c.body, "Idempotency-Key", "k-"+c.sub); got.code != http.StatusNotFound {
			t.Errorf("POST %s by another department: %d %s", c.sub, got.code, got.body)
		}
	}
	var page struct{ Tickets []tickets.Ticket }
	e.do("GET", "/api/v1/tickets", e.beto, nil).json(t, &page)
	if len(page.Tickets) != 0 {
		t.Fatalf("beto's queue lists %d tickets", len(page.Tickets))
	}
	e.do("GET", "/api/v1/tickets", e.ana, nil).json(t, &page)
	if len(page.Tickets) != 1 || page.Tickets[0].Number != n {
		t.Fatalf("ana's queue: %+v", page.Tickets)
	}
	th := e.thread(n)
	if th.Ticket.Status != tickets.StatusNew || len(th.Messages) != 1 || e.outboxReplies(n) != 0 {
		t.Fatalf("another department changed the ticket: %+v", th.Ticket)
	}
}

// Malformed JSON, unknown fields, wrong types and missing fields are 400
// with the field named, and nothing changes.
func TestBadInputIs400AndChangesNothing(t *testing.T) {
	e := newEnv(t)
	n := e.mail("pedro@gmail.com", "Sitio caído", "").Ticket
	before := e.thread(n)
	p := fmt.Sprintf("/api/v1/tickets/%d", n)
	for _, c := range []struct {
		path  string
		body  any
		field string
	}{
		{p + "/replies", `{"text": "hola"`, ""},
		{p + "/replies", `{"text": "hola", "answer": "x"}`, "answer"},
		{p + "/replies", `{"text": 5}`, "text"},
		{p + "/replies", `{"text": "hola", "status": "bogus"}`, "status"},
		{p + "/replies", `{"text": "hola", "force": true, "attachments": [{"filename": "a.txt", "data": "%%%"}]}`, ""},
		{p + "/notes", `{"text": "nota", "extra": 1}`, "extra"},
		{p + "/notes", `{}`, "text"},
		{p + "/status", `{"status": "pending", "why": "x"}`, "why"},
		{p + "/status", `{"status": "waiting"}`, "status"},
		{p + "/assign", `[]`, ""},
		{p + "/priority", `{"label": "urgent"}`, "label"},
		{p + "/merge", `{"into": "abc"}`, "into"},
		{p + "/link", `not json`, ""},
		{"/api/v1/tickets?bogus=1", nil, "bogus"},
		{"/api/v1/tickets?limit=0", nil, "limit"},
		{"/api/v1/tickets/abc", nil, "number"},
	} {
		method := "POST"
		if c.body == nil {
			method = "GET"
		}
		got := e.do(method, c.path, e.ana, c.body, "Idempotency-Key", "bad-1")
		if got.code != http.StatusBadRequest {
			t.Errorf("%s %v: %d %s", c.path, c.body, got.code, got.body)
			continue
		}
		if er := got.err(t); er.Error.Code != "bad_request" || (c.field != "" && er.Error.Field != c.field) {
			t.Errorf("%s %v: %s", c.path, c.body, got.body)
		}
	}
	// A reply without its Idempotency-Key is refused too.
	if got := e.do("POST", p+"/replies", e.ana, map[string]any{"text": "hola", "force": true}); got.code != 400 ||
		got.err(t).Error.Field != "Idempotency-Key" {
		t.Errorf("no key: %d %s", got.code, got.body)
	}
	// Bodies are limited: 64 KB but for replies (16 MB, attachments).
	big := map[string]any{"text": strings.Repeat("x", 70<<10)}
	if got := e.do("POST", p+"/notes", e.ana, big, "Idempotency-Key", "big"); got.code != http.StatusRequestEntityTooLarge ||
		got.err(t).Error.Code != "too_large" {
		t.Errorf("a 70 KB note: %d %.200s", got.code, got.body)
	}
	after := e.thread(n)
	if after.Ticket.Version != before.Ticket.Version || len(after.Ticket.Events) != len(before.Ticket.Events) ||
		len(after.Messages) != len(before.Messages) || after.Ticket.Status != before.Ticket.Status || e.outboxReplies(n) != 0 {
		t.Fatalf("bad input changed the ticket: %+v", after.Ticket)
	}
}

// The same Idempotency-Key twice sends once: 201, then 200 replayed with
// the same message; the key with another request is 422.
func TestSameKeySendsOnce(t *testing.T) {
	e := newEnv(t)
	res := e.mail("pedro@gmail.com", "Factura", "")
	p := fmt.Sprintf("/api/v1/tickets/%d/replies", res.Ticket)
	body := map[string]any{"text": "Ya la reenviamos.", "answers": res.Key, "status": "pending",
		"attachments": []map[string]any{{"filename": "factura.txt", "content_type": "text/plain",
			"data": base64.StdEncoding.EncodeToString([]byte("factura 123"))}}}
	var first, second tickets.ReplyResult
	got := e.do("POST", p, e.ana, body, "Idempotency-Key", "key-1")
	if got.code != http.StatusCreated {
		t.Fatalf("first: %d %s", got.code, got.body)
	}
	got.json(t, &first)
	got = e.do("POST", p, e.ana, body, "Idempotency-Key", "key-1")
	if got.code != http.StatusOK {
		t.Fatalf("replay: %d %s", got.code, got.body)
	}
	got.json(t, &second)
	if first.Replayed || !second.Replayed || first.Message.Key != second.Message.Key || first.Ticket.Status != tickets.StatusPending {
		t.Fatalf("first %+v\nsecond %+v", first, second)
	}
	if c := e.outboxReplies(res.Ticket); c != 1 {
		t.Fatalf("%d outbox entries for one key", c)
	}
	body["text"] = "Otro texto."
	got = e.do("POST", p, e.ana, body, "Idempotency-Key", "key-1")
	if got.code != http.StatusUnprocessableEntity || got.err(t).Error.Code != "idempotency_key_reused" {
		t.Fatalf("reused key: %d %s", got.code, got.body)
	}
	if c := e.outboxReplies(res.Ticket); c != 1 {
		t.Fatalf("%d outbox entries after a reused key", c)
	}
	// Notes are idempotent the same way.
	np := fmt.Sprintf("/api/v1/tickets/%d/notes", res.Ticket)
	if got := e.do("POST", np, e.ana, map[string]any{"text": "llamé"}, "Idempotency-Key", "n-1"); got.code != 201 {
		t.Fatalf("note: %d %s", got.code, got.body)
	}
	if got := e.do("POST", np, e.ana, map[string]any{"text": "llamé"}, "Idempotency-Key", "n-1"); got.code != 200 {
		t.Fatalf("note replay: %d %s", got.code, got.body)
	}
	notes := 0
	for _, m := range e.thread(res.Ticket).Messages {
		if m.Direction == tickets.DirNote {
			notes++
		}
	}
	if notes != 1 {
		t.Fatalf("%d notes for one key", notes)
	}
}

// A customer's answer arrives after the message the agent answered: 409
// naming it, nothing sent; then force sends.
func TestCollisionIs409ThenForce(t *testing.T) {
	e := newEnv(t)
	first := e.mail("pedro@gmail.com", "Correo caído", "")
	n := first.Ticket
	newer := e.mail("pedro@gmail.com", "Re: Correo caído", first.Key)
	if newer.Ticket != n {
		t.Fatalf("the answer opened ticket %d, not %d", newer.Ticket, n)
	}
	p := fmt.Sprintf("/api/v1/tickets/%d/replies", n)
	body := map[string]any{"text": "Revisamos.", "answers": first.Key}
	got := e.do("POST", p, e.ana, body, "Idempotency-Key", "c-1")
	if got.code != http.StatusConflict {
		t.Fatalf("collision: %d %s", got.code, got.body)
	}
	er := got.err(t)
	if er.Error.Code != "conflict" || len(er.Error.Newer) != 1 || er.Error.Newer[0].Key != newer.Key ||
		er.Error.Newer[0].From != "pedro@gmail.com" || er.Error.Newer[0].ArrivedAt.IsZero() {
		t.Fatalf("collision body: %s", got.body)
	}
	if c := e.outboxReplies(n); c != 0 {
		t.Fatalf("a refused reply reached the outbox (%d)", c)
	}
	body["force"] = true
	if got := e.do("POST", p, e.ana, body, "Idempotency-Key", "c-2"); got.code != http.StatusCreated {
		t.Fatalf("forced: %d %s", got.code, got.body)
	}
	if c := e.outboxReplies(n); c != 1 {
		t.Fatalf("%d outbox entries after the forced reply", c)
	}
	if len(e.smtp.WaitFor(2, 30e9)) < 1 {
		t.Fatal("nothing reached the SMTP server")
	}
}

// Show gives the thread with notes and the requester's client at a glance.
func TestShowTicketWithClient(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := clients.NewClient("C-200", "Andino Ltda", "contacto@andino.cl")
	c.SupportTier = "premium"
	if _, err := e.d.Clients.Add(ctx, c, "test"); err != nil {
		t.Fatal(err)
	}
	if err := e.d.Billing.AddContract(ctx, billing.Contract{ID: "K-1", ClientID: "C-200", Description: "Hosting Pyme",
		Currency: billing.CLP, Amount: 45990, AnchorDay: 16, Start: "2026-01-01"}); err != nil {
		t.Fatal(err)
	}
	n := e.mail("Contacto <contacto@andino.cl>", "Sitio lento", "").Ticket
	p := fmt.Sprintf("/api/v1/tickets/%d", n)
	if got := e.do("POST", p+"/notes", e.ana, map[string]any{"text": "cliente premium"}, "Idempotency-Key", "n"); got.code != 201 {
		t.Fatalf("note: %d %s", got.code, got.body)
	}
	got := e.do("GET", p, e.ana, nil)
	var v ticketView
	got.json(t, &v)
	if v.Ticket.Number != n || len(v.Messages) != 2 || v.Messages[1].Direction != tickets.DirNote || len(v.Ticket.Events) == 0 {
		t.Fatalf("show: %s", got.body)
	}
	if v.Client == nil || v.Client.Name != "Andino Ltda" || v.Client.SupportTier != "premium" || v.Client.ContractCount != 1 ||
		v.Client.ActiveContracts[0].Plan != "Hosting Pyme" || v.Client.ActiveContracts[0].Amount != 45990 || v.Client.UnpaidCount != 0 {
		t.Fatalf("client: %s", got.body)
	}
	if strings.Contains(string(got.body), `"closed_at"`) || strings.Contains(string(got.body), "0001-01-01") {
		t.Fatalf("zero times are not omitted: %s", got.body)
	}
}

// The lifecycle routes reach the domain as the caller.
func TestLifecycleRoutes(t *testing.T) {
	e := newEnv(t)
	a := e.mail("pedro@gmail.com", "Uno", "").Ticket
	b := e.mail("pedro@gmail.com", "Dos", "").Ticket
	p := fmt.Sprintf("/api/v1/tickets/%d", a)
	var tk tickets.Ticket
	for _, c := range []struct {
		sub   string
		body  map[string]any
		check func() bool
	}{
		{"/assign", map[string]any{"assignee": "me"}, func() bool { return tk.Assignee == "ana@proveedor.cl" }},
		{"/status", map[string]any{"status": "pending"}, func() bool { return tk.Status == tickets.StatusPending }},
		{"/priority", map[string]any{"label": "high"}, func() bool { return tk.Label == "high" && tk.ManualLabel == "high" }},
		{"/priority", map[string]any{"label": ""}, func() bool { return tk.ManualLabel == "" }},
		{"/assign", map[string]any{"assignee": ""}, func() bool { return tk.Assignee == "" }},
	} {
		got := e.do("POST", p+c.sub, e.ana, c.body)
		if got.code != 200 {
			t.Fatalf("%s %v: %d %s", c.sub, c.body, got.code, got.body)
		}
		tk = tickets.Ticket{}
		got.json(t, &tk)
		if !c.check() {
			t.Fatalf("%s %v: %s", c.sub, c.body, got.body)
		}
	}
	var mine struct{ Tickets []tickets.Ticket }
	e.do("POST", p+"/assign", e.ana, map[string]any{"assignee": "me"})
	e.do("GET", "/api/v1/tickets?assignee=me&status=pending", e.ana, nil).json(t, &mine)
	if len(mine.Tickets) != 1 || mine.Tickets[0].Number != a {
		t.Fatalf("assignee=me: %+v", mine.Tickets)
	}
	got := e.do("POST", fmt.Sprintf("/api/v1/tickets/%d/merge", b), e.ana, map[string]any{"into": a})
	if got.code != 200 {
		t.Fatalf("merge: %d %s", got.code, got.body)
	}
	if th := e.thread(b); th.Ticket.Status != tickets.StatusClosed || th.Ticket.MergedInto != a {
		t.Fatalf("merged ticket: %+v", th.Ticket)
	}
	if got := e.do("POST", p+"/department", e.ana, map[string]any{"department": "ventas"}); got.code != 200 {
		t.Fatalf("move: %d %s", got.code, got.body)
	}
	if got := e.do("GET", p, e.ana, nil); got.code != 404 {
		t.Fatalf("after moving it away ana still sees it: %d", got.code)
	}
	if got := e.do("GET", p, e.beto, nil); got.code != 200 {
		t.Fatalf("ventas does not see the moved ticket: %d %s", got.code, got.body)
	}
}
