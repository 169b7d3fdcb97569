package tickets_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/tickets"
)

// A ticket's thread is read by the message keys the ticket keeps: it must
// be exactly what a filtered read of ticket_messages finds (refused
// replies aside: they were never on the thread), through customer mail,
// automatic mail, replies, notes and a merge.
func TestThreadByKeysMatchesTheMessagesFiledOnTheTicket(t *testing.T) {
	e := replyEnv(t, nil)
	ctx := context.Background()
	c := e.customerMail()
	e.clk.Advance(time.Minute)
	e.ingest(mail{from: "maria@cliente.cl", subject: "Fuera de la oficina", id: "ooo@cliente.cl",
		inReplyTo: "<c1@cliente.cl>", extra: "Auto-Submitted: auto-replied\r\n", body: "Vuelvo el lunes."}.raw())
	e.clk.Advance(time.Minute)
	r, err := e.svc.Reply(ctx, ana, c.Ticket, tickets.ReplyInput{Key: "r1", Answers: c.Key, Text: "Revise el puerto."})
	if err != nil {
		t.Fatal(err)
	}
	// A stale reply is refused and stays off the thread.
	if _, err := e.svc.Reply(ctx, ana, c.Ticket, tickets.ReplyInput{Key: "r2", Answers: c.Key, Text: "Otra."}); err == nil {
		t.Fatal("stale reply accepted")
	}
	if _, err := e.svc.Note(ctx, ana, c.Ticket, tickets.NoteInput{Key: "n1", Text: "cliente conocido"}); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Minute)
	e.ingest(mail{from: "maria@cliente.cl", subject: "Re: No puedo enviar correo", id: "c2@cliente.cl",
		inReplyTo: "<" + r.Message.MessageID + ">", body: "Sigue igual."}.raw())
	other := e.ingest(mail{from: "maria@cliente.cl", subject: "Otro tema", id: "o1@cliente.cl", body: "Y esto."}.raw())
	if _, err := e.svc.Merge(ctx, admin, other.Ticket, c.Ticket); err != nil {
		t.Fatal(err)
	}

	_, msgs, err := e.svc.Show(ctx, c.Ticket)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, m.Key)
	}
	cur, err := e.db.Collection(tickets.CollMessages).Find(ctx, bson.D{
		{Key: "ticket", Value: bson.D{{Key: "$in", Value: bson.A{c.Ticket, other.Ticket}}}},
		{Key: "state", Value: bson.D{{Key: "$ne", Value: "refused"}}}})
	if err != nil {
		t.Fatal(err)
	}
	var all []tickets.Message
	if err := cur.All(ctx, &all); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, m := range all {
		want = append(want, m.Key)
	}
	slices.Sort(want)
	sorted := slices.Sorted(slices.Values(got))
	if !slices.Equal(sorted, want) || len(got) != 6 {
		t.Fatalf("thread by keys %v\nfiled on the ticket %v", got, want)
	}
	for i := 1; i < len(msgs); i++ {
		if msgs[i].ArrivedAt.Before(msgs[i-1].ArrivedAt) {
			t.Fatalf("thread out of order at %d: %v", i, got)
		}
	}
}
