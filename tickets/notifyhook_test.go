package tickets_test

import (
	"context"
	"testing"

	"turno/tickets"
)

// TestNotifyHook: a new ticket and a customer message joining it leave a
// notification marker and events naming their message; NotifyDone with a
// token read before a later event keeps the marker.
func TestNotifyHook(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	res := e.ingest(mail{from: "maria@cliente.cl", subject: "Sin correo", id: "nh1@cliente.cl"}.raw())
	p, err := e.svc.NotifyPending(ctx)
	if err != nil || len(p) != 1 || p[0].Ticket != res.Ticket {
		t.Fatalf("pending after open = %+v, %v", p, err)
	}
	tk := e.ticket(res.Ticket)
	want(t, "created event key", tk.Events[0].Key, "nh1@cliente.cl")
	old := p[0].Token

	e.ingest(mail{from: "maria@cliente.cl", subject: tag(res.Ticket, "Sin correo"), id: "nh2@cliente.cl", body: "Sigue igual."}.raw())
	e.ingest(mail{from: "maria@cliente.cl", subject: tag(res.Ticket, "Fuera de la oficina"), id: "nh3@cliente.cl",
		extra: "Auto-Submitted: auto-replied\r\n", body: "Estoy de vacaciones."}.raw())
	// A retry of a joined message adds no second event.
	e.ingest(mail{from: "maria@cliente.cl", subject: tag(res.Ticket, "Sin correo"), id: "nh2@cliente.cl", body: "Sigue igual."}.raw())
	tk = e.ticket(res.Ticket)
	var msgs []tickets.Event
	for _, ev := range tk.Events {
		if ev.Type == tickets.EventMessage {
			msgs = append(msgs, ev)
		}
	}
	if len(msgs) != 2 || msgs[0].Key != "nh2@cliente.cl" || msgs[0].By != tickets.ByCustomer || msgs[0].Note != "" ||
		msgs[1].Key != "nh3@cliente.cl" || msgs[1].Note != "auto_reply" {
		t.Fatalf("message events = %+v", msgs)
	}
	if err := e.svc.NotifyDone(ctx, res.Ticket, old); err != nil {
		t.Fatal(err)
	}
	p, _ = e.svc.NotifyPending(ctx)
	if len(p) != 1 || p[0].Token == old {
		t.Fatalf("a stale token cleared the marker: %+v", p)
	}
	if err := e.svc.NotifyDone(ctx, res.Ticket, p[0].Token); err != nil {
		t.Fatal(err)
	}
	if p, _ = e.svc.NotifyPending(ctx); len(p) != 0 {
		t.Fatalf("marker left after NotifyDone: %+v", p)
	}
}
