package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"turno/msgid"
	"turno/tickets"
)

// The walk-through on a fresh serve --dev: a customer's mail becomes
// a ticket; while serve runs, the CLI (acting as the dev agent without being
// told) lists it and replies from a file; the reply lands in dev-mail with
// the tag and the threading headers; the customer's answer to it joins the
// ticket and moves it from pending back to open.
func TestDevAgentAnswersFromTheCLIWhileServeRuns(t *testing.T) {
	d, dir, _ := startDevServe(t)
	if d.DevToken == "" {
		t.Fatal("no dev token for the banner")
	}
	appendMail := func(raw string) {
		t.Helper()
		if _, err := d.Dev.Mailbox.Append("INBOX", literal{bytes.NewReader([]byte(raw))}, &imap.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// A customer's payment receipt as Outlook sends it: a PDF attachment
	// with an RFC 2047 encoded filename.
	receipt, err := os.ReadFile(filepath.Join("..", "mailin", "parse", "testdata", "outlook_rfc2047_filename.eml"))
	if err != nil {
		t.Fatal(err)
	}
	appendMail(string(receipt))
	ticket := func() *tickets.Ticket {
		tk, _, err := d.Tickets.Show(context.Background(), 100000)
		if err != nil {
			return nil
		}
		return tk
	}
	waitUntil(t, "ticket 100000", 30*time.Second, func() bool { return ticket() != nil })

	out, errs, code := runIn(dir, "tickets", "list", "--json")
	if code != 0 {
		t.Fatalf("tickets list: %d %s", code, errs)
	}
	var page struct {
		Tickets []tickets.Ticket `json:"tickets"`
	}
	var list []tickets.Ticket
	if json.Unmarshal([]byte(out), &page) == nil && page.Tickets != nil {
		list = page.Tickets
	} else if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("tickets list --json is not JSON: %v\n%s", err, out)
	}
	if len(list) != 1 || list[0].Number != 100000 || list[0].Status != tickets.StatusNew {
		t.Fatalf("tickets list --json: %+v", list)
	}
	_, first, err := d.Tickets.Show(context.Background(), 100000)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 1 || len(first[0].Attachments) != 1 || first[0].Attachments[0].Filename != "Comprobante transferencia marzo.pdf" {
		t.Fatalf("the receipt is not on the ticket: %+v", first)
	}

	answer := filepath.Join(t.TempDir(), "answer.txt")
	if err := os.WriteFile(answer, []byte("Hola Paula, recibimos su comprobante; adjuntamos el recibo.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	recibo := filepath.Join(t.TempDir(), "recibo-marzo.pdf")
	if err := os.WriteFile(recibo, []byte("%PDF-1.4\n%%EOF\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errs, code := runIn(dir, "tickets", "reply", "100000", "--file", answer, "--attach", recibo, "--status", "pending"); code != 0 {
		t.Fatalf("tickets reply: %d\n%s\n%s", code, out, errs)
	}
	var sent *mail.Message
	waitUntil(t, "the reply in dev-mail", 30*time.Second, func() bool {
		files, _ := filepath.Glob(filepath.Join(dir, "dev-mail", "*.eml"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			m, err := mail.ReadMessage(bytes.NewReader(b))
			if err == nil && strings.Contains(m.Header.Get("To"), "paula@example.cl") &&
				strings.Contains(m.Header.Get("Subject"), "[Ticket #100000]") && m.Header.Get("Auto-Submitted") == "" {
				sent = m
				return true
			}
		}
		return false
	})
	body, _ := io.ReadAll(sent.Body)
	if !strings.Contains(string(body), `filename="recibo-marzo.pdf"`) || !strings.Contains(string(body), "JVBERi0xLjQK") {
		t.Errorf("the reply in dev-mail does not carry the attached PDF:\n%s", body)
	}
	if got := sent.Header.Get("In-Reply-To"); got != "<o2047@example.cl>" {
		t.Errorf("In-Reply-To %q, want the customer's Message-ID", got)
	}
	replyID := sent.Header.Get("Message-Id")
	if n, ok := msgid.Ticket(replyID, d.Tickets.MessageIDKey()); !ok || n != 100000 {
		t.Errorf("Message-ID %q is not Turno's for ticket 100000", replyID)
	}
	if tk := ticket(); tk.Status != tickets.StatusPending {
		t.Fatalf("status after the reply: %s, want pending", tk.Status)
	}

	appendMail("Message-ID: <q2@example.cl>\r\nFrom: Paula <paula@example.cl>\r\nTo: soporte@turno.test\r\n" +
		"Subject: Re: No llega el correo\r\nIn-Reply-To: " + replyID + "\r\nReferences: <o2047@example.cl> " + replyID +
		"\r\nDate: Tue, 01 Dec 2026 12:00:00 -0300\r\n\r\nSigue sin llegar.\r\n")
	waitUntil(t, "the customer's answer to move the ticket to open", 30*time.Second, func() bool {
		tk := ticket()
		return tk != nil && tk.Status == tickets.StatusOpen
	})
	_, msgs, err := d.Tickets.Show(context.Background(), 100000)
	if err != nil {
		t.Fatal(err)
	}
	var in, replies int
	for _, m := range msgs {
		switch m.Direction {
		case tickets.DirIn:
			in++
		case tickets.DirReply:
			replies++
		}
	}
	if in != 2 || replies != 1 {
		t.Errorf("thread has %d customer messages and %d replies, want 2 and 1", in, replies)
	}
}

func waitUntil(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
