package tickets_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/mailout"
	"turno/msgid"
	"turno/templates"
	"turno/tickets"
)

func TestUnknownSenderPolicyTicket(t *testing.T) {
	e := newEnv(t, func(o *tickets.Options) { o.UnknownSenderReplyWindow = 48 * time.Hour })
	r := e.ingest(mail{from: "Desconocido <nadie@gmail.com>", subject: "Ayuda", id: "u1@gmail.com"}.raw())
	want(t, "outcome", r.Outcome, tickets.OutcomeOpened)
	want(t, "reply", r.AutoReply, tickets.ReplyUnknownSender)
	tk := e.ticket(r.Ticket)
	want(t, "unverified", tk.Unverified, true)
	want(t, "priority", tk.Priority, 20) // email only: no contact bonus, no tier
	want(t, "label", tk.Label, tickets.LabelLow)

	sent := e.out.sent()
	want(t, "sent", len(sent), 1)
	want(t, "template", sent[0].Template, "ticket_unknown_sender")
	want(t, "data", sent[0].Data.(templates.TicketUnknownSender).SenderAddress, "nadie@gmail.com")

	// Within the window: tickets, but no second reply (any case of address).
	e.clk.Advance(2 * time.Hour)
	r = e.ingest(mail{from: "NADIE@gmail.com", subject: "Ayuda 2", id: "u2@gmail.com"}.raw())
	want(t, "second outcome", r.Outcome, tickets.OutcomeOpened)
	want(t, "second reply", r.AutoReply, "suppressed: unknown-sender reply already sent in window")
	// After it: one more.
	e.clk.Advance(47 * time.Hour)
	r = e.ingest(mail{from: "nadie@gmail.com", subject: "Ayuda 3", id: "u3@gmail.com"}.raw())
	want(t, "after window", r.AutoReply, tickets.ReplyUnknownSender)
	want(t, "sent total", len(e.out.sent()), 2)

	// A client that is inactive does not make its contacts registered.
	r = e.ingest(mail{from: "inactivo@viejo.cl", subject: "hola", id: "u4@viejo.cl"}.raw())
	want(t, "inactive client's contact", e.ticket(r.Ticket).Unverified, true)
}

func TestUnknownSenderPolicyReject(t *testing.T) {
	e := newEnv(t, nil)
	in := e.incoming(mail{from: "nadie@gmail.com", subject: "Ayuda", id: "r1@gmail.com"}.raw(), "soporte")
	in.UnknownSender = tickets.PolicyReject
	r := e.ingestIn(in)
	want(t, "outcome", r.Outcome, tickets.OutcomeRejected)
	want(t, "ticket", r.Ticket, int64(0))
	want(t, "reply", r.AutoReply, tickets.ReplyUnknownSender)
	want(t, "tickets", e.count(tickets.CollTickets, bson.D{}), int64(0))
	// A retry is a duplicate and sends nothing new.
	want(t, "retry", e.ingestIn(in).Outcome, tickets.OutcomeDuplicate)
	in2 := e.incoming(mail{from: "nadie@gmail.com", subject: "Ayuda", id: "r2@gmail.com"}.raw(), "soporte")
	in2.UnknownSender = tickets.PolicyReject
	r = e.ingestIn(in2)
	want(t, "second reply", r.AutoReply, "suppressed: unknown-sender reply already sent in window")
	want(t, "sent", len(e.out.sent()), 1)
	// A registered contact is not affected by the policy.
	in3 := e.incoming(mail{from: "maria@cliente.cl", subject: "Ayuda", id: "r3@cliente.cl"}.raw(), "soporte")
	in3.UnknownSender = tickets.PolicyReject
	want(t, "registered", e.ingestIn(in3).Outcome, tickets.OutcomeOpened)
}

func TestNoAckForAutomaticMail(t *testing.T) {
	e := newEnv(t, nil)
	for i, h := range []string{"Auto-Submitted: auto-replied\r\n", "Precedence: bulk\r\n", "List-Id: <x.lists.example>\r\n", "X-Autoreply: yes\r\n"} {
		r := e.ingest(mail{from: "maria@cliente.cl", subject: "Aviso", id: fmt.Sprintf("auto%d@cliente.cl", i), extra: h}.raw())
		want(t, "outcome "+h, r.Outcome, tickets.OutcomeOpened)
		if r.AutoReply == tickets.ReplyAck || r.AutoReply == "" {
			t.Fatalf("%s: auto reply %q", h, r.AutoReply)
		}
	}
	want(t, "sent", len(e.out.sent()), 0)
}

