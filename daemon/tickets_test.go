package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/daemon"
	"turno/mailin/parse"
	"turno/mailout"
	"turno/tickets"
)

// Mail put in the dev mailbox becomes a ticket, and the unknown-sender reply
// goes out through the real outbox to the dev SMTP server, tagged and marked
// automatic. A second copy of the same mail creates nothing.
func TestDevMailBecomesTicketAndReply(t *testing.T) {
	cfg := testConfig(t)
	cfg.Intake.LeaseTTL = 3_000_000_000
	d, done := start(t, daemon.Options{Config: cfg, Dev: true})
	defer func() { d.Stop(); <-done }()
	msg := []byte("Message-ID: <dev-ticket@gmail.com>\r\nFrom: Pedro <pedro@gmail.com>\r\nTo: soporte@turno.test\r\n" +
		"Subject: No puedo entrar\r\n\r\nOlvidé mi clave.\r\n")
	for range 2 {
		if _, err := d.Dev.Mailbox.Append("INBOX", lit{bytes.NewReader(msg)}, &imap.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var tk *tickets.Ticket
	var msgs []tickets.Message
	waitFor(t, "ticket 100000", func() bool {
		var err error
		tk, msgs, err = d.Tickets.Show(context.Background(), 100000)
		if err != nil && !errors.Is(err, tickets.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	})
	if !tk.Unverified || tk.Department != "soporte" || tk.Requester.Address != "pedro@gmail.com" || len(msgs) != 1 {
		t.Fatalf("ticket %+v, %d messages", tk, len(msgs))
	}
	var sent *parse.Message
	var envelope string // the envelope sender the dev SMTP server got
	waitFor(t, "the unknown-sender reply in dev-mail", func() bool {
		files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "dev-mail", "*.eml"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if m, err := parse.Parse(bytes.NewReader(b), nil); err == nil && m.TicketRef == "100000" {
				sent = m
				first, _, _ := strings.Cut(string(b), "\r\n")
				envelope = strings.TrimPrefix(first, "X-Dev-Envelope-From: ")
				return true
			}
		}
		return false
	})
	if sent.Kind != parse.KindAutoReply || sent.InReplyTo != "dev-ticket@gmail.com" || len(sent.To) != 1 || sent.To[0].Address != "pedro@gmail.com" {
		t.Fatalf("reply: kind %s in-reply-to %q to %+v", sent.Kind, sent.InReplyTo, sent.To)
	}
	list, err := d.Tickets.List(context.Background(), tickets.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("%d tickets from two copies of one mail", len(list))
	}
	if !strings.HasPrefix(sent.MessageID, "t100000.") {
		t.Fatalf("reply Message-ID %q is not a ticket ID", sent.MessageID)
	}

	// The reply bounces, to the VERP envelope sender it went out from:
	// the bounce is matched to the outbox entry, the address is marked
	// undeliverable, and no ticket is opened.
	if mailout.VERPBase(envelope) != "soporte@turno.test" {
		t.Fatalf("envelope sender %q", envelope)
	}
	bounce := []byte("Delivered-To: " + envelope + "\r\nFrom: MAILER-DAEMON@mx.gmail.com\r\nTo: " + envelope + "\r\nSubject: Undelivered Mail\r\n" +
		"Message-ID: <bounce1@mx.gmail.com>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\nfailed\r\n" +
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.gmail.com\r\n\r\n" +
		"Final-Recipient: rfc822; pedro@gmail.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n" +
		"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <" + sent.MessageID + ">\r\n--B--\r\n")
	if _, err := d.Dev.Mailbox.Append("INBOX", lit{bytes.NewReader(bounce)}, &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the bounce recorded", func() bool {
		n, err := d.Store.DB.Collection(tickets.CollBounces).CountDocuments(context.Background(),
			bson.D{{Key: "done", Value: true}})
		if err != nil {
			t.Fatal(err)
		}
		return n == 1
	})
	if un, err := d.Tickets.UnmatchedBounces(context.Background(), 0); err != nil || len(un) != 0 {
		t.Fatalf("unmatched bounces %+v %v", un, err)
	}
	n, err := d.Store.DB.Collection(mailout.SuppressionsCollection).CountDocuments(context.Background(),
		bson.D{{Key: "_id", Value: "pedro@gmail.com"}})
	if err != nil || n != 1 {
		t.Fatalf("address not marked undeliverable: %d %v", n, err)
	}
	if list, _ := d.Tickets.List(context.Background(), tickets.Filter{Status: ""}); len(list) != 1 {
		t.Fatalf("the bounce opened a ticket: %d tickets", len(list))
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
