package api_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"turno/mailin/parse"
	"turno/tickets"
)

// mailAt ingests a customer's mail into soporte that arrived at `at`.
func (e *env) mailAt(subject string, at time.Time) int64 {
	e.t.Helper()
	e.n++
	raw := fmt.Sprintf("Message-ID: <sla%d-%d@cliente.cl>\r\nFrom: pedro@gmail.com\r\nTo: soporte@example.cl\r\n"+
		"Subject: %s\r\n\r\nHola.\r\n", e.n, time.Now().UnixNano(), subject)
	m, err := parse.Parse(bytes.NewReader([]byte(raw)), &parse.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := e.d.Tickets.Ingest(context.Background(), tickets.Incoming{Msg: m, RawHash: parse.RawHash([]byte(raw)),
		RawRef: "r", Mailbox: "soporte", Department: "soporte", ArrivedAt: at})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.Ticket
}

// GET /tickets carries due times and the overdue mark; ?overdue=true
// lists only overdue tickets, in queue order; a ticket shows its due times.
func TestListTicketsOverdueFilter(t *testing.T) {
	e := newEnv(t)
	old := e.mailAt("Viejo", time.Now().Add(-30*24*time.Hour)) // past every target
	fresh := e.mailAt("Nuevo", time.Now())                     // due an hour of business time ahead at least

	var page struct{ Tickets []tickets.Ticket }
	r := e.do("GET", "/api/v1/tickets", e.ana, nil)
	r.json(t, &page)
	if r.code != 200 || len(page.Tickets) != 2 {
		t.Fatalf("list: %d %s", r.code, r.body)
	}
	for _, tk := range page.Tickets {
		if tk.FirstResponseDue.IsZero() || tk.ResolutionDue.IsZero() || tk.Overdue != (tk.Number == old) {
			t.Fatalf("ticket %d: due %s / %s, overdue %v", tk.Number, tk.FirstResponseDue, tk.ResolutionDue, tk.Overdue)
		}
	}
	r = e.do("GET", "/api/v1/tickets?overdue=true", e.ana, nil)
	r.json(t, &page)
	if r.code != 200 || len(page.Tickets) != 1 || page.Tickets[0].Number != old || !page.Tickets[0].Overdue {
		t.Fatalf("overdue=true: %d %s", r.code, r.body)
	}
	if r := e.do("GET", "/api/v1/tickets?overdue=maybe", e.ana, nil); r.code != 400 && r.code != 422 {
		t.Fatalf("overdue=maybe: %d %s", r.code, r.body)
	}
	th := e.thread(fresh)
	if th.Ticket.Overdue || !th.Ticket.FirstResponseDue.After(time.Now()) {
		t.Fatalf("show %d: overdue %v, first response due %s", fresh, th.Ticket.Overdue, th.Ticket.FirstResponseDue)
	}
}
