package daemon_test

import (
	"bytes"
	"context"
	"fmt"
	"net/smtp"
	"os"
	"path/filepath"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"turno/daemon"
	"turno/mailin/parse"
	"turno/tickets"
)

// A newcomer's first hour with `turno serve --dev`: mail written to the
// support address through the dev SMTP server becomes a ticket, the answer
// Turno sends comes from that same address, and the dev mailbox keeps its
// mail, flags and UIDs across restarts, so every mail sent after a restart,
// by SMTP or appended over IMAP, becomes a ticket too.
func TestDevMailboxSurvivesRestartsAndTakesSMTP(t *testing.T) {
	cfg := testConfig(t)
	cfg.Intake.LeaseTTL = 3_000_000_000
	const support = "soporte@turno.test"
	var subjects []string
	var validity uint32

	for round := range 4 {
		d, done := start(t, daemon.Options{Config: cfg, Dev: true})
		stopped := false
		stop := func() {
			if !stopped {
				stopped = true
				d.Stop()
				if err := <-done; err != nil {
					t.Errorf("round %d: stop: %v", round, err)
				}
			}
		}
		defer stop()

		if round > 0 {
			st := imapStatus(t, d.Dev.IMAPAddr, cfg.Dev.User, cfg.Dev.Password)
			if st.UIDValidity != validity || *st.NumMessages != uint32(len(subjects)) || *st.NumUnseen != 0 {
				t.Fatalf("round %d: the dev INBOX came back as uidvalidity %d, %d messages, %d unseen; want uidvalidity %d, %d messages, all seen",
					round, st.UIDValidity, *st.NumMessages, *st.NumUnseen, validity, len(subjects))
			}
		}

		subj := fmt.Sprintf("Consulta por SMTP %d", round)
		from := fmt.Sprintf("cliente%d@gmail.com", round)
		msg := fmt.Sprintf("Message-ID: <smtp-%d@gmail.com>\r\nFrom: Cliente <%s>\r\nTo: %s\r\nSubject: %s\r\n"+
			"Date: Mon, 2 Mar 2026 10:00:00 -0300\r\n\r\nNo me llega el correo.\r\n", round, from, support, subj)
		if err := smtp.SendMail(d.Dev.SMTPAddr, nil, from, []string{support}, []byte(msg)); err != nil {
			t.Fatalf("round %d: send to %s by SMTP: %v", round, support, err)
		}
		subjects = append(subjects, subj)
		if round > 0 {
			subj := fmt.Sprintf("Consulta por IMAP %d", round)
			msg := fmt.Sprintf("Message-ID: <imap-%d@gmail.com>\r\nFrom: Otro <otro%d@gmail.com>\r\nTo: %s\r\nSubject: %s\r\n"+
				"Date: Mon, 2 Mar 2026 11:00:00 -0300\r\n\r\nSigo sin correo.\r\n", round, round, support, subj)
			imapAppend(t, d.Dev.IMAPAddr, cfg.Dev.User, cfg.Dev.Password, []byte(msg))
			subjects = append(subjects, subj)
		}

		waitFor(t, fmt.Sprintf("round %d: %d tickets", round, len(subjects)), func() bool {
			list, err := d.Tickets.List(context.Background(), tickets.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			have := map[string]bool{}
			for _, tk := range list {
				have[tk.Subject] = true
			}
			for _, s := range subjects {
				if !have[s] {
					return false
				}
			}
			return len(list) == len(subjects)
		})
		// Stop only once the intake has flagged every message, so the next
		// round can check the flags came back.
		waitFor(t, fmt.Sprintf("round %d: every message seen", round), func() bool {
			return *imapStatus(t, d.Dev.IMAPAddr, cfg.Dev.User, cfg.Dev.Password).NumUnseen == 0
		})

		if round == 0 {
			validity = imapStatus(t, d.Dev.IMAPAddr, cfg.Dev.User, cfg.Dev.Password).UIDValidity
			// The answer to the stranger comes from the address they wrote
			// to, so their reply lands in the mailbox Turno watches.
			var reply *parse.Message
			waitFor(t, "the reply to "+from+" in dev-mail", func() bool {
				files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "dev-mail", "*.eml"))
				for _, f := range files {
					b, err := os.ReadFile(f)
					if err != nil {
						t.Fatal(err)
					}
					if m, err := parse.Parse(bytes.NewReader(b), nil); err == nil && len(m.To) == 1 && m.To[0].Address == from {
						reply = m
						return true
					}
				}
				return false
			})
			if reply.From == nil || reply.From.Address != support {
				t.Fatalf("the reply comes from %+v, want %s", reply.From, support)
			}
		}
		stop()
	}
}

// An address the operator chose is kept in dev mode.
func TestDevKeepsTheAddressesTheOperatorChose(t *testing.T) {
	cfg := testConfig(t)
	cfg.Company.SupportAddress = "ayuda@hosting.cl"
	cfg.Mail.FromAddress = "ayuda@hosting.cl"
	d, done := start(t, daemon.Options{Config: cfg, Dev: true})
	defer func() { d.Stop(); <-done }()
	msg := "Message-ID: <keep@gmail.com>\r\nFrom: Ana <ana@gmail.com>\r\nTo: soporte@turno.test\r\nSubject: Hola\r\n\r\nHola.\r\n"
	if err := smtp.SendMail(d.Dev.SMTPAddr, nil, "ana@gmail.com", []string{"soporte@turno.test"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reply to ana@gmail.com from ayuda@hosting.cl", func() bool {
		files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "dev-mail", "*.eml"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if m, err := parse.Parse(bytes.NewReader(b), nil); err == nil && len(m.To) == 1 && m.To[0].Address == "ana@gmail.com" {
				if m.From == nil || m.From.Address != "ayuda@hosting.cl" {
					t.Fatalf("the reply comes from %+v", m.From)
				}
				return true
			}
		}
		return false
	})
}

func imapClient(t *testing.T, addr, user, pass string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

func imapStatus(t *testing.T, addr, user, pass string) *imap.StatusData {
	t.Helper()
	c := imapClient(t, addr, user, pass)
	defer func() { _ = c.Logout().Wait() }()
	st, err := c.Status("INBOX", &imap.StatusOptions{UIDValidity: true, NumMessages: true, NumUnseen: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func imapAppend(t *testing.T, addr, user, pass string, msg []byte) {
	t.Helper()
	c := imapClient(t, addr, user, pass)
	defer func() { _ = c.Logout().Wait() }()
	cmd := c.Append("INBOX", int64(len(msg)), nil)
	if _, err := cmd.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}
