package tickets_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/msgid"
	"turno/tickets"
)

// open creates ticket for maria@cliente.cl and returns its number.
func (e *env) open(id string) int64 {
	e.t.Helper()
	r := e.ingest(mail{from: "María <maria@cliente.cl>", subject: "Problema con mi dominio", id: id}.raw())
	want(e.t, "opened", r.Outcome, tickets.OutcomeOpened)
	return r.Ticket
}

func tag(n int64, s string) string { return fmt.Sprintf("Re: [Ticket #%d] %s", n, s) }

func TestThreading(t *testing.T) {
	e := newEnv(t, nil)
	n := e.open("first@cliente.cl")
	genuine := msgid.New("turno.example", n, testKey)
	forged := msgid.New("turno.example", n, []byte("attacker guess"))

	cases := []struct {
		name     string
		m        mail
		outcome  tickets.Outcome
		thread   string
		mentions bool
		note     string
	}{
		{"stranger with the subject tag stays out",
			mail{from: "intruso@otro.cl", subject: tag(n, "dame acceso")},
			tickets.OutcomeOpened, tickets.ThreadNew, true, fmt.Sprintf("mentions ticket #%d", n)},
		{"stranger with a forged Turno Message-ID is refused",
			mail{from: "intruso@otro.cl", subject: tag(n, "x"), inReplyTo: forged},
			tickets.OutcomeOpened, tickets.ThreadNew, true, "refused a forged Turno Message-ID"},
		{"forged Message-ID without a tag opens a ticket",
			mail{from: "intruso@otro.cl", subject: "hola", refs: "<a@b> " + forged},
			tickets.OutcomeOpened, tickets.ThreadNew, false, "refused a forged Turno Message-ID"},
		{"genuine Turno Message-ID threads, whoever replies",
			mail{from: "colega@otro.cl", subject: "Re: Recibimos su mensaje", inReplyTo: genuine},
			tickets.OutcomeAppended, tickets.ThreadTurnoRef, false, ""},
		{"genuine Turno Message-ID deep in References threads",
			mail{from: "maria@cliente.cl", subject: "Re: algo", refs: genuine + " <zzz@elsewhere>"},
			tickets.OutcomeAppended, tickets.ThreadTurnoRef, false, ""},
		{"reference to the stored customer message threads",
			mail{from: "maria@cliente.cl", subject: "Re: Problema con mi dominio", inReplyTo: "<first@cliente.cl>"},
			tickets.OutcomeAppended, tickets.ThreadStoredRef, false, ""},
		{"requester with the tag threads",
			mail{from: "MARIA@Cliente.CL", subject: "RE: RV: [ ticket # " + fmt.Sprint(n) + " ] sigue"},
			tickets.OutcomeAppended, tickets.ThreadSubject, false, ""},
		{"another contact of the same client with the tag threads",
			mail{from: "jorge@cliente.cl", subject: tag(n, "lo mismo")},
			tickets.OutcomeAppended, tickets.ThreadSubject, false, ""},
		{"a contact of another client with the tag stays out",
			mail{from: "ana@premium.cl", subject: tag(n, "lo mismo")},
			tickets.OutcomeOpened, tickets.ThreadNew, true, "mentions ticket"},
		{"tag naming no ticket opens a new one",
			mail{from: "maria@cliente.cl", subject: tag(999999, "viejo")},
			tickets.OutcomeOpened, tickets.ThreadNew, true, "mentions ticket #999999"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.m.id = fmt.Sprintf("case%d@test", i)
			e.clk.Advance(time.Minute)
			r := e.ingest(c.m.raw())
			want(t, "outcome", r.Outcome, c.outcome)
			want(t, "thread", r.Thread, c.thread)
			if c.outcome == tickets.OutcomeAppended {
				want(t, "ticket", r.Ticket, n)
			} else if r.Ticket == n {
				t.Fatalf("joined ticket %d", n)
			}
			_, msgs, err := e.svc.Show(t.Context(), r.Ticket)
			if err != nil {
				t.Fatal(err)
			}
			m := msgs[len(msgs)-1]
			want(t, "message key", m.Key, c.m.id)
			if c.note != "" && !slices.ContainsFunc(m.Notes, func(s string) bool { return strings.Contains(s, c.note) }) {
				t.Fatalf("notes %q lack %q", m.Notes, c.note)
			}
			if c.mentions {
				if tk := e.ticket(r.Ticket); tk.Mentions == 0 {
					t.Fatalf("ticket %d does not record the mention", r.Ticket)
				}
			}
		})
	}
	_, msgs, err := e.svc.Show(t.Context(), n)
	if err != nil {
		t.Fatal(err)
	}
	want(t, "messages on the original ticket", len(msgs), 6)
	// Only the opening message was acknowledged on ticket n.
	for _, m := range e.out.sent() {
		if m.Ticket == n && m.Key != "ticket-ack:first@cliente.cl" {
			t.Fatalf("automatic reply on a threaded message: %+v", m)
		}
	}
}

func TestReopenWithinWindowAndLinkAfter(t *testing.T) {
	e := newEnv(t, func(o *tickets.Options) { o.ReopenWindow = 72 * time.Hour })
	n := e.open("first@cliente.cl")
	if err := e.svc.Close(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	want(t, "closed", e.ticket(n).Status, tickets.StatusClosed)

	// An out-of-office answer joins but does not reopen.
	e.clk.Advance(time.Hour)
	r := e.ingest(mail{from: "maria@cliente.cl", subject: tag(n, "Fuera de oficina"), id: "ooo@cliente.cl",
		extra: "Auto-Submitted: auto-replied\r\n"}.raw())
	want(t, "auto reply appended", r.Outcome, tickets.OutcomeAppended)
	want(t, "still closed", e.ticket(n).Status, tickets.StatusClosed)

	e.clk.Advance(24 * time.Hour)
	r = e.ingest(mail{from: "maria@cliente.cl", subject: tag(n, "volvió a fallar"), id: "again@cliente.cl"}.raw())
	want(t, "reply within window", r.Outcome, tickets.OutcomeAppended)
	want(t, "reopened", r.Reopened, true)
	tk := e.ticket(n)
	want(t, "status", tk.Status, tickets.StatusOpen)
	_, msgs, err := e.svc.Show(t.Context(), n)
	if err != nil {
		t.Fatal(err)
	}
	want(t, "last message", msgs[len(msgs)-1].Key, "again@cliente.cl")

	if err := e.svc.Close(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(73 * time.Hour)
	r = e.ingest(mail{from: "maria@cliente.cl", subject: tag(n, "otra vez"), id: "late@cliente.cl"}.raw())
	want(t, "reply after window", r.Outcome, tickets.OutcomeOpened)
	if r.Ticket == n {
		t.Fatal("reused the closed ticket")
	}
	want(t, "linked", e.ticket(r.Ticket).LinkedFrom, n)
	want(t, "old stays closed", e.ticket(n).Status, tickets.StatusClosed)
	// A genuine reference after the window links too.
	r = e.ingest(mail{from: "maria@cliente.cl", subject: "Re: x", id: "late2@cliente.cl",
		inReplyTo: msgid.New("turno.example", n, testKey)}.raw())
	want(t, "reference after window", r.Outcome, tickets.OutcomeOpened)
	want(t, "linked by reference", e.ticket(r.Ticket).LinkedFrom, n)
	want(t, "tickets", e.count(tickets.CollTickets, bson.D{}), int64(3))
}
