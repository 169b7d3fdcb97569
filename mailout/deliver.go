package mailout

import (
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"time"

	"github.com/wneessen/go-mail/smtp"
)

// rcptResult is what the relay said to one recipient.
type rcptResult struct {
	Address string
	Err     error // the RCPT reply; nil: accepted and, if no DataErr applies, delivered
	// DataErr is a MAIL or DATA failure of this recipient's own
	// transaction (one transaction per recipient, see verp.go); it
	// overrides txResult.DataErr for this recipient.
	DataErr error
}

// txResult is one SMTP transaction.
type txResult struct {
	Rcpts   []rcptResult
	DataErr error // MAIL or DATA failure: applies to every accepted recipient
	// ConnBroken: the connection is unusable afterwards.
	ConnBroken bool
	// BeforeData: nothing was transmitted (MAIL or every RCPT failed, or
	// the connection broke before DATA), so a retry cannot duplicate.
	BeforeData bool
	// NoReply: the whole body and its final "." were written, then the
	// connection broke or timed out before the relay's reply. The relay
	// may have accepted the message: the retry that follows may duplicate
	// it (doc.go, The duplicate-send windows).
	NoReply bool
	// At is when the transaction ended (wall clock).
	At time.Time
}

// transact runs MAIL, RCPT for each recipient, then DATA for those
// accepted. Unlike go-mail's Send, one rejected recipient does not stop the
// others. No NOOP before and no RSET after a successful transaction: a new
// MAIL starts a new transaction (RFC 5321 3.3), and a dead connection shows
// at MAIL, before anything was sent.
func transact(c *smtp.Client, timeout time.Duration, from string, rcpts []string, msg []byte) txResult {
	res := txResult{BeforeData: true}
	if err := c.UpdateDeadline(timeout); err != nil {
		res.DataErr, res.ConnBroken = classify(err), true
		return res
	}
	if err := c.Mail(from); err != nil {
		res.DataErr = classify(err)
		res.ConnBroken = broken(err)
		if !res.ConnBroken {
			res.ConnBroken = c.Reset() != nil
		}
		return res
	}
	accepted := 0
	for _, to := range rcpts {
		err := c.Rcpt(to)
		if err != nil && broken(err) {
			res.DataErr, res.ConnBroken = classify(err), true
			return res
		}
		res.Rcpts = append(res.Rcpts, rcptResult{Address: to, Err: classify(err)})
		if err == nil {
			accepted++
		}
	}
	if accepted == 0 {
		res.ConnBroken = c.Reset() != nil
		return res
	}
	w, err := c.Data()
	if err != nil {
		res.DataErr, res.ConnBroken = classify(err), broken(err)
		if !res.ConnBroken {
			res.ConnBroken = c.Reset() != nil
		}
		return res
	}
	res.BeforeData = false
	if _, err := w.Write(msg); err != nil {
		res.DataErr, res.ConnBroken = classify(err), true
		return res
	}
	if err := endData(c, w); err != nil {
		res.DataErr, res.ConnBroken = classify(err), broken(err)
		res.NoReply = res.ConnBroken && !errors.Is(err, errDotUnsent)
		return res
	}
	res.At = time.Now()
	return res
}

// errDotUnsent: the final "." of the body could not be written, so the
// relay cannot have taken the message.
var errDotUnsent = errors.New("end of message not sent")

// endData writes the final "." and reads the relay's reply. go-mail's
// DataCloser.Close does both but drops the error of the write, so it cannot
// tell "the relay never saw the end of the message" (errDotUnsent, safe to
// retry) from "it saw it and no reply came" (the relay may have accepted
// it). The client's Text conn is exported for extensions like this one.
func endData(c *smtp.Client, w io.WriteCloser) error {
	dc, ok := w.(*smtp.DataCloser)
	if !ok { // not go-mail's writer: cannot tell, so a broken conn counts as no reply
		return w.Close()
	}
	if err := dc.WriteCloser.Close(); err != nil {
		return fmt.Errorf("%w: %w", errDotUnsent, err)
	}
	_, _, err := c.Text.ReadResponse(250)
	return err
}

// broken reports whether err came from the connection rather than a reply:
// anything but an SMTP reply leaves the session in an unknown state.
func broken(err error) bool {
	var tp *textproto.Error
	return !errors.As(err, &tp)
}
