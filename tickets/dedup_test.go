package tickets_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/tickets"
)

func TestNewTicketFromFileAndDedupAcrossRetriesMailboxesRescans(t *testing.T) {
	e := newEnv(t, nil)
	raw := e.file("new_request_es.eml")

	r := e.ingest(raw)
	want(t, "outcome", r.Outcome, tickets.OutcomeOpened)
	want(t, "ticket", r.Ticket, int64(100000))
	want(t, "key", r.Key, "CAF=abc123@mail.gmail.com")
	want(t, "auto reply", r.AutoReply, tickets.ReplyAck)

	// A retry (crash before the IMAP flag), the same mail in the payments
	// mailbox, and a rescan after a UIDVALIDITY change.
	for _, mb := range []string{"soporte", "pagos", "soporte"} {
		r := e.ingestIn(e.incoming(raw, mb))
		want(t, "outcome "+mb, r.Outcome, tickets.OutcomeDuplicate)
		want(t, "ticket "+mb, r.Ticket, int64(100000))
	}
	want(t, "messages", e.count(tickets.CollMessages, bson.D{}), int64(1))
	want(t, "tickets", e.count(tickets.CollTickets, bson.D{}), int64(1))
	want(t, "acks", len(e.out.sent()), 1)

	tk := e.ticket(100000)
	want(t, "requester", tk.Requester.Address, "maria@cliente.cl")
	want(t, "requester name", tk.Requester.Name, "María Pérez")
	want(t, "client", tk.ClientID, "C1")
	want(t, "subject", tk.Subject, "No funciona el correo de mi dominio")
	want(t, "priority", tk.Priority, 30) // email 20 + contact 10
	want(t, "label", tk.Label, tickets.LabelMedium)

	ack := e.out.sent()[0]
	want(t, "ack key", ack.Key, "ticket-ack:CAF=abc123@mail.gmail.com")
	want(t, "ack template", ack.Template, "ticket_ack")
	want(t, "ack to", ack.To[0], "maria@cliente.cl")
	want(t, "ack in-reply-to", ack.InReplyTo, "<CAF=abc123@mail.gmail.com>")
	want(t, "ack auto-submitted", ack.AutoSubmitted, "auto-replied")
	want(t, "ack ticket", ack.Ticket, int64(100000))
	want(t, "ack kind", ack.Kind, "ticket")
	want(t, "ack client", ack.ClientID, "C1")
}

func TestNoMessageIDDedupsByRawHash(t *testing.T) {
	e := newEnv(t, nil)
	raw := e.file("no_message_id.eml")
	r1 := e.ingest(raw)
	r2 := e.ingest(raw)
	want(t, "first", r1.Outcome, tickets.OutcomeOpened)
	want(t, "second", r2.Outcome, tickets.OutcomeDuplicate)
	if len(r1.Key) != len("raw:")+64 || r1.Key[:4] != "raw:" {
		t.Fatalf("key %q is not raw:<sha256>", r1.Key)
	}
	// One byte more is another message.
	r3 := e.ingest(append(raw, '\n'))
	want(t, "changed bytes", r3.Outcome, tickets.OutcomeOpened)
	want(t, "tickets", e.count(tickets.CollTickets, bson.D{}), int64(2))
}

func TestConcurrentIngestOfOneMessage(t *testing.T) {
	e := newEnv(t, nil)
	raw := e.file("new_request_es.eml")
	const n = 8
	var wg sync.WaitGroup
	results := make([]tickets.Result, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = e.svc.Ingest(context.Background(), e.incoming(raw, "soporte"))
		}()
	}
	wg.Wait()
	opened := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
		if results[i].Outcome == tickets.OutcomeOpened {
			opened++
		}
		if results[i].Ticket != results[0].Ticket {
			t.Fatalf("goroutines disagree on the ticket: %d vs %d", results[i].Ticket, results[0].Ticket)
		}
	}
	want(t, "opened results", opened, 1)
	want(t, "messages", e.count(tickets.CollMessages, bson.D{}), int64(1))
	want(t, "tickets", e.count(tickets.CollTickets, bson.D{}), int64(1))
	want(t, "acks", len(e.out.sent()), 1)
}

