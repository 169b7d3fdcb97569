package mailout

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
)

// ErrHeaderInjection is returned for a CR or LF in any value that would
// reach a header. Such a message is never stored or sent.
var ErrHeaderInjection = errors.New("line break in a header value")

// checkHeader refuses CR, LF and NUL in a header value.
func checkHeader(field, v string) error {
	if strings.ContainsAny(v, "\r\n\x00") {
		return fmt.Errorf("%s: %w", field, ErrHeaderInjection)
	}
	return nil
}

// checkAddress refuses anything but one plain address.
func checkAddress(field, v string) error {
	if err := checkHeader(field, v); err != nil {
		return err
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v {
		return fmt.Errorf("%s: %q is not a plain email address", field, v)
	}
	return nil
}

// validate checks a Message before anything is stored.
func (m *Message) validate() error {
	if m.Key == "" {
		return errors.New("key is required")
	}
	if m.Template == "" {
		return errors.New("template is required")
	}
	if len(m.To) == 0 {
		return errors.New("at least one To recipient is required")
	}
	for _, a := range m.To {
		if err := checkAddress("to", a); err != nil {
			return err
		}
	}
	for _, a := range m.Cc {
		if err := checkAddress("cc", a); err != nil {
			return err
		}
	}
	if m.ReplyTo != "" {
		if err := checkAddress("reply-to", m.ReplyTo); err != nil {
			return err
		}
	}
	for field, v := range map[string]string{"in-reply-to": m.InReplyTo, "auto-submitted": m.AutoSubmitted, "lang": m.Lang} {
		if err := checkHeader(field, v); err != nil {
			return err
		}
	}
	for _, r := range m.References {
		if err := checkHeader("references", r); err != nil {
			return err
		}
	}
	switch m.AutoSubmitted {
	case "", "auto-replied", "auto-generated":
	default:
		return fmt.Errorf("auto-submitted: %q is not auto-replied or auto-generated", m.AutoSubmitted)
	}
	for _, a := range m.Attachments {
		if err := checkHeader("attachment filename", a.Filename); err != nil {
			return err
		}
		if err := checkHeader("attachment content type", a.ContentType); err != nil {
			return err
		}
		if a.Filename == "" {
			return errors.New("attachment without a filename")
		}
	}
	return nil
}

// normalizeAddress is the suppression key of an address: trimmed, lower case.
func normalizeAddress(a string) string {
	return strings.ToLower(strings.TrimSpace(a))
}
