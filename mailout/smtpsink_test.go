package mailout

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"

	"turno/config"
	"turno/internal/testenv"
	"turno/templates"
)

// invoicePDF returns an invoice-sized PDF-like file: a PDF header, a binary
// comment line and 48 KiB of deterministic binary bytes (every byte value,
// CR and LF included), so the attachment path is exercised with base64
// over real binary data, not a short ASCII string.
func invoicePDF() []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 49152 >>\nstream\n")
	r := rand.New(rand.NewPCG(1042, 2026))
	for range 49152 / 8 {
		var w [8]byte
		v := r.Uint64()
		for i := range w {
			w[i] = byte(v >> (8 * i))
		}
		b.Write(w[:])
	}
	b.WriteString("\nendstream\nendobj\n%%EOF\n")
	return b.Bytes()
}

func hasNonASCII(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r > unicode.MaxASCII }) >= 0
}

// TestDeliversThroughPostfixSMTPSink sends a mixed batch to the real
// Postfix smtp-sink: the SMTP peer is a real MTA's protocol engine, which
// accepts everything, so every entry must end sent with the relay recorded
// and nothing may reach the rig's own go-smtp server.
func TestDeliversThroughPostfixSMTPSink(t *testing.T) {
	sink := testenv.RequireSMTPSink(t)
	const fromName = "Facturación Ñuñoa Telecomunicaciones"
	r := newRig(t, nil, func(o *Options) {
		o.Outbox.Relays = []config.RelayConfig{relayFor(t, sink)}
		o.Mail.FromName = fromName
	})
	if !hasNonASCII(fromName) {
		t.Fatal("display name must be non-ASCII for this test to mean anything")
	}
	// The invoice subject must carry non-ASCII too (RFC 2047 on the wire).
	data, _ := jsonOf(templates.SampleData("invoice_issued"))
	rendered, err := r.ob.render("invoice_issued", "es", data, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !hasNonASCII(rendered.Subject) {
		t.Fatalf("invoice subject %q is ASCII", rendered.Subject)
	}
	invoice := templates.SampleData("invoice_issued")
	pdf := invoicePDF()
	msgs := []Message{
		{Key: "invoice:F-1042:issued:maria@cliente.cl", Template: "invoice_issued", Lang: "es", Data: invoice,
			To: []string{"maria@cliente.cl"}, Cc: []string{"contabilidad@cliente.cl"}, AutoSubmitted: "auto-generated",
			Attachments: []Attachment{{Filename: "factura-ñuñoa-1042.pdf", ContentType: "application/pdf", Data: pdf}}},
		ackMessage("ticket-ack:<CAF=1@mail.gmail.com>", "jose.nunez@cliente.cl"),
		{Key: "password:u-7", Template: "password_reset", Lang: "es", Data: templates.SampleData("password_reset"),
			To: []string{"admin@cliente.cl"}, Priority: PriorityAccount, Sensitive: true, AutoSubmitted: "auto-generated"},
		{Key: "welcome:C-88", Template: "welcome", Lang: "en", Data: templates.SampleData("welcome"),
			To: []string{"new@customer.example"}, Priority: PriorityAccount},
		{Key: "collection:F-1001", Template: "collection_note", Data: templates.SampleData("collection_note"),
			To: []string{"pagos@cliente.cl"}},
		{Key: "payment:P-55", Template: "payment_received", Data: templates.SampleData("payment_received"),
			To: []string{"pagos@cliente.cl"}},
	}
	for i := range 10 {
		msgs = append(msgs, Message{Key: fmt.Sprintf("payment:bulk-%d", i), Template: "payment_received",
			Data: templates.SampleData("payment_received"), To: []string{fmt.Sprintf("c%d@cliente.cl", i)}})
	}
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = r.enqueue(t, m)
	}
	for i, id := range ids {
		e := r.waitState(t, id, StateSent)
		if e.Relay != sink {
			t.Errorf("%s: relay %q, want %q", id, e.Relay, sink)
		}
		if e.Attempts != 1 || e.SentAt.IsZero() || e.LastError != "" {
			t.Errorf("%s: attempts %d, sent_at %v, last error %q", id, e.Attempts, e.SentAt, e.LastError)
		}
		if want := len(msgs[i].To) + len(msgs[i].Cc); len(e.Recipients) != want {
			t.Errorf("%s: %d recipients, want %d", id, len(e.Recipients), want)
		}
		for _, rc := range e.Recipients {
			if rc.State != RcptSent {
				t.Errorf("%s: recipient %s is %s (%s)", id, rc.Address, rc.State, rc.Reply)
			}
		}
		if msgs[i].Sensitive && (!e.Purged || e.Data != "") {
			t.Errorf("%s: sensitive entry not purged after sending", id)
		}
	}
	inv, err := Get(context.Background(), r.db, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Attachments) != 1 || inv.Attachments[0].Size != len(pdf) {
		t.Errorf("invoice attachment metadata: %+v", inv.Attachments)
	}
	if n := len(r.smtp.Received()); n != 0 {
		t.Fatalf("the rig's go-smtp server received %d messages; everything should have gone to smtp-sink", n)
	}
}
