package agentmail_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"turno/agentmail"
	"turno/agents"
	"turno/config"
	"turno/tickets"
)

// heldAuth routes an unauthenticated answer of ana's on tk and returns the
// held item's key.
func (e *env) heldAuth(tk *tickets.Ticket, body string) string {
	e.t.Helper()
	res, _ := e.routeAuth(agentMail{from: "Ana <ana.rojas@gmail.com>", ref: e.notice(e.ticket(tk.Number), "ana@turno.example"),
		body: body}.raw(), "soporte", config.AgentAuthDKIMOrSPF)
	if res.Reason != tickets.HeldAuth {
		e.t.Fatalf("unauthenticated: %+v", res)
	}
	for _, h := range e.held(tk.Number) {
		lines := strings.Split(body, "\r\n")
		if h.State != tickets.StateReleased && strings.Contains(h.Text, lines[len(lines)-1]) {
			return h.Key
		}
	}
	e.t.Fatalf("no held item for %q", body)
	return ""
}

func (e *env) actor(email string) tickets.Actor {
	e.t.Helper()
	a, err := e.ag.Get(context.Background(), email)
	if err != nil {
		e.t.Fatal(err)
	}
	return a.Actor()
}

// A mail held for authentication is applied once its agent (or an admin)
// confirms it, exactly as on arrival: once, however often released; never
// by another agent; a held item of another reason is not releasable; a
// release the customer has written past since is the usual collision.
func TestReleaseHeldForAuthentication(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, err := e.ag.Add(ctx, agents.Agent{Email: "jefa@turno.example", Name: "Jefa", Role: agents.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ag.Add(ctx, agents.Agent{Email: "eva@turno.example", Name: "Eva", Departments: []string{"soporte"}}); err != nil {
		t.Fatal(err)
	}
	tk := e.customer("No me llegan los correos.")
	key := e.heldAuth(tk, "Revise el filtro de spam.")
	if len(e.outbox("ticket_reply")) != 0 {
		t.Fatal("a held mail reached the customer")
	}
	ex := e.outbox("agent_mail_held")
	if len(ex) != 1 || ex[0].To[0] != "ana.rojas@gmail.com" {
		t.Fatalf("explanations %+v", ex)
	}

	// Bad key, another agent, a ticket not seen: refused, nothing changes.
	var ie *tickets.InputError
	if _, err := e.router.Release(ctx, e.actor("ana@turno.example"), tk.Number, "held:zz"); !errors.As(err, &ie) {
		t.Fatalf("bad key: %v", err)
	}
	if _, err := e.router.Release(ctx, e.actor("eva@turno.example"), tk.Number, key); !errors.As(err, &ie) ||
		!strings.Contains(err.Error(), "ana@turno.example") {
		t.Fatalf("another agent: %v", err)
	}
	if _, err := e.router.Release(ctx, e.actor("beto@turno.example"), tk.Number, key); !errors.Is(err, tickets.ErrNotFound) {
		t.Fatalf("an agent of another department: %v", err)
	}
	if _, err := e.router.Release(ctx, e.actor("ana@turno.example"), tk.Number+1, key); !errors.Is(err, tickets.ErrNotFound) {
		t.Fatalf("another ticket: %v", err)
	}
	if len(e.outbox("ticket_reply")) != 0 {
		t.Fatal("a refused release mailed the customer")
	}

	// The agent confirms: applied once, however often released.
	for i := range 2 {
		res, err := e.router.Release(ctx, e.actor("ana@turno.example"), tk.Number, strings.TrimPrefix(key, "held:"))
		if err != nil || res.Outcome != agentmail.OutcomeApplied || res.Ticket != tk.Number || res.Replayed != (i == 1) {
			t.Fatalf("release %d: %+v %v", i, res, err)
		}
	}
	got := e.outbox("ticket_reply")
	if len(got) != 1 || got[0].To[0] != "maria@cliente.cl" {
		t.Fatalf("replies %+v", got)
	}
	if lp := e.ticket(tk.Number).LastPublic; lp == nil || lp.Agent != "ana@turno.example" {
		t.Fatalf("LastPublic %+v", lp)
	}
	var item *tickets.Message
	for _, h := range e.held(tk.Number) {
		if h.Key == key {
			item = &h
		}
	}
	if item == nil || item.State != tickets.StateReleased || !strings.Contains(strings.Join(item.Notes, "|"), "released by ana@turno.example") {
		t.Fatalf("the held item after release: %+v", item)
	}
	if e.count(agentmail.OutcomeApplied) != 1 {
		t.Fatalf("applied counted %v", e.count(agentmail.OutcomeApplied))
	}
	released := 0
	for _, ev := range e.ticket(tk.Number).Events {
		if ev.Type == tickets.EventReleased && ev.Note == key {
			released++
		}
	}
	if released != 1 {
		t.Fatalf("%d released events", released)
	}

	// An admin may release it; a #nota mail becomes the note.
	e.clk.Advance(2 * time.Hour) // a new hour: a new explanation
	note := e.heldAuth(tk, "#nota\r\nNOTA-RETENIDA")
	if res, err := e.router.Release(ctx, e.actor("jefa@turno.example"), tk.Number, note); err != nil || res.Outcome != agentmail.OutcomeNote {
		t.Fatalf("admin release: %+v %v", res, err)
	}

	// Stale: the customer wrote again after the notification answered.
	e.clk.Advance(2 * time.Hour)
	stale := e.heldAuth(tk, "Respuesta que llega tarde.")
	e.customerAgain(e.ticket(tk.Number))
	var ce *tickets.ConflictError
	if _, err := e.router.Release(ctx, e.actor("ana@turno.example"), tk.Number, stale); !errors.As(err, &ce) || len(ce.Newer) != 1 {
		t.Fatalf("stale release: %v", err)
	}
	for _, h := range e.held(tk.Number) {
		if h.Key == stale && h.State == tickets.StateReleased {
			t.Fatal("a refused release marked the item released")
		}
	}
	if len(e.outbox("ticket_reply")) != 1 {
		t.Fatal("a stale release reached the customer")
	}

	// Another reason: not releasable.
	res, _ := e.route(agentMail{from: "extraño@otro.cl", ref: e.notice(e.ticket(tk.Number), "ana@turno.example"), body: "Ajeno"}.raw(), "soporte")
	if res.Reason != tickets.HeldUnknownSender {
		t.Fatalf("stranger: %+v", res)
	}
	for _, h := range e.held(tk.Number) {
		if tickets.HeldReason(&h) == tickets.HeldUnknownSender {
			if _, err := e.router.Release(ctx, e.actor("jefa@turno.example"), tk.Number, h.Key); !errors.As(err, &ie) ||
				!strings.Contains(err.Error(), "unknown_sender") {
				t.Fatalf("releasing an unknown sender's mail: %v", err)
			}
		}
	}
}
