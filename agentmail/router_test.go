package agentmail_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"turno/agentmail"
	"turno/config"
	"turno/mailin/parse"
	"turno/msgid"
	"turno/tickets"
)

// An agent's answer to a notification, from their alternate address, is
// mailed to the customer once (a second copy is a replay): threaded,
// tagged, with the PDF, without the quoted notification or the phone
// signature.
func TestReplyToNoticeReachesTheCustomerOnce(t *testing.T) {
	e := newEnv(t, nil)
	tk := e.customer("Outlook no envía correos.")
	raw := agentMail{from: "Ana <ana.rojas@gmail.com>", ref: e.notice(tk, "ana@turno.example"), attach: true,
		body: "Hola María: use el puerto 587.\r\n\r\nEnviado desde mi iPhone"}.raw()
	for i := range 2 {
		res, handled := e.route(raw, "soporte")
		if !handled || res.Outcome != agentmail.OutcomeApplied || res.Ticket != tk.Number || res.Replayed != (i == 1) {
			t.Fatalf("copy %d: %+v handled=%v", i, res, handled)
		}
	}
	if got := e.outbox("ticket_reply"); len(got) != 1 || got[0].To[0] != "maria@cliente.cl" {
		t.Fatalf("replies enqueued: %+v", got)
	}
	var got *parse.Message
	deadline := time.Now().Add(20 * time.Second)
	for got == nil && time.Now().Before(deadline) {
		for _, r := range e.smtp.Received() {
			if p, err := parse.Parse(bytes.NewReader(r.Data), nil); err == nil && strings.Contains(p.Text, "puerto 587") {
				got = p
			}
		}
		e.ob.Kick()
		time.Sleep(20 * time.Millisecond)
	}
	if got == nil {
		t.Fatal("the customer got no reply")
	}
	if got.To[0].Address != "maria@cliente.cl" || !strings.Contains(got.Subject, "[Ticket #") || got.InReplyTo == "" {
		t.Fatalf("reply to %+v subject %q in-reply-to %q", got.To, got.Subject, got.InReplyTo)
	}
	whole := got.Text + got.Quoted + got.HTML
	for _, no := range []string{"TEXTO-DEL-AVISO", "iPhone", "Responda a este correo"} {
		if strings.Contains(whole, no) {
			t.Errorf("the customer's mail carries %q:\n%s", no, whole)
		}
	}
	if len(got.Attachments) != 1 || got.Attachments[0].Filename != "guia.pdf" {
		t.Errorf("attachments %+v", got.Attachments)
	}
	if lp := e.ticket(tk.Number).LastPublic; lp == nil || lp.Agent != "ana@turno.example" {
		t.Fatalf("LastPublic %+v", lp)
	}
	if e.count(agentmail.OutcomeApplied) != 1 {
		t.Fatalf("applied counted %v", e.count(agentmail.OutcomeApplied))
	}
}

