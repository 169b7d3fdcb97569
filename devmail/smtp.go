package devmail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// session is one SMTP transaction: mail for the support mailbox's address
// goes to its INBOX, mail for anyone else to MailDir, mail for both to both.
type session struct {
	srv  *Servers
	opts Options
	from string
	to   []string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.opts.User || pass != ss.opts.Password {
			return errors.New("invalid credentials")
		}
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error { ss.from = from; return nil }

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error { ss.to = append(ss.to, to); return nil }

// Data answers only once the message is on disk: in MailDir, in the
// mailbox, or both.
func (ss *session) Data(r io.Reader) error {
	msg, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	local, others := false, false
	for _, to := range ss.to {
		if strings.EqualFold(strings.TrimSpace(to), ss.srv.Mailbox.Address) {
			local = true
		} else {
			others = true
		}
	}
	if others {
		if err := ss.saveFile(msg); err != nil {
			return err
		}
	}
	if local {
		if err := ss.deliver(msg); err != nil {
			ss.opts.Logger.Error("dev SMTP server could not deliver to the dev mailbox", "err", err)
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Could not deliver to the dev mailbox, try again"}
		}
	}
	return nil
}

// deliver appends the message to the mailbox's INBOX with the headers a
// delivering server adds: Return-Path (the envelope sender; <> marks a
// bounce) and Delivered-To.
func (ss *session) deliver(msg []byte) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "Return-Path: <%s>\r\nDelivered-To: %s\r\n", ss.from, ss.srv.Mailbox.Address)
	buf.Write(msg)
	data, err := ss.srv.Mailbox.Append("INBOX", bytes.NewReader(buf.Bytes()), nil)
	if err != nil {
		return err
	}
	ss.opts.Logger.Info("dev SMTP server delivered a message to the dev mailbox", "mailbox", "INBOX", "uid", data.UID, "from", ss.from)
	return nil
}

// saveFile writes the message to MailDir with its envelope in X-Dev-*
// headers, by writing a temp file and renaming it, so a reader never sees
// half a file.
func (ss *session) saveFile(msg []byte) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "X-Dev-Envelope-From: %s\r\n", ss.from)
	for _, to := range ss.to {
		fmt.Fprintf(&buf, "X-Dev-Envelope-To: %s\r\n", to)
	}
	buf.Write(msg)
	name := fmt.Sprintf("%s-%04d.eml", time.Now().UTC().Format("20060102T150405.000000000"), ss.srv.seq.Add(1))
	tmp := filepath.Join(ss.opts.MailDir, "."+name+".tmp")
	if err := os.WriteFile(tmp, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("save message: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(ss.opts.MailDir, name)); err != nil {
		return fmt.Errorf("save message: %w", err)
	}
	ss.opts.Logger.Info("dev SMTP server saved a message", "file", name, "from", ss.from, "rcpts", len(ss.to))
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }
