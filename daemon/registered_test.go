package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/emersion/go-imap/v2"

	"turno/clients"
	"turno/daemon"
	"turno/mailin/parse"
	"turno/tickets"
)

// The daemon looks senders up in the clients registry: mail from a client's
// principal address opens a verified ticket owned by that client, and the
// acknowledgement (not the unknown-sender reply) goes out.
func TestRegisteredContactGetsVerifiedTicketAndAck(t *testing.T) {
	cfg := testConfig(t)
	d, done := start(t, daemon.Options{Config: cfg, Dev: true})
	defer func() { d.Stop(); <-done }()
	ctx := context.Background()
	c := clients.NewClient("C-100", "Hosting Andino SpA", "Contacto@Andino.CL")
	c.SupportTier = "premium"
	if _, err := d.Clients.Add(ctx, c, "test"); err != nil {
		t.Fatal(err)
	}
	msg := []byte("Message-ID: <reg-1@andino.cl>\r\nFrom: Ana <contacto@andino.cl>\r\nTo: soporte@turno.test\r\n" +
		"Subject: Sitio caído\r\n\r\nNuestro sitio no carga desde las 9:00.\r\n")
	if _, err := d.Dev.Mailbox.Append("INBOX", lit{bytes.NewReader(msg)}, &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	var tk *tickets.Ticket
	waitFor(t, "ticket 100000", func() bool {
		var err error
		tk, _, err = d.Tickets.Show(ctx, 100000)
		if err != nil && !errors.Is(err, tickets.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	})
	if tk.Unverified || tk.ClientID != "C-100" {
		t.Fatalf("ticket from a registered contact: unverified=%v client=%q", tk.Unverified, tk.ClientID)
	}
	var ack *parse.Message
	waitFor(t, "the acknowledgement in dev-mail", func() bool {
		files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "dev-mail", "*.eml"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if m, err := parse.Parse(bytes.NewReader(b), nil); err == nil && m.TicketRef == "100000" {
				ack = m
				return true
			}
		}
		return false
	})
	if ack.InReplyTo != "reg-1@andino.cl" || len(ack.To) != 1 || ack.To[0].Address != "contacto@andino.cl" {
		t.Fatalf("ack in-reply-to %q to %+v", ack.InReplyTo, ack.To)
	}
	if !bytes.Contains([]byte(ack.Subject), []byte("Recibimos su solicitud")) {
		t.Fatalf("ack subject %q is not the ticket_ack template", ack.Subject)
	}
}
