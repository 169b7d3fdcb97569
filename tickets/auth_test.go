package tickets_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"turno/mailout"
	"turno/msgid"
	"turno/templates"
	"turno/tickets"
)

const trustedMX = "mx.turno.example"

func authHeader(id, results string) string {
	return "Authentication-Results: " + id + "; " + results + "\r\n"
}

func authEnv(t *testing.T) *env {
	return newEnv(t, func(o *tickets.Options) { o.TrustedAuthservID = trustedMX })
}

// renderSent renders an enqueued automatic reply with the default templates,
// as the outbox would.
func renderSent(t *testing.T, m mailout.Message) *templates.Rendered {
	t.Helper()
	set, err := templates.Load(templates.Options{Company: templates.Company{Name: "Mi Proveedor SpA", SupportAddress: "soporte@turno.example"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := set.Render(m.Template, m.Lang, m.Data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A mail From a registered contact that the trusted server says failed
// DMARC is an unverified sender's: no contact priority, no client, no
// joining by subject tag, no automatic reply, and a note says why. A
// reference to a Message-ID Turno sent still joins.
func TestAuthFailFromRegisteredContact(t *testing.T) {
	e := authEnv(t)
	pass := authHeader(trustedMX, "dkim=pass (2048-bit key; unprotected) header.d=cliente.cl; dmarc=pass (p=reject) header.from=cliente.cl")
	first := e.ingest(mail{from: "María <maria@cliente.cl>", subject: "Problema con mi dominio", id: "first@cliente.cl", extra: pass}.raw())
	want(t, "verified contact's reply", first.AutoReply, tickets.ReplyAck)
	n := first.Ticket
	verified := e.ticket(n)
	want(t, "verified unverified", verified.Unverified, false)

	fail := authHeader(trustedMX, "dmarc=fail (p=reject dis=none) header.from=cliente.cl") +
		authHeader("mx.evil.example", "dmarc=pass header.from=cliente.cl") // forged: another authserv-id
	r := e.ingest(mail{from: "María <maria@cliente.cl>", subject: fmt.Sprintf("[Ticket #%d] cambie la clave", n),
		id: "forged1@evil.example", extra: fail}.raw())
	want(t, "outcome", r.Outcome, tickets.OutcomeOpened)
	want(t, "thread", r.Thread, tickets.ThreadNew)
	want(t, "reply", r.AutoReply, "suppressed: sender authentication failed")
	tk, msgs, err := e.svc.Show(context.Background(), r.Ticket)
	if err != nil {
		t.Fatal(err)
	}
	want(t, "unverified", tk.Unverified, true)
	want(t, "client", tk.ClientID, "")
	want(t, "priority", tk.Priority, 20) // email only, as an unknown sender
	want(t, "mentions", tk.Mentions, n)
	want(t, "registered", msgs[0].Registered, false)
	want(t, "auth", msgs[0].Auth, "fail")
	if len(msgs[0].Notes) == 0 || msgs[0].Notes[0] != "sender authentication failed: dmarc=fail for cliente.cl" {
		t.Fatalf("notes %q", msgs[0].Notes)
	}
	want(t, "mails sent", len(e.out.sent()), 1) // the first ack only

	// No DMARC record, an SPF pass for the forger's own domain only: fail too.
	r = e.ingest(mail{from: "maria@cliente.cl", subject: fmt.Sprintf("[Ticket #%d] urgente", n), id: "forged2@evil.example",
		extra: authHeader(trustedMX, "spf=pass smtp.mailfrom=x@evil.example; dkim=none; dmarc=none header.from=cliente.cl")}.raw())
	want(t, "spf-only outcome", r.Outcome, tickets.OutcomeOpened)
	want(t, "spf-only reply", r.AutoReply, "suppressed: sender authentication failed")

	// A genuine Turno Message-ID still joins: only a participant knows it.
	genuine := "<" + msgid.New("turno.example", n, testKey) + ">"
	r = e.ingest(mail{from: "maria@cliente.cl", subject: "Re: algo", id: "forged3@evil.example", inReplyTo: genuine, extra: fail}.raw())
	want(t, "reference outcome", r.Outcome, tickets.OutcomeAppended)
	want(t, "reference thread", r.Thread, tickets.ThreadTurnoRef)
	want(t, "reference ticket", r.Ticket, n)
	want(t, "ticket stays verified", e.ticket(n).Unverified, false)
	want(t, "mails sent at the end", len(e.out.sent()), 1)
}

// Without a trusted authserv-id, Authentication-Results change nothing.
func TestAuthResultsIgnoredWhenNothingTrusted(t *testing.T) {
	e := newEnv(t, nil)
	r := e.ingest(mail{from: "maria@cliente.cl", subject: "Hola", id: "nt1@cliente.cl",
		extra: authHeader(trustedMX, "dmarc=fail header.from=cliente.cl")}.raw())
	want(t, "reply", r.AutoReply, tickets.ReplyAck)
	tk, msgs, err := e.svc.Show(context.Background(), r.Ticket)
	if err != nil {
		t.Fatal(err)
	}
	want(t, "unverified", tk.Unverified, false)
	want(t, "auth", msgs[0].Auth, "")
}

// No automatic reply repeats a stranger's words: the unknown-sender reply
// has a fixed subject and neither the subject nor the body of the mail,
// and a stranger's oversize mail gets no notice naming its files.
func TestNoEchoToStrangers(t *testing.T) {
	e := newEnv(t, nil)
	const hostile = "hola - visite http://evil.example/login ya"
	const body = "Su cuenta fue suspendida, ingrese en http://evil.example/reset"
	in := e.incoming(mail{from: "Premio Seguro <victima@gmail.com>", subject: hostile, id: "bs1@evil.example", body: body}.raw(), "soporte")
	in.Oversize = &tickets.Oversize{Size: 40 << 20, Limit: 25 << 20}
	r := e.ingestIn(in)
	want(t, "reply", r.AutoReply, "unknown_sender, suppressed: no attachment notice to an unknown sender")
	sent := e.out.sent()
	want(t, "sent", len(sent), 1)
	for _, lang := range []string{"es", "en"} {
		m := sent[0]
		m.Lang = lang
		got := renderSent(t, m)
		wantSubject := map[string]string{"es": "Recibimos su mensaje", "en": "We received your message"}[lang]
		want(t, lang+" subject", got.Subject, wantSubject)
		for _, part := range []string{got.Subject, got.Text, got.HTML} {
			for _, words := range []string{"evil.example", "Premio", "suspendida"} {
				if strings.Contains(part, words) {
					t.Fatalf("%s reply repeats %q:\n%s", lang, words, part)
				}
			}
		}
	}
	want(t, "ticket tag", sent[0].Ticket, r.Ticket) // the outbox adds [Ticket #N]
}

// The acknowledgement repeats the subject and the sender's name only when
// the trusted server authenticated the From domain.
func TestAckEchoesOnlyAuthenticatedSenders(t *testing.T) {
	e := authEnv(t)
	r := e.ingest(mail{from: "Visite evil.example <maria@cliente.cl>", subject: "Urgente: visite evil.example", id: "ack1@cliente.cl"}.raw())
	want(t, "unauthenticated reply", r.AutoReply, tickets.ReplyAck)
	r = e.ingest(mail{from: "María <maria@cliente.cl>", subject: "Problema con Outlook", id: "ack2@cliente.cl",
		extra: authHeader(trustedMX, "dmarc=pass header.from=cliente.cl")}.raw())
	want(t, "authenticated reply", r.AutoReply, tickets.ReplyAck)
	sent := e.out.sent()
	want(t, "sent", len(sent), 2)
	unauth := renderSent(t, sent[0])
	if strings.Contains(unauth.Subject+unauth.Text+unauth.HTML, "evil.example") {
		t.Fatalf("an unauthenticated ack repeats the mail's words:\n%s\n%s", unauth.Subject, unauth.Text)
	}
	want(t, "generic subject", unauth.Subject, "Recibimos su solicitud")
	auth := renderSent(t, sent[1])
	want(t, "authenticated subject", auth.Subject, "Recibimos su solicitud: Problema con Outlook")
	if !strings.Contains(auth.Text, "María") {
		t.Fatalf("authenticated ack does not greet by name:\n%s", auth.Text)
	}
}
