package tickets_test

import (
	"context"
	"testing"

	"turno/tickets"
)

// A held mail is filed on its ticket once (retries and copies included),
// listed by Show and HeldItems, and changes nothing a customer sees; one
// filed on no ticket changes no ticket.
func TestHeldMailIsFiledOnceAndListed(t *testing.T) {
	e := replyEnv(t, nil)
	ctx := context.Background()
	c := e.customerMail()
	before := e.ticket(c.Ticket)
	raw := mail{from: "Ana <ana.personal@gmail.com>", subject: "Re: aviso", id: "agent-1@gmail.com",
		body: "Respuesta del agente"}.raw()
	in := tickets.HeldInput{Key: "agent-1@gmail.com", Ticket: c.Ticket, Reason: tickets.HeldStale,
		Detail: "the customer wrote again", Msg: parseRaw(t, raw), Agent: ana.Email, Mailbox: "soporte"}
	for range 2 {
		m, err := e.svc.Hold(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		want(t, "held key", m.Key, tickets.HeldKey(in.Key))
	}
	after := e.ticket(c.Ticket)
	want(t, "held events", e.events(c.Ticket, tickets.EventHeld), 1)
	if after.Status != before.Status || after.LastPublic.Key != before.LastPublic.Key {
		t.Fatalf("holding changed the ticket: %+v", after)
	}
	items, err := e.svc.HeldItems(ctx, c.Ticket, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Thread != "held: stale" || items[0].Direction != tickets.DirHeld ||
		items[0].Text != "Respuesta del agente" || items[0].Disposition != tickets.DispHeld {
		t.Fatalf("held items %+v", items)
	}
	if len(e.replies()) != 0 {
		t.Fatal("a held mail was mailed")
	}
	// Filed on no ticket: listed apart, no ticket touched.
	forged := tickets.HeldInput{Key: "forged@evil.example", Reason: tickets.HeldForged, Msg: parseRaw(t, raw)}
	if _, err := e.svc.Hold(ctx, forged); err != nil {
		t.Fatal(err)
	}
	loose, err := e.svc.HeldItems(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(loose) != 1 || loose[0].Thread != "held: forged_reference" {
		t.Fatalf("unfiled held items %+v", loose)
	}
	if v := e.ticket(c.Ticket).Version; v != after.Version {
		t.Fatalf("ticket version %d after an unfiled hold, want %d", v, after.Version)
	}
	if _, err := e.svc.Hold(ctx, tickets.HeldInput{Key: "x"}); err == nil {
		t.Fatal("a hold without reason or message was accepted")
	}
}
