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

// checkMsgID accepts one msg-id as RFC 5322 section 3.6.4 writes it:
// "<" id-left "@" id-right ">", both sides dot-atoms (or a domain literal
// on the right), with no white space.
func checkMsgID(field, v string) error {
	if err := checkHeader(field, v); err != nil {
		return err
	}
	bad := fmt.Errorf("%s: %q is not a message id like <id@domain>", field, v)
	if len(v) > 998 || !strings.HasPrefix(v, "<") || !strings.HasSuffix(v, ">") {
		return bad
	}
	left, right, ok := strings.Cut(v[1:len(v)-1], "@")
	if !ok || !dotAtom(left) {
		return bad
	}
	if strings.HasPrefix(right, "[") && strings.HasSuffix(right, "]") && len(right) > 2 &&
		!strings.ContainsAny(right[1:len(right)-1], "[]\\ \t") {
		return nil
	}
	if !dotAtom(right) {
		return bad
	}
	return nil
}

// dotAtom reports whether s is an RFC 5322 dot-atom-text: atext runs
// separated by single dots.
func dotAtom(s string) bool {
	if s == "" {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" {
			return false
		}
		for _, r := range part {
			if !atext(r) {
				return false
			}
		}
	}
	return true
}

func atext(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}

// validate checks a Message before anything is stored, then trims its
// threading headers to what can be sent (tidyThreading).
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
	if m.MessageID != "" {
		if err := checkMsgID("message-id", m.MessageID); err != nil {
			return err
		}
	}
	if m.FromAddress != "" {
		if err := checkAddress("from", m.FromAddress); err != nil {
			return err
		}
	}
	for field, v := range map[string]string{"in-reply-to": m.InReplyTo, "auto-submitted": m.AutoSubmitted, "lang": m.Lang, "from name": m.FromName} {
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
	case "", "auto-replied", "auto-generated", "no":
	default:
		return fmt.Errorf("auto-submitted: %q is not auto-replied, auto-generated or no", m.AutoSubmitted)
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
	m.tidyThreading()
	return nil
}

// Threading headers. RFC 5322 §3.6.4 lets References be trimmed: the
// first id (the thread's root) and the last refsTail (the nearest
// parents) are kept. A contact's mail with 3,000 references made an
// acknowledgement whose References was one 96 KB line, which relays
// refuse; every sender's References is trimmed here, not by each caller.
const (
	refsTail = 10
	// maxThreadID bounds one msg-id: alone on a line with its key
	// ("In-Reply-To: ") it stays within 998 bytes.
	maxThreadID = 900
)

// tidyThreading drops an In-Reply-To that cannot be sent (over
// maxThreadID, white space, no angle brackets: threading is best effort,
// the mail still goes) and trims References (trimReferences). Line
// breaks were refused before, as header injection.
func (m *Message) tidyThreading() {
	if !threadID(m.InReplyTo) {
		m.InReplyTo = ""
	}
	m.References = trimReferences(m.References)
}

// threadID reports whether v is one msg-id that can go in a header line:
// "<...>", at most maxThreadID bytes, without white space or controls.
func threadID(v string) bool {
	if len(v) < 3 || len(v) > maxThreadID || v[0] != '<' || v[len(v)-1] != '>' {
		return false
	}
	return !strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f })
}

// trimReferences keeps the ids that can be sent (threadID) and of those
// the first and the last refsTail. It returns nil for none.
func trimReferences(refs []string) []string {
	var ok []string
	for _, r := range refs {
		if threadID(r) {
			ok = append(ok, r)
		}
	}
	if len(ok) > 1+refsTail {
		ok = append(ok[:1:1], ok[len(ok)-refsTail:]...)
	}
	return ok
}

// normalizeAddress is the suppression key of an address: trimmed, lower case.
func normalizeAddress(a string) string {
	return strings.ToLower(strings.TrimSpace(a))
}
