package tickets_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/internal/testenv"
	"turno/tickets"
)

// TestPruneKeepsDedupAndMessages: after a year and a prune with the
// shortest cut-off (now), a rescanned old mail is still the same ticket
// message, answered as a duplicate without a second acknowledgement even
// though the outbox forgot the first one; a different mail reusing its
// Message-ID is still a new one; the ticket and its messages stay; expired
// budget slots and unknown-sender claims go, current ones stay.
func TestPruneKeepsDedupAndMessages(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	old := mail{from: "maria@cliente.cl", subject: "Sin servicio", id: "viejo-1@cliente.cl"}
	first := e.ingest(old.raw())
	if first.Outcome != tickets.OutcomeOpened || first.AutoReply != "ack" {
		t.Fatalf("first ingest: %+v", first)
	}
	stranger := mail{from: "nadie@desconocido.cl", subject: "hola", id: "stranger-1@desconocido.cl"}
	if r := e.ingest(stranger.raw()); r.AutoReply != "unknown_sender" {
		t.Fatalf("stranger: %+v", r)
	}
	budgetBefore := e.count(tickets.CollBudget, bson.D{})
	if budgetBefore == 0 || e.count(tickets.CollUnknown, bson.D{}) != 1 {
		t.Fatalf("setup: %d budget slots, %d unknown claims", budgetBefore, e.count(tickets.CollUnknown, bson.D{}))
	}

	e.clk.Advance(365 * 24 * time.Hour)
	// A current budget slot and unknown-sender claim, which must stay.
	fresh := mail{from: "nuevo@desconocido.cl", subject: "hola", id: "stranger-2@desconocido.cl"}
	if r := e.ingest(fresh.raw()); r.AutoReply != "unknown_sender" {
		t.Fatalf("fresh stranger: %+v", r)
	}
	p := tickets.Pruner{DB: e.db, Now: e.clk.Now, Logger: testenv.Logger(t)}
	n, err := p.Prune(ctx, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if want := int(budgetBefore) + 1; n != want {
		t.Errorf("pruned %d, want %d (the old budget slots and unknown-sender claim)", n, want)
	}
	if got := e.count(tickets.CollUnknown, bson.D{}); got != 1 {
		t.Errorf("%d unknown-sender claims left, want the current one", got)
	}
	if got := e.count(tickets.CollBudget, bson.D{}); got != 1 {
		t.Errorf("%d budget slots left, want the current one", got)
	}
	for _, c := range []string{tickets.CollSeen, tickets.CollDone} {
		if got := e.count(c, bson.D{{Key: "_id", Value: first.Key}}); got != 1 {
			t.Errorf("%s of the old mail: %d, want kept", c, got)
		}
	}

	// The outbox pruned the acknowledgement's entry: it would send a
	// second one if asked.
	e.out.mu.Lock()
	e.out.byKy, e.out.all = nil, nil
	e.out.mu.Unlock()
	tickets0 := e.count(tickets.CollTickets, bson.D{})
	again := e.ingest(old.raw())
	if again.Outcome != tickets.OutcomeDuplicate || again.Ticket != first.Ticket {
		t.Errorf("rescanned old mail: %+v, want a duplicate of ticket %d", again, first.Ticket)
	}
	if got := e.out.sent(); len(got) != 0 {
		t.Errorf("rescanned old mail enqueued %d messages (%s), want none", len(got), got[0].Template)
	}
	if got := e.count(tickets.CollTickets, bson.D{}); got != tickets0 {
		t.Errorf("tickets %d after the rescan, want %d", got, tickets0)
	}
	// A different mail under the same Message-ID is still a new one.
	reuse := old
	reuse.body = "Otro correo con el mismo Message-ID."
	if r := e.ingest(reuse.raw()); r.Outcome == tickets.OutcomeDuplicate || r.Key == first.Key {
		t.Errorf("different mail reusing the Message-ID: %+v, want a new message", r)
	}
	if tk := e.ticket(first.Ticket); tk == nil {
		t.Fatal("the old ticket is gone")
	}
	if got := e.count(tickets.CollMessages, bson.D{{Key: "_id", Value: first.Key}}); got != 1 {
		t.Errorf("the old ticket message: %d, want kept", got)
	}
}