// Commands: #nota makes a note nobody is mailed; #resuelto solves after
// the reply; a command-only mail changes only its status; #asignar assigns.
func TestCommands(t *testing.T) {
	e := newEnv(t, nil)
	tk := e.customer("Mi sitio está caído.")
	ref := e.notice(tk, "ana@turno.example")
	res, _ := e.route(agentMail{from: "ana@turno.example", ref: ref, body: "#nota\r\nLlamé al cliente, es DNS."}.raw(), "soporte")
	if res.Outcome != agentmail.OutcomeNote {
		t.Fatalf("note: %+v", res)
	}
	var notes int
	for _, m := range e.thread(tk.Number) {
		if m.Direction == tickets.DirNote && strings.Contains(m.Text, "es DNS") && !strings.Contains(m.Text, "#nota") {
			notes++
		}
	}
	if notes != 1 || len(e.outbox("ticket_reply")) != 0 {
		t.Fatalf("%d notes, %d replies", notes, len(e.outbox("ticket_reply")))
	}
	res, _ = e.route(agentMail{from: "ana@turno.example", ref: ref, body: "#asignar carla@turno.example\r\nListo."}.raw(), "soporte")
	if res.Outcome != agentmail.OutcomeHeld || res.Reason != tickets.HeldBadCommand {
		t.Fatalf("assign to an inactive agent: %+v", res)
	}
	res, _ = e.route(agentMail{from: "ana@turno.example", ref: ref,
		body: "#resuelto\r\n#assign ana.rojas@gmail.com\r\nQuedó resuelto."}.raw(), "soporte")
	if res.Outcome != agentmail.OutcomeApplied {
		t.Fatalf("solve: %+v", res)
	}
	got := e.ticket(tk.Number)
	if got.Status != tickets.StatusSolved || got.Assignee != "ana@turno.example" {
		t.Fatalf("status %s assignee %s", got.Status, got.Assignee)
	}
	if r := e.outbox("ticket_reply"); len(r) != 1 {
		t.Fatalf("%d replies", len(r))
	}
	// Command only (the reply to a ticket mail Turno sent, from the
	// agent's address): status pending, nothing mailed.
	last, _ := e.tk.FindMessage(context.Background(), got.LastPublic.Key)
	res, _ = e.route(agentMail{from: "ana@turno.example", ref: "<" + last.MessageID + ">", body: "#pendiente"}.raw(), "soporte")
	if res.Outcome != agentmail.OutcomeApplied || e.ticket(tk.Number).Status != tickets.StatusPending || len(e.outbox("ticket_reply")) != 1 {
		t.Fatalf("command only: %+v status %s", res, e.ticket(tk.Number).Status)
	}
}

// What cannot be applied is held on the ticket, the sender told once an
// hour, and no customer mailed.
func TestHeldAndExplainedOnce(t *testing.T) {
	e := newEnv(t, nil)
	tk := e.customer("Necesito ayuda.")
	ref := e.notice(tk, "ana@turno.example")
	for i := range 2 {
		res, handled := e.route(agentMail{from: "extraño@otro.cl", ref: ref, body: "Yo respondo " + string(rune('A'+i))}.raw(), "soporte")
		if !handled || res.Outcome != agentmail.OutcomeHeld || res.Reason != tickets.HeldUnknownSender {
			t.Fatalf("unknown sender: %+v", res)
		}
	}
	if ex := e.outbox("agent_mail_held"); len(ex) != 1 || ex[0].To[0] != "extraño@otro.cl" {
		t.Fatalf("explanations %+v", ex)
	}
	cases := []struct {
		from, reason string
	}{
		{"carla@turno.example", tickets.HeldInactive},
		{"beto@turno.example", tickets.HeldNoAccess},
	}
	for _, c := range cases {
		res, _ := e.route(agentMail{from: c.from, ref: e.notice(tk, c.from), body: "Respuesta"}.raw(), "soporte")
		if res.Reason != c.reason {
			t.Errorf("%s: %+v, want %s", c.from, res, c.reason)
		}
	}
	// Stale: the customer wrote after the notification.
	e.customerAgain(tk)
	res, _ := e.route(agentMail{from: "ana@turno.example", ref: ref, body: "Respuesta vieja"}.raw(), "soporte")
	if res.Reason != tickets.HeldStale {
		t.Fatalf("stale: %+v", res)
	}
	if len(e.outbox("ticket_reply")) != 0 {
		t.Fatal("a held mail reached the customer")
	}
	if h := e.held(tk.Number); len(h) != 5 {
		t.Fatalf("%d held items, want 5: %+v", len(h), h)
	}
	if e.count(agentmail.OutcomeHeld) != 5 {
		t.Fatalf("held counted %v", e.count(agentmail.OutcomeHeld))
	}
	// Mail required to authenticate, without Authentication-Results.
	res, _ = e.routeAuth(agentMail{from: "ana@turno.example", ref: e.notice(e.ticket(tk.Number), "ana@turno.example"),
		body: "Sin DKIM"}.raw(), "soporte", config.AgentAuthDKIMOrSPF)
	if res.Reason != tickets.HeldAuth {
		t.Fatalf("unauthenticated: %+v", res)
	}
}

