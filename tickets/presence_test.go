package tickets_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/tickets"
)

// Presence: two agents marking one ticket at once both count; each sees
// only the other; a mark lapses after PresenceTTL, "gone" removes it at
// once; another department's ticket is not found; the prune drops only
// documents long past.
func TestPresenceMarks(t *testing.T) {
	e := workEnv(t, nil)
	ctx := context.Background()
	n := e.ingest(mail{from: "maria@cliente.cl", subject: "Sin correo", id: "p1@x"}.raw()).Ticket
	m := e.ingest(mail{from: "jorge@cliente.cl", subject: "Otro", id: "p2@x"}.raw()).Ticket
	carla := tickets.Actor{Email: "carla@turno.test", Name: "Carla", Departments: []string{"soporte"}}
	tk := []tickets.Ticket{*e.ticket(n), *e.ticket(m)}

	if _, err := e.svc.MarkPresence(ctx, agentAna, n, tickets.PresenceReplying); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.MarkPresence(ctx, carla, n, tickets.PresenceViewing); err != nil {
		t.Fatal(err)
	}
	show := func(a tickets.Actor) string {
		t.Helper()
		ps, err := e.svc.PresenceOn(ctx, a, tk...)
		if err != nil {
			t.Fatal(err)
		}
		out := ""
		for _, x := range tk {
			for _, p := range ps[x.Number] {
				out += fmt.Sprintf("%d:%s:%s ", x.Number-n, p.Name, p.State)
			}
		}
		return out
	}
	want(t, "Ana sees", show(agentAna), "0:Carla:viewing ")
	want(t, "Carla sees", show(carla), "0:Ana:replying ")
	want(t, "admin sees", show(admin), "0:Ana:replying 0:Carla:viewing ")
	want(t, "another department sees", show(outside), "")

	_, err := e.svc.MarkPresence(ctx, outside, n, tickets.PresenceViewing)
	if !errors.Is(err, tickets.ErrNotFound) {
		t.Fatalf("another department's ticket: %v", err)
	}
	_, err = e.svc.MarkPresence(ctx, agentAna, n, "typing")
	inputField(t, err, "state")
	others, err := e.svc.MarkPresence(ctx, agentAna, n, tickets.PresenceReplying)
	if err != nil || len(others) != 1 || others[0].Name != "Carla" {
		t.Fatalf("a mark returns the others: %+v, %v", others, err)
	}
	want(t, "refusals left no mark", show(admin), "0:Ana:replying 0:Carla:viewing ")

	// Carla renews after a minute; Ana's mark lapses first.
	e.clk.Advance(time.Minute)
	if _, err := e.svc.MarkPresence(ctx, carla, n, tickets.PresenceViewing); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(tickets.PresenceTTL - time.Minute)
	want(t, "after Ana's TTL", show(admin), "0:Carla:viewing ")
	if _, err := e.svc.MarkPresence(ctx, carla, n, tickets.PresenceGone); err != nil {
		t.Fatal(err)
	}
	want(t, "after gone", show(admin), "")

	// The prune drops n's document (past for two hours), keeps m's
	// (current a minute ago), and drops that one an hour later.
	e.clk.Advance(2 * time.Hour)
	if _, err := e.svc.MarkPresence(ctx, carla, m, tickets.PresenceReplying); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Minute)
	for i, exp := range []int{1, 0, 1} {
		got, err := e.svc.PrunePresence(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want(t, fmt.Sprint("pruned, round ", i), got, exp)
		e.clk.Advance(45 * time.Minute)
	}
	want(t, "left", e.count(tickets.CollPresence, bson.D{}), int64(0))
}
