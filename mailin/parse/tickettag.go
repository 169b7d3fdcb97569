package parse

import (
	"regexp"
	"strings"
)

var (
	ticketTag = regexp.MustCompile(`(?i)\[\s*ticket\s*#\s*(\d{1,18})\s*\]`)
	// replyPrefix matches one reply or forward prefix, with an optional
	// counter ("Re[2]:", "RE(3):") and a full-width colon.
	replyPrefix = regexp.MustCompile(`(?i)^\s*(re|rv|fwd|fw|rta|aw|sv|tr|enc|res|wg)\s*(\[\d+\]|\(\d+\))?\s*[:：]\s*`)
)

// TicketTag returns the number in a "[Ticket #N]" tag anywhere in the
// subject (case- and space-insensitive, behind any chain of reply
// prefixes): "[ticket#104233]", "RE: Fwd: [ Ticket # 104233 ] ...".
func TicketTag(subject string) (n string, ok bool) {
	m := ticketTag.FindStringSubmatch(subject)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// StripReplyPrefixes removes any chain of reply and forward prefixes
// (Re:, RE:, RV:, Fwd:, FW:, Rta:, AW:, SV:, ...) from the front of a
// subject.
func StripReplyPrefixes(subject string) string {
	s := subject
	for {
		loc := replyPrefix.FindStringIndex(s)
		if loc == nil {
			return strings.TrimSpace(s)
		}
		s = s[loc[1]:]
	}
}