// customerAgain adds a customer message to tk (its LastPublic moves).
func (e *env) customerAgain(tk *tickets.Ticket) {
	e.t.Helper()
	first, _ := e.tk.FindMessage(context.Background(), tk.Origin)
	raw := []byte("From: maria@cliente.cl\r\nTo: soporte@turno.example\r\nSubject: Re: ayuda\r\nMessage-ID: <again-" +
		tk.ID + "@cliente.cl>\r\nIn-Reply-To: <" + first.MessageID + ">\r\n\r\nSigue sin funcionar.\r\n")
	if _, err := e.tk.Ingest(context.Background(), tickets.Incoming{Msg: e.parse(raw), RawHash: parse.RawHash(raw),
		Mailbox: "soporte", Department: "soporte", ArrivedAt: e.clk.Now()}); err != nil {
		e.t.Fatal(err)
	}
	e.clk.Advance(time.Second)
}

// Automatic mail answering a notification changes nothing; a forged
// reference is refused and nobody told; an agent who is also a customer
// contact writing on a ticket mail is a customer; mail without Turno
// references is not the router's.
func TestAutomaticForgedAndCustomerMail(t *testing.T) {
	e := newEnv(t, nil)
	tk := e.customer("Hola.")
	ref := e.notice(tk, "ana@turno.example")
	res, handled := e.route(agentMail{from: "ana@turno.example", ref: ref, extra: "Auto-Submitted: auto-replied\r\n",
		body: "Estoy fuera de la oficina."}.raw(), "soporte")
	if !handled || res.Outcome != agentmail.OutcomeIgnoredAuto {
		t.Fatalf("out of office: %+v", res)
	}
	// Altered: another ticket number in a copied notification ID.
	forged := strings.Replace(ref, "t"+tk.ID+".", "t"+tk.ID+"9.", 1)
	if _, ok := msgid.Notice(forged, key); ok {
		t.Fatal("the altered ID verifies")
	}
	res, handled = e.route(agentMail{from: "ana@turno.example", ref: forged, body: "Envíe sus claves."}.raw(), "soporte")
	if !handled || res.Outcome != agentmail.OutcomeRefused || res.Ticket != 0 {
		t.Fatalf("forged: %+v", res)
	}
	after := e.ticket(tk.Number)
	if after.Version != tk.Version || len(e.outbox("ticket_reply")) != 0 || len(e.outbox("agent_mail_held")) != 0 {
		t.Fatalf("automatic or forged mail changed the ticket (v%d→v%d) or mailed someone", tk.Version, after.Version)
	}
	if l := e.held(0); len(l) != 1 || l[0].Thread != "held: forged_reference" {
		t.Fatalf("unfiled held %+v", l)
	}
	first, _ := e.tk.FindMessage(context.Background(), tk.Origin)
	ackRef := msgid.New(domain, tk.Number, key) // a ticket mail Turno sent
	if _, handled := e.route(agentMail{from: "dani@cliente.cl", ref: ackRef, body: "Como cliente"}.raw(), "soporte"); handled {
		t.Fatal("an agent who is a customer contact, answering ticket mail, was taken as an agent")
	}
	if _, handled := e.route(agentMail{from: "ana@turno.example", ref: "<" + first.MessageID + ">", body: "Hola"}.raw(), "soporte"); handled {
		t.Fatal("mail without a Turno reference was taken")
	}
	if e.count(agentmail.OutcomeIgnoredAuto) != 1 || e.count(agentmail.OutcomeRefused) != 1 {
		t.Fatal("counters")
	}
}
