package mailout

import (
	"errors"
	"fmt"
	"net/textproto"
	"strings"
)

// SMTPError is a reply from the relay. Permanent is true for 5xx.
type SMTPError struct {
	Code      int
	Enhanced  string // "5.1.1", "" if the server gave none
	Message   string
	Permanent bool
}

func (e *SMTPError) Error() string {
	if e.Enhanced != "" && !strings.HasPrefix(e.Message, e.Enhanced) {
		return fmt.Sprintf("%d %s %s", e.Code, e.Enhanced, e.Message)
	}
	return fmt.Sprintf("%d %s", e.Code, e.Message)
}

// TransientError is a failure worth retrying that is not an SMTP reply: a
// timeout, a refused or dropped connection, a failed TLS handshake.
type TransientError struct{ Err error }

func (e *TransientError) Error() string { return "transient: " + e.Err.Error() }
func (e *TransientError) Unwrap() error { return e.Err }

// classify turns whatever the SMTP client returned into *SMTPError (a
// reply) or *TransientError (everything else).
func classify(err error) error {
	if err == nil {
		return nil
	}
	var se *SMTPError
	if errors.As(err, &se) {
		return se
	}
	var tp *textproto.Error
	if errors.As(err, &tp) {
		msg := strings.TrimSpace(tp.Msg)
		enh := ""
		if f, rest, ok := strings.Cut(msg, " "); ok && isEnhanced(f) {
			enh, msg = f, rest
		} else if isEnhanced(msg) {
			enh = msg
		}
		if tp.Code >= 500 {
			return &SMTPError{Code: tp.Code, Enhanced: enh, Message: msg, Permanent: true}
		}
		return &SMTPError{Code: tp.Code, Enhanced: enh, Message: msg}
	}
	return &TransientError{Err: err}
}

func isEnhanced(s string) bool {
	p := strings.Split(s, ".")
	if len(p) != 3 || (p[0] != "2" && p[0] != "4" && p[0] != "5") {
		return false
	}
	for _, x := range p[1:] {
		if x == "" || strings.Trim(x, "0123456789") != "" {
			return false
		}
	}
	return true
}

// isPermanent reports whether err is a 5xx reply.
func isPermanent(err error) bool {
	var se *SMTPError
	return errors.As(err, &se) && se.Permanent
}

// marksUndeliverable reports whether a RCPT rejection says the address
// itself is bad: a 5xx reply (with a 5.x.x code, or none).
func marksUndeliverable(err error) bool {
	var se *SMTPError
	if !errors.As(err, &se) || !se.Permanent {
		return false
	}
	return se.Enhanced == "" || strings.HasPrefix(se.Enhanced, "5.")
}
