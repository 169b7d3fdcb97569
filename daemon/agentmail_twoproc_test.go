package daemon_test

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"turno/agents"
	"turno/clients"
	"turno/config"
	"turno/daemon"
	"turno/internal/testenv"
	"turno/mailin/parse"
	"turno/msgid"
	"turno/tickets"
)

// amSMTPMail waits for a message the SMTP server accepted that match
// accepts, and returns it parsed with its raw bytes.
func amSMTPMail(t *testing.T, srv *testenv.SMTPServer, what string, match func(*parse.Message) bool) sentMail {
	t.Helper()
	var got sentMail
	waitFor(t, what, func() bool {
		for _, r := range srv.Received() {
			if m, err := parse.Parse(bytes.NewReader(r.Data), nil); err == nil && match(m) {
				got = sentMail{raw: r.Data, envelope: r.From, msg: m}
				return true
			}
		}
		return false
	})
	return got
}

// amUnseen counts the messages of mb's folder the intake has not marked
// seen (done).
func amUnseen(t *testing.T, mb config.MailboxConfig) int {
	t.Helper()
	c, err := imapclient.DialInsecure(net.JoinHostPort(mb.Host, strconv.Itoa(mb.Port)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(mb.Username, mb.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select(mb.Folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	d, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	return len(d.AllUIDs())
}

func amSMTPCount(srv *testenv.SMTPServer, match func(*parse.Message) bool) int {
	n := 0
	for _, r := range srv.Received() {
		if m, err := parse.Parse(bytes.NewReader(r.Data), nil); err == nil && match(m) {
			n++
		}
	}
	return n
}

// Two daemons (two processes' worth: their own owners, outboxes, intakes
// and notify workers) on one database, both watching the same two Dovecot
// folders, and the agent's answer delivered to both folders (as to two
// addresses of the department): it is applied once, one reply message on
// the ticket, one outbox entry and one mail to the customer; and each
// agent gets each notification once.
func TestAgentMailTwoProcessesOneDatabase(t *testing.T) {
	mb1, deliver1 := amFolder(t, "twoproc-a")
	mb2, deliver2 := amFolder(t, "twoproc-b")
	mb2.Name = "copia"
	st := testenv.Store(t)
	srv := testenv.SMTP(t, nil)
	host, port, _ := net.SplitHostPort(srv.Addr)
	p, _ := strconv.Atoi(port)
	var ds []*daemon.Daemon
	for range 2 {
		cfg := testConfig(t)
		cfg.MongoDB.URI, cfg.MongoDB.Database = st.URI, st.DB.Name()
		cfg.Mailboxes = []config.MailboxConfig{mb1, mb2}
		cfg.Outbox.Relays = []config.RelayConfig{{Host: host, Port: p, TLS: "none"}}
		cfg.Outbox.PollInterval = config.Duration(100 * time.Millisecond)
		d, done := start(t, daemon.Options{Config: cfg})
		defer func() { d.Stop(); <-done }()
		ds = append(ds, d)
	}
	a := ds[0]
	ctx := context.Background()
	if _, err := a.Clients.Add(ctx, clients.NewClient("C-1", "Cliente SpA", "maria@cliente.cl"), "test"); err != nil {
		t.Fatal(err)
	}
	for _, ag := range []agents.Agent{
		{Email: "ana@turno.test", Name: "Ana Rojas", Departments: []string{"soporte"}},
		{Email: "beto@turno.test", Name: "Beto Soto", Departments: []string{"soporte"}},
	} {
		if _, err := a.Agents.Add(ctx, ag); err != nil {
			t.Fatal(err)
		}
	}
	key := a.Tickets.MessageIDKey()
	if !bytes.Equal(key, ds[1].Tickets.MessageIDKey()) {
		t.Fatal("the two daemons sign Message-IDs with different keys")
	}
	isNotice := func(to string) func(*parse.Message) bool {
		return func(m *parse.Message) bool {
			_, ok := msgid.Notice(m.MessageID, key)
			return ok && len(m.To) == 1 && m.To[0].Address == to
		}
	}

	deliver1([]byte("From: María Pérez <maria@cliente.cl>\r\nTo: soporte@turno.test\r\nSubject: Sitio caído\r\n" +
		"Message-ID: <d1@cliente.cl>\r\n\r\nEl sitio no carga.\r\n"))
	notice := amSMTPMail(t, srv, "the notification to ana", isNotice("ana@turno.test"))
	reply := clientReply("Ana Rojas <ana@turno.test>", notice.msg.ReplyTo.Address, notice.msg.MessageID, notice.msg.Subject,
		"Hola María: reiniciamos el servidor web, ya carga.", notice.msg.Text)
	deliver1(reply)
	deliver2(reply)
	isAnswer := func(m *parse.Message) bool {
		return len(m.To) > 0 && m.To[0].Address == "maria@cliente.cl" && strings.Contains(m.Text, "reiniciamos el servidor web")
	}
	answer := amSMTPMail(t, srv, "the answer to maria", isAnswer)
	if !strings.Contains(answer.msg.Subject, "[Ticket #100000]") || answer.msg.InReplyTo != "d1@cliente.cl" {
		t.Fatalf("the answer: subject %q in-reply-to %q", answer.msg.Subject, answer.msg.InReplyTo)
	}
	// Both folders' copies handled (by whichever daemon), then count.
	m, err := parse.Parse(bytes.NewReader(reply), nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both copies of the reply handled", func() bool {
		return amUnseen(t, mb1) == 0 && amUnseen(t, mb2) == 0
	})
	amNotified(t, a, 100000)
	_, msgs, err := a.Tickets.Show(ctx, 100000)
	if err != nil {
		t.Fatal(err)
	}
	replies := 0
	for _, x := range msgs {
		if x.Direction == tickets.DirReply {
			replies++
		}
		if x.Direction == tickets.DirHeld {
			t.Errorf("a copy was held: %+v", x.Notes)
		}
	}
	if replies != 1 {
		t.Errorf("%d reply messages on the ticket, want 1 (mail %s)", replies, m.MessageID)
	}
	if n := len(amOutbox(t, a, "ticket_reply")); n != 1 {
		t.Errorf("%d ticket_reply outbox entries, want 1", n)
	}
	// Every outbox entry that exists has been sent; no second mail to
	// anyone: one answer, one notification per agent (the new ticket).
	waitFor(t, "the outbox drained", func() bool {
		return amSMTPCount(srv, func(*parse.Message) bool { return true }) >= len(amOutbox(t, a, "ticket_reply"))+
			len(amOutbox(t, a, "agent_notification"))
	})
	if n := amSMTPCount(srv, isAnswer); n != 1 {
		t.Errorf("maria got the answer %d times", n)
	}
	for _, who := range []string{"ana@turno.test", "beto@turno.test"} {
		if n := amSMTPCount(srv, isNotice(who)); n != 1 {
			t.Errorf("%s got %d notifications, want 1", who, n)
		}
	}
}
