package daemon_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/agents"
	"turno/clients"
	"turno/config"
	"turno/daemon"
	"turno/internal/testenv"
	"turno/mailin/parse"
	"turno/mailout"
	"turno/msgid"
	"turno/notify"
	"turno/tickets"
)

// amFolder makes a fresh Dovecot folder (removed at the end) and returns
// the mailbox config watching it and a function that appends a message.
func amFolder(t *testing.T, name string) (config.MailboxConfig, func([]byte)) {
	t.Helper()
	dv := testenv.RequireDovecot(t)
	c, err := imapclient.DialInsecure(dv.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Login(dv.User, dv.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	folder := fmt.Sprintf("t-%s-%d", name, time.Now().UnixNano())
	if err := c.Create(folder, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(folder).Wait() })
	deliver := func(raw []byte) {
		t.Helper()
		cmd := c.Append(folder, int64(len(raw)), nil)
		if _, err := cmd.Write(raw); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	host, port, _ := net.SplitHostPort(dv.Addr)
	p, _ := strconv.Atoi(port)
	return config.MailboxConfig{Name: "soporte", Host: host, Port: p, TLS: "none", Username: dv.User,
		Password: dv.Password, Folder: folder, Department: "soporte", PollInterval: config.Duration(time.Second)}, deliver
}

// amOutbox lists the outbox entries of template.
func amOutbox(t *testing.T, d *daemon.Daemon, template string) []mailout.Entry {
	t.Helper()
	l, err := mailout.List(context.Background(), d.Store.DB, mailout.ListOptions{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []mailout.Entry
	for _, e := range l {
		if e.Template == template {
			out = append(out, e)
		}
	}
	return out
}

// amNotices counts the notifications to addr in the outbox and in the
// dev SMTP server's mail (those sent).
func amNotices(t *testing.T, d *daemon.Daemon, dataDir, addr string, key []byte) (queued, sent int) {
	t.Helper()
	for _, e := range amOutbox(t, d, "agent_notification") {
		if len(e.To) == 1 && e.To[0] == addr {
			queued++
		}
	}
	files, _ := filepath.Glob(filepath.Join(dataDir, "dev-mail", "*.eml"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		m, err := parse.Parse(bytes.NewReader(b), nil)
		if err != nil || len(m.To) == 0 || m.To[0].Address != addr {
			continue
		}
		if _, ok := msgid.Notice(m.MessageID, key); ok {
			sent++
		}
	}
	return queued, sent
}

// amNotified waits until the notify worker has gone through every event
// of ticket n (its cursor reached them and no marker is left).
func amNotified(t *testing.T, d *daemon.Daemon, n int64) {
	t.Helper()
	ctx := context.Background()
	id := strconv.FormatInt(n, 10)
	waitFor(t, "the notifications of ticket "+id, func() bool {
		tk, err := d.Tickets.Peek(ctx, n)
		if err != nil {
			return false
		}
		var cur struct {
			Done int `bson:"done"`
		}
		if d.Store.DB.Collection(notify.CollCursor).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&cur) != nil {
			return false
		}
		left, _ := d.Store.DB.Collection(tickets.CollNotifyPending).CountDocuments(ctx, bson.D{{Key: "_id", Value: id}})
		return cur.Done == len(tk.Events) && left == 0
	})
}

// clientReply is an answer written as a mail client writes it: the text,
// a "-- " signature block, then the answered mail quoted below
// "El ... escribió:", threaded on that mail's Message-ID.
func clientReply(from, to, answered, subject, body string, quoted string) []byte {
	var q strings.Builder
	for l := range strings.SplitSeq(strings.TrimRight(quoted, "\n"), "\n") {
		q.WriteString("> " + l + "\r\n")
	}
	return []byte(fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: Re: %s\r\nMessage-ID: <client-%d@gmail.com>\r\n"+
		"Date: %s\r\nIn-Reply-To: <%s>\r\nReferences: <%s>\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n\r\n-- \r\nFIRMA-CLIENTE-DE-CORREO Ana Rojas\r\nMesa de ayuda · +56 9 1234 5678\r\n\r\n"+
		"El mié, 2 dic 2026 a las 12:00, Soporte <soporte@turno.test> escribió:\r\n%s",
		from, to, subject, time.Now().UnixNano(), time.Now().Format(time.RFC1123Z), answered, answered, body, q.String()))
}

// The whole loop on the real Dovecot: a customer's mail becomes a ticket,
// the notify worker mails the agents, the agent answers the notification
// from a mail client and the customer gets the answer (threaded, tagged,
// nothing of the notification, the quote or the client's signature); a
// second notification answered with #nota makes a note no customer gets;
// the agent who acts is not told of their own act; after a restart that
// finds the notification work undone, still one notification per event
// per agent.
func TestAgentMailNotificationRoundTrip(t *testing.T) {
	mb, deliver := amFolder(t, "roundtrip")
	cfg := testConfig(t)
	cfg.Mailboxes = []config.MailboxConfig{mb}
	d, done := start(t, daemon.Options{Config: cfg, Dev: true})
	stopped := false
	defer func() {
		if !stopped {
			d.Stop()
			<-done
		}
	}()
	ctx := context.Background()
	if _, err := d.Clients.Add(ctx, clients.NewClient("C-1", "Cliente SpA", "maria@cliente.cl"), "test"); err != nil {
		t.Fatal(err)
	}
	for _, a := range []agents.Agent{
		{Email: "ana@turno.test", Name: "Ana Rojas", Departments: []string{"soporte"}},
		{Email: "beto@turno.test", Name: "Beto Soto", Departments: []string{"soporte"}},
	} {
		if _, err := d.Agents.Add(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	key := d.Tickets.MessageIDKey()

	// 1. The customer writes; a ticket; both agents of soporte notified.
	deliver([]byte("From: María Pérez <maria@cliente.cl>\r\nTo: soporte@turno.test\r\nSubject: Outlook no envía\r\n" +
		"Message-ID: <m1@cliente.cl>\r\nDate: " + time.Now().Format(time.RFC1123Z) + "\r\n\r\nOutlook no envía desde ayer.\r\n"))
	first := waitSent(t, cfg.DataDir, "the new-ticket notification to ana", func(m *parse.Message) bool {
		_, ok := msgid.Notice(m.MessageID, key)
		return ok && len(m.To) == 1 && m.To[0].Address == "ana@turno.test" && strings.Contains(m.Text, "Outlook no envía desde ayer")
	})
	// From the department's sender, Reply-To the same support address.
	if !strings.Contains(first.msg.Subject, "Nueva solicitud") || first.msg.ReplyTo == nil ||
		first.msg.From == nil || first.msg.ReplyTo.Address != first.msg.From.Address {
		t.Fatalf("the notification: subject %q reply-to %+v", first.msg.Subject, first.msg.ReplyTo)
	}
	waitSent(t, cfg.DataDir, "the new-ticket notification to beto", func(m *parse.Message) bool {
		_, ok := msgid.Notice(m.MessageID, key)
		return ok && len(m.To) == 1 && m.To[0].Address == "beto@turno.test"
	})

	// 2. Ana answers it from her mail client (and takes the ticket):
	// the customer receives the answer, threaded and tagged, and nothing
	// of the notification.
	deliver(clientReply("Ana Rojas <ana@turno.test>", first.msg.ReplyTo.Address, first.msg.MessageID, first.msg.Subject,
		"#asignar ana@turno.test\r\nHola María: en Outlook use el puerto 587 con STARTTLS.", first.msg.Text))
	answer := waitSent(t, cfg.DataDir, "the answer to maria", func(m *parse.Message) bool {
		return len(m.To) > 0 && m.To[0].Address == "maria@cliente.cl" && strings.Contains(m.Text, "puerto 587")
	})
	if !strings.Contains(answer.msg.Subject, "[Ticket #100000]") || answer.msg.InReplyTo != "m1@cliente.cl" {
		t.Fatalf("the answer: subject %q in-reply-to %q", answer.msg.Subject, answer.msg.InReplyTo)
	}
	for _, no := range []string{"Responda este correo", "Solicitante:", "FIRMA-CLIENTE-DE-CORREO", "escribió:",
		"#asignar", first.msg.MessageID, "Nueva solicitud"} {
		if bytes.Contains(answer.raw, []byte(no)) {
			t.Errorf("the customer's answer carries %q:\n%s", no, answer.raw)
		}
	}
	waitFor(t, "the ticket assigned to ana (after her reply)", func() bool {
		tk, _ := d.Tickets.Peek(ctx, 100000)
		return tk != nil && tk.Assignee == "ana@turno.test"
	})

	// 3. The customer writes again: ana (now the assignee) is told, and
	// answers that second notification with #nota.
	deliver([]byte("From: maria@cliente.cl\r\nTo: soporte@turno.test\r\nSubject: Re: " + answer.msg.Subject + "\r\n" +
		"Message-ID: <m2@cliente.cl>\r\nIn-Reply-To: <" + answer.msg.MessageID + ">\r\n\r\nSigue igual, ahora con error 0x800CCC0F.\r\n"))
	second := waitSent(t, cfg.DataDir, "the customer-reply notification to ana", func(m *parse.Message) bool {
		_, ok := msgid.Notice(m.MessageID, key)
		return ok && len(m.To) == 1 && m.To[0].Address == "ana@turno.test" && strings.Contains(m.Text, "0x800CCC0F")
	})
	deliver(clientReply("ana@turno.test", second.msg.ReplyTo.Address, second.msg.MessageID, second.msg.Subject,
		"#nota\r\nNOTA-INTERNA: es el antivirus del cliente, llamar mañana.", second.msg.Text))
	waitFor(t, "ana's note", func() bool {
		_, msgs, err := d.Tickets.Show(ctx, 100000)
		if err != nil {
			return false
		}
		for _, m := range msgs {
			if m.Direction == tickets.DirNote && strings.Contains(m.Text, "NOTA-INTERNA") {
				if strings.Contains(m.Text, "FIRMA-CLIENTE-DE-CORREO") || strings.Contains(m.Text, "0x800CCC0F") {
					t.Errorf("the note keeps the signature or the quote: %q", m.Text)
				}
				return true
			}
		}
		return false
	})
	amNotified(t, d, 100000)

	// Nobody but the customer's one answer reached a customer; ana was
	// told of the new ticket and the customer's reply, never of her own
	// assignment; beto only of the new ticket (then it was ana's).
	for _, e := range amOutbox(t, d, "ticket_reply") {
		if e.To[0] == "maria@cliente.cl" && e.Ticket != 100000 {
			t.Errorf("a reply to maria on ticket %d", e.Ticket)
		}
	}
	if n := len(amOutbox(t, d, "ticket_reply")); n != 1 {
		t.Errorf("%d replies to customers, want the one answer", n)
	}
	files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "dev-mail", "*.eml"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, []byte("NOTA-INTERNA")) {
			t.Errorf("the note was mailed: %s", f)
		}
	}
	want := map[string]int{"ana@turno.test": 2, "beto@turno.test": 1}
	for addr, n := range want {
		waitFor(t, "the notifications to "+addr+" sent", func() bool {
			q, s := amNotices(t, d, cfg.DataDir, addr, key)
			return q == n && s == n
		})
	}

	// 4. A restart that finds the notification work undone (cursor lost,
	// marker back, as after a crash between the enqueue and the cursor's
	// save): every event is gone through again, and no agent gets a
	// notification twice.
	d.Stop()
	<-done
	stopped = true
	d, done = start(t, daemon.Options{Config: cfg, Dev: true})
	stopped = false
	db := d.Store.DB
	if _, err := db.Collection(notify.CollCursor).DeleteOne(ctx, bson.D{{Key: "_id", Value: "100000"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection(tickets.CollNotifyPending).InsertOne(ctx, bson.D{{Key: "_id", Value: "100000"},
		{Key: "token", Value: "after-restart"}, {Key: "at", Value: time.Now().UTC()}}); err != nil {
		t.Fatal(err)
	}
	amNotified(t, d, 100000)
	// The outbox sends each entry once: its entries are the mail sent.
	for addr, n := range want {
		if q, _ := amNotices(t, d, cfg.DataDir, addr, key); q != n {
			t.Errorf("%s after the restart: %d notifications queued, want %d", addr, q, n)
		}
		waitFor(t, "the notifications to "+addr+" after the restart", func() bool {
			q, s := amNotices(t, d, cfg.DataDir, addr, key)
			return q == n && s == n
		})
	}
}
