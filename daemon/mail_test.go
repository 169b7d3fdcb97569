package daemon_test

import (
	"net/smtp"

	"github.com/emersion/go-imap/v2/imapclient"
)

func sendMail(addr, user, pass string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	// net/smtp refuses PLAIN without TLS except to localhost; the dev server
	// is on 127.0.0.1, which it does not count, so send unauthenticated.
	if err := c.Mail("turno@example.cl"); err != nil {
		return err
	}
	if err := c.Rcpt("cliente@example.cl"); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte("From: turno@example.cl\r\nTo: cliente@example.cl\r\nSubject: Prueba dev\r\n\r\nHola\r\n")); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func imapMessages(addr, user, pass string) (uint32, error) {
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if err := c.Login(user, pass).Wait(); err != nil {
		return 0, err
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		return 0, err
	}
	return sel.NumMessages, nil
}
