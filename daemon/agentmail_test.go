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

	"turno/agentmail"
	"turno/agents"
	"turno/clients"
	"turno/config"
	"turno/daemon"
	"turno/internal/testenv"
	"turno/mailin/parse"
	"turno/msgid"
	"turno/tickets"
)

// The walk-through of answering by email, on the real Dovecot: a
// daemon watches a Dovecot folder and mails through the dev SMTP server.
func TestAgentMailOnDovecot(t *testing.T) {
	dv := testenv.RequireDovecot(t)
	c, err := imapclient.DialInsecure(dv.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(dv.User, dv.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	folder := fmt.Sprintf("t-agentmail-%d", time.Now().UnixNano())
	if err := c.Create(folder, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Delete(folder).Wait() }()
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
	cfg := testConfig(t)
	cfg.Mailboxes = []config.MailboxConfig{{Name: "soporte", Host: host, Port: p, TLS: "none", Username: dv.User,
		Password: dv.Password, Folder: folder, Department: "soporte", PollInterval: config.Duration(time.Second)}}
	d, done := start(t, daemon.Options{Config: cfg, Dev: true})
	defer func() { d.Stop(); <-done }()
	ctx := context.Background()
	db := d.Store.DB
	if _, err := d.Clients.Add(ctx, clients.NewClient("C-1", "Cliente SpA", "maria@cliente.cl"), "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Agents.Add(ctx, agents.Agent{Email: "ana@turno.test", Name: "Ana Rojas", Departments: []string{"soporte"},
		Addresses: []string{"ana.rojas@gmail.com"}}); err != nil {
		t.Fatal(err)
	}
	key := d.Tickets.MessageIDKey()
	seq := 0
	mail := func(from, ref, extra, body string) []byte {
		seq++
		return []byte(fmt.Sprintf("From: %s\r\nTo: soporte@turno.test\r\nSubject: Re: [Ticket #100000] aviso\r\n"+
			"Message-ID: <am-%d-%d@gmail.com>\r\nIn-Reply-To: %s\r\nReferences: %s\r\n%s"+
			"Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n\r\nEl lun, 16 nov 2026 a las 9:05, Turno <soporte@turno.test> escribió:\r\n"+
			"> TEXTO-DEL-AVISO: María escribió que Outlook no envía.\r\n", from, seq, time.Now().UnixNano(), ref, ref, extra, body))
	}
	ticket := func() *tickets.Ticket {
		tk, err := d.Tickets.Peek(ctx, 100000)
		if err != nil {
			return nil
		}
		return tk
	}
	notice := func(agent string) string {
		tk := ticket()
		return msgid.NewNotice(cfg.Mail.Domain, tk.Number, msgid.Tag(agent), msgid.Tag(tk.LastPublic.Key), key)
	}
	outcome := func(raw []byte) agentmail.Result {
		m, err := parse.Parse(bytes.NewReader(raw), nil)
		if err != nil {
			t.Fatal(err)
		}
		dk, _ := tickets.DedupKey(m, parse.RawHash(raw))
		var res agentmail.Result
		waitFor(t, "the router's record of "+dk, func() bool {
			h := tickets.HeldKey(dk)[len("held:"):] // the same sha256 hex the router keys by
			return db.Collection(agentmail.CollDone).FindOne(ctx, bson.D{{Key: "_id", Value: h}}).Decode(&res) == nil
		})
		return res
	}
	sentTo := func(addr, text string, textOnly bool) int {
		files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "dev-mail", "*.eml"))
		n := 0
		for _, f := range files {
			b, _ := os.ReadFile(f)
			m, err := parse.Parse(bytes.NewReader(b), nil)
			if err != nil || len(m.To) == 0 || m.To[0].Address != addr {
				continue
			}
			all := m.Text + m.Quoted + m.HTML
			if textOnly {
				all = m.Text
			}
			if strings.Contains(all, text) {
				n++
			}
		}
		return n
	}

	deliver([]byte("From: María <maria@cliente.cl>\r\nTo: soporte@turno.test\r\nSubject: Outlook\r\nMessage-ID: <m1@cliente.cl>\r\n\r\nOutlook no envía.\r\n"))
	waitFor(t, "ticket 100000", func() bool { return ticket() != nil })

	// 1. From the alternate address, answering the notification; the same
	// mail delivered twice is applied once.
	reply := mail("Ana <ana.rojas@gmail.com>", notice("ana@turno.test"), "", "Hola María, use el puerto 587.")
	deliver(reply)
	deliver(reply)
	if r := outcome(reply); r.Outcome != agentmail.OutcomeApplied {
		t.Fatalf("reply: %+v", r)
	}
	got := waitSent(t, cfg.DataDir, "the answer to maria", func(m *parse.Message) bool {
		return len(m.To) > 0 && m.To[0].Address == "maria@cliente.cl" && strings.Contains(m.Text, "puerto 587")
	})
	if !strings.Contains(got.msg.Subject, "[Ticket #100000]") || got.msg.InReplyTo != "m1@cliente.cl" ||
		bytes.Contains(got.raw, []byte("TEXTO-DEL-AVISO")) {
		t.Fatalf("the customer's answer: subject %q in-reply-to %q\n%s", got.msg.Subject, got.msg.InReplyTo, got.raw)
	}

	// 2. #nota: a note, nobody mailed.
	note := mail("ana@turno.test", notice("ana@turno.test"), "", "#nota\r\nNOTA-INTERNA: revisar DNS.")
	deliver(note)
	if r := outcome(note); r.Outcome != agentmail.OutcomeNote {
		t.Fatalf("note: %+v", r)
	}

	// 3. An unknown address answering a notification: held, one explanation.
	stranger := mail("otro@gmail.com", notice("ana@turno.test"), "", "RESPUESTA-AJENA")
	deliver(stranger)
	if r := outcome(stranger); r.Reason != tickets.HeldUnknownSender {
		t.Fatalf("stranger: %+v", r)
	}
	waitSent(t, cfg.DataDir, "the explanation to the stranger", func(m *parse.Message) bool {
		return len(m.To) > 0 && m.To[0].Address == "otro@gmail.com"
	})

	// 4. An RFC 3834 out-of-office answer: nothing changes.
	before := ticket().Version
	ooo := mail("ana@turno.test", notice("ana@turno.test"), "Auto-Submitted: auto-replied\r\n", "FUERA-DE-OFICINA")
	deliver(ooo)
	if r := outcome(ooo); r.Outcome != agentmail.OutcomeIgnoredAuto {
		t.Fatalf("out of office: %+v", r)
	}

	// 5. A forged From with a copied notification ID, altered: refused.
	n := notice("ana@turno.test")
	forged := mail("ana@turno.test", strings.Replace(n, "t100000.", "t100001.", 1), "", "FORJADO")
	deliver(forged)
	if r := outcome(forged); r.Outcome != agentmail.OutcomeRefused {
		t.Fatalf("forged: %+v", r)
	}
	if v := ticket().Version; v != before {
		t.Fatalf("automatic or forged mail changed the ticket (version %d → %d)", before, v)
	}

	// 6. #resuelto solves it.
	solve := mail("ana@turno.test", notice("ana@turno.test"), "", "#resuelto\r\nQuedó listo.")
	old := notice("ana@turno.test") // read before the customer writes again
	deliver(solve)
	if r := outcome(solve); r.Outcome != agentmail.OutcomeApplied || ticket().Status != tickets.StatusSolved {
		t.Fatalf("solve: %+v, status %s", r, ticket().Status)
	}

	// 7. Stale: the customer wrote after the notification; held, agent told.
	deliver([]byte("From: maria@cliente.cl\r\nTo: soporte@turno.test\r\nSubject: Re: Outlook\r\nMessage-ID: <m2@cliente.cl>\r\n" +
		"In-Reply-To: <" + got.msg.MessageID + ">\r\n\r\nSigue igual.\r\n"))
	waitFor(t, "the customer's second mail", func() bool { return ticket().LastPublic.Key == "m2@cliente.cl" })
	stale := mail("ana@turno.test", old, "", "RESPUESTA-VIEJA")
	deliver(stale)
	if r := outcome(stale); r.Reason != tickets.HeldStale {
		t.Fatalf("stale: %+v", r)
	}
	// The held-reply explanation (agent_mail_held), not a notification: the
	// notify worker mails ana too.
	told := waitSent(t, cfg.DataDir, "the agent told of the stale reply", func(m *parse.Message) bool {
		return len(m.To) > 0 && m.To[0].Address == "ana@turno.test" &&
			strings.Contains(m.Subject, "Su respuesta por correo quedó retenida") &&
			strings.Contains(m.Text, "el cliente escribió de nuevo después del aviso")
	})
	if sm, _ := parse.Parse(bytes.NewReader(stale), nil); sm == nil || told.msg.InReplyTo != sm.MessageID {
		t.Errorf("the explanation answers %q, want the stale reply", told.msg.InReplyTo)
	}

	// No customer got anything but the one answer and the solving reply.
	for _, no := range []string{"NOTA-INTERNA", "RESPUESTA-AJENA", "FUERA-DE-OFICINA", "FORJADO", "RESPUESTA-VIEJA", "TEXTO-DEL-AVISO"} {
		if sentTo("maria@cliente.cl", no, false) != 0 {
			t.Errorf("the customer received %q", no)
		}
	}
	if c := sentTo("maria@cliente.cl", "puerto 587", true); c != 1 {
		t.Errorf("the customer got the answer %d times", c)
	}
	if c := sentTo("otro@gmail.com", "", false); c != 1 {
		t.Errorf("the stranger got %d explanations", c)
	}
	held, err := d.Tickets.HeldItems(ctx, 100000, 0)
	if err != nil || len(held) != 2 {
		t.Fatalf("held items %d (%v), want the stranger's and the stale one", len(held), err)
	}
}
