package mailout

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"turno/mailin/parse"
	"turno/msgid"
	"turno/templates"
)

// replyMessage is an agent's reply as the tickets package enqueues it: its
// own Message-ID and a department From.
func replyMessage(key string) Message {
	return Message{Key: key, Template: "ticket_reply", Lang: "es", To: []string{"maria@cliente.cl"},
		Ticket: 10482, Data: templates.SampleData("ticket_reply"), Priority: PriorityTicket,
		MessageID:   msgid.New("example.cl", 10482, []byte("test-key")),
		FromName:    "Camila Rojas — Ventas Mi Proveedor",
		FromAddress: "ventas@example.cl", ReplyTo: "ventas@example.cl",
		InReplyTo: "<CAF=abc@mail.gmail.com>", References: []string{"<CAF=abc@mail.gmail.com>"}}
}

// TestCallerFromAndMessageIDAreSent: a caller's Message-ID and From reach
// the wire unchanged; the envelope sender stays the configured address
// (with the VERP token of verp.go).
func TestCallerFromAndMessageIDAreSent(t *testing.T) {
	r := newRig(t, nil, nil)
	m := replyMessage("reply:1")
	id := r.enqueue(t, m)
	e := r.waitState(t, id, StateSent)
	if e.MessageID != m.MessageID || e.FromAddress != m.FromAddress || e.FromName != m.FromName {
		t.Fatalf("entry %+v does not keep the caller's Message-ID and From", e)
	}
	got := r.smtp.WaitFor(1, 5*time.Second)
	if len(got) != 1 {
		t.Fatalf("received %d messages", len(got))
	}
	if VERPBase(got[0].From) != r.ob.opts.Mail.FromAddress || got[0].From == r.ob.opts.Mail.FromAddress {
		t.Errorf("envelope sender %q, want the configured %q with a VERP token", got[0].From, r.ob.opts.Mail.FromAddress)
	}
	p, err := parse.Parse(bytes.NewReader(got[0].Data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.MessageID != m.MessageID && "<"+p.MessageID+">" != m.MessageID {
		t.Errorf("Message-ID %q, want %q", p.MessageID, m.MessageID)
	}
	if n, ok := msgid.Ticket(p.MessageID, []byte("test-key")); !ok || n != 10482 {
		t.Errorf("Message-ID %q does not verify for ticket 10482", p.MessageID)
	}
	if p.From == nil || p.From.Address != "ventas@example.cl" || p.From.Name != "Camila Rojas — Ventas Mi Proveedor" {
		t.Errorf("From %+v", p.From)
	}
	if !strings.Contains(string(got[0].Data), "Reply-To: <ventas@example.cl>") && !strings.Contains(string(got[0].Data), "Reply-To: ventas@example.cl") {
		t.Errorf("no Reply-To in\n%s", got[0].Data)
	}
}

// TestDefaultFromAndMessageID: without overrides the configured From and
// a generated Message-ID are used, as before.
func TestDefaultFromAndMessageID(t *testing.T) {
	r := newRig(t, nil, nil)
	id := r.enqueue(t, ackMessage("ack:1", "maria@cliente.cl"))
	e := r.waitState(t, id, StateSent)
	if e.FromAddress != "" || e.FromName != "" {
		t.Fatalf("entry has a From override: %+v", e)
	}
	if n, ok := msgid.Ticket(e.MessageID, []byte("test-key")); !ok || n != 10482 {
		t.Fatalf("generated Message-ID %q", e.MessageID)
	}
	got := r.smtp.WaitFor(1, 5*time.Second)
	p, err := parse.Parse(bytes.NewReader(got[0].Data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.From == nil || p.From.Address != r.ob.opts.Mail.FromAddress || p.From.Name != r.ob.opts.Mail.FromName {
		t.Errorf("From %+v, want the configured %s <%s>", p.From, r.ob.opts.Mail.FromName, r.ob.opts.Mail.FromAddress)
	}
}

// TestBadFromAndMessageIDRefused: nothing is stored for a malformed
// Message-ID or From.
func TestBadFromAndMessageIDRefused(t *testing.T) {
	r := newRig(t, nil, nil)
	for i, mod := range []func(*Message){
		func(m *Message) { m.MessageID = "no-brackets@example.cl" },
		func(m *Message) { m.MessageID = "<no-at>" },
		func(m *Message) { m.MessageID = "<a b@example.cl>" },
		func(m *Message) { m.MessageID = "<a..b@example.cl>" },
		func(m *Message) { m.MessageID = "<a@example.cl>\r\nBcc: x@evil.test" },
		func(m *Message) { m.MessageID = "<a@b@example.cl>" },
		func(m *Message) { m.FromAddress = "not an address" },
		func(m *Message) { m.FromAddress = "Ventas <ventas@example.cl>" },
		func(m *Message) { m.FromAddress = "ventas@example.cl\nBcc: x@evil.test" },
		func(m *Message) { m.FromName = "Camila\r\nBcc: x@evil.test" },
	} {
		m := replyMessage("bad:" + string(rune('a'+i)))
		mod(&m)
		if _, err := r.ob.Enqueue(context.Background(), m); err == nil {
			t.Errorf("case %d: %+v accepted", i, m)
		}
		if _, err := Get(context.Background(), r.db, m.Key); err == nil || !errors.Is(err, ErrNotFound) {
			t.Errorf("case %d: entry stored (err %v)", i, err)
		}
	}
	for _, ok := range []string{"<t1.a.b@example.cl>", "<CAF=x+y_z@mail.gmail.com>", "<x@[127.0.0.1]>"} {
		m := replyMessage("good:" + ok)
		m.MessageID = ok
		if _, err := r.ob.Enqueue(context.Background(), m); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
}
