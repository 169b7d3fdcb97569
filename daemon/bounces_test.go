package daemon_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/daemon"
	"turno/mailin/parse"
	"turno/mailout"
	"turno/templates"
	"turno/tickets"
)

// sentMail is one message the dev SMTP server saved: its bytes as the
// relay received them and the envelope sender it came from.
type sentMail struct {
	raw      []byte // without the X-Dev-* envelope headers
	envelope string
	msg      *parse.Message
}

// waitSent waits for the dev SMTP server to save a message that match
// accepts.
func waitSent(t *testing.T, dataDir, what string, match func(*parse.Message) bool) sentMail {
	t.Helper()
	var got sentMail
	waitFor(t, what, func() bool {
		files, _ := filepath.Glob(filepath.Join(dataDir, "dev-mail", "*.eml"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := parse.Parse(bytes.NewReader(b), nil)
			if err != nil || !match(m) {
				continue
			}
			got.msg = m
			for {
				line, rest, _ := bytes.Cut(b, []byte("\r\n"))
				if !bytes.HasPrefix(line, []byte("X-Dev-")) {
					break
				}
				if v, ok := bytes.CutPrefix(line, []byte("X-Dev-Envelope-From: ")); ok {
					got.envelope = string(v)
				}
				b = rest
			}
			got.raw = b
			return true
		}
		return false
	})
	return got
}

// dsn is a delivery report for rcpt about the message with Message-ID
// orig, delivered to deliveredTo (the address the receiving server saw)
// and addressed To to; returned, when not nil, is the full original.
func dsn(id, deliveredTo, to, rcpt, orig string, returned []byte) []byte {
	var b strings.Builder
	if deliveredTo != "" {
		b.WriteString("Return-Path: <>\r\nDelivered-To: " + deliveredTo + "\r\n")
	}
	b.WriteString("From: MAILER-DAEMON@mx.cliente.cl\r\nTo: <" + to + ">\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"Message-ID: <" + id + "@mx.cliente.cl>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\nThe mail system: your message could not be delivered.\r\n" +
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.cliente.cl\r\n\r\n" +
		"Final-Recipient: rfc822; " + rcpt + "\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n")
	if returned != nil {
		b.WriteString("--B\r\nContent-Type: message/rfc822\r\n\r\n")
		b.Write(returned)
		b.WriteString("\r\n")
	} else {
		b.WriteString("--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <" + orig + ">\r\n")
	}
	b.WriteString("--B--\r\n")
	return []byte(b.String())
}

// TestBouncesMustProveTheyAnswerOurMail: a stranger who got Turno's
// unknown-sender reply forges delivery reports with its valid Message-ID:
// one for a victim who was never its recipient (even addressed to the
// stranger's own VERP address, which it saw in Return-Path) and one for
// itself without the VERP proof. Neither suppresses anything; both are
// kept unmatched with a reason and counted. The real report, addressed by
// the receiving server to the VERP envelope sender the relay got,
// suppresses the address.
func TestBouncesMustProveTheyAnswerOurMail(t *testing.T) {
	cfg := testConfig(t)
	d, done := start(t, daemon.Options{Config: cfg, Dev: true})
	defer func() { d.Stop(); <-done }()
	ctx := context.Background()
	mb := d.Dev.Mailbox
	support := d.Dev.Mailbox.Address
	deliver := func(raw []byte) {
		t.Helper()
		if _, err := mb.Append("INBOX", lit{bytes.NewReader(raw)}, &imap.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	recorded := func(n int64) {
		t.Helper()
		waitFor(t, "the bounces recorded", func() bool {
			c, err := d.Store.DB.Collection(tickets.CollBounces).CountDocuments(ctx, bson.D{{Key: "done", Value: true}})
			if err != nil {
				t.Fatal(err)
			}
			return c == n
		})
	}
	suppressed := func(addr string) bool {
		ok, err := mailout.Suppressed(ctx, d.Store.DB, addr)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	refused := func(reason string) float64 { return testutil.ToFloat64(daemon.BouncesRefused.WithLabelValues(reason)) }
	notRcpt, noVERP := refused(mailout.RefusedNotRecipient), refused(mailout.RefusedNoVERP)

	deliver([]byte("Message-ID: <hola@evil.test>\r\nFrom: <atacante@evil.test>\r\nTo: " + support + "\r\nSubject: hola\r\n\r\nhola\r\n"))
	reply := waitSent(t, cfg.DataDir, "the unknown-sender reply", func(m *parse.Message) bool {
		return len(m.To) == 1 && m.To[0].Address == "atacante@evil.test"
	})
	if mailout.VERPBase(reply.envelope) != support {
		t.Fatalf("envelope sender %q is not a VERP address of %s", reply.envelope, support)
	}

	// Forged: the victim never got that message.
	deliver(dsn("forged1", reply.envelope, reply.envelope, "victima@cliente.cl", reply.msg.MessageID, nil))
	// Forged: no VERP proof at all, for the victim and for the stranger.
	deliver(dsn("forged2", "", support, "victima@cliente.cl", reply.msg.MessageID, nil))
	deliver(dsn("forged3", "", support, "atacante@evil.test", reply.msg.MessageID, nil))
	recorded(3)
	if suppressed("victima@cliente.cl") || suppressed("atacante@evil.test") {
		t.Fatal("a forged bounce suppressed an address")
	}
	un, err := d.Tickets.UnmatchedBounces(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, b := range un {
		reasons[b.Key] = b.Reason
	}
	if reasons["forged1@mx.cliente.cl"] != mailout.RefusedNotRecipient || reasons["forged2@mx.cliente.cl"] != mailout.RefusedNoVERP ||
		reasons["forged3@mx.cliente.cl"] != mailout.RefusedNoVERP {
		t.Fatalf("unmatched bounces and reasons: %v", reasons)
	}
	if got := refused(mailout.RefusedNotRecipient) - notRcpt; got != 1 {
		t.Errorf("not_recipient counted %v times, want 1", got)
	}
	if got := refused(mailout.RefusedNoVERP) - noVERP; got != 2 {
		t.Errorf("no_verp counted %v times, want 2", got)
	}

	// The real one: the receiving server delivered the report to the
	// envelope sender, through the "+" subaddress.
	deliver(dsn("real1", reply.envelope, reply.envelope, "atacante@evil.test", reply.msg.MessageID, nil))
	recorded(4)
	if !suppressed("atacante@evil.test") {
		t.Fatal("the real bounce did not suppress its recipient")
	}
	if un, _ := d.Tickets.UnmatchedBounces(ctx, 0); len(un) != 3 {
		t.Fatalf("%d unmatched bounces after the real one, want the 3 forged", len(un))
	}
}

// TestSensitiveBounceLeavesNoLink: a full-content bounce of a password
// mail quotes its set-password link; once matched, the link is nowhere in
// the database: not in the raw copy's GridFS chunks, not in any document.
func TestSensitiveBounceLeavesNoLink(t *testing.T) {
	cfg := testConfig(t)
	d, done := start(t, daemon.Options{Config: cfg, Dev: true})
	defer func() { d.Stop(); <-done }()
	ctx := context.Background()
	const secret = "S3CR3Tq8Zk"
	link := "https://clientes.ejemplo.cl/clave/" + secret
	_, err := d.Outbox.Enqueue(ctx, mailout.Message{Key: "password:C-1:1", Template: "password_reset", Lang: "es",
		Data: templates.PasswordReset{ClientName: "Comercial Los Andes SpA", Access: templates.Access{Login: "contacto@losandes.cl",
			Link: link, ExpiresAt: time.Now().Add(24 * time.Hour), PortalURL: "https://clientes.ejemplo.cl"}},
		To: []string{"contacto@losandes.cl"}, Priority: mailout.PriorityAccount, Sensitive: true, AutoSubmitted: "auto-generated", Kind: "account"})
	if err != nil {
		t.Fatal(err)
	}
	sent := waitSent(t, cfg.DataDir, "the password mail", func(m *parse.Message) bool {
		return len(m.To) == 1 && m.To[0].Address == "contacto@losandes.cl"
	})
	bounce := dsn("pw1", sent.envelope, sent.envelope, "contacto@losandes.cl", sent.msg.MessageID, sent.raw)
	if !containsSecret(bounce, secret) {
		t.Fatal("the full-content bounce does not quote the link: the test proves nothing")
	}
	if _, err := d.Dev.Mailbox.Append("INBOX", lit{bytes.NewReader(bounce)}, &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	var rec tickets.BounceRecord
	waitFor(t, "the bounce recorded", func() bool {
		err := d.Store.DB.Collection(tickets.CollBounces).FindOne(ctx, bson.D{{Key: "_id", Value: "pw1@mx.cliente.cl"}}).Decode(&rec)
		return err == nil && rec.Done
	})
	if !rec.Matched || !rec.Sensitive || rec.Entry != "password:C-1:1" {
		t.Fatalf("bounce record %+v", rec)
	}
	if ok, _ := mailout.Suppressed(ctx, d.Store.DB, "contacto@losandes.cl"); !ok {
		t.Fatal("the matched bounce did not suppress the address")
	}
	names, err := d.Store.DB.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		cur, err := d.Store.DB.Collection(name).Find(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		var docs []bson.Raw
		if err := cur.All(ctx, &docs); err != nil {
			t.Fatal(err)
		}
		if name == "mail_raw.chunks" {
			var all []byte // chunks in insertion order, so a link across two is found too
			for _, doc := range docs {
				if _, data, ok := doc.Lookup("data").BinaryOK(); ok {
					all = append(all, data...)
				}
			}
			if containsSecret(all, secret) {
				t.Errorf("the link is still in the raw message's GridFS chunks")
			}
		}
		for _, doc := range docs {
			if containsSecret(doc, secret) {
				t.Errorf("the link is still in %s: %s", name, doc)
			}
		}
	}
}

// containsSecret looks for s in b, also across quoted-printable soft line
// breaks.
func containsSecret(b []byte, s string) bool {
	return bytes.Contains(b, []byte(s)) || bytes.Contains(bytes.ReplaceAll(b, []byte("=\r\n"), nil), []byte(s))
}