// A crash after the message insert but before its ticket existed (or before
// the ack): the next Ingest of the same mail creates exactly that ticket.
func TestRetryAfterCrashCompletesTheSameTicket(t *testing.T) {
	e := newEnv(t, nil)
	raw := e.file("new_request_es.eml")
	r := e.ingest(raw)
	before := e.ticket(r.Ticket)
	ctx := context.Background()
	// Recreate the state a crash leaves: message stored, ticket not, not done.
	if _, err := e.db.Collection(tickets.CollTickets).DeleteOne(ctx, bson.D{{Key: "number", Value: r.Ticket}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Collection(tickets.CollDone).DeleteOne(ctx, bson.D{{Key: "_id", Value: r.Key}}); err != nil {
		t.Fatal(err)
	}
	want(t, "ticket gone", e.count(tickets.CollTickets, bson.D{}), int64(0))
	r2 := e.ingest(raw)
	want(t, "ticket after retry", r2.Ticket, r.Ticket)
	after := e.ticket(r.Ticket)
	want(t, "same sort key", after.SortKey, before.SortKey)
	want(t, "same origin", after.Origin, before.Origin)
	want(t, "tickets", e.count(tickets.CollTickets, bson.D{}), int64(1))
	want(t, "acks (outbox dedups by key)", len(e.out.sent()), 1)
	// The next new ticket gets the next number: the retry allocated none.
	r3 := e.ingest(mail{from: "maria@cliente.cl", subject: "Otra cosa", id: "otra@cliente.cl"}.raw())
	want(t, "next number", r3.Ticket, r.Ticket+1)
}

func TestOwnMailIgnored(t *testing.T) {
	e := newEnv(t, nil)
	r := e.ingest(e.file("own_loop.eml"))
	want(t, "outcome", r.Outcome, tickets.OutcomeOwn)
	want(t, "messages", e.count(tickets.CollMessages, bson.D{}), int64(0))
	want(t, "sent", len(e.out.sent()), 0)
}

// Distinct messages at once from one sender: distinct, gapless numbers and
// no more acknowledgements than the budget.
func TestConcurrentDistinctMessages(t *testing.T) {
	e := newEnv(t, func(o *tickets.Options) { o.AutoReplyBudget = 3 })
	const n = 10
	var wg sync.WaitGroup
	nums := make([]int64, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			raw := mail{from: "maria@cliente.cl", subject: "Pedido", id: fmt.Sprintf("c%d@cliente.cl", i)}.raw()
			var r tickets.Result
			r, errs[i] = e.svc.Ingest(context.Background(), e.incoming(raw, "soporte"))
			nums[i] = r.Ticket
		}()
	}
	wg.Wait()
	seen := map[int64]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if nums[i] < 100000 || nums[i] >= 100000+n || seen[nums[i]] {
			t.Fatalf("numbers not distinct and gapless: %v", nums)
		}
		seen[nums[i]] = true
	}
	want(t, "acks", len(e.out.sent()), 3)
}

func TestConcurrentUnknownSenderGetsOneReply(t *testing.T) {
	e := newEnv(t, nil)
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			raw := mail{from: "nadie@gmail.com", subject: "Ayuda", id: fmt.Sprintf("n%d@gmail.com", i)}.raw()
			if _, err := e.svc.Ingest(context.Background(), e.incoming(raw, "soporte")); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	want(t, "replies", len(e.out.sent()), 1)
	want(t, "tickets", e.count(tickets.CollTickets, bson.D{}), int64(6))
}

// Web forms and broken mailers give different mails one Message-ID: each is
// its own ticket message, and each still deduplicates across retries and
// mailboxes under a key of its own.
func TestDifferentMailsSharingAMessageIDAreKept(t *testing.T) {
	e := newEnv(t, nil)
	var raws [][]byte
	for _, who := range []string{"alice@uno.cl", "bob@dos.cl", "carol@tres.cl"} {
		raws = append(raws, mail{from: who, subject: "Formulario de contacto", id: "form-notification@webform.test",
			body: "Consulta de " + who}.raw())
	}
	keys := map[string]bool{}
	for _, raw := range raws {
		r := e.ingest(raw)
		want(t, "outcome", r.Outcome, tickets.OutcomeOpened)
		keys[r.Key] = true
	}
	want(t, "distinct keys", len(keys), 3)
	if !keys["form-notification@webform.test"] {
		t.Errorf("the first mail lost the plain Message-ID key: %v", keys)
	}
	// Every one again, from another mailbox with other routing headers:
	// nothing new.
	for _, raw := range raws {
		r := e.ingestIn(e.incoming(append([]byte("Received: from mx2.turno.example\r\n"), raw...), "ventas"))
		want(t, "outcome of a second copy", r.Outcome, tickets.OutcomeDuplicate)
	}
	want(t, "messages", e.count(tickets.CollMessages, bson.D{}), int64(3))
	want(t, "tickets", e.count(tickets.CollTickets, bson.D{}), int64(3))
}
