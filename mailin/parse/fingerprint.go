package parse

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// Fingerprint identifies what a message says, independently of how it
// travelled: the sender's address, the Date header, the subject, the text,
// the HTML and every attachment's hash. Two copies of one mail (the same
// message delivered to two mailboxes, with different Received and
// Delivered-To headers) have the same fingerprint; two different mails that
// reuse one Message-ID (web forms, broken mailers) do not. It is the hex
// SHA-256 of those fields, each length-prefixed so no two field lists
// collide.
func Fingerprint(m *Message) string {
	h := sha256.New()
	field := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	if m.From != nil {
		field(strings.ToLower(strings.TrimSpace(m.From.Address)))
	} else {
		field("")
	}
	if m.Date != nil {
		field(strconv.FormatInt(m.Date.Unix(), 10))
	} else {
		field("")
	}
	field(m.Subject)
	field(m.Text)
	field(m.Quoted)
	field(m.HTML)
	for _, a := range m.Attachments {
		field(a.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))
}