func TestHourlyBudget(t *testing.T) {
	e := newEnv(t, func(o *tickets.Options) { o.AutoReplyBudget = 3 })
	acks := func() int { return len(e.out.sent()) }
	for i := range 6 {
		e.ingest(mail{from: "maria@cliente.cl", subject: fmt.Sprintf("Pedido %d", i), id: fmt.Sprintf("b%d@cliente.cl", i)}.raw())
	}
	want(t, "acks in the hour", acks(), 3)
	want(t, "tickets", e.count(tickets.CollTickets, bson.D{}), int64(6))
	// Another address has its own budget.
	e.ingest(mail{from: "jorge@cliente.cl", subject: "x", id: "j@cliente.cl"}.raw())
	want(t, "other address", acks(), 4)
	// The next clock hour has a fresh one.
	e.clk.Advance(time.Hour)
	e.ingest(mail{from: "maria@cliente.cl", subject: "Pedido 7", id: "b7@cliente.cl"}.raw())
	want(t, "next hour", acks(), 5)
}

// Two autoresponders answering each other through Turno: every ack Turno
// enqueues comes straight back from the peer.
func TestAutoresponderLoopIsBounded(t *testing.T) {
	cases := []struct {
		name string
		// reply is the peer's answer to Turno's ack.
		reply   func(ack mailout.Message, i int) mail
		maxAcks int
	}{
		{"peer marks its mail automatic", func(ack mailout.Message, i int) mail {
			return mail{from: "robot@autoresp.cl", subject: "Respuesta automática: recibido", id: fmt.Sprintf("p%d@autoresp.cl", i),
				extra: "Auto-Submitted: auto-replied\r\n"}
		}, 1},
		{"peer does not mark it but threads", func(ack mailout.Message, i int) mail {
			return mail{from: "robot@autoresp.cl", subject: fmt.Sprintf("Re: [Ticket #%d] recibido", ack.Ticket),
				id: fmt.Sprintf("p%d@autoresp.cl", i), inReplyTo: msgid.New("turno.example", ack.Ticket, testKey)}
		}, 1},
		{"peer neither marks nor threads", func(ack mailout.Message, i int) mail {
			return mail{from: "robot@autoresp.cl", subject: "Gracias por escribirnos", id: fmt.Sprintf("p%d@autoresp.cl", i)}
		}, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.ingest(mail{from: "robot@autoresp.cl", subject: "Hola", id: "start@autoresp.cl"}.raw())
			for i := 0; i < 50; i++ {
				sent := e.out.sent()
				if len(sent) == 0 {
					break
				}
				e.clk.Advance(10 * time.Second) // 50 rounds stay within one hour
				e.ingest(c.reply(sent[len(sent)-1], i).raw())
			}
			if got := len(e.out.sent()); got != c.maxAcks {
				t.Fatalf("automatic replies = %d, want %d", got, c.maxAcks)
			}
		})
	}
}

func TestOversizeNoteAndOneNotice(t *testing.T) {
	e := newEnv(t, nil)
	in := e.incoming(mail{from: "maria@cliente.cl", subject: "Planos", id: "big@cliente.cl"}.raw(), "soporte")
	in.Oversize = &tickets.Oversize{Size: 40 << 20, Limit: 25 << 20}
	r := e.ingestIn(in)
	want(t, "replies", r.AutoReply, "ack, attachment_too_large")
	want(t, "retry", e.ingestIn(in).Outcome, tickets.OutcomeDuplicate)
	sent := e.out.sent()
	want(t, "sent", len(sent), 2)
	want(t, "notice template", sent[1].Template, "ticket_attachment_too_large")
	want(t, "notice key", sent[1].Key, "ticket-oversize:big@cliente.cl")
	_, msgs, err := e.svc.Show(t.Context(), r.Ticket)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs[0].Notes) != 1 || msgs[0].Oversize == nil {
		t.Fatalf("notes %q oversize %+v", msgs[0].Notes, msgs[0].Oversize)
	}
}

func TestHugeTextIsClippedNotRefused(t *testing.T) {
	e := newEnv(t, nil)
	body := strings.Repeat("ñandú ", 1_000_000) // 7 MB of two-byte runes
	r := e.ingest(mail{from: "maria@cliente.cl", subject: "Log", id: "huge@cliente.cl", body: body}.raw())
	want(t, "outcome", r.Outcome, tickets.OutcomeOpened)
	_, msgs, err := e.svc.Show(t.Context(), r.Ticket)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(msgs[0].Text); n > 2<<20 || n < 2<<20-4 || !utf8.ValidString(msgs[0].Text) {
		t.Fatalf("stored text: %d bytes, valid UTF-8 %v", n, utf8.ValidString(msgs[0].Text))
	}
	if len(msgs[0].Notes) != 1 {
		t.Fatalf("notes %q", msgs[0].Notes)
	}
}

// An ISP's unknown-sender reply asks for what an ISP's subscriber can
// prove (the provider kind reaches the template), not a hosted domain.
func TestUnknownSenderReplyFollowsProviderKind(t *testing.T) {
	for _, kind := range []string{"hosting", "isp"} {
		e := newEnv(t, func(o *tickets.Options) { o.ProviderKind = kind })
		e.ingest(mail{from: "Vecino <vecino@gmail.com>", subject: "sin internet", id: "k-" + kind + "@gmail.com"}.raw())
		sent := e.out.sent()
		want(t, "sent", len(sent), 1)
		want(t, kind+" provider kind", sent[0].Data.(templates.TicketUnknownSender).ProviderKind, kind)
	}
}
