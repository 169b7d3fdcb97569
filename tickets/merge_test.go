package tickets_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"turno/tickets"
)

func TestMergeMovesThreadAndLaterMail(t *testing.T) {
	e := workEnv(t, nil)
	ctx := context.Background()
	a := e.ingest(mail{from: "maria@cliente.cl", subject: "Correo caído", id: "ma1@x"}.raw()).Ticket
	e.clk.Advance(time.Minute)
	b := e.ingest(mail{from: "jorge@cliente.cl", subject: "No llega correo", id: "mb1@x"}.raw()).Ticket
	e.clk.Advance(time.Minute)
	e.ingest(mail{from: "jorge@cliente.cl", subject: "Re: No llega correo", id: "mb2@x", inReplyTo: "<mb1@x>"}.raw())
	if _, err := e.svc.Assign(ctx, agentAna, b, "luis@turno.test"); err != nil {
		t.Fatal(err)
	}

	_, err := e.svc.Merge(ctx, agentAna, a, a)
	inputField(t, err, "into")
	if _, err := e.svc.Merge(ctx, outside, b, a); !errors.Is(err, tickets.ErrNotFound) {
		t.Fatalf("outsider merge: %v", err)
	}
	into, err := e.svc.Merge(ctx, agentAna, b, a)
	if err != nil {
		t.Fatal(err)
	}
	want(t, "survivor", into.Number, a)
	want(t, "survivor last public", into.LastPublic.Key, "mb2@x")
	ev := lastEvent(t, into)
	want(t, "merged_from", ev.Type+" "+ev.From, "merged_from "+ticketIDOf(b))
	th, err := e.svc.Get(ctx, agentAna, a)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, m := range th.Messages {
		keys = append(keys, m.Key)
	}
	want(t, "thread", strings.Join(keys, " "), "ma1@x mb1@x mb2@x")
	var copied int
	for _, ev := range th.Ticket.Events {
		if ev.Type == tickets.EventAssign {
			copied++
		}
	}
	want(t, "b's history on a", copied, 1)
	old := e.ticket(b)
	want(t, "b closed", old.Status, tickets.StatusClosed)
	want(t, "b merged into", old.MergedInto, a)
	want(t, "b not queued", len(queueNumbers(t, e, agentAna, tickets.QueueFilter{Requester: "jorge@cliente.cl"})), 0)

	// Mail answering B's messages lands on A, and does not reopen B.
	e.clk.Advance(time.Minute)
	res := e.ingest(mail{from: "jorge@cliente.cl", subject: "Re: No llega correo", id: "mb3@x", inReplyTo: "<mb1@x>"}.raw())
	want(t, "threads to survivor", res.Ticket, a)
	res = e.ingest(mail{from: "jorge@cliente.cl", subject: "[Ticket #" + ticketIDOf(b) + "] otra vez", id: "mb4@x"}.raw())
	want(t, "subject tag to survivor", res.Ticket, a)
	want(t, "b still closed", e.ticket(b).Status, tickets.StatusClosed)

	// A retry changes nothing; merging into the merged ticket is refused.
	n := len(e.ticket(a).Events)
	if _, err := e.svc.Merge(ctx, agentAna, b, a); err != nil {
		t.Fatal(err)
	}
	want(t, "idempotent", len(e.ticket(a).Events), n)
	_, err = e.svc.Merge(ctx, agentAna, a, b)
	inputField(t, err, "into")
	_, err = e.svc.SetStatus(ctx, agentAna, b, tickets.StatusOpen)
	inputField(t, err, "status")
}

func ticketIDOf(n int64) string {
	return strconv.FormatInt(n, 10)
}
